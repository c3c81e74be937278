package io.runnerfleet.internal.fleet;

import java.time.Duration;
import java.util.Objects;

/**
 * When a steady fleet may reconcile less often. After {@link #AFTER} cycles in a row that observed exactly what
 * the cycle before did (the same instances and the same registrations, states included), a fleet that may be
 * quiet (only fixed pools, no warm capacity: nothing it would decide depends on noticing a busy runner soon)
 * waits {@link FleetSettings#quietInterval()} between cycles; the first cycle that sees a change, or a failed
 * observation, brings back {@link FleetSettings#interval()}. Events and demand wake the fleet whatever the
 * interval, so what waits longer is only what changes behind its back at GitHub. Reconciler thread only.
 */
final class QuietCycles {
    /** Unchanged cycles in a row before the interval stretches. */
    static final int AFTER = 4;

    private int unchanged;
    private int last;
    private boolean seen;

    /** One cycle's observation. */
    void observed(Object instances, Object registrations) {
        int fingerprint = Objects.hash(instances, registrations);
        unchanged = seen && fingerprint == last ? unchanged + 1 : 0;
        last = fingerprint;
        seen = true;
    }

    /** A cycle that could not observe: nothing is known to be quiet. */
    void unknown() {
        unchanged = 0;
        seen = false;
    }

    /** The wait before the next steady cycle. */
    Duration interval(FleetSettings settings, boolean mayBeQuiet) {
        return mayBeQuiet && unchanged >= AFTER ? settings.quietInterval() : settings.interval();
    }
}
