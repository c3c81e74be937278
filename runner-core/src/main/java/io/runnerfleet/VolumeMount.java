package io.runnerfleet;

/**
 * A named volume mounted into a runner instance, kept across restarts of that runner (for the work
 * directory and tool caches) and removed with the runner unless the fleet is asked to keep volumes.
 *
 * @param name the volume's name suffix; the backend prefixes it with the runner's name so runners never share one
 * @param path the absolute path inside the instance
 */
public record VolumeMount(String name, String path) {
    /** Validates both parts. */
    public VolumeMount {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new InvalidSpecException("volume name '" + name + "' is invalid: use letters, digits, '_', '.' and '-', e.g. 'work'");
        }
        if (path == null || !path.startsWith("/")) {
            throw new InvalidSpecException("volume '" + name + "' needs an absolute path inside the runner, got '" + path + "'");
        }
    }
}
