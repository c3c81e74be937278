package io.runnerfleet.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SPI's value types: validation, secrets kept out of text and hashes, shell quoting. */
class SpiTypesTest {

    @Test
    void launchSpecKeepsSecretsOutOfItsTextAndHash() {
        LaunchSpec a = LaunchSpec.builder("f", "p", "f-p-1", "img:1").env("A", "1")
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of("tok-1")).build();
        LaunchSpec b = LaunchSpec.builder("f", "p", "f-p-1", "img:1").env("A", "1")
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of("tok-2")).build();
        assertThat(a.toString()).doesNotContain("tok-1").contains("ACTIONS_RUNNER_INPUT_TOKEN");
        assertThat(a.specHash()).hasSize(16).isEqualTo(b.specHash());
        assertThat(LaunchSpec.builder("f", "p", "f-p-1", "img:2").build().specHash()).isNotEqualTo(a.specHash());
        assertThat(a.networkMode()).isEqualTo("host");
        assertThat(a.stopGrace()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void launchSpecRefusesBadParts() {
        assertThatThrownBy(() -> LaunchSpec.builder("f", "p", "f-p-1", " ").build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("f-p-1 has no image");
        assertThatThrownBy(() -> LaunchSpec.builder("f", "p", "f-p-1", "i:1").env("T", "x").secret("T", Secret.of("y")).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'T' is both");
        assertThatThrownBy(() -> LaunchSpec.builder("f", "p", "f-p-1", "i:1").stopGrace(Duration.ofSeconds(-1)).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("stop grace");
    }

    @Test
    void shellLineQuotesEveryArgument() {
        RunnerCommand command = new RunnerCommand(List.of("--name", "f-p-1", "--labels", "a b,c'd"), List.of());
        assertThat(command.shellLine()).isEqualTo("./config.sh --name f-p-1 --labels 'a b,c'\\''d' && exec ./run.sh");
        assertThat(RunnerCommand.quote("")).isEqualTo("''");
        assertThat(RunnerCommand.quote("$(rm -rf /)")).isEqualTo("'$(rm -rf /)'");
    }

    @Test
    void jitRequestNeedsLabelsAndAPositiveGroup() {
        assertThat(new JitRequest("f-p-1", LabelSet.of("x"), 1, null).workFolder()).isEqualTo("_work");
        assertThatThrownBy(() -> new JitRequest("f-p-1", LabelSet.empty(), 1, null)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("f-p-1");
        assertThatThrownBy(() -> new JitRequest("f-p-1", LabelSet.of("x"), 0, null)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("got 0");
    }

    @Test
    void tokensAreValidWithAMargin() {
        Instant expiry = Instant.parse("2026-01-01T01:00:00Z");
        RegistrationToken token = new RegistrationToken(Secret.of("t"), expiry);
        assertThat(token.validAt(expiry.minus(Duration.ofMinutes(10)), Duration.ofMinutes(5))).isTrue();
        assertThat(token.validAt(expiry.minus(Duration.ofMinutes(4)), Duration.ofMinutes(5))).isFalse();
        assertThat(token).isInstanceOf(RegistrationGrant.class);
        assertThat(token.toString()).doesNotContain("t,").contains("****");
    }

    @Test
    void instanceInfoAndRunnersDescribeThemselves() {
        InstanceInfo info = new InstanceInfo("0123456789abcdef", "f-p-1", "f", null, "f-p-1", null, InstanceState.RUNNING,
                null, false, null, null, Map.of());
        assertThat(info.shortId()).isEqualTo("0123456789ab");
        assertThat(info.running()).isTrue();
        assertThat(info.pool()).isEmpty();
        RegisteredRunner r = new RegisteredRunner(1, "f-p-1", null, true, true, LabelSet.of("x"), false);
        assertThat(r.displayStatus()).isEqualTo("Active");
        assertThatThrownBy(() -> LogQuery.tail(-1)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("-1");
    }
}
