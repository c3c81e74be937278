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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runner Fleet's benchmarks (issues 9 and 18, DESIGN §8): provisioning speed on the local Docker engine
 * against the container floor, the runner floor and the {@code runner.sh} flow, job-start latency (cold
 * and warm, one at a time and in a burst, on Docker and host processes), job queued to container started
 * through a webhook and through a runner scale set (issue 13), the GitHub API cost of steady fleets, and the
 * heap of a 100-runner fleet. Every section records the machine's load before and after
 * it and is marked disturbed when other work kept the machine busy. Prints tables on stdout and writes {@code bench-<time>.json} and
 * {@code latest.json} under the output directory. All traffic stays on 127.0.0.1.
 *
 * <pre>{@code
 * scripts/bench.sh                                  # everything, defaults
 * scripts/bench.sh --reps 5 --sizes 1,10 --skip-api # fewer parts
 * }</pre>
 *
 * <p>Options: {@code --reps N} (3), {@code --sizes 1,5,10,20}, {@code --api-sizes 10,100,500},
 * {@code --cycles N} (5 reconcile cycles by hand), {@code --window S} (120 s, after 5 cycles to settle when at least 60 s, of an undisturbed
 * fleet), {@code --memory-runners N} (100), {@code --out DIR} ({@code target/bench}),
 * {@code --skip-docker}, {@code --skip-api}, {@code --skip-memory}, {@code --webhook-jobs N} (40 jobs for the
 * webhook-to-container latency; {@code 0} skips it, as does {@code --skip-docker}), {@code --skip-provisioning},
 * {@code --skip-scale-set} (job queued to container started through a runner scale set, next to the webhook path),
 * {@code --scale-set-jobs N} (40 cold jobs one at a time; {@code 0} none), {@code --scale-set-burst N} (20 jobs queued
 * together; {@code 0} none), {@code --scale-set-idle S} (120 s watching the idle scale-set fleet's GitHub requests),
 * {@code --swarm} (off by default; root and network namespaces: {@code start()} of {@code --swarm-runners N}, 30, runners on
 * a 3-node swarm of this machine against 1 node),
 * {@code --skip-runner-sh} (the slow runner.sh emulation), {@code --job-start-jobs N} (20 jobs one at a time;
 * {@code 0} none), {@code --burst N} (20 jobs queued together; {@code 0} none; the warm pool has this many
 * runners), {@code --job-start-backends docker,process} ({@code --skip-docker} drops docker), {@code --skip-cli}
 * (the command line's start-up, timed as whole processes), {@code --runnerfleet PATH} ({@code scripts/runnerfleet}).
 *
 * <p>Sharp edges: these are measurements, never pass/fail checks; on a shared 2-core machine other
 * builds move the figures, so compare ratios taken in the same run rather than absolute seconds.
 */
public final class Benchmarks {
    /**
     * The fake GitHub's secondary limit on writes for the timing sections: they measure the fleet, not GitHub's
     * write pacing, yet start and remove hundreds of runners through many clients in a few minutes, which the
     * real limit of 80 a minute (kept by the GitHub-cost section) would turn into minute-long holds.
     */
    static final int WRITES_PER_MINUTE = 100_000;

    private Benchmarks() {
    }

    /** The parsed command line. */
    record Options(int reps, List<Integer> sizes, List<Integer> apiSizes, int cycles, Duration window,
                   int memoryRunners, Path out, boolean docker, boolean api, boolean memory, int webhookJobs,
                   boolean provisioning, boolean runnerSh, int jobStartJobs, int burst,
                   List<JobStartBench.Backend> jobStartBackends, boolean cli, Path runnerfleet, boolean scaleSet,
                   int scaleSetJobs, int scaleSetBurst, Duration scaleSetIdle, boolean swarm, int swarmRunners) {

        /** The job-start backends this run measures: docker only with an engine. */
        List<JobStartBench.Backend> jobStartOn() {
            if (jobStartJobs == 0 && burst == 0) {
                return List.of();
            }
            return jobStartBackends.stream().filter(b -> docker || b != JobStartBench.Backend.DOCKER).toList();
        }

        static Options parse(String... args) {
            int reps = 3;
            List<Integer> sizes = List.of(1, 5, 10, 20);
            List<Integer> apiSizes = List.of(10, 100, 500);
            int cycles = 5;
            Duration window = Duration.ofSeconds(120);
            int memoryRunners = 100;
            Path out = Path.of("target", "bench");
            boolean docker = true;
            boolean api = true;
            boolean memory = true;
            int webhookJobs = 40;
            boolean provisioning = true;
            boolean runnerSh = true;
            boolean cli = true;
            Path runnerfleet = Path.of("scripts", "runnerfleet");
            int jobStartJobs = 20;
            int burst = 20;
            List<JobStartBench.Backend> jobStartBackends = List.of(JobStartBench.Backend.DOCKER, JobStartBench.Backend.PROCESS);
            boolean scaleSet = true;
            int scaleSetJobs = 40;
            int scaleSetBurst = 20;
            Duration scaleSetIdle = Duration.ofSeconds(120);
            boolean swarm = false;
            int swarmRunners = 30;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--skip-docker" -> docker = false;
                    case "--skip-api" -> api = false;
                    case "--skip-memory" -> memory = false;
                    case "--skip-provisioning" -> provisioning = false;
                    case "--skip-runner-sh" -> runnerSh = false;
                    case "--skip-cli" -> cli = false;
                    case "--skip-scale-set" -> scaleSet = false;
                    case "--swarm" -> swarm = true;
                    case "--reps", "--sizes", "--api-sizes", "--cycles", "--window", "--memory-runners", "--out",
                         "--webhook-jobs", "--job-start-jobs", "--burst", "--job-start-backends", "--runnerfleet",
                         "--scale-set-jobs", "--scale-set-burst", "--scale-set-idle", "--swarm-runners" -> {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("option " + a + " needs a value, e.g. " + a + " "
                                    + (a.contains("sizes") ? "1,5,10" : a.equals("--out") ? "target/bench"
                                    : a.equals("--job-start-backends") ? "docker,process" : "3"));
                        }
                        String v = args[++i];
                        switch (a) {
                            case "--reps" -> reps = positive(a, v);
                            case "--sizes" -> sizes = list(a, v);
                            case "--api-sizes" -> apiSizes = list(a, v);
                            case "--cycles" -> cycles = positive(a, v);
                            case "--window" -> window = Duration.ofSeconds(positive(a, v));
                            case "--memory-runners" -> memoryRunners = positive(a, v);
                            case "--webhook-jobs" -> webhookJobs = zeroOrPositive(a, v);
                            case "--job-start-jobs" -> jobStartJobs = zeroOrPositive(a, v);
                            case "--burst" -> burst = zeroOrPositive(a, v);
                            case "--job-start-backends" -> jobStartBackends = backends(v);
                            case "--runnerfleet" -> runnerfleet = Path.of(v);
                            case "--scale-set-jobs" -> scaleSetJobs = zeroOrPositive(a, v);
                            case "--scale-set-burst" -> scaleSetBurst = zeroOrPositive(a, v);
                            case "--scale-set-idle" -> scaleSetIdle = Duration.ofSeconds(positive(a, v));
                            case "--swarm-runners" -> swarmRunners = positive(a, v);
                            default -> out = Path.of(v);
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option '" + a + "'; known: --reps N, --sizes"
                            + " 1,5,10,20, --api-sizes 10,100,500, --cycles N, --window SECONDS, --memory-runners N,"
                            + " --out DIR, --skip-docker, --skip-api, --skip-memory, --webhook-jobs N, --skip-provisioning,"
                            + " --skip-runner-sh, --job-start-jobs N, --burst N, --job-start-backends docker,process,"
                            + " --skip-cli, --runnerfleet PATH, --skip-scale-set, --scale-set-jobs N, --scale-set-burst N,"
                            + " --scale-set-idle SECONDS, --swarm, --swarm-runners N");
                }
            }
            return new Options(reps, sizes, apiSizes, cycles, window, memoryRunners, out, docker, api, memory,
                    webhookJobs, provisioning, runnerSh, jobStartJobs, burst, jobStartBackends, cli, runnerfleet, scaleSet,
                    scaleSetJobs, scaleSetBurst, scaleSetIdle, swarm, swarmRunners);
        }

        private static int zeroOrPositive(String option, String v) {
            return v.trim().equals("0") ? 0 : positive(option, v);
        }

        private static List<JobStartBench.Backend> backends(String v) {
            List<JobStartBench.Backend> out = new ArrayList<>();
            for (String part : v.split(",")) {
                JobStartBench.Backend b = JobStartBench.Backend.parse(part);
                if (!out.contains(b)) {
                    out.add(b);
                }
            }
            return List.copyOf(out);
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

    /**
     * One fleet size's provisioning samples, in seconds, one per repetition.
     *
     * @param floor the container floor: containers started in parallel through the backend, no GitHub
     * @param runnerFloor the runner floor: registered runners started in parallel straight through Docker
     * @param runnerSh NaN when skipped
     * @param load1 the 1-minute load average before each repetition
     * @param load the machine before the first and after the last repetition
     */
    record Provisioning(int runners, double[] fleet, double[] started, double[] floor, double[] runnerFloor,
                        double[] runnerSh, double[] load1, MachineLoad.Marks load) {
        double runnerFloorMedian() {
            return median(runnerFloor);
        }

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

    /**
     * Everything one run measured.
     *
     * @param loads the machine before and after each section, by section name
     */
    record Results(Instant at, int cores, Options options, List<Provisioning> provisioning,
                   List<FakeFleetBench.ApiCost> api, FakeFleetBench.Memory memory, WebhookLatencyBench.Latency webhook,
                   List<JobStartBench.Series> jobStart, CliStartBench.Timings cli, ScaleSetLatencyBench.Result scaleSet,
                   Map<String, MachineLoad.Marks> loads) {
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
        MachineLoad start = MachineLoad.sample(MachineLoad.PROBE);
        out.printf(Locale.ROOT, "Runner Fleet benchmarks, %s, %d cores, Java %s, load average %.2f %.2f %.2f%s%n",
                Instant.now(), cores, Runtime.version(), start.one(), start.five(), start.fifteen(),
                start.disturbed() ? " (the machine is busy: figures will be disturbed)" : "");
        Map<String, MachineLoad.Marks> loads = new LinkedHashMap<>();
        List<Provisioning> provisioning = new ArrayList<>();
        if (o.docker() && o.provisioning()) {
            MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
            try (ProvisioningBench bench = new ProvisioningBench()) {
                for (int n : o.sizes()) {
                    double[] fleet = new double[o.reps()];
                    double[] started = new double[o.reps()];
                    double[] floor = new double[o.reps()];
                    double[] runnerFloor = new double[o.reps()];
                    double[] sh = new double[o.reps()];
                    double[] load1 = new double[o.reps()];
                    MachineLoad rowBefore = MachineLoad.sample(MachineLoad.PROBE);
                    // Interleaved per repetition, so a burst of load elsewhere hits all of them alike.
                    for (int r = 0; r < o.reps(); r++) {
                        load1[r] = MachineLoad.sample(Duration.ZERO).one();
                        floor[r] = bench.floor(n);
                        runnerFloor[r] = bench.runnerFloor(n);
                        ProvisioningBench.FleetTiming t = bench.fleet(n);
                        fleet[r] = t.allIdle();
                        started[r] = t.containersStarted();
                        sh[r] = o.runnerSh() ? bench.runnerSh(n) : Double.NaN;
                    }
                    provisioning.add(new Provisioning(n, fleet, started, floor, runnerFloor, sh, load1,
                            new MachineLoad.Marks(rowBefore, MachineLoad.sample(Duration.ZERO))));
                }
            }
            loads.put("provisioning", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
            printProvisioning(provisioning, o.reps(), out);
            out.println(loads.get("provisioning").line());
        }
        List<JobStartBench.Series> jobStart = new ArrayList<>();
        if (!o.jobStartOn().isEmpty()) {
            MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
            for (JobStartBench.Backend b : o.jobStartOn()) {
                try (JobStartBench bench = new JobStartBench(b)) {
                    jobStart.addAll(bench.run(false, o.jobStartJobs(), o.burst()));
                    jobStart.addAll(bench.run(true, o.jobStartJobs(), o.burst()));
                }
            }
            loads.put("jobStart", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
            JobStartBench.print(jobStart, out);
            out.println(loads.get("jobStart").line());
        }
        CliStartBench.Timings cli = null;
        if (o.docker() && o.cli()) {
            try (CliStartBench bench = new CliStartBench(o.runnerfleet())) {
                cli = bench.run(o.reps());
            }
            CliStartBench.print(cli, out);
        }
        WebhookLatencyBench.Latency webhook = null;
        if (o.docker() && o.webhookJobs() > 0) {
            MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
            try (WebhookLatencyBench bench = new WebhookLatencyBench()) {
                webhook = bench.run(o.webhookJobs());
            }
            loads.put("webhook", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
            WebhookLatencyBench.print(webhook, out);
            out.println(loads.get("webhook").line());
        }
        ScaleSetLatencyBench.Result scaleSet = null;
        if (o.docker() && o.scaleSet()) {
            MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
            // The burst is set against the floor of as many containers started straight through the engine, in this run.
            try (ScaleSetLatencyBench bench = new ScaleSetLatencyBench();
                 ProvisioningBench floor = o.scaleSetBurst() > 0 ? new ProvisioningBench() : null) {
                scaleSet = bench.run(o.scaleSetJobs(), o.scaleSetBurst(), o.scaleSetIdle(), floor);
            }
            loads.put("scaleSet", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
            ScaleSetLatencyBench.print(scaleSet, out);
            out.println(loads.get("scaleSet").line());
        }
        if (o.docker() && o.swarm()) {
            // Needs root and network namespaces (scripts/swarm-rig.sh): off unless asked for.
            MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
            List<SwarmBench.Timing> swarm = SwarmBench.run(o.swarmRunners(), o.reps());
            loads.put("swarm", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
            SwarmBench.print(swarm, out);
            out.println(loads.get("swarm").line());
        }
        List<FakeFleetBench.ApiCost> api = new ArrayList<>();
        FakeFleetBench.Memory memory = null;
        if (o.api() || o.memory()) {
            try (FakeFleetBench bench = new FakeFleetBench()) {
                if (o.api()) {
                    MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
                    for (int n : o.apiSizes()) {
                        api.add(bench.apiCost(n, o.cycles(), o.window()));
                    }
                    loads.put("api", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
                    printApi(api, out);
                }
                if (o.memory()) {
                    MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
                    memory = bench.memory(o.memoryRunners());
                    loads.put("memory", new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO)));
                    out.println();
                    out.printf(Locale.ROOT, "Memory: %d-runner fleet (simulated backend): heap %.1f MB before, %.1f MB"
                            + " after start (GC'd), fleet's share %.1f MB%n", memory.runners(), memory.heapBeforeMb(),
                            memory.heapAfterMb(), memory.fleetMb());
                }
            }
        }
        return new Results(Instant.now(), cores, o, provisioning, api, memory, webhook, jobStart, cli, scaleSet,
                Map.copyOf(loads));
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
        out.printf(Locale.ROOT, "%5s %7s %8s %8s %9s %10s %12s %13s %16s %7s%n", "N", "fleet", "started", "c-floor",
                "r-floor", "runner.sh", "fleet/c-fl", "fleet/r-fl", "runner.sh/fleet", "load1");
        for (Provisioning p : rows) {
            out.printf(Locale.ROOT, "%5d %7.2f %8.2f %8.2f %9.2f %10.2f %11.2fx %12.2fx %15.1fx %7.2f%s%n", p.runners(),
                    p.fleetMedian(), p.startedMedian(), p.floorMedian(), p.runnerFloorMedian(), p.runnerShMedian(),
                    p.fleetMedian() / p.floorMedian(), p.fleetMedian() / p.runnerFloorMedian(),
                    p.runnerShMedian() / p.fleetMedian(), p.load().before().one(),
                    p.load().disturbed() ? "  DISTURBED" : "");
        }
        out.println("  fleet: start() to every runner Idle (its log says it listens, or GitHub lists it online);"
                + " started: to the last container started; c-floor: the same containers started in parallel through"
                + " the backend, no GitHub; r-floor: the same"
                + " runners, each handed a pre-minted token, started in parallel straight through Docker to all online"
                + " (fleet/r-floor is what the library adds); runner.sh: its init flow with Docker's restart back-off");
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
        out.println("  observed: the default fleet left alone after " + FakeFleetBench.SETTLE_CYCLES + " cycles, when a steady"
                + " fleet of fixed pools reconciles every quietInterval (default 30 s)");
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
                    .append(", \"runnerFloorMedianSeconds\": ").append(num(p.runnerFloorMedian()))
                    .append(", \"fleetOverRunnerFloor\": ").append(num(p.fleetMedian() / p.runnerFloorMedian()))
                    .append(", \"runnerShMedianSeconds\": ").append(num(p.runnerShMedian()))
                    .append(", \"fleetOverFloor\": ").append(num(p.fleetMedian() / p.floorMedian()))
                    .append(", \"runnerShOverFleet\": ").append(num(p.runnerShMedian() / p.fleetMedian()))
                    .append(", \"fleetSeconds\": ").append(nums(p.fleet()))
                    .append(", \"containersStartedSeconds\": ").append(nums(p.started()))
                    .append(", \"floorSeconds\": ").append(nums(p.floor()))
                    .append(", \"runnerFloorSeconds\": ").append(nums(p.runnerFloor()))
                    .append(", \"load1BeforeEachRep\": ").append(nums(p.load1()))
                    .append(", \"load\": ").append(p.load().json())
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
        j.append(",\n  \"scaleSet\": ").append(r.scaleSet() == null ? "null" : r.scaleSet().json());
        j.append(",\n  \"jobStart\": [");
        for (int i = 0; i < r.jobStart().size(); i++) {
            j.append(i == 0 ? "\n    " : ",\n    ").append(r.jobStart().get(i).json());
        }
        j.append(r.jobStart().isEmpty() ? "]" : "\n  ]");
        j.append(",\n  \"cli\": ").append(r.cli() == null ? "null" : r.cli().json());
        j.append(",\n  \"load\": {");
        int k = 0;
        for (Map.Entry<String, MachineLoad.Marks> e : new TreeMap<>(r.loads()).entrySet()) {
            j.append(k++ == 0 ? "\n    " : ",\n    ").append('"').append(e.getKey()).append("\": ").append(e.getValue().json());
        }
        j.append(r.loads().isEmpty() ? "}" : "\n  }");
        j.append(",\n  \"disturbed\": ").append(r.loads().values().stream().anyMatch(MachineLoad.Marks::disturbed)
                || r.jobStart().stream().anyMatch(x -> x.load().disturbed())
                || r.provisioning().stream().anyMatch(p -> p.load().disturbed())
                || (r.cli() != null && r.cli().load().disturbed()));
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
        return "{\"mode\": \"one at a time\", \"until\": \"InstanceLaunched\", " + Samples.jsonMembers(w.total())
                + ", \"toDemandSeconds\": " + nums(w.toDemand()) + "}";
    }

    static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "null";
    }

    static String nums(double[] v) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(num(v[i]));
        }
        return b.append(']').toString();
    }
}
