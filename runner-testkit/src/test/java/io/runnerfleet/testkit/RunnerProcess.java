package io.runnerfleet.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the fake runner's scripts as host processes with busybox applets first on PATH. */
final class RunnerProcess implements AutoCloseable {
    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "wget", "sed", "tr", "od", "base64", "mktemp", "date",
            "id", "uname", "head", "cat", "rm", "mkdir", "chmod", "hostname", "sleep", "kill", "dirname", "printf");
    final Process process;
    final Path stdout;
    final Path stderr;

    private RunnerProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** A directory of busybox applet links (kept under target/, outside test temp dirs), to put first on PATH. */
    static synchronized Path appletDir() {
        Path bin = Path.of("target", "busybox-bin").toAbsolutePath();
        try {
            Files.createDirectories(bin);
            for (String a : APPLETS) {
                Path link = bin.resolve(a);
                if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(link, BUSYBOX);
                }
            }
            return bin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RunnerProcess start(Path runnerDir, Map<String, String> env, String script, String... args) {
        return start(false, runnerDir, env, script, args);
    }

    /**
     * Starts a script: with busybox sh and busybox applets first on PATH, or {@code viaShebang} as
     * {@code ./script} (the host's /bin/sh) with the host's PATH, relying on the runner's own bin/.
     */
    static RunnerProcess start(boolean viaShebang, Path runnerDir, Map<String, String> env, String script, String... args) {
        List<String> cmd = new ArrayList<>(viaShebang ? List.of("./" + script) : List.of(BUSYBOX.toString(), "sh", script));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(runnerDir.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("ACTIONS_RUNNER_INPUT_") || k.equals("RUNNER_ALLOW_RUNASROOT"));
        pb.environment().put("PATH", viaShebang ? "/usr/local/bin:/usr/bin:/bin" : appletDir() + ":/usr/bin:/bin");
        pb.environment().putAll(env);
        try {
            Path out = Files.createTempFile(runnerDir.getParent(), script, ".out");
            Path err = Files.createTempFile(runnerDir.getParent(), script, ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            return new RunnerProcess(pb.start(), out, err);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs a script to its end (bounded) and returns its exit code. */
    static Result run(Path runnerDir, Map<String, String> env, String script, String... args) {
        try (RunnerProcess p = start(runnerDir, env, script, args)) {
            int code = p.waitFor(Duration.ofSeconds(30));
            return new Result(code, p.out(), p.err());
        }
    }

    record Result(int code, String out, String err) {
    }

    int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the fake runner did not exit within " + timeout + "; output:\n" + out() + err());
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    String out() {
        return read(stdout);
    }

    String err() {
        return read(stderr);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
