package io.runnerfleet.internal.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.WarmSchedule;
import io.runnerfleet.Warmth;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Each rule of {@link WarmCapacity} on a hand-moved clock: targets, schedules, fixed counts, over-provision, stay-warm. */
class WarmCapacityTest {
    // Monday 2026-01-05, 07:00 in Berlin (CET, UTC+1).
    private static final Instant MONDAY_7_BERLIN = Instant.parse("2026-01-05T06:00:00Z");
    private static final WarmSchedule OFFICE = WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4);

    private final MutableClock clock = MutableClock.at(MONDAY_7_BERLIN);
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    private final EventBus bus = new EventBus("t", List.of(events::add));
    private final List<String> resizes = new ArrayList<>();
    private Slots slots;

    @AfterEach
    void closeBus() {
        bus.close();
    }

    /** A WarmCapacity over one pool, resizing through the slots as the reconciler does. */
    private WarmCapacity warm(FleetPool pool) {
        FleetSettings settings = new FleetSettings(Duration.ofSeconds(15), Duration.ofSeconds(1), Duration.ofMinutes(10),
                Duration.ofMinutes(10), 1, 3, Duration.ofSeconds(1), Duration.ofSeconds(8), Duration.ofSeconds(30));
        FleetContext fx = new FleetContext("t", null, null, clock, settings, bus, null, () -> { }, new AtomicLong());
        WarmCapacity warm = new WarmCapacity(fx, List.of(pool), (name, change, reason) -> {
            int[] c = slots.changeDesired(name, change);
            resizes.add(c[0] + "->" + c[1] + " " + reason);
        });
        slots = new Slots(fx, List.of(pool));
        return warm;
    }

    private static FleetPool pool(Scaling scaling, Warmth.Builder warmth) {
        return new FleetPool(RunnerPool.builder("p").scaling(scaling).warmth(warmth).build(), RunnerImage.of("runner:1"));
    }

    private static Warmth.Builder berlinOffice() {
        return Warmth.builder().idle(1).schedule(OFFICE).zone("Europe/Berlin");
    }

    private void awaitEvent(String what, java.util.function.Predicate<FleetEvent> ok) {
        Await.until(Duration.ofSeconds(10), what, () -> events.stream().anyMatch(ok));
    }

    @Test
    void anOnDemandPoolStartsAtItsIdleMinimumAndItsFloorFollowsIt() {
        FleetPool pool = pool(Scaling.onDemand(0, 10), Warmth.builder().idle(2));
        WarmCapacity warm = warm(pool);
        assertThat(slots.desired("p")).as("the first wanted count").isEqualTo(2);
        assertThat(pool.min()).isEqualTo(2);
        assertThat(pool.max()).isEqualTo(10);
        slots.changeDesired("p", v -> 0);    // scaled down by hand below the warm floor
        warm.apply(clock.instant(), slots);
        assertThat(slots.desired("p")).isEqualTo(2);
        assertThat(resizes).containsExactly("0->2 warm: idle minimum 2");
    }

    @Test
    void aScheduleRaisesTheIdleMinimumInItsZoneAndItsEndLowersTheFloorWithoutDraining() {
        FleetPool pool = pool(Scaling.onDemand(0, 10), berlinOffice());
        WarmCapacity warm = warm(pool);
        assertThat(slots.desired("p")).isEqualTo(1);

        clock.set(Instant.parse("2026-01-05T07:00:00Z"));   // 08:00 in Berlin: the schedule opens
        warm.apply(clock.instant(), slots);
        assertThat(slots.desired("p")).isEqualTo(4);
        assertThat(pool.min()).isEqualTo(4);
        awaitEvent("the target raised by the schedule", e -> e instanceof FleetEvent.WarmTargetChanged w
                && w.from() == 1 && w.to() == 4 && w.reason().contains("Mon-Fri 08:00-18:00: 4 (Europe/Berlin)"));
        FleetStatus.PoolWarmth status = warm.status(List.of()).get("p");
        assertThat(status.target()).isEqualTo(4);
        assertThat(status.schedule()).contains(OFFICE);

        clock.set(Instant.parse("2026-01-05T17:00:00Z"));   // 18:00 in Berlin: it closes
        warm.apply(clock.instant(), slots);
        assertThat(pool.min()).isEqualTo(1);
        assertThat(slots.desired("p")).as("extra runners idle out through the idle timeout").isEqualTo(4);
        assertThat(warm.status(List.of()).get("p").schedule()).isEmpty();
        awaitEvent("the target lowered", e -> e instanceof FleetEvent.WarmTargetChanged w && w.from() == 4 && w.to() == 1
                && w.reason().equals("idle minimum 1"));
    }

    @Test
    void aScheduleOpenAtStartIsTheFirstTarget() {
        clock.set(Instant.parse("2026-01-05T09:00:00Z"));
        FleetPool pool = pool(Scaling.onDemand(0, 10), berlinOffice());
        warm(pool);
        assertThat(slots.desired("p")).isEqualTo(4);
    }

    @Test
    void aScheduleSetsAFixedPoolsCountBothWaysAtItsBoundariesOnly() {
        FleetPool pool = pool(Scaling.fixed(2), Warmth.builder().schedule(OFFICE).zone("Europe/Berlin"));
        WarmCapacity warm = warm(pool);
        assertThat(slots.desired("p")).isEqualTo(2);
        clock.set(Instant.parse("2026-01-05T07:30:00Z"));
        warm.apply(clock.instant(), slots);
        assertThat(slots.desired("p")).isEqualTo(4);
        assertThat(pool.max()).as("demand cannot grow a fixed pool past its count").isEqualTo(4);
        slots.changeDesired("p", v -> 3);   // scale() by hand holds until the next boundary
        clock.advance(Duration.ofHours(1));
        warm.apply(clock.instant(), slots);
        assertThat(slots.desired("p")).isEqualTo(3);
        clock.set(Instant.parse("2026-01-05T17:00:00Z"));
        warm.apply(clock.instant(), slots);
        assertThat(slots.desired("p")).isEqualTo(2);
        assertThat(pool.min()).isEqualTo(2);
        assertThat(pool.max()).isEqualTo(2);
        assertThat(resizes).containsExactly("2->4 warm: schedule Mon-Fri 08:00-18:00: 4 (Europe/Berlin)",
                "3->2 warm: fixed(2) outside its schedules");
    }

    @Test
    void overProvisionCarriesTheFractionsToTheNextJob() {
        FleetPool pool = pool(Scaling.onDemand(0, 20), Warmth.builder().overProvision(1.5));
        WarmCapacity warm = warm(pool);
        List<Integer> grown = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            grown.add(warm.demanded("p"));
        }
        assertThat(grown).containsExactly(1, 2, 1, 2);
        assertThat(warm.demanded("other")).as("a pool without warmth grows by one").isEqualTo(1);
    }

    @Test
    void aPoolStaysAtItsSizeForTheStayWarmTimeAfterItsLastJob() {
        FleetPool pool = pool(Scaling.onDemand(0, 10), Warmth.builder().stayWarm(Duration.ofMinutes(15)));
        WarmCapacity warm = warm(pool);
        assertThat(slots.desired("p")).isZero();
        warm.demanded("p");
        slots.changeDesired("p", v -> v + 3);   // three jobs queued
        warm.apply(clock.instant(), slots);
        assertThat(pool.min()).as("finished runners are replaced, idle ones kept").isEqualTo(3);
        awaitEvent("the stay-warm target", e -> e instanceof FleetEvent.WarmTargetChanged w && w.to() == 3
                && w.reason().startsWith("staying warm PT15M after the last job"));

        clock.advance(Duration.ofMinutes(15));
        warm.apply(clock.instant(), slots);
        assertThat(pool.min()).as("still within the stay-warm time").isEqualTo(3);
        clock.advance(Duration.ofSeconds(1));
        warm.apply(clock.instant(), slots);
        assertThat(pool.min()).isZero();
        assertThat(warm.status(List.of()).get("p").target()).isZero();
        awaitEvent("the target back to the idle minimum", e -> e instanceof FleetEvent.WarmTargetChanged w
                && w.from() == 3 && w.to() == 0);
    }

    @Test
    void aPoolWithoutWarmthIsLeftAlone() {
        FleetPool pool = new FleetPool(RunnerPool.builder("p").scaling(Scaling.onDemand(1, 3)).build(), RunnerImage.of("r:1"));
        WarmCapacity warm = warm(pool);
        warm.apply(clock.instant(), slots);
        assertThat(warm.status(List.of())).isEmpty();
        assertThat(pool.min()).isEqualTo(1);
        assertThat(resizes).isEmpty();
    }
}
