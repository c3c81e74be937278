package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.HostStandIns;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import io.runnerfleet.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every command of runnerfleet against the fake GitHub on the real Docker engine, one fleet for the
 * class, in the order a user would run them.
 */
@ExtendWith(DockerEngine.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RunnerFleetCliIT {
    private static FakeGitHub github;
    private static FakeScope acme;
    private static Secret pat;
    private static String fleet;
    private static final Map<String, String> env = new HashMap<>();

    @TempDir
    static Path dir;

    /** The board runners' group ({@code BOARD_RUNNER_GROUP_ADD} defaults to dialout), where the host lacks it. */
    private static final HostStandIns host = new HostStandIns("RunnerFleetCliIT");

    @BeforeAll
    static void setUp() throws Exception {
        host.group("dialout");
        DockerEngine.busyboxImage();
        try (DockerBackend backend = DockerBackend.fromEnvironment()) {
            backend.prepare(io.runnerfleet.RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner")))
                    .tag(FakeRunnerImage.TAG), p -> { });
        }
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(3)).build().start();
        acme = github.organization("acme");
        pat = github.newToken("admin:org", "repo");
        fleet = "cli" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        env.putAll(Map.of("ORG", "acme", "GH_PAT", pat.reveal(), "RUNNERFLEET_GITHUB_URL", github.url(),
                "RUNNER_NAME_PREFIX", fleet, "RUNNER_IMAGE", FakeRunnerImage.TAG, "RUNNER_LABELS", "intel",
                "RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_LABELS", "phytiumpi",
                "BOARD_RUNNER_DEVICES", "/dev/null:/dev/ttyUSB0"));
    }

    @AfterAll
    static void tearDown() {
        try {
            run(TestTerminal.none(), "purge", "-y");
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
            assertThat(acme.runners()).as("registrations left at GitHub").isEmpty();
        } finally {
            github.close();
            host.close();
        }
    }

    private static int run(TestTerminal t, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "--env-file";
        all[1] = dir.resolve(".env").toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return RunnerFleetCli.run(all, t, env, DockerBackend::fromEnvironment, Duration.ofSeconds(90));
    }

    private static TestTerminal ok(String... args) {
        TestTerminal t = TestTerminal.none();
        int code = run(t, args);
        assertThat(code).as(String.join(" ", args) + ":\n" + t.all()).isEqualTo(0);
        assertThat(t.all()).doesNotContain(pat.reveal());
        return t;
    }

    private static String runner(int i) {
        return fleet + "-runner-" + i;
    }

    @Test
    @Order(0)
    void issue17_initWithAMissingBoardDeviceExitsThreeAndCreatesNothing() {
        String missing = "/dev/runnerfleet-test-missing-" + java.util.UUID.randomUUID();
        Map<String, String> saved = Map.copyOf(env);
        env.put("RUNNER_BOARD_COUNT", "2");
        env.put("BOARD_RUNNER_DEVICES_2", missing + ":/dev/ttyUSB1");
        try {
            TestTerminal t = TestTerminal.none();
            assertThat(run(t, "init", "-n", "2")).as(t.all()).isEqualTo(ExitCode.CONFIGURATION);
            assertThat(t.err.toString()).contains(missing).contains("board-2").contains("BOARD_RUNNER_DEVICES_2");
        } finally {
            env.clear();
            env.putAll(saved);
        }
        assertThat(acme.runners()).as("registrations at GitHub").isEmpty();
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet)).as("containers").isEmpty();
        assertThat(DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, fleet)).as("volumes").isEmpty();
    }

    @Test
    @Order(1)
    void initStartsGenericAndBoardRunnersAndPsJoinsDockerAndGitHub() {
        TestTerminal init = ok("init", "-n", "2");
        assertThat(init.out.toString()).contains(runner(1), runner(2), fleet + "-board-1-1");
        assertThat(acme.runners()).hasSize(3);
        String table = ok("ps").out.toString();
        assertThat(table.lines().filter(l -> l.startsWith(fleet)))
                .hasSize(3).allMatch(l -> l.contains("running") && l.contains("Idle"));
        assertThat(table).contains("phytiumpi").contains("board-1");
        assertThat(ok("status", "--json").out.toString()).contains("\"runner\":\"" + runner(1) + "\"", "\"github\":\"Idle\"");
    }

    @Test
    @Order(2)
    void stopStartRestartAndLog() {
        assertThat(ok("stop", runner(1)).out.toString()).contains("stopped " + runner(1));
        assertThat(ok("ls").out.toString().lines().filter(l -> l.startsWith(runner(1) + " ")).findFirst().orElseThrow())
                .contains("exited");
        ok("start", runner(1));
        Await.until(Duration.ofSeconds(60), "runner 1 online again", () -> ok("ps").out.toString().lines()
                .anyMatch(l -> l.startsWith(runner(1) + " ") && l.contains("running") && l.contains("Idle")));
        ok("restart", "runner-2");
        assertThat(ok("log", runner(2)).out.toString()).isNotBlank();
        TestTerminal unknown = TestTerminal.none();
        assertThat(run(unknown, "stop", "nosuch")).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(unknown.err.toString()).contains("no runner nosuch").contains(runner(1));
    }

    @Test
    @Order(3)
    void matchSaysWhichPoolTakesAJob() {
        assertThat(ok("match", "--runs-on", "self-hosted,linux,phytiumpi").out.toString()).contains("board-1");
        TestTerminal none = TestTerminal.none();
        assertThat(run(none, "match", "--runs-on", "self-hosted,riscv-board")).isEqualTo(1);
        assertThat(none.out.toString()).contains("riscv-board");
    }

    @Test
    @Order(4)
    void defect3_imageExitsZeroAfterASuccessfulBuildAndNonZeroAfterAFailedOne() throws Exception {
        assertThat(ok("image").out.toString()).contains("image ready");
        Path broken = Files.createTempDirectory("broken-image");
        Files.writeString(broken.resolve("Dockerfile"), "FROM " + io.runnerfleet.testkit.BusyboxBaseImage.TAG + "\nRUN false\n");
        TestTerminal t = TestTerminal.none();
        Map<String, String> saved = Map.copyOf(env);
        env.put("RUNNER_CUSTOM_IMAGE", "runnerfleet-test/broken:" + fleet);
        try {
            assertThat(run(t, "image", "--dockerfile-dir", broken.toString())).isNotZero();
        } finally {
            env.clear();
            env.putAll(saved);
        }
    }

    @Test
    @Order(5)
    void composeWritesAFileWithoutAnySecret() throws Exception {
        Path out = dir.resolve("docker-compose.yml");
        ok("compose", "-n", "2", "-o", out.toString());
        String yaml = Files.readString(out);
        assertThat(yaml).contains(runner(1)).contains(runner(2)).contains("/dev/ttyUSB0").doesNotContain(pat.reveal());
        assertThat(dir.resolve("runner-secrets.env.example")).exists();
    }

    @Test
    @Order(6)
    void defect8_wrongCredentialsExitWithTheGitHubCodeAndNeverPrintTheToken() {
        Map<String, String> saved = Map.copyOf(env);
        env.put("GH_PAT", "ghp_wrong_token_0123456789");
        try {
            TestTerminal t = TestTerminal.none();
            assertThat(run(t, "ps")).isEqualTo(ExitCode.GITHUB);
            assertThat(t.all()).doesNotContain("ghp_wrong_token_0123456789");
        } finally {
            env.clear();
            env.putAll(saved);
        }
    }

    @Test
    @Order(7)
    void destructiveCommandsRefuseWithoutATerminalAndWithoutYes() {
        TestTerminal t = TestTerminal.none();
        assertThat(run(t, "purge")).isEqualTo(ExitCode.REFUSED);
        assertThat(t.err.toString()).contains("-y");
        assertThat(run(TestTerminal.none(), "rm", runner(1))).isEqualTo(ExitCode.REFUSED);
        assertThat(acme.runners()).hasSize(3);
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet)).hasSize(3);
    }

    @Test
    @Order(8)
    void defect5_rmRemovesTheRegistrationTheContainerAndItsVolume() {
        ok("rm", runner(2), "-y");
        assertThat(acme.runner(runner(2))).isEmpty();
        assertThat(DockerEngine.containersLabelled(DockerBackend.RUNNER_LABEL, runner(2))).isEmpty();
        assertThat(DockerEngine.volumesLabelled(DockerBackend.RUNNER_LABEL, runner(2))).isEmpty();
    }

    @Test
    @Order(9)
    void defect6_rmUnregistersARunnerWhoseContainerIsGone() {
        String id = DockerEngine.containersLabelled(DockerBackend.RUNNER_LABEL, runner(1)).get(0).getId();
        DockerEngine.client().removeContainerCmd(id).withForce(true).exec();
        assertThat(acme.runner(runner(1))).isPresent();
        ok("rm", "-y", runner(1));
        assertThat(acme.runner(runner(1))).isEmpty();
    }

    @Test
    @Order(10)
    void defect9_registerAndInitReconcileWithoutOrphansAndInitSmallerRemovesTheExtras() {
        ok("init", "-n", "3");
        assertThat(acme.runners()).hasSize(4);
        ok("init", "-n", "1");
        assertThat(acme.runners()).extracting(r -> r.name()).containsExactlyInAnyOrder(runner(1), fleet + "-board-1-1");
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet)).hasSize(2);
        ok("register");
        assertThat(acme.runners()).hasSize(2);
    }

    @Test
    @Order(11)
    void purgeRemovesEverything() {
        ok("purge", "-y");
        assertThat(acme.runners()).isEmpty();
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
    }
}
