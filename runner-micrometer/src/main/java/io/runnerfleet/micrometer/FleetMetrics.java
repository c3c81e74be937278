package io.runnerfleet.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetListener;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.JobRequest;
import io.runnerfleet.Matcher;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * Micrometer meters for one {@link RunnerFleet}, fed by its {@link FleetEvent}s and its status: bind it to
 * any {@link MeterRegistry} (a Spring Boot service's, a Prometheus registry, a {@code SimpleMeterRegistry}).
 *
 * <pre>{@code
 * FleetMetrics metrics = FleetMetrics.builder().build();
 * RunnerFleet fleet = RunnerFleet.builder()
 *         .name("s1lqc")
 *         .registry(metrics.instrument(GitHubRegistry.organization("acme", credentials)))   // optional: call timings
 *         .backend(metrics.instrument(DockerBackend.fromEnvironment()))                      // optional: call timings
 *         .pool(RunnerPool.builder("qemu").scaling(Scaling.onDemand(0, 8)))
 *         .build();
 * metrics.watch(fleet).bindTo(meterRegistry);
 * // or, for a fleet built elsewhere: FleetMetrics.of(fleet).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Meters (dotted names; Prometheus shows {@code runnerfleet.runners} as {@code runnerfleet_runners}); every
 * meter has the tag {@code fleet}:
 * <ul>
 *   <li>{@code runnerfleet.runners} gauge, tags {@code pool}, {@code state} (lower-case {@link RunnerState} name:
 *       {@code idle}, {@code active}, ...; one series per pool and state, zeros included);</li>
 *   <li>{@code runnerfleet.pool.desired}, {@code runnerfleet.pool.actual} (runners not yet {@code removed}),
 *       {@code runnerfleet.pool.min}, {@code runnerfleet.pool.max} gauges, tag {@code pool};</li>
 *   <li>{@code runnerfleet.jobs.waiting} gauge, tag {@code pool}: jobs reported by {@link #jobQueued} that no
 *       runner of the pool has taken yet;</li>
 *   <li>{@code runnerfleet.job.queue} timer with histogram buckets, tag {@code pool}: from a job's queued time
 *       (given to {@link #jobQueued}) to the next runner of its pool turning {@code Active};</li>
 *   <li>{@code runnerfleet.job.duration} timer, tag {@code pool}: from a runner's {@link FleetEvent.JobStarted} to its
 *       {@link FleetEvent.JobEnded} where a demand source reports jobs (a webhook receiver, a scale set), otherwise
 *       how long a runner stayed {@code Active} (each job counted once either way);</li>
 *   <li>{@code runnerfleet.runner.provisioning} timer with histogram buckets, tag {@code pool}: from
 *       {@code Provisioning} to first {@code Idle} (or {@code Active}), runners this fleet created only;</li>
 *   <li>{@code runnerfleet.errors} counter, tag {@code kind}: {@code runner_failed}, {@code instance_exit}
 *       (non-zero exit code), {@code oom}, {@code warning}, and with instrumented SPIs {@code github} and
 *       {@code backend} (a call that threw);</li>
 *   <li>{@code runnerfleet.events} counter, tag {@code type} (the event's record name);</li>
 *   <li>with {@link Builder#registryStats}: {@code runnerfleet.github.requests}, {@code runnerfleet.github.not.modified},
 *       {@code runnerfleet.github.retries} counters and the {@code runnerfleet.github.rate.limit.remaining} gauge
 *       (NaN until known);</li>
 *   <li>with {@link #instrument(RunnerRegistry)} / {@link #instrument(RunnerBackend)}: {@code runnerfleet.github.calls}
 *       and {@code runnerfleet.backend.calls} timers, tags {@code operation} and {@code outcome}
 *       ({@code success} or {@code error}), and the {@code runnerfleet.reconcile.cycle} timer (see below).</li>
 * </ul>
 *
 * <p>Sharp edges: one fleet per instance ({@link #watch} twice throws). Gauges read the fleet's status at
 * most every 250 ms, so a scrape sees one consistent snapshot. Queue time counts only jobs given to
 * {@link #jobQueued} (a webhook consumer does so); jobs of a pool are matched to its runners first in, first
 * out. Core reports no reconcile cycle, so the cycle timer is measured from the instrumented SPIs: from a
 * cycle's first backend call on the fleet's reconciler thread to its last SPI call there, recorded when the
 * next cycle begins. Thread-safe; no thread of its own. {@link #close()} removes the meters it registered.
 */
public final class FleetMetrics implements MeterBinder, FleetListener, AutoCloseable {
    /** Histogram buckets of the queue and provisioning timers: from a second to an hour. */
    static final Duration[] BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5),
        Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
        Duration.ofMinutes(5), Duration.ofMinutes(10), Duration.ofMinutes(30), Duration.ofHours(1)};

    /** Every lifecycle state, for one {@code runnerfleet.runners} series each (zeros included). */
    static final List<String> STATES = List.of("requested", "provisioning", "registering", "idle", "active", "offline",
            "draining", "stopped", "completed", "removing", "removed", "failed");

    /** Jobs remembered per pool while waiting for a runner; older ones are dropped first beyond this. */
    private static final int MAX_WAITING = 10_000;

    private static final long SNAPSHOT_NANOS = Duration.ofMillis(250).toNanos();

    private final Supplier<RegistryStats> registryStats;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final java.util.Set<Map.Entry<MeterRegistry, Meter>> registered = ConcurrentHashMap.newKeySet();
    private final Map<String, Deque<Instant>> waiting = new HashMap<>();
    private final Map<String, Instant> provisioningSince = new ConcurrentHashMap<>();
    private final Map<String, Instant> activeSince = new ConcurrentHashMap<>();
    // Runners whose job a demand source reported: their JobEnded times the job, not their time Active.
    private final java.util.Set<String> jobReported = ConcurrentHashMap.newKeySet();
    private final Map<String, String> poolOf = new ConcurrentHashMap<>();
    final CycleClock cycles = new CycleClock(this::recordCycle);
    private volatile RunnerFleet fleet;
    private volatile FleetStatus snapshot;
    private volatile long snapshotAt;
    private volatile boolean closed;

    private FleetMetrics(Builder b) {
        this.registryStats = b.registryStats;
    }

    /** Starts building metrics; defaults: no registry stats (the {@code runnerfleet.github.*} counters are left out). */
    public static Builder builder() {
        return new Builder();
    }

    /** Metrics for a fleet built elsewhere: {@code builder().build().watch(fleet)}. */
    public static FleetMetrics of(RunnerFleet fleet) {
        return builder().build().watch(fleet);
    }

    /**
     * Starts reading {@code fleet}: adds these metrics as its listener and registers its per-pool meters with
     * every registry bound so far (and later ones).
     *
     * @throws IllegalStateException when already watching a fleet
     */
    public synchronized FleetMetrics watch(RunnerFleet fleet) {
        Objects.requireNonNull(fleet, "fleet");
        if (this.fleet != null) {
            throw new IllegalStateException("these metrics already watch fleet " + this.fleet.name()
                    + "; build one FleetMetrics per fleet");
        }
        this.fleet = fleet;
        fleet.addListener(this);
        for (MeterRegistry r : registries) {
            bindFleet(r, fleet);
        }
        return this;
    }

    /** The registry wrapped so that each call is timed ({@code runnerfleet.github.calls}) and failures counted. */
    public RunnerRegistry instrument(RunnerRegistry registry) {
        return new MeteredRegistry(Objects.requireNonNull(registry, "registry"), this);
    }

    /** The backend wrapped so that each call is timed ({@code runnerfleet.backend.calls}) and failures counted. */
    public RunnerBackend instrument(RunnerBackend backend) {
        return new MeteredBackend(Objects.requireNonNull(backend, "backend"), this);
    }

    /**
     * A job is waiting for a runner of {@code pool} since {@code queuedAt} (GitHub's creation time of the job,
     * or when the webhook arrived): the next runner of that pool turning {@code Active} records the wait in
     * {@code runnerfleet.job.queue}.
     */
    public void jobQueued(String pool, Instant queuedAt) {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(queuedAt, "queuedAt");
        synchronized (waiting) {
            Deque<Instant> q = waiting.computeIfAbsent(pool, p -> new ArrayDeque<>());
            if (q.size() >= MAX_WAITING) {
                q.pollFirst();
            }
            q.addLast(queuedAt);
        }
    }

    /**
     * A job is waiting since {@code queuedAt}: counted for the first pool of the watched fleet whose labels and
     * group take it, if any.
     *
     * @return the pool it was counted for
     */
    public Optional<String> jobQueued(JobRequest job, Instant queuedAt) {
        RunnerFleet f = fleet;
        if (f == null) {
            return Optional.empty();
        }
        Optional<String> pool = Matcher.forPools(f.pools()).match(job).pools().stream().map(Matcher.Candidate::name).findFirst();
        pool.ifPresent(p -> jobQueued(p, queuedAt));
        return pool;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        if (closed) {
            throw new IllegalStateException("these metrics are closed; build new ones");
        }
        registries.add(registry);
        RunnerFleet f = fleet;
        if (f != null) {
            bindFleet(registry, f);
        }
    }

    private String fleetTag() {
        RunnerFleet f = fleet;
        return f == null ? "" : f.name();
    }

    private void bindFleet(MeterRegistry registry, RunnerFleet f) {
        Tags fleetTags = Tags.of("fleet", f.name());
        if (registryStats != null) {
            Tags tags = fleetTags;
            keep(registry, FunctionCounter.builder("runnerfleet.github.requests", registryStats, s -> s.get().requests())
                    .description("HTTP requests sent to GitHub, every attempt counted").tags(tags).register(registry));
            keep(registry, FunctionCounter.builder("runnerfleet.github.not.modified", registryStats, s -> s.get().notModified())
                    .description("GitHub answers that were 304 Not Modified (free of rate limit)").tags(tags).register(registry));
            keep(registry, FunctionCounter.builder("runnerfleet.github.retries", registryStats, s -> s.get().retries())
                    .description("GitHub requests that repeated an earlier attempt").tags(tags).register(registry));
            keep(registry, Gauge.builder("runnerfleet.github.rate.limit.remaining", registryStats, s -> {
                long left = s.get().rateLimitRemaining();
                return left < 0 ? Double.NaN : left;
            }).description("requests left in GitHub's current rate-limit window").tags(tags).register(registry));
        }
        for (RunnerPool pool : f.pools()) {
            String p = pool.name();
            Tags tags = fleetTags.and("pool", p);
            for (String state : STATES) {
                keep(registry, Gauge.builder("runnerfleet.runners", this, m -> m.count(p, state))
                        .description("runners by pool and lifecycle state").tags(tags.and("state", state))
                        .register(registry));
            }
            keep(registry, Gauge.builder("runnerfleet.pool.desired", this, m -> m.desired(p))
                    .description("runners the pool wants now").tags(tags).register(registry));
            keep(registry, Gauge.builder("runnerfleet.pool.actual", this, m -> m.actual(p))
                    .description("runners the pool has now (not yet removed)").tags(tags).register(registry));
            keep(registry, Gauge.builder("runnerfleet.pool.min", pool, x -> x.scaling().min())
                    .description("the fewest runners the pool keeps").tags(tags).register(registry));
            keep(registry, Gauge.builder("runnerfleet.pool.max", pool, x -> x.scaling().max())
                    .description("the most runners the pool may have").tags(tags).register(registry));
            keep(registry, Gauge.builder("runnerfleet.jobs.waiting", this, m -> m.waitingJobs(p))
                    .description("jobs queued for the pool that no runner has taken yet").tags(tags).register(registry));
            keep(registry, queueTimer(registry, tags));
            keep(registry, durationTimer(registry, tags));
            keep(registry, provisioningTimer(registry, tags));
        }
        for (String kind : List.of("runner_failed", "instance_exit", "oom", "warning", "github", "backend")) {
            keep(registry, errors(registry, kind));
        }
        keep(registry, cycleTimer(registry));
    }

    private static Timer queueTimer(MeterRegistry registry, Tags tags) {
        return Timer.builder("runnerfleet.job.queue").description("from a job queued to a runner of its pool taking it")
                .serviceLevelObjectives(BUCKETS).tags(tags).register(registry);
    }

    private static Timer durationTimer(MeterRegistry registry, Tags tags) {
        return Timer.builder("runnerfleet.job.duration").description("how long a runner ran a job (stayed Active)")
                .serviceLevelObjectives(BUCKETS).tags(tags).register(registry);
    }

    private static Timer provisioningTimer(MeterRegistry registry, Tags tags) {
        return Timer.builder("runnerfleet.runner.provisioning").description("from Provisioning to online at GitHub")
                .serviceLevelObjectives(BUCKETS).tags(tags).register(registry);
    }

    private Counter errors(MeterRegistry registry, String kind) {
        return Counter.builder("runnerfleet.errors").description("errors by kind").tags("fleet", fleetTag(), "kind", kind)
                .register(registry);
    }

    private Timer cycleTimer(MeterRegistry registry) {
        return Timer.builder("runnerfleet.reconcile.cycle").description("one reconcile cycle, first to last SPI call")
                .tags("fleet", fleetTag()).register(registry);
    }

    private void keep(MeterRegistry registry, Meter meter) {
        registered.add(Map.entry(registry, meter));
    }

    // ---- reading the fleet ---------------------------------------------------------------------

    private FleetStatus status() {
        RunnerFleet f = fleet;
        if (f == null) {
            return null;
        }
        FleetStatus s = snapshot;
        long now = System.nanoTime();
        if (s == null || now - snapshotAt > SNAPSHOT_NANOS) {
            s = f.status();
            snapshot = s;
            snapshotAt = now;
        }
        return s;
    }

    double count(String pool, String state) {
        FleetStatus s = status();
        return s == null ? 0 : s.runners().stream()
                .filter(r -> r.pool().equals(pool) && stateTag(r.state()).equals(state)).count();
    }

    double desired(String pool) {
        FleetStatus s = status();
        return s == null ? 0 : s.desired().getOrDefault(pool, 0);
    }

    double actual(String pool) {
        FleetStatus s = status();
        return s == null ? 0 : s.runners().stream()
                .filter(r -> r.pool().equals(pool) && !(r.state() instanceof RunnerState.Removed)).count();
    }

    double waitingJobs(String pool) {
        synchronized (waiting) {
            Deque<Instant> q = waiting.get(pool);
            return q == null ? 0 : q.size();
        }
    }

    static String stateTag(RunnerState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    // ---- events --------------------------------------------------------------------------------

    @Override
    public void onEvent(FleetEvent event) {
        if (closed) {
            return;
        }
        // A snapshot older than the event would show the fleet before it.
        snapshot = null;
        increment("runnerfleet.events", Tags.of("fleet", fleetTag(), "type", event.getClass().getSimpleName()));
        if (event instanceof FleetEvent.StateChanged c) {
            onStateChanged(c);
        } else if (event instanceof FleetEvent.InstanceExited x) {
            if (x.oomKilled()) {
                error("oom");
            } else if (x.exitCode() != 0) {
                error("instance_exit");
            }
        } else if (event instanceof FleetEvent.Warning) {
            error("warning");
        } else if (event instanceof FleetEvent.JobStarted j) {
            jobReported.add(j.runner());
        } else if (event instanceof FleetEvent.JobEnded j) {
            // The runner stays in jobReported: its events may reach us out of order (a JobEnded told from a demand
            // source's thread before the StateChanged to Active of the reconciler's), and its time Active must
            // never be recorded beside the reported job.
            activeSince.remove(j.runner());
            record("runnerfleet.job.duration", pool(j.runner()), j.took());
        } else if (event instanceof FleetEvent.RunnerRemoved r) {
            provisioningSince.remove(r.runner());
            activeSince.remove(r.runner());
            jobReported.remove(r.runner());
        }
    }

    private void onStateChanged(FleetEvent.StateChanged c) {
        String name = c.runner();
        RunnerState to = c.to();
        if (to instanceof RunnerState.Provisioning) {
            provisioningSince.put(name, c.at());
        } else if (to instanceof RunnerState.Idle || to instanceof RunnerState.Active) {
            Instant since = provisioningSince.remove(name);
            if (since != null) {
                record("runnerfleet.runner.provisioning", pool(name), Duration.between(since, c.at()));
            }
        } else if (to instanceof RunnerState.Failed) {
            provisioningSince.remove(name);
            error("runner_failed");
        } else if (to instanceof RunnerState.Removed) {
            provisioningSince.remove(name);
        }
        if (to instanceof RunnerState.Active) {
            activeSince.put(name, c.at());
            String pool = pool(name);
            Instant queued;
            synchronized (waiting) {
                Deque<Instant> q = waiting.get(pool);
                queued = q == null ? null : q.pollFirst();
            }
            if (queued != null) {
                record("runnerfleet.job.queue", pool, Duration.between(queued, c.at()));
            }
        } else if (!(to instanceof RunnerState.Draining)) {
            // Active -> Draining keeps the job running: its duration ends when the runner leaves Draining.
            Instant since = activeSince.remove(name);
            if (since != null && !jobReported.contains(name)) {
                record("runnerfleet.job.duration", pool(name), Duration.between(since, c.at()));
            }
        }
    }

    private String pool(String runner) {
        String known = poolOf.get(runner);
        if (known != null) {
            return known;
        }
        RunnerFleet f = fleet;
        String pool = f == null ? "" : f.runner(runner).map(Runner::pool).orElseGet(() -> guessPool(f, runner));
        poolOf.put(runner, pool);
        return pool;
    }

    // A runner already removed from the fleet's view: its name is <fleet>-<pool>-<n>[-suffix]; the longest pool that fits.
    private static String guessPool(RunnerFleet f, String runner) {
        String rest = runner.length() > f.name().length() + 1 ? runner.substring(f.name().length() + 1) : runner;
        return f.pools().stream().map(RunnerPool::name).filter(p -> rest.startsWith(p + "-"))
                .max(java.util.Comparator.comparingInt(String::length)).orElse("");
    }

    private void record(String timer, String pool, Duration took) {
        Duration d = took.isNegative() ? Duration.ZERO : took;
        Tags tags = Tags.of("fleet", fleetTag(), "pool", pool);
        for (MeterRegistry r : registries) {
            Timer t = r.find(timer).tags(tags).timer();
            if (t != null) {
                t.record(d);
            }
        }
    }

    void error(String kind) {
        for (MeterRegistry r : registries) {
            errors(r, kind).increment();
        }
    }

    private void increment(String counter, Tags tags) {
        for (MeterRegistry r : registries) {
            Counter c = Counter.builder(counter).description("fleet events by type").tags(tags).register(r);
            keep(r, c);
            c.increment();
        }
    }

    /** Times one SPI call for the instrumented wrappers; counts its failure as an error of {@code kind}. */
    <T> T time(String meter, String kind, String operation, Supplier<T> call) {
        long t0 = System.nanoTime();
        String outcome = "error";
        try {
            T result = call.get();
            outcome = "success";
            return result;
        } catch (RuntimeException | Error e) {
            error(kind);
            throw e;
        } finally {
            long took = System.nanoTime() - t0;
            for (MeterRegistry r : registries) {
                Timer t = Timer.builder(meter).description("calls of the fleet's " + kind + " SPI")
                        .tags("fleet", fleetTag(), "operation", operation, "outcome", outcome).register(r);
                keep(r, t);
                t.record(took, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }
    }

    private void recordCycle(long nanos) {
        for (MeterRegistry r : registries) {
            Timer t = r.find("runnerfleet.reconcile.cycle").tags("fleet", fleetTag()).timer();
            if (t != null) {
                t.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
            }
        }
    }

    /** Removes every meter these metrics registered from the registries they were bound to. */
    @Override
    public synchronized void close() {
        closed = true;
        List<Map.Entry<MeterRegistry, Meter>> all = new ArrayList<>(registered);
        registered.clear();
        all.forEach(e -> e.getKey().remove(e.getValue()));
        registries.clear();
    }

    @Override
    public String toString() {
        RunnerFleet f = fleet;
        return "FleetMetrics[" + (f == null ? "no fleet yet" : f.name()) + ", " + registries.size() + " registries"
                + (closed ? ", closed" : "") + "]";
    }

    /**
     * Builds {@link FleetMetrics}. Default: no registry stats.
     */
    public static final class Builder {
        private Supplier<RegistryStats> registryStats;

        private Builder() {
        }

        /**
         * Where the {@code runnerfleet.github.*} counters and rate-limit gauge come from; called at each scrape,
         * so it must be cheap and must not call GitHub.
         */
        public Builder registryStats(Supplier<RegistryStats> stats) {
            this.registryStats = Objects.requireNonNull(stats, "stats");
            return this;
        }

        /** The metrics, watching no fleet yet ({@link FleetMetrics#watch}). */
        public FleetMetrics build() {
            return new FleetMetrics(this);
        }
    }
}
