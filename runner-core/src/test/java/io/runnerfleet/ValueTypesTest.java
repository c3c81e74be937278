package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Core's small value types: secrets never print, and every bad value is named. */
class ValueTypesTest {

    @Test
    void secretsNeverPrintAndCompareByValue() {
        Secret secret = Secret.of("ghp_supersecret");
        assertThat(secret).hasToString("Secret[****]");
        assertThat(secret.reveal()).isEqualTo("ghp_supersecret");
        assertThat(secret).isEqualTo(Secret.of("ghp_supersecret")).isNotEqualTo(Secret.of("other"));
        assertThat(secret.hashCode()).isEqualTo(Secret.of("other").hashCode());
        assertThatThrownBy(() -> Secret.of(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void devicesParseWithDefaults() {
        assertThat(DeviceMapping.parse("/dev/kvm")).isEqualTo(new DeviceMapping("/dev/kvm", "/dev/kvm", "rwm"));
        assertThat(DeviceMapping.parse("/dev/serial/by-id/usb-FTDI-if00-port0:/dev/ttyUSB0:rw"))
                .hasToString("/dev/serial/by-id/usb-FTDI-if00-port0:/dev/ttyUSB0:rw");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/tmp/kvm", "/dev/kvm:relative", "/dev/kvm:/dev/kvm:rr", "/dev/kvm:/dev/kvm:x", "a:b:c:d", " "})
    void badDevicesAreRefused(String spec) {
        assertThatThrownBy(() -> DeviceMapping.parse(spec)).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void bindMountsParse() {
        assertThat(BindMount.parse("/opt/tools:/opt/tools:ro")).isEqualTo(new BindMount("/opt/tools", "/opt/tools", true));
        assertThat(BindMount.parse("/srv:/srv").readOnly()).isFalse();
        assertThatThrownBy(() -> BindMount.parse("/a:/b:rx")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("'/a:/b:rx'");
    }

    @Test
    void resourcesAreBounded() {
        Resources r = Resources.none().cpus(1.5).memoryMiB(512).pids(100);
        assertThat(r.memoryBytes()).isEqualTo(512L * 1024 * 1024);
        assertThatThrownBy(() -> Resources.none().cpus(0)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("cpus");
        assertThatThrownBy(() -> Resources.none().memoryMiB(1)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("6 MiB");
        assertThatThrownBy(() -> Resources.none().pids(0)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("pids");
    }

    @Test
    void volumesNeedANameAndAnAbsolutePath() {
        assertThatThrownBy(() -> new VolumeMount("work", "work")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("'work'");
        assertThatThrownBy(() -> new VolumeMount("-x", "/w")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("'-x'");
    }

    @Test
    void imagesAreReferencesOrDockerfiles() {
        assertThat(RunnerImage.of("ghcr.io/actions/actions-runner:2.330.0").reference()).isEqualTo("ghcr.io/actions/actions-runner:2.330.0");
        assertThat(RunnerImage.of("localhost:5000/runner@sha256:" + "a".repeat(64)).reference()).startsWith("localhost:5000/");
        RunnerImage.Dockerfile df = RunnerImage.dockerfile(Path.of("runner-image")).tag("s1lqc-runner:1").buildArg("V", "2");
        assertThat(df.reference()).isEqualTo("s1lqc-runner:1");
        assertThat(df.buildArgs()).containsEntry("V", "2");
        assertThatThrownBy(() -> RunnerImage.dockerfile(Path.of("ctx")).reference()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(".tag(");
        assertThatThrownBy(() -> RunnerImage.of("Runner:1")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("'Runner:1'");
        assertThatThrownBy(() -> RunnerImage.of(" ")).isInstanceOf(InvalidSpecException.class);
    }
}
