package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * The compute backend (a Docker engine, the host) cannot be reached or answered in a way that makes it unusable. The message names the endpoint and how to start or reach it.
 */
public class BackendUnavailableException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names what failed and how to fix it. */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause. */
    public BackendUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
