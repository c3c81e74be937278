package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.SwarmRig;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.tck.RunnerBackendContract;
import io.runnerfleet.testing.Await;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Core's backend TCK against a one-node swarm from {@code scripts/swarm-rig.sh} (rig {@code rfit},
 * 198.18.1.0/24), with the stand-in runner image loaded onto the node; plus the Swarm-specific
 * secret hand-over.
 */
@ExtendWith(DockerEngine.class)
class SwarmBackendContractIT extends RunnerBackendContract {
    private static SwarmRig rig;
    private static String image;

    @BeforeAll
    static void bringUpTheRig() throws IOException {
        rig = SwarmRig.up("rfit", "198.18.1", 1);
        try (DockerBackend docker = DockerBackend.fromEnvironment()) {
            image = docker.prepare(StandInRunner.context(Files.createTempDirectory("swarm-tck-image")), p -> { });
        }
        rig.load(image);
        rig.load(DockerEngine.busyboxImage());
    }

    @AfterAll
    static void tearDownTheRig() {
        if (rig != null) {
            rig.close();
        }
    }

    @Override
    protected RunnerBackend createBackend() {
        return SwarmBackend.builder().dockerHost(rig.managerHost()).pollInterval(Duration.ofMillis(300)).build();
    }

    @Override
    protected RunnerImage referenceImage() {
        return RunnerImage.of(DockerEngine.busyboxImage());
    }

    @Override
    protected LaunchSpec.Builder launchSpec(String fleet, String runnerName) {
        return LaunchSpec.builder(fleet, "tck", runnerName, image).command(new RunnerCommand(List.of(), List.of()))
                .stopGrace(Duration.ofSeconds(2));
    }

    @Override
    protected void causeExit(InstanceInfo instance, int exitCode) {
        exec(instance, "echo " + exitCode + " > /tmp/exit-code");
    }

    @Override
    protected void emitOutput(InstanceInfo instance, List<String> lines) {
        StringBuilder cmd = new StringBuilder();
        for (String line : lines) {
            cmd.append("echo ").append(RunnerCommand.quote(line)).append(" > /proc/1/fd/1; ");
        }
        exec(instance, cmd.toString());
    }

    @Override
    protected void afterCleanup(List<String> fleets) {
        DockerClient manager = manager();
        for (String fleet : fleets) {
            assertThat(manager.listServicesCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec())
                    .as("services of %s left behind", fleet).isEmpty();
            assertThat(manager.listSecretsCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec())
                    .as("secrets of %s left behind", fleet).isEmpty();
            DockerClient node = rig.nodeClient("rfit-n1");
            Await.until(Duration.ofSeconds(30), "containers of " + fleet + " gone from the node", () -> node.listContainersCmd()
                    .withShowAll(true).withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec().isEmpty());
        }
    }

    @Test
    void theTokenReachesConfigButNotTheServiceTheTaskOrTheLogs() {
        String fleet = fleet("handoff");
        String token = "swarm-token-" + fleet + "-do-not-print";
        LaunchSpec spec = LaunchSpec.builder(fleet, "tck", fleet + "-r-1", image)
                .command(new RunnerCommand(List.of("--name", fleet + "-r-1"), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(token))
                .build();
        InstanceInfo launched = backend.launch(spec);
        String logs = Await.value(Duration.ofSeconds(60), "config.sh saw the token and run.sh listens", () -> {
            try (LogStream s = backend.logs(launched.id(), LogQuery.tail(0))) {
                String all = s.lines().collect(Collectors.joining("\n"));
                return all.contains("listening") ? Optional.of(all) : Optional.empty();
            }
        });
        assertThat(logs).contains("token-sha256: " + StandInRunner.sha256(token)).doesNotContain(token);
        // run.sh prints the names of its environment: the token is not among them.
        assertThat(logs).doesNotContain("env-name: ACTIONS_RUNNER_INPUT_TOKEN");
        DockerClient manager = manager();
        assertThat(manager.inspectServiceCmd(launched.id()).exec().toString()).doesNotContain(token);
        List<Task> tasks = manager.listTasksCmd().withServiceFilter(launched.id()).exec();
        assertThat(tasks.toString()).doesNotContain(token);
        Task running = tasks.stream().filter(t -> t.getStatus().getState() == TaskState.RUNNING).findFirst().orElseThrow();
        var container = rig.nodeClient("rfit-n1").inspectContainerCmd(running.getStatus().getContainerStatus().getContainerID()).exec();
        // Null parts are unset: a service's Command becomes the container's entrypoint, with no Cmd.
        assertThat(Stream.of(container.getConfig().getEnv(), container.getConfig().getEntrypoint(), container.getConfig().getCmd())
                .filter(Objects::nonNull).flatMap(Stream::of)).isNotEmpty().noneMatch(e -> e.contains(token));
        assertThat(manager.listSecretsCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec()).hasSize(1);
        backend.remove(launched.id(), false);
        assertThat(manager.listSecretsCmd().withLabelFilter(Map.of(DockerBackend.FLEET_LABEL, fleet)).exec())
                .as("the secret goes with its service").isEmpty();
    }

    @Test
    void startRightAfterLaunchKeepsTheTaskTheSwarmIsMaking() {
        String fleet = fleet("fresh");
        InstanceInfo launched = backend.launch(launchSpec(fleet, fleet + "-r-1").build());
        backend.start(launched.id());   // as a fleet does: the swarm may not have made the task yet
        Await.until(Duration.ofSeconds(60), "the instance runs", () -> backend.instances(fleet).stream()
                .anyMatch(i -> i.id().equals(launched.id()) && i.running()));
        assertThat(manager().listTasksCmd().withServiceFilter(launched.id()).exec()).as("tasks of the service").hasSize(1);
        backend.remove(launched.id(), false);
    }

    private static DockerClient manager() {
        return rig.nodeClient("rfit-n1");
    }

    // Runs a shell line in the instance's running task container, on whichever node it runs.
    private void exec(InstanceInfo instance, String script) {
        DockerClient manager = manager();
        Task task = Await.value(Duration.ofSeconds(30), "running task of " + instance.id(), () -> manager.listTasksCmd()
                .withServiceFilter(instance.id()).exec().stream()
                .filter(t -> t.getStatus().getState() == TaskState.RUNNING && t.getStatus().getContainerStatus() != null)
                .findFirst());
        String hostname = manager.listSwarmNodesCmd().withIdFilter(List.of(task.getNodeId())).exec().get(0)
                .getDescription().getHostname();
        DockerClient node = rig.nodeClient(hostname);
        String id = node.execCreateCmd(task.getStatus().getContainerStatus().getContainerID())
                .withCmd("/bin/sh", "-c", script).exec().getId();
        try {
            node.execStartCmd(id).start().awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
