package io.runnerfleet.docker.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import io.runnerfleet.testkit.BusyboxBaseImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.testcontainers.DockerClientFactory;

/**
 * JUnit 5 extension for Docker integration tests: checks that an engine answers (skipping the test
 * class with a printed reason, or failing when {@code RUNNERFLEET_REQUIRE_DOCKER=1}), builds the
 * local busybox base image once per JVM, and offers the leak check every Docker test ends with.
 *
 * <pre>{@code
 * @ExtendWith(DockerEngine.class)
 * class MyIT {
 *     @AfterEach void noLeaks() { DockerEngine.assertNothingLeft(OWNER, "my-test"); }
 * }
 * }</pre>
 */
public final class DockerEngine implements BeforeAllCallback {
    /** The environment variable that turns a missing engine from a skip into a failure. */
    public static final String REQUIRE = "RUNNERFLEET_REQUIRE_DOCKER";

    private static volatile boolean baseImageBuilt;

    @Override
    public void beforeAll(ExtensionContext context) {
        requireEngine(context.getDisplayName());
    }

    /** Skips (or, when required, fails) the calling test unless an engine answers. */
    public static void requireEngine(String who) {
        boolean available;
        String reason;
        try {
            available = DockerClientFactory.instance().isDockerAvailable();
            reason = available ? "" : "no Docker engine answers (DOCKER_HOST=" + System.getenv("DOCKER_HOST")
                    + "); start one with scripts/docker-engine.sh";
        } catch (RuntimeException e) {
            available = false;
            reason = "no Docker engine answers: " + e.getMessage();
        }
        if (!available) {
            if ("1".equals(System.getenv(REQUIRE)) || "true".equalsIgnoreCase(System.getenv(REQUIRE))) {
                throw new AssertionError(REQUIRE + " is set but " + reason);
            }
            System.out.println("SKIPPED " + who + ": " + reason);
            Assumptions.abort(reason);
        }
    }

    /** The engine's client (owned by Testcontainers; do not close it). */
    public static DockerClient client() {
        return DockerClientFactory.instance().client();
    }

    /** Builds the local busybox base image once per JVM and returns its tag. */
    public static synchronized String busyboxImage() {
        if (!baseImageBuilt) {
            try {
                Path dir = Files.createTempDirectory("runnerfleet-busybox-");
                BusyboxBaseImage.writeContext(dir);
                client().buildImageCmd(dir.toFile())
                        .withTags(Set.of(BusyboxBaseImage.TAG))
                        .withPull(false)
                        .exec(new BuildImageResultCallback())
                        .awaitImageId(120, TimeUnit.SECONDS);
                deleteTree(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            baseImageBuilt = true;
        }
        return BusyboxBaseImage.TAG;
    }

    /** Containers (in any state) carrying {@code label=value}. */
    public static List<Container> containersLabelled(String label, String value) {
        return client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(label, value)).exec();
    }

    /** Volumes carrying {@code label=value}. */
    public static List<InspectVolumeResponse> volumesLabelled(String label, String value) {
        List<InspectVolumeResponse> volumes = client().listVolumesCmd()
                .withFilter("label", List.of(label + "=" + value)).exec().getVolumes();
        return volumes == null ? List.of() : volumes;
    }

    /** The leak check: no container and no volume carrying {@code label=value} is left. */
    public static void assertNothingLeft(String label, String value) {
        assertThat(containersLabelled(label, value))
                .as("containers labelled %s=%s left behind", label, value)
                .extracting(c -> List.of(c.getNames()) + " " + c.getState())
                .isEmpty();
        assertThat(volumesLabelled(label, value))
                .as("volumes labelled %s=%s left behind", label, value)
                .extracting(InspectVolumeResponse::getName)
                .isEmpty();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
