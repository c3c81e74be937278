package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ps, log, stop, rm and purge over a {@code .env} whose generic pool serve drives by a runner scale set, in its own
 * fleet {@code <fleet>-runner}: an in-memory engine and the fake GitHub, no Docker.
 */
class ScaleSetPoolCommandsTest {
    private static final String SCALE_SET_RUNNER = "ssf-runner-runner-1-k4f9z";
    private static final String GHOST = "ssf-runner-runner-2-q7w2e";
    private static final String BOARD_RUNNER = "ssf-board-1-1";

    @TempDir
    Path dir;

    private FakeGitHub github;
    private FakeScope acme;
    private final InMemoryBackend backend = InMemoryBackend.builder().build();
    private final Map<String, String> env = new HashMap<>();
    private InstanceInfo scaleSetRunner;

    @BeforeEach
    void fleetWithAScaleSetPool() {
        github = FakeGitHub.create().start();
        acme = github.organization("acme");
        Secret pat = github.newToken("admin:org", "repo");
        // RUNNER_MAX is missing: serve would refuse these settings, the commands on existing runners must not.
        env.putAll(Map.of("ORG", "acme", "GH_PAT", pat.reveal(), "RUNNERFLEET_GITHUB_URL", github.url(),
                "RUNNER_NAME_PREFIX", "ssf", "RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "linux-x64",
                "RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_DEVICES", "/dev/null:/dev/ttyUSB0"));
        scaleSetRunner = launch("ssf-runner", "runner", SCALE_SET_RUNNER);
        launch("ssf", "board-1", BOARD_RUNNER);
        var registry = github.registry(acme, pat);
        for (String name : List.of(SCALE_SET_RUNNER, GHOST, BOARD_RUNNER)) {
            registry.jitConfig(new JitRequest(name, LabelSet.of("linux-x64"), 1, null));
        }
    }

    @AfterEach
    void closeGitHub() {
        github.close();
    }

    private InstanceInfo launch(String fleet, String pool, String runner) {
        InstanceInfo i = backend.launch(LaunchSpec.builder(fleet, pool, runner, "runner:1")
                .volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build());
        backend.start(i.id());
        return i;
    }

    private int run(TestTerminal t, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--env-file";
        all[1] = dir.resolve(".env").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return RunnerFleetCli.run(all, t, env, () -> backend, Duration.ofSeconds(5));
    }

    @Test
    void psListsTheScaleSetPoolsRunnersWithTheirFleetAndGhostRegistrations() {
        TestTerminal table = TestTerminal.none();
        assertThat(run(table, "ps")).as(table.all()).isZero();
        assertThat(table.out.toString().lines().findFirst().orElseThrow()).containsPattern("RUNNER +FLEET +POOL +CONTAINER");
        assertThat(table.out.toString())
                .containsPattern(SCALE_SET_RUNNER + " +ssf-runner +runner +running ")
                .containsPattern(GHOST + " +ssf-runner +runner +- ")
                .containsPattern(BOARD_RUNNER + " +ssf +board-1 +running ");
        TestTerminal json = TestTerminal.none();
        assertThat(run(json, "ps", "--json")).isZero();
        assertThat(json.out.toString()).contains("{\"runner\":\"" + SCALE_SET_RUNNER + "\",\"fleet\":\"ssf-runner\","
                + "\"pool\":\"runner\",\"container\":\"running\"");
    }

    @Test
    void logAndStopFindARunnerOfAScaleSetPoolWithoutGitHub() {
        env.remove("GH_PAT");
        env.put("RUNNERFLEET_GITHUB_URL", "http://127.0.0.1:9");
        backend.output(scaleSetRunner.id(), "Listening for Jobs");
        TestTerminal log = TestTerminal.none();
        assertThat(run(log, "log", "runner-1-k4f9z")).as(log.all()).isZero();
        assertThat(log.out.toString()).contains("Listening for Jobs");
        TestTerminal stop = TestTerminal.none();
        assertThat(run(stop, "stop", SCALE_SET_RUNNER)).as(stop.all()).isZero();
        assertThat(backend.instances("ssf-runner").get(0).running()).isFalse();
    }

    @Test
    void aRunnerInNoneOfTheFleetsIsAnErrorNamingTheFleetsSearched() {
        for (List<String> command : List.of(List.of("log", "runner-9"), List.of("rm", "-y", "runner-9"),
                List.of("stop", "runner-9"))) {
            TestTerminal t = TestTerminal.none();
            assertThat(run(t, command.toArray(String[]::new))).as(command + ": " + t.all()).isEqualTo(ExitCode.CONFIGURATION);
            assertThat(t.err.toString()).as(command.toString()).contains("no runner runner-9 in fleets ssf, ssf-runner");
        }
        assertThat(backend.instances("ssf-runner")).hasSize(1);
        assertThat(acme.runners()).hasSize(3);
    }

    @Test
    void rmRemovesANamedRunnerOfAScaleSetPoolAtGitHubAndOnTheEngine() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, "rm", "-y", "runner-runner-1-k4f9z")).as(t.all()).isZero();
        assertThat(t.out.toString()).contains("removed " + SCALE_SET_RUNNER);
        assertThat(backend.instances("ssf-runner")).isEmpty();
        assertThat(acme.runners()).extracting(FakeRunnerView::name).containsExactlyInAnyOrder(GHOST, BOARD_RUNNER);
        assertThat(backend.instances("ssf")).extracting(InstanceInfo::runnerName).containsExactly(BOARD_RUNNER);
    }

    @Test
    void purgeAlsoRemovesTheFleetsVolumesWhoseContainerIsAlreadyGone() {
        for (String fleet : List.of("ssf", "ssf-runner")) {
            InstanceInfo gone = launch(fleet, "runner", fleet + "-runner-7");
            backend.remove(gone.id(), true);   // its volume stays, as after shutdown()
        }
        assertThat(backend.volumes()).hasSize(4);
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, "purge", "-y")).as(t.all()).isZero();
        assertThat(backend.volumes()).isEmpty();
    }

    @Test
    void purgeLeavesNoRegistrationContainerOrVolumeOfTheScaleSetPoolsFleet() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, "purge", "-y")).as(t.all()).isZero();
        assertThat(t.out.toString()).contains("removed " + SCALE_SET_RUNNER, "removed " + GHOST, "removed " + BOARD_RUNNER);
        assertThat(backend.instances("ssf-runner")).isEmpty();
        assertThat(backend.instances("ssf")).isEmpty();
        assertThat(backend.volumes()).isEmpty();
        assertThat(acme.runners()).isEmpty();
        TestTerminal ps = TestTerminal.none();
        assertThat(run(ps, "ps")).isZero();
        assertThat(ps.out.toString()).as("the columns stay while the scale-set pool has no runner")
                .startsWith("RUNNER  FLEET  POOL").hasLineCount(1);
    }

    @Test
    void aRunnerNameBelongsToTheFleetThatNamedIt() {
        FleetNames fleets = FleetNames.of("ssf", List.of("runner", "board-1"));
        assertThat(fleets.all()).containsExactly("ssf", "ssf-runner", "ssf-board-1");
        assertThat(fleets.owner(SCALE_SET_RUNNER)).hasValue("ssf-runner");
        assertThat(fleets.owner("ssf-board-1-board-1-1-abcde")).hasValue("ssf-board-1");
        assertThat(fleets.owner("ssf-runner-3")).as("the fleet's own generic runner 3").hasValue("ssf");
        assertThat(fleets.owner("ssf-board-1-1")).hasValue("ssf");
        assertThat(fleets.owner("other-runner-1")).isEmpty();
        // A long fleet name is shortened for the pool's fleet, which then no longer starts with it.
        FleetNames longName = FleetNames.of("a-very-long-fleet-name-x", List.of("runner"));
        String pools = longName.scaleSets().get("runner");
        assertThat(pools).doesNotStartWith("a-very-long-fleet-name-x");
        assertThat(longName.owner(pools + "-runner-1-abcde")).hasValue(pools);
    }

    @Test
    void scaleSetPoolsAreReadWithoutCheckingServesOtherSettings() {
        assertThat(ServeSettings.scaleSetPools(Map.of("RUNNER_SCALING", "scale_set", "BOARD_RUNNER_SCALING", "fixed",
                "BOARD_RUNNER_SCALING_2", "scaleset"), 2)).containsExactly("runner", "board-2");
        assertThat(ServeSettings.scaleSetPools(Map.of("RUNNER_SCALING", "on-demand"), 0)).isEmpty();
    }
}
