package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.WarmSchedule;
import io.runnerfleet.Warmth;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;

/**
 * Keeps each pool's {@link Warmth}: computes its warm target on the fleet's clock once per cycle, publishes it
 * to the pool (whose {@code min()}, for a fixed pool also {@code max()}, follows it, so every clamp of the
 * wanted count respects it), raises the wanted count to it, and tells when it changed. A fixed pool's count
 * is set to the target both ways; an on-demand pool is only raised, its extra runners idle out as usual.
 * Also spreads the over-provision factor over queued jobs. Thread-safe: cycles run on the reconciler thread,
 * demand and status come from callers' threads.
 */
public final class WarmCapacity {
    /** Changes a pool's wanted count, telling why (the reconciler's {@code PoolScaled} and drain path). */
    interface Resize {
        void resize(String pool, IntUnaryOperator change, String reason);
    }

    private final FleetContext fx;
    private final Resize resize;
    private final Map<String, Warm> pools = new LinkedHashMap<>();

    /** What is known of one warm pool. Guarded by the WarmCapacity. */
    private static final class Warm {
        final FleetPool plan;
        final Warmth warmth;
        int target;
        String reason = "";
        Optional<WarmSchedule> schedule = Optional.empty();
        Instant lastJob;
        int hold;
        double credit;

        Warm(FleetPool plan) {
            this.plan = plan;
            this.warmth = plan.pool().warmth();
        }

        boolean fixed() {
            return plan.pool().scaling() instanceof Scaling.Fixed;
        }
    }

    /** Computes every warm pool's first target now, so that the fleet starts with its warm runners. */
    WarmCapacity(FleetContext fx, List<PoolPlan> plans, Resize resize) {
        this.fx = fx;
        this.resize = resize;
        Instant now = fx.clock().instant();
        for (PoolPlan p : plans) {
            if (p instanceof FleetPool fp && !fp.pool().warmth().isNone()) {
                Warm w = new Warm(fp);
                compute(w, now);
                fp.warm(w.target);
                pools.put(fp.name(), w);
            }
        }
    }

    /** One cycle: notes running jobs, recomputes the targets, then resizes pools (outside the lock). */
    void apply(Instant now, Slots slots) {
        List<Runnable> resizes = new ArrayList<>();
        List<FleetEvent> events = new ArrayList<>();
        synchronized (this) {
            for (Warm w : pools.values()) {
                String name = w.plan.name();
                if (slots.live().stream().anyMatch(r -> r.pool == w.plan && r.state() instanceof RunnerState.Active)) {
                    w.lastJob = now;
                }
                if (staying(w, now)) {
                    w.hold = Math.max(w.hold, slots.desired(name));
                }
                int before = w.target;
                compute(w, now);
                w.plan.warm(w.target);
                int target = w.target;
                String reason = "warm: " + w.reason;
                if (target != before) {
                    events.add(new FleetEvent.WarmTargetChanged(name, before, target, w.reason, now));
                    if (w.fixed()) {
                        // A fixed pool follows its schedule at the boundaries only, so a scale() by hand holds until the next one.
                        resizes.add(() -> resize.resize(name, v -> target, reason));
                    }
                }
                if (!w.fixed() && slots.desired(name) < target) {
                    resizes.add(() -> resize.resize(name, v -> Math.max(v, target), reason));
                }
            }
        }
        events.forEach(fx.events()::onEvent);
        resizes.forEach(Runnable::run);
    }

    /**
     * A job was queued for {@code pool}: how many runners to add for it (the over-provision factor, its
     * fractions carried to the next job); also starts the pool's stay-warm time.
     */
    public synchronized int demanded(String pool) {
        Warm w = pools.get(pool);
        if (w == null) {
            return 1;
        }
        w.lastJob = fx.clock().instant();
        w.credit += w.warmth.overProvision();
        int grow = (int) Math.floor(w.credit + 1e-9);
        w.credit = Math.max(0, w.credit - grow);
        return Math.max(1, grow);
    }

    /** Per warm pool: target, idle runners (of {@code runners}), open schedule and why. */
    public synchronized Map<String, FleetStatus.PoolWarmth> status(List<Runner> runners) {
        Map<String, FleetStatus.PoolWarmth> out = new LinkedHashMap<>();
        for (Warm w : pools.values()) {
            long idle = runners.stream().filter(r -> r.pool().equals(w.plan.name())
                    && r.state() instanceof RunnerState.Idle).count();
            out.put(w.plan.name(), new FleetStatus.PoolWarmth(w.target, idle, w.schedule, w.reason));
        }
        return out;
    }

    private static boolean staying(Warm w, Instant now) {
        return !w.warmth.stayWarm().isZero() && w.lastJob != null && !now.isAfter(w.lastJob.plus(w.warmth.stayWarm()));
    }

    /** The target at {@code now}, and why. */
    private static void compute(Warm w, Instant now) {
        Warmth warmth = w.warmth;
        Scaling scaling = w.plan.pool().scaling();
        w.schedule = warmth.scheduleAt(now);
        String open = w.schedule.map(s -> "schedule " + s + " (" + warmth.zone() + ")").orElse(null);
        if (scaling instanceof Scaling.Fixed f) {
            w.target = w.schedule.map(WarmSchedule::runners).orElse(f.count());
            w.reason = open != null ? open : "fixed(" + f.count() + ") outside its schedules";
            return;
        }
        int idle = warmth.idleAt(now);
        w.target = Math.min(scaling.max(), Math.max(scaling.min(), idle));
        w.reason = open != null ? open : "idle minimum " + warmth.idle();
        if (!staying(w, now)) {
            w.hold = 0;
        } else if (w.hold > w.target) {
            w.target = w.hold;
            w.reason = "staying warm " + warmth.stayWarm() + " after the last job at " + w.lastJob;
        }
    }
}
