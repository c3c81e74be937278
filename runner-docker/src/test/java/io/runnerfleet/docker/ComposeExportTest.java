package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BindMount;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Resources;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

class ComposeExportTest {
    private static final String TOKEN = "AAAATOKENVALUE1234567890";

    @TempDir
    Path dir;

    private Path groupFile() throws IOException {
        Path file = dir.resolve("group");
        Files.writeString(file, "root:x:0:\ndialout:x:20:pi\nkvm:x:994:\n");
        return file;
    }

    private static LaunchSpec board(String env) {
        return LaunchSpec.builder("acme", "board", "acme-board-1", "acme-runner:1")
                .command(new RunnerCommand(List.of("--url", "https://github.com/acme", "--name", "acme-board-1",
                        "--labels", "board,it's \"quoted\""), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(TOKEN))
                .env("BOARD", env)
                .env("key: with colon", "v")
                .volumes(List.of(new VolumeMount("work", "/home/runner/_work")))
                .bindMounts(List.of(BindMount.parse("/opt/tools:/opt/tools:ro")))
                .devices(List.of(DeviceMapping.parse("/dev/serial/by-id/usb-FTDI_X-if00-port0:/dev/ttyUSB0"),
                        DeviceMapping.parse("/dev/kvm")))
                .groups(List.of("dialout", "kvm"))
                .resources(Resources.none().cpus(1.5).memoryMiB(512).pids(256))
                .extraHosts(Map.of("github.example", "127.0.0.1"))
                .stopGrace(Duration.ofSeconds(45))
                .build();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> parse(String yaml) {
        return new Yaml(new LoaderOptions()).load(yaml);
    }

    @Test
    @SuppressWarnings("unchecked")
    void envValuesCannotInjectKeysAndRoundTripExactly() throws IOException {
        String hostile = "x\"\nprivileged: true\n  evil: [1]\\ #comment\u2028\t'end";
        String yaml = ComposeExport.of(List.of(board(hostile))).groupFile(groupFile()).toYaml();
        Map<String, Object> root = parse(yaml);
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) root.get("services")).get("acme-board-1");

        assertThat(service).doesNotContainKey("privileged").doesNotContainKey("evil");
        assertThat((Map<String, Object>) service.get("environment"))
                .containsEntry("BOARD", hostile).containsEntry("key: with colon", "v").hasSize(2);
    }

    @Test
    @SuppressWarnings("unchecked")
    void servicesCarryVolumesDevicesGroupsLabelsLimitsAndNoSecret() throws IOException {
        LaunchSpec spec = board("phytiumpi");
        ComposeExport export = ComposeExport.of(List.of(spec)).envFile("acme.env").groupFile(groupFile());
        Path file = dir.resolve("docker-compose.yml");
        export.writeTo(file);
        String yaml = Files.readString(file);
        assertThat(yaml).doesNotContain(TOKEN);

        Map<String, Object> root = parse(yaml);
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) root.get("services")).get("acme-board-1");
        assertThat(service).containsEntry("image", "acme-runner:1").containsEntry("container_name", "acme-board-1")
                .containsEntry("network_mode", "host").containsEntry("init", true).doesNotContainKey("privileged")
                .containsEntry("env_file", List.of("acme.env")).containsEntry("group_add", List.of("20", "994"))
                .containsEntry("devices", List.of("/dev/serial/by-id/usb-FTDI_X-if00-port0:/dev/ttyUSB0:rwm", "/dev/kvm:/dev/kvm:rwm"))
                .containsEntry("volumes", List.of("acme-board-1-work:/home/runner/_work", "/opt/tools:/opt/tools:ro"))
                .containsEntry("cpus", 1.5).containsEntry("mem_limit", 512 * 1024 * 1024).containsEntry("pids_limit", 256)
                .containsEntry("extra_hosts", List.of("github.example:127.0.0.1"))
                .containsEntry("stop_grace_period", "45000ms").containsEntry("stop_signal", "SIGTERM");
        assertThat((Map<String, Object>) service.get("labels"))
                .containsEntry(DockerBackend.FLEET_LABEL, "acme").containsEntry(DockerBackend.POOL_LABEL, "board")
                .containsEntry(DockerBackend.RUNNER_LABEL, "acme-board-1")
                .containsEntry(DockerBackend.SPEC_HASH_LABEL, spec.specHash());
        assertThat((Map<String, Object>) ((Map<String, Object>) service.get("logging")).get("options"))
                .containsEntry("max-size", "10m").containsEntry("max-file", "3");
        List<String> entrypoint = (List<String>) service.get("entrypoint");
        assertThat(entrypoint).hasSize(3).startsWith("/bin/sh", "-c");
        assertThat(entrypoint.get(2)).contains("./config.sh --url https://github.com/acme")
                .contains("'board,it'\\''s \"quoted\"'").contains("exec ./run.sh").doesNotContain(TOKEN);
        Map<String, Object> volume = (Map<String, Object>) ((Map<String, Object>) root.get("volumes")).get("acme-board-1-work");
        assertThat(volume).containsEntry("name", "acme-board-1-work");
        assertThat((Map<String, Object>) volume.get("labels")).containsEntry(DockerBackend.RUNNER_LABEL, "acme-board-1");

        assertThat(export.secretNames()).containsExactly("ACTIONS_RUNNER_INPUT_TOKEN");
        assertThat(export.envFileTemplate()).contains("ACTIONS_RUNNER_INPUT_TOKEN=\n").doesNotContain(TOKEN);
        assertThat(export.toString()).doesNotContain(TOKEN);
    }

    @Test
    @SuppressWarnings("unchecked")
    void optInsAppearOnlyWhenAskedAndJitRunnersSkipConfig() {
        LaunchSpec jit = LaunchSpec.builder("acme", "eph", "acme-eph-1", "acme-runner:1")
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of("jit-value")).privileged(true).dockerSocket(true).build();
        LaunchSpec plain = LaunchSpec.builder("acme", "gen", "acme-gen-1", "acme-runner:1").build();
        Map<String, Object> services = (Map<String, Object>) parse(ComposeExport.of(List.of(jit, plain)).toYaml()).get("services");
        Map<String, Object> eph = (Map<String, Object>) services.get("acme-eph-1");
        assertThat(eph).containsEntry("privileged", true)
                .containsEntry("volumes", List.of("/var/run/docker.sock:/var/run/docker.sock"));
        assertThat(((List<String>) eph.get("entrypoint")).get(2)).isEqualTo("exec ./run.sh");
        Map<String, Object> gen = (Map<String, Object>) services.get("acme-gen-1");
        assertThat(gen).doesNotContainKeys("privileged", "volumes", "env_file", "devices", "group_add");
    }

    @Test
    void duplicateRunnersAndUnknownGroupsAreRefused() throws IOException {
        LaunchSpec spec = LaunchSpec.builder("acme", "gen", "acme-gen-1", "acme-runner:1").groups(List.of("plugdev")).build();
        assertThatThrownBy(() -> ComposeExport.of(List.of(spec, spec)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("acme-gen-1").hasMessageContaining("twice");
        ComposeExport export = ComposeExport.of(List.of(spec)).groupFile(groupFile());
        assertThatThrownBy(export::toYaml).isInstanceOf(InvalidSpecException.class).hasMessageContaining("plugdev");
    }
}
