package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.Subscription;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Runner containers on the real engine: launch, secrets, logs, stop, restart, remove, events. */
@ExtendWith(DockerEngine.class)
class DockerBackendIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "AABBCCDDTOKEN" + UUID.randomUUID().toString().replace("-", "").toUpperCase();

    private final String fleet = "itf" + UUID.randomUUID().toString().substring(0, 8);
    private DockerBackend backend;
    private String image;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        backend = DockerBackend.fromEnvironment();
        image = backend.prepare(StandInRunner.context(dir.resolve("image")), p -> { });
    }

    @AfterEach
    void tearDown() {
        try {
            for (InstanceInfo i : backend.instances(fleet)) {
                backend.remove(i.id(), false);
            }
        } finally {
            backend.close();
        }
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
    }

    private LaunchSpec.Builder spec(String runner) {
        return LaunchSpec.builder(fleet, "pool", fleet + "-" + runner, image)
                .command(new RunnerCommand(List.of("--url", "https://github.com/acme", "--name", fleet + "-" + runner,
                        "--unattended"), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(TOKEN))
                .env("RUNNER_LABELS", "x64,linux")
                .stopGrace(Duration.ofSeconds(5));
    }

    private String logs(String id) {
        try (LogStream s = backend.logs(id, LogQuery.tail(0))) {
            return s.lines().collect(Collectors.joining("\n"));
        }
    }

    @Test
    void launchedRunnerGetsTheTokenButDockerInspectDoesNot() {
        InstanceInfo info = backend.launch(spec("r1").volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build());

        assertThat(info.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(info.fleet()).isEqualTo(fleet);
        assertThat(info.runnerName()).isEqualTo(fleet + "-r1");
        String out = Waits.untilContains(WAIT, "listening", () -> logs(info.id()));
        assertThat(out).contains("token-sha256: " + StandInRunner.sha256(TOKEN))
                .contains("config args: --url https://github.com/acme")
                .contains("env-name: ACTIONS_RUNNER_INPUT_TOKEN")
                .contains("env-name: RUNNER_LABELS")
                .doesNotContain(TOKEN);

        InspectContainerResponse inspect = DockerEngine.client().inspectContainerCmd(info.id()).exec();
        String everything = String.valueOf(inspect) + inspect.getConfig() + inspect.getHostConfig()
                + List.of(inspect.getArgs()) + inspect.getConfig().getLabels() + List.of(inspect.getConfig().getEnv());
        assertThat(everything).doesNotContain(TOKEN).doesNotContain(TOKEN.substring(0, 20));
        assertThat(inspect.getConfig().getLabels())
                .containsEntry(DockerBackend.FLEET_LABEL, fleet)
                .containsEntry(DockerBackend.POOL_LABEL, "pool")
                .containsEntry(DockerBackend.RUNNER_LABEL, fleet + "-r1")
                .containsEntry(DockerBackend.SPEC_HASH_LABEL, spec("r1")
                        .volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build().specHash());
        assertThat(inspect.getHostConfig().getPrivileged()).isFalse();
        assertThat(inspect.getHostConfig().getNetworkMode()).isEqualTo("host");
        assertThat(inspect.getHostConfig().getInit()).isTrue();
        assertThat(inspect.getHostConfig().getLogConfig().getConfig()).containsEntry("max-size", "10m").containsEntry("max-file", "3");
    }
}
