package io.runnerfleet.spi;

import io.runnerfleet.LabelSet;
import java.util.Objects;

/**
 * What GitHub needs to make a just-in-time runner configuration.
 *
 * @param name the runner's name, unique in the scope
 * @param labels the runner's labels (GitHub requires at least one)
 * @param runnerGroupId the runner group's id ({@code 1} is the {@code Default} group)
 * @param workFolder the work folder relative to the runner's directory, default {@code _work}
 */
public record JitRequest(String name, LabelSet labels, long runnerGroupId, String workFolder) {
    /** Validates the request. */
    public JitRequest {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(labels, "labels");
        if (labels.isEmpty()) {
            throw new io.runnerfleet.InvalidSpecException("a JIT runner needs at least one label: " + name);
        }
        if (runnerGroupId < 1) {
            throw new io.runnerfleet.InvalidSpecException("runner group id must be positive, got " + runnerGroupId);
        }
        if (workFolder == null || workFolder.isBlank()) {
            workFolder = "_work";
        }
    }
}
