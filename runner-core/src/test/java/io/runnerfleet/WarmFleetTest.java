package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A warm pool end to end against the in-memory registry and backend, on a hand-moved clock. */
class WarmFleetTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    // Monday 2026-01-05, 07:00 UTC.
    private final MutableClock clock = MutableClock.at(Instant.parse("2026-01-05T07:00:00Z"));
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    private InMemoryRegistry registry;
    private InMemoryBackend backend;
    private RunnerFleet fleet;

    @BeforeEach
    void fakes() {
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        backend = InMemoryBackend.builder().clock(clock).build();
        backend.onLaunch(this::runnerStarts);
    }

    // Plays the runner inside each instance: it connects with its JIT config.
    private void runnerStarts(LaunchSpec spec) {
        registry.connect(spec.secrets().get("ACTIONS_RUNNER_INPUT_JITCONFIG"));
    }

    @AfterEach
    void close() {
        if (fleet != null) {
            fleet.close();
        }
    }

    private void awaitRunners(String what, Predicate<List<Runner>> ok) {
        Await.until(PATIENCE, what, () -> {
            fleet.reconcile(PATIENCE);
            return ok.test(fleet.runners());
        });
    }

    private static long count(List<Runner> runners, Class<? extends RunnerState> state) {
        return runners.stream().filter(r -> state.isInstance(r.state())).count();
    }

    @Test
    void aWarmPoolHasARunnerReadyForAJobAndFollowsItsScheduleOnTheFleetsClock() {
        fleet = RunnerFleet.builder().name("w1").registry(registry).backend(backend).clock(clock).listener(events::add)
                .pollInterval(Duration.ofMillis(20)).reconcileInterval(Duration.ofMillis(200)).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(2))
                .pool(RunnerPool.builder("linux").image("runner:1").labels("x").ephemeral(true)
                        .scaling(Scaling.onDemand(0, 5, Duration.ofMinutes(10)))
                        .warmth(Warmth.builder().idle(1)
                                .schedule(WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 3))))
                .build();
        fleet.start();   // the warm runner is online before any job
        assertThat(fleet.runners()).hasSize(1).allMatch(r -> r.state() instanceof RunnerState.Idle);
        FleetStatus.PoolWarmth warm = fleet.status().warmth().get("linux");
        assertThat(warm.target()).isEqualTo(1);
        assertThat(warm.idle()).isEqualTo(1);
        assertThat(warm.schedule()).isEmpty();

        // A job is queued: the warm runner takes it, and the pool grows so one runner is ready again.
        String warmRunner = fleet.runners().get(0).name();
        fleet.demand(JobRequest.runsOn("self-hosted", "x"));
        registry.markBusy(warmRunner);
        awaitRunners("the job on the warm runner and a new one Idle", rs -> rs.size() == 2
                && count(rs, RunnerState.Active.class) == 1 && count(rs, RunnerState.Idle.class) == 1);
        assertThat(backend.launched()).hasSize(2);

        // 08:00: the office-hours schedule keeps three runners: one busy and two idle.
        clock.set(Instant.parse("2026-01-05T08:00:00Z"));
        awaitRunners("three runners in office hours", rs -> rs.size() == 3 && count(rs, RunnerState.Idle.class) == 2);
        warm = fleet.status().warmth().get("linux");
        assertThat(warm.target()).isEqualTo(3);
        assertThat(warm.schedule()).map(WarmSchedule::toString).contains("Mon-Fri 08:00-18:00: 3");
        assertThat(fleet.status().toString()).contains("warm {linux=target 3, 2 idle, schedule Mon-Fri 08:00-18:00: 3}");
        Await.until(PATIENCE, "the schedule's events", () -> events.stream().anyMatch(e ->
                e instanceof FleetEvent.WarmTargetChanged w && w.from() == 1 && w.to() == 3
                        && w.reason().contains("schedule Mon-Fri 08:00-18:00: 3 (Z)"))
                && events.stream().anyMatch(e -> e instanceof FleetEvent.PoolScaled ps && ps.from() == 2 && ps.to() == 3
                        && ps.reason().startsWith("warm: schedule")));

        // The job ends; its ephemeral runner is replaced (the schedule keeps three).
        registry.completeJob(warmRunner);
        backend.exit(backend.instances("w1").stream().filter(i -> i.runnerName().equals(warmRunner)).findFirst()
                .orElseThrow().id(), 0);
        awaitRunners("three idle runners", rs -> rs.size() == 3 && count(rs, RunnerState.Idle.class) == 3
                && rs.stream().noneMatch(r -> r.name().equals(warmRunner)));

        // 18:00: the target falls to the idle minimum; the extra runners (idle since 08:00, longer than the idle
        // timeout) idle out, one per cycle, longest idle first.
        clock.set(Instant.parse("2026-01-05T18:00:00Z"));
        awaitRunners("the target back at one", rs -> fleet.status().warmth().get("linux").target() == 1);
        clock.advance(Duration.ofMinutes(11));
        awaitRunners("one warm runner left", rs -> rs.size() == 1 && count(rs, RunnerState.Idle.class) == 1);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
    }
}
