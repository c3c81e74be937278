package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import io.runnerfleet.docker.testing.DockerEngine;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.startupcheck.OneShotStartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/** Proves the test pipeline end to end: a local image, a host-network container, its output, no leaks. */
@ExtendWith(DockerEngine.class)
class DockerPipelineIT {
    private static final String OWNER = "io.runnerfleet.test";
    private final String run = "pipeline-" + UUID.randomUUID();

    @AfterEach
    void nothingLeaks() {
        DockerEngine.assertNothingLeft(OWNER, run);
    }

    @Test
    void busyboxContainerOnTheHostNetworkRunsAndIsRemoved() {
        String image = DockerEngine.busyboxImage();
        try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))
                .withNetworkMode("host")
                .withLabel(OWNER, run)
                .withCommand("sh", "-c", "echo hello-from-busybox; hostname; ls /bin/wget")
                .withStartupCheckStrategy(new OneShotStartupCheckStrategy().withTimeout(Duration.ofSeconds(60)))) {
            container.start();

            String output = container.getLogs();
            assertThat(output).contains("hello-from-busybox").contains("/bin/wget");
            assertThat(DockerEngine.containersLabelled(OWNER, run))
                    .extracting(Container::getImage)
                    .containsExactly(image);
            String networkMode = DockerEngine.client().inspectContainerCmd(container.getContainerId()).exec()
                    .getHostConfig().getNetworkMode();
            assertThat(networkMode).isEqualTo("host");
        }
    }

    @Test
    void leakCheckSeesALeftoverContainer() {
        String image = DockerEngine.busyboxImage();
        String id = DockerEngine.client().createContainerCmd(image)
                .withLabels(java.util.Map.of(OWNER, run))
                .withCmd("true").exec().getId();
        try {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> DockerEngine.assertNothingLeft(OWNER, run))
                    .isInstanceOf(AssertionError.class)
                    .hasMessageContaining("left behind");
        } finally {
            DockerEngine.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
        }
    }
}
