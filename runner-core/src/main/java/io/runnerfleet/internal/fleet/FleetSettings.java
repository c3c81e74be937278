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
 */
public record FleetSettings(Duration interval, Duration pollInterval, Duration registrationTimeout,
                            Duration drainTimeout, int parallelism, int maxFailures, Duration backoffBase,
                            Duration backoffMax) {

    Duration backoff(int failures) {
        long factor = 1L << Math.min(20, Math.max(0, failures - 1));
        Duration d = backoffBase.multipliedBy(factor);
        return d.compareTo(backoffMax) > 0 ? backoffMax : d;
    }
}
