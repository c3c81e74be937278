package io.runnerfleet.github;

import java.util.Objects;

/**
 * A label on a self-hosted runner as GitHub lists it.
 *
 * <pre>{@code
 * runners.labels(42).stream().filter(RunnerLabel::custom).map(RunnerLabel::name).toList();
 * }</pre>
 *
 * @param id GitHub's id of the label, {@code 0} when GitHub did not send one
 * @param name the label
 * @param readOnly whether GitHub applied it when the runner was configured ({@code self-hosted}, OS,
 *     architecture) rather than a custom label
 */
public record RunnerLabel(long id, String name, boolean readOnly) {
    /** Checks the name is present. */
    public RunnerLabel {
        Objects.requireNonNull(name, "name");
    }

    /** Whether this is a custom label (one that can be removed). */
    public boolean custom() {
        return !readOnly;
    }
}
