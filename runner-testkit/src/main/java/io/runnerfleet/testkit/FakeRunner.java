package io.runnerfleet.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The fake GitHub Actions runner: {@code config.sh} and {@code run.sh} in POSIX sh using only busybox
 * applets, with the real runner's command line, messages and exit codes, talking to a
 * {@link FakeGitHub}.
 *
 * <pre>{@code
 * Path dir = FakeRunner.installTo(Files.createTempDirectory("runner"));
 * // ./config.sh --url <fake.organization("acme").url()> --token <registration token> --name r1 \
 * //     --labels linux --unattended --ephemeral && ./run.sh
 * // or: ./run.sh --jitconfig <encoded_jit_config from generate-jitconfig, or a scale set's encodedJITConfig>
 * }</pre>
 *
 * <p>What it imitates: every {@code configure}/{@code remove}/{@code run} option (case-insensitive,
 * also as {@code ACTIONS_RUNNER_INPUT_<NAME>}, removed after reading); unknown options are reported on
 * stderr and ignored; a missing {@code --url}/{@code --token} with {@code --unattended}, a wrong or
 * expired token, {@code --no-default-labels} without {@code --labels}, an already configured runner
 * and a name conflict without {@code --replace} exit 1; running as root needs
 * {@code RUNNER_ALLOW_RUNASROOT}. {@code run.sh} prints {@code <UTC time>: Listening for Jobs} once
 * connected, takes one job at a time, exits 0 after the job of an ephemeral runner, goes offline
 * and exits 0 on SIGINT/SIGTERM, and exits 0 (run-helper's rule for the listener's exit code 1) when
 * the runner is not configured or its registration was deleted. {@code .runner} and
 * {@code .credentials} (and {@code .credentials_rsaparams}, which a scale set's JIT config carries)
 * are written with mode 600. Needs {@code sh}, {@code wget}, {@code sed},
 * {@code tr}, {@code od}, {@code base64}, {@code mktemp}: {@link #installTo} links them from the host's
 * {@code /bin/busybox} into the runner's {@code bin/} (first on the scripts' {@code PATH}) when it exists,
 * so the scripts also run from {@code #!/bin/sh} (dash) on a host without busybox applets on its PATH.
 */
public final class FakeRunner {
    /** The scripts, in the order they are written. */
    static final List<String> FILES = List.of("runner-common.sh", "config.sh", "run.sh");

    /** The busybox applets the scripts use, linked into {@code bin/} by {@link #installTo}. */
    static final List<String> APPLETS = List.of("wget", "sed", "tr", "od", "base64", "mktemp", "date", "id", "uname",
            "head", "cat", "rm", "mkdir", "chmod", "hostname", "sleep", "kill", "dirname", "printf");

    /** The version the fake runner reports. */
    public static final String VERSION = "2.329.0";

    private FakeRunner() {
    }

    /**
     * Writes the fake runner's scripts into {@code dir} (created if missing), plus {@code bin/} with
     * busybox applet links when {@code /bin/busybox} exists, and returns it: a runner directory for the
     * host-process backend.
     *
     * @throws UncheckedIOException if the directory cannot be written
     */
    public static Path installTo(Path dir) {
        writeScripts(dir);
        if (Files.isExecutable(BusyboxBaseImage.HOST_BUSYBOX)) {
            try {
                Path bin = Files.createDirectories(dir.resolve("bin"));
                for (String applet : APPLETS) {
                    Path link = bin.resolve(applet);
                    Files.deleteIfExists(link);
                    Files.createSymbolicLink(link, BusyboxBaseImage.HOST_BUSYBOX);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot link busybox applets into " + dir.resolve("bin"), e);
            }
        }
        return dir;
    }

    /** Writes only the scripts (the image has busybox applets on its PATH already). */
    static Path writeScripts(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String name : FILES) {
                Path target = dir.resolve(name);
                try (InputStream in = FakeRunner.class.getResourceAsStream("fake-runner/" + name)) {
                    if (in == null) {
                        throw new IllegalStateException("the testkit jar lacks fake-runner/" + name);
                    }
                    Files.write(target, in.readAllBytes());
                }
                try {
                    Set<PosixFilePermission> perms = EnumSet.of(PosixFilePermission.OWNER_READ,
                            PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE,
                            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE);
                    Files.setPosixFilePermissions(target, perms);
                } catch (UnsupportedOperationException e) {
                    target.toFile().setExecutable(true, false);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot install the fake runner into " + dir, e);
        }
    }
}
