package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * A pool, template, label, runner name or request is invalid. Thrown when the object is built, before anything is created; the message names the field, the bad value (unless secret) and what is accepted.
 */
public class InvalidSpecException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names what failed and how to fix it. */
    public InvalidSpecException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause. */
    public InvalidSpecException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
