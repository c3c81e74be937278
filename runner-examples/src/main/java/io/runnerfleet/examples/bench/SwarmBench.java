package io.runnerfleet.examples.bench;

import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.SwarmBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The Swarm benchmark: {@code start()} of a fleet of 30 runners (to every runner Idle at the fake
 * GitHub) spread over a 3-node swarm, against the same fleet pinned to one node of the same swarm by a
 * placement constraint, interleaved in one run. The swarm is {@code scripts/swarm-rig.sh}'s (rig
 * {@code rfb}, 198.18.4.0/24; needs root), brought up before and torn down after, whatever happens;
 * the fake GitHub listens on the rig's host address, where the nodes' runners reach it.
 *
 * <pre>
 * java -cp … io.runnerfleet.examples.bench.SwarmBench [--runners 30] [--reps 1]
 * </pre>
 *
 * On one machine the three nodes share its cores: the figure shows what spreading costs or saves in
 * the swarm's own work (scheduling, per-node engines), not what three machines would gain.
 */
public final class SwarmBench {
    private static final String RIG = "rfb";
    private static final String SUBNET = "198.18.4";
    private static final Duration PATIENCE = Duration.ofMinutes(5);

    private SwarmBench() {
    }

    /** One timed start: how many nodes the fleet could use, and seconds from {@code start()} to all Idle. */
    record Timing(int nodes, int runners, double[] seconds, double[] load1) {
    }

    /** Runs the benchmark; {@code --runners N} (default 30), {@code --reps N} (default 1). */
    public static void main(String[] args) {
        int runners = 30;
        int reps = 1;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runners" -> runners = positive(args, ++i);
                case "--reps" -> reps = positive(args, ++i);
                default -> throw new IllegalArgumentException("unknown option " + args[i] + "; use --runners N --reps N");
            }
        }
        print(run(runners, reps), System.out);
    }

    private static int positive(String[] args, int i) {
        if (i >= args.length || !args[i].matches("[1-9][0-9]{0,3}")) {
            throw new IllegalArgumentException(args[i - 1] + " wants a positive number");
        }
        return Integer.parseInt(args[i]);
    }

    /** Brings up the rig, times {@code reps} starts of {@code runners} on 3 nodes and on 1, tears the rig down. */
    static List<Timing> run(int runners, int reps) {
        Path script = script();
        rig(script, "up", "3");
        try {
            String image = loadImage(script);
            String hostAddress = env(script).get("RIG_HOST_ADDR");
            String manager = env(script).get("RIG_MANAGER");
            try (FakeGitHub github = FakeGitHub.builder().bindAddress(hostAddress)
                    .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(30)).build().start();
                 SwarmBackend spread = SwarmBackend.builder().dockerHost(manager).build();
                 SwarmBackend pinned = SwarmBackend.builder().dockerHost(manager).constraints("p", "node.hostname==" + RIG + "-n1").build()) {
                FakeScope org = github.organization("bench");
                Secret pat = github.newToken("admin:org", "repo");
                double[] three = new double[reps];
                double[] one = new double[reps];
                double[] load3 = new double[reps];
                double[] load1 = new double[reps];
                for (int r = 0; r < reps; r++) {
                    // Alternating which goes first, so a burst of load elsewhere hits both alike.
                    boolean spreadFirst = r % 2 == 0;
                    for (boolean useSpread : spreadFirst ? new boolean[] {true, false} : new boolean[] {false, true}) {
                        double load = MachineLoad.sample(Duration.ZERO).one();
                        double s = start(github, org, pat, useSpread ? spread : pinned, image, runners);
                        (useSpread ? three : one)[r] = s;
                        (useSpread ? load3 : load1)[r] = load;
                    }
                }
                return List.of(new Timing(3, runners, three, load3), new Timing(1, runners, one, load1));
            }
        } finally {
            rig(script, "down");
        }
    }

    private static String loadImage(Path script) {
        try (DockerBackend docker = DockerBackend.fromEnvironment()) {
            RunnerImage image = ProvisioningBench.fakeRunnerImage(docker);
            String ref = docker.prepare(image, p -> { });
            // No registry here: copy the image onto every node. With a registry, push it there and give
            // the pool its registry reference: each node pulls it when a task first lands there.
            rig(script, "load", ref);
            return ref;
        }
    }

    private static double start(FakeGitHub github, FakeScope org, Secret pat, SwarmBackend backend, String image, int n) {
        String name = "swb" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
        RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(30))
                .pool(RunnerPool.builder("p").image(RunnerImage.of(image)).labels("bench").scaling(Scaling.fixed(n))).build();
        try {
            long t0 = System.nanoTime();
            fleet.start();
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            fleet.remove();
            ProvisioningBench.await("the services of " + name + " removed", () -> backend.instances(name).isEmpty());
            long left = org.runners().stream().filter(r -> r.name().startsWith(name)).count();
            if (left != 0) {
                throw new IllegalStateException("benchmark run " + name + " left " + left + " registrations at the fake");
            }
        }
    }

    /** Prints the table. */
    static void print(List<Timing> timings, PrintStream out) {
        out.println();
        out.println("Swarm: start() to all Idle, one run, same swarm (nodes share this machine's "
                + Runtime.getRuntime().availableProcessors() + " cores)");
        out.printf("%-6s %-8s %-22s %-8s %s%n", "nodes", "runners", "seconds (each rep)", "median", "load1 before");
        for (Timing t : timings) {
            out.printf("%-6d %-8d %-22s %-8.1f %s%n", t.nodes(), t.runners(), join(t.seconds()), median(t.seconds()),
                    join(t.load1()));
        }
        if (timings.size() == 2) {
            out.printf("3 nodes / 1 node: %.2f%n", median(timings.get(0).seconds()) / median(timings.get(1).seconds()));
        }
    }

    private static String join(double[] values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format("%.1f", v));
        }
        return String.join(" ", parts);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    // ---------------------------------------------------------------- the rig

    private static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve("scripts/swarm-rig.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        throw new IllegalStateException("scripts/swarm-rig.sh not found above " + Path.of("").toAbsolutePath()
                + "; run the benchmark from the project's checkout");
    }

    private static Map<String, String> env(Path script) {
        Map<String, String> env = new java.util.HashMap<>();
        for (String line : rig(script, "env").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                env.put(line.substring(0, eq), line.substring(eq + 1).replace("\"", ""));
            }
        }
        return env;
    }

    // Runs the rig script for this benchmark's rig; its progress goes to stderr, its output is returned.
    private static String rig(Path script, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("RUNNERFLEET_SWARM_RIG", RIG);
            pb.environment().put("RUNNERFLEET_SWARM_SUBNET", SUBNET);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("swarm-rig.sh " + String.join(" ", args) + " failed (needs root,"
                        + " iproute2, util-linux and docker.io); its messages are above");
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running swarm-rig.sh " + String.join(" ", args), e);
        }
    }
}
