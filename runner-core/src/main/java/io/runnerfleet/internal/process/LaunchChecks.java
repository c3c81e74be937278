package io.runnerfleet.internal.process;

import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.spi.LaunchSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What {@link ProcessRunners} refuses in a launch spec before it creates anything. */
final class LaunchChecks {
    private LaunchChecks() {
    }

    static void refuseWhatProcessesCannotDo(LaunchSpec spec) {
        String name = spec.runnerName();
        List<String> refused = new ArrayList<>();
        if (spec.privileged()) {
            refused.add("privileged");
        }
        if (spec.dockerSocket()) {
            refused.add("dockerSocket");
        }
        if (!spec.resources().equals(io.runnerfleet.Resources.none())) {
            refused.add("resources " + spec.resources());
        }
        if (!"host".equals(spec.networkMode())) {
            refused.add("networkMode " + spec.networkMode());
        }
        if (spec.user() != null) {
            refused.add("user " + spec.user());
        }
        if (!refused.isEmpty()) {
            throw new InvalidSpecException("runner " + name + ": the process backend runs runners as plain processes of "
                    + "this user and cannot honour " + String.join(", ", refused)
                    + "; remove these settings from the pool or use the Docker backend");
        }
        for (DeviceMapping device : spec.devices()) {
            if (!Files.exists(Path.of(device.hostPath()))) {
                throw new InvalidSpecException("runner " + name + ": device " + device.hostPath()
                        + " does not exist on this host; plug the board in or fix the path (ls -l /dev/serial/by-id/)");
            }
        }
    }

    static String validName(String name) {
        if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}") || name.contains("..")) {
            throw new InvalidSpecException("runner name '" + name + "' cannot name a directory: use letters, digits, "
                    + "'.', '_' and '-', starting with a letter or digit, at most 64 characters");
        }
        return name;
    }
}
