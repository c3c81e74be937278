package io.runnerfleet.github.scaleset;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.FleetTimeoutException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RegistrationMode;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Warmth;
import io.runnerfleet.spi.RunnerRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a fleet's one pool from a runner scale set: the pool keeps
 * {@code desired = min(max, min + totalAssignedJobs)} ephemeral runners, each registered with a
 * just-in-time config of the scale set; {@code JobStarted} and {@code JobCompleted} move the runner's
 * state at once; runners beyond what the set needs are drained, never while busy.
 *
 * <pre>{@code
 * try (ScaleSetClient scaleSets = ScaleSetClient.builder().configUrl("https://github.com/acme")
 *          .credentials(GitHubCredentials.fromEnvironment()).build();
 *      ScaleSetAutoscaler autoscaler = ScaleSetAutoscaler.builder(scaleSets, ScaleSetSpec.named("linux-x64"))
 *          .stateFile(Path.of("/var/lib/fleet/linux-x64.scaleset.json"))
 *          .build();
 *      RunnerFleet fleet = RunnerFleet.builder().name("ci")
 *          .registry(autoscaler.registry())                  // JIT configs from the scale set
 *          .backend(DockerBackend.fromEnvironment())
 *          .pool(RunnerPool.builder("linux").ephemeral(true).scaling(Scaling.onDemand(0, 20)))
 *          .build()) {
 *     autoscaler.start(fleet);                              // listens, sizes the pool, starts the fleet
 *     // jobs with runs-on: linux-x64 now get a runner each
 * }
 * }</pre>
 *
 * <p><b>One fleet per scale set.</b> A fleet has one registry for all its pools, so a fleet driven by a
 * scale set has exactly one pool, ephemeral and just-in-time ({@link #start} checks it). The pool's
 * {@link io.runnerfleet.Scaling} gives {@code min} (runners kept idle for jobs to come) and {@code max};
 * jobs reach the set by its labels (the set's name first, see {@link ScaleSetSpec#effectiveLabels()}),
 * not by the pool's. The pool's {@link Warmth} adds to that: {@code desired = min(max, max(min, idle) +
 * ceil(totalAssignedJobs * overProvision))}, where {@code idle} is the idle minimum (or the open schedule's)
 * on the fleet's clock, and never below the fleet's warm target (which holds the size after the last job
 * for {@code stayWarm}).
 *
 * <p><b>How it works.</b> A {@link ScaleSetListener} holds the set's message session; every message's
 * statistics set how many runners are wanted, and the pool is scaled to that count (plus the runners
 * finishing their job until the fleet removes them, so that no idle runner is drained in their place). Job messages
 * update the registry's view of the runners and ask the fleet to reconcile right away, so a runner shows
 * {@code Active} when its job starts and goes when it ends, without waiting for a runner list; the fleet's
 * periodic runner list is answered from that view, so an idle fleet costs GitHub only the long poll.
 * The listener's state (scale set id, session, {@code lastMessageId}) is kept in the file given with
 * {@link Builder#stateFile}; a fleet started again with the same name and state file resumes the session,
 * adopts the runners it left and loses no job.
 *
 * <p><b>Threads.</b> The listener's thread and one daemon thread, {@code scaleset-<name>-fleet}, that scales
 * the pool and asks for reconciles; {@link #close()} stops both (the fleet is left running: close or shut
 * it down yourself). Thread-safe.
 */
public final class ScaleSetAutoscaler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleSetAutoscaler.class);
    private static final Duration RECONCILE_TIMEOUT = Duration.ofSeconds(30);

    private final ScaleSetSpec spec;
    private final ScaleSetListener listener;
    private final ScaleSetRegistry registry;
    private final Duration startTimeout;
    private final Consumer<ScaleSetListener.Event> userEvents;
    private final ExecutorService actions;
    private final AtomicBoolean replanPending = new AtomicBoolean();
    private final AtomicBoolean reconcilePending = new AtomicBoolean();
    private final CountDownLatch firstStatistics = new CountDownLatch(1);
    private final Object lifecycle = new Object();
    private volatile RunnerFleet fleet;
    private volatile String pool;
    private volatile int min;
    private volatile int max = Integer.MAX_VALUE;
    private volatile Warmth warmth = Warmth.NONE;
    private volatile boolean closed;
    private volatile ScaleSetListener.Event lastEvent;

    private ScaleSetAutoscaler(Builder b) {
        this.spec = b.spec;
        this.startTimeout = b.startTimeout;
        this.userEvents = b.events;
        this.actions = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scaleset-" + b.spec.name() + "-fleet");
            t.setDaemon(true);
            return t;
        });
        ScaleSetListener[] self = new ScaleSetListener[1];
        this.registry = new ScaleSetRegistry(b.client, b.spec.name(), () -> self[0].scaleSet(), System::nanoTime,
                b.listInterval, b.refreshInterval, this::replanSoon);
        ScaleSetListener.Builder lb = ScaleSetListener.builder(b.client, b.spec)
                .handler(new Handler())
                .events(this::onEvent)
                .maxCapacity(() -> max)
                .backoff(b.minBackoff, b.maxBackoff)
                .minPollInterval(b.minPollInterval);
        if (b.state != null) {
            lb.state(b.state);
        }
        if (b.owner != null) {
            lb.owner(b.owner);
        }
        this.listener = lb.build();
        self[0] = listener;
    }

    /** A builder for an autoscaler of the scale set {@code spec} describes, reached through {@code client}. */
    public static Builder builder(ScaleSetClient client, ScaleSetSpec spec) {
        return new Builder(client, spec);
    }

    /**
     * The registry to give the fleet ({@code RunnerFleet.builder().registry(...)}): JIT configs from the scale
     * set, the set's runners, deregistration. It refuses registration tokens, since scale-set runners register
     * just in time only.
     */
    public RunnerRegistry registry() {
        return registry;
    }

    /** The listener that holds the scale set's session (for its state and statistics). */
    public ScaleSetListener listener() {
        return listener;
    }

    /**
     * Starts driving {@code fleet}: finds or creates the scale set, lists its runners (a fleet started again
     * adopts those it left), waits for the session's first statistics, sizes the pool, and starts the fleet
     * without waiting for runners to come online (they come and go with jobs). Call it instead of
     * {@code fleet.start()}.
     *
     * @throws InvalidSpecException when the fleet does not have exactly one pool, ephemeral and just in time,
     *     or does not use {@link #registry()}
     * @throws FleetTimeoutException when no session opened within the start timeout (the listener is closed)
     * @throws ScaleSetApiException or {@link io.runnerfleet.github.GitHubApiException} when GitHub refuses
     * @throws IllegalStateException when already started, or closed
     */
    public ScaleSetAutoscaler start(RunnerFleet fleet) {
        Objects.requireNonNull(fleet, "fleet");
        RunnerPool p = check(fleet);
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("scale-set autoscaler '" + spec.name() + "' is closed; build a new one");
            }
            if (this.fleet != null) {
                throw new IllegalStateException("scale-set autoscaler '" + spec.name() + "' already drives fleet "
                        + this.fleet.name());
            }
            this.pool = p.name();
            this.min = p.scaling().min();
            this.max = p.scaling().max();
            this.warmth = p.warmth();
            registry.bind(fleet.name(), p.name(), min);
            warmed(fleet.status());
            try {
                listener.start();
                registry.list();
                if (!firstStatistics.await(startTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    ScaleSetListener.Event last = lastEvent;
                    throw new FleetTimeoutException("scale set '" + spec.name() + "' opened no message session within "
                            + startTimeout + (last == null ? "" : "; last: " + last) + "; check that no other process"
                            + " listens to it, or raise startTimeout");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                listener.close();
                throw new FleetTimeoutException("interrupted while starting scale set '" + spec.name() + "'");
            } catch (RuntimeException e) {
                listener.close();
                throw e;
            }
            this.fleet = fleet;
        }
        fleet.addListener(event -> {
            if (event instanceof FleetEvent.WarmTargetChanged w && w.pool().equals(pool)) {
                warmed(w.to(), w.at());
                replanSoon();
            }
            if (event instanceof FleetEvent.StateChanged sc) {
                if (sc.to() instanceof RunnerState.Removed) {
                    registry.removed(sc.runner());
                }
                if (sc.to() instanceof RunnerState.Removed) {
                    replanSoon();
                }
            }
        });
        // Sized before the fleet's first cycle, so that runners a killed process left are adopted, not removed.
        replan();
        LOG.info("scale set '{}' drives pool {} of fleet {} ({} to {} runners)", spec.name(), pool, fleet.name(), min,
                max);
        fleet.startAsync().whenComplete((f, failure) -> {
            if (failure != null && !closed) {
                LOG.warn("fleet {} driven by scale set '{}': {}", fleet.name(), spec.name(),
                        failure.getCause() != null ? failure.getCause().getMessage() : failure.getMessage());
            }
        });
        return this;
    }

    private RunnerPool check(RunnerFleet fleet) {
        if (fleet.pools().size() != 1) {
            throw new InvalidSpecException("fleet " + fleet.name() + " has " + fleet.pools().size() + " pools; a fleet"
                    + " driven by scale set '" + spec.name() + "' has exactly one (a fleet's registry serves all its"
                    + " pools): build one fleet per scale set");
        }
        RunnerPool p = fleet.pools().get(0);
        if (!p.template().ephemeral() || p.template().registrationMode() != RegistrationMode.JIT) {
            throw new InvalidSpecException("pool " + p.name() + " of fleet " + fleet.name() + " must be ephemeral and"
                    + " register just in time to take jobs of scale set '" + spec.name() + "': use"
                    + " RunnerPool.builder(\"" + p.name() + "\").ephemeral(true) without registrationMode(TOKEN)");
        }
        return p;
    }

    /** How many runners the scale set wants now: {@code min(max, min + totalAssignedJobs)}. */
    static int wanted(int min, int max, long assigned) {
        // Saturating: a huge count from the service must not wrap around to "nothing wanted".
        long jobs = Math.max(0, assigned);
        return jobs >= max - min ? max : (int) (min + jobs);
    }

    // ---- warmth: the pool's Warmth added to the scale set's count (see Warmth) -----------------------

    private void warmed(FleetStatus status) {
        FleetStatus.PoolWarmth w = status.warmth().get(pool);
        warmed(w == null ? min : w.target(), status.at());
    }

    /** The fleet's warm target for the pool changed (a schedule, the stay-warm time): tell the registry. */
    private void warmed(int target, Instant at) {
        registry.warm(warmIdle(warmth, min, max, at), target);
    }

    /** The idle runners the pool's warmth keeps above {@code min} at {@code at}: {@code max(min, idle) - min}, within max. */
    static int warmIdle(Warmth warmth, int min, int max, Instant at) {
        return Math.max(0, Math.min(max, Math.max(min, warmth.idleAt(at))) - min);
    }

    private void onEvent(ScaleSetListener.Event e) {
        lastEvent = e;
        if (e instanceof ScaleSetListener.Event.ScaleSetRecreated) {
            // Its idle runners went with it: learn that before the next plan counts them.
            registry.recreated();
            reconcileSoon();
        }
        userEvents.accept(e);
    }

    private void replanSoon() {
        if (fleet == null || closed || !replanPending.compareAndSet(false, true)) {
            return;
        }
        submit(() -> {
            replanPending.set(false);
            replan();
        });
    }

    private void replan() {
        RunnerFleet f = fleet;
        if (f == null || closed) {
            return;
        }
        try {
            // A count, not a range of slots: the fleet drains the cheapest runners beyond it (never a busy one; a
            // busy ephemeral runner is simply not replaced after its job) and adds runners only below it.
            f.scale(pool, registry.plan(max));
        } catch (RuntimeException e) {
            LOG.warn("scale set '{}': could not scale pool {} of fleet {}: {}", spec.name(), pool, f.name(),
                    e.toString());
        }
    }

    private void reconcileSoon() {
        if (fleet == null || closed || !reconcilePending.compareAndSet(false, true)) {
            return;
        }
        submit(() -> {
            reconcilePending.set(false);
            try {
                fleet.reconcile(RECONCILE_TIMEOUT);
            } catch (IllegalStateException notYet) {
                // The fleet is still starting: its own first cycle sees the change.
            } catch (RuntimeException e) {
                LOG.debug("scale set '{}': reconcile of fleet {} failed: {}", spec.name(), fleet.name(), e.toString());
            }
        });
    }

    private void submit(Runnable task) {
        try {
            actions.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // Closed meanwhile.
        }
    }

    /** What the listener hears, turned into the pool's size and the registry's view. */
    private final class Handler implements ScaleSetListener.Handler {
        @Override
        public void onStatistics(Statistics statistics) {
            registry.wanted(wanted(min, max, warmth.overProvisioned(statistics.totalAssignedJobs())));
            firstStatistics.countDown();
            replanSoon();
        }

        @Override
        public void onJobStarted(JobMessage.JobStarted job) {
            registry.started(job.runnerName(), job.runnerId());
            RunnerFleet f = fleet;
            if (f != null && !job.runnerName().isEmpty()) {
                f.jobStarted(job.runnerName(), job.job().runnerJob());   // shown as Runner.job() until it ends
            }
            reconcileSoon();
        }

        @Override
        public void onJobCompleted(JobMessage.JobCompleted job) {
            RunnerFleet f = fleet;
            if (f != null && !job.runnerName().isEmpty()) {
                f.jobEnded(job.runnerName(), job.job().runnerJob().id());   // before the runner's exit can end it
            }
            registry.jobEnded();
            registry.completed(job.runnerName());
            reconcileSoon();
        }
    }

    /**
     * Stops listening (the session is deleted, the scale set kept) and stops this autoscaler's thread; the
     * fleet keeps running. Idempotent.
     */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
        }
        listener.close();
        actions.shutdownNow();
        try {
            actions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code ScaleSetAutoscaler[linux-x64, fleet ci pool linux, ScaleSetRegistry[...], running]}. */
    @Override
    public String toString() {
        RunnerFleet f = fleet;
        return "ScaleSetAutoscaler[" + spec.name() + (f == null ? ", no fleet" : ", fleet " + f.name() + " pool " + pool)
                + ", " + registry + (closed ? ", closed" : f == null ? ", not started" : ", running") + "]";
    }

    /** How many times the scale set's runners were listed (for the request budget). */
    long runnerLists() {
        return registry.lists();
    }

    /**
     * Builds a {@link ScaleSetAutoscaler}.
     *
     * <p>Defaults: the listener's state file and owner (see {@link ScaleSetListener.Builder}); no event
     * consumer; 60 s for the first session at start; listener backoff 1 s doubling to 60 s; at least 1 s
     * between polls answered "no message"; a runner list every 5 minutes at most while nothing is unknown.
     */
    public static final class Builder {
        private final ScaleSetClient client;
        private final ScaleSetSpec spec;
        private ScaleSetState state;
        private String owner;
        private Consumer<ScaleSetListener.Event> events = e -> { };
        private Duration startTimeout = Duration.ofSeconds(60);
        private Duration minBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(60);
        private Duration minPollInterval = Duration.ofSeconds(1);
        private Duration listInterval = Duration.ofSeconds(1);
        private Duration refreshInterval = Duration.ofMinutes(5);

        private Builder(ScaleSetClient client, ScaleSetSpec spec) {
            this.client = Objects.requireNonNull(client, "client");
            this.spec = Objects.requireNonNull(spec, "spec");
        }

        /** Where the listener keeps the scale set id, session id and {@code lastMessageId}. */
        public Builder stateFile(Path file) {
            return state(ScaleSetState.file(Objects.requireNonNull(file, "file")));
        }

        /** The listener's state store. */
        public Builder state(ScaleSetState state) {
            this.state = Objects.requireNonNull(state, "state");
            return this;
        }

        /** The session owner GitHub shows; default the host name. */
        public Builder owner(String owner) {
            this.owner = io.runnerfleet.github.internal.Checks.owner(owner);
            return this;
        }

        /** Who hears what the listener did to stay connected (sessions lost, the set re-created, outages). */
        public Builder events(Consumer<ScaleSetListener.Event> events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /** How long {@link ScaleSetAutoscaler#start} waits for the session's first statistics; default 60 s. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = io.runnerfleet.github.internal.Checks.positive("startTimeout", timeout);
            return this;
        }

        /** Bounds of the listener's backoff after failures; default 1 s to 60 s. */
        public Builder backoff(Duration min, Duration max) {
            io.runnerfleet.github.internal.Checks.bounds("backoff", min, max);
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /** The least time between polls answered "no message"; default 1 s. */
        public Builder minPollInterval(Duration interval) {
            this.minPollInterval = io.runnerfleet.github.internal.Checks.notNegative("minPollInterval", interval);
            return this;
        }

        /**
         * How often the scale set's runners are listed while every runner's state is known (to notice
         * runners removed by hand); default 5 minutes. While a runner has not been seen online yet they are
         * listed at most once a second.
         */
        public Builder runnerListInterval(Duration interval) {
            this.refreshInterval = io.runnerfleet.github.internal.Checks.positive("runnerListInterval", interval);
            return this;
        }

        Builder listInterval(Duration interval) {
            this.listInterval = io.runnerfleet.github.internal.Checks.positive("listInterval", interval);
            return this;
        }

        /** Builds the autoscaler; nothing is sent before {@link ScaleSetAutoscaler#start}. */
        public ScaleSetAutoscaler build() {
            return new ScaleSetAutoscaler(this);
        }
    }
}
