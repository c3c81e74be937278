package io.runnerfleet.docker.internal;

import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Checks that a device exists on the host and resolves links such as {@code /dev/serial/by-id/...}
 * to the device node, because the engine needs the node itself and a missing device would otherwise
 * surface as an opaque "error gathering device information" at container start.
 */
public final class DeviceCheck {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFBLK = 0060000;

    private DeviceCheck() {
    }

    /**
     * The device with its host path resolved to the real node; the path inside the runner stays as given.
     *
     * @throws InvalidSpecException if the device is missing or not a device node
     */
    public static DeviceMapping resolve(DeviceMapping device, String runnerName) {
        Path host = Path.of(device.hostPath());
        if (!Files.exists(host)) {
            String hint = Files.isSymbolicLink(host)
                    ? " (it is a dangling link: the board is unplugged or was renamed)"
                    : "";
            throw new InvalidSpecException("device " + device.hostPath() + " of runner " + runnerName
                    + " does not exist on this host" + hint + "; plug the device in, or fix the pool's devices"
                    + " (ls -l /dev/serial/by-id/ lists stable serial names)");
        }
        Path real;
        try {
            real = host.toRealPath();
        } catch (IOException e) {
            throw new InvalidSpecException("device " + device.hostPath() + " of runner " + runnerName
                    + " cannot be resolved: " + e.getMessage(), e);
        }
        Integer mode = mode(real);
        if (mode != null) {
            int type = mode & S_IFMT;
            if (type != S_IFCHR && type != S_IFBLK) {
                throw new InvalidSpecException("device " + device.hostPath() + " of runner " + runnerName
                        + (real.equals(host) ? "" : " (-> " + real + ")")
                        + " is not a character or block device; give a device node such as /dev/ttyUSB0");
            }
        }
        return new DeviceMapping(real.toString(), device.path(), device.permissions());
    }

    // The "unix" attribute view exists on Linux JDKs; elsewhere skip the type check.
    private static Integer mode(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        } catch (UnsupportedOperationException | IllegalArgumentException | IOException e) {
            return null;
        }
    }
}
