package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetTimeoutException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerStartException;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a fleet's runners as declared: the loop. Each cycle compares the wanted runners with what the
 * backend (instances by ownership label) and GitHub (one runner list per cycle) report, applies the
 * {@link StateDerivation} rules to every runner and hands the work to its parts: {@link Provisioning},
 * {@link Replacing}, {@link Retiring} and {@link Adoption}, over the slot table {@link Slots}. Decisions
 * are made on one reconciler thread; creating and removing runners runs on a bounded pool of worker
 * threads. Both are named daemon threads the fleet owns.
 */
public final class Reconciler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");
    // How long after a queued job the fleet polls at the converging rate for a runner to take it.
    private static final Duration JOB_AWAITED = Duration.ofMinutes(2);

    private final String fleet;
    private final RunnerRegistry registry;
    private final RunnerBackend backend;
    private final Clock clock;
    private final FleetSettings settings;
    private final EventBus events;
    private final ScheduledExecutorService loop;
    private final ExecutorService workers;
    private final boolean ownWorkers;
    private final FleetContext fx;
    private final PendingDeregistrations deadRegistrations = new PendingDeregistrations();
    private final Slots slots;
    private final Teardown teardown;
    private final Replacing replacing;
    private final Provisioning provisioning;
    private final Retiring retiring;
    private final Adoption adoption;
    private final WarmCapacity warm;
    private final QuietCycles quiet = new QuietCycles();
    private final boolean mayBeQuiet;
    private final RunningJobs jobs;
    private final Listening listening;
    // A job was queued (demand): poll at the converging rate until a runner is seen taking it, bounded.
    private volatile Instant jobAwaitedUntil = Instant.MIN;
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private final Cycles cycles;
    private volatile String lastObservationError;
    private volatile boolean started;
    private volatile boolean closed;
    private ScheduledFuture<?> periodic;
    private Subscription subscription;

    public Reconciler(String fleet, RunnerRegistry registry, RunnerBackend backend, List<PoolPlan> pools, Clock clock,
                      FleetSettings settings, EventBus events, ExecutorService executor) {
        this.fleet = fleet;
        this.registry = registry;
        this.backend = backend;
        this.clock = clock;
        this.settings = settings;
        this.events = events;
        this.loop = Executors.newSingleThreadScheduledExecutor(Threads.named("runnerfleet-" + fleet + "-reconciler"));
        this.ownWorkers = executor == null;
        this.workers = executor != null ? executor
                : Executors.newFixedThreadPool(settings.parallelism(), Threads.named("runnerfleet-" + fleet + "-worker"));
        this.fx = new FleetContext(fleet, registry, backend, clock, settings, events, workers, this::wake, new AtomicLong());
        this.cycles = new Cycles(clock);
        this.warm = new WarmCapacity(fx, pools, this::resize);   // before Slots: a warm pool starts at its target
        // Pools are fixed for the fleet's life. Only fixed pools without warm capacity may be quiet: an on-demand or
        // warm pool acts on a runner going busy.
        this.mayBeQuiet = pools.stream().allMatch(p -> p instanceof FleetPool fp
                && fp.pool().scaling() instanceof Scaling.Fixed && fp.pool().warmth().isNone());
        this.slots = new Slots(fx, pools);
        this.teardown = new Teardown(fx, slots, deadRegistrations);
        this.replacing = new Replacing(fx, slots, teardown);
        this.provisioning = new Provisioning(fx, teardown, replacing);
        this.retiring = new Retiring(fx, slots, teardown, deadRegistrations, cycles);
        this.adoption = new Adoption(fx, slots);
        this.jobs = new RunningJobs(fx, slots);
        this.listening = new Listening(fx, slots, loop, () -> closed, retiring::stopping);
        events.add(jobs);   // a runner's lifecycle ends its job
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
                schedule(converging() ? settings.pollInterval() : quiet.interval(settings, mayBeQuiet));
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
        } catch (TimeoutException e) {
            throw new FleetTimeoutException("fleet " + fleet + ": a reconcile cycle took longer than " + timeout);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new RunnerFleetException(e.getCause().toString(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RunnerFleetException("interrupted while reconciling fleet " + fleet, e);
        }
    }

    private void onInstanceEvent(InstanceEvent event) {
        if (event.kind() == InstanceEvent.Kind.LISTENING) {
            if (started && !closed) {
                listening.heard(event);
            }
            return;
        }
        if (event.kind() == InstanceEvent.Kind.EXITED || event.kind() == InstanceEvent.Kind.OOM_KILLED) {
            ManagedRunner r = slots.byName(event.runnerName());
            if (r != null && event.kind() == InstanceEvent.Kind.EXITED) {
                events.onEvent(new FleetEvent.InstanceExited(r.name, event.instanceId(),
                        event.exitCode() == null ? -1 : event.exitCode(), false, clock.instant()));
            }
        }
        wake();
    }

    private boolean converging() {
        return clock.instant().isBefore(jobAwaitedUntil) || slots.anyConverging();
    }

    // ---- the cycle ----------------------------------------------------------------------------------

    void cycle() {
        if (closed) {
            return;
        }
        Instant now = clock.instant();
        long observedAt = fx.mark();
        Map<String, InstanceInfo> instances = new HashMap<>();
        Map<String, RegisteredRunner> registered = new HashMap<>();
        if (!observe(instances, registered)) {
            quiet.unknown();
            finishCycle();
            return;
        }
        quiet.observed(instances, registered);
        for (String name : deadRegistrations.settle(registered.values(), registry)) {
            events.onEvent(new FleetEvent.RunnerRemoved(name, "registration of a runner whose instance died,"
                    + " deleted once GitHub let go of it", clock.instant()));
        }
        registered = deadRegistrations.hide(registered);
        slots.seen(registered);
        if (!retiring.stopping()) {
            warm.apply(now, slots);
            adoption.adopt(instances, registered, now, observedAt);
            slots.fill();
        }
        for (ManagedRunner r : slots.all()) {
            if (!r.tryClaim()) {
                continue;
            }
            // What we observed predates its last change: decide next cycle. A Requested runner is the
            // exception: its step reads no observation, and one that fill() just created (for a queued
            // job, say) would otherwise wait a whole poll interval before its launch starts.
            if (r.touchedAfter(observedAt) && !(r.state() instanceof RunnerState.Requested)) {
                r.release();
                continue;
            }
            boolean handedOver = false;
            try {
                handedOver = step(r, instances.get(Slots.key(r.name)), registered.get(Slots.key(r.name)), now);
            } catch (RuntimeException e) {
                LOG.warn("fleet {}: runner {}: {}", fleet, r.name, e.toString());
            } finally {
                if (!handedOver) {
                    r.release();
                }
            }
        }
        if (!retiring.stopping()) {
            adoption.removeGhosts(instances, registered);
            scaleDownIdle(now);
        }
        slots.dropRemoved();
        finishCycle();
    }

    /** Lists the fleet's instances and registrations (by lower-case name); false when either side did not answer. */
    private boolean observe(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered) {
        try {
            for (InstanceInfo i : backend.instances(fleet)) {
                instances.put(Slots.key(i.runnerName()), i);
            }
            String prefix = Slots.key(fleet + "-");
            for (RegisteredRunner r : registry.runners()) {
                if (Slots.key(r.name()).startsWith(prefix)) {
                    registered.put(Slots.key(r.name()), r);
                }
            }
        } catch (RuntimeException e) {
            if (closed) {
                // close() interrupts a cycle that is waiting on GitHub or Docker: expected, not a fault.
                LOG.debug("fleet {}: observation ended by close ({})", fleet, e.getMessage());
                return false;
            }
            // One warning when GitHub or the engine goes away, not one per cycle; one line when it is back.
            if (lastObservationError == null) {
                LOG.warn("fleet {}: cannot observe runners ({}); retrying every cycle, quietly until it answers",
                        fleet, e.getMessage());
            } else {
                LOG.debug("fleet {}: still cannot observe runners ({})", fleet, e.getMessage());
            }
            lastObservationError = e.getMessage();
            return false;
        }
        if (lastObservationError != null) {
            LOG.info("fleet {}: observing runners again (the last error was: {})", fleet, lastObservationError);
            lastObservationError = null;
        }
        return true;
    }

    private void finishCycle() {
        cycles.done();
    }

    /** Decides for one claimed runner by the {@link StateDerivation} rules; returns true when a task took over the claim. */
    private boolean step(ManagedRunner r, InstanceInfo inst, RegisteredRunner reg, Instant now) {
        synchronized (r) {
            r.instanceState = inst == null ? "-" : inst.state().name().toLowerCase(Locale.ROOT);
            r.online = reg != null && reg.online();
            r.busy = reg != null && reg.busy();
            if (inst != null) {
                r.instanceId = inst.id();
                r.engine = inst.engine();
            }
            if (reg != null) {
                r.githubId = reg.id();
            }
        }
        if (r.draining()) {
            retiring.continueDrain(r);   // an operation holds this runner across cycles: it acts, not the rules
            return true;
        }
        RunnerState before = r.state();
        StateDerivation.Decision d = StateDerivation.decide(before,
                new StateDerivation.Observation(inst, reg, r.pool.ephemeral()), r.facts(now, retiring.stopping()), settings);
        for (StateDerivation.Step s : d.steps()) {
            r.lifecycle.transition(s.to(), s.cause());
            if (s.to() instanceof RunnerState.Offline) {
                r.offlineSince = now;
            }
        }
        switch (d.action()) {
            case NONE -> {
                return false;
            }
            case ONLINE -> {
                becomeOnline(r, before, reg);
                return false;
            }
            case LAUNCH, RELAUNCH -> provisioning.launch(r, d.action() == StateDerivation.Action.RELAUNCH);
            case RENEW -> replacing.renew(r, d.reason());
            case FAIL -> replacing.fail(r, d.reason(), d.failure());
            case FINISH -> {
                // It goes: no other runner is drained in its place, and its slot is refilled only when its pool,
                // without it, holds fewer runners than it wants.
                r.leaving = true;
                // An on-demand pool grew by one for the job this runner just finished: shrink it back.
                if (r.pool.idleTimeout() != null && !retiring.stopping()) {
                    adjust(r.pool.name(), -1, "ephemeral runner " + r.name + " finished its job");
                }
                replacing.finish(r);
            }
        }
        return true;
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

    // ---- scaling ------------------------------------------------------------------------------------

    // One runner per pool per cycle: the one idle the longest, once past the pool's idle timeout.
    private void scaleDownIdle(Instant now) {
        for (PoolPlan pool : slots.pools().values()) {
            Duration idle = pool.idleTimeout();
            if (idle == null || slots.desired(pool.name()) <= pool.min()) {
                continue;
            }
            ManagedRunner longest = slots.longestIdle(pool);
            if (longest == null || !now.isAfter(longest.idleSince.plus(idle)) || !slots.choose(longest)) {
                continue;
            }
            String reason = "idle for " + idle;
            int[] change = slots.changeDesired(pool.name(), v -> Math.max(pool.min(), v - 1));
            retiring.retireChosen(longest, reason);
            scaled(pool, change[0], change[1], reason);
        }
    }

    public void scale(String pool, int count, String reason) {
        PoolPlan plan = slots.pool(pool);
        if (count < 0 || count > plan.max()) {
            throw new InvalidSpecException("pool " + pool + " of fleet " + fleet + " can have 0 to "
                    + plan.max() + " runners, asked for " + count);
        }
        int[] change = slots.changeDesired(pool, v -> count);
        scaled(plan, change[0], change[1], reason);
    }

    /**
     * Moves a pool's wanted count by {@code delta}, atomically and clamped to its {@code min..max}.
     *
     * @return whether the count changed
     */
    public boolean adjust(String pool, int delta, String reason) {
        PoolPlan plan = slots.pool(pool);
        int[] change = slots.changeDesired(pool, v -> Math.max(plan.min(), Math.min(plan.max(), v + delta)));
        if (delta > 0) {
            // A job is queued: until a runner is seen taking it, watch at the converging rate (even when the
            // pool is full and nothing is launched), so Active shows within a poll interval, not a cycle.
            jobAwaitedUntil = clock.instant().plus(JOB_AWAITED);
            wake();
        }
        return scaled(plan, change[0], change[1], reason);
    }

    /** Changes the wanted count as the pools' warmth asks (see {@link WarmCapacity}). */
    private void resize(String pool, java.util.function.IntUnaryOperator change, String reason) {
        int[] c = slots.changeDesired(pool, change);
        scaled(slots.pool(pool), c[0], c[1], reason);
    }

    /** The pools' warmth: targets, over-provisioned demand, status. */
    public WarmCapacity warm() {
        return warm;
    }

    /** After the wanted count moved from {@code before} to {@code after}: tell, drain the extra, act now. */
    private boolean scaled(PoolPlan plan, int before, int after, String reason) {
        if (after == before) {
            return false;
        }
        events.onEvent(new FleetEvent.PoolScaled(plan.name(), before, after, reason, clock.instant()));
        if (after < before) {
            retiring.retireExtra(plan, after);
        }
        wake();
        return true;
    }

    // ---- operations for the facade -------------------------------------------------------------------

    /** Drains every runner (in parallel, bounded) and waits for all; returns the runners left behind. */
    public List<String> retireAll(boolean kill, boolean deleteVolumes, String reason) {
        return retiring.retireAll(kill, deleteVolumes, reason);
    }

    /** Makes drains in progress kill running jobs instead of waiting for them. */
    public void escalateToKill() {
        retiring.escalateToKill();
    }

    public void stopRunner(String name, Duration grace) {
        retiring.stopRunner(name, grace);
    }

    public void startRunner(String name) {
        retiring.startRunner(name);
    }

    /**
     * Waits until every wanted runner is online (Idle or Active) or failed, for at most {@code timeout} on
     * the fleet's clock; throws naming those that are not online.
     */
    public void awaitOnline(Duration timeout) {
        AtomicBoolean allOnline = new AtomicBoolean();
        AtomicReference<List<ManagedRunner>> seen = new AtomicReference<>(List.of());
        cycles.await(clock.instant().plus(timeout), "fleet " + fleet + " to start", () -> {
            List<ManagedRunner> runners = slots.live();
            seen.set(runners);
            allOnline.set(runners.stream().allMatch(r -> online(r.state())) && runners.size() >= slots.wantedInAll());
            boolean anyFailed = runners.stream().anyMatch(r -> r.state() instanceof RunnerState.Failed);
            boolean settled = runners.stream().allMatch(r -> online(r.state()) || r.state() instanceof RunnerState.Failed);
            return allOnline.get() || anyFailed && settled;
        });
        if (allOnline.get()) {
            return;
        }
        List<RunnerStartException.Failure> failures = seen.get().stream()
                .filter(r -> !online(r.state()))
                .map(r -> new RunnerStartException.Failure(r.name, r.state().getClass().getSimpleName(),
                        r.state() instanceof RunnerState.Failed f ? f.reason()
                                : "not online after " + timeout + (r.lastError == null ? "" : "; last error: "
                                + r.lastError) + (lastObservationError == null ? ""
                                : "; last observation error: " + lastObservationError),
                        r.state() instanceof RunnerState.Failed ? r.lastLogLines() : teardown.lastLogLines(r)))
                .toList();
        throw new RunnerStartException(fleet, failures);
    }

    private static boolean online(RunnerState state) {
        return state instanceof RunnerState.Idle || state instanceof RunnerState.Active;
    }

    /** What the fleet last saw of every live runner, sorted by name. */
    public List<Runner> runners() {
        List<Runner> out = new ArrayList<>();
        for (ManagedRunner r : slots.live()) {
            synchronized (r) {
                RegisteredRunner reg = slots.registration(r.name);
                out.add(new Runner(r.name, r.pool.name(), r.state(), r.instanceId, r.instanceState,
                        reg == null ? 0 : reg.id(), reg == null ? "-" : reg.displayStatus(), reg != null && reg.busy(),
                        reg != null ? reg.labels() : r.pool.labels(), r.engine, jobs.job(r.name)));
            }
        }
        return out;
    }

    /** A demand source heard {@code runner} start {@code job}; a runner of another fleet is ignored. */
    public void jobStarted(String runner, RunnerJob job) {
        jobs.started(runner, job);
    }

    /** A demand source heard {@code runner} finish the job {@code jobId}; an unknown one is ignored. */
    public void jobEnded(String runner, String jobId) {
        jobs.ended(runner, jobId);
    }

    public Optional<String> instanceOf(String name) {
        return Optional.ofNullable(slots.require(name).instanceId);
    }

    public int desired(String pool) {
        slots.pool(pool);
        return slots.desired(pool);
    }

    public Map<String, Integer> desired() {
        return slots.desired();
    }

    public int tokensMinted() {
        return provisioning.tokensMinted();
    }

    public long cycles() {
        return cycles.count();
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
        retiring.abandonDrains();   // no cycle will try them again
        cycles.close();
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
