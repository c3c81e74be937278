package io.runnerfleet.spi;

import io.runnerfleet.RegistrationException;

/**
 * GitHub already has a runner with the requested name (a just-in-time config answered 409).
 */
public class RunnerNameConflictException extends RegistrationException {
    private static final long serialVersionUID = 1L;
    private final String runnerName;

    /** Creates the exception for the conflicting name. */
    public RunnerNameConflictException(String runnerName, String message) {
        super(message);
        this.runnerName = runnerName;
    }

    /** The name that exists already. */
    public String runnerName() {
        return runnerName;
    }
}
