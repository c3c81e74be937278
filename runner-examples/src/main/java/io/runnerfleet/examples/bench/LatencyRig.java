package io.runnerfleet.examples.bench;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeScope;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the job-queued-to-container-started benchmarks stand on: a fake GitHub on 127.0.0.1 with the
 * organisation {@code bench} and its repository {@code app}, an admin token, the local Docker engine and
 * the fake runner image built on it. Closing it closes the backend and the fake GitHub.
 */
final class LatencyRig implements AutoCloseable {
    final FakeGitHub github;
    final FakeScope org;
    final FakeScope repo;
    final Secret pat;
    final DockerBackend backend;
    final RunnerImage image;

    LatencyRig() {
        github = FakeGitHub.builder()
                .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(10)).build();
        github.start();
        org = github.organization("bench");
        repo = org.repository("app");
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
        image = ProvisioningBench.fakeRunnerImage(backend);
        backend.prepare(image, p -> { });
    }

    /** Seconds from one instant to another, to the nanosecond the clock gives. */
    static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toNanos() / 1e9;
    }

    /**
     * The next instant a fleet listener put in {@code queue}.
     *
     * @throws IllegalStateException naming {@code what} when none comes within {@code patience}
     */
    static Instant take(BlockingQueue<Instant> queue, Duration patience, String what) {
        try {
            Instant at = queue.poll(patience.toMillis(), TimeUnit.MILLISECONDS);
            if (at == null) {
                throw new IllegalStateException("benchmark waited " + patience + " for: " + what,
                        new TimeoutException(what));
            }
            return at;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for: " + what, e);
        }
    }

    @Override
    public void close() {
        try {
            backend.close();
        } finally {
            github.close();
        }
    }
}
