package io.runnerfleet.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ScaleSetMetricsTest {
    @Test
    void gaugesAndCountersReadTheLatestStatsTaggedWithFleetPoolAndScaleSet() {
        AtomicReference<ScaleSetStats> now = new AtomicReference<>();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ScaleSetMetrics metrics = ScaleSetMetrics.of("ci", "runner", "linux-x64", now::get);
        metrics.bindTo(registry);

        assertThat(registry.get("runnerfleet.scaleset.assigned.jobs").tags("fleet", "ci", "pool", "runner",
                "scaleset", "linux-x64").gauge().value()).isZero();
        now.set(new ScaleSetStats(1, 2, 3, 4, 5, 6, 7, 8, 9, true));
        assertThat(registry.get("runnerfleet.scaleset.available.jobs").gauge().value()).isEqualTo(1);
        assertThat(registry.get("runnerfleet.scaleset.acquired.jobs").gauge().value()).isEqualTo(2);
        assertThat(registry.get("runnerfleet.scaleset.assigned.jobs").gauge().value()).isEqualTo(3);
        assertThat(registry.get("runnerfleet.scaleset.running.jobs").gauge().value()).isEqualTo(4);
        assertThat(registry.get("runnerfleet.scaleset.registered.runners").gauge().value()).isEqualTo(5);
        assertThat(registry.get("runnerfleet.scaleset.busy.runners").gauge().value()).isEqualTo(6);
        assertThat(registry.get("runnerfleet.scaleset.idle.runners").gauge().value()).isEqualTo(7);
        assertThat(registry.get("runnerfleet.scaleset.messages").functionCounter().count()).isEqualTo(8);
        assertThat(registry.get("runnerfleet.scaleset.session.restarts").functionCounter().count()).isEqualTo(9);
        assertThat(registry.get("runnerfleet.scaleset.session.open").gauge().value()).isEqualTo(1);
        assertThat(metrics.toString()).contains("scaleset=linux-x64");

        metrics.close();
        assertThat(registry.getMeters()).isEmpty();
    }
}
