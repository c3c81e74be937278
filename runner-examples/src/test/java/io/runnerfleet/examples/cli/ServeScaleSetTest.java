package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnerfleet.github.scaleset.ScaleSetListener.Event;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a scale-set pool of serve reports from its listener's events, without GitHub. */
class ServeScaleSetTest {
    private final MutableClock clock = MutableClock.standard();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ServeScaleSet set = new ServeScaleSet("runner", "ci-runner", ScaleSetSpec.named("linux-x64").labels("intel"),
            null, Path.of("unused.json"), null, null, null, meters, clock, b -> b);

    @Test
    void notReadyUntilASessionOpensAndWhileAnotherOwnerHoldsItThenReadyAgain() {
        assertThat(set.problems()).singleElement().asString().contains("linux-x64", "starting, no message session yet");
        set.onEvent(new Event.SessionConflict("linux-x64", 42, "held by host-b", Duration.ofSeconds(30)));
        assertThat(set.problems()).anySatisfy(p -> assertThat(p).contains("scale set 'linux-x64' (id 42) of pool runner",
                "another process holds its message session (409)", "trying again in PT30S"));
        assertThat(set.json()).contains("\"name\":\"linux-x64\"", "\"id\":42", "\"session\":\"conflict\"",
                "\"labels\":[\"linux-x64\",\"intel\"]", "\"statistics\":null");

        set.onEvent(new Event.SessionOpened("linux-x64", 42, "s-1", false));
        assertThat(set.problems()).noneMatch(p -> p.contains("409"));
        assertThat(set.json()).contains("\"session\":\"open\"");
        set.onEvent(new Event.SessionLost("linux-x64", "s-1", "evicted"));
        set.onEvent(new Event.SessionOpened("linux-x64", 42, "s-2", false));
        assertThat(set.stats().sessionRestarts()).isEqualTo(1);
        assertThat(meters.get("runnerfleet.scaleset.session.restarts").tags("fleet", "ci-runner", "pool", "runner",
                "scaleset", "linux-x64").functionCounter().count()).isEqualTo(1);
    }

    @Test
    void healthzNamesTheConflictingScaleSetExceptWhileDraining() {
        ServeHealth health = new ServeHealth(clock);
        health.scaleSets(java.util.List.of(set));
        health.phase(ServeHealth.Phase.SERVING);
        set.onEvent(new Event.SessionConflict("linux-x64", 42, "held by host-b", Duration.ofSeconds(30)));
        assertThat(health.problems(java.util.List.of())).anySatisfy(p -> assertThat(p).contains("linux-x64", "(409)"));
        health.phase(ServeHealth.Phase.DRAINING);
        assertThat(health.problems(java.util.List.of())).noneMatch(p -> p.contains("409"));
    }

    @Test
    void aDisconnectionIsAReasonUntilItsRetryIsDueAndAGraceHasPassed() {
        set.onEvent(new Event.SessionOpened("linux-x64", 7, "s-1", false));
        set.onEvent(new Event.Disconnected("linux-x64", "HTTP 503 from get-message", Duration.ofSeconds(4)));
        assertThat(set.problems()).anySatisfy(p -> assertThat(p).contains("GitHub refusing or unreachable: HTTP 503"));
        clock.advance(Duration.ofSeconds(15));
        assertThat(set.problems()).noneMatch(p -> p.contains("503"));
    }

    @Test
    void stoppedBeforeItStartedHasNothingToDrainAndRemovesItsMeters() {
        assertThat(set.stop()).isEmpty();
        assertThat(set.problems()).isEmpty();
        set.close();
        assertThat(meters.getMeters()).isEmpty();
    }
}
