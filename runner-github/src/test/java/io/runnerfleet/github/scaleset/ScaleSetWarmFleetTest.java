package io.runnerfleet.github.scaleset;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.WarmSchedule;
import io.runnerfleet.Warmth;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scale-set pool end to end (fake Actions, in-memory backend): kept warm, its idle runners register with the set's
 * JIT configs before any job; its job messages tell the fleet which job each runner runs.
 */
class ScaleSetWarmFleetTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    @TempDir
    Path dir;
    private final MockWebServer server = new MockWebServer();
    private final FakeActions fake = new FakeActions(server);
    private ScaleSetClient client;
    // Monday 2026-01-05, 07:00 UTC on the fleet's clock.
    private final MutableClock clock = MutableClock.at(Instant.parse("2026-01-05T07:00:00Z"));
    private final InMemoryBackend backend = InMemoryBackend.builder().clock(clock).build();
    private ScaleSetAutoscaler autoscaler;
    private RunnerFleet fleet;

    @AfterEach
    void close() throws Exception {
        if (autoscaler != null) {
            autoscaler.close();
        }
        if (fleet != null) {
            fleet.close();
        }
        if (client != null) {
            client.close();
        }
        server.close();
    }

    private void startFleet(Warmth warmth) {
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setDispatcher(fake);
        MockResponse noRunners = new MockResponse.Builder().code(200)
                .addHeader("Content-Type", "application/json; charset=utf-8").body("{\"count\":0,\"value\":[]}").build();
        for (int i = 0; i < 500; i++) {
            fake.fault("GET unknown", noRunners);   // the runner list: none yet
        }
        // The fake's tokens expire an hour after ScaleSetTestSupport.NOW: the client reads them on a clock standing there.
        client = ScaleSetClient.builder().configUrl(server.url("/acme").toString())
                .credentials(GitHubCredentials.token(Secret.of(ScaleSetTestSupport.PAT)))
                .clock(Clock.fixed(ScaleSetTestSupport.NOW, ZoneOffset.UTC)).callTimeout(Duration.ofSeconds(10))
                .pollTimeout(Duration.ofSeconds(10)).build();
        autoscaler = ScaleSetAutoscaler.builder(client, ScaleSetSpec.named("linux")).stateFile(dir.resolve("s.json"))
                .owner("host-1").build();
        fleet = RunnerFleet.builder().name("ci").registry(autoscaler.registry()).backend(backend).clock(clock)
                .pollInterval(Duration.ofMillis(20)).reconcileInterval(Duration.ofMillis(200))
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .pool(RunnerPool.builder("linux").image("runner:1").ephemeral(true).scaling(Scaling.onDemand(0, 5))
                        .warmth(warmth))
                .build();
        autoscaler.start(fleet);
    }

    @Test
    void theWarmIdleRunnersRegisterBeforeAnyJobAndAScheduleAddsMore() {
        startFleet(Warmth.builder().idle(2)
                .schedule(WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4)).build());
        Await.until(WAIT, () -> "two warm runners launched, not " + backend.launched().size(),
                () -> backend.launched().size() == 2);
        assertThat(backend.launched()).allMatch(l -> l.secrets().containsKey("ACTIONS_RUNNER_INPUT_JITCONFIG"));
        assertThat(autoscaler.registry().toString()).contains("2 runners").contains("2 planned");

        clock.set(Instant.parse("2026-01-05T08:00:00Z"));   // office hours: four idle runners
        Await.until(WAIT, () -> "four warm runners launched, not " + backend.launched().size(), () -> {
            fleet.reconcile(WAIT);
            return backend.launched().size() == 4;
        });
    }

    @Test
    void jobStartedShowsTheJobOnItsRunnerAndJobCompletedEndsIt() {
        List<FleetEvent> events = new CopyOnWriteArrayList<>();
        startFleet(Warmth.builder().idle(1).build());
        fleet.addListener(events::add);
        Await.until(WAIT, "a warm runner launched", () -> backend.launched().size() == 1);
        String runner = backend.launched().get(0).runnerName();

        fake.publish(FakeActions.job("JobStarted", 5001, "\"jobDisplayName\":\"build\",\"workflowRunId\":940,"
                + "\"runnerAssignTime\":\"2026-01-05T07:01:00Z\",\"runnerId\":77,\"runnerName\":\"" + runner + "\""),
                FakeActions.job("JobStarted", 5002, "\"runnerId\":78,\"runnerName\":\"another-sets-runner\""));
        Await.until(WAIT, "the runner's job", () -> fleet.runner(runner).map(Runner::job).isPresent());
        assertThat(fleet.runner(runner).orElseThrow().job())
                .isEqualTo(new RunnerJob("j5001", "build", "acme/app", 940, Instant.parse("2026-01-05T07:01:00Z")));

        fake.publish(FakeActions.job("JobCompleted", 5001, "\"result\":\"succeeded\",\"runnerId\":77,"
                + "\"runnerName\":\"" + runner + "\""));
        Await.until(WAIT, "JobEnded on the completion message", () -> events.stream().anyMatch(e ->
                e instanceof FleetEvent.JobEnded x && x.runner().equals(runner) && x.reason().equals("job completed")));
        assertThat(fleet.runner(runner).map(Runner::job)).isEmpty();
    }
}
