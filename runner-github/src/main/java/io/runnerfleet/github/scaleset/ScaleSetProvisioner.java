package io.runnerfleet.github.scaleset;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds, creates or updates the scale set a {@link ScaleSetListener} listens to, at start and after GitHub
 * deleted it. Holds no state of its own: the listener keeps the id it was given.
 */
final class ScaleSetProvisioner {
    // The listener's logger: what it logs about the scale set keeps its namespace.
    private static final Logger LOG = LoggerFactory.getLogger(ScaleSetListener.class);

    /** The scale set found or made, and whether it had to be created. */
    record Provisioned(ScaleSet set, boolean created) {
    }

    private final ScaleSetClient client;
    private final ScaleSetSpec spec;

    ScaleSetProvisioner(ScaleSetClient client, ScaleSetSpec spec) {
        this.client = client;
        this.spec = spec;
    }

    /**
     * The scale set with {@code storedId} (0: none) if it still has the spec's name, else the one of that name
     * in the spec's group, else a new one; an existing set whose labels or group differ is updated (a refused
     * update is logged, and the set used as it is).
     */
    Provisioned ensure(long storedId) {
        RunnerGroupRef group = client.runnerGroup(spec.runnerGroup());
        ScaleSet set = null;
        if (storedId > 0) {
            try {
                set = client.scaleSet(storedId);
                if (!set.name().equals(spec.name())) {
                    set = null;
                }
            } catch (ScaleSetApiException.ScaleSetNotFound gone) {
                // Deleted while we were away: found by name or created below.
            }
        }
        if (set == null) {
            set = client.scaleSet(group.id(), spec.name()).orElse(null);
        }
        if (set == null) {
            set = client.createScaleSet(spec);
            LOG.info("created scale set '{}' (id {}) in runner group '{}'", spec.name(), set.id(), group.name());
            return new Provisioned(set, true);
        }
        if (!spec.matches(set, group.id())) {
            try {
                set = client.updateScaleSet(set.id(), spec);
            } catch (ScaleSetApiException e) {
                LOG.warn("scale set '{}' (id {}) has labels {} in group {}, the spec asks for {} in '{}', and the"
                        + " update was refused; listening with the labels it has ({})", spec.name(), set.id(),
                        set.labels(), set.runnerGroupId(), spec.effectiveLabels(), group.name(), e.getMessage());
            }
        }
        return new Provisioned(set, false);
    }

    /**
     * Creates the scale set again when a lookup by {@code oldId} confirms it is gone; empty when it still
     * exists (the 404 meant something else) or could not be created.
     */
    Optional<ScaleSet> recreate(long oldId) {
        try {
            client.scaleSet(oldId);
            return Optional.empty();
        } catch (ScaleSetApiException.ScaleSetNotFound confirmed) {
            // Gone indeed.
        } catch (RuntimeException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(client.createScaleSet(spec));
        } catch (RuntimeException e) {
            // Someone (another listener of the same name) may have created it already.
            try {
                return client.scaleSet(client.runnerGroup(spec.runnerGroup()).id(), spec.name());
            } catch (RuntimeException lookup) {
                return Optional.empty();
            }
        }
    }
}
