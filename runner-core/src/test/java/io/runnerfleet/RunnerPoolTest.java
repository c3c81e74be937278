package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Pools and templates: the STYLE example, setter validation, cross-field rules, redaction, derivation. */
class RunnerPoolTest {

    @Test
    void styleExamplePoolsBuild() {
        RunnerPool qemu = RunnerPool.builder("qemu")
                .image(RunnerImage.dockerfile(Path.of("runner-image")).tag("s1lqc-runner:1"))
                .labels("intel")
                .devices("/dev/kvm")
                .ephemeral(true)
                .scaling(Scaling.fixed(4))
                .build();
        RunnerPool board = RunnerPool.builder("phytiumpi")
                .labels("phytiumpi")
                .devices("/dev/serial/by-id/usb-FTDI-if00-port0")
                .groups("dialout")
                .env("BOARD_COMM_UART_BAUD", "115200")
                .scaling(Scaling.fixed(1))
                .build();
        assertThat(qemu.template().registrationMode()).isEqualTo(RegistrationMode.JIT);
        assertThat(qemu.template().effectiveLabels().asList()).containsExactly("self-hosted", "Linux", "X64", "intel");
        assertThat(qemu.template().devices()).extracting(DeviceMapping::path).containsExactly("/dev/kvm");
        assertThat(qemu.scaling()).isEqualTo(Scaling.fixed(4));
        assertThat(board.template().registrationMode()).isEqualTo(RegistrationMode.TOKEN);
        assertThat(board.template().image()).isEmpty();
        assertThat(board.template().groups()).containsExactly("dialout");
        assertThat(board).hasToString("RunnerPool[phytiumpi, fixed(1), RunnerTemplate[fleet's default image, labels "
                + "[self-hosted, Linux, X64, phytiumpi], persistent, TOKEN, env {BOARD_COMM_UART_BAUD=115200}, devices "
                + "[/dev/serial/by-id/usb-FTDI-if00-port0:/dev/serial/by-id/usb-FTDI-if00-port0:rwm], groups [dialout]]]");
        assertThat(board.candidate()).isEqualTo(Matcher.Candidate.pool("phytiumpi",
                LabelSet.of("self-hosted", "Linux", "X64", "phytiumpi"), RunnerGroup.defaultGroup()));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        RunnerTemplate t = RunnerTemplate.builder().build();
        assertThat(t.image()).isEmpty();
        assertThat(t.labels().isEmpty()).isTrue();
        assertThat(t.noDefaultLabels()).isFalse();
        assertThat(t.platform()).isEqualTo(RunnerPlatform.LINUX_X64);
        assertThat(t.runnerGroup()).isEqualTo(RunnerGroup.defaultGroup());
        assertThat(t.workDirectory()).isEqualTo("_work");
        assertThat(t.networkMode()).isEqualTo("host");
        assertThat(t.user()).isEmpty();
        assertThat(t.ephemeral()).isFalse();
        assertThat(t.registrationMode()).isEqualTo(RegistrationMode.TOKEN);
        assertThat(t.disableUpdate()).isFalse();
        assertThat(t.resources()).isEqualTo(Resources.none());
        assertThat(t.warnings()).isEmpty();
        assertThat(RunnerPool.builder("p").build().scaling()).isEqualTo(Scaling.fixed(1));
    }

    static Stream<Arguments> badSetters() {
        return Stream.of(
                bad("blank label", b -> b.labels("intel", " "), "blank"),
                bad("label with comma", b -> b.labels("a,b"), "'a,b'"),
                bad("env name", b -> b.env("1X", "v"), "'1X'"),
                bad("env name with dash", b -> b.env("A-B", "v"), "'A-B'"),
                bad("reserved env", b -> b.env("ACTIONS_RUNNER_INPUT_TOKEN", "t"), "reserved"),
                bad("null env value", b -> b.env("A", null), "A needs a value"),
                bad("device outside /dev", b -> b.devices("/tmp/x"), "'/tmp/x'"),
                bad("device perms", b -> b.devices("/dev/kvm:/dev/kvm:rx"), "'rx'"),
                bad("group", b -> b.groups("Dial Out"), "'Dial Out'"),
                bad("bind mount", b -> b.bindMounts("relative:/x"), "'relative'"),
                bad("bind mount spec", b -> b.bindMounts("/a"), "'/a'"),
                bad("volume", b -> b.volumes(new VolumeMount("bad name", "/w")), "'bad name'"),
                bad("network", b -> b.networkMode("10.0.0.0/8"), "'10.0.0.0/8'"),
                bad("user", b -> b.user("a b"), "'a b'"),
                bad("work dir escape", b -> b.workDirectory("../x"), "'../x'"),
                bad("work dir blank", b -> b.workDirectory(" "), "work directory"),
                bad("image reference", b -> b.image("Upper:Case"), "'Upper:Case'"),
                bad("runner group", b -> b.runnerGroup(" boards"), "' boards'"));
    }

    private static Arguments bad(String what, Consumer<RunnerPool.Builder> setter, String messagePart) {
        return Arguments.of(what, setter, messagePart);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSetters")
    void everySetterValidatesItsArgument(String what, Consumer<RunnerPool.Builder> setter, String messagePart) {
        assertThatThrownBy(() -> setter.accept(RunnerPool.builder("p")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining(messagePart);
    }

    @ParameterizedTest
    @CsvSource({"''", "Qemu", "-qemu", "qemu-", "q_emu", "abcdefghijklmnopqrstuvwxy"})
    void poolNamesFollowTheRunnerNameRule(String name) {
        assertThatThrownBy(() -> RunnerPool.builder(name)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("pool name '" + name + "'");
    }

    static Stream<Arguments> brokenCrossFieldRules() {
        return Stream.of(
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.noDefaultLabels(true), "needs at least one custom label"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.registrationMode(RegistrationMode.JIT), "needs an ephemeral runner"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.ephemeral(true).disableUpdate(true), "JIT runners skip config.sh"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.user("root"), "RUNNER_ALLOW_RUNASROOT"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.user("0:0"), "is root"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.volumes(new VolumeMount("work", "/w")).bindMounts("/srv:/w"), "/w inside the runner"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.devices("/dev/ttyUSB0:/dev/tty0", "/dev/ttyUSB1:/dev/tty0"), "two devices map to /dev/tty0"),
                Arguments.of((Consumer<RunnerPool.Builder>) b -> b.dockerSocket(true).bindMounts("/var/run/docker.sock:/var/run/docker.sock"), "remove the bind mount"));
    }

    @ParameterizedTest
    @MethodSource("brokenCrossFieldRules")
    void buildChecksRulesThatSpanFieldsAndNamesThePool(Consumer<RunnerPool.Builder> setup, String messagePart) {
        RunnerPool.Builder builder = RunnerPool.builder("boards");
        setup.accept(builder);
        assertThatThrownBy(builder::build).isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("pool 'boards': ").hasMessageContaining(messagePart);
    }

    private static String[] customLabels(int count) {
        return java.util.stream.IntStream.rangeClosed(1, count).mapToObj(i -> "board-" + i).toArray(String[]::new);
    }

    @Test
    void issue17_tooManyLabelsWithTheDefaultOnesAreRefusedWhenThePoolIsBuilt() {
        RunnerPool.Builder builder = RunnerPool.builder("boards").labels(customLabels(98));
        assertThatThrownBy(builder::build).isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("pool 'boards': ")
                .hasMessageContaining("carry 101 (98 custom + 3 default)")
                .hasMessageContaining("at most 100 labels per runner, including the 3 default labels [self-hosted, Linux, X64]")
                .hasMessageContaining("remove 1 custom label or set noDefaultLabels(true)");
        assertThatThrownBy(() -> RunnerTemplate.builder().labels(customLabels(98)).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("101");
    }

    @Test
    void theLabelLimitCountsWhatTheRunnerReallyCarries() {
        // 97 custom + 3 default is exactly GitHub's 100
        assertThat(RunnerPool.builder("boards").labels(customLabels(97)).build().candidate().labels().size()).isEqualTo(100);
        // a custom label that repeats a default one is not a second label
        String[] withLinux = customLabels(98);
        withLinux[0] = "linux";
        assertThat(RunnerPool.builder("boards").labels(withLinux).build().template().effectiveLabels().size()).isEqualTo(100);
        // without the default labels, 100 custom ones fit and 100 is also the cap
        assertThat(RunnerPool.builder("boards").noDefaultLabels(true).labels(customLabels(100)).build()
                .template().effectiveLabels().size()).isEqualTo(100);
    }

    @Test
    void theRulesAllowTheirFixes() {
        RunnerPool.builder("p").noDefaultLabels(true).labels("bare").build();
        RunnerPool.builder("p").ephemeral(true).registrationMode(RegistrationMode.TOKEN).disableUpdate(true).build();
        RunnerPool.builder("p").user("root").env("RUNNER_ALLOW_RUNASROOT", "1").build();
        RunnerPool.builder("p").user("1001:1001").build();
        RunnerPool.builder("p").dockerSocket(true).build();
    }

    @Test
    void secretLookingEnvValuesAreRedacted() {
        RunnerTemplate t = RunnerTemplate.builder()
                .env("GH_TOKEN", "ghp_aaaa").env("DB_PASSWORD", "hunter2").env("API_KEY", "k-123")
                .env("GH_PAT", "pat-456").env("AWS_SECRET_ACCESS_KEY", "aws-789").env("NPM_AUTH", "npm-0")
                .env("PATH", "/usr/bin").env("BOARD_COMM_UART_BAUD", "115200")
                .build();
        String text = t.toString() + RunnerPool.builder("p").template(t).build();
        assertThat(text).doesNotContain("ghp_aaaa", "hunter2", "k-123", "pat-456", "aws-789", "npm-0")
                .contains("GH_TOKEN=****", "GH_PAT=****", "PATH=/usr/bin", "BOARD_COMM_UART_BAUD=115200");
        assertThat(t.env()).containsEntry("GH_TOKEN", "ghp_aaaa");
    }

    @ParameterizedTest
    @CsvSource({"GH_TOKEN, true", "github_token, true", "DB_PASSWORD, true", "SSH_PRIVATE_KEY, true", "GH_PAT, true",
            "MY_CREDENTIALS, true", "Session-Cookie, true", "KEYRING, true", "PWD, true", "PATH, false", "PATTERN, false",
            "HOME, false", "BOARD_COMM_UART_BAUD, false", "RUNNER_ALLOW_RUNASROOT, false"})
    void secretLookingNames(String name, boolean secret) {
        assertThat(Secret.looksSecret(name)).isEqualTo(secret);
    }

    @Test
    void withImageDerivesANewTemplateAndLeavesTheOriginal() {
        RunnerTemplate v1 = RunnerTemplate.builder().image("runner:1").labels("intel").devices("/dev/kvm").build();
        RunnerTemplate v2 = v1.withImage(RunnerImage.of("runner:2"));
        assertThat(v1.image()).contains(RunnerImage.of("runner:1"));
        assertThat(v2.image()).contains(RunnerImage.of("runner:2"));
        assertThat(v2.toBuilder().image("runner:1").build()).isEqualTo(v1).hasSameHashCodeAs(v1);
        assertThat(v2).isNotEqualTo(v1);
        assertThat(v1.withLabels("amd").effectiveLabels().asList()).containsExactly("self-hosted", "Linux", "X64", "amd");
        RunnerPool pool = RunnerPool.builder("qemu").template(v1).scaling(Scaling.onDemand(0, 3)).build();
        assertThat(pool.withTemplate(v2).template()).isEqualTo(v2);
        assertThat(pool.withScaling(Scaling.fixed(2)).scaling()).isEqualTo(Scaling.fixed(2));
        assertThat(pool.withTemplate(v1)).isEqualTo(pool);
    }

    @Test
    void noDefaultLabelsLeavesOnlyTheCustomOnes() {
        assertThat(RunnerTemplate.builder().labels("phytiumpi").noDefaultLabels(true).build().effectiveLabels().asList())
                .containsExactly("phytiumpi");
        assertThat(RunnerTemplate.builder().platform(RunnerPlatform.of(RunnerPlatform.Os.LINUX, RunnerPlatform.Architecture.ARM64))
                .labels("phytiumpi").build().effectiveLabels().asList()).containsExactly("self-hosted", "Linux", "ARM64", "phytiumpi");
    }

    @Test
    void riskyOptInsAreWarnedAbout() {
        RunnerTemplate t = RunnerTemplate.builder().privileged(true).dockerSocket(true).build();
        assertThat(t.warnings()).hasSize(2).anySatisfy(w -> assertThat(w).contains("privileged"))
                .anySatisfy(w -> assertThat(w).contains("Docker socket"));
        assertThat(t.toString()).contains("PRIVILEGED", "DOCKER SOCKET");
    }

    @Test
    void runnerGroupByNameUsesTheDefaultGroupForDefault() {
        assertThat(RunnerTemplate.builder().runnerGroup("default").build().runnerGroup().isDefault()).isTrue();
        RunnerTemplate boards = RunnerTemplate.builder().runnerGroup("boards").build();
        assertThat(boards.runnerGroup()).isEqualTo(RunnerGroup.named("boards"));
        assertThat(boards.toString()).contains("group boards");
    }

    @ParameterizedTest
    @CsvSource({"-1", "10000"})
    void fixedScalingIsBounded(int count) {
        assertThatThrownBy(() -> Scaling.fixed(count)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("Scaling.fixed(" + count + ")");
    }

    @ParameterizedTest
    @CsvSource({"-1, 2, PT1M, min must not be negative", "3, 2, PT1M, min must not exceed max", "0, 0, PT1M, max must be between",
            "0, 2, PT0S, idle timeout must be positive", "0, 2, -PT1S, idle timeout must be positive"})
    void onDemandScalingIsValidated(int min, int max, Duration idle, String message) {
        assertThatThrownBy(() -> Scaling.onDemand(min, max, idle)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(message);
    }

    @Test
    void scalingBounds() {
        assertThat(Scaling.fixed(4).min()).isEqualTo(4);
        assertThat(Scaling.fixed(4).max()).isEqualTo(4);
        Scaling.OnDemand onDemand = Scaling.onDemand(1, 8);
        assertThat(List.of(onDemand.min(), onDemand.max())).containsExactly(1, 8);
        assertThat(onDemand.idleTimeout()).isEqualTo(Scaling.DEFAULT_IDLE_TIMEOUT);
        assertThat(onDemand).hasToString("onDemand(1..8, idle PT10M)");
    }
}
