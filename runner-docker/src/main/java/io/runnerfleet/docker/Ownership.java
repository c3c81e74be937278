package io.runnerfleet.docker;

import io.runnerfleet.spi.LaunchSpec;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels that mark a container or volume as Runner Fleet's, and the one test of them: the
 * backend acts only on what carries them, and the compose export writes the same ones.
 */
final class Ownership {
    static final String FLEET_LABEL = "io.runnerfleet.fleet";
    static final String POOL_LABEL = "io.runnerfleet.pool";
    static final String RUNNER_LABEL = "io.runnerfleet.runner";
    static final String SPEC_HASH_LABEL = "io.runnerfleet.spec-hash";

    private Ownership() {
    }

    /** A runner container's labels: fleet, pool, runner and spec hash, in that order. */
    static Map<String, String> containerLabels(LaunchSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(FLEET_LABEL, spec.fleet());
        labels.put(POOL_LABEL, spec.pool());
        labels.put(RUNNER_LABEL, spec.runnerName());
        labels.put(SPEC_HASH_LABEL, spec.specHash());
        return labels;
    }

    // A volume outlives spec changes (it is adopted by the next container), so it carries no spec hash.
    static Map<String, String> volumeLabels(Map<String, String> containerLabels) {
        Map<String, String> labels = new LinkedHashMap<>(containerLabels);
        labels.remove(SPEC_HASH_LABEL);
        return labels;
    }

    /** Whether these labels (possibly null) mark the object as one of ours. */
    static boolean isOwned(Map<String, String> labels) {
        return labels != null && labels.get(FLEET_LABEL) != null && labels.get(RUNNER_LABEL) != null;
    }
}
