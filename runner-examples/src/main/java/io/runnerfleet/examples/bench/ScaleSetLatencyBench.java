package io.runnerfleet.examples.bench;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.scaleset.ScaleSetAutoscaler;
import io.runnerfleet.github.scaleset.ScaleSetClient;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.testkit.FakeJob;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * DESIGN §8's scale-set targets on the local Docker engine, next to the webhook path: from a job queued
 * to the runner's container started, when the fleet is driven by a runner scale set
 * ({@link ScaleSetAutoscaler}) over the fake GitHub's Actions service with its production long poll
 * (50 s). Three parts: cold jobs one at a time (the pool back at 0 before the next), a burst of jobs
 * queued at once (against the floor: the same number of containers started in parallel straight through
 * the engine, measured in the same run), and the requests per hour of an idle fleet.
 *
 * <p>Each latency runs from the instant just before {@code queueJob} to the {@code at} of the fleet's
 * {@link FleetEvent.InstanceLaunched}.
 */
final class ScaleSetLatencyBench implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final String SET = "bench-set";

    /**
     * What one run measured.
     *
     * @param cold queued to container started, one job at a time (seconds)
     * @param burst queued to container started for each job of the burst (seconds)
     * @param burstFloor seconds to start as many containers in parallel straight through the engine
     * @param idleWindow how long the idle fleet was watched
     * @param idleRequests the fake GitHub's requests in that window, by operation (runner-side calls excluded)
     * @param runnerListsWhileIdle how many runner lists the fleet's registry made in that window
     */
    record Result(double[] cold, double[] burst, double burstFloor, Duration idleWindow, Map<String, Long> idleRequests,
                  long runnerListsWhileIdle) {
        double idleRequestsPerHour() {
            long n = idleRequests.values().stream().mapToLong(Long::longValue).sum();
            return n * 3600.0 / idleWindow.toMillis() * 1000;
        }

        double burstAllStarted() {
            return Samples.max(burst);
        }

        /** The result as a JSON object, seconds throughout. */
        String json() {
            StringBuilder ops = new StringBuilder("{");
            idleRequests.forEach((op, n) -> ops.append(ops.length() == 1 ? "" : ", ").append('"').append(op).append("\": ").append(n));
            return "{\"until\": \"InstanceLaunched\", \"cold\": " + series(cold) + ", \"burst\": " + series(burst)
                    + ", \"burstAllStartedSeconds\": " + Benchmarks.num(burstAllStarted())
                    + ", \"burstFloorSeconds\": " + Benchmarks.num(burstFloor)
                    + ", \"idleWindowSeconds\": " + idleWindow.toSeconds()
                    + ", \"idleRequestsPerHour\": " + Benchmarks.num(idleRequestsPerHour())
                    + ", \"idleRequests\": " + ops.append('}')
                    + ", \"runnerListsWhileIdle\": " + runnerListsWhileIdle + "}";
        }

        private static String series(double[] v) {
            return v.length == 0 ? "null" : "{" + Samples.jsonMembers(v) + "}";
        }
    }

    private final LatencyRig rig = new LatencyRig();
    private final String name = "ssb" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);

    /** Runs the three parts; the fleet is removed afterwards. */
    Result run(int coldJobs, int burstJobs, Duration idleWindow, ProvisioningBench floor) {
        BlockingQueue<Instant> launched = new LinkedBlockingQueue<>();
        Path state;
        try {
            state = Files.createTempDirectory("bench-scaleset").resolve("state.json");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the scale set's state file in a temporary directory: "
                    + e.getMessage(), e);
        }
        try (GitHubClient gh = GitHubClient.builder().baseUrl(rig.github.url()).webUrl(rig.github.url())
                .credentials(GitHubCredentials.token(rig.pat)).build();
             ScaleSetClient client = ScaleSetClient.builder().github(gh, RunnerScope.organization("bench")).build();
             ScaleSetAutoscaler autoscaler = ScaleSetAutoscaler.builder(client, ScaleSetSpec.named(SET))
                     .stateFile(state).owner(name).build()) {
            RunnerFleet fleet = RunnerFleet.builder().name(name).registry(autoscaler.registry()).backend(rig.backend)
                    .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                    .drainTimeout(Duration.ofSeconds(30)).parallelism(Math.max(8, burstJobs))
                    .listener(e -> {
                        if (e instanceof FleetEvent.InstanceLaunched l) {
                            launched.add(l.at());
                        }
                    })
                    .pool(RunnerPool.builder("w").image(rig.image).ephemeral(true)
                            .scaling(Scaling.onDemand(0, Math.max(2, burstJobs))))
                    .build();
            boolean cleaned = false;
            try {
                autoscaler.start(fleet);
                double[] cold = new double[coldJobs];
                for (int i = 0; i < coldJobs; i++) {
                    Instant queued = Instant.now();
                    FakeJob job = rig.github.queueJob(rig.repo, SET);
                    cold[i] = LatencyRig.seconds(queued, LatencyRig.take(launched, PATIENCE, "cold job " + (i + 1) + ": its container started"));
                    backAtZero(fleet, List.of(job), "cold job " + (i + 1));
                    if (!launched.isEmpty()) {
                        throw new IllegalStateException("cold job " + (i + 1) + " started more than one container");
                    }
                }
                double[] burst = new double[burstJobs];
                double burstFloor = Double.NaN;
                if (burstJobs > 0) {
                    burstFloor = floor.floor(burstJobs);
                    List<FakeJob> jobs = new ArrayList<>();
                    Instant queued = Instant.now();
                    for (int i = 0; i < burstJobs; i++) {
                        jobs.add(rig.github.queueJob(rig.repo, Duration.ofSeconds(2), SET));
                    }
                    for (int i = 0; i < burstJobs; i++) {
                        burst[i] = LatencyRig.seconds(queued, LatencyRig.take(launched, PATIENCE, "burst: container " + (i + 1) + " of " + burstJobs));
                    }
                    backAtZero(fleet, jobs, "the burst");
                    if (!launched.isEmpty()) {
                        throw new IllegalStateException("the burst of " + burstJobs + " jobs started more containers");
                    }
                }
                // Idle: nothing queued, no runner; what does listening cost?
                Map<String, Long> before = rig.github.requestCounts();
                try {
                    Thread.sleep(idleWindow.toMillis());   // a benchmark window, not a test wait
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while watching the idle fleet", e);
                }
                Map<String, Long> after = rig.github.requestCounts();
                Map<String, Long> idle = new java.util.TreeMap<>();
                after.forEach((op, n) -> {
                    long d = n - before.getOrDefault(op, 0L);
                    if (d > 0 && !op.startsWith("runner/")) {
                        idle.put(op, d);
                    }
                });
                return new Result(cold, burst, burstFloor, idleWindow, idle,
                        idle.getOrDefault("actions-service/list-runners", 0L));
            } catch (RuntimeException e) {
                cleaned = true;
                try {
                    cleanUp(autoscaler, fleet);
                } catch (RuntimeException c) {
                    e.addSuppressed(c);
                }
                throw e;
            } finally {
                if (!cleaned) {
                    cleanUp(autoscaler, fleet);
                }
            }
        } finally {
            try {
                Files.deleteIfExists(state);
                Files.deleteIfExists(state.getParent());
            } catch (IOException e) {
                // a temp file
            }
        }
    }

    private void cleanUp(ScaleSetAutoscaler autoscaler, RunnerFleet fleet) {
        autoscaler.close();
        fleet.remove();
        ProvisioningBench.requireClean(rig.backend, rig.org, name);
    }

    private void backAtZero(RunnerFleet fleet, List<FakeJob> jobs, String what) {
        try {
            ProvisioningBench.await(what + " completed and the pool back at 0", () -> jobs.stream()
                    .allMatch(j -> "completed".equals(j.status())) && fleet.runners().isEmpty()
                    && rig.backend.instances(name).isEmpty());
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; jobs " + jobs + ", fleet " + fleet.status().table()
                    + ", desired " + fleet.status().desired() + ", containers " + rig.backend.instances(name), e);
        }
    }

    /** Prints the three parts, in milliseconds and requests per hour. */
    static void print(Result r, PrintStream out) {
        out.println();
        out.println("Scale set to container: job queued -> container started (ms)");
        out.printf(Locale.ROOT, "%-22s %s%n", "", Samples.HEADER);
        row(out, "cold, one at a time", r.cold());
        if (r.burst().length > 0) {
            row(out, "burst, queued at once", r.burst());
            out.printf(Locale.ROOT, "  burst fully started in %.0f ms; %d containers in parallel straight through"
                    + " the engine: %.0f ms (%.2fx; target < 2x: %s)%n", 1000 * r.burstAllStarted(), r.burst().length,
                    1000 * r.burstFloor(), r.burstAllStarted() / r.burstFloor(),
                    r.burstAllStarted() < 2 * r.burstFloor() ? "met" : "NOT met");
        }
        if (r.cold().length > 0) {
            out.printf(Locale.ROOT, "  DESIGN §8 target p99 < 1000 ms (cold): %s%n",
                    Samples.percentile(r.cold(), 99) < 1 ? "met" : "NOT met");
        }
        out.printf(Locale.ROOT, "Idle scale-set fleet over %d s: %.0f requests/hour %s, %d runner lists;"
                        + " one runner list per 15 s would be 240/hour%n", r.idleWindow().toSeconds(),
                r.idleRequestsPerHour(), r.idleRequests(), r.runnerListsWhileIdle());
    }

    private static void row(PrintStream out, String what, double[] v) {
        if (v.length > 0) {
            out.printf(Locale.ROOT, "%-22s %s%n", what, Samples.millis(v));
        }
    }

    @Override
    public void close() {
        rig.close();
    }
}
