package io.runnerfleet.examples.bench;

import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The command line's start-up (issue 18, item 4), whole processes timed from outside: {@code --version}
 * (the JVM and picocli alone), {@code ps} of a one-runner fleet and {@code init -n 1} to Idle, each both as
 * a plain {@code java -jar} and through {@code scripts/runnerfleet} (which adds the start-up options), against
 * an in-process fake GitHub. The reference for {@code init} is the library's own {@code start()} of the
 * same one-runner fleet, measured in this JVM with the CLI's settings (500 ms poll, 5 s reconcile).
 */
final class CliStartBench implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    /**
     * Medians over the repetitions, in seconds; NaN where not measured.
     *
     * @param library the library's {@code start()} of the same fleet, in process
     */
    record Timings(int reps, double plainVersion, double scriptVersion, double plainPs, double scriptPs,
                   double plainInit, double scriptInit, double library, MachineLoad.Marks load) {
        String json() {
            return "{\"reps\": " + reps + ", \"versionSeconds\": {\"javaJar\": " + Benchmarks.num(plainVersion)
                    + ", \"script\": " + Benchmarks.num(scriptVersion) + "}, \"psSeconds\": {\"javaJar\": "
                    + Benchmarks.num(plainPs) + ", \"script\": " + Benchmarks.num(scriptPs)
                    + "}, \"initOneSeconds\": {\"javaJar\": " + Benchmarks.num(plainInit) + ", \"script\": "
                    + Benchmarks.num(scriptInit) + "}, \"libraryStartOneSeconds\": " + Benchmarks.num(library)
                    + ", \"scriptInitOverLibrarySeconds\": " + Benchmarks.num(scriptInit - library)
                    + ", \"load\": " + load.json() + "}";
        }
    }

    private final Path script;
    private final Path jar;
    private final FakeGitHub github = FakeGitHub.builder()
            .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(10)).build();
    private final FakeScope org;
    private final Secret pat;
    private final DockerBackend backend = DockerBackend.fromEnvironment();
    private final RunnerImage image;
    private final Path dir;
    private final String prefix = "cli" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);

    /**
     * @param script {@code scripts/runnerfleet}; its jar must be built
     * @throws IllegalStateException when the script or its jar is missing
     */
    CliStartBench(Path script) {
        this.script = script.toAbsolutePath();
        Path target = this.script.getParent().resolveSibling("runner-examples").resolve("target");
        try (var jars = Files.list(target)) {
            jar = jars.filter(p -> p.getFileName().toString().matches("runner-examples-.*-all\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no runner-examples-*-all.jar in " + target
                            + "; build it with ./mvnw -pl runner-examples -am package -DskipTests"));
            dir = Files.createTempDirectory("runnerfleet-clibench-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot find the runnerfleet jar in " + target + ": " + e.getMessage(), e);
        }
        github.start();
        org = github.organization("bench");
        pat = github.newToken("admin:org", "repo");
        image = ProvisioningBench.fakeRunnerImage(backend);
        backend.prepare(image, p -> { });
    }

    Timings run(int reps) {
        MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
        double[][] t = new double[7][reps];
        // Untimed: fills the page cache for both and lets the script write its class-data archives if it has none
        // (one for the commands that run the fleet's engine, one for the others).
        time(prefix + "w", true, "ps");
        time(prefix + "w", false, "ps");
        time(prefix + "w", false, "init", "-n", "1");
        time(prefix + "w", false, "rm", "-y");
        ProvisioningBench.requireClean(backend, org, prefix + "w");
        for (int r = 0; r < reps; r++) {
            String fleet = prefix + "r" + r;
            t[0][r] = time(fleet, true, "--version");
            t[1][r] = time(fleet, false, "--version");
            // init and ps alternate between the plain jar and the script, so a load burst hits both alike.
            t[4][r] = time(fleet, true, "init", "-n", "1");
            t[2][r] = time(fleet, true, "ps");
            time(fleet, false, "rm", "-y");
            t[5][r] = time(fleet, false, "init", "-n", "1");
            t[3][r] = time(fleet, false, "ps");
            time(fleet, false, "rm", "-y");
            t[6][r] = library(fleet + "l");
            ProvisioningBench.requireClean(backend, org, fleet);
        }
        return new Timings(reps, Benchmarks.median(t[0]), Benchmarks.median(t[1]), Benchmarks.median(t[2]),
                Benchmarks.median(t[3]), Benchmarks.median(t[4]), Benchmarks.median(t[5]), Benchmarks.median(t[6]),
                new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
    }

    /** Seconds of one whole command; fails with its output when it exits non-zero. */
    private double time(String fleet, boolean plain, String... args) {
        List<String> command = new ArrayList<>(plain ? List.of("java", "-jar", jar.toString()) : List.of(script.toString()));
        command.addAll(List.of("--env-file", dir.resolve(".env").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Path log = dir.resolve("output.log");
        pb.redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.putAll(Map.of("ORG", "bench", "GH_PAT", pat.reveal(), "RUNNERFLEET_GITHUB_URL", github.url(),
                "RUNNER_NAME_PREFIX", fleet, "RUNNER_IMAGE", FakeRunnerImage.TAG, "RUNNER_LABELS", "bench",
                "RUNNER_BOARD_COUNT", "0"));
        try {
            long t0 = System.nanoTime();
            Process p = pb.start();
            if (!p.waitFor(PATIENCE.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("runnerfleet " + String.join(" ", args) + " took over " + PATIENCE);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            if (p.exitValue() != 0) {
                String out = Files.readString(log, StandardCharsets.UTF_8).replace(pat.reveal(), "<token>");
                throw new IllegalStateException("runnerfleet " + String.join(" ", args) + " exited with " + p.exitValue()
                        + ":\n" + out);
            }
            return seconds;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running runnerfleet", e);
        }
    }

    /** The library's own {@code start()} of the fleet {@code init -n 1} builds, in this (warm) JVM. */
    private double library(String fleet) {
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
        RunnerFleet f = RunnerFleet.builder().name(fleet).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(500)).reconcileInterval(Duration.ofSeconds(5))
                .registrationTimeout(PATIENCE).startTimeout(PATIENCE).drainTimeout(Duration.ofSeconds(30))
                .pool(RunnerPool.builder("runner").image(image).labels("bench").scaling(Scaling.fixed(1))).build();
        try {
            long t0 = System.nanoTime();
            f.start();
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            f.remove();
            ProvisioningBench.requireClean(backend, org, fleet);
        }
    }

    static void print(Timings t, PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "Command line start-up, medians of %d (seconds, whole processes)%n", t.reps());
        out.printf(Locale.ROOT, "%-12s %10s %20s%n", "command", "java -jar", "scripts/runnerfleet");
        out.printf(Locale.ROOT, "%-12s %10.2f %20.2f%n", "--version", t.plainVersion(), t.scriptVersion());
        out.printf(Locale.ROOT, "%-12s %10.2f %20.2f%n", "ps", t.plainPs(), t.scriptPs());
        out.printf(Locale.ROOT, "%-12s %10.2f %20.2f%n", "init -n 1", t.plainInit(), t.scriptInit());
        out.printf(Locale.ROOT, "  the library's start() of the same fleet in process: %.2f s; init through the script adds"
                + " %.2f s (target: under 1 s)%n", t.library(), t.scriptInit() - t.library());
        out.println(t.load().line());
    }

    @Override
    public void close() {
        try {
            backend.close();
            github.close();
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("bench: could not remove " + dir + ": " + e.getMessage());
            }
        }
    }
}
