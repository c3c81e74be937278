package io.runnerfleet.docker;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.docker.testing.DockerEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A tiny runner image for tests: busybox with {@code WORKDIR /home/runner} and stand-in
 * {@code config.sh} / {@code run.sh}. config.sh prints the SHA-256 of the token it got (never the
 * token) and writes {@code .runner}; run.sh counts its starts in {@code _work/starts}, prints the
 * names (never values) of its environment and the SHA-256 of {@code .runner} and {@code .credentials}
 * and waits, or exits with {@code $EXIT_WITH} when set.
 */
final class StandInRunner {
    static final String TAG = "runnerfleet-test/stand-in-runner:1";

    private StandInRunner() {
    }

    /** Writes the image's context into {@code dir}. */
    static RunnerImage.Dockerfile context(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("Dockerfile"), String.join("\n",
                    "FROM " + DockerEngine.busyboxImage(),
                    "WORKDIR /home/runner",
                    "COPY config.sh run.sh ./",
                    "RUN mkdir -p _work",
                    ""));
            script(dir.resolve("config.sh"), String.join("\n",
                    "#!/bin/sh",
                    "echo \"config args: $*\"",
                    "if [ -n \"$ACTIONS_RUNNER_INPUT_TOKEN\" ]; then",
                    "  echo \"token-sha256: $(printf %s \"$ACTIONS_RUNNER_INPUT_TOKEN\" | sha256sum | cut -d' ' -f1)\"",
                    "else echo 'no token'; exit 3; fi",
                    "echo configured > .runner",
                    ""));
            script(dir.resolve("run.sh"), String.join("\n",
                    "#!/bin/sh",
                    "echo started >> _work/starts",
                    "echo \"starts: $(wc -l < _work/starts)\"",
                    "echo \"run args: $*\"",
                    "echo \"groups: $(id -G)\"",
                    "env | cut -d= -f1 | sort | sed 's/^/env-name: /'",
                    "for f in .runner .credentials; do",
                    "  [ -f \"$f\" ] && echo \"$f-sha256: $(sha256sum < \"$f\" | cut -d' ' -f1)\"",
                    "done",
                    "if [ -n \"$EXIT_WITH\" ]; then echo \"exiting with $EXIT_WITH\"; exit \"$EXIT_WITH\"; fi",
                    "trap 'echo stopping; exit 0' TERM",
                    "echo listening",
                    "while true; do",
                    "  if [ -f /tmp/exit-code ]; then code=$(cat /tmp/exit-code); rm -f /tmp/exit-code; exit \"$code\"; fi",
                    "  sleep 1 & wait $!",
                    "done",
                    ""));
            return RunnerImage.dockerfile(dir).tag(TAG);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void script(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
