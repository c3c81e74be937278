package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The event subscription survives a dropped stream: it reconnects and neither loses nor repeats events. */
@ExtendWith(DockerEngine.class)
class EventReconnectIT {
    private static final Path SOCKET = Path.of("/var/run/docker.sock");
    private final String fleet = "itr" + UUID.randomUUID().toString().substring(0, 8);

    @TempDir
    Path dir;

    @AfterEach
    void nothingLeft() {
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
    }

    @Test
    @Timeout(90)
    void eventsKeepComingAfterTheStreamDrops() throws Exception {
        Assumptions.assumeTrue(Files.exists(SOCKET), "needs the engine's unix socket at " + SOCKET);
        try (DockerBackend direct = DockerBackend.fromEnvironment();
             DroppingProxy proxy = new DroppingProxy(SOCKET);
             DockerBackend watcher = DockerBackend.builder().dockerHost(proxy.endpoint()).tlsVerify(false)
                     .reconnectDelay(Duration.ofMillis(100)).build()) {
            String image = direct.prepare(StandInRunner.context(dir), p -> { });
            List<InstanceEvent> events = new CopyOnWriteArrayList<>();
            try (Subscription sub = watcher.events(fleet, events::add)) {
                InstanceInfo first = direct.launch(LaunchSpec.builder(fleet, "p", fleet + "-1", image).env("EXIT_WITH", "4").build());
                Await.until(Duration.ofSeconds(30), "the first exit event", () -> events.stream()
                        .anyMatch(e -> e.instanceId().equals(first.id()) && e.kind() == InstanceEvent.Kind.EXITED));

                proxy.dropAll();

                InstanceInfo second = direct.launch(LaunchSpec.builder(fleet, "p", fleet + "-2", image).env("EXIT_WITH", "5").build());
                Await.until(Duration.ofSeconds(30), "the exit event after the drop", () -> events.stream()
                        .anyMatch(e -> e.instanceId().equals(second.id()) && e.kind() == InstanceEvent.Kind.EXITED
                                && Integer.valueOf(5).equals(e.exitCode())));
                assertThat(events).filteredOn(e -> e.instanceId().equals(first.id()) && e.kind() == InstanceEvent.Kind.EXITED)
                        .as("no event is delivered twice after reconnecting").hasSize(1);
            } finally {
                for (InstanceInfo i : direct.instances(fleet)) {
                    direct.remove(i.id(), false);
                }
            }
        }
    }
}
