package io.runnerfleet.github.scaleset;

import java.util.List;
import java.util.Objects;

/**
 * A runner scale set as GitHub stores it.
 *
 * <pre>{@code
 * ScaleSet set = scaleSets.createScaleSet(ScaleSetSpec.named("qemu").labels("intel"));
 * set.id();        // 42
 * set.labels();    // [qemu, intel]
 * }</pre>
 *
 * @param id the id GitHub gave the set
 * @param name the name, unique within the runner group
 * @param runnerGroupId the runner group's id
 * @param runnerGroupName the runner group's name, empty when GitHub did not send it
 * @param labels the labels jobs target with {@code runs-on}
 * @param disableUpdate whether runners of the set skip self-updates
 */
public record ScaleSet(long id, String name, long runnerGroupId, String runnerGroupName, List<String> labels,
                       boolean disableUpdate) {
    /** Checks the parts and copies the labels. */
    public ScaleSet {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(runnerGroupName, "runnerGroupName");
        labels = List.copyOf(labels);
    }
}
