package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.testing.Await;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A program of the test classpath run in a JVM of its own, for tests that kill a fleet's JVM mid-flight
 * (the fault matrix, the scale-set burst): its output lines are collected as they come, a test waits for a
 * line it prints, then kills it.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(FaultFleet.class, Map.of("GH_PAT", pat.reveal()), url, name, "4")) {
 *     child.await("ready", Duration.ofMinutes(2));
 *     child.kill();
 * }
 * }</pre>
 *
 * <p>Sharp edges: standard error is merged into the collected output; {@link #close()} kills without waiting
 * (for clean-up after a failed test), {@link #kill()} waits for the process to be gone. Secrets go in
 * {@code env}, never in {@code args}, so they stay off the process table.
 */
public final class ChildJvm implements AutoCloseable {
    private final Process process;
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    private ChildJvm(Process process, String name) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = in.readLine(); l != null; l = in.readLine()) {
                    lines.add(l);
                }
            } catch (IOException e) {
                // the child was killed: what it printed so far is kept
            }
        }, name + "-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code main} with this JVM's java and class path, {@code env} added to the environment. */
    public static ChildJvm start(Class<?> main, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new ChildJvm(pb.start(), main.getSimpleName());
    }

    /**
     * Waits until the child has printed {@code line} (a whole line).
     *
     * @throws AssertionError at once when the child exits without printing it, or when {@code patience} passes
     */
    public void await(String line, Duration patience) {
        Await.until(patience, () -> "the child JVM to print '" + line + "'; it printed " + lines, () -> {
            if (lines.contains(line)) {
                return true;
            }
            if (!process.isAlive() && !lines.contains(line)) {
                throw new AssertionError("the child JVM exited with " + process.exitValue() + " without printing '"
                        + line + "': " + lines);
            }
            return false;
        });
    }

    /** SIGKILL, and waits for the process to be gone: nothing in the child runs after this. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the child JVM killed").isTrue();
    }

    /** The lines it printed so far. */
    public List<String> lines() {
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /** Kills it if still running, without waiting. */
    @Override
    public void close() {
        process.destroyForcibly();
    }
}
