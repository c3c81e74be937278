package io.runnerfleet.spi;

import io.runnerfleet.LabelSet;
import java.util.Objects;

/**
 * A runner as GitHub lists it.
 *
 * @param id GitHub's id of the runner
 * @param name the runner's name
 * @param os the operating system GitHub reports, e.g. {@code Linux}
 * @param online whether the runner is connected (GitHub status {@code online})
 * @param busy whether it is running a job
 * @param labels every label, default and custom
 * @param ephemeral whether it takes one job only
 */
public record RegisteredRunner(long id, String name, String os, boolean online, boolean busy, LabelSet labels,
                               boolean ephemeral) {
    /** Checks the parts are present. */
    public RegisteredRunner {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(labels, "labels");
        os = os == null ? "" : os;
    }

    /** What the GitHub UI shows: {@code Idle}, {@code Active} or {@code Offline}. */
    public String displayStatus() {
        return !online ? "Offline" : busy ? "Active" : "Idle";
    }
}
