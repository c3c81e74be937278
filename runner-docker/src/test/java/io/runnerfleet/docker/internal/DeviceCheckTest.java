package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeviceCheckTest {
    // /dev/shm is a writable directory under /dev, so a test can make a /dev/... link like /dev/serial/by-id.
    private final Path dir = Path.of("/dev/shm/runnerfleet-devicecheck-" + ProcessHandle.current().pid());

    @AfterEach
    void cleanUp() throws IOException {
        if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void anExistingDeviceKeepsItsPathsAndPermissions() {
        DeviceMapping d = DeviceCheck.resolve(DeviceMapping.parse("/dev/null:/dev/board:rw"), "r1");
        assertThat(d).isEqualTo(new DeviceMapping("/dev/null", "/dev/board", "rw"));
    }

    @Test
    void aStableLinkResolvesToTheNodeWhileTheContainerPathStays() throws IOException {
        Files.createDirectories(dir);
        Path link = Files.createSymbolicLink(dir.resolve("usb-FTDI-if00-port0"), Path.of("/dev/zero"));
        DeviceMapping d = DeviceCheck.resolve(DeviceMapping.parse(link + ":/dev/ttyUSB0"), "r1");
        assertThat(d.hostPath()).isEqualTo("/dev/zero");
        assertThat(d.path()).isEqualTo("/dev/ttyUSB0");
        DeviceMapping same = DeviceCheck.resolve(DeviceMapping.parse(link.toString()), "r1");
        assertThat(same.path()).as("container path defaults to the link name").isEqualTo(link.toString());
    }

    @Test
    void aMissingDeviceOrDanglingLinkIsNamedWithTheRunner() throws IOException {
        assertThatThrownBy(() -> DeviceCheck.resolve(DeviceMapping.parse("/dev/ttyUSB99"), "acme-board-1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("/dev/ttyUSB99")
                .hasMessageContaining("acme-board-1").hasMessageContaining("does not exist");
        Files.createDirectories(dir);
        Path dangling = Files.createSymbolicLink(dir.resolve("gone"), Path.of("/dev/ttyUSB98"));
        assertThatThrownBy(() -> DeviceCheck.resolve(DeviceMapping.parse(dangling.toString()), "r1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("dangling link");
    }

    @Test
    void aRegularFileIsNotADevice() throws IOException {
        Files.createDirectories(dir);
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> DeviceCheck.resolve(DeviceMapping.parse(file.toString()), "r1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("not a character or block device");
    }
}
