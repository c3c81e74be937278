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
 * last cycle saw of their registrations. Thread-safe: the slot table is guarded by its own lock, the
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

    /** Puts a new runner in every wanted slot that has none, or whose runner is gone. */
    void fill() {
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

    /** Puts a new runner in {@code r}'s slot, to be launched from {@code notBefore}. */
    ManagedRunner succeed(ManagedRunner r, Instant notBefore) {
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
     * Puts a runner found by adoption in its slot when the slot is wanted and free (empty, gone, or a
     * runner not yet launched); {@code setup} fills in what was found, before anyone else sees it.
     *
     * @return the adopted runner, or null when the slot is not free
     */
    ManagedRunner adopt(PoolPlan pool, RunnerName name, RunnerState state, Consumer<ManagedRunner> setup) {
        int index = name.index();
        String key = slotKey(pool.name(), index);
        synchronized (slots) {
            ManagedRunner current = slots.get(key);
            boolean free = current == null || (!current.live() && !current.claimed())
                    || (current.state() instanceof RunnerState.Requested && !current.claimed());
            if (!free || index > desired.get(pool.name())) {
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

    /** Drops gone runners from slots no longer wanted. */
    void dropRemoved() {
        synchronized (slots) {
            slots.entrySet().removeIf(e -> {
                ManagedRunner r = e.getValue();
                return !r.live() && !r.claimed() && r.index > desired.getOrDefault(r.pool.name(), 0);
            });
        }
    }

    /** The runner in a slot, or null. */
    ManagedRunner slot(PoolPlan pool, int index) {
        synchronized (slots) {
            return slots.get(slotKey(pool.name(), index));
        }
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

    /** The live runners of {@code pool} above slot {@code count}. */
    List<ManagedRunner> liveAbove(PoolPlan pool, int count) {
        synchronized (slots) {
            return slots.values().stream().filter(r -> r.pool == pool && r.index > count && r.live()).toList();
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
