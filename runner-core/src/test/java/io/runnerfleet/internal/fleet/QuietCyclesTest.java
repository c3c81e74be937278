package io.runnerfleet.internal.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When a steady fleet stretches its reconcile interval, and what brings it back. */
class QuietCyclesTest {
    private static final Duration INTERVAL = Duration.ofSeconds(15);
    private static final Duration QUIET = Duration.ofSeconds(30);
    private static final FleetSettings SETTINGS = new FleetSettings(INTERVAL, Duration.ofSeconds(1), Duration.ofMinutes(10),
            Duration.ofMinutes(10), 16, 5, Duration.ofSeconds(2), Duration.ofMinutes(5), QUIET);

    private final QuietCycles quiet = new QuietCycles();

    private void observe(int times, Map<String, String> instances, Map<String, String> registrations) {
        for (int i = 0; i < times; i++) {
            quiet.observed(instances, registrations);
        }
    }

    @Test
    void stretchesOnlyAfterFourCyclesInARowSawNothingNew() {
        Map<String, String> same = Map.of("f-p-1", "running");
        observe(QuietCycles.AFTER, same, Map.of("f-p-1", "online"));
        assertThat(quiet.interval(SETTINGS, true)).as("the first observation compares with nothing").isEqualTo(INTERVAL);
        observe(1, same, Map.of("f-p-1", "online"));
        assertThat(quiet.interval(SETTINGS, true)).isEqualTo(QUIET);
        assertThat(quiet.interval(SETTINGS, false)).as("a fleet that may not be quiet").isEqualTo(INTERVAL);
    }

    @Test
    void aChangeOrAFailedObservationBringsTheIntervalBack() {
        observe(QuietCycles.AFTER + 1, Map.of("f-p-1", "running"), Map.of("f-p-1", "online"));
        observe(1, Map.of("f-p-1", "running"), Map.of("f-p-1", "busy"));
        assertThat(quiet.interval(SETTINGS, true)).as("a runner went busy at GitHub").isEqualTo(INTERVAL);

        observe(QuietCycles.AFTER, Map.of("f-p-1", "running"), Map.of("f-p-1", "busy"));
        assertThat(quiet.interval(SETTINGS, true)).isEqualTo(QUIET);
        quiet.unknown();
        assertThat(quiet.interval(SETTINGS, true)).isEqualTo(INTERVAL);
        observe(QuietCycles.AFTER, Map.of("f-p-1", "running"), Map.of("f-p-1", "busy"));
        assertThat(quiet.interval(SETTINGS, true)).as("after a failure, four more unchanged cycles").isEqualTo(INTERVAL);
    }
}
