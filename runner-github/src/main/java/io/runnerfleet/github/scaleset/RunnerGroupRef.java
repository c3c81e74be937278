package io.runnerfleet.github.scaleset;

import java.util.Objects;

/**
 * A runner group as the Actions service knows it: its id (which a scale set is created in) and name.
 *
 * <pre>{@code
 * RunnerGroupRef boards = scaleSets.runnerGroup("boards");   // RunnerGroupRef[id=3, name=boards]
 * }</pre>
 *
 * @param id the group's id; {@code 1} is the default group
 * @param name the group's name
 */
public record RunnerGroupRef(long id, String name) {
    /** The default group, id 1, which every scope has and which is never looked up. */
    public static final RunnerGroupRef DEFAULT = new RunnerGroupRef(1, "default");

    /** Checks the parts. */
    public RunnerGroupRef {
        Objects.requireNonNull(name, "name");
        if (id < 1) {
            throw new IllegalArgumentException("runner group id must be positive, got " + id);
        }
    }
}
