package io.runnerfleet.examples.cli;

import io.micrometer.core.instrument.MeterRegistry;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.github.scaleset.ScaleSetAutoscaler;
import io.runnerfleet.github.scaleset.ScaleSetClient;
import io.runnerfleet.github.scaleset.ScaleSetListener;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.github.scaleset.ScaleSetState;
import io.runnerfleet.github.scaleset.Statistics;
import io.runnerfleet.micrometer.FleetMetrics;
import io.runnerfleet.micrometer.ScaleSetMetrics;
import io.runnerfleet.micrometer.ScaleSetStats;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code serve} pool driven by a runner scale set. A fleet's registry serves all its pools, and a scale set's
 * registry hands out only its own JIT configs, so the pool gets a fleet of its own, named
 * {@code <fleet>-<pool>}, with a {@link ScaleSetAutoscaler}. What the listener hears (session opened, lost, held
 * by another owner, GitHub unreachable) is kept for {@code /healthz}, {@code /status} and {@code /metrics}.
 *
 * <p>Starting runs on its own daemon thread and is retried with a growing wait (1 s to 1 min) while the scale
 * set cannot be found or created, or no session opens (another process holds it): serve keeps answering, and
 * {@code /healthz} says why this pool takes no job. Each try builds a new fleet, since a fleet's registry is
 * fixed when it is built. {@link #stop()} closes the autoscaler first, which deletes the session so that GitHub
 * stops assigning jobs here, and hands back the fleet to drain.
 */
final class ServeScaleSet {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.serve");
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LAST_RETRY = Duration.ofMinutes(1);
    /** How long a "disconnected, retrying in X" stays a reason after X passed with no news (a retry that works says nothing). */
    private static final Duration GRACE = Duration.ofSeconds(10);

    /** Builds the pool's fleet around the registry and metrics of one start attempt. */
    interface Fleets {
        RunnerFleet build(String fleetName, RunnerRegistry registry, RunnerBackend backend, RunnerPool.Builder pool);
    }

    private final String pool;
    private final String fleetName;
    private final ScaleSetSpec spec;
    private final ScaleSetClient client;
    private final Path stateFile;
    private final RunnerPool.Builder poolBuilder;
    private final RunnerBackend backend;
    private final Fleets fleets;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Function<ScaleSetAutoscaler.Builder, ScaleSetAutoscaler.Builder> tuning;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong messages = new AtomicLong();
    private final AtomicLong sessionsOpened = new AtomicLong();
    private final ScaleSetMetrics scaleSetMetrics;
    private final Object lock = new Object();
    private volatile ScaleSetAutoscaler autoscaler;
    private volatile RunnerFleet fleet;
    private volatile FleetMetrics fleetMetrics;
    private volatile long scaleSetId;
    private volatile String session = "opening";
    private volatile String startProblem;
    private volatile String conflict;
    private volatile String disconnected;
    private volatile Instant disconnectedUntil = Instant.MIN;
    private Thread starter;

    ServeScaleSet(String pool, String fleetName, ScaleSetSpec spec, ScaleSetClient client, Path stateFile,
                  RunnerPool.Builder poolBuilder, RunnerBackend backend, Fleets fleets, MeterRegistry meters, Clock clock,
                  Function<ScaleSetAutoscaler.Builder, ScaleSetAutoscaler.Builder> tuning) {
        this.pool = pool;
        this.fleetName = fleetName;
        this.spec = spec;
        this.client = client;
        this.stateFile = stateFile;
        this.poolBuilder = poolBuilder;
        this.backend = backend;
        this.fleets = fleets;
        this.meters = meters;
        this.clock = clock;
        this.tuning = tuning;
        this.scaleSetMetrics = ScaleSetMetrics.of(fleetName, pool, spec.name(), this::stats);
        scaleSetMetrics.bindTo(meters);
    }

    /** A valid fleet name for pool {@code pool} of fleet {@code base}: {@code <base>-<pool>}, the base shortened to fit. */
    static String fleetName(String base, String pool) {
        int room = io.runnerfleet.RunnerName.MAX_PART - pool.length() - 1;
        String head = base.length() > room ? base.substring(0, room).replaceAll("-+$", "") : base;
        return io.runnerfleet.RunnerName.validatePart("fleet", head + "-" + pool);
    }

    String pool() {
        return pool;
    }

    String fleetName() {
        return fleetName;
    }

    /** The pool's fleet once the scale set has started it, else empty. */
    Optional<RunnerFleet> fleet() {
        return Optional.ofNullable(fleet);
    }

    /** Starts trying in the background; returns at once. */
    void start() {
        synchronized (lock) {
            starter = new Thread(this::run, "runnerfleet-scaleset-" + spec.name() + "-start");
            starter.setDaemon(true);
            starter.start();
        }
    }

    private void run() {
        Duration wait = FIRST_RETRY;
        while (stopping.getCount() > 0) {
            ScaleSetAutoscaler a = tuning.apply(ScaleSetAutoscaler.builder(client, spec)
                    .state(new Counting(ScaleSetState.file(stateFile))).events(this::onEvent)).build();
            FleetMetrics m = FleetMetrics.builder().build();
            RunnerFleet f = fleets.build(fleetName, m.instrument(a.registry()), m.instrument(backend), poolBuilder);
            synchronized (lock) {
                if (stopping.getCount() == 0) {
                    f.close();
                    return;
                }
                autoscaler = a;
            }
            try {
                a.start(f);
                synchronized (lock) {
                    if (stopping.getCount() == 0) {
                        // Stopped while the first statistics came: nobody drains this fleet but us.
                        a.close();
                        f.shutdown();
                        f.awaitTermination(LAST_RETRY);
                        f.close();
                        return;
                    }
                    fleet = f;
                    fleetMetrics = m;
                    startProblem = null;
                }
                m.watch(f).bindTo(meters);
                LOG.info("scale set '{}' (id {}) drives pool {} of fleet {}", spec.name(), scaleSetId, pool, fleetName);
                return;
            } catch (RuntimeException e) {
                a.close();
                f.close();
                m.close();
                if (stopping.getCount() == 0) {
                    return;
                }
                startProblem = "scale set '" + spec.name() + "' of pool " + pool + " cannot be found, created or listened"
                        + " to: " + RunnerFleetCli.message(e) + "; trying again in " + wait;
                LOG.warn("{}", startProblem);
                try {
                    stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
                wait = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
            }
        }
    }

    void onEvent(ScaleSetListener.Event e) {
        if (e instanceof ScaleSetListener.Event.SessionOpened o) {
            scaleSetId = o.scaleSetId();
            sessionsOpened.incrementAndGet();
            session = o.resumed() ? "open (resumed)" : "open";
            conflict = null;
            disconnected = null;
        } else if (e instanceof ScaleSetListener.Event.SessionLost) {
            session = "lost, opening a new one";
        } else if (e instanceof ScaleSetListener.Event.SessionConflict c) {
            scaleSetId = c.scaleSetId();
            session = "conflict";
            conflict = "scale set '" + spec.name() + "' (id " + c.scaleSetId() + ") of pool " + pool + ": another"
                    + " process holds its message session (409), so no job comes here; trying again in " + c.retryIn()
                    + ": stop the other listener, or give this pool its own scale set";
        } else if (e instanceof ScaleSetListener.Event.ScaleSetRecreated r) {
            scaleSetId = r.newId();
            LOG.warn("scale set '{}' was deleted on GitHub's side and created again (id {} -> {})", spec.name(), r.oldId(),
                    r.newId());
        } else if (e instanceof ScaleSetListener.Event.Disconnected d) {
            session = "disconnected";
            disconnected = "scale set '" + spec.name() + "' of pool " + pool + ": GitHub refusing or unreachable: "
                    + d.reason() + "; trying again in " + d.retryIn();
            disconnectedUntil = clock.instant().plus(d.retryIn()).plus(GRACE);
        } else if (e instanceof ScaleSetListener.Event.HandlerFailed h) {
            LOG.warn("scale set '{}': message {} could not be handled ({}); it comes again in {}", spec.name(),
                    h.messageId(), h.reason(), h.retryIn());
        }
    }

    /** Why this pool takes no job now; empty when its session is open. */
    List<String> problems() {
        List<String> problems = new ArrayList<>();
        String start = startProblem;
        if (start != null) {
            problems.add(start);
        } else if (fleet == null && stopping.getCount() > 0) {
            problems.add("scale set '" + spec.name() + "' of pool " + pool + ": starting, no message session yet");
        }
        String c = conflict;
        if (c != null) {
            problems.add(c);
        }
        String d = disconnected;
        if (d != null && clock.instant().isBefore(disconnectedUntil)) {
            problems.add(d);
        }
        return problems;
    }

    /** The listener's latest statistics, if any was heard. */
    Optional<Statistics> statistics() {
        ScaleSetAutoscaler a = autoscaler;
        return a == null ? Optional.empty() : a.listener().statistics();
    }

    private boolean sessionOpen() {
        ScaleSetAutoscaler a = autoscaler;
        return a != null && a.listener().running() && session.startsWith("open");
    }

    /** What {@code /metrics} shows. */
    ScaleSetStats stats() {
        Statistics s = statistics().orElse(Statistics.EMPTY);
        return new ScaleSetStats(s.totalAvailableJobs(), s.totalAcquiredJobs(), s.totalAssignedJobs(),
                s.totalRunningJobs(), s.totalRegisteredRunners(), s.totalBusyRunners(), s.totalIdleRunners(),
                messages.get(), Math.max(0, sessionsOpened.get() - 1), sessionOpen());
    }

    /** This scale set as a JSON object for {@code /status}. */
    String json() {
        Optional<Statistics> s = statistics();
        List<String> problems = problems();
        return "{\"pool\":" + ServeEndpoint.quote(pool) + ",\"fleet\":" + ServeEndpoint.quote(fleetName)
                + ",\"name\":" + ServeEndpoint.quote(spec.name()) + ",\"id\":" + (scaleSetId > 0 ? scaleSetId : "null")
                + ",\"labels\":" + spec.effectiveLabels().stream().map(ServeEndpoint::quote)
                        .collect(java.util.stream.Collectors.joining(",", "[", "]"))
                + ",\"runnerGroup\":" + ServeEndpoint.quote(spec.runnerGroup())
                + ",\"session\":" + ServeEndpoint.quote(session) + ",\"messages\":" + messages.get()
                + ",\"sessionRestarts\":" + Math.max(0, sessionsOpened.get() - 1)
                + ",\"statistics\":" + s.map(ServeScaleSet::json).orElse("null")
                + ",\"problems\":" + problems.stream().map(ServeEndpoint::quote)
                        .collect(java.util.stream.Collectors.joining(",", "[", "]")) + "}";
    }

    private static String json(Statistics s) {
        return "{\"availableJobs\":" + s.totalAvailableJobs() + ",\"acquiredJobs\":" + s.totalAcquiredJobs()
                + ",\"assignedJobs\":" + s.totalAssignedJobs() + ",\"runningJobs\":" + s.totalRunningJobs()
                + ",\"registeredRunners\":" + s.totalRegisteredRunners() + ",\"busyRunners\":" + s.totalBusyRunners()
                + ",\"idleRunners\":" + s.totalIdleRunners() + "}";
    }

    /**
     * Stops listening, deleting the session so that GitHub assigns no more jobs here, and stops retrying.
     *
     * @return the pool's fleet to drain, if the scale set had started it
     */
    Optional<RunnerFleet> stop() {
        ScaleSetAutoscaler a;
        RunnerFleet f;
        synchronized (lock) {
            stopping.countDown();
            a = autoscaler;
            f = fleet;
        }
        if (a != null) {
            if (f != null) {
                a.close();
            } else {
                // A start in progress holds the autoscaler's lock until its first statistics (up to a minute while
                // another owner holds the session); the listener closes without it, and the start then fails.
                a.listener().close();
            }
            session = "closed";
        }
        return Optional.ofNullable(f);
    }

    /** Closes the fleet's threads and removes this pool's meters; call after {@link #stop()} and the drain. */
    void close() {
        RunnerFleet f = fleet;
        if (f != null) {
            f.close();
        }
        FleetMetrics m = fleetMetrics;
        if (m != null) {
            m.close();
        }
        scaleSetMetrics.close();
    }

    @Override
    public String toString() {
        return "ServeScaleSet[" + spec.name() + ", pool " + pool + ", fleet " + fleetName + ", session " + session + "]";
    }

    /** The listener's state file, counting each newly acknowledged message for the metrics. */
    private final class Counting implements ScaleSetState {
        private final ScaleSetState file;
        private volatile long last = -1;

        Counting(ScaleSetState file) {
            this.file = file;
        }

        @Override
        public Snapshot load() {
            Snapshot s = file.load();
            last = s.lastMessageId();
            return s;
        }

        @Override
        public void save(Snapshot snapshot) {
            file.save(snapshot);
            long id = snapshot.lastMessageId();
            if (id > 0 && id != last) {
                messages.incrementAndGet();
            }
            last = id;
        }

        @Override
        public String toString() {
            return file.toString();
        }
    }
}
