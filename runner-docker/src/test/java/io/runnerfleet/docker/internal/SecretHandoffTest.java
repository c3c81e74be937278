package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.RunnerCommand;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretHandoffTest {
    private static final String TOKEN = "TOKEN$(touch pwned)'\"`x` ;&|*";

    @TempDir
    Path dir;

    private final RunnerCommand command = new RunnerCommand(List.of("--url", "https://github.com/acme", "--name", "r 1"),
            List.of("--once"));

    /** Runs the prelude with the host's /bin/sh in a directory with stub scripts, feeding stdin. */
    private String run(byte[] stdin) throws IOException, InterruptedException {
        return run(command, stdin);
    }

    /**
     * Like {@link #run(byte[])}; run.sh also prints its /proc environ (what a job of the same user
     * could read) and the runner files it finds.
     */
    private String run(RunnerCommand command, byte[] stdin) throws IOException, InterruptedException {
        script("config.sh", "#!/bin/sh\necho \"config[$*] token=$ACTIONS_RUNNER_INPUT_TOKEN\"\necho done > .runner\n");
        script("run.sh", "#!/bin/sh\necho \"run[$*] token=${ACTIONS_RUNNER_INPUT_TOKEN:-unset}"
                + " jit=${ACTIONS_RUNNER_INPUT_JITCONFIG:-unset} other=${OTHER_SECRET:-unset}\"\n"
                + "echo \"environ: $(tr '\\0' ' ' < /proc/$$/environ)\"\n"
                + "for f in .runner .credentials; do [ -f \"$f\" ] && echo \"file $f: $(cat \"$f\")\"; done; true\n");
        Process p = new ProcessBuilder("/bin/sh", "-c", SecretHandoff.prelude(command)).directory(dir.toFile())
                .redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin);
        }
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private void script(String name, String content) throws IOException {
        Path f = Files.writeString(dir.resolve(name), content);
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void theTokenReachesConfigShVerbatimWithoutBeingEvaluatedAndRunShNeverHasIt() throws Exception {
        String out = run(SecretHandoff.payload(Map.of("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(TOKEN)), "r1"));
        assertThat(out).contains("config[--url https://github.com/acme --name r 1] token=" + TOKEN)
                .contains("run[--once] token=unset");
        assertThat(out.substring(out.indexOf("run[--once]"))).doesNotContain(TOKEN).doesNotContain("TOKEN$");
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void aJitConfigBecomesTheRunnersFilesAndRunShStartsWithoutIt() throws Exception {
        String runnerFile = "{\n  \"agentId\": 7\n}";
        String credentials = "{\"scheme\": \"OAuth\", \"data\": \"$(touch pwned)\"}";
        String json = "{\".runner\":\"" + b64(runnerFile) + "\",\".credentials\":\"" + b64(credentials) + "\"}";
        String jit = b64(json);
        String out = run(new RunnerCommand(List.of(), List.of()), SecretHandoff.payload(Map.of(
                "ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of(jit), "OTHER_SECRET", Secret.of("for-run-sh")), "r1"));
        assertThat(out).contains("run[] token=unset jit=unset other=for-run-sh")
                .contains("file .runner: " + runnerFile).contains("file .credentials: " + credentials)
                .doesNotContain(jit).doesNotContain(b64(runnerFile));
        assertThat(Files.getPosixFilePermissions(dir.resolve(".credentials")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(dir.resolve("pwned")).doesNotExist();
    }

    @Test
    void aJitConfigNotInTheRunnersFormatIsRefusedNamingTheRunnerButNotTheValue() {
        assertThatThrownBy(() -> SecretHandoff.payload(Map.of("ACTIONS_RUNNER_INPUT_JITCONFIG",
                Secret.of("eyJqaXQiOiJjb25maWcifQ-secretpart")), "r1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("r1").hasMessageContaining("JIT config")
                .hasMessageNotContaining("secretpart");
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aRestartWithoutSecretsSkipsConfigurationOfAConfiguredRunner() throws Exception {
        Files.writeString(dir.resolve(".runner"), "done");
        String out = run(SecretHandoff.emptyPayload());
        assertThat(out).doesNotContain("config[").contains("run[--once] token=unset");
    }

    @Test
    void aClosedStdinCountsAsNoSecrets() throws Exception {
        Files.writeString(dir.resolve(".runner"), "done");
        assertThat(run(new byte[0])).contains("run[--once] token=unset");
    }

    @Test
    void thePreludeHoldsNoValueAndBadNamesOrLineBreaksAreRefusedWithoutEchoingTheValue() {
        assertThat(SecretHandoff.prelude(command)).doesNotContain(TOKEN);
        assertThatThrownBy(() -> SecretHandoff.payload(Map.of("BAD-NAME", Secret.of("v")), "r1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("BAD-NAME");
        assertThatThrownBy(() -> SecretHandoff.payload(Map.of("TOKEN", Secret.of("line1\nsecretpart")), "r1"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("TOKEN")
                .hasMessageNotContaining("secretpart");
    }
}
