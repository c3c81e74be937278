package io.runnerfleet.internal.fleet;

import java.time.Duration;

/**
 * The fleet's timing and limits.
 *
 * @param interval how often a steady fleet reconciles
 * @param pollInterval how often a converging fleet (runners being created or registering) reconciles
 * @param registrationTimeout how long an instance may take to come online at GitHub
 * @param drainTimeout how long a busy runner may take to finish its job when drained
 * @param parallelism how many runners are provisioned or removed at once
 * @param maxFailures failures of one runner before it is left {@code Failed}
 * @param backoffBase the wait after the first failure, doubled after each further one
 * @param backoffMax the longest wait between attempts
 * @param quietInterval how often a quiet steady fleet reconciles (see {@link QuietCycles}); at least {@code interval}
 *
 * <p>Derived: an outage of GitHub or the engine backs off like a failure but is capped at
 * {@link #TRANSIENT_MAX} (it says nothing about the runner, so it is retried soon after it ends); a
 * {@code Failed} runner is tried again after {@link #failedRetry()}, so a fleet heals without a person.
 */
public record FleetSettings(Duration interval, Duration pollInterval, Duration registrationTimeout,
                            Duration drainTimeout, int parallelism, int maxFailures, Duration backoffBase,
                            Duration backoffMax, Duration quietInterval) {

    /** The longest wait after an outage of GitHub or the engine. */
    static final Duration TRANSIENT_MAX = Duration.ofSeconds(60);

    /** The wait after {@code outages} transient failures in a row: doubling, at most {@link #TRANSIENT_MAX}. */
    Duration transientBackoff(int outages) {
        Duration d = backoff(outages);
        return d.compareTo(TRANSIENT_MAX) > 0 ? TRANSIENT_MAX : d;
    }

    /** How long a runner stays {@code Failed} before the fleet tries its slot again: twice the longest backoff. */
    Duration failedRetry() {
        return backoffMax.multipliedBy(2);
    }

    /**
     * How long an instance adopted from an earlier process may stay unregistered: a healthy runner
     * registers within seconds of its launch, and one whose launching process died before handing over
     * its registration never will, so this is far shorter than the registration timeout (and never longer).
     */
    Duration adoptionGrace() {
        Duration grace = Duration.ofSeconds(30);
        return grace.compareTo(registrationTimeout) < 0 ? grace : registrationTimeout;
    }

    Duration backoff(int failures) {
        long factor = 1L << Math.min(20, Math.max(0, failures - 1));
        Duration d = backoffBase.multipliedBy(factor);
        return d.compareTo(backoffMax) > 0 ? backoffMax : d;
    }
}
