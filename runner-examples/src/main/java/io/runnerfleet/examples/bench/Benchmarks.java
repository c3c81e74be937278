package io.runnerfleet.examples.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Runner Fleet's benchmarks (issue 9, DESIGN §8): provisioning speed on the local Docker engine against
 * the Docker floor and the {@code runner.sh} flow, the GitHub API cost of steady fleets, and the heap
 * of a 100-runner fleet. Prints tables on stdout and writes {@code bench-<time>.json} and
 * {@code latest.json} under the output directory. All traffic stays on 127.0.0.1.
 *
 * <pre>{@code
 * scripts/bench.sh                                  # everything, defaults
 * scripts/bench.sh --reps 5 --sizes 1,10 --skip-api # fewer parts
 * }</pre>
 *
 * <p>Options: {@code --reps N} (3), {@code --sizes 1,5,10,20}, {@code --api-sizes 10,100,500},
 * {@code --cycles N} (5 reconcile cycles by hand), {@code --window S} (35 s, two reconcile intervals, of an undisturbed
 * fleet), {@code --memory-runners N} (100), {@code --out DIR} ({@code target/bench}),
 * {@code --skip-docker}, {@code --skip-api}, {@code --skip-memory}, {@code --webhook-jobs N} (40 jobs for the
 * webhook-to-container latency; {@code 0} skips it, as does {@code --skip-docker}), {@code --skip-provisioning},
 * {@code --scaleset-jobs N} (40 cold jobs through a scale set; {@code 0} skips the scale-set part),
 * {@code --scaleset-burst N} (20 jobs queued at once), {@code --idle-window S} (120 s of an idle scale-set fleet).
 *
 * <p>Sharp edges: these are measurements, never pass/fail checks; on a shared 2-core machine other
 * builds move the figures, so compare ratios taken in the same run rather than absolute seconds.
 */
public final class Benchmarks {
    private Benchmarks() {
    }

    /** The parsed command line. */
    record Options(int reps, List<Integer> sizes, List<Integer> apiSizes, int cycles, Duration window,
                   int memoryRunners, Path out, boolean docker, boolean api, boolean memory, int webhookJobs,
                   boolean provisioning, int scaleSetJobs, int scaleSetBurst, Duration idleWindow) {

        static Options parse(String... args) {
            int reps = 3;
            List<Integer> sizes = List.of(1, 5, 10, 20);
            List<Integer> apiSizes = List.of(10, 100, 500);
            int cycles = 5;
            Duration window = Duration.ofSeconds(35);
            int memoryRunners = 100;
            Path out = Path.of("target", "bench");
            boolean docker = true;
            boolean api = true;
            boolean memory = true;
            int webhookJobs = 40;
            boolean provisioning = true;
            int scaleSetJobs = 40;
            int scaleSetBurst = 20;
            Duration idleWindow = Duration.ofSeconds(120);
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--skip-docker" -> docker = false;
                    case "--skip-api" -> api = false;
                    case "--skip-memory" -> memory = false;
                    case "--skip-provisioning" -> provisioning = false;
                    case "--reps", "--sizes", "--api-sizes", "--cycles", "--window", "--memory-runners", "--out",
                         "--webhook-jobs", "--scaleset-jobs", "--scaleset-burst", "--idle-window" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("option " + a + " needs a value, e.g. " + a + " "
                                    + (a.contains("sizes") ? "1,5,10" : a.equals("--out") ? "target/bench" : "3"));
                        }
                        String v = args[++i];
                        switch (a) {
                            case "--reps" -> reps = positive(a, v);
                            case "--sizes" -> sizes = list(a, v);
                            case "--api-sizes" -> apiSizes = list(a, v);
                            case "--cycles" -> cycles = positive(a, v);
                            case "--window" -> window = Duration.ofSeconds(positive(a, v));
                            case "--memory-runners" -> memoryRunners = positive(a, v);
                            case "--webhook-jobs" -> webhookJobs = v.trim().equals("0") ? 0 : positive(a, v);
                            case "--scaleset-jobs" -> scaleSetJobs = v.trim().equals("0") ? 0 : positive(a, v);
                            case "--scaleset-burst" -> scaleSetBurst = v.trim().equals("0") ? 0 : positive(a, v);
                            case "--idle-window" -> idleWindow = Duration.ofSeconds(positive(a, v));
                            default -> out = Path.of(v);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'; known: --reps N, --sizes"
                            + " 1,5,10,20, --api-sizes 10,100,500, --cycles N, --window SECONDS, --memory-runners N,"
                            + " --out DIR, --skip-docker, --skip-api, --skip-memory, --webhook-jobs N, --skip-provisioning,"
                            + " --scaleset-jobs N, --scaleset-burst N, --idle-window SECONDS");
                }
            }
            return new Options(reps, sizes, apiSizes, cycles, window, memoryRunners, out, docker, api, memory,
                    webhookJobs, provisioning, scaleSetJobs, scaleSetBurst, idleWindow);
        }

        private static int positive(String option, String v) {
            try {
                int n = Integer.parseInt(v.trim());
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new IllegalArgumentException("option " + option + " takes a positive whole number, not '" + v + "'");
        }

        private static List<Integer> list(String option, String v) {
            List<Integer> out = new ArrayList<>();
            for (String part : v.split(",")) {
                out.add(positive(option, part));
            }
            return List.copyOf(out);
        }
    }

    /** One fleet size's provisioning medians, in seconds. */
    record Provisioning(int runners, double[] fleet, double[] started, double[] floor, double[] runnerSh) {
        double fleetMedian() {
            return median(fleet);
        }

        double startedMedian() {
            return median(started);
        }

        double floorMedian() {
            return median(floor);
        }

        double runnerShMedian() {
            return median(runnerSh);
        }
    }

    /** Everything one run measured. */
    record Results(Instant at, int cores, Options options, List<Provisioning> provisioning,
                   List<FakeFleetBench.ApiCost> api, FakeFleetBench.Memory memory, WebhookLatencyBench.Latency webhook,
                   ScaleSetLatencyBench.Result scaleSet) {
    }

    /** Runs the benchmarks {@code args} ask for; exits 2 on a bad option. */
    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.exit(2);
            return;
        }
        Results results = run(options, System.out);
        Path file = write(results);
        System.out.println();
        System.out.println("JSON: " + file.toAbsolutePath());
        // The fleets' libraries may leave non-daemon pools winding down; the figures are written.
        System.exit(0);
    }

    /** Runs every part the options ask for, printing each table as soon as it is measured. */
    static Results run(Options o, PrintStream out) {
        int cores = Runtime.getRuntime().availableProcessors();
        out.printf(Locale.ROOT, "Runner Fleet benchmarks, %s, %d cores, Java %s%n", Instant.now(), cores,
                Runtime.version());
        List<Provisioning> provisioning = new ArrayList<>();
        if (o.docker() && o.provisioning()) {
            try (ProvisioningBench bench = new ProvisioningBench()) {
                for (int n : o.sizes()) {
                    double[] fleet = new double[o.reps()];
                    double[] started = new double[o.reps()];
                    double[] floor = new double[o.reps()];
                    double[] sh = new double[o.reps()];
                    // Interleaved per repetition, so a burst of load elsewhere hits all three alike.
                    for (int r = 0; r < o.reps(); r++) {
                        floor[r] = bench.floor(n);
                        ProvisioningBench.FleetTiming t = bench.fleet(n);
                        fleet[r] = t.allIdle();
                        started[r] = t.containersStarted();
                        sh[r] = bench.runnerSh(n);
                    }
                    provisioning.add(new Provisioning(n, fleet, started, floor, sh));
                }
            }
            printProvisioning(provisioning, o.reps(), out);
        }
        WebhookLatencyBench.Latency webhook = null;
        if (o.docker() && o.webhookJobs() > 0) {
            try (WebhookLatencyBench bench = new WebhookLatencyBench()) {
                webhook = bench.run(o.webhookJobs());
            }
            WebhookLatencyBench.print(webhook, out);
        }
        ScaleSetLatencyBench.Result scaleSet = null;
        if (o.docker() && (o.scaleSetJobs() > 0 || o.scaleSetBurst() > 0)) {
            // In the same run as the webhook path, so the two are compared under the same load.
            try (ScaleSetLatencyBench bench = new ScaleSetLatencyBench(); ProvisioningBench floor = new ProvisioningBench()) {
                scaleSet = bench.run(o.scaleSetJobs(), o.scaleSetBurst(), o.idleWindow(), floor);
            }
            out.printf(Locale.ROOT, "%nload average at the scale-set part: %s%n", loadAverage());
            ScaleSetLatencyBench.print(scaleSet, out);
        }
        List<FakeFleetBench.ApiCost> api = new ArrayList<>();
        FakeFleetBench.Memory memory = null;
        if (o.api() || o.memory()) {
            try (FakeFleetBench bench = new FakeFleetBench()) {
                if (o.api()) {
                    for (int n : o.apiSizes()) {
                        api.add(bench.apiCost(n, o.cycles(), o.window()));
                    }
                    printApi(api, out);
                }
                if (o.memory()) {
                    memory = bench.memory(o.memoryRunners());
                    out.println();
                    out.printf(Locale.ROOT, "Memory: %d-runner fleet (simulated backend): heap %.1f MB before, %.1f MB"
                            + " after start (GC'd), fleet's share %.1f MB%n", memory.runners(), memory.heapBeforeMb(),
                            memory.heapAfterMb(), memory.fleetMb());
                }
            }
        }
        return new Results(Instant.now(), cores, o, provisioning, api, memory, webhook, scaleSet);
    }

    static double median(double[] values) {
        double[] s = values.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static void printProvisioning(List<Provisioning> rows, int reps, PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "Provisioning, medians of %d repetitions (seconds)%n", reps);
        out.printf(Locale.ROOT, "%5s %9s %9s %9s %11s %12s %14s %16s%n", "N", "fleet", "started", "floor", "runner.sh",
                "fleet/floor", "started/floor", "runner.sh/fleet");
        for (Provisioning p : rows) {
            out.printf(Locale.ROOT, "%5d %9.2f %9.2f %9.2f %11.2f %11.2fx %13.2fx %15.1fx%n", p.runners(),
                    p.fleetMedian(), p.startedMedian(), p.floorMedian(), p.runnerShMedian(),
                    p.fleetMedian() / p.floorMedian(), p.startedMedian() / p.floorMedian(),
                    p.runnerShMedian() / p.fleetMedian());
        }
        out.println("  fleet: start() to every runner Idle (online at GitHub); started: to the last container"
                + " started; floor: the same containers started in parallel straight through Docker");
    }

    private static void printApi(List<FakeFleetBench.ApiCost> rows, PrintStream out) {
        out.println();
        out.println("GitHub API cost of a steady fleet (counted by the fake GitHub; runner-side calls excluded)");
        out.printf(Locale.ROOT, "%5s %8s %8s %12s %14s %14s %14s %11s%n", "N", "req/cyc", "304/cyc", "req/h@15s",
                "charged/h@15s", "observed req/h", "obs charged/h", "tokens/h");
        for (FakeFleetBench.ApiCost c : rows) {
            out.printf(Locale.ROOT, "%5d %8.2f %8.2f %12.0f %14.0f %14.0f %14.0f %11.1f%n", c.runners(),
                    c.requestsPerCycle(), c.notModifiedPerCycle(), c.projectedPerHour(),
                    c.projectedChargedPerHourWithEtags(), c.observedPerHour(), c.observedChargedPerHour(),
                    c.tokensPerHour());
        }
        out.println("  without conditional requests every request is charged: charged/h = req/h;"
                + " with them, 304s are free");
        for (FakeFleetBench.ApiCost c : rows) {
            out.printf(Locale.ROOT, "  start of %d: %d token(s) minted, requests %s%n", c.runners(), c.tokensAtStart(),
                    c.startRequests());
        }
    }

    /** Writes the results as JSON to a timestamped file and {@code latest.json}; returns the first. */
    static Path write(Results r) {
        StringBuilder j = new StringBuilder("{\n");
        j.append("  \"at\": \"").append(r.at()).append("\",\n  \"cores\": ").append(r.cores())
                .append(",\n  \"java\": \"").append(Runtime.version()).append("\",\n  \"reps\": ")
                .append(r.options().reps()).append(",\n  \"provisioning\": [");
        for (int i = 0; i < r.provisioning().size(); i++) {
            Provisioning p = r.provisioning().get(i);
            j.append(i == 0 ? "\n" : ",\n").append("    {\"runners\": ").append(p.runners())
                    .append(", \"fleetMedianSeconds\": ").append(num(p.fleetMedian()))
                    .append(", \"containersStartedMedianSeconds\": ").append(num(p.startedMedian()))
                    .append(", \"floorMedianSeconds\": ").append(num(p.floorMedian()))
                    .append(", \"runnerShMedianSeconds\": ").append(num(p.runnerShMedian()))
                    .append(", \"fleetOverFloor\": ").append(num(p.fleetMedian() / p.floorMedian()))
                    .append(", \"runnerShOverFleet\": ").append(num(p.runnerShMedian() / p.fleetMedian()))
                    .append(", \"fleetSeconds\": ").append(nums(p.fleet()))
                    .append(", \"containersStartedSeconds\": ").append(nums(p.started()))
                    .append(", \"floorSeconds\": ").append(nums(p.floor()))
                    .append(", \"runnerShSeconds\": ").append(nums(p.runnerSh())).append('}');
        }
        j.append("\n  ],\n  \"api\": [");
        for (int i = 0; i < r.api().size(); i++) {
            FakeFleetBench.ApiCost c = r.api().get(i);
            j.append(i == 0 ? "\n" : ",\n").append("    {\"runners\": ").append(c.runners())
                    .append(", \"cycles\": ").append(c.cycles())
                    .append(", \"requestsPerCycle\": ").append(num(c.requestsPerCycle()))
                    .append(", \"notModifiedPerCycle\": ").append(num(c.notModifiedPerCycle()))
                    .append(", \"reconcileIntervalSeconds\": ").append(FakeFleetBench.RECONCILE_INTERVAL.toSeconds())
                    .append(", \"projectedRequestsPerHour\": ").append(num(c.projectedPerHour()))
                    .append(", \"projectedChargedPerHourWithEtags\": ").append(num(c.projectedChargedPerHourWithEtags()))
                    .append(", \"projectedChargedPerHourWithoutEtags\": ").append(num(c.projectedPerHour()))
                    .append(", \"windowSeconds\": ").append(num(c.windowSeconds()))
                    .append(", \"observedRequestsPerHour\": ").append(num(c.observedPerHour()))
                    .append(", \"observedChargedPerHour\": ").append(num(c.observedChargedPerHour()))
                    .append(", \"tokensMintedAtStart\": ").append(c.tokensAtStart())
                    .append(", \"tokensPerHour\": ").append(num(c.tokensPerHour()))
                    .append(", \"startRequests\": {");
            int k = 0;
            for (Map.Entry<String, Long> e : c.startRequests().entrySet()) {
                j.append(k++ == 0 ? "" : ", ").append('"').append(e.getKey()).append("\": ").append(e.getValue());
            }
            j.append("}}");
        }
        j.append("\n  ],\n  \"memory\": ");
        FakeFleetBench.Memory m = r.memory();
        j.append(m == null ? "null" : "{\"runners\": " + m.runners() + ", \"heapBeforeMb\": " + num(m.heapBeforeMb())
                + ", \"heapAfterMb\": " + num(m.heapAfterMb()) + ", \"fleetMb\": " + num(m.fleetMb()) + "}");
        j.append(",\n  \"webhook\": ").append(webhookJson(r.webhook()));
        j.append(",\n  \"scaleSet\": ").append(scaleSetJson(r.scaleSet()));
        j.append("\n}\n");
        try {
            Files.createDirectories(r.options().out());
            Path file = r.options().out().resolve("bench-" + r.at().toString().replace(':', '-') + ".json");
            Files.writeString(file, j);
            Files.writeString(r.options().out().resolve("latest.json"), j);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the benchmark results under " + r.options().out()
                    + ": check that the directory is writable or pass --out DIR", e);
        }
    }

    static String webhookJson(WebhookLatencyBench.Latency w) {
        if (w == null) {
            return "null";
        }
        return "{\"jobs\": " + w.jobs() + ", \"mode\": \"one at a time\", \"until\": \"InstanceLaunched\""
                + ", \"p50Seconds\": " + num(w.percentile(50)) + ", \"p90Seconds\": " + num(w.percentile(90))
                + ", \"p99Seconds\": " + num(w.percentile(99)) + ", \"maxSeconds\": " + num(w.max())
                + ", \"seconds\": " + nums(w.total()) + ", \"toDemandSeconds\": " + nums(w.toDemand()) + "}";
    }

    static String scaleSetJson(ScaleSetLatencyBench.Result s) {
        if (s == null) {
            return "null";
        }
        StringBuilder idle = new StringBuilder("{");
        s.idleRequests().forEach((op, n) -> idle.append(idle.length() == 1 ? "" : ", ").append('"').append(op)
                .append("\": ").append(n));
        return "{\"coldSeconds\": " + nums(s.cold()) + ", \"burstSeconds\": " + nums(s.burst())
                + ", \"burstFloorSeconds\": " + num(s.burstFloor()) + ", \"idleWindowSeconds\": "
                + s.idleWindow().toSeconds() + ", \"idleRequestsPerHour\": " + num(s.idleRequestsPerHour())
                + ", \"idleRequests\": " + idle.append('}') + ", \"loadAverage\": \"" + loadAverage() + "\"}";
    }

    /** The 1, 5 and 15 minute load averages, or "?" where /proc/loadavg is missing. */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
    }

    private static String nums(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(num(v[i]));
        }
        return b.append(']').toString();
    }
}
