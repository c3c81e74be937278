package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The rules of {@link Warmth} and {@link WarmSchedule}, and how a pool checks them against its scaling. */
class WarmthTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");
    private static final WarmSchedule OFFICE = WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4);

    private static Warmth office() {
        return Warmth.builder().idle(1).schedule(OFFICE).zone(BERLIN).build();
    }

    @Test
    void aScheduleIsOpenFromItsStartUntilJustBeforeItsEndInItsZone() {
        Warmth w = office();
        // Monday 2026-01-05; Berlin is UTC+1 in winter.
        assertThat(w.idleAt(Instant.parse("2026-01-05T06:59:59Z"))).isEqualTo(1);
        assertThat(w.idleAt(Instant.parse("2026-01-05T07:00:00Z"))).isEqualTo(4);
        assertThat(w.scheduleAt(Instant.parse("2026-01-05T16:59:59Z"))).contains(OFFICE);
        assertThat(w.scheduleAt(Instant.parse("2026-01-05T17:00:00Z"))).isEmpty();
        assertThat(w.idleAt(Instant.parse("2026-01-10T10:00:00Z"))).as("Saturday").isEqualTo(1);
    }

    @Test
    void aScheduleFollowsDaylightSavingTime() {
        Warmth w = office();
        // 06:30 UTC is 07:30 in winter (closed) and 08:30 in summer (open).
        assertThat(w.idleAt(Instant.parse("2026-01-05T06:30:00Z"))).isEqualTo(1);
        assertThat(w.idleAt(Instant.parse("2026-07-06T06:30:00Z"))).isEqualTo(4);
    }

    @Test
    void aNightWindowBelongsToTheDayItStarts() {
        WarmSchedule friday = WarmSchedule.on(EnumSet.of(DayOfWeek.FRIDAY), LocalTime.of(22, 0), LocalTime.of(6, 0), 2);
        Warmth w = Warmth.builder().schedule(friday).build();
        assertThat(w.idleAt(Instant.parse("2026-01-09T23:00:00Z"))).as("Friday night").isEqualTo(2);
        assertThat(w.idleAt(Instant.parse("2026-01-10T05:59:00Z"))).as("Saturday morning").isEqualTo(2);
        assertThat(w.idleAt(Instant.parse("2026-01-10T06:00:00Z"))).isZero();
        assertThat(w.idleAt(Instant.parse("2026-01-08T23:00:00Z"))).as("Thursday night").isZero();
        assertThat(w.idleAt(Instant.parse("2026-01-11T05:00:00Z"))).as("Sunday morning").isZero();
    }

    @Test
    void overlappingSchedulesAreRefusedNamingBoth() {
        WarmSchedule evening = WarmSchedule.daily(LocalTime.of(17, 0), LocalTime.of(19, 0), 1);
        assertThatThrownBy(() -> Warmth.builder().schedule(OFFICE, evening).build())
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("overlap").hasMessageContaining("Mon-Fri 08:00-18:00: 4")
                .hasMessageContaining("daily 17:00-19:00: 1");
        // Sunday night runs into Monday morning, across the end of the week.
        WarmSchedule sundayNight = WarmSchedule.on(Set.of(DayOfWeek.SUNDAY), LocalTime.of(22, 0), LocalTime.of(8, 30), 1);
        assertThatThrownBy(() -> Warmth.builder().schedule(sundayNight, OFFICE).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("overlap");
        WarmSchedule saturday = WarmSchedule.on(Set.of(DayOfWeek.SATURDAY), LocalTime.of(8, 0), LocalTime.of(18, 0), 2);
        WarmSchedule touching = WarmSchedule.weekdays(LocalTime.of(18, 0), LocalTime.of(20, 0), 2);
        assertThat(Warmth.builder().schedule(OFFICE, saturday, touching).build().schedules()).hasSize(3);
    }

    @Test
    void badSettingsAreRefusedSayingWhatIsAccepted() {
        assertThatThrownBy(() -> Warmth.builder().zone("Mars/Olympus_Mons"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("Mars/Olympus_Mons")
                .hasMessageContaining("not a time zone").hasMessageContaining("Europe/Berlin");
        assertThatThrownBy(() -> Warmth.builder().idle(-1)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("idle(-1)");
        assertThatThrownBy(() -> Warmth.builder().overProvision(0.5)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("between 1.0");
        assertThatThrownBy(() -> Warmth.builder().overProvision(Double.NaN)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> Warmth.builder().stayWarm(Duration.ofMinutes(-1))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("stayWarm");
        assertThatThrownBy(() -> WarmSchedule.daily(LocalTime.NOON, LocalTime.NOON, 1))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> WarmSchedule.on(Set.of(), LocalTime.NOON, LocalTime.MIDNIGHT, 1))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("at least one day");
        assertThatThrownBy(() -> WarmSchedule.daily(LocalTime.NOON, LocalTime.MIDNIGHT, -2))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("runners");
    }

    @Test
    void overProvisionRoundsUpAndSaturates() {
        Warmth w = Warmth.builder().overProvision(1.5).build();
        assertThat(w.overProvisioned(0)).isZero();
        assertThat(w.overProvisioned(3)).isEqualTo(5);
        assertThat(w.overProvisioned(4)).isEqualTo(6);
        assertThat(Warmth.NONE.overProvisioned(7)).isEqualTo(7);
        assertThat(Warmth.builder().overProvision(10).build().overProvisioned(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aPoolRefusesAnIdleMinimumAboveItsMax() {
        assertThatThrownBy(() -> RunnerPool.builder("linux").scaling(Scaling.onDemand(0, 3))
                .warmth(Warmth.builder().schedule(OFFICE)).build())
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith("pool 'linux'").hasMessageContaining("up to 4 idle runners")
                .hasMessageContaining("at most 3");
        RunnerPool ok = RunnerPool.builder("linux").scaling(Scaling.onDemand(0, 4)).warmth(Warmth.builder().schedule(OFFICE))
                .build();
        assertThatThrownBy(() -> ok.withScaling(Scaling.onDemand(0, 2))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("at most 2");
    }

    @Test
    void aFixedPoolTakesSchedulesOnly() {
        RunnerPool fixed = RunnerPool.builder("boards").scaling(Scaling.fixed(1))
                .warmth(Warmth.builder().schedule(OFFICE).zone(BERLIN)).build();
        assertThat(fixed.warmth().schedules()).containsExactly(OFFICE);
        assertThatThrownBy(() -> fixed.withWarmth(Warmth.builder().idle(2).build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("fixed pool")
                .hasMessageContaining("Scaling.onDemand");
        assertThatThrownBy(() -> fixed.withWarmth(Warmth.builder().stayWarm(Duration.ofMinutes(5)).build()))
                .isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void toStringShowsTheSettings() {
        Warmth w = Warmth.builder().idle(1).schedule(OFFICE).zone(BERLIN).overProvision(1.5)
                .stayWarm(Duration.ofMinutes(15)).build();
        assertThat(w).hasToString("warm(idle 1, Mon-Fri 08:00-18:00: 4 Europe/Berlin, x1.5, stay PT15M)");
        assertThat(Warmth.NONE.isNone()).isTrue();
        assertThat(RunnerPool.builder("p").build().toString()).doesNotContain("warm");
        assertThat(RunnerPool.builder("p").scaling(Scaling.onDemand(0, 2)).warmth(Warmth.builder().idle(1)).build()
                .toString()).contains("onDemand(0..2, idle PT10M), warm(idle 1)");
    }
}
