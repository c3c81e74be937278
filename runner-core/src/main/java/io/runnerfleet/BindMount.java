package io.runnerfleet;

/**
 * A host path mounted into a runner instance.
 *
 * @param hostPath an absolute path on the host
 * @param path an absolute path inside the instance
 * @param readOnly whether the instance may only read it
 */
public record BindMount(String hostPath, String path, boolean readOnly) {
    /** Validates both paths. */
    public BindMount {
        if (hostPath == null || !hostPath.startsWith("/")) {
            throw new InvalidSpecException("bind mount host path must be absolute, got '" + hostPath + "'");
        }
        if (path == null || !path.startsWith("/")) {
            throw new InvalidSpecException("bind mount of '" + hostPath + "' needs an absolute path inside the runner, got '" + path + "'");
        }
    }

    /** Parses {@code host:container[:ro|rw]}. */
    public static BindMount parse(String spec) {
        String[] parts = spec == null ? new String[0] : spec.split(":");
        if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !parts[2].matches("ro|rw"))) {
            throw new InvalidSpecException("bind mount '" + spec + "' is not host:container[:ro|rw], e.g. '/opt/tools:/opt/tools:ro'");
        }
        return new BindMount(parts[0], parts[1], parts.length == 3 && parts[2].equals("ro"));
    }
}
