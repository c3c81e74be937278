package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.core.command.CreateContainerCmdImpl;
import io.runnerfleet.BindMount;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.internal.HostGroups;
import io.runnerfleet.spi.LaunchSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The backend's create call and the compose service come from one plan, so they agree on what makes a runner ours. */
class ContainerPlanTest {
    @TempDir
    Path dir;

    private LaunchSpec spec() {
        return LaunchSpec.builder("acme", "board", "acme-board-1", "acme-runner:1")
                .env("BOARD", "phytiumpi")
                .volumes(List.of(new VolumeMount("work", "/home/runner/_work"), new VolumeMount("cache", "/cache")))
                .bindMounts(List.of(BindMount.parse("/opt/tools:/opt/tools:ro")))
                .devices(List.of(DeviceMapping.parse("/dev/kvm")))
                .groups(List.of("kvm"))
                .extraHosts(Map.of("github.example", "127.0.0.1"))
                .dockerSocket(true)
                .build();
    }

    private Path groupFile() throws IOException {
        Path file = dir.resolve("group");
        Files.writeString(file, "kvm:x:994:\n");
        return file;
    }

    // A create call that is only filled in, never sent.
    private static CreateContainerCmd unsent() {
        return new CreateContainerCmdImpl(cmd -> {
            throw new AssertionError("a unit test sends nothing to an engine");
        }, null, "acme-runner:1");
    }

    @Test
    @SuppressWarnings("unchecked")
    void backendAndComposeExportAgreeOnLabelsVolumesAndLogRotation() throws IOException {
        LaunchSpec spec = spec();
        ContainerPlan plan = ContainerPlan.of(spec, HostGroups.read(groupFile()), UnaryOperator.identity());
        CreateContainerCmd create = DockerBackend.describe(unsent(), plan);
        HostConfig host = create.getHostConfig();

        Map<String, Object> root = new Yaml(new LoaderOptions())
                .load(ComposeExport.of(List.of(spec)).groupFile(groupFile()).toYaml());
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) root.get("services")).get("acme-board-1");
        Map<String, Object> composeVolumes = (Map<String, Object>) root.get("volumes");

        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(DockerBackend.FLEET_LABEL, "acme");
        labels.put(DockerBackend.POOL_LABEL, "board");
        labels.put(DockerBackend.RUNNER_LABEL, "acme-board-1");
        labels.put(DockerBackend.SPEC_HASH_LABEL, spec.specHash());
        assertThat(create.getLabels()).containsExactlyEntriesOf(labels);
        assertThat((Map<String, Object>) service.get("labels")).containsExactlyEntriesOf(new LinkedHashMap<>(labels));

        // The backend creates each named volume with these labels before the container (launch); compose declares them.
        Map<String, String> volumeLabels = new LinkedHashMap<>(labels);
        volumeLabels.remove(DockerBackend.SPEC_HASH_LABEL);
        assertThat(plan.volumes()).containsExactly("acme-board-1-work", "acme-board-1-cache");
        assertThat(plan.volumeLabels()).containsExactlyEntriesOf(volumeLabels);
        assertThat(composeVolumes).containsOnlyKeys(plan.volumes());
        for (String volume : plan.volumes()) {
            assertThat((Map<String, Object>) ((Map<String, Object>) composeVolumes.get(volume)).get("labels"))
                    .containsExactlyEntriesOf(new LinkedHashMap<>(volumeLabels));
        }

        List<String> binds = Arrays.stream(host.getBinds()).map(Bind::toString).toList();
        assertThat(binds).containsExactly("acme-board-1-work:/home/runner/_work:rw", "acme-board-1-cache:/cache:rw",
                "/opt/tools:/opt/tools:ro", "/var/run/docker.sock:/var/run/docker.sock:rw");
        assertThat((List<String>) service.get("volumes")).containsExactly("acme-board-1-work:/home/runner/_work",
                "acme-board-1-cache:/cache", "/opt/tools:/opt/tools:ro", "/var/run/docker.sock:/var/run/docker.sock");

        Map<String, Object> logging = (Map<String, Object>) service.get("logging");
        assertThat(host.getLogConfig().getType().getType()).isEqualTo("json-file").isEqualTo(logging.get("driver"));
        assertThat(host.getLogConfig().getConfig()).containsExactlyInAnyOrderEntriesOf(Map.of("max-size", "10m", "max-file", "3"));
        assertThat((Map<String, Object>) logging.get("options")).containsExactlyInAnyOrderEntriesOf(Map.of("max-size", "10m", "max-file", "3"));

        assertThat(host.getGroupAdd()).containsExactly("994").isEqualTo(service.get("group_add"));
        assertThat(host.getExtraHosts()).containsExactly("github.example:127.0.0.1");
        assertThat((List<String>) service.get("extra_hosts")).containsExactly("github.example:127.0.0.1");
        assertThat(create.getEnv()).containsExactly("BOARD=phytiumpi");
        assertThat(create.getName()).isEqualTo("acme-board-1").isEqualTo(service.get("container_name"));
    }

    @Test
    void theBackendResolvesDevicesWhileTheExportKeepsThemAsGiven() {
        LaunchSpec spec = LaunchSpec.builder("acme", "board", "acme-board-1", "acme-runner:1")
                .devices(List.of(DeviceMapping.parse("/dev/serial/by-id/usb-X:/dev/ttyUSB0"))).build();
        DeviceMapping resolved = new DeviceMapping("/dev/ttyUSB3", "/dev/ttyUSB0", "rwm");
        ContainerPlan plan = ContainerPlan.of(spec, HostGroups.parse("", "none"), d -> resolved);
        CreateContainerCmd create = DockerBackend.describe(unsent(), plan);

        assertThat(create.getHostConfig().getDevices()).singleElement().satisfies(d -> {
            assertThat(d.getPathOnHost()).isEqualTo("/dev/ttyUSB3");
            assertThat(d.getPathInContainer()).isEqualTo("/dev/ttyUSB0");
            assertThat(d.getcGroupPermissions()).isEqualTo("rwm");
        });
        assertThat(ComposeExport.of(List.of(spec)).toYaml()).contains("\"/dev/serial/by-id/usb-X:/dev/ttyUSB0:rwm\"");
    }
}
