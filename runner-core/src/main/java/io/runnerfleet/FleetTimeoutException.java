package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * A bounded wait ran out: a runner did not register within the registration timeout, a drain did not finish, a fleet did not terminate. The message names the runner or fleet and the bound.
 */
public class FleetTimeoutException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names what failed and how to fix it. */
    public FleetTimeoutException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause. */
    public FleetTimeoutException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
