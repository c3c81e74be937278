package io.runnerfleet.internal.fleet;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerTemplate;
import io.runnerfleet.Scaling;
import java.time.Duration;

/** A {@link RunnerPool} as the reconciler sees it, with the fleet's default image filled in. */
public final class FleetPool implements PoolPlan {
    private final RunnerPool pool;
    private final RunnerImage image;
    // The target WarmCapacity keeps (the floor of an on-demand pool, the count of a fixed one); read by every
    // clamp of the wanted count, so warm runners are neither drained by scale-down nor exceeded by demand.
    private volatile int warm;

    public FleetPool(RunnerPool pool, RunnerImage fleetDefault) {
        this.pool = pool;
        this.image = pool.template().image().orElse(fleetDefault);
        this.warm = pool.scaling().min();
    }

    /** Sets the warm target (see {@link WarmCapacity}). */
    void warm(int target) {
        this.warm = target;
    }

    public RunnerPool pool() {
        return pool;
    }

    @Override
    public String name() {
        return pool.name();
    }

    @Override
    public int min() {
        return fixed() ? warm : Math.max(pool.scaling().min(), warm);
    }

    @Override
    public int max() {
        return fixed() ? warm : pool.scaling().max();
    }

    @Override
    public int initial() {
        return min();
    }

    private boolean fixed() {
        return pool.scaling() instanceof Scaling.Fixed;
    }

    @Override
    public boolean ephemeral() {
        return pool.template().ephemeral();
    }

    @Override
    public boolean jit() {
        return pool.template().registrationMode() == io.runnerfleet.RegistrationMode.JIT;
    }

    @Override
    public LabelSet labels() {
        return pool.template().effectiveLabels();
    }

    @Override
    public String runnerGroup() {
        return pool.template().runnerGroup().name();
    }

    @Override
    public RunnerImage image() {
        return image;
    }

    @Override
    public Duration idleTimeout() {
        return pool.scaling() instanceof Scaling.OnDemand d ? d.idleTimeout() : null;
    }

    @Override
    public RunnerTemplate template() {
        return pool.template();
    }
}
