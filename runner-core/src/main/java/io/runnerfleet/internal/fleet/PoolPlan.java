package io.runnerfleet.internal.fleet;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerTemplate;

/** What the reconciler needs to know of one pool. */
public interface PoolPlan {
    /** The pool's name. */
    String name();

    /** The fewest runners the pool keeps. */
    int min();

    /** The most runners the pool may have. */
    int max();

    /** How many runners the pool starts with. */
    int initial();

    /** Whether its runners take one job each. */
    boolean ephemeral();

    /** Whether runners register with a just-in-time config (else with a registration token). */
    boolean jit();

    /** Every label a runner of the pool carries (defaults included). */
    LabelSet labels();

    /** The runner group's name. */
    String runnerGroup();

    /** The image. */
    RunnerImage image();

    /** How long an extra on-demand runner may idle before it is removed, or null for never. */
    java.time.Duration idleTimeout();

    /** What every runner of the pool looks like (translated for each launch by {@link io.runnerfleet.internal.RunnerLaunch}). */
    RunnerTemplate template();
}
