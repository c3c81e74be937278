package io.runnerfleet;

/**
 * A runner is running a job and cannot be deregistered or destroyed without killing that job
 * (GitHub answers 422 "still running a job"). Drain it first, or use the {@code ...Now} variants
 * that kill running jobs on purpose.
 */
public class RunnerBusyException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final String runnerName;

    /** Creates the exception for the named runner. */
    public RunnerBusyException(String runnerName, String message) {
        super(message);
        this.runnerName = runnerName;
    }

    /** The runner that is busy. */
    public String runnerName() {
        return runnerName;
    }
}
