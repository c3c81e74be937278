package io.runnerfleet.examples.bench;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.testkit.FakeJob;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;

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
            return Samples.percentile(total, p);
        }
    }

    private final LatencyRig rig = new LatencyRig();
    private final String name = "hook" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);

    /** Queues {@code jobs} jobs one at a time and measures each; the fleet is removed afterwards. */
    Latency run(int jobs) {
        BlockingQueue<Instant> launched = new LinkedBlockingQueue<>();
        BlockingQueue<Instant> demanded = new LinkedBlockingQueue<>();
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(rig.github.url())
                .webUrl(rig.github.url()).credentials(GitHubCredentials.token(rig.pat)).build();
        RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry).backend(rig.backend)
                .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(30))
                .listener(e -> {
                    if (e instanceof FleetEvent.InstanceLaunched l) {
                        launched.add(l.at());
                    }
                })
                .pool(RunnerPool.builder("w").image(rig.image).labels("bench").ephemeral(true)
                        .scaling(Scaling.onDemand(0, 2)))
                .build();
        Secret secret = Secret.of(UUID.randomUUID().toString());
        double[] total = new double[jobs];
        double[] toDemand = new double[jobs];
        try (WebhookReceiver receiver = WebhookReceiver.builder(secret).onQueued(event -> {
            demanded.add(Instant.now());
            fleet.demand(event.jobRequest());
        }).build().start()) {
            rig.github.webhook(receiver.uri(), secret);
            fleet.start();
            for (int i = 0; i < jobs; i++) {
                Instant queued = Instant.now();
                FakeJob job = rig.github.queueJob(rig.repo, "self-hosted", "bench");
                Instant started = LatencyRig.take(launched, PATIENCE, "job " + (i + 1) + ": its runner's container started");
                Instant demand = LatencyRig.take(demanded, PATIENCE, "job " + (i + 1) + ": the receiver handing it on");
                total[i] = LatencyRig.seconds(queued, started);
                toDemand[i] = LatencyRig.seconds(queued, demand);
                ProvisioningBench.await("job " + (i + 1) + " completed and the pool back at 0", () -> "completed".equals(job.status())
                        && fleet.runners().isEmpty() && rig.backend.instances(name).isEmpty());
                if (!launched.isEmpty()) {
                    throw new IllegalStateException("job " + (i + 1) + " launched more than one container: "
                            + launched + "; the pool should grow by one per queued job");
                }
            }
            return new Latency(total, toDemand);
        } finally {
            fleet.remove();
            ProvisioningBench.requireClean(rig.backend, rig.org, name);
        }
    }

    /** Prints count, p50, p90, p99 and max, in milliseconds. */
    static void print(Latency l, java.io.PrintStream out) {
        out.println();
        out.println("Webhook to container: workflow_job queued -> container started, jobs one at a time (ms)");
        out.printf(Locale.ROOT, "%s   %s%n", Samples.HEADER, "webhook leg p50/p99");
        out.printf(Locale.ROOT, "%s   %.0f / %.0f%n", Samples.millis(l.total()),
                1000 * Samples.percentile(l.toDemand(), 50), 1000 * Samples.percentile(l.toDemand(), 99));
        out.printf(Locale.ROOT, "  DESIGN §8 target p99 < 1000 ms: %s%n", l.percentile(99) < 1 ? "met" : "NOT met");
    }

    @Override
    public void close() {
        rig.close();
    }
}
