package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * GitHub (or another registry) refused or failed to issue a registration, list or delete runners: wrong credentials, missing permission, a name conflict. Nothing half-created is left behind when it is thrown.
 */
public class RegistrationException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names what failed and how to fix it. */
    public RegistrationException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause. */
    public RegistrationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
