package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.runnerfleet.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake runner as a host process (busybox sh and applets) against a FakeGitHub. */
class FakeRunnerProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    // Not @TempDir: JUnit warns about every busybox applet link when it cleans up.
    private Path tmp;
    private FakeClock clock;
    private FakeGitHub fake;
    private FakeScope acme;
    private Http http;
    private Path dir;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws java.io.IOException {
        Assumptions.assumeTrue(Files.isExecutable(RunnerProcess.BUSYBOX), "needs /bin/busybox");
        tmp = Files.createTempDirectory("runnerfleet-fake-runner-");
        clock = FakeClock.at(Instant.now());
        fake = FakeGitHub.builder().clock(clock).pollWait(Duration.ofMillis(300)).build().start();
        acme = fake.organization("acme");
        acme.repository("widgets");
        http = new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal());
        dir = FakeRunner.installTo(tmp.resolve("runner"));
        env.put("RUNNER_ALLOW_RUNASROOT", "1");
    }

    @AfterEach
    void stop() throws java.io.IOException {
        fake.close();
        try (var paths = Files.walk(tmp)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p); // a link is deleted, never its target
            }
        }
    }

    private String registrationToken() {
        return json(http.send("POST", "/orgs/acme/actions/runners/registration-token", null)).get("token").asText();
    }

    private static JsonNode json(Http.Resp r) {
        try {
            return SpecValidator.MAPPER.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private RunnerProcess.Result configure(String... args) {
        return RunnerProcess.run(dir, env, "config.sh", args);
    }

    private String statusOf(String name) {
        JsonNode list = json(http.get("/orgs/acme/actions/runners?name=" + name));
        return list.get("total_count").asInt() == 0 ? "absent" : list.get("runners").get(0).get("status").asText();
    }

    /** Configures a persistent runner called {@code name}, starts run.sh and waits until GitHub lists it online. */
    private RunnerProcess startOnline(String name) {
        RunnerProcess.Result c = configure("--url", acme.url(), "--token", registrationToken(), "--name", name, "--unattended");
        assertThat(c.code()).as(c.out() + c.err()).isZero();
        RunnerProcess run = RunnerProcess.start(dir, env, "run.sh");
        try {
            Await.until(WAIT, () -> "online; output: " + run.out() + run.err(), () -> "online".equals(statusOf(name)));
        } catch (RuntimeException | AssertionError e) {
            run.close(); // no stray runner process after a failed wait
            throw e;
        }
        return run;
    }

    @Test
    void ephemeralRunnerRegistersGoesOnlineTakesAJobAndExits() throws Exception {
        RunnerProcess.Result c = configure("--url", acme.url(), "--token", registrationToken(), "--name", "host-1",
                "--labels", "fast,fast,,gpu", "--work", "_w", "--unattended", "--ephemeral", "--disableupdate");
        assertThat(c.code()).as(c.out() + c.err()).isZero();
        assertThat(c.out()).contains("Runner successfully added", "Settings Saved.");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(".credentials")))).isEqualTo("rw-------");
        assertThat(Files.readString(dir.resolve(".runner"))).contains("\"agentName\": \"host-1\"", "\"ephemeral\": true");
        assertThat(dir.resolve("_w")).isDirectory();
        FakeRunnerView registered = acme.runner("host-1").orElseThrow();
        assertThat(registered.labels()).containsExactly("self-hosted", "Linux", registered.labels().get(2), "fast", "gpu");
        assertThat(registered.status()).isEqualTo("offline");
        assertThat(registered.ephemeral()).isTrue();

        try (RunnerProcess run = RunnerProcess.start(dir, env, "run.sh")) {
            Await.until(WAIT, () -> "Listening for Jobs; output: " + run.out() + run.err(),
                    () -> run.out().contains(": Listening for Jobs"));
            assertThat(run.out()).containsPattern("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ: Listening for Jobs");
            assertThat(statusOf("host-1")).isEqualTo("online");
            assertThat(acme.runner("host-1").orElseThrow().version()).isEqualTo(FakeRunner.VERSION);

            FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted", "GPU");
            assertThat(run.waitFor(WAIT)).as(run.out() + run.err()).isZero();
            assertThat(job.status()).isEqualTo("completed");
            assertThat(job.conclusion()).isEqualTo("success");
            assertThat(job.runnerName()).isEqualTo("host-1");
            assertThat(run.out()).contains("Running job: build", "completed with result: Succeeded",
                    "Runner listener exit with 0 return code, stop the service, no retry needed.");
            assertThat(statusOf("host-1")).isEqualTo("absent");
            assertThat(dir.resolve(".credentials")).as("no credentials left behind").doesNotExist();
            assertThat(dir.resolve(".runner")).doesNotExist();
        }
    }

    @Test
    void jitConfigFromTheEnvironmentRegistersWithoutConfigSh() {
        JsonNode jit = json(http.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"jit-host\",\"runner_group_id\":1,\"labels\":[\"self-hosted\",\"jit\"]}"));
        env.put("ACTIONS_RUNNER_INPUT_JITCONFIG", jit.get("encoded_jit_config").asText());
        try (RunnerProcess run = RunnerProcess.start(dir, env, "run.sh")) {
            Await.until(WAIT, () -> "online; output: " + run.out() + run.err(), () -> "online".equals(statusOf("jit-host")));
            FakeJob job = fake.queueJob(acme.repository("widgets"), "jit");
            assertThat(run.waitFor(WAIT)).as(run.out() + run.err()).isZero();
            assertThat(job.runnerName()).isEqualTo("jit-host");
            assertThat(statusOf("jit-host")).isEqualTo("absent");
            assertThat(dir.resolve("_work")).as("the JIT config's work folder").isDirectory();
        }
    }

    @Test
    void jitConfigOnTheCommandLineAndABusyRunnerStaysOnline() {
        JsonNode jit = json(http.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"jit-cli\",\"runner_group_id\":1,\"labels\":[\"self-hosted\",\"slow\"]}"));
        try (RunnerProcess run = RunnerProcess.start(dir, env, "run.sh", "--jitconfig", jit.get("encoded_jit_config").asText())) {
            Await.until(WAIT, () -> "online; output: " + run.out(), () -> "online".equals(statusOf("jit-cli")));
            FakeJob job = fake.queueJob(acme.repository("widgets"), Duration.ofSeconds(2), "slow");
            Await.until(WAIT, "the job to start", () -> "in_progress".equals(job.status()));
            assertThat(acme.runner("jit-cli").orElseThrow().busy()).isTrue();
            assertThat(http.send("DELETE", "/orgs/acme/actions/runners/" + acme.runner("jit-cli").orElseThrow().id(), null).status())
                    .isEqualTo(422);
            assertThat(run.waitFor(WAIT)).isZero();
            assertThat(job.status()).isEqualTo("completed");
        }
    }

    @Test
    void sigtermTakesThePersistentRunnerOfflineAndExitsZero() {
        try (RunnerProcess run = startOnline("persistent")) {
            run.process.destroy(); // SIGTERM
            assertThat(run.waitFor(WAIT)).isZero();
            assertThat(run.out()).contains("Exiting...");
        }
        assertThat(statusOf("persistent")).isEqualTo("offline");
    }

    @Test
    void theRunnerDirectoryWorksFromItsShebangWithTheHostShell() throws Exception {
        assertThat(dir.resolve("bin/wget")).isSymbolicLink();
        String token = json(http.send("POST", "/repos/acme/widgets/actions/runners/registration-token", null)).get("token").asText();
        try (RunnerProcess config = RunnerProcess.start(true, dir, env, "config.sh", "--url", acme.url() + "/widgets",
                "--token", token, "--name", "repo-runner", "--labels", "dash", "--unattended", "--ephemeral")) {
            assertThat(config.waitFor(WAIT)).as(config.out() + config.err()).isZero();
        }
        FakeScope widgets = acme.repository("widgets");
        assertThat(widgets.runner("repo-runner")).as("a repository-level runner").isPresent();
        assertThat(acme.runners()).isEmpty();
        try (RunnerProcess run = RunnerProcess.start(true, dir, env, "run.sh")) {
            Await.until(WAIT, () -> "online; output: " + run.out() + run.err(),
                    () -> widgets.runner("repo-runner").map(FakeRunnerView::online).orElse(false));
            FakeJob job = fake.queueJob(widgets, "dash");
            assertThat(run.waitFor(WAIT)).as(run.out() + run.err()).isZero();
            assertThat(job.runnerName()).isEqualTo("repo-runner");
        }
    }

    @Test
    void runnerSideFailuresAreRetriedOrFailConfiguration() {
        fake.failNext("runner/configure", 1, Fault.drop());
        RunnerProcess.Result dropped = configure("--url", acme.url(), "--token", registrationToken(), "--name", "f", "--unattended");
        assertThat(dropped.code()).isEqualTo(1);
        assertThat(dropped.out()).contains("Failed to connect to");
        assertThat(configure("--url", acme.url(), "--token", registrationToken(), "--name", "f", "--unattended",
                "--ephemeral").code()).isZero();
        fake.failNext("runner/poll", 2, Fault.status(503));
        try (RunnerProcess run = RunnerProcess.start(dir, env, "run.sh")) {
            FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
            assertThat(run.waitFor(WAIT)).as(run.out() + run.err()).isZero();
            assertThat(run.out()).contains("Retrying until reconnected");
            assertThat(job.runnerName()).isEqualTo("f");
        }
        assertThat(fake.requests("runner/poll")).isGreaterThanOrEqualTo(3);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "listener exit {0} -> run.sh exits {1}")
    @org.junit.jupiter.params.provider.CsvSource({"1, 0, terminated error", "5, 5, Another listener already holds the session",
            "6, 6, configuration was refreshed", "7, 0, is deprecated"})
    void aListenerExitEndsRunShAsRunHelperDoes(int code, int processExit, String message) {
        try (RunnerProcess run = startOnline("exits")) {
            acme.exitListener("EXITS", code); // runner names are case-insensitive, as on GitHub
            assertThat(run.waitFor(WAIT)).as(run.out()).isEqualTo(processExit);
            assertThat(run.out()).contains(message);
        }
        assertThat(statusOf("exits")).isEqualTo("offline");
    }

    @Test
    void versionDeprecatedPassesSevenThroughOnlyWhenAskedTo() {
        env.put("ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE", "1");
        try (RunnerProcess run = startOnline("old")) {
            acme.exitListener("old", 7);
            assertThat(run.waitFor(WAIT)).as(run.out()).isEqualTo(7);
            assertThat(run.out()).contains("Runner version " + FakeRunner.VERSION + " is deprecated");
        }
    }

    @Test
    void aRetryableExitRelaunchesTheListenerWhichTakesTheNextJob() {
        env.put("FAKE_RUNNER_RELAUNCH_SECONDS", "1");
        try (RunnerProcess run = startOnline("retry")) {
            acme.exitListener("retry", 2);
            Await.until(WAIT, () -> "relaunch; output: " + run.out(), () -> run.out().contains("re-launch runner in 1 seconds"));
            Await.until(WAIT, () -> "listening twice; output: " + run.out(),
                    () -> run.out().split("Listening for Jobs", -1).length == 3);
            FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
            Await.until(WAIT, () -> "job completed; output: " + run.out(), () -> "completed".equals(job.status()));
            assertThat(job.runnerName()).isEqualTo("retry");
            assertThat(run.process.isAlive()).isTrue();
        }
    }

    @Test
    void exitListenerRejectsUnknownRunnersAndCodes() {
        assertThatThrownBy(() -> acme.exitListener("nobody", 2)).isInstanceOf(io.runnerfleet.InvalidSpecException.class)
                .hasMessageContaining("acme has no runner called 'nobody'");
        assertThatThrownBy(() -> acme.exitListener("nobody", 9)).isInstanceOf(io.runnerfleet.InvalidSpecException.class)
                .hasMessageContaining("exit code 9").hasMessageContaining("1 to 7");
        assertThatThrownBy(() -> acme.exitListener("nobody", 0)).isInstanceOf(io.runnerfleet.InvalidSpecException.class);
    }

    @Test
    void deletingAnOnlineRunnerStopsItsListener() {
        try (RunnerProcess run = startOnline("doomed")) {
            long id = acme.runner("doomed").orElseThrow().id();
            assertThat(http.send("DELETE", "/orgs/acme/actions/runners/" + id, null).status()).isEqualTo(204);
            assertThat(run.waitFor(WAIT)).isZero();
            assertThat(run.out()).contains("Runner registration has been deleted from the server");
        }
    }

    @Test
    void flagsAreCaseInsensitiveAndComeFromTheEnvironmentToo() throws Exception {
        env.put("ACTIONS_RUNNER_INPUT_TOKEN", " " + registrationToken() + " ");
        env.put("ACTIONS_RUNNER_INPUT_LABELS", "from-env");
        env.put("ACTIONS_RUNNER_INPUT_EPHEMERAL", "true");
        RunnerProcess.Result c = configure("--URL", acme.url(), "--Name", "env-runner", "--UNATTENDED");
        assertThat(c.code()).as(c.out() + c.err()).isZero();
        FakeRunnerView r = acme.runner("env-runner").orElseThrow();
        assertThat(r.labels()).contains("from-env");
        assertThat(r.ephemeral()).isTrue();
    }

    @Test
    void unknownFlagsAreReportedAndIgnored() {
        RunnerProcess.Result c = configure("--url", acme.url(), "--token", registrationToken(), "--name", "u1",
                "--unattended", "--bogus", "--colour=red");
        assertThat(c.code()).as(c.out() + c.err()).isZero();
        assertThat(c.err()).contains("Unrecognized command-line input arguments for command configure: 'bogus, colour=red'."
                + " For usage refer to:");
        Path unconfigured = FakeRunner.installTo(tmp.resolve("unconfigured"));
        RunnerProcess.Result r = RunnerProcess.run(unconfigured, env, "run.sh", "--nonsense");
        assertThat(r.err()).contains("Unrecognized command-line input arguments for command run: 'nonsense'");
        assertThat(r.out()).contains("Runner is not configured.");
    }

    @Test
    void missingValuesFailWhenUnattended() {
        RunnerProcess.Result noToken = configure("--url", acme.url(), "--name", "x", "--unattended");
        assertThat(noToken.code()).isEqualTo(1);
        assertThat(noToken.out()).contains("Invalid configuration provided for token. Terminating unattended configuration.");
        RunnerProcess.Result noUrl = configure("--token", "T", "--unattended");
        assertThat(noUrl.code()).isEqualTo(1);
        assertThat(noUrl.out()).contains("Invalid configuration provided for url.");
        RunnerProcess.Result noLabels = configure("--url", acme.url(), "--token", "T", "--unattended", "--no-default-labels");
        assertThat(noLabels.code()).isEqualTo(1);
        assertThat(noLabels.out()).contains("--no-default-labels without specifying --labels is not supported");
        assertThat(dir.resolve(".runner")).doesNotExist();
    }

    @Test
    void wrongAndExpiredTokensFailWithoutLeavingFiles() {
        RunnerProcess.Result wrong = configure("--url", acme.url(), "--token", "NOTATOKEN", "--name", "w", "--unattended");
        assertThat(wrong.code()).isEqualTo(1);
        assertThat(wrong.out()).contains("Http response code: NotFound").doesNotContain("NOTATOKEN");
        String token = registrationToken();
        clock.advance(Duration.ofMinutes(61));
        RunnerProcess.Result expired = configure("--url", acme.url(), "--token", token, "--name", "w", "--unattended");
        assertThat(expired.code()).isEqualTo(1);
        assertThat(expired.out()).contains("NotFound");
        assertThat(dir.resolve(".runner")).doesNotExist();
        assertThat(dir.resolve(".credentials")).doesNotExist();
        assertThat(acme.runners()).isEmpty();
    }

    @Test
    void aNameConflictFailsWithoutReplaceAndReplacesWithIt() throws Exception {
        assertThat(configure("--url", acme.url(), "--token", registrationToken(), "--name", "dup", "--unattended").code()).isZero();
        long firstId = acme.runner("dup").orElseThrow().id();
        Path other = FakeRunner.installTo(tmp.resolve("other"));
        RunnerProcess.Result conflict = RunnerProcess.run(other, env, "config.sh", "--url", acme.url(), "--token",
                registrationToken(), "--name", "dup", "--unattended");
        assertThat(conflict.code()).isEqualTo(1);
        assertThat(conflict.out()).contains("A runner exists with the same name dup.");
        RunnerProcess.Result replaced = RunnerProcess.run(other, env, "config.sh", "--url", acme.url(), "--token",
                registrationToken(), "--name", "dup", "--unattended", "--replace");
        assertThat(replaced.code()).as(replaced.out()).isZero();
        assertThat(acme.runners()).extracting(FakeRunnerView::name).containsExactly("dup");
        assertThat(acme.runner("dup").orElseThrow().id()).isNotEqualTo(firstId);
        // The replaced runner's credentials no longer work: run.sh says it was deleted and stops.
        RunnerProcess.Result stale = RunnerProcess.run(dir, env, "run.sh");
        assertThat(stale.code()).isZero();
        assertThat(stale.out()).contains("Runner registration has been deleted from the server");
    }

    @Test
    void configuringTwiceFailsAndRemoveNeedsARemoveToken() throws Exception {
        assertThat(configure("--url", acme.url(), "--token", registrationToken(), "--name", "rm", "--unattended").code()).isZero();
        RunnerProcess.Result again = configure("--url", acme.url(), "--token", registrationToken(), "--name", "rm", "--unattended");
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.out()).contains("Cannot configure the runner because it is already configured.");

        RunnerProcess.Result withRegistrationToken = configure("remove", "--token", registrationToken());
        assertThat(withRegistrationToken.code()).isEqualTo(1);
        assertThat(acme.runner("rm")).isPresent();

        String removeToken = json(http.send("POST", "/orgs/acme/actions/runners/remove-token", null)).get("token").asText();
        RunnerProcess.Result removed = configure("remove", "--token", removeToken);
        assertThat(removed.code()).as(removed.out()).isZero();
        assertThat(removed.out()).contains("Runner removed successfully");
        assertThat(acme.runner("rm")).isEmpty();
        assertThat(dir.resolve(".runner")).doesNotExist();
        assertThat(dir.resolve(".credentials")).doesNotExist();
    }

    @Test
    void runOnAnUnconfiguredRunnerStopsWithExitZero() {
        RunnerProcess.Result r = RunnerProcess.run(dir, env, "run.sh");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("Runner is not configured.");
    }

    @Test
    void refusesRootWithoutRunnerAllowRunAsRoot() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "only meaningful as root");
        env.remove("RUNNER_ALLOW_RUNASROOT");
        RunnerProcess.Result c = configure("--url", acme.url(), "--token", "T", "--unattended");
        assertThat(c.code()).isEqualTo(1);
        assertThat(c.out()).contains("Must not run with sudo");
        RunnerProcess.Result r = RunnerProcess.run(dir, env, "run.sh");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).contains("Must not run interactively with sudo");
    }
}
