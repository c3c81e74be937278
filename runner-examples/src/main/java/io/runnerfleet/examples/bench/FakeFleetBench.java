package io.runnerfleet.examples.bench;

import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeScope;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The GitHub-side benchmarks: a real {@link GitHubRegistry} against a {@link FakeGitHub} on 127.0.0.1,
 * with {@link SimulatedRunnerBackend} standing in for containers so 500 runners fit on a laptop. Every
 * request is counted by the fake, not by the client.
 */
final class FakeFleetBench implements AutoCloseable {
    /** The fleet's default reconcile interval, which the per-hour projection assumes. */
    static final Duration RECONCILE_INTERVAL = Duration.ofSeconds(15);
    // Cycles before the measured window: the fleet's four unchanged cycles before it may be quiet, and one more.
    static final int SETTLE_CYCLES = 5;
    // Simulated runners run no jobs: nothing to drain, so removal need not wait long.
    private static final Duration DRAIN = Duration.ofSeconds(5);

    /** One fleet size's GitHub cost. */
    record ApiCost(int runners, int cycles, double requestsPerCycle, double notModifiedPerCycle,
                   double projectedPerHour, double projectedChargedPerHourWithEtags, double windowSeconds,
                   double observedPerHour, double observedChargedPerHour, long tokensAtStart,
                   double tokensPerHour, Map<String, Long> startRequests) {
    }

    /** The heap a started fleet holds. */
    record Memory(int runners, double heapBeforeMb, double heapAfterMb, double fleetMb) {
    }

    private final FakeGitHub github;
    private final FakeScope org;
    private final Secret pat;
    private final SimulatedRunnerBackend backend;
    private int fleets;

    FakeFleetBench() {
        // A day before a runner without polls goes offline: simulated runners connect once.
        github = FakeGitHub.builder().offlineAfter(Duration.ofDays(1)).build();
        github.start();
        org = github.organization("bench");
        pat = github.newToken("admin:org", "repo");
        backend = new SimulatedRunnerBackend(github.url());
    }

    private RunnerFleet fleet(int runners, Duration reconcileInterval) {
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
        return RunnerFleet.builder().name("bench" + (++fleets)).registry(registry).backend(backend)
                .reconcileInterval(reconcileInterval).pollInterval(Duration.ofMillis(200))
                .registrationTimeout(Duration.ofMinutes(5)).startTimeout(Duration.ofMinutes(10)).drainTimeout(DRAIN)
                .pool(RunnerPool.builder("sim").image(RunnerImage.of("runnerfleet-bench/simulated:1")).labels("sim")
                        .scaling(Scaling.fixed(runners)))
                .build();
    }

    /** The API requests so far, runner-side calls excluded, as {requests, notModified}. */
    private long[] apiCounts() {
        long requests = 0;
        long notModified = 0;
        for (Map.Entry<String, Long> e : github.requestCounts().entrySet()) {
            if (!e.getKey().startsWith("runner/")) {
                requests += e.getValue();
                notModified += github.notModified(e.getKey());
            }
        }
        return new long[] {requests, notModified};
    }

    /**
     * Starts a steady fleet of {@code runners}, runs {@code cycles} reconcile cycles by hand (the
     * background loop set to an hour so it does not interfere), then lets a second fleet setting, the
     * default interval, run on its own for {@code window} and counts again.
     */
    ApiCost apiCost(int runners, int cycles, Duration window) {
        Map<String, Long> before = github.requestCounts();
        RunnerFleet fleet = fleet(runners, Duration.ofHours(1));
        try {
            fleet.start();
            Map<String, Long> startRequests = new java.util.TreeMap<>();
            github.requestCounts().forEach((k, v) -> {
                long d = v - before.getOrDefault(k, 0L);
                if (d > 0 && !k.startsWith("runner/")) {
                    startRequests.put(k, d);
                }
            });
            long tokensAtStart = fleet.registrationTokensMinted();
            long[] a = apiCounts();
            for (int i = 0; i < cycles; i++) {
                fleet.reconcile(Duration.ofMinutes(2));
            }
            long[] b = apiCounts();
            double perCycle = (b[0] - a[0]) / (double) cycles;
            double notModifiedPerCycle = (b[1] - a[1]) / (double) cycles;
            double cyclesPerHour = Duration.ofHours(1).toMillis() / (double) RECONCILE_INTERVAL.toMillis();
            fleet.close();

            // The same fleet adopted by one with the default interval, left alone for the window.
            RunnerFleet steady = RunnerFleet.builder().name(fleet.name()).registry(GitHubRegistry.builder(
                            RunnerScope.organization("bench")).baseUrl(github.url()).webUrl(github.url())
                            .credentials(GitHubCredentials.token(pat)).build()).backend(backend)
                    .reconcileInterval(RECONCILE_INTERVAL).pollInterval(Duration.ofSeconds(1))
                    .registrationTimeout(Duration.ofMinutes(5)).startTimeout(Duration.ofMinutes(10)).drainTimeout(DRAIN)
                    .pool(RunnerPool.builder("sim").image(RunnerImage.of("runnerfleet-bench/simulated:1"))
                            .labels("sim").scaling(Scaling.fixed(runners)))
                    .build();
            fleet = steady;
            steady.start();
            // A steady fleet of fixed pools stretches its interval once a few cycles saw nothing new: a window of a
            // minute or more measures that state, after those cycles; a short one (a quick look, the tests) the first.
            if (window.compareTo(Duration.ofMinutes(1)) >= 0) {
                sleep(RECONCILE_INTERVAL.multipliedBy(SETTLE_CYCLES));
            }
            long[] c = apiCounts();
            long tokensBefore = steady.registrationTokensMinted();
            long t0 = System.nanoTime();
            sleep(window);
            double seconds = (System.nanoTime() - t0) / 1e9;
            long[] d = apiCounts();
            double perHour = 3600.0 / seconds;
            double tokensPerHour = (steady.registrationTokensMinted() - tokensBefore) * perHour;
            return new ApiCost(runners, cycles, perCycle, notModifiedPerCycle, perCycle * cyclesPerHour,
                    (perCycle - notModifiedPerCycle) * cyclesPerHour, seconds, (d[0] - c[0]) * perHour,
                    ((d[0] - c[0]) - (d[1] - c[1])) * perHour, tokensAtStart, tokensPerHour, startRequests);
        } finally {
            fleet.removeNow();
            requireClean();
        }
    }

    private static void sleep(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < end) {
            LockSupport.parkNanos(Math.min(end - System.nanoTime(), Duration.ofMillis(200).toNanos()));
        }
    }

    /** Heap used after GC with a started fleet of {@code runners}, against the heap before it was built. */
    Memory memory(int runners) {
        double before = heapAfterGcMb();
        RunnerFleet fleet = fleet(runners, RECONCILE_INTERVAL);
        try {
            fleet.start();
            double after = heapAfterGcMb();
            return new Memory(runners, before, after, after - before);
        } finally {
            fleet.removeNow();
            requireClean();
        }
    }

    static double heapAfterGcMb() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        Runtime rt = Runtime.getRuntime();
        return (rt.totalMemory() - rt.freeMemory()) / (1024.0 * 1024.0);
    }

    private void requireClean() {
        if (!org.runners().isEmpty() || backend.size() != 0) {
            throw new IllegalStateException("benchmark fleet left " + org.runners().size() + " registrations and "
                    + backend.size() + " simulated instances behind");
        }
    }

    @Override
    public void close() {
        backend.close();
        github.close();
    }
}
