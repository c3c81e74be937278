package io.runnerfleet.docker.testing;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * An N-node swarm from {@code scripts/swarm-rig.sh} for integration tests: each test class takes its
 * own rig name and /24 (inside 198.18.0.0/15, see the script), brings it up in {@code @BeforeAll}
 * and tears it down in {@code @AfterAll}, which JUnit runs even when tests fail.
 *
 * <pre>{@code
 * static SwarmRig rig;
 * @BeforeAll static void up() { rig = SwarmRig.up("rfit", "198.18.1", 1); }
 * @AfterAll static void down() { if (rig != null) rig.close(); }
 * }</pre>
 *
 * Skips the calling class with a printed reason when not root, when a tool is missing, when a network
 * namespace cannot be made, or when {@code RUNNERFLEET_SWARM_IT=0}; fails when the rig itself does not
 * come up.
 */
public final class SwarmRig implements AutoCloseable {
    private final String name;
    private final String subnet;
    private final Map<String, String> env;
    private final Map<String, DockerClient> clients = new ConcurrentHashMap<>();

    private SwarmRig(String name, String subnet, Map<String, String> env) {
        this.name = name;
        this.subnet = subnet;
        this.env = env;
    }

    /** Brings up (or completes) rig {@code name} with {@code nodes} nodes in {@code subnet} (three octets). */
    public static SwarmRig up(String name, String subnet, int nodes) {
        String reason = whyNot(name);
        if (reason != null) {
            System.out.println("SKIPPED swarm rig " + name + ": " + reason);
            Assumptions.abort(reason);
        }
        SwarmRig rig = new SwarmRig(name, subnet, Map.of());
        try {
            rig.script(Duration.UP, "up", String.valueOf(nodes));
            return new SwarmRig(name, subnet, readEnv(Path.of(rig.stateDir(), "rig.env")));
        } catch (RuntimeException | AssertionError e) {
            rig.close();
            throw e;
        }
    }

    private static String whyNot(String name) {
        if ("0".equals(System.getenv("RUNNERFLEET_SWARM_IT"))) {
            return "RUNNERFLEET_SWARM_IT=0 turns the swarm tests off";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "the swarm rig needs root (it makes network namespaces and starts dockerd); running as "
                    + System.getProperty("user.name");
        }
        for (String tool : List.of("ip", "nsenter", "unshare", "dockerd", "docker")) {
            if (!onPath(tool)) {
                return "'" + tool + "' is not installed (Debian: iproute2, util-linux, docker.io)";
            }
        }
        String probe = name + "-probe";
        Result add = run(List.of("ip", "netns", "add", probe), Map.of(), 20);
        run(List.of("ip", "netns", "del", probe), Map.of(), 20);
        if (add.code != 0) {
            return "cannot make a network namespace here ('ip netns add' said: " + add.output.strip() + ")";
        }
        return null;
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Copies {@code image} from the machine's main engine onto every node (there is no registry here). */
    public void load(String image) {
        script(Duration.LOAD, "load", image);
    }

    /**
     * Powers node {@code node} (1-based; 1 is the manager) off: every process in its network namespace,
     * its dockerd and its tasks, is killed at once, as when a machine dies. {@link #close()} cleans up.
     */
    public void kill(int node) {
        clients.remove("unix://" + stateDir() + "/n" + node + "/sock");
        script(Duration.SHORT, "kill", String.valueOf(node));
    }

    /** The hostname Swarm shows for node {@code node} (1-based), e.g. {@code rfit-n2}. */
    public String hostname(int node) {
        return name + "-n" + node;
    }

    /** The manager's endpoint, {@code unix://…/sock}. */
    public String managerHost() {
        return env.get("RIG_MANAGER");
    }

    /** The host's address inside the rig: where a server on the host is reached from the nodes' tasks. */
    public String hostAddress() {
        return env.get("RIG_HOST_ADDR");
    }

    /** A client of the node whose hostname (as Swarm shows it) is {@code hostname}, e.g. {@code rfit-n2}. */
    public DockerClient nodeClient(String hostname) {
        String prefix = name + "-n";
        if (!hostname.startsWith(prefix)) {
            throw new IllegalArgumentException(hostname + " is not a node of rig " + name);
        }
        String socket = "unix://" + stateDir() + "/n" + hostname.substring(prefix.length()) + "/sock";
        return clients.computeIfAbsent(socket, s -> {
            var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(s).build();
            return DockerClientImpl.getInstance(config,
                    new ZerodepDockerHttpClient.Builder().dockerHost(config.getDockerHost()).build());
        });
    }

    /** Runs the rig script with this rig's settings; fails with its output when it fails. */
    public void script(Duration timeout, String... args) {
        Path script = findScript();
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        Result r = run(command, Map.of("RUNNERFLEET_SWARM_RIG", name, "RUNNERFLEET_SWARM_SUBNET", subnet),
                timeout.seconds);
        if (r.code != 0) {
            throw new AssertionError("swarm-rig.sh " + String.join(" ", args) + " failed (" + r.code + "):\n" + r.output);
        }
    }

    private String stateDir() {
        return "/run/runnerfleet-swarm/" + name;
    }

    /** Tears the rig down (idempotent). */
    @Override
    public void close() {
        clients.values().forEach(c -> {
            try {
                c.close();
            } catch (IOException ignored) {
                // Closing a client of a node that is going away.
            }
        });
        clients.clear();
        script(Duration.DOWN, "down");
    }

    /** Bounds of the script's steps, generous for a loaded 2-core machine. */
    public enum Duration {
        UP(240), LOAD(180), DOWN(180), SHORT(60);
        final long seconds;

        Duration(long seconds) {
            this.seconds = seconds;
        }
    }

    private static Path findScript() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path s = d.resolve("scripts/swarm-rig.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new AssertionError("scripts/swarm-rig.sh not found above " + dir);
    }

    private static Map<String, String> readEnv(Path file) {
        try {
            Map<String, String> env = new HashMap<>();
            for (String line : Files.readAllLines(file)) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    env.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
                }
            }
            return env;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private record Result(int code, String output) {
    }

    private static Result run(List<String> command, Map<String, String> env, long timeoutSeconds) {
        try {
            Path log = Files.createTempFile("swarm-rig", ".log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            Files.deleteIfExists(log);
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }
}
