package io.runnerfleet.docker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * A second Docker engine on this machine from {@code scripts/second-engine.sh}: its own socket, and a
 * device ({@link #device()}) that only it sees. Each test class takes its own rig name, brings it up in
 * {@code @BeforeAll} and tears it down in {@code @AfterAll}.
 *
 * <pre>{@code
 * static SecondEngine engine;
 * @BeforeAll static void up() { engine = SecondEngine.up("rfme"); engine.load(DockerEngine.busyboxImage()); }
 * @AfterAll static void down() { if (engine != null) engine.close(); }
 * }</pre>
 *
 * Skips the calling class with a printed reason when not root or when the tools are missing (CI runs as
 * root, so it runs there); fails when the engine does not come up.
 */
public final class SecondEngine implements AutoCloseable {
    private final String name;

    private SecondEngine(String name) {
        this.name = name;
    }

    /** Starts (or keeps) engine rig {@code name}. */
    public static SecondEngine up(String name) {
        String reason = whyNot();
        if (reason != null) {
            String message = "a second Docker engine cannot run here: " + reason;
            System.out.println("SKIPPED second engine " + name + ": " + message);
            Assumptions.abort(message);
        }
        SecondEngine engine = new SecondEngine(name);
        try {
            engine.script("up");
            return engine;
        } catch (RuntimeException | AssertionError e) {
            engine.close();
            throw e;
        }
    }

    private static String whyNot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "it needs root (a mount namespace, a device node, a dockerd); running as " + System.getProperty("user.name");
        }
        for (String tool : List.of("unshare", "mount", "mknod", "dockerd", "docker")) {
            boolean found = false;
            for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
                found |= Files.isExecutable(Path.of(dir, tool));
            }
            if (!found) {
                return "'" + tool + "' is not installed (Debian: util-linux, docker.io)";
            }
        }
        return null;
    }

    /** The engine's endpoint, {@code unix://…/sock}. */
    public String host() {
        return "unix://" + state() + "/sock";
    }

    /** The device node only this engine's host sees (the machine's own mount namespace does not). */
    public String device() {
        return "/dev/runnerfleet-test-" + name + "/board0";
    }

    /** Copies {@code image} from the machine's main engine (there is no registry here). */
    public void load(String image) {
        script("load", image);
    }

    /** Stops the engine's dockerd: the engine goes away; {@link #start()} brings it back with its state. */
    public void stop() {
        script("stop");
    }

    /** Starts the engine again after {@link #stop()}. */
    public void start() {
        script("up");
    }

    /** Stops the engine and removes everything the rig made (idempotent). */
    @Override
    public void close() {
        script("down");
    }

    private String state() {
        return "/run/runnerfleet-engine/" + name;
    }

    private void script(String... args) {
        List<String> command = new ArrayList<>(List.of("bash", findScript().toString()));
        command.addAll(List.of(args));
        try {
            Path log = Files.createTempFile("second-engine", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().put("RUNNERFLEET_ENGINE_RIG", name);
            Process p = pb.start();
            boolean done = p.waitFor(180, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly().waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            if (!done || p.exitValue() != 0) {
                throw new AssertionError("second-engine.sh " + String.join(" ", args) + " failed ("
                        + (done ? p.exitValue() : "timed out") + "):\n" + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running second-engine.sh", e);
        }
    }

    private static Path findScript() {
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts/second-engine.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new AssertionError("scripts/second-engine.sh not found above " + System.getProperty("user.dir"));
    }
}
