package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.RunnerLifecycle;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;

/**
 * The runners a fleet holds, one per slot ({@code pool#index}), the count each pool wants, and what the
 * last cycle saw of their registrations. A pool's wanted count is a count of runners, not a range of
 * slots: new runners take the lowest free slots, and a slot's number is only part of its runner's name. Thread-safe: the slot table is guarded by its own lock, the
 * wanted counts change atomically.
 */
final class Slots {
    private final FleetContext fx;
    private final Map<String, PoolPlan> pools = new LinkedHashMap<>();
    private final Map<String, Integer> desired = new ConcurrentHashMap<>();
    // slot key "pool#index" -> the runner in that slot
    private final Map<String, ManagedRunner> slots = new LinkedHashMap<>();
    // When each runner reached Removed (FleetContext.mark), so that a cycle whose observation predates the
    // removal does not adopt the instance or registration it saw of that runner as a stray.
    private final Map<String, Long> removedAt = new ConcurrentHashMap<>();
    private volatile Map<String, RegisteredRunner> lastRegistered = new ConcurrentHashMap<>();
    private final Random random = new Random();

    Slots(FleetContext fx, List<PoolPlan> pools) {
        this.fx = fx;
        pools.forEach(p -> {
            this.pools.put(p.name(), p);
            desired.put(p.name(), p.initial());
        });
    }

    // ---- pools and wanted counts ---------------------------------------------------------------------

    /** The pools by name, in declaration order. */
    Map<String, PoolPlan> pools() {
        return Collections.unmodifiableMap(pools);
    }

    PoolPlan pool(String name) {
        PoolPlan p = pools.get(name);
        if (p == null) {
            throw new InvalidSpecException("fleet " + fx.fleet() + " has no pool '" + name + "'; its pools are "
                    + String.join(", ", pools.keySet()));
        }
        return p;
    }

    int desired(String pool) {
        return desired.get(pool);
    }

    Map<String, Integer> desired() {
        return Map.copyOf(desired);
    }

    int wantedInAll() {
        return desired.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Changes a pool's wanted count atomically; returns {before, after}. */
    int[] changeDesired(String pool, IntUnaryOperator change) {
        int[] beforeAfter = new int[2];
        desired.compute(pool, (k, v) -> {
            beforeAfter[0] = v;
            beforeAfter[1] = change.applyAsInt(v);
            return beforeAfter[1];
        });
        return beforeAfter;
    }

    // ---- the slot table ------------------------------------------------------------------------------

    private ManagedRunner newRunner(PoolPlan pool, int index) {
        RunnerName name = pool.ephemeral() ? RunnerName.ephemeral(fx.fleet(), pool.name(), index, random)
                : RunnerName.of(fx.fleet(), pool.name(), index);
        return new ManagedRunner(pool, name, new RunnerLifecycle(name.toString(), fx.clock(), this::lifecycleEvent), fx::mark);
    }

    private void lifecycleEvent(FleetEvent event) {
        if (event instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Removed) {
            removedAt.put(key(sc.runner()), fx.mark());
        }
        fx.events().onEvent(event);
    }

    /**
     * Adds new runners, in the lowest free slots, while a pool's counted runners ({@link ManagedRunner#counts})
     * are fewer than it wants. A slot is free when it holds no runner or a gone one that nobody acts on.
     */
    void fill() {
        synchronized (slots) {
            for (PoolPlan pool : pools.values()) {
                int want = desired.get(pool.name());
                int held = counted(pool, null);
                for (int i = 1; held < want; i++) {
                    String key = slotKey(pool.name(), i);
                    ManagedRunner r = slots.get(key);
                    if (r == null || (!r.live() && !r.claimed())) {
                        slots.put(key, newRunner(pool, i));
                        held++;
                    }
                }
            }
        }
    }

    /**
     * Puts a new runner in gone runner {@code r}'s slot, to be launched from {@code notBefore}, when its pool
     * without {@code r} holds fewer runners than it wants.
     *
     * @return the new runner, or null when the pool has its count without one
     */
    ManagedRunner succeed(ManagedRunner r, Instant notBefore) {
        synchronized (slots) {
            if (!wantsSuccessor(r)) {
                return null;
            }
            ManagedRunner next = newRunner(r.pool, r.index);
            synchronized (next) {
                next.nextAttempt = notBefore;
            }
            slots.put(slotKey(r.pool.name(), r.index), next);
            return next;
        }
    }

    /** Whether {@code r}'s pool, without it, holds fewer runners than it wants. */
    boolean wantsSuccessor(ManagedRunner r) {
        synchronized (slots) {
            return counted(r.pool, r) < desired.get(r.pool.name());
        }
    }

    /**
     * Puts a runner found by adoption in its slot when the slot is free (empty, gone, or a runner not yet
     * launched) and its pool has room for one more by count; {@code setup} fills in what was found, before
     * anyone else sees it.
     *
     * @return the adopted runner, or null when the slot is taken or the pool is full
     */
    ManagedRunner adopt(PoolPlan pool, RunnerName name, RunnerState state, Consumer<ManagedRunner> setup) {
        int index = name.index();
        String key = slotKey(pool.name(), index);
        synchronized (slots) {
            ManagedRunner current = slots.get(key);
            boolean free = current == null || (!current.live() && !current.claimed())
                    || (current.state() instanceof RunnerState.Requested && !current.claimed());
            if (!free || counted(pool, current) >= desired.get(pool.name())) {
                return null;
            }
            ManagedRunner r = new ManagedRunner(pool, name, new RunnerLifecycle(name.toString(), state, fx.clock(),
                    this::lifecycleEvent), fx::mark);
            synchronized (r) {
                setup.accept(r);
            }
            slots.put(key, r);
            return r;
        }
    }

    /** Drops gone runners nobody acts on; {@link #fill} puts new ones where a pool wants more. */
    void dropRemoved() {
        synchronized (slots) {
            slots.values().removeIf(r -> !r.live() && !r.claimed());
        }
    }

    // The runners of pool that count towards its wanted count, but for except. Called holding the slots lock.
    // A gone runner still claimed counts too: the worker holding it is about to decide its successor (succeed(),
    // which carries its failure count), and a cycle filling the pool in between must not put a fresh runner,
    // with a fresh failure budget, in another slot.
    private int counted(PoolPlan pool, ManagedRunner except) {
        int n = 0;
        for (ManagedRunner r : slots.values()) {
            if (r.pool == pool && r != except && (r.counts() || (!r.live() && r.claimed()))) {
                n++;
            }
        }
        return n;
    }

    /**
     * Chooses the runners of {@code pool} beyond its first {@code count} counted ones, cheapest to lose first
     * ({@link #retirementOrder}), and marks them leaving. A busy ephemeral runner is never chosen: it goes
     * after its job anyway, and while it works it keeps the pool from being refilled.
     */
    List<ManagedRunner> chooseExtra(PoolPlan pool, int count) {
        synchronized (slots) {
            List<ManagedRunner> held = slots.values().stream().filter(r -> r.pool == pool && r.counts())
                    .sorted(Slots::retirementOrder).toList();
            List<ManagedRunner> chosen = new ArrayList<>();
            for (ManagedRunner r : held) {
                if (held.size() - chosen.size() <= count) {
                    break;
                }
                if (!(pool.ephemeral() && r.state() instanceof RunnerState.Active)) {
                    r.leaving = true;
                    chosen.add(r);
                }
            }
            return chosen;
        }
    }

    /** Marks {@code r} leaving when it still counts; false when it was already going. */
    boolean choose(ManagedRunner r) {
        synchronized (slots) {
            if (!r.counts()) {
                return false;
            }
            r.leaving = true;
            return true;
        }
    }

    /** The counted Idle runner of {@code pool} idle the longest, or null. */
    ManagedRunner longestIdle(PoolPlan pool) {
        synchronized (slots) {
            return slots.values().stream().filter(r -> r.pool == pool && r.counts()
                    && r.state() instanceof RunnerState.Idle && r.idleSince != null)
                    .min(Slots::retirementOrder).orElse(null);
        }
    }

    /**
     * Cheapest to lose first: not launched yet (Requested, or its launch under way), then Failed, Offline or
     * Stopped, then still registering, then Idle (idle the longest first: ephemeral runners have no identity), then
     * busy; ties highest slot first. Persistent runners go highest slot first, busy ones last, because their names
     * and volumes stay: the extras of {@code runnerfleet init -n 1} after three are runners 2 and 3.
     */
    private static int retirementOrder(ManagedRunner a, ManagedRunner b) {
        if (!a.pool.ephemeral()) {
            // Persistent runners are named slots whose names and volumes stay: the extras are the highest slots,
            // whatever state each is in right now (a fresh JVM may still be adopting the lower ones); busy last.
            int byBusy = Boolean.compare(busy(a.state()), busy(b.state()));
            return byBusy != 0 ? byBusy : Integer.compare(b.index, a.index);
        }
        int byCost = Integer.compare(cost(a.state()), cost(b.state()));
        if (byCost != 0) {
            return byCost;
        }
        Instant ia = a.idleSince;
        Instant ib = b.idleSince;
        if (a.state() instanceof RunnerState.Idle && ia != null && ib != null && !ia.equals(ib)) {
            return ia.compareTo(ib);
        }
        return Integer.compare(b.index, a.index);
    }

    private static boolean busy(RunnerState s) {
        return s instanceof RunnerState.Active || s instanceof RunnerState.Draining;
    }

    private static int cost(RunnerState s) {
        if (s instanceof RunnerState.Requested || s instanceof RunnerState.Provisioning) {
            return 0;
        }
        if (s instanceof RunnerState.Failed) {
            return 1;
        }
        if (s instanceof RunnerState.Offline || s instanceof RunnerState.Stopped) {
            return 2;
        }
        if (s instanceof RunnerState.Idle) {
            return 4;
        }
        if (s instanceof RunnerState.Active || s instanceof RunnerState.Draining) {
            return 5;
        }
        return 3;
    }

    /** Every runner held, gone ones included. */
    List<ManagedRunner> all() {
        synchronized (slots) {
            return new ArrayList<>(slots.values());
        }
    }

    /** Every live runner, sorted by name. */
    List<ManagedRunner> live() {
        synchronized (slots) {
            return slots.values().stream().filter(ManagedRunner::live).sorted(Comparator.comparing(r -> r.name)).toList();
        }
    }

    boolean anyConverging() {
        synchronized (slots) {
            return slots.values().stream().anyMatch(r -> r.claimed() || r.draining()
                    || StateDerivation.converging(r.state()));
        }
    }

    /** The live runner named {@code name} (case-insensitive), or null. */
    ManagedRunner byName(String name) {
        synchronized (slots) {
            return slots.values().stream().filter(r -> r.name.equalsIgnoreCase(name) && r.live()).findFirst().orElse(null);
        }
    }

    /** The live runner named {@code name}, or an exception naming the fleet's runners. */
    ManagedRunner require(String name) {
        ManagedRunner r = byName(name);
        if (r == null || !r.live()) {
            throw new RunnerFleetException("fleet " + fx.fleet() + " has no runner '" + name + "'; its runners are "
                    + live().stream().map(x -> x.name).collect(Collectors.joining(", ")));
        }
        return r;
    }

    // ---- what the last cycle saw -----------------------------------------------------------------------

    /** Keeps this cycle's registrations (by lower-case name). */
    void seen(Map<String, RegisteredRunner> registered) {
        lastRegistered = new ConcurrentHashMap<>(registered);
    }

    // The last cycle's view, not a fresh list: GitHub itself refuses (422) to delete a runner that became
    // busy since, and a registration that appeared since is a ghost the next cycle removes. One list per
    // cycle keeps a steady fleet within its request budget.
    RegisteredRunner registration(String name) {
        return lastRegistered.get(key(name));
    }

    void forgetRegistration(String name) {
        lastRegistered.remove(key(name));
    }

    /** Whether the runner named {@code name} reached Removed after the observation last settled ({@link #settleRemovals}). */
    boolean removedSince(String name) {
        return removedAt.containsKey(key(name));
    }

    /** Forgets removals older than the observation marked {@code observedAt}: what it saw of them is real. */
    void settleRemovals(long observedAt) {
        removedAt.values().removeIf(t -> t < observedAt);
    }

    static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private static String slotKey(String pool, int index) {
        return pool + "#" + index;
    }
}
