package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.testing.FakeRunners;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code serve}'s {@code /status} JSON, read without HTTP. */
class ServeEndpointTest {

    @Test
    void statusShowsTheJobEachRunnerRunsAndNullWhereNoneIsKnown() {
        MutableClock clock = MutableClock.standard();
        InMemoryRegistry registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        InMemoryBackend backend = InMemoryBackend.builder().clock(clock).build();
        try (FakeRunners runners = FakeRunners.wire(backend, registry, "served");
             RunnerFleet fleet = RunnerFleet.builder().name("served").registry(registry).backend(backend).clock(clock)
                     .pollInterval(Duration.ofMillis(20)).startTimeout(Duration.ofSeconds(20))
                     .pool(RunnerPool.builder("linux").image("runner:1").scaling(Scaling.fixed(2))).build();
             ServeEndpoint endpoint = ServeEndpoint.start("127.0.0.1", 0, "served", () -> List.of(fleet), List.of(),
                     new ServeHealth(clock), () -> "", "host-1")) {
            fleet.start();
            fleet.jobStarted("served-linux-1", new RunnerJob("2832853555", "build \"x\"", "acme/widgets", 940463255,
                    Instant.parse("2026-11-30T10:00:00Z")));

            String status = endpoint.status();

            assertThat(status).contains("\"name\":\"served-linux-1\"").contains("\"job\":{\"id\":\"2832853555\","
                    + "\"name\":\"build \\\"x\\\"\",\"repository\":\"acme/widgets\",\"runId\":940463255,"
                    + "\"startedAt\":\"2026-11-30T10:00:00Z\"}");
            assertThat(status.substring(status.indexOf("\"name\":\"served-linux-2\""))).contains("\"job\":null");
        }
    }
}
