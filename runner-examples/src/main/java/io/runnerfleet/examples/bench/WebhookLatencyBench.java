package io.runnerfleet.examples.bench;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeScope;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * DESIGN §8's webhook target on the local Docker engine: from a {@code workflow_job: queued} delivery to
 * the runner's container started. The fake GitHub on 127.0.0.1 signs and posts each delivery to a
 * {@link WebhookReceiver}, which calls {@code fleet.demand}; the fleet's one on-demand ephemeral pool
 * (min 0) launches a container for it. Jobs are queued one at a time: the next is queued only after the
 * previous job's runner has finished it and the pool is back at zero, so every job pays a cold launch.
 *
 * <p>Each sample runs from the instant just before {@code queueJob} (which sends the delivery) to the
 * {@code at} of the fleet's {@link FleetEvent.InstanceLaunched}, stamped when the backend's launch
 * (create and start of the container) returned. Both instants come from the system clock.
 */
final class WebhookLatencyBench implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    /**
     * The samples of one run, in seconds.
     *
     * @param total queued to container started, per job
     * @param toDemand queued to the receiver handing the job to {@code fleet.demand} (the webhook leg)
     */
    record Latency(double[] total, double[] toDemand) {
        int jobs() {
            return total.length;
        }

        double percentile(double p) {
            return WebhookLatencyBench.percentile(total, p);
        }

        double max() {
            return Arrays.stream(total).max().orElse(Double.NaN);
        }
    }

    private final FakeGitHub github;
    private final FakeScope org;
    private final FakeScope repo;
    private final Secret pat;
    private final DockerBackend backend;
    private final RunnerImage image;
    private final String name = "hook" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);

    WebhookLatencyBench() {
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(10)).build();
        github.start();
        org = github.organization("bench");
        repo = org.repository("app");
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
        image = ProvisioningBench.fakeRunnerImage(backend);
        backend.prepare(image, p -> { });
    }

    /**
     * The nearest-rank percentile: the smallest sample with at least {@code p} percent of the samples at
     * or below it (so the p99 of 40 samples is the largest).
     *
     * @throws IllegalArgumentException when there are no samples or {@code p} is outside (0, 100]
     */
    static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples to take the p" + p + " of");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile " + p + " is not in (0, 100]");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    /** Queues {@code jobs} jobs one at a time and measures each; the fleet is removed afterwards. */
    Latency run(int jobs) {
        BlockingQueue<Instant> launched = new LinkedBlockingQueue<>();
        BlockingQueue<Instant> demanded = new LinkedBlockingQueue<>();
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
        RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(30))
                .listener(e -> {
                    if (e instanceof FleetEvent.InstanceLaunched l) {
                        launched.add(l.at());
                    }
                })
                .pool(RunnerPool.builder("w").image(image).labels("bench").ephemeral(true)
                        .scaling(Scaling.onDemand(0, 2)))
                .build();
        Secret secret = Secret.of(UUID.randomUUID().toString());
        double[] total = new double[jobs];
        double[] toDemand = new double[jobs];
        try (WebhookReceiver receiver = WebhookReceiver.builder(secret).onQueued(event -> {
            demanded.add(Instant.now());
            fleet.demand(event.jobRequest());
        }).build().start()) {
            github.webhook(receiver.uri(), secret);
            fleet.start();
            for (int i = 0; i < jobs; i++) {
                Instant queued = Instant.now();
                FakeJob job = github.queueJob(repo, "self-hosted", "bench");
                Instant started = take(launched, "job " + (i + 1) + ": its runner's container started");
                Instant demand = take(demanded, "job " + (i + 1) + ": the receiver handing it on");
                total[i] = seconds(queued, started);
                toDemand[i] = seconds(queued, demand);
                ProvisioningBench.await("job " + (i + 1) + " completed and the pool back at 0", () -> "completed".equals(job.status())
                        && fleet.runners().isEmpty() && backend.instances(name).isEmpty());
                if (!launched.isEmpty()) {
                    throw new IllegalStateException("job " + (i + 1) + " launched more than one container: "
                            + launched + "; the pool should grow by one per queued job");
                }
            }
            return new Latency(total, toDemand);
        } finally {
            fleet.remove();
            ProvisioningBench.requireClean(backend, org, name);
        }
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    private static Instant take(BlockingQueue<Instant> queue, String what) {
        try {
            Instant at = queue.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            if (at == null) {
                throw new IllegalStateException("benchmark waited " + PATIENCE + " for: " + what,
                        new TimeoutException(what));
            }
            return at;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for: " + what, e);
        }
    }

    /** Prints count, p50, p90, p99 and max, in milliseconds. */
    static void print(Latency l, java.io.PrintStream out) {
        out.println();
        out.println("Webhook to container: workflow_job queued -> container started, jobs one at a time (ms)");
        out.printf(Locale.ROOT, "%6s %8s %8s %8s %8s   %s%n", "count", "p50", "p90", "p99", "max", "webhook leg p50/p99");
        out.printf(Locale.ROOT, "%6d %8.0f %8.0f %8.0f %8.0f   %.0f / %.0f%n", l.jobs(), 1000 * l.percentile(50),
                1000 * l.percentile(90), 1000 * l.percentile(99), 1000 * l.max(),
                1000 * percentile(l.toDemand(), 50), 1000 * percentile(l.toDemand(), 99));
        out.printf(Locale.ROOT, "  DESIGN §8 target p99 < 1000 ms: %s%n", l.percentile(99) < 1 ? "met" : "NOT met");
    }

    @Override
    public void close() {
        backend.close();
        github.close();
    }
}
