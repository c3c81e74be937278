package io.runnerfleet.internal.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool's slots: how runners are counted while one is being replaced. */
class SlotsTest {
    private final MutableClock clock = MutableClock.standard();
    private final EventBus bus = new EventBus("t", List.of());
    private final FleetSettings settings = new FleetSettings(Duration.ofSeconds(15), Duration.ofSeconds(1),
            Duration.ofMinutes(10), Duration.ofMinutes(10), 1, 3, Duration.ofSeconds(1), Duration.ofSeconds(8),
            Duration.ofSeconds(30));
    private final FleetContext fx = new FleetContext("f", null, null, clock, settings, bus, null, () -> { }, new AtomicLong());

    @AfterEach
    void closeBus() {
        bus.close();
    }

    @Test
    void aCycleFillingThePoolWhileAWorkerDecidesAGoneRunnersSuccessorLeavesTheSlotToThatWorker() {
        FleetPool pool = new FleetPool(RunnerPool.builder("p").scaling(Scaling.fixed(1)).build(), RunnerImage.of("runner:1"));
        Slots slots = new Slots(fx, List.of(pool));
        slots.fill();
        ManagedRunner failing = slots.all().iterator().next();
        assertThat(failing.tryClaim()).isTrue();
        // The worker holding it has removed it and has not yet asked for its successor...
        failing.lifecycle.transition(new RunnerState.Removed(), "failure 1: exit code 5, will retry");
        // ...when a reconcile cycle fills the pool.
        slots.fill();
        assertThat(slots.live()).as("no fresh runner (with a fresh failure budget) in another slot").isEmpty();
        ManagedRunner next = slots.succeed(failing, clock.instant().plusSeconds(2));
        assertThat(next).isNotNull();
        assertThat(next.name).isEqualTo(failing.name);
        failing.release();
        slots.fill();
        assertThat(slots.live()).containsExactly(next);
    }
}
