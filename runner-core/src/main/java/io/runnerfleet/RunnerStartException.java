package io.runnerfleet;

import java.util.List;

/**
 * Some runners did not reach Idle when the fleet started. Names each runner that failed, its last
 * state and its last log lines (already redacted).
 */
public class RunnerStartException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final transient List<Failure> failures;

    /** One runner that did not start: its name, its last state, why, and its last log lines. */
    public record Failure(String runner, String lastState, String reason, List<String> lastLogLines) {
        /** Copies the log lines. */
        public Failure {
            lastLogLines = List.copyOf(lastLogLines);
        }
    }

    /** Creates the exception for the given failures; the message lists each one. */
    public RunnerStartException(String fleet, List<Failure> failures) {
        super(message(fleet, failures));
        this.failures = List.copyOf(failures);
    }

    /** Each runner that failed to start. */
    public List<Failure> failures() {
        return failures;
    }

    private static String message(String fleet, List<Failure> failures) {
        StringBuilder b = new StringBuilder()
                .append(failures.size()).append(" runner(s) of fleet '").append(fleet)
                .append("' did not reach Idle:");
        for (Failure f : failures) {
            b.append("\n  - ").append(f.runner()).append(" (last state ").append(f.lastState())
                    .append("): ").append(f.reason());
            for (String line : f.lastLogLines()) {
                b.append("\n      | ").append(line);
            }
        }
        return b.toString();
    }
}
