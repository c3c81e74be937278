package io.runnerfleet.internal.fleet;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;

/**
 * How a failure of one runner counts. Only failures that say the runner itself is broken spend its retry
 * budget; an outage of GitHub or of the engine says nothing about the runner, so it only backs off.
 */
enum Failures {
    /** GitHub or the engine did not answer, or refused for now: back off (capped), never counted. */
    TRANSIENT,
    /** The runner failed (an exit code that means failure, no registration in time): counted. */
    COUNTED,
    /** Fails the same way every time (an invalid spec, a deprecated runner version): Failed at once, not retried. */
    PERMANENT,
    /**
     * GitHub refused for good (bad credentials, a missing permission, an unknown scope): Failed at once with
     * GitHub's reason, tried again after the failed-retry wait (the fix is made outside the fleet).
     */
    REFUSED;

    /**
     * The kind of a failure raised while creating or removing a runner. A {@link RegistrationException} is
     * GitHub's side: refused for good when it says so ({@link RegistrationException#permanent()}), else an
     * outage (5xx, timeouts, rate limits, a name GitHub still holds); every
     * {@link BackendUnavailableException} the engine's; neither is the runner's fault.
     */
    static Failures of(RuntimeException e) {
        if (e instanceof InvalidSpecException) {
            return PERMANENT;
        }
        if (e instanceof RegistrationException re && re.permanent()) {
            return REFUSED;
        }
        if (e instanceof RegistrationException || e instanceof BackendUnavailableException
                || e instanceof RunnerBusyException) {
            return TRANSIENT;
        }
        return COUNTED;
    }
}
