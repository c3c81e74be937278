package io.runnerfleet;

import io.runnerfleet.internal.fleet.EventBus;
import io.runnerfleet.internal.fleet.FleetPool;
import io.runnerfleet.internal.fleet.FleetShutdown;
import io.runnerfleet.internal.fleet.FleetSettings;
import io.runnerfleet.internal.fleet.PoolPlan;
import io.runnerfleet.internal.fleet.Reconciler;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fleet of self-hosted GitHub Actions runners kept alive as declared: the front door of Runner Fleet.
 *
 * <pre>{@code
 * try (RunnerFleet fleet = RunnerFleet.builder()
 *         .name("s1lqc")
 *         .registry(registry)                       // GitHubRegistry.organization(...), or a test double
 *         .backend(backend)                         // DockerBackend.fromEnvironment(), ProcessBackend, ...
 *         .pool(RunnerPool.builder("qemu").image(RunnerImage.of("my-runner:1")).labels("intel")
 *                 .devices("/dev/kvm").ephemeral(true).scaling(Scaling.fixed(4)))
 *         .build()) {
 *     fleet.start();                                // blocks until every runner is Idle, or throws
 *     fleet.runners().forEach(System.out::println); // Runner[s1lqc-qemu-1-k4f9z, Idle, instance 3f2a1c9d4e5f]
 *     fleet.match(JobRequest.runsOn("self-hosted", "linux", "intel"));
 * }
 * }</pre>
 *
 * <p>One reconciler per fleet compares the declared pools with what the backend and GitHub report
 * and acts through each runner's {@link RunnerState lifecycle}: it creates missing runners in parallel,
 * replaces dead ones, re-provisions ephemeral runners after their job, removes ghosts (registered,
 * offline, no instance) and orphans (an instance that never registered), and backs off on repeated
 * failure. A new fleet with the same name adopts the runners an earlier one left.
 *
 * <p>Lifecycle, like the JDK's executors: {@link #start()} is idempotent; {@link #close()} stops the
 * fleet's own threads and leaves the runners running (to be adopted); {@link #shutdown()} drains every
 * runner (deregister first, let running jobs finish within the drain timeout) and removes the instances,
 * keeping volumes; {@link #remove()} does the same and deletes volumes too; the {@code ...Now} variants
 * kill running jobs. Threads: one reconciler thread, {@code parallelism} worker threads (unless an
 * executor is given) and one event thread, all named daemon threads owned by the fleet. Thread-safe.
 */
public final class RunnerFleet implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    /**
     * How many runners a fleet creates or removes at once unless {@link Builder#parallelism(int)} says otherwise:
     * launches mostly wait on the engine and GitHub, so a pool of up to this many starts in one wave.
     */
    public static final int DEFAULT_PARALLELISM = 16;

    private final String name;
    private final RunnerRegistry registry;
    private final RunnerBackend backend;
    private final List<RunnerPool> pools;
    private final Clock clock;
    private final FleetSettings settings;
    private final Duration startTimeout;
    private final EventBus events;
    private final Reconciler reconciler;
    private final FleetShutdown ending;

    private RunnerFleet(Builder b) {
        this.name = b.name;
        this.registry = b.registry;
        this.backend = b.backend;
        this.pools = List.copyOf(b.pools.values());
        this.clock = b.clock;
        this.settings = new FleetSettings(b.interval, b.pollInterval, b.registrationTimeout, b.drainTimeout,
                b.parallelism, b.maxFailures, b.backoffBase, b.backoffMax,
                b.quietInterval != null ? b.quietInterval : b.interval.multipliedBy(2));
        this.startTimeout = b.startTimeout != null ? b.startTimeout : b.registrationTimeout.plus(Duration.ofMinutes(1));
        this.events = new EventBus(name, b.listeners);
        RunnerImage fallback = b.image != null ? b.image
                : pools.stream().map(p -> p.template().image()).flatMap(Optional::stream).findFirst()
                .orElse(RunnerImage.of(DEFAULT_IMAGE));
        List<PoolPlan> plans = new ArrayList<>();
        for (RunnerPool pool : pools) {
            plans.add(new FleetPool(pool, fallback));
            for (String warning : pool.template().warnings()) {
                events.onEvent(new FleetEvent.Warning("pool " + pool.name(), warning, clock.instant()));
            }
        }
        this.reconciler = new Reconciler(name, registry, backend, plans, clock, settings, events, b.executor);
        this.ending = new FleetShutdown(name, reconciler, settings.drainTimeout());
    }

    /** The image a pool without one (and a fleet without a default) runs: GitHub's official runner image. */
    public static final String DEFAULT_IMAGE = "ghcr.io/actions/actions-runner:latest";

    /** Starts building a fleet. */
    public static Builder builder() {
        return new Builder();
    }

    /** The fleet's name (the prefix of its runners' names, containers and ownership labels). */
    public String name() {
        return name;
    }

    /** The pools as declared. */
    public List<RunnerPool> pools() {
        return pools;
    }

    /**
     * Starts the fleet (idempotent) and blocks until every wanted runner is online at GitHub (Idle, or
     * Active when a job was waiting).
     *
     * @throws RegistrationException when GitHub cannot be reached or refuses the credentials (nothing is created)
     * @throws BackendUnavailableException when the backend cannot be reached (nothing is created)
     * @throws RunnerStartException naming each runner that failed, with its last state and log lines
     */
    public void start() {
        startReconciler();
        reconciler.awaitOnline(startTimeout);
    }

    /** {@link #start()} on another thread; the future fails with the same exceptions. */
    public CompletableFuture<RunnerFleet> startAsync() {
        return CompletableFuture.supplyAsync(() -> {
            start();
            return this;
        }, r -> {
            Thread t = new Thread(r, "runnerfleet-" + name + "-start");
            t.setDaemon(true);
            t.start();
        });
    }

    private void startReconciler() {
        ending.whileOpen(() -> {
            // Fail fast, before anything is created: both sides must answer.
            backend.instances(name);
            try {
                registry.runners();
            } catch (RuntimeException e) {
                throw reconciler.unreachable(e);
            }
            reconciler.start();
        });
    }

    /** Runs one reconcile cycle now and waits for it (at most {@code timeout}). */
    public void reconcile(Duration timeout) {
        reconciler.reconcileNow(timeout);
    }

    /**
     * Asks for a reconcile cycle as soon as possible and returns at once, without waiting for it: for a
     * caller that learned something changed (a job queued or ended, a webhook) and must not block. Requests
     * made while a cycle is pending are coalesced into it. Does nothing before {@link #start()} and after
     * {@link #close()}. Use {@link #reconcile(Duration)} to wait for a cycle instead.
     */
    public void wake() {
        reconciler.wake();
    }

    /** Every runner the fleet manages, sorted by name. */
    public List<Runner> runners() {
        return reconciler.runners();
    }

    /** One runner by name (case-insensitive). */
    public Optional<Runner> runner(String name) {
        return runners().stream().filter(r -> r.name().equalsIgnoreCase(name)).findFirst();
    }

    /** A snapshot joining the backend's and GitHub's views as of the last reconcile cycle. */
    public FleetStatus status() {
        List<Runner> runners = runners();
        return new FleetStatus(name, registry.scope(), runners, reconciler.desired(), reconciler.warm().status(runners),
                clock.instant());
    }

    /**
     * Who can take {@code job}: the fleet's runners and pools that match it, which pool to grow, or why
     * nobody can (per candidate: the labels it lacks or the group rule that excludes the repository).
     */
    public MatchResult match(JobRequest job) {
        List<Matcher.Candidate> candidates = new ArrayList<>();
        for (Runner r : runners()) {
            RunnerPool pool = pool(r.pool());
            candidates.add(Matcher.Candidate.runner(r.name(), r.labels(), pool.template().runnerGroup()));
        }
        pools.forEach(p -> candidates.add(p.candidate()));
        MatchResult result = Matcher.of(candidates).match(job);
        if (!result.matched()) {
            events.onEvent(new FleetEvent.Warning("job " + job.labels(), result.explain(), clock.instant()));
        }
        return result;
    }

    /**
     * A job is waiting: grow the pool that should take it by one runner (up to its maximum). The reconciler
     * is woken and starts the launch at once. In an on-demand pool of ephemeral runners, the runner that
     * finishes a job shrinks the pool back by one (whichever runner it is; no other runner is drained for it). A
     * pool with a {@link Warmth} over-provision factor grows by that factor (fractions carried to the next job),
     * and its stay-warm time starts again.
     *
     * @return the pool grown, if any could take it
     */
    public Optional<String> demand(JobRequest job) {
        Optional<Matcher.Candidate> pool = Matcher.of(pools.stream().map(RunnerPool::candidate).toList())
                .match(job).poolToGrow();
        // Atomic with concurrent demands and with ephemeral runners shrinking the pool as they finish;
        // the reconciler is woken, so the runner is launched now rather than at the next periodic cycle.
        pool.ifPresent(p -> {
            int grow = reconciler.warm().demanded(p.name());   // more than one when the pool over-provisions
            reconciler.adjust(p.name(), grow, "job queued: " + job.labels() + (grow == 1 ? "" : ", over-provisioned to "
                    + grow + " runners"));
        });
        return pool.map(Matcher.Candidate::name);
    }

    /**
     * A demand source heard that {@code runnerName} started {@code job} (a {@code workflow_job} webhook
     * {@code in_progress}, a scale set's {@code JobStarted}): the runner shows it as {@link Runner#job()} and a
     * {@link FleetEvent.JobStarted} follows. A name that is none of this fleet's runners is ignored (logged at
     * DEBUG): webhooks report every runner of the organization. Telling the same job twice, or after its end,
     * does nothing.
     */
    public void jobStarted(String runnerName, RunnerJob job) {
        reconciler.jobStarted(Objects.requireNonNull(runnerName, "runnerName"), Objects.requireNonNull(job, "job"));
    }

    /**
     * A demand source heard that {@code runnerName} finished the job {@code jobId} ({@link RunnerJob#id()}): the
     * runner's {@link Runner#job()} is cleared and a {@link FleetEvent.JobEnded} follows. Unknown runners and jobs
     * are ignored. Without this call a job still ends when its runner goes Idle, Completed, Stopped, Failed or
     * Removed.
     */
    public void jobEnded(String runnerName, String jobId) {
        reconciler.jobEnded(Objects.requireNonNull(runnerName, "runnerName"), Objects.requireNonNull(jobId, "jobId"));
    }

    /**
     * Sets how many runners {@code pool} keeps. A count, not a range of slots: new runners take the lowest
     * free slot numbers, and the extra runners go cheapest first (not yet launched, failed, idle the longest;
     * a busy runner last, drained: a running job is never killed; a busy ephemeral runner is simply not
     * replaced after its job).
     */
    public void scale(String pool, int count) {
        reconciler.scale(pool(pool).name(), count, "scaled by request");
    }

    /** Stops one runner's instance (its registration is kept; a running job finishes first). */
    public void stop(String runner) {
        reconciler.stopRunner(runner, Duration.ofSeconds(30));
    }

    /** Starts a stopped runner again. */
    public void start(String runner) {
        reconciler.startRunner(runner);
    }

    /** Stops and starts one runner. */
    public void restart(String runner) {
        stop(runner);
        start(runner);
    }

    /** The last {@code lines} lines of a runner's output. */
    public List<String> logs(String runner, int lines) {
        String id = reconciler.instanceOf(runner).orElseThrow(() ->
                new RunnerFleetException("runner " + runner + " of fleet " + name + " has no instance right now"));
        try (LogStream logs = backend.logs(id, LogQuery.tail(lines))) {
            return logs.lines().toList();
        }
    }

    /** A runner's output as a stream (following it when {@code query.follow()}); close it when done. */
    public LogStream logs(String runner, LogQuery query) {
        String id = reconciler.instanceOf(runner).orElseThrow(() ->
                new RunnerFleetException("runner " + runner + " of fleet " + name + " has no instance right now"));
        return backend.logs(id, query);
    }

    /** Adds a listener for this fleet's events. */
    public void addListener(FleetListener listener) {
        events.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Begins draining every runner and removing its instance (volumes kept); returns at once. */
    public void shutdown() {
        ending.begin(false, false);
    }

    /** Like {@link #shutdown()} but kills running jobs. */
    public void shutdownNow() {
        ending.begin(true, false);
    }

    /** Waits for a shutdown to finish; true when it did within {@code timeout}. */
    public boolean awaitTermination(Duration timeout) {
        return ending.await(timeout);
    }

    /**
     * Deregisters every runner, deletes the instances and their volumes, and closes the fleet. Running
     * jobs finish first (within the drain timeout). Blocks until done. Once a removal has finished,
     * further {@code remove()} or {@code removeNow()} calls do nothing.
     *
     * @throws FleetTimeoutException naming the runners that were still busy and were left running; the
     *     fleet stays open so {@link #removeNow()} can finish
     * @throws IllegalStateException after {@link #close()} without removal: the runners still run, and a
     *     new fleet with the same name adopts them and can remove them
     */
    public void remove() {
        removeAll(false);
    }

    /** Like {@link #remove()} but kills running jobs. */
    public void removeNow() {
        removeAll(true);
    }

    private void removeAll(boolean kill) {
        if (ending.remove(kill)) {
            close();
        }
    }

    /**
     * Stops the fleet's threads. Runners keep running and a new fleet with this name adopts them; after
     * {@link #shutdown()}, waits for it first (bounded by the drain timeout).
     */
    @Override
    public void close() {
        ending.awaitThread();
        reconciler.close();
        events.close();
    }

    /** How many registration tokens this fleet asked for (they are shared until shortly before they expire). */
    public int registrationTokensMinted() {
        return reconciler.tokensMinted();
    }

    private RunnerPool pool(String pool) {
        return pools.stream().filter(p -> p.name().equals(pool)).findFirst().orElseThrow(() ->
                new InvalidSpecException("fleet " + name + " has no pool '" + pool + "'; its pools are "
                        + String.join(", ", pools.stream().map(RunnerPool::name).toList())));
    }

    @Override
    public String toString() {
        List<Runner> runners = runners();
        Map<String, Long> byState = new LinkedHashMap<>();
        runners.forEach(r -> byState.merge(r.state().name(), 1L, Long::sum));
        return "RunnerFleet[" + name + ", " + registry.scope() + ", " + runners.size() + " runners " + byState
                + (reconciler.closed() ? ", closed" : "") + "]";
    }

    /**
     * Builds a {@link RunnerFleet}. Required: {@code name}, {@code registry}, {@code backend}, at least one
     * pool. Defaults: reconcile every 15 s (every 1 s while runners are being created), registration
     * timeout 10 min, drain timeout 10 min, start timeout = registration timeout + 1 min, 8 runners
     * provisioned at once, 5 failures before a runner is left {@code Failed}, backoff from 2 s doubling to
     * 5 min, the system UTC clock, the image of the first pool that has one for pools without one (else
     * {@value #DEFAULT_IMAGE}).
     */
    public static final class Builder {
        private String name;
        private RunnerRegistry registry;
        private RunnerBackend backend;
        private final Map<String, RunnerPool> pools = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();
        private ExecutorService executor;
        private final List<FleetListener> listeners = new ArrayList<>();
        private RunnerImage image;
        private Duration interval = Duration.ofSeconds(15);
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration quietInterval;
        private Duration registrationTimeout = Duration.ofMinutes(10);
        private Duration drainTimeout = Duration.ofMinutes(10);
        private Duration startTimeout;
        private Duration backoffBase = Duration.ofSeconds(2);
        private Duration backoffMax = Duration.ofMinutes(5);
        private int parallelism = DEFAULT_PARALLELISM;
        private int maxFailures = 5;

        private Builder() {
        }

        /** The fleet's name: lower-case letters, digits and inner dashes, at most 24 characters. */
        public Builder name(String name) {
            this.name = RunnerName.validatePart("fleet", name);
            return this;
        }

        /** Where runners register (GitHub). */
        public Builder registry(RunnerRegistry registry) {
            this.registry = Objects.requireNonNull(registry, "registry");
            return this;
        }

        /** Where runners run (Docker, host processes). */
        public Builder backend(RunnerBackend backend) {
            this.backend = Objects.requireNonNull(backend, "backend");
            return this;
        }

        /** Adds a pool. */
        public Builder pool(RunnerPool pool) {
            Objects.requireNonNull(pool, "pool");
            if (pools.putIfAbsent(pool.name(), pool) != null) {
                throw new InvalidSpecException("fleet " + name + " already has a pool named '" + pool.name() + "'");
            }
            return this;
        }

        /** Adds a pool from its builder. */
        public Builder pool(RunnerPool.Builder pool) {
            return pool(Objects.requireNonNull(pool, "pool").build());
        }

        /** The image for pools that name none. */
        public Builder image(RunnerImage image) {
            this.image = Objects.requireNonNull(image, "image");
            return this;
        }

        /** The clock for events and timeouts (tests inject one). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Threads for provisioning and removal instead of the fleet's own (the fleet does not shut it down). */
        public Builder executor(ExecutorService executor) {
            this.executor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /** Adds an event listener. */
        public Builder listener(FleetListener listener) {
            listeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /** How often a steady fleet reconciles; default 15 s. */
        public Builder reconcileInterval(Duration interval) {
            this.interval = positive("reconcileInterval", interval);
            return this;
        }

        /**
         * How often a quiet steady fleet reconciles: once four cycles in a row observed exactly what the one before
         * did, a fleet whose pools are all fixed and none keeps warm capacity waits this long between cycles, until
         * a cycle sees a change. Default twice the reconcile interval (30 s: a steady fleet's one conditional list
         * a cycle is then 120 requests an hour); the reconcile interval itself never stretches. Runner exits,
         * listening runners, demand and the fleet's own actions wake it at once whatever the interval; what waits
         * longer is what changes behind its back at GitHub (a runner going busy, offline or deleted there).
         *
         * @throws InvalidSpecException at {@link #build()} when shorter than the reconcile interval
         */
        public Builder quietInterval(Duration interval) {
            this.quietInterval = positive("quietInterval", interval);
            return this;
        }

        /** How often a converging fleet reconciles; default 1 s. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = positive("pollInterval", pollInterval);
            return this;
        }

        /** How long an instance may take to come online at GitHub before it counts as an orphan; default 10 min. */
        public Builder registrationTimeout(Duration timeout) {
            this.registrationTimeout = positive("registrationTimeout", timeout);
            return this;
        }

        /** How long a busy runner may take to finish its job when drained; default 10 min. */
        public Builder drainTimeout(Duration timeout) {
            this.drainTimeout = positive("drainTimeout", timeout);
            return this;
        }

        /** How long {@link RunnerFleet#start()} waits for every runner; default registration timeout + 1 min. */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = positive("startTimeout", timeout);
            return this;
        }

        /** How many runners are created or removed at once; default 16 (launches mostly wait on the engine and GitHub). */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1 || parallelism > 100) {
                throw new InvalidSpecException("parallelism must be 1 to 100 (GitHub allows at most 100 concurrent requests), got " + parallelism);
            }
            this.parallelism = parallelism;
            return this;
        }

        /** Failures of one runner before it is left Failed; default 5. */
        public Builder maxFailures(int maxFailures) {
            if (maxFailures < 1) {
                throw new InvalidSpecException("maxFailures must be at least 1, got " + maxFailures);
            }
            this.maxFailures = maxFailures;
            return this;
        }

        /** The wait after a runner's first failure (doubled after each further one) and the longest wait. */
        public Builder backoff(Duration base, Duration max) {
            this.backoffBase = positive("backoff base", base);
            this.backoffMax = positive("backoff max", max);
            if (max.compareTo(base) < 0) {
                throw new InvalidSpecException("backoff max " + max + " is shorter than its base " + base);
            }
            return this;
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new InvalidSpecException(what + " must be a positive duration, got " + d);
            }
            return d;
        }

        /**
         * Builds the fleet; nothing is created until {@link RunnerFleet#start()}.
         *
         * @throws InvalidSpecException naming what is missing or inconsistent
         */
        public RunnerFleet build() {
            List<String> missing = new ArrayList<>();
            if (name == null) {
                missing.add(".name(\"...\")");
            }
            if (registry == null) {
                missing.add(".registry(...)");
            }
            if (backend == null) {
                missing.add(".backend(...)");
            }
            if (pools.isEmpty()) {
                missing.add(".pool(RunnerPool.builder(\"...\")...)");
            }
            if (!missing.isEmpty()) {
                throw new InvalidSpecException("a fleet needs " + String.join(", ", missing));
            }
            if (quietInterval != null && quietInterval.compareTo(interval) < 0) {
                throw new InvalidSpecException("fleet " + name + ": quietInterval " + quietInterval + " is shorter than the"
                        + " reconcileInterval " + interval + "; make it at least as long (equal never stretches the interval)");
            }
            return new RunnerFleet(this);
        }
    }
}
