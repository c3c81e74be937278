package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Scaling;
import io.runnerfleet.spi.RunnerBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** serve's scaling and endpoint settings, and the systemd unit, without Docker or GitHub. */
class ServeSettingsTest {
    @TempDir
    Path dir;

    private static Map<String, String> vars(String... pairs) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void defaultsAreAFixedPersistentPoolOfOneAndOneFixedRunnerPerBoard() {
        ServeSettings s = ServeSettings.from(vars(), 2, null);
        assertThat(s.pools()).containsOnlyKeys("runner", "board-1", "board-2");
        assertThat(s.pools().get("runner")).isEqualTo(new ServeSettings.PoolScaling(Scaling.fixed(1), false));
        assertThat(s.pools().get("board-2")).isEqualTo(new ServeSettings.PoolScaling(Scaling.fixed(1), false));
        assertThat(s.httpHost()).isEqualTo("127.0.0.1");
        assertThat(s.httpPort()).isEqualTo(ServeSettings.DEFAULT_HTTP_PORT);
        assertThat(s.webhookSecret()).isEmpty();
        assertThat(s.keepPersistent()).isTrue();
        assertThat(ServeSettings.from(vars("RUNNER_COUNT", "3"), 0, null).pools().get("runner").scaling()).isEqualTo(Scaling.fixed(3));
        assertThat(ServeSettings.from(vars("RUNNER_COUNT", "3"), 0, 5).pools().get("runner").scaling()).isEqualTo(Scaling.fixed(5));
    }

    @Test
    void onDemandPoolsReadMinMaxIdleTimeoutAndAreEphemeralByDefaultPerBoardVariablesWin() {
        ServeSettings s = ServeSettings.from(vars("RUNNER_SCALING", "on-demand", "RUNNER_MIN", "1", "RUNNER_MAX", "8",
                "RUNNER_IDLE_TIMEOUT", "90s", "RUNNERFLEET_WEBHOOK_SECRET", "s3cr3t-value",
                "BOARD_RUNNER_SCALING", "on-demand", "BOARD_RUNNER_SCALING_2", "fixed", "BOARD_RUNNER_EPHEMERAL_1", "false"), 2, null);
        assertThat(s.pools().get("runner")).isEqualTo(new ServeSettings.PoolScaling(Scaling.onDemand(1, 8, Duration.ofSeconds(90)), true));
        assertThat(s.pools().get("board-1")).isEqualTo(new ServeSettings.PoolScaling(Scaling.onDemand(0, 1, Scaling.DEFAULT_IDLE_TIMEOUT), false));
        assertThat(s.pools().get("board-2").scaling()).isEqualTo(Scaling.fixed(1));
        assertThat(s.toString()).doesNotContain("s3cr3t-value").contains("****");
    }

    @Test
    void everyProblemIsReportedAtOnceNamingTheVariableAndTheFix() {
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "elastic", "BOARD_RUNNER_SCALING_1", "on-demand",
                "BOARD_RUNNER_MAX_1", "2", "RUNNERFLEET_HTTP_PORT", "99999", "RUNNERFLEET_DRAIN_TIMEOUT", "10"), 1, null))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("RUNNER_SCALING must be fixed, on-demand or scale-set, got 'elastic'")
                .hasMessageContaining("BOARD_RUNNER_MAX_1 must be a whole number from 1 to 1")
                .hasMessageContaining("RUNNERFLEET_HTTP_PORT must be a whole number from 0 to 65535")
                .hasMessageContaining("RUNNERFLEET_DRAIN_TIMEOUT must be a positive duration such as 90s")
                .hasMessageContaining("Nothing was started");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "on-demand", "RUNNERFLEET_WEBHOOK_SECRET", "x"), 0, null))
                .hasMessageContaining("RUNNER_MAX is not set").hasMessageContaining("RUNNER_MAX=4");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "on-demand", "RUNNER_MAX", "2"), 0, null))
                .hasMessageContaining("RUNNERFLEET_WEBHOOK_SECRET");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_MAX", "2"), 0, null))
                .hasMessageContaining("RUNNER_MAX is set but pool runner is fixed");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "on-demand", "RUNNER_MIN", "5", "RUNNER_MAX", "2",
                "RUNNERFLEET_WEBHOOK_SECRET", "x"), 0, null)).hasMessageContaining("RUNNER_MIN=5 exceeds RUNNER_MAX=2");
    }

    @Test
    void aScaleSetPoolIsEphemeralOnDemandNeedsNoWebhookSecretAndKeepsItsStateUnderTheStateDirectory() {
        ServeSettings s = ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "linux-x64",
                "RUNNER_MIN", "1", "RUNNER_MAX", "8", "RUNNERFLEET_STATE_DIR", dir.toString(),
                "BOARD_RUNNER_SCALING_2", "scale-set", "BOARD_RUNNER_SCALE_SET_2", "board-two",
                "BOARD_RUNNER_SCALE_SET_STATE_FILE_2", dir.resolve("b2.json").toString()), 2, null);
        ServeSettings.PoolScaling runner = s.pools().get("runner");
        assertThat(runner.scaling()).isEqualTo(Scaling.onDemand(1, 8, Scaling.DEFAULT_IDLE_TIMEOUT));
        assertThat(runner.ephemeral()).isTrue();
        assertThat(runner.onDemand()).as("not fed by webhooks").isFalse();
        assertThat(runner.scaleSet()).contains(new ServeSettings.ScaleSetPool("linux-x64", java.util.Optional.empty()));
        assertThat(s.scaleSetPools()).containsExactly("runner", "board-2");
        assertThat(s.stateFile("ci", "runner")).isEqualTo(dir.resolve("scalesets/ci-runner.json"));
        assertThat(s.stateFile("ci", "board-2")).isEqualTo(dir.resolve("b2.json"));
        assertThat(s.pools().get("board-2").scaling().max()).isEqualTo(1);
        assertThat(s.pools().get("board-1").scaleSet()).isEmpty();
        assertThat(ServeScaleSet.fleetName("ci", "runner")).isEqualTo("ci-runner");
        assertThat(ServeScaleSet.fleetName("a-very-long-fleet-name-xx", "board-12")).hasSizeLessThanOrEqualTo(24)
                .endsWith("-board-12");
    }

    @Test
    void scaleSetMistakesAreReportedBeforeAnythingStarts() {
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_MAX", "4"), 0, null))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("pool runner is driven by a scale set (RUNNER_SCALING) but RUNNER_SCALE_SET is not set")
                .hasMessageContaining("RUNNER_SCALE_SET=linux-x64");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "x64",
                "RUNNER_MAX", "4", "RUNNER_EPHEMERAL", "false"), 0, null))
                .hasMessageContaining("pool runner is driven by scale set 'x64' but RUNNER_EPHEMERAL=false")
                .hasMessageContaining("just in time");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "x64",
                "RUNNER_MAX", "4", "BOARD_RUNNER_SCALING", "scale-set", "BOARD_RUNNER_SCALE_SET", "x64"), 1, null))
                .hasMessageContaining("pools runner and board-1 are both driven by scale set 'x64'");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "no spaces",
                "RUNNER_MAX", "4"), 0, null)).hasMessageContaining("RUNNER_SCALE_SET: scale set name 'no spaces' is not valid");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "x64"), 0, null))
                .hasMessageContaining("RUNNER_MAX is not set");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", "x64",
                "RUNNER_MAX", "4", "RUNNER_IDLE_TIMEOUT", "5m"), 0, null)).hasMessageContaining("remove RUNNER_IDLE_TIMEOUT");
        assertThatThrownBy(() -> ServeSettings.from(vars("RUNNER_SCALE_SET", "x64"), 0, null))
                .hasMessageContaining("RUNNER_SCALE_SET is set but pool runner is not driven by a scale set");
    }

    @Test
    void durationsTakeUnitsOrIsoAndRefuseBareNumbers() {
        assertThat(ServeSettings.duration("500ms")).contains(Duration.ofMillis(500));
        assertThat(ServeSettings.duration("10m")).contains(Duration.ofMinutes(10));
        assertThat(ServeSettings.duration("2h")).contains(Duration.ofHours(2));
        assertThat(ServeSettings.duration("PT90S")).contains(Duration.ofSeconds(90));
        assertThat(ServeSettings.duration("10")).isEmpty();
    }

    @Test
    void serveWithInvalidScalingExitsThreeBeforeTouchingDockerOrGitHub() throws Exception {
        AtomicInteger backends = new AtomicInteger();
        Supplier<RunnerBackend> noDocker = () -> {
            backends.incrementAndGet();
            throw new BackendUnavailableException("no Docker in unit tests");
        };
        TestTerminal t = TestTerminal.none();
        int code = RunnerFleetCli.run(new String[] {"--env-file", dir.resolve(".env").toString(), "serve"}, t,
                vars("ORG", "acme", "GH_PAT", "ghp_unit_test_token_1234", "RUNNER_BOARD_COUNT", "0", "RUNNER_SCALING", "on-demand"),
                noDocker, Duration.ofSeconds(5));
        assertThat(code).as(t.all()).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(t.err.toString()).contains("RUNNER_MAX").doesNotContain("ghp_unit_test_token_1234");
        assertThat(backends).hasValue(0);
    }

    @Test
    void systemdWritesAUnitWithoutSecretsAndRefusesACredentialsFileOthersCanRead() throws Exception {
        Path env = envFile();
        Path creds = credentials("rw-r--r--");
        Path unit = dir.resolve("runnerfleet.service");
        Map<String, String> environment = vars("GH_PAT", "ghp_secret_from_environment", "RUNNERFLEET_WEBHOOK_SECRET", "hook-secret-1");
        String[] args = {"--env-file", env.toString(), "systemd", "-o", unit.toString(), "--credentials-file", creds.toString()};
        TestTerminal refused = TestTerminal.none();
        assertThat(RunnerFleetCli.run(args, refused, environment, () -> null, Duration.ofSeconds(5))).isEqualTo(ExitCode.CONFIGURATION);
        assertThat(refused.err.toString()).contains("chmod 600 " + creds);
        assertThat(unit).doesNotExist();

        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString("rw-------"));
        TestTerminal t = TestTerminal.none();
        assertThat(RunnerFleetCli.run(args, t, environment, () -> null, Duration.ofSeconds(5))).as(t.all()).isZero();
        String text = Files.readString(unit);
        assertThat(text).contains("Restart=on-failure", "EnvironmentFile=" + creds, "KillSignal=SIGTERM",
                "--env-file " + env + " serve", "TimeoutStopSec=660", "WantedBy=multi-user.target");
        assertThat(text).doesNotContain("ghp_secret_from_environment", "ghp_secret_in_file_only", "hook-secret-1", "GH_PAT=");
        assertThat(t.out.toString()).contains("systemctl daemon-reload", "enable --now runnerfleet.service");
    }

    @Test
    void systemdPassesServesOptionsToTheUnitAndTimesItsStopByTheDrainTimeoutItRunsWith() throws Exception {
        Path env = envFile();
        Path creds = credentials("rw-------");
        Path unit = dir.resolve("runnerfleet.service");
        TestTerminal t = TestTerminal.none();
        assertThat(RunnerFleetCli.run(new String[] {"--env-file", env.toString(), "systemd", "-o", unit.toString(),
            "--credentials-file", creds.toString(), "--drain-timeout", "20m", "--http-port", "9280", "--force"}, t, vars(),
                () -> null, Duration.ofSeconds(5))).as(t.all()).isZero();
        assertThat(Files.readString(unit)).contains("--env-file " + env + " serve --http-port 9280 --drain-timeout 20m --force",
                "TimeoutStopSec=1260");
    }

    private Path envFile() throws java.io.IOException {
        return Files.writeString(dir.resolve(".env"), "ORG=acme\nRUNNER_BOARD_COUNT=0\n");
    }

    private Path credentials(String mode) throws java.io.IOException {
        Path creds = Files.writeString(dir.resolve("creds.env"), "GH_PAT=ghp_secret_in_file_only\n");
        Files.setPosixFilePermissions(creds, PosixFilePermissions.fromString(mode));
        return creds;
    }
}
