package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetTimeoutException;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerStartException;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.RunnerLifecycle;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationGrant;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a fleet's runners as declared: compares the wanted runners with what the backend (instances
 * by ownership label) and GitHub (one runner list per cycle) report, and acts only through each
 * runner's lifecycle. Decisions are made on one reconciler thread; creating and removing runners runs
 * on a bounded pool of worker threads. Both are named daemon threads the fleet owns.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");
    private static final int LOG_LINES_ON_FAILURE = 20;
    private static final Duration KILL_GRACE = Duration.ofSeconds(10);
    // How long after a queued job the fleet polls at the converging rate for a runner to take it.
    private static final Duration JOB_AWAITED = Duration.ofMinutes(2);

    private final String fleet;
    private final RunnerRegistry registry;
    private final RunnerBackend backend;
    private final Map<String, PoolPlan> pools = new LinkedHashMap<>();
    private final Clock clock;
    private final FleetSettings settings;
    private final EventBus events;
    // When each runner reached Removed (System.nanoTime), so that a cycle whose observation predates the
    // removal does not adopt the instance or registration it saw of that runner as a stray.
    private final Map<String, Long> removedAt = new ConcurrentHashMap<>();
    private final TokenCache tokens;
    private final PendingDeregistrations deadRegistrations = new PendingDeregistrations();
    // A job was queued (demand): poll at the converging rate until a runner is seen taking it, bounded.
    private volatile Instant jobAwaitedUntil = Instant.MIN;
    private final Random random = new Random();
    private final ScheduledExecutorService loop;
    private final ExecutorService workers;
    private final boolean ownWorkers;
    private final Map<String, Integer> desired = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<String>> images = new ConcurrentHashMap<>();
    // slot key "pool#index" -> the runner in that slot
    private final Map<String, ManagedRunner> slots = new LinkedHashMap<>();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final AtomicLong cycles = new AtomicLong();
    private final Object cycleDone = new Object();
    private volatile Map<String, RegisteredRunner> lastRegistered = new ConcurrentHashMap<>();
    private volatile String lastObservationError;
    private volatile boolean started;
    private volatile boolean stopping;
    private volatile boolean killAll;
    private volatile boolean closed;
    private ScheduledFuture<?> periodic;
    private Subscription subscription;

    public Reconciler(String fleet, RunnerRegistry registry, RunnerBackend backend, List<PoolPlan> pools, Clock clock,
                      FleetSettings settings, EventBus events, ExecutorService executor) {
        this.fleet = fleet;
        this.registry = registry;
        this.backend = backend;
        pools.forEach(p -> {
            this.pools.put(p.name(), p);
            desired.put(p.name(), p.initial());
        });
        this.clock = clock;
        this.settings = settings;
        this.events = events;
        this.tokens = new TokenCache(registry, clock);
        this.loop = Executors.newSingleThreadScheduledExecutor(Threads.named("runnerfleet-" + fleet + "-reconciler"));
        this.ownWorkers = executor == null;
        this.workers = executor != null ? executor
                : Executors.newFixedThreadPool(settings.parallelism(), Threads.named("runnerfleet-" + fleet + "-worker"));
    }

    // ---- running ------------------------------------------------------------------------------------

    /** Starts the periodic cycles and the event subscription; idempotent. */
    public synchronized void start() {
        if (closed) {
            throw new IllegalStateException("fleet " + fleet + " is closed; build a new one (it adopts the runners)");
        }
        if (started) {
            wake();
            return;
        }
        started = true;
        subscription = backend.events(fleet, this::onInstanceEvent);
        schedule(Duration.ZERO);
    }

    private synchronized void schedule(Duration delay) {
        if (closed) {
            return;
        }
        if (periodic != null) {
            periodic.cancel(false);
        }
        periodic = loop.schedule(this::tick, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            cycle();
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: reconcile cycle failed: {}", fleet, e.toString());
        } finally {
            if (!closed) {
                schedule(converging() ? settings.pollInterval() : settings.interval());
            }
        }
    }

    /** Asks for a cycle as soon as possible (coalesced). */
    public void wake() {
        if (closed || !started) {
            return;
        }
        if (wakePending.compareAndSet(false, true)) {
            loop.execute(() -> {
                wakePending.set(false);
                tick();
            });
        }
    }

    /** Runs one cycle now on the reconciler thread and waits for it (bounded). */
    public void reconcileNow(Duration timeout) {
        if (!started) {
            throw new IllegalStateException("fleet " + fleet + " is not started");
        }
        try {
            loop.submit(this::cycle).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new FleetTimeoutException("fleet " + fleet + ": a reconcile cycle took longer than " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new RunnerFleetException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerFleetException("interrupted while reconciling fleet " + fleet, e);
        }
    }

    private void onInstanceEvent(InstanceEvent event) {
        if (event.kind() == InstanceEvent.Kind.EXITED || event.kind() == InstanceEvent.Kind.OOM_KILLED) {
            ManagedRunner r = byName(event.runnerName());
            if (r != null && event.kind() == InstanceEvent.Kind.EXITED) {
                events.onEvent(new FleetEvent.InstanceExited(r.name, event.instanceId(),
                        event.exitCode() == null ? -1 : event.exitCode(), false, clock.instant()));
            }
        }
        wake();
    }

    private boolean converging() {
        if (clock.instant().isBefore(jobAwaitedUntil)) {
            return true;
        }
        synchronized (slots) {
            return slots.values().stream().anyMatch(r -> r.claimed() || StateDerivation.converging(r.state()));
        }
    }

    // ---- the cycle ----------------------------------------------------------------------------------

    void cycle() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        long observedAt = System.nanoTime();
        Map<String, InstanceInfo> instances;
        Map<String, RegisteredRunner> registered;
        try {
            instances = new HashMap<>();
            for (InstanceInfo i : backend.instances(fleet)) {
                instances.put(key(i.runnerName()), i);
            }
            registered = new HashMap<>();
            String prefix = key(fleet + "-");
            for (RegisteredRunner r : registry.runners()) {
                if (key(r.name()).startsWith(prefix)) {
                    registered.put(key(r.name()), r);
                }
            }
        } catch (RuntimeException e) {
            if (closed) {
                // close() interrupts a cycle that is waiting on GitHub or Docker: expected, not a fault.
                LOG.debug("fleet {}: observation ended by close ({})", fleet, e.getMessage());
                finishCycle();
                return;
            }
            // One warning when GitHub or the engine goes away, not one per cycle; one line when it is back.
            if (lastObservationError == null) {
                LOG.warn("fleet {}: cannot observe runners ({}); retrying every cycle, quietly until it answers",
                        fleet, e.getMessage());
            } else {
                LOG.debug("fleet {}: still cannot observe runners ({})", fleet, e.getMessage());
            }
            lastObservationError = e.getMessage();
            finishCycle();
            return;
        }
        if (lastObservationError != null) {
            LOG.info("fleet {}: observing runners again (the last error was: {})", fleet, lastObservationError);
            lastObservationError = null;
        }
        for (String name : deadRegistrations.settle(registered.values(), registry)) {
            events.onEvent(new FleetEvent.RunnerRemoved(name, "registration of a runner whose instance died,"
                    + " deleted once GitHub let go of it", clock.instant()));
        }
        registered = deadRegistrations.hide(registered);
        lastRegistered = new ConcurrentHashMap<>(registered);
        if (!stopping) {
            adopt(instances, registered, now, observedAt);
            fillSlots(now);
        }
        List<ManagedRunner> runners;
        synchronized (slots) {
            runners = new ArrayList<>(slots.values());
        }
        for (ManagedRunner r : runners) {
            if (!r.tryClaim()) {
                continue;
            }
            // What we observed predates its last change: decide next cycle. A Requested runner is the
            // exception: its step reads no observation, and one that fillSlots just created (for a queued
            // job, say) would otherwise wait a whole poll interval before its launch starts.
            if (r.touchedAfter(observedAt) && !(r.state() instanceof RunnerState.Requested)) {
                r.release();
                continue;
            }
            boolean handedOver = false;
            try {
                handedOver = step(r, instances.get(key(r.name)), registered.get(key(r.name)), now);
            } catch (RuntimeException e) {
                LOG.warn("fleet {}: runner {}: {}", fleet, r.name, e.toString());
            } finally {
                if (!handedOver) {
                    r.release();
                }
            }
        }
        if (!stopping) {
            removeGhosts(instances, registered);
            scaleDownIdle(now);
        }
        dropRemoved();
        finishCycle();
    }

    private void finishCycle() {
        cycles.incrementAndGet();
        synchronized (cycleDone) {
            cycleDone.notifyAll();
        }
    }

    /** Decides for one claimed runner by the {@link StateDerivation} rules; returns true when a task took over the claim. */
    private boolean step(ManagedRunner r, InstanceInfo inst, RegisteredRunner reg, Instant now) {
        synchronized (r) {
            r.instanceState = inst == null ? "-" : inst.state().name().toLowerCase(Locale.ROOT);
            r.online = reg != null && reg.online();
            r.busy = reg != null && reg.busy();
            if (inst != null) {
                r.instanceId = inst.id();
            }
            if (reg != null) {
                r.githubId = reg.id();
            }
        }
        RunnerState before = r.state();
        StateDerivation.Decision d = StateDerivation.decide(before,
                new StateDerivation.Observation(inst, reg, r.pool.ephemeral()), r.facts(now, stopping), settings);
        for (StateDerivation.Step s : d.steps()) {
            r.lifecycle.transition(s.to(), s.cause());
            if (s.to() instanceof RunnerState.Offline) {
                r.offlineSince = now;
            }
        }
        return switch (d.action()) {
            case NONE -> false;
            case ONLINE -> {
                becomeOnline(r, before, reg);
                yield false;
            }
            case LAUNCH -> {
                workers.execute(() -> provision(r, false));
                yield true;
            }
            case RELAUNCH -> {
                workers.execute(() -> provision(r, true));
                yield true;
            }
            case RENEW -> renew(r, d.reason());
            case FAIL -> fail(r, d.reason(), d.failure());
            case FINISH -> finish(r);
        };
    }

    private void becomeOnline(ManagedRunner r, RunnerState before, RegisteredRunner reg) {
        if (reg.busy() && !(before instanceof RunnerState.Active)) {
            jobAwaitedUntil = Instant.MIN;   // the awaited job (or one like it) was taken: back to the steady rate
        }
        synchronized (r) {
            r.offlineSince = null;
            r.failures = 0;
            r.outages = 0;
            r.adoptedUnregistered = false;
            r.idleSince = reg.busy() ? null : (r.idleSince == null ? clock.instant() : r.idleSince);
            if (!r.registeredEventSent) {
                r.registeredEventSent = true;
                events.onEvent(new FleetEvent.RunnerRegistered(r.name, reg.id(), reg.labels(), clock.instant()));
            }
        }
    }

    // ---- acting (on worker threads, holding the runner's claim) ---------------------------------------

    private void provision(ManagedRunner r, boolean replacing) {
        JitConfig issued = null;
        try {
            if (replacing) {
                cleanup(r, !r.pool.ephemeral(), false);
            }
            String image = image(r.pool);
            RegistrationGrant grant;
            if (r.pool.jit()) {
                issued = jit(r);
                grant = issued;
            } else {
                grant = tokens.get();
            }
            LaunchSpec spec = r.pool.launchSpec(runnerName(r), image, registry.registrationUrl(), grant);
            InstanceInfo info;
            try {
                info = backend.launch(spec);
            } catch (RuntimeException e) {
                // A half-created runner is removed by the backend; its JIT registration must not stay as a ghost.
                if (issued != null) {
                    deregisterQuietly(r.name, issued.runnerId());
                }
                throw e;
            }
            synchronized (r) {
                r.instanceId = info.id();
                r.launchedAt = clock.instant();
                if (issued != null) {
                    r.githubId = issued.runnerId();
                }
            }
            events.onEvent(new FleetEvent.InstanceLaunched(r.name, info.id(), image, clock.instant()));
            r.lifecycle.transition(new RunnerState.Registering(), "instance " + info.shortId() + " started");
        } catch (RuntimeException e) {
            failInWorker(r, describe(e), Failures.of(e));
            return;
        } finally {
            r.release();
            wake();
        }
    }

    private RunnerName runnerName(ManagedRunner r) {
        return RunnerName.parse(fleet, List.of(r.pool.name()), r.name).orElseThrow(() ->
                new IllegalStateException("runner name " + r.name + " does not parse for pool " + r.pool.name()));
    }

    private JitConfig jit(ManagedRunner r) {
        JitRequest request = r.pool.jitRequest(runnerName(r), registry.runnerGroupId(r.pool.runnerGroup()));
        try {
            return registry.jitConfig(request);
        } catch (RunnerNameConflictException e) {
            // A registration left by a crash holds the name: delete it when it is idle and offline, then ask once more.
            Optional<RegisteredRunner> existing = registry.runners().stream()
                    .filter(x -> x.name().equalsIgnoreCase(r.name)).findFirst();
            if (existing.isPresent() && !existing.get().busy() && !existing.get().online()) {
                registry.delete(existing.get());
                return registry.jitConfig(request);
            }
            throw e;
        }
    }

    private String image(PoolPlan pool) {
        CompletableFuture<String> mine = new CompletableFuture<>();
        CompletableFuture<String> f = images.putIfAbsent(pool.name(), mine);
        if (f == null) {
            Instant t0 = clock.instant();
            try {
                String ref = backend.prepare(pool.image(), progress -> { });
                events.onEvent(new FleetEvent.ImagePrepared(ref, Duration.between(t0, clock.instant()), clock.instant()));
                mine.complete(ref);
            } catch (RuntimeException e) {
                images.remove(pool.name(), mine);   // a failed build is never recorded as done
                mine.completeExceptionally(e);
            }
            f = mine;
        }
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }

    /** Fails a runner from the reconciler thread: the work runs on a worker. */
    private boolean fail(ManagedRunner r, String reason, Failures kind) {
        workers.execute(() -> {
            try {
                failInWorker(r, reason, kind);
            } finally {
                r.release();
                wake();
            }
        });
        return true;
    }

    private void failInWorker(ManagedRunner r, String reason, Failures kind) {
        List<String> lines = lastLogLines(r);
        try {
            cleanup(r, !r.pool.ephemeral(), false);
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: cleaning up runner {} failed: {}", fleet, r.name, e.toString());
        }
        int failures;
        int outages;
        synchronized (r) {
            failures = switch (kind) {
                case TRANSIENT -> r.failures;
                case COUNTED -> ++r.failures;
                // An invalid spec (a missing device, a bad image reference) fails the same way every time: no retries.
                case PERMANENT -> Math.max(++r.failures, settings.maxFailures());
            };
            outages = kind == Failures.TRANSIENT ? r.outages + 1 : 0;
        }
        if (failures >= settings.maxFailures()) {
            synchronized (r) {
                r.failedAt = clock.instant();
                r.permanentFailure = kind == Failures.PERMANENT;
            }
            String retry = kind == Failures.PERMANENT ? "" : "; its slot is tried again in " + settings.failedRetry();
            r.lifecycle.transition(new RunnerState.Failed(reason + " (failure " + failures + " of " + settings.maxFailures()
                    + ")", lines), reason + retry);
            return;
        }
        Duration wait = kind == Failures.TRANSIENT ? settings.transientBackoff(outages) : settings.backoff(failures);
        LOG.debug("fleet {}: runner {} failed ({}), retry in {}: {}", fleet, r.name, kind, wait, reason);
        if (!(r.state() instanceof RunnerState.Removing)) {
            r.lifecycle.transition(new RunnerState.Removing(), kind == Failures.TRANSIENT
                    ? "GitHub or the engine is unavailable (not counted as a failure): " + reason
                    : "failure " + failures + ": " + reason);
        }
        r.lifecycle.transition(new RunnerState.Removed(), "will retry in " + wait);
        ManagedRunner next = succeed(r, clock.instant().plus(wait));
        synchronized (next) {
            next.failures = failures;
            next.outages = outages;
            next.lastError = reason;
        }
    }

    /** Puts a new runner in {@code r}'s slot, to be launched from {@code notBefore}. */
    private ManagedRunner succeed(ManagedRunner r, Instant notBefore) {
        ManagedRunner next = newRunner(r.pool, r.index);
        synchronized (next) {
            next.nextAttempt = notBefore;
        }
        synchronized (slots) {
            slots.put(slotKey(r.pool.name(), r.index), next);
        }
        return next;
    }

    /**
     * Removes a runner whose instance is dead, unregistered or failed, and puts a new one in its slot at
     * once, under a new name where the runner kind needs one (ephemeral). Not a failure of the runner.
     */
    private boolean renew(ManagedRunner r, String why) {
        workers.execute(() -> {
            try {
                r.lifecycle.transition(new RunnerState.Removing(), "replacing: " + why);
                // A persistent runner keeps its volumes: its successor has the same name and reuses them.
                cleanup(r, !r.pool.ephemeral(), false);
                r.lifecycle.transition(new RunnerState.Removed(), "replaced by a new runner: " + why);
                ManagedRunner next = succeed(r, clock.instant());
                synchronized (next) {
                    next.outages = r.outages;
                }
            } catch (RuntimeException e) {
                failInWorker(r, "could not remove the runner it replaces: " + describe(e), Failures.of(e));
            } finally {
                r.release();
                wake();
            }
        });
        return true;
    }

    /** An ephemeral runner did its job (or a runner is done): remove it; a fixed pool gets a new one. */
    private boolean finish(ManagedRunner r) {
        // An on-demand pool grew by one for the job this runner just finished: shrink it back instead of
        // replacing the runner. Only from the top slot, so that no other runner (perhaps about to take a
        // queued job) is drained for it; extra runners below it idle out through the pool's idle timeout.
        if (r.pool.idleTimeout() != null && !stopping && r.index == desired.get(r.pool.name())) {
            adjust(r.pool.name(), -1, "ephemeral runner " + r.name + " finished its job");
        }
        workers.execute(() -> {
            try {
                r.lifecycle.transition(new RunnerState.Removing(), "removing the finished runner");
                cleanup(r, false, false);
                r.lifecycle.transition(new RunnerState.Removed(), "finished runner removed");
                events.onEvent(new FleetEvent.RunnerRemoved(r.name, "ephemeral runner finished its job", clock.instant()));
            } catch (RuntimeException e) {
                failInWorker(r, "could not remove the finished runner: " + describe(e), Failures.of(e));
            } finally {
                r.release();
                wake();
            }
        });
        return true;
    }

    /**
     * Deregisters (unless busy: a job is never killed here unless {@code kill}) and removes the instance.
     *
     * @throws RunnerBusyException when the runner is busy and not killed
     */
    private void cleanup(ManagedRunner r, boolean keepVolumes, boolean kill) {
        String instanceId = r.instanceId;
        if (instanceId == null) {
            instanceId = backend.instance(fleet, r.name).map(InstanceInfo::id).orElse(null);
        }
        if (kill && instanceId != null) {
            // Killing on purpose: the instance goes first. A stop signal lets the runner cancel its job and go
            // offline, so GitHub lets go of the registration; the grace bounds how long that may take.
            backend.stop(instanceId, KILL_GRACE);
            backend.remove(instanceId, keepVolumes);
            synchronized (r) {
                r.instanceId = null;
            }
            instanceId = null;
        }
        RegisteredRunner reg = registered(r);
        if (reg != null && reg.busy() && !kill && runs(instanceId)) {
            throw new RunnerBusyException(r.name, "runner " + r.name + " is running a job; it is left alone until the job ends");
        }
        if (reg != null) {
            deregister(r, reg, instanceId, kill);
        }
        if (instanceId != null) {
            backend.remove(instanceId, keepVolumes);
        }
        synchronized (r) {
            r.instanceId = null;
            r.githubId = 0;
            r.registeredEventSent = false;
        }
    }

    /**
     * Deregisters before the instance is destroyed. A job that started since the last look makes GitHub
     * refuse (422): that surfaces as RunnerBusyException and a live instance is left alone to finish it.
     * The registration of a dead (or just killed) instance is another matter: its job is lost anyway and
     * GitHub lets go once it notices the session is gone, so it is deleted on a later cycle instead.
     */
    private void deregister(ManagedRunner r, RegisteredRunner reg, String instanceId, boolean kill) {
        try {
            registry.delete(reg);
        } catch (RunnerBusyException busy) {
            if (!kill && runs(instanceId)) {
                throw busy;
            }
            deadRegistrations.add(reg);
        }
        lastRegistered.remove(key(r.name));
    }

    /** Whether the instance exists and runs (a fresh look: only asked when a job might be at stake). */
    private boolean runs(String instanceId) {
        return instanceId != null && backend.instance(fleet, instanceId).map(InstanceInfo::running).orElse(false);
    }

    // The last cycle's view, not a fresh list: GitHub itself refuses (422) to delete a runner that became
    // busy since, and a registration that appeared since is a ghost the next cycle removes. One list per
    // cycle keeps a steady fleet within its request budget.
    private RegisteredRunner registered(ManagedRunner r) {
        return lastRegistered.get(key(r.name));
    }

    private void deregisterQuietly(String name, long id) {
        try {
            registry.delete(new RegisteredRunner(id, name, "", false, false, io.runnerfleet.LabelSet.empty(), true));
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: could not deregister {} after a failed launch: {}", fleet, name, e.toString());
        }
    }

    private List<String> lastLogLines(ManagedRunner r) {
        String id = r.instanceId;
        if (id == null) {
            return List.of();
        }
        try (LogStream logs = backend.logs(id, LogQuery.tail(LOG_LINES_ON_FAILURE))) {
            return logs.lines().toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static String describe(RuntimeException e) {
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof RunnerFleetException ? what : e.getClass().getSimpleName() + ": " + what;
    }

    // ---- slots, adoption, ghosts, scaling ----------------------------------------------------------

    private ManagedRunner newRunner(PoolPlan pool, int index) {
        RunnerName name = pool.ephemeral() ? RunnerName.ephemeral(fleet, pool.name(), index, random)
                : RunnerName.of(fleet, pool.name(), index);
        return new ManagedRunner(pool, index, name.toString(), new RunnerLifecycle(name.toString(), clock, this::lifecycleEvent));
    }

    private ManagedRunner adopted(PoolPlan pool, int index, String name, RunnerState state) {
        return new ManagedRunner(pool, index, name, new RunnerLifecycle(name, state, clock, this::lifecycleEvent));
    }

    private void lifecycleEvent(FleetEvent event) {
        if (event instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Removed) {
            removedAt.put(key(sc.runner()), System.nanoTime());
        }
        events.onEvent(event);
    }

    private void fillSlots(Instant now) {
        synchronized (slots) {
            for (PoolPlan pool : pools.values()) {
                int want = desired.get(pool.name());
                for (int i = 1; i <= want; i++) {
                    String key = slotKey(pool.name(), i);
                    ManagedRunner r = slots.get(key);
                    if (r == null || (!r.live() && !r.claimed())) {
                        slots.put(key, newRunner(pool, i));
                    }
                }
            }
        }
    }

    /** Takes over runners an earlier fleet of this name left (by ownership label and GitHub name). */
    private void adopt(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered, Instant now,
                       long observedAt) {
        // Removals older than this observation are settled: what it saw of those runners is real.
        removedAt.values().removeIf(t -> t - observedAt < 0);
        Map<String, String> names = new LinkedHashMap<>();
        instances.values().forEach(i -> names.put(key(i.runnerName()), i.runnerName()));
        registered.values().forEach(r -> names.putIfAbsent(key(r.name()), r.name()));
        List<String> poolNames = new ArrayList<>(pools.keySet());
        for (Map.Entry<String, String> e : names.entrySet()) {
            if (byName(e.getValue()) != null || removedAt.containsKey(e.getKey())) {
                continue; // ours already, or removed after this observation was taken (it saw the runner going)
            }
            Optional<RunnerName> maybe = RunnerName.parse(fleet, poolNames, e.getValue());
            if (maybe.isEmpty()) {
                continue; // another fleet whose name starts like ours, or a hand-made runner: not ours to touch
            }
            RunnerName parsed = maybe.get();
            PoolPlan pool = pools.get(parsed.pool());
            InstanceInfo inst = instances.get(e.getKey());
            RegisteredRunner reg = registered.get(e.getKey());
            String key = slotKey(pool.name(), parsed.index());
            synchronized (slots) {
                ManagedRunner current = slots.get(key);
                boolean free = current == null || (!current.live() && !current.claimed())
                        || (current.state() instanceof RunnerState.Requested && !current.claimed());
                boolean wanted = parsed.index() <= desired.get(pool.name());
                if (!free || !wanted || inst == null) {
                    continue; // left for removeGhosts (registration without instance) or removeStrays below
                }
                RunnerState state = StateDerivation.adopted(new StateDerivation.Observation(inst, reg, pool.ephemeral()));
                ManagedRunner r = adopted(pool, parsed.index(), e.getValue(), state);
                synchronized (r) {
                    r.instanceId = inst.id();
                    r.launchedAt = inst.startedAt() != null ? inst.startedAt() : now;
                    r.offlineSince = state instanceof RunnerState.Offline ? now : null;
                    r.adoptedUnregistered = state instanceof RunnerState.Registering;
                    r.registeredEventSent = reg != null;
                }
                slots.put(key, r);
                LOG.info("fleet {}: adopted runner {} ({})", fleet, r.name, state);
            }
        }
        removeStrays(instances, registered);
    }

    // Instances of ours that no slot wants (excess after scaling down, pools that no longer exist) go.
    private void removeStrays(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered) {
        for (InstanceInfo inst : instances.values()) {
            if (byName(inst.runnerName()) != null || removedAt.containsKey(key(inst.runnerName()))) {
                continue;
            }
            RegisteredRunner reg = registered.get(key(inst.runnerName()));
            if (reg != null && reg.busy()) {
                continue; // never kill a job: it goes when the job ends
            }
            workers.execute(() -> {
                try {
                    if (reg != null) {
                        registry.delete(reg);
                    }
                    backend.remove(inst.id(), false);
                    events.onEvent(new FleetEvent.RunnerRemoved(inst.runnerName(), "not wanted by any pool of fleet "
                            + fleet, clock.instant()));
                } catch (RuntimeException ex) {
                    LOG.warn("fleet {}: removing unwanted runner {} failed: {}", fleet, inst.runnerName(), ex.toString());
                }
            });
        }
    }

    private void removeGhosts(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered) {
        for (RegisteredRunner reg : registered.values()) {
            if (reg.online() || reg.busy() || instances.containsKey(key(reg.name()))) {
                continue;
            }
            ManagedRunner r = byName(reg.name());
            if (r != null && (r.claimed() || r.state() instanceof RunnerState.Provisioning)) {
                continue; // being created right now: its instance is on the way
            }
            if (r != null && r.live() && !(r.state() instanceof RunnerState.Requested)
                    && !(r.state() instanceof RunnerState.Failed)) {
                continue; // the runner's own step handles it
            }
            if (RunnerName.parse(fleet, pools.keySet(), reg.name()).isEmpty()) {
                continue;
            }
            try {
                registry.delete(reg);
                events.onEvent(new FleetEvent.RunnerRemoved(reg.name(), "ghost: registered at GitHub, offline, no instance",
                        clock.instant()));
            } catch (RuntimeException e) {
                LOG.warn("fleet {}: removing ghost {} failed: {}", fleet, reg.name(), e.toString());
            }
        }
    }

    private void scaleDownIdle(Instant now) {
        for (PoolPlan pool : pools.values()) {
            Duration idle = pool.idleTimeout();
            int want = desired.get(pool.name());
            if (idle == null || want <= pool.min()) {
                continue;
            }
            ManagedRunner last;
            synchronized (slots) {
                last = slots.get(slotKey(pool.name(), want));
            }
            if (last != null && last.state() instanceof RunnerState.Idle && last.idleSince != null
                    && now.isAfter(last.idleSince.plus(idle))) {
                scale(pool.name(), want - 1, "idle for " + idle);
            }
        }
    }

    private void dropRemoved() {
        synchronized (slots) {
            slots.entrySet().removeIf(e -> {
                ManagedRunner r = e.getValue();
                int index = r.index;
                return !r.live() && !r.claimed() && index > desired.getOrDefault(r.pool.name(), 0);
            });
        }
    }

    // ---- operations for the facade -------------------------------------------------------------------

    public void scale(String pool, int count, String reason) {
        PoolPlan plan = pool(pool);
        if (count < 0 || count > plan.max()) {
            throw new io.runnerfleet.InvalidSpecException("pool " + pool + " of fleet " + fleet + " can have 0 to "
                    + plan.max() + " runners, asked for " + count);
        }
        scaled(plan, desired.put(pool, count), count, reason);
    }

    /**
     * Moves a pool's wanted count by {@code delta}, atomically and clamped to its {@code min..max}.
     *
     * @return whether the count changed
     */
    public boolean adjust(String pool, int delta, String reason) {
        PoolPlan plan = pool(pool);
        int[] before = new int[1];
        int after = desired.compute(pool, (k, v) -> {
            before[0] = v;
            return Math.max(plan.min(), Math.min(plan.max(), v + delta));
        });
        if (delta > 0) {
            // A job is queued: until a runner is seen taking it, watch at the converging rate (even when the
            // pool is full and nothing is launched), so Active shows within a poll interval, not a cycle.
            jobAwaitedUntil = clock.instant().plus(JOB_AWAITED);
            wake();
        }
        return scaled(plan, before[0], after, reason);
    }

    /** After the wanted count moved from {@code before} to {@code after}: tell, drain the extra, act now. */
    private boolean scaled(PoolPlan plan, int before, int after, String reason) {
        if (after == before) {
            return false;
        }
        events.onEvent(new FleetEvent.PoolScaled(plan.name(), before, after, reason, clock.instant()));
        if (after < before) {
            retireAbove(plan, after);
        }
        wake();
        return true;
    }

    private void retireAbove(PoolPlan plan, int count) {
        List<ManagedRunner> extra;
        synchronized (slots) {
            extra = slots.values().stream().filter(r -> r.pool == plan && r.index > count && r.live()).toList();
        }
        for (ManagedRunner r : extra) {
            workers.execute(() -> {
                try {
                    r.claim();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                try {
                    // A retired runner's slot is gone: so are its volumes (nothing of the same name reuses them).
                    retire(r, false, true, "pool " + plan.name() + " scaled down to " + count);
                } catch (RuntimeException e) {
                    LOG.info("fleet {}: runner {} stays until its job ends: {}", fleet, r.name, e.getMessage());
                } finally {
                    r.release();
                    wake();
                }
            });
        }
    }

    /**
     * Drains and removes one claimed runner: deregister first, re-check busy, then delete the instance.
     * With {@code kill}, a running job is killed.
     */
    void retire(ManagedRunner r, boolean kill, boolean deleteVolumes, String reason) {
        RunnerState s = r.state();
        if (!r.live()) {
            return;
        }
        if (s instanceof RunnerState.Requested) {
            r.lifecycle.transition(new RunnerState.Removed(), reason);
            return;
        }
        if (s instanceof RunnerState.Idle || s instanceof RunnerState.Active) {
            r.lifecycle.transition(new RunnerState.Draining(), reason);
        }
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        while (true) {
            try {
                if (!(r.state() instanceof RunnerState.Draining) && !(r.state() instanceof RunnerState.Removing)) {
                    r.lifecycle.transition(new RunnerState.Removing(), reason);
                }
                // shutdownNow() during a drain turns the wait into a kill.
                cleanup(r, !deleteVolumes, kill || killAll);
                if (!(r.state() instanceof RunnerState.Removing)) {
                    r.lifecycle.transition(new RunnerState.Removing(), reason);
                }
                r.lifecycle.transition(new RunnerState.Removed(), reason);
                events.onEvent(new FleetEvent.RunnerRemoved(r.name, reason, clock.instant()));
                return;
            } catch (RunnerBusyException busy) {
                if (System.nanoTime() - deadline > 0) {
                    throw new FleetTimeoutException("runner " + r.name + " of fleet " + fleet + " was still running a job after the drain timeout "
                            + settings.drainTimeout() + "; it was left running (use the ...Now variant to kill it)");
                }
                pause(Duration.ofMillis(Math.min(1000, settings.pollInterval().toMillis())));
            }
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerFleetException("interrupted", e);
        }
    }

    /** Drains every runner (in parallel, bounded) and waits for all; returns the runners left behind. */
    public List<String> retireAll(boolean kill, boolean deleteVolumes, String reason) {
        stopping = true;
        killAll |= kill;
        List<ManagedRunner> all;
        synchronized (slots) {
            all = new ArrayList<>(slots.values());
        }
        List<CompletableFuture<Void>> done = new ArrayList<>();
        List<String> left = java.util.Collections.synchronizedList(new ArrayList<>());
        for (ManagedRunner r : all) {
            done.add(CompletableFuture.runAsync(() -> {
                try {
                    r.claim();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                try {
                    if (r.state() instanceof RunnerState.Failed) {
                        r.lifecycle.transition(new RunnerState.Removing(), reason);
                        cleanup(r, !deleteVolumes, kill);
                        r.lifecycle.transition(new RunnerState.Removed(), reason);
                    } else {
                        retire(r, kill, deleteVolumes, reason);
                    }
                } catch (RuntimeException e) {
                    left.add(r.name + ": " + e.getMessage());
                } finally {
                    r.release();
                }
            }, workers));
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        // Whatever an earlier fleet left that no slot adopted, and ghosts of our prefix.
        try {
            Map<String, RegisteredRunner> registrations = new HashMap<>();
            registry.runners().forEach(reg -> registrations.put(key(reg.name()), reg));
            for (InstanceInfo inst : backend.instances(fleet)) {
                RegisteredRunner reg = registrations.get(key(inst.runnerName()));
                if (kill || reg == null || !reg.busy()) {
                    backend.remove(inst.id(), !deleteVolumes);
                }
            }
            for (RegisteredRunner reg : registrations.values()) {
                if (!reg.busy() && !deadRegistrations.contains(reg)
                        && RunnerName.parse(fleet, pools.keySet(), reg.name()).isPresent()) {
                    registry.delete(reg);
                }
            }
            if (deleteVolumes) {
                backend.removeVolumes(fleet);   // of runners retired or lost earlier, whose instance is gone
            }
        } catch (RuntimeException e) {
            left.add("final sweep: " + e.getMessage());
        }
        awaitDeadRegistrations(left);
        return List.copyOf(left);
    }

    // Registrations of dead or killed runners go when GitHub lets go of them (it fails their jobs once it
    // notices the sessions are gone): waited for within the drain timeout.
    private void awaitDeadRegistrations(List<String> left) {
        List<String> held = deadRegistrations.awaitSettled(registry, settings.drainTimeout(),
                Duration.ofMillis(Math.min(1000, settings.pollInterval().toMillis())));
        if (!held.isEmpty()) {
            left.add("GitHub still shows " + String.join(", ", held) + " busy after " + settings.drainTimeout()
                    + " although its instance is gone; remove the fleet again once GitHub has failed the job");
        }
    }

    /** Makes drains in progress kill running jobs instead of waiting for them. */
    public void escalateToKill() {
        killAll = true;
    }

    public void stopRunner(String name, Duration grace) {
        ManagedRunner r = require(name);
        withClaim(r, () -> {
            RunnerState s = r.state();
            if (s instanceof RunnerState.Stopped) {
                return;
            }
            if (s instanceof RunnerState.Active) {
                r.lifecycle.transition(new RunnerState.Draining(), "stop requested while running a job");
                long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
                while (Optional.ofNullable(registered(r)).map(RegisteredRunner::busy).orElse(false)) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new FleetTimeoutException("runner " + name + " still runs a job after " + settings.drainTimeout());
                    }
                    pause(Duration.ofMillis(500));
                }
            }
            if (!(r.state() instanceof RunnerState.Idle) && !(r.state() instanceof RunnerState.Draining)
                    && !(r.state() instanceof RunnerState.Offline)) {
                throw new RunnerFleetException("runner " + name + " is " + r.state() + " and cannot be stopped now");
            }
            if (r.instanceId != null) {
                backend.stop(r.instanceId, grace);
            }
            r.userStopped = true;
            r.lifecycle.transition(new RunnerState.Stopped(), "stopped on request");
        });
    }

    public void startRunner(String name) {
        ManagedRunner r = require(name);
        withClaim(r, () -> {
            if (!(r.state() instanceof RunnerState.Stopped)) {
                return;
            }
            r.userStopped = false;
            r.lifecycle.transition(new RunnerState.Provisioning(), "start requested");
            if (r.instanceId != null && backend.instance(fleet, r.instanceId).isPresent()) {
                backend.start(r.instanceId);
                synchronized (r) {
                    r.launchedAt = clock.instant();
                }
                r.lifecycle.transition(new RunnerState.Registering(), "instance started again");
            } else {
                r.lifecycle.transition(new RunnerState.Failed("its instance is gone"), "instance gone");
            }
        });
        wake();
    }

    private void withClaim(ManagedRunner r, Runnable action) {
        try {
            r.claim();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerFleetException("interrupted waiting for runner " + r.name, e);
        }
        try {
            action.run();
        } finally {
            r.release();
            wake();
        }
    }

    // ---- waiting and views ---------------------------------------------------------------------------

    /** Waits until every wanted runner is online (Idle or Active) or failed; throws naming those that are not. */
    public void awaitOnline(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            List<ManagedRunner> runners = live();
            boolean allOnline = runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle
                    || r.state() instanceof RunnerState.Active);
            boolean anyFailed = runners.stream().anyMatch(r -> r.state() instanceof RunnerState.Failed);
            int wanted = desired.values().stream().mapToInt(Integer::intValue).sum();
            if (allOnline && runners.size() >= wanted) {
                return;
            }
            boolean settled = runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle
                    || r.state() instanceof RunnerState.Active || r.state() instanceof RunnerState.Failed);
            if (anyFailed && settled || Instant.now().isAfter(deadline)) {
                List<RunnerStartException.Failure> failures = runners.stream()
                        .filter(r -> !(r.state() instanceof RunnerState.Idle) && !(r.state() instanceof RunnerState.Active))
                        .map(r -> new RunnerStartException.Failure(r.name, r.state().getClass().getSimpleName(),
                                r.state() instanceof RunnerState.Failed f ? f.reason()
                                        : "not online after " + timeout + (r.lastError == null ? "" : "; last error: "
                                        + r.lastError) + (lastObservationError == null ? ""
                                        : "; last observation error: " + lastObservationError),
                                r.state() instanceof RunnerState.Failed ? r.lastLogLines() : tail(r)))
                        .toList();
                throw new RunnerStartException(fleet, failures);
            }
            long seen = cycles.get();
            synchronized (cycleDone) {
                try {
                    if (cycles.get() == seen) {
                        cycleDone.wait(Math.max(1, Math.min(1000, Duration.between(Instant.now(), deadline).toMillis())));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RunnerFleetException("interrupted while starting fleet " + fleet, e);
                }
            }
        }
    }

    private List<String> tail(ManagedRunner r) {
        return lastLogLines(r);
    }

    private List<ManagedRunner> live() {
        synchronized (slots) {
            return slots.values().stream().filter(ManagedRunner::live).sorted(Comparator.comparing(r -> r.name)).toList();
        }
    }

    /** A snapshot of every live runner. */
    public List<RunnerView> runners() {
        List<RunnerView> out = new ArrayList<>();
        for (ManagedRunner r : live()) {
            synchronized (r) {
                RegisteredRunner reg = lastRegistered.get(key(r.name));
                out.add(new RunnerView(r.name, r.pool.name(), r.state(), r.instanceId, r.instanceState,
                        reg == null ? 0 : reg.id(), reg == null ? "-" : reg.displayStatus(), reg != null && reg.busy(),
                        reg != null ? reg.labels() : r.pool.labels()));
            }
        }
        return out;
    }

    /** What the fleet last saw of one runner. */
    public record RunnerView(String name, String pool, RunnerState state, String instanceId, String instanceState,
                             long githubId, String githubStatus, boolean busy, io.runnerfleet.LabelSet labels) {
    }

    public Optional<String> instanceOf(String name) {
        return Optional.ofNullable(require(name).instanceId);
    }

    public int desired(String pool) {
        pool(pool);
        return desired.get(pool);
    }

    public Map<String, Integer> desired() {
        return Map.copyOf(desired);
    }

    public int tokensMinted() {
        return tokens.minted();
    }

    public long cycles() {
        return cycles.get();
    }

    private ManagedRunner require(String name) {
        ManagedRunner r = byName(name);
        if (r == null || !r.live()) {
            throw new RunnerFleetException("fleet " + fleet + " has no runner '" + name + "'; its runners are "
                    + live().stream().map(x -> x.name).collect(Collectors.joining(", ")));
        }
        return r;
    }

    private PoolPlan pool(String name) {
        PoolPlan p = pools.get(name);
        if (p == null) {
            throw new io.runnerfleet.InvalidSpecException("fleet " + fleet + " has no pool '" + name + "'; its pools are "
                    + String.join(", ", pools.keySet()));
        }
        return p;
    }

    private ManagedRunner byName(String name) {
        synchronized (slots) {
            return slots.values().stream().filter(r -> r.name.equalsIgnoreCase(name) && r.live()).findFirst().orElse(null);
        }
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static String slotKey(String pool, int index) {
        return pool + "#" + index;
    }

    /** Stops the fleet's threads; runners keep running and a new fleet of this name adopts them. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (periodic != null) {
                periodic.cancel(false);
            }
        }
        if (subscription != null) {
            subscription.close();
        }
        loop.shutdownNow();
        if (ownWorkers) {
            workers.shutdown();
            try {
                if (!workers.awaitTermination(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    workers.shutdownNow();
                }
            } catch (InterruptedException e) {
                workers.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
        try {
            loop.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean closed() {
        return closed;
    }

    public RegistrationException unreachable(RuntimeException e) {
        return e instanceof RegistrationException re ? re
                : new RegistrationException("fleet " + fleet + ": GitHub (" + registry.scope() + ") cannot be reached: "
                + e.getMessage(), e);
    }
}
