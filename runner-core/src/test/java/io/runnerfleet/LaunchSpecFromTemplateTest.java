package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegistrationToken;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A template, a runner name and a registration grant make the runner's launch spec and command. */
class LaunchSpecFromTemplateTest {
    private static final String URL = "https://github.com/acme";
    private static final Secret TOKEN = Secret.of("AAREGTOKEN0123456789");
    private static final RegistrationToken GRANT = new RegistrationToken(TOKEN, Instant.parse("2026-01-01T01:00:00Z"));

    private static RunnerPool.Builder board() {
        return RunnerPool.builder("phytiumpi").labels("phytiumpi", "arm-board").devices("/dev/ttyUSB0").groups("dialout")
                .env("BOARD_COMM_UART_BAUD", "115200").runnerGroup("boards").workDirectory("/work")
                .volumes(new VolumeMount("work", "/work")).networkMode("host").user("runner");
    }

    @Test
    void aTemplateMaySetTheDeprecatedVersionExitCodeItself() {
        RunnerTemplate t = board().env(RunnerTemplate.VERSION_DEPRECATED_EXIT_CODE, "0").build().template();
        LaunchSpec spec = t.launchSpec(RunnerName.of("s1lqc", "phytiumpi", 1), "s1lqc-runner:1", URL, GRANT);
        assertThat(spec.env()).containsEntry(RunnerTemplate.VERSION_DEPRECATED_EXIT_CODE, "0");
    }

    @Test
    void tokenModeConfiguresThenRunsWithTheTokenOnlyInASecret() {
        RunnerTemplate t = board().build().template();
        LaunchSpec spec = t.launchSpec(RunnerName.of("s1lqc", "phytiumpi", 1), "s1lqc-runner:1", URL, GRANT);
        assertThat(spec.command().configureArgs()).containsExactly("--url", URL, "--name", "s1lqc-phytiumpi-1",
                "--labels", "phytiumpi,arm-board", "--runnergroup", "boards", "--work", "/work", "--unattended", "--replace");
        assertThat(spec.command().runArgs()).isEmpty();
        assertThat(spec.secrets()).containsOnlyKeys("ACTIONS_RUNNER_INPUT_TOKEN").containsEntry("ACTIONS_RUNNER_INPUT_TOKEN", TOKEN);
        assertThat(spec.command().shellLine() + spec + spec.env() + spec.specHash()).doesNotContain(TOKEN.reveal());
        assertThat(spec.fleet()).isEqualTo("s1lqc");
        assertThat(spec.pool()).isEqualTo("phytiumpi");
        assertThat(spec.image()).isEqualTo("s1lqc-runner:1");
        assertThat(spec.env()).containsOnly(java.util.Map.entry("BOARD_COMM_UART_BAUD", "115200"),
                java.util.Map.entry(RunnerTemplate.VERSION_DEPRECATED_EXIT_CODE, "1"));
        assertThat(spec.devices()).extracting(DeviceMapping::hostPath).containsExactly("/dev/ttyUSB0");
        assertThat(spec.groups()).containsExactly("dialout");
        assertThat(spec.volumes()).containsExactly(new VolumeMount("work", "/work"));
        assertThat(spec.user()).isEqualTo("runner");
    }

    @Test
    void tokenModeFlagsFollowTheTemplate() {
        RunnerTemplate t = board().ephemeral(true).registrationMode(RegistrationMode.TOKEN).disableUpdate(true)
                .noDefaultLabels(true).build().template();
        List<String> args = t.launchSpec(RunnerName.ephemeral("s1lqc", "phytiumpi", 2, new java.util.Random(1)), "img:1", URL, GRANT)
                .command().configureArgs();
        assertThat(args).endsWith("--unattended", "--replace", "--ephemeral", "--disableupdate", "--no-default-labels");
    }

    @Test
    void withoutCustomLabelsTheLabelsFlagIsLeftOut() {
        List<String> args = RunnerTemplate.builder().build().launchSpec(RunnerName.of("f", "p", 1), "img:1", URL, GRANT)
                .command().configureArgs();
        assertThat(args).doesNotContain("--labels").contains("--runnergroup", "Default", "--work", "_work");
    }

    @Test
    void jitModeRunsWithoutConfigureAndTheConfigOnlyInASecret() {
        RunnerTemplate t = board().ephemeral(true).build().template();
        RunnerName name = RunnerName.ephemeral("s1lqc", "phytiumpi", 1, new java.util.Random(3));
        JitRequest request = t.jitRequest(name, 7);
        assertThat(request.name()).isEqualTo(name.toString());
        assertThat(request.labels().asList()).containsExactly("self-hosted", "Linux", "X64", "phytiumpi", "arm-board");
        assertThat(request.runnerGroupId()).isEqualTo(7);
        assertThat(request.workFolder()).isEqualTo("/work");
        Secret encoded = Secret.of("eyJydW5uZXIiOiJzZWNyZXQifQ==");
        LaunchSpec spec = t.launchSpec(name, "img:1", URL, new JitConfig(42, name.toString(), encoded));
        assertThat(spec.command().configures()).isFalse();
        assertThat(spec.command().shellLine()).isEqualTo("exec ./run.sh");
        assertThat(spec.secrets()).containsOnlyKeys("ACTIONS_RUNNER_INPUT_JITCONFIG");
        assertThat(spec.toString() + spec.env()).doesNotContain(encoded.reveal());
    }

    @Test
    void aGrantThatDoesNotFitIsRefusedWithoutPrintingIt() {
        RunnerTemplate jit = board().ephemeral(true).build().template();
        RunnerTemplate token = board().build().template();
        RunnerName name = RunnerName.of("s1lqc", "phytiumpi", 1);
        Secret encoded = Secret.of("jit-config-value");
        assertThatThrownBy(() -> jit.launchSpec(name, "img:1", URL, GRANT)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("registers with JIT").satisfies(e -> assertThat(e.getMessage()).doesNotContain(TOKEN.reveal()));
        assertThatThrownBy(() -> token.launchSpec(name, "img:1", URL, new JitConfig(1, name.toString(), encoded)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("registers with a token")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(encoded.reveal()));
        assertThatThrownBy(() -> jit.launchSpec(name, "img:1", URL, new JitConfig(1, "s1lqc-phytiumpi-2", encoded)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("is for runner s1lqc-phytiumpi-2, not s1lqc-phytiumpi-1");
        assertThatThrownBy(() -> token.launchSpec(name, "img:1", "github.com/acme", GRANT))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'github.com/acme'");
    }

    @Test
    void privilegedAndSocketOptInsReachTheSpec() {
        LaunchSpec spec = RunnerTemplate.builder().privileged(true).dockerSocket(true).networkMode("bridge")
                .resources(Resources.none().cpus(2).memoryMiB(2048)).build()
                .launchSpec(RunnerName.of("f", "p", 1), "img:1", URL, GRANT);
        assertThat(spec.privileged()).isTrue();
        assertThat(spec.dockerSocket()).isTrue();
        assertThat(spec.networkMode()).isEqualTo("bridge");
        assertThat(spec.resources().cpus()).isEqualTo(2.0);
    }
}
