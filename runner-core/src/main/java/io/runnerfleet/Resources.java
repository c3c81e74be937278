package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * Resource limits for one runner instance; a null field means no limit.
 *
 * <pre>{@code
 * Resources.none().cpus(2).memoryMiB(4096).pids(4096);
 * }</pre>
 *
 * @param cpus how many CPUs (fractions allowed)
 * @param memoryBytes the memory limit in bytes
 * @param pids the maximum number of processes
 */
public record Resources(@Nullable Double cpus, @Nullable Long memoryBytes, @Nullable Long pids) {
    private static final Resources NONE = new Resources(null, null, null);

    /** Validates each limit. */
    public Resources {
        if (cpus != null && !(cpus > 0 && cpus <= 1024)) {
            throw new InvalidSpecException("cpus must be between 0 (exclusive) and 1024, got " + cpus);
        }
        if (memoryBytes != null && memoryBytes < 6L * 1024 * 1024) {
            throw new InvalidSpecException("memory limit must be at least 6 MiB (Docker's minimum), got " + memoryBytes + " bytes");
        }
        if (pids != null && pids < 1) {
            throw new InvalidSpecException("pids limit must be positive, got " + pids);
        }
    }

    /** No limits. */
    public static Resources none() {
        return NONE;
    }

    /** The same limits with this CPU limit. */
    public Resources cpus(double cpus) {
        return new Resources(cpus, memoryBytes, pids);
    }

    /** The same limits with this memory limit in MiB. */
    public Resources memoryMiB(long mebibytes) {
        return new Resources(cpus, mebibytes * 1024 * 1024, pids);
    }

    /** The same limits with this process limit. */
    public Resources pids(long pids) {
        return new Resources(cpus, memoryBytes, pids);
    }
}
