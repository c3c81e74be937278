package io.runnerfleet.github.scaleset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.Secret;
import io.runnerfleet.WarmSchedule;
import io.runnerfleet.Warmth;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.spi.JitRequest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A scale-set pool's {@link Warmth}: the plan adds the warm idle runners and keeps the warm floor (no network). */
class ScaleSetWarmthTest {
    private final ScaleSetClient client = ScaleSetClient.builder().configUrl("https://github.com/acme")
            .credentials(GitHubCredentials.token(Secret.of("ghp_never_sent"))).build();
    private final ScaleSetRegistry registry = new ScaleSetRegistry(client, "linux",
            () -> new ScaleSet(7, "linux", 1, "Default", List.of("linux"), true), System::nanoTime,
            Duration.ofSeconds(1), Duration.ofMinutes(5), () -> { });

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void thePlanAddsTheWarmIdleRunnersToTheJobsAndTheGateCountsThem() {
        registry.bind("ci", "linux", 0);
        registry.wanted(1);                    // one job assigned
        registry.warm(2, 2);
        assertThat(registry.plan(10)).isEqualTo(3);
        assertThat(registry.plan(2)).as("capped at max").isEqualTo(2);
        registry.warm(0, 0);
        assertThat(registry.plan(10)).isEqualTo(1);
        // The gate counts runners, whatever their slots: with nothing wanted, a JIT config is refused before any
        // request leaves (the client here points at an address no test may reach).
        registry.wanted(0);
        assertThatThrownBy(() -> registry.jitConfig(new JitRequest("ci-linux-4-aaaaa", LabelSet.of("linux"), 1, "_work")))
                .isInstanceOf(RegistrationException.class).hasMessageContaining("slot 4")
                .hasMessageContaining("0 wanted");
    }

    @Test
    void theFleetsWarmTargetIsAFloorThatHoldsThePoolsSizeAfterItsJobs() {
        registry.bind("ci", "linux", 0);
        registry.wanted(0);                    // the jobs are done
        registry.warm(0, 3);                   // but the pool stays warm at three
        assertThat(registry.plan(10)).isEqualTo(3);
    }

    @Test
    void theWarmIdleMinimumFollowsTheScheduleAndStaysWithinMax() {
        Warmth warmth = Warmth.builder().idle(1).zone("Europe/Berlin")
                .schedule(WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4)).build();
        Instant mondayNight = Instant.parse("2026-01-05T22:00:00Z");
        Instant mondayNoon = Instant.parse("2026-01-05T11:00:00Z");
        assertThat(ScaleSetAutoscaler.warmIdle(warmth, 0, 10, mondayNight)).isEqualTo(1);
        assertThat(ScaleSetAutoscaler.warmIdle(warmth, 0, 10, mondayNoon)).isEqualTo(4);
        assertThat(ScaleSetAutoscaler.warmIdle(warmth, 2, 10, mondayNoon)).as("min already keeps two").isEqualTo(2);
        assertThat(ScaleSetAutoscaler.warmIdle(warmth, 2, 10, mondayNight)).isZero();
        assertThat(ScaleSetAutoscaler.warmIdle(warmth, 0, 3, mondayNoon)).isEqualTo(3);
        assertThat(ScaleSetAutoscaler.warmIdle(Warmth.NONE, 1, 3, mondayNoon)).isZero();
    }

    @Test
    void overProvisionedJobsAskForMoreRunners() {
        Warmth warmth = Warmth.builder().overProvision(1.5).build();
        assertThat(ScaleSetAutoscaler.wanted(0, 20, warmth.overProvisioned(4))).isEqualTo(6);
        assertThat(ScaleSetAutoscaler.wanted(1, 20, warmth.overProvisioned(3))).isEqualTo(6);
        assertThat(ScaleSetAutoscaler.wanted(0, 5, warmth.overProvisioned(4))).isEqualTo(5);
    }
}
