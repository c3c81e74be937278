package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.MultiEngineBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.SecondEngine;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testkit.FakeClock;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One fleet over two real engines: the machine's own ("main") and a second dockerd from
 * {@code scripts/second-engine.sh} ("lab") whose host alone has the board, a device node in the lab
 * engine's own mount namespace. Runners use host networking and reach the fake GitHub on 127.0.0.1.
 * Skipped with a printed reason where the second engine cannot run (not root).
 */
@ExtendWith(DockerEngine.class)
class MultiEngineIT {
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static SecondEngine lab;
    private static RunnerImage image;

    private final FakeClock clock = FakeClock.at(java.time.Instant.now());
    private final String name = "me" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    private FakeGitHub github;
    private FakeScope acme;
    private Secret pat;
    private MultiEngineBackend backend;
    private RunnerFleet fleet;

    @BeforeAll
    static void engines() throws Exception {
        lab = SecondEngine.up("rfme");
        lab.load(DockerEngine.busyboxImage());   // the fake runner image is built FROM it, on each engine
        image = RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner-image")))
                .tag(FakeRunnerImage.TAG);
    }

    @AfterAll
    static void removeEngine() {
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void fakeGitHub() {
        github = FakeGitHub.builder().clock(clock).offlineAfter(Duration.ofSeconds(30)).build();
        github.start();
        acme = github.organization("acme");
        pat = github.newToken("admin:org", "repo");
        backend = MultiEngineBackend.builder()
                .engine("main", DockerBackend.fromEnvironment())
                // The lab engine's host is not this JVM's view of the machine: the engine checks devices itself.
                .engine("lab", DockerBackend.builder().dockerHost(lab.host()).localDevices(false).build())
                .build();
    }

    @AfterEach
    void removeEverything() {
        try {
            if (fleet != null) {
                fleet.removeNow();
            }
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, name);
            assertThat(backend.instances(name)).as("instances left on either engine").isEmpty();
            assertThat(acme.runners()).as("registrations left at GitHub").isEmpty();
        } finally {
            if (fleet != null) {
                fleet.close();
            }
            backend.close();
            github.close();
        }
    }

    private RunnerFleet.Builder fleet(RunnerPool.Builder... pools) {
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).clock(clock).build();
        RunnerFleet.Builder b = RunnerFleet.builder().name(name).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(250)).reconcileInterval(Duration.ofSeconds(1))
                .registrationTimeout(Duration.ofSeconds(60)).drainTimeout(Duration.ofSeconds(30))
                .startTimeout(PATIENCE).backoff(Duration.ofMillis(200), Duration.ofSeconds(2));
        for (RunnerPool.Builder p : pools) {
            b.pool(p);
        }
        return b;
    }

    private List<Runner> pool(String pool) {
        return fleet.runners().stream().filter(r -> r.pool().equals(pool)).toList();
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(PATIENCE, what, condition);
    }

    @Test
    void aBoardPoolLandsWhereItsDeviceIsAndAGenericPoolSurvivesAnEngineGoingAway() {
        fleet = fleet(
                RunnerPool.builder("generic").image(image).labels("intel").scaling(Scaling.fixed(4)),
                RunnerPool.builder("board").image(image).labels("board").devices(lab.device() + ":/dev/ttyBOARD")
                        .scaling(Scaling.fixed(1)))
                .build();
        fleet.start();
        assertThat(pool("board")).extracting(Runner::engine).containsExactly("lab");
        assertThat(pool("generic")).extracting(Runner::engine).containsOnly("main", "lab").contains("main", "lab");
        assertThat(fleet.status().table()).contains("ENGINE").contains(" lab ").contains(" main ");

        lab.stop();
        await("every generic runner Idle on main while lab is away", () -> {
            List<Runner> generic = pool("generic");
            return generic.size() == 4 && generic.stream()
                    .allMatch(r -> r.state() instanceof RunnerState.Idle && r.engine().equals("main"));
        });
        assertThat(pool("board")).as("the board runner waits for lab")
                .noneMatch(r -> r.state() instanceof RunnerState.Idle || r.state() instanceof RunnerState.Failed);

        lab.start();
        await("the board runner Idle on lab again", () -> pool("board").stream()
                .allMatch(r -> r.state() instanceof RunnerState.Idle && r.engine().equals("lab")));
        await("nothing registered twice, every runner online", () -> acme.runners().size() == 5
                && acme.runners().stream().allMatch(FakeRunnerView::online));
        assertThat(acme.runners()).extracting(FakeRunnerView::name).doesNotHaveDuplicates();
        assertThat(backend.instances(name)).hasSize(5)
                .filteredOn(i -> i.engine().equals("lab")).extracting(i -> i.pool()).containsExactly("board");
    }

    @Test
    void aDeviceMissingOnEveryEngineFailsNamingTheEnginesChecked() {
        backend.prepare(image, p -> { });
        String absent = lab.device() + "-absent";
        LaunchSpec spec = LaunchSpec.builder(name, "board", name + "-board-1", FakeRunnerImage.TAG)
                .devices(List.of(DeviceMapping.parse(absent))).build();
        assertThatThrownBy(() -> backend.launch(spec)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("main has no " + absent).hasMessageContaining("lab has no " + absent);
    }
}
