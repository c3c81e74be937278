package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.FakeRunners;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The job a runner runs, as demand sources tell the fleet: shown on the runner and in the status, then cleared. */
class RunnerJobsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final RunnerJob JOB = new RunnerJob("29679449", "build (ubuntu)", "acme/widgets", 5913,
            Instant.parse("2026-11-30T10:00:00Z"));

    private final MutableClock clock = MutableClock.standard();
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    private InMemoryRegistry registry;
    private InMemoryBackend backend;
    private FakeRunners runners;
    private RunnerFleet fleet;

    @BeforeEach
    void startFleet() {
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        backend = InMemoryBackend.builder().clock(clock).build();
        runners = FakeRunners.wire(backend, registry, "jobs");
        fleet = RunnerFleet.builder().name("jobs").registry(registry).backend(backend).clock(clock)
                .listener(events::add).pollInterval(Duration.ofMillis(20)).reconcileInterval(Duration.ofMillis(200))
                .startTimeout(PATIENCE)
                .pool(RunnerPool.builder("generic").image("runner:1").labels("intel").scaling(Scaling.fixed(1)))
                .build();
        fleet.start();
    }

    @AfterEach
    void close() {
        fleet.close();
        runners.close();
    }

    private Runner runner() {
        return fleet.runner("jobs-generic-1").orElseThrow();
    }

    private void awaitEvent(String what, Predicate<FleetEvent> ok) {
        Await.until(PATIENCE, what, () -> events.stream().anyMatch(ok));
    }

    @Test
    void aStartedJobShowsOnTheRunnerAndInTheStatusUntilItEnds() {
        fleet.jobStarted("JOBS-generic-1", JOB);   // names are case-insensitive, as GitHub's are

        assertThat(runner().job()).isEqualTo(JOB);
        assertThat(runner().toString()).contains("job 29679449");
        assertThat(fleet.status().runners().get(0).job()).isEqualTo(JOB);
        assertThat(fleet.status().table()).contains("JOB").contains("29679449");
        awaitEvent("JobStarted", e -> e instanceof FleetEvent.JobStarted s && s.runner().equals("jobs-generic-1")
                && s.job().equals(JOB));

        clock.advance(Duration.ofMinutes(3));
        fleet.jobEnded("jobs-generic-1", "29679449");

        assertThat(runner().job()).isNull();
        assertThat(fleet.status().table()).doesNotContain("JOB");
        awaitEvent("JobEnded after 3 minutes", e -> e instanceof FleetEvent.JobEnded x && x.job().equals(JOB)
                && x.took().equals(Duration.ofMinutes(3)) && x.reason().equals("job completed"));
    }

    @Test
    void aRunnerGoingIdleAfterItsJobEndsItWithoutBeingTold() {
        registry.markBusy("jobs-generic-1");
        Await.until(PATIENCE, "runner Active", () -> {
            fleet.reconcile(PATIENCE);
            return runner().state() instanceof RunnerState.Active;
        });
        fleet.jobStarted("jobs-generic-1", JOB);
        registry.completeJob("jobs-generic-1");

        Await.until(PATIENCE, "runner Idle without its job", () -> {
            fleet.reconcile(PATIENCE);
            return runner().state() instanceof RunnerState.Idle && runner().job() == null;
        });
        awaitEvent("JobEnded by the runner going Idle", e -> e instanceof FleetEvent.JobEnded x
                && x.reason().equals("runner Idle"));
        assertThat(events.stream().filter(e -> e instanceof FleetEvent.JobEnded)).hasSize(1);
    }

    @Test
    void jobsOfOtherFleetsRunnersAndLateOrRepeatedReportsAreIgnored() {
        fleet.jobStarted("someone-elses-runner", JOB);
        fleet.jobEnded("someone-elses-runner", JOB.id());
        fleet.jobEnded("jobs-generic-1", "12345");          // a job it was never told of

        fleet.jobStarted("jobs-generic-1", JOB);
        fleet.jobStarted("jobs-generic-1", JOB);              // a redelivery
        fleet.jobEnded("jobs-generic-1", JOB.id());
        fleet.jobStarted("jobs-generic-1", JOB);              // in_progress arriving after completed

        assertThat(runner().job()).isNull();
        awaitEvent("JobEnded", e -> e instanceof FleetEvent.JobEnded);
        assertThat(events.stream().filter(e -> e instanceof FleetEvent.JobStarted)).hasSize(1);
        assertThat(events.stream().filter(e -> e instanceof FleetEvent.JobEnded)).hasSize(1);
    }

    @Test
    void aJobNeedsAnId() {
        assertThatThrownBy(() -> new RunnerJob(" ", "build", "acme/widgets", 1, null))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("job id").hasMessageContaining("build");
        assertThat(new RunnerJob("7", null, null, 0, null)).hasToString("RunnerJob[7]");
    }
}
