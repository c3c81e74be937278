package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * The root of Runner Fleet's exceptions: unchecked, grouped by what the caller can do.
 *
 * <p>Subtypes: {@link RegistrationException} (GitHub refused or failed to register a runner),
 * {@link BackendUnavailableException} (the compute backend cannot be reached),
 * {@link RunnerStartException} (runners did not reach Idle), {@link FleetTimeoutException} (a bounded
 * wait ran out), {@link InvalidSpecException} (a pool, template or request is invalid),
 * {@link RunnerBusyException} (a runner is running a job and may not be removed),
 * {@link IllegalTransitionException} (a lifecycle change the transition table forbids: a bug), and
 * {@link io.runnerfleet.spi.RunnerNameConflictException} (a registration name exists). Messages say what,
 * which object, expected versus actual and how to fix it; they never contain a secret.
 */
public class RunnerFleetException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that names what failed and how to fix it. */
    public RunnerFleetException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the underlying cause. */
    public RunnerFleetException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
