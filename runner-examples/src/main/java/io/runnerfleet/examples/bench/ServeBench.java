package io.runnerfleet.examples.bench;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.examples.cli.RunnerFleetCli;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cost of an idle {@code runnerfleet serve}: a child JVM serving a fixed pool of N runners on the local
 * engine against FakeGitHub, its {@code /metrics} scraped every 15 s; prints CPU (from {@code /proc}), heap after
 * each scrape (the JVM's own gauge) and resident memory, then stops it with SIGTERM and removes the runners.
 *
 * <pre>{@code
 * java -cp runner-examples-all.jar io.runnerfleet.examples.bench.ServeBench [runners=20] [scrapes=8] [interval-seconds=15]
 * }</pre>
 *
 * <p>Linux only ({@code /proc}); needs the Docker engine. Nothing of the fleet is left behind.
 */
public final class ServeBench {
    private static final Duration PATIENCE = Duration.ofMinutes(4);
    private static final long TICKS_PER_SECOND = 100;   // USER_HZ on Linux

    private ServeBench() {
    }

    /** Runs the benchmark and prints its table. */
    public static void main(String[] args) throws Exception {
        int runners = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int scrapes = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        Duration interval = Duration.ofSeconds(args.length > 2 ? Long.parseLong(args[2]) : 15);
        run(runners, scrapes, interval, System.out);
    }

    static void run(int runners, int scrapes, Duration interval, PrintStream out) throws Exception {
        String fleet = "sbench" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        Path dir = Files.createTempDirectory("serve-bench");
        Path env = dir.resolve(".env");
        Files.writeString(env, "# from the environment\n");
        try (FakeGitHub github = FakeGitHub.builder()
                .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(10)).build().start();
             DockerBackend backend = DockerBackend.fromEnvironment()) {
            RunnerImage image = ProvisioningBench.fakeRunnerImage(backend);
            String ref = backend.prepare(image, p -> { });
            FakeScope org = github.organization("acme");
            Secret pat = github.newToken("admin:org", "repo");
            List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx128m", "-cp", System.getProperty("java.class.path"), RunnerFleetCli.class.getName(),
                    "--env-file", env.toString(), "serve", "--http-port", "0");
            Path log = dir.resolve("serve.log");
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(java.util.Map.of("ORG", "acme", "GH_PAT", pat.reveal(), "RUNNERFLEET_GITHUB_URL",
                    github.url(), "RUNNER_NAME_PREFIX", fleet, "RUNNER_IMAGE", ref, "RUNNER_BOARD_COUNT", "0",
                    "RUNNER_COUNT", Integer.toString(runners), "RUNNERFLEET_KEEP_PERSISTENT", "false"));
            long t0 = System.nanoTime();
            Process serve = pb.start();
            try {
                URI endpoint = awaitEndpoint(serve, log);
                HttpClient http = HttpClient.newHttpClient();
                await(serve, log, "ready", () -> get(http, endpoint.resolve("/healthz")).statusCode() == 200);
                double ready = (System.nanoTime() - t0) / 1e9;
                // serve's own requests (its counter), not the fake runners' job polls the fake also counts.
                double gitHubBefore = sum(get(http, endpoint.resolve("/metrics")).body(), "runnerfleet_github_requests_total", "");
                long cpu0 = cpuTicks(serve.pid());
                long wall0 = System.nanoTime();
                List<Double> heap = new ArrayList<>();
                List<Double> scrapeMs = new ArrayList<>();
                String last = "";
                for (int i = 0; i < scrapes; i++) {
                    LockSupport.parkNanos(interval.toNanos());
                    long s0 = System.nanoTime();
                    String body = get(http, endpoint.resolve("/metrics")).body();
                    last = body;
                    scrapeMs.add((System.nanoTime() - s0) / 1e6);
                    heap.add(sum(body, "jvm_memory_used_bytes", "area=\"heap\"") / (1 << 20));
                }
                double wall = (System.nanoTime() - wall0) / 1e9;
                double cpuSeconds = (cpuTicks(serve.pid()) - cpu0) / (double) TICKS_PER_SECOND;
                double gitHub = sum(last, "runnerfleet_github_requests_total", "") - gitHubBefore;
                long rssKb = rssKb(serve.pid());
                out.printf("serve, %d runners, %d scrapes every %d s (window %.0f s)%n", runners, scrapes, interval.toSeconds(), wall);
                out.printf("%-34s %10s%n", "measure", "value");
                out.printf("%-34s %10.1f%n", "start to /healthz ready (s)", ready);
                out.printf("%-34s %10.2f%n", "idle CPU (% of one core)", 100 * cpuSeconds / wall);
                out.printf("%-34s %10.1f%n", "heap used after scrape, max (MiB)", heap.stream().mapToDouble(d -> d).max().orElse(0));
                out.printf("%-34s %10.1f%n", "heap used after scrape, last (MiB)", heap.get(heap.size() - 1));
                out.printf("%-34s %10.1f%n", "resident memory (MiB)", rssKb / 1024.0);
                out.printf("%-34s %10.1f%n", "scrape time, median (ms)", median(scrapeMs));
                out.printf("%-34s %10.1f%n", "GitHub requests per hour (idle)", gitHub * 3600 / wall);
            } finally {
                serve.destroy();
                if (!serve.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)) {
                    serve.destroyForcibly();
                }
                backend.instances(fleet).forEach(i -> backend.remove(i.id(), false));
                backend.removeVolumes(fleet);
                org.runners().stream().filter(r -> r.name().startsWith(fleet + "-")).findAny()
                        .ifPresent(r -> out.println("note: registrations left at the fake: " + r.name()));
            }
        }
    }

    private static URI awaitEndpoint(Process serve, Path log) {
        Pattern p = Pattern.compile("endpoint (http://\\S+/)");
        URI[] found = new URI[1];
        await(serve, log, "the endpoint", () -> {
            Matcher m = p.matcher(read(log));
            if (m.find()) {
                found[0] = URI.create(m.group(1));
            }
            return found[0] != null;
        });
        return found[0];
    }

    private static void await(Process serve, Path log, String what, java.util.function.BooleanSupplier ok) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                if (ok.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not answering yet
            }
            if (!serve.isAlive() || System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("serve never got " + what + "; it printed:\n" + read(log));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
        }
    }

    private static HttpResponse<String> get(HttpClient http, URI uri) {
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    private static double sum(String exposition, String name, String label) {
        return exposition.lines().filter(l -> (l.startsWith(name + "{") || l.startsWith(name + " ")) && l.contains(label))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    // utime + stime of the process, in clock ticks (fields 14 and 15 of /proc/<pid>/stat, after the command).
    private static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long rssKb(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(0);
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.isEmpty() ? 0 : sorted.get(sorted.size() / 2);
    }
}
