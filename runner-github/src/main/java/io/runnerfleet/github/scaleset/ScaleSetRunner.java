package io.runnerfleet.github.scaleset;

import java.util.Objects;

/**
 * A runner (an "agent") registered through a scale set.
 *
 * <pre>{@code
 * scaleSets.runner("acme-qemu-1a2b").ifPresent(r -> scaleSets.deleteRunner(r.id()));
 * }</pre>
 *
 * @param id the runner's id
 * @param name the runner's name (the name given to {@link ScaleSetClient#generateJitConfig})
 * @param scaleSetId the scale set the runner belongs to, {@code 0} when GitHub did not say
 */
public record ScaleSetRunner(long id, String name, long scaleSetId) {
    /** Checks the parts. */
    public ScaleSetRunner {
        Objects.requireNonNull(name, "name");
    }
}
