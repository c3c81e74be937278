package io.runnerfleet;

/**
 * A host device given to a runner instance, such as {@code /dev/kvm}, {@code /dev/ttyUSB0} or a stable
 * {@code /dev/serial/by-id/...} link.
 *
 * <pre>{@code
 * DeviceMapping.parse("/dev/serial/by-id/usb-FTDI-if00-port0:/dev/ttyUSB0:rw");
 * }</pre>
 *
 * @param hostPath the device on the host (a link is resolved by the backend)
 * @param path the device's path inside the instance (defaults to {@code hostPath})
 * @param permissions cgroup permissions, a non-empty combination of {@code r}, {@code w} and {@code m} (default {@code rwm})
 */
public record DeviceMapping(String hostPath, String path, String permissions) {
    /** Validates the paths and permissions. */
    public DeviceMapping {
        if (hostPath == null || !hostPath.startsWith("/dev/")) {
            throw new InvalidSpecException("device '" + hostPath + "' must be a path under /dev/, e.g. '/dev/ttyUSB0'");
        }
        if (path == null) {
            path = hostPath;
        }
        if (!path.startsWith("/")) {
            throw new InvalidSpecException("device '" + hostPath + "' needs an absolute path inside the runner, got '" + path + "'");
        }
        if (permissions == null) {
            permissions = "rwm";
        }
        if (!permissions.matches("(?!.*(.).*\\1)[rwm]{1,3}")) {
            throw new InvalidSpecException("device '" + hostPath + "' has permissions '" + permissions
                    + "'; use a combination of r, w and m such as 'rwm'");
        }
    }

    /** Parses {@code host[:container[:perms]]}. */
    public static DeviceMapping parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new InvalidSpecException("a device must not be blank; use host[:container[:perms]], e.g. '/dev/kvm'");
        }
        String[] parts = spec.split(":", -1);
        if (parts.length > 3) {
            throw new InvalidSpecException("device '" + spec + "' is not host[:container[:perms]]");
        }
        return new DeviceMapping(parts[0], parts.length > 1 ? parts[1] : null, parts.length > 2 ? parts[2] : null);
    }

    @Override
    public String toString() {
        return hostPath + ":" + path + ":" + permissions;
    }
}
