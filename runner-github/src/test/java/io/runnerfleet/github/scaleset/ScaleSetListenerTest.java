package io.runnerfleet.github.scaleset;

import static io.runnerfleet.github.scaleset.FakeActions.job;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.NOW;
import static io.runnerfleet.github.TestSupport.empty;
import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.github.TestSupport;
import io.runnerfleet.testing.MutableClock;
import io.runnerfleet.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleSetListenerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private MockWebServer server;
    private FakeActions fake;
    private ScaleSetTestSupport.RecordingSleeper sleeper;
    private ScaleSetClient client;
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private final List<ScaleSetListener.Event> events = new CopyOnWriteArrayList<>();
    private final AtomicInteger failNextStarted = new AtomicInteger();
    private ScaleSetListener listener;

    @BeforeEach
    void setUp() {
        server = TestSupport.server();
        fake = new FakeActions(server);
        server.setDispatcher(fake);
        sleeper = new ScaleSetTestSupport.RecordingSleeper();
        client = ScaleSetTestSupport.client(server, MutableClock.at(NOW), sleeper).build();
    }

    @AfterEach
    void tearDown() {
        if (listener != null) {
            listener.close();
        }
        client.close();
        server.close();
    }

    private final ScaleSetListener.Handler handler = new ScaleSetListener.Handler() {
        @Override
        public void onStatistics(Statistics s) {
            handled.add("stats " + s.totalAssignedJobs());
        }

        @Override
        public void onJobAvailable(JobMessage.JobAvailable job) {
            handled.add("available " + job.job().runnerRequestId());
        }

        @Override
        public void onJobAssigned(JobMessage.JobAssigned job) {
            handled.add("assigned " + job.job().runnerRequestId());
        }

        @Override
        public void onJobStarted(JobMessage.JobStarted job) {
            if (failNextStarted.getAndDecrement() > 0) {
                throw new IllegalStateException("handler hiccup");
            }
            handled.add("started " + job.runnerName());
        }

        @Override
        public void onJobCompleted(JobMessage.JobCompleted job) {
            handled.add("completed " + job.runnerName() + " " + job.result());
        }
    };

    private ScaleSetListener.Builder builder(ScaleSetSpec spec, Path stateFile) {
        return ScaleSetListener.builder(client, spec)
                .stateFile(stateFile)
                .owner("host-1")
                .handler(handler)
                .events(events::add)
                .sleeper(sleeper)
                .clock(MutableClock.at(NOW))
                .backoff(Duration.ofSeconds(1), Duration.ofSeconds(8));
    }

    private ScaleSetListener start() {
        listener = builder(ScaleSetSpec.named("qemu").labels("intel"), dir.resolve("state.json")).build().start();
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 1);
        return listener;
    }

    private <E extends ScaleSetListener.Event> List<E> events(Class<E> type) {
        return events.stream().filter(type::isInstance).map(type::cast).toList();
    }

    private <E extends ScaleSetListener.Event> void awaitEvent(Class<E> type, int count) {
        Await.until(WAIT, count + " x " + type.getSimpleName() + " in " + events, () -> events(type).size() >= count);
    }

    private static String stateText(Path file) throws Exception {
        return Files.readString(file);
    }

    @Test
    void startCreatesTheScaleSetAndHandsMessagesOnInOrderBeforeAcknowledging() throws Exception {
        start();
        assertThat(listener.scaleSet().labels()).containsExactly("qemu", "intel");
        assertThat(fake.scaleSet(42)).isNotNull();
        Thread thread = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("scaleset-listener-qemu")).findFirst().orElseThrow();
        assertThat(thread.isDaemon()).isTrue();

        fake.assigned = 1;
        long id = fake.publish(job("JobAvailable", 5001, "\"acquireJobUrl\":\"x\""), job("JobAssigned", 5001, ""),
                job("JobStarted", 5001, "\"runnerId\":77,\"runnerName\":\"qemu-1\""),
                job("JobCompleted", 5001, "\"result\":\"succeeded\",\"runnerId\":77,\"runnerName\":\"qemu-1\""));
        Await.until(WAIT, "message acknowledged", () -> fake.acked.contains(id));
        assertThat(handled).containsExactly("stats 0", "available 5001", "assigned 5001", "started qemu-1",
                "completed qemu-1 succeeded", "stats 1");
        List<String> calls = fake.log;
        assertThat(calls.indexOf("POST acquirejobs")).isLessThan(calls.indexOf("DELETE ack")).isPositive();
        assertThat(listener.statistics()).map(Statistics::totalAssignedJobs).contains(1L);
        Await.until(WAIT, "lastMessageId saved", () -> ScaleSetState.file(dir.resolve("state.json")).load()
                .lastMessageId() == id);
        Await.until(WAIT, "next poll from " + id, () -> fake.polledWith.contains(id));

        Path state = dir.resolve("state.json");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state))).isEqualTo("rw-------");
        assertThat(stateText(state)).contains("\"scaleSetId\":42").doesNotContain("doNotLeak", "TOKEN");
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactly(state);     // no temporary file left behind
        }
        assertThat(listener.toString()).contains("qemu", "set 42").doesNotContain("doNotLeak");
    }

    @Test
    void pollsAnsweredWithoutAMessageAreSpacedByTheMinimumInterval() {
        start();
        Await.until(WAIT, "several empty polls", () -> fake.count("GET poll") >= 3);
        assertThat(sleeper.waits).contains(Duration.ofSeconds(1));
        assertThat(events(ScaleSetListener.Event.Disconnected.class)).isEmpty();
    }

    @Test
    void anExpiredQueueTokenRefreshesTheSessionAndPollsAgain() {
        start();
        fake.expireQueueToken();
        long id = fake.publish(job("JobStarted", 1, "\"runnerId\":77,\"runnerName\":\"qemu-1\""));
        Await.until(WAIT, "message acknowledged", () -> fake.acked.contains(id));
        assertThat(fake.count("PATCH session")).isGreaterThanOrEqualTo(1);
        assertThat(fake.count("POST sessions")).isEqualTo(1);
        assertThat(handled).contains("started qemu-1");
        assertThat(events(ScaleSetListener.Event.Disconnected.class)).isEmpty();
    }

    @Test
    void anEvictedSessionIsReplacedByANewOne() {
        start();
        fake.evictSession();
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 2);
        assertThat(events(ScaleSetListener.Event.SessionLost.class)).hasSize(1);
        assertThat(fake.count("POST sessions")).isEqualTo(2);
        long id = fake.publish(job("JobAssigned", 2, ""));
        Await.until(WAIT, "message acknowledged", () -> fake.acked.contains(id));
    }

    @Test
    void aSessionOfAnotherOwnerIsWaitedOutAndReportedNeverDeleted() {
        fake.foreignSession = true;
        listener = builder(ScaleSetSpec.named("qemu"), dir.resolve("state.json"))
                .conflictBackoff(Duration.ofSeconds(30), Duration.ofMinutes(5)).build().start();
        awaitEvent(ScaleSetListener.Event.SessionConflict.class, 3);
        List<ScaleSetListener.Event.SessionConflict> conflicts = events(ScaleSetListener.Event.SessionConflict.class);
        assertThat(conflicts.get(0).retryIn()).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(30));
        assertThat(conflicts.get(1).retryIn()).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(60));
        assertThat(conflicts.get(0).reason()).contains("already has an active session");
        assertThat(fake.count("DELETE session")).isZero();
        assertThat(sleeper.waits).contains(conflicts.get(0).retryIn());

        fake.foreignSession = false;
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 1);
    }

    @Test
    void aScaleSetDeletedOnGitHubsSideIsCreatedAgainWithTheSameNameLabelsAndGroup() throws Exception {
        listener = builder(ScaleSetSpec.named("qemu").labels("intel").runnerGroup("boards"), dir.resolve("state.json"))
                .build().start();
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 1);
        long first = fake.publish(job("JobAssigned", 1, ""));
        Await.until(WAIT, "first message acknowledged", () -> fake.acked.contains(first));

        fake.deleteScaleSet(42);
        awaitEvent(ScaleSetListener.Event.ScaleSetRecreated.class, 1);
        ScaleSetListener.Event.ScaleSetRecreated recreated = events(ScaleSetListener.Event.ScaleSetRecreated.class).get(0);
        assertThat(recreated.oldId()).isEqualTo(42);
        assertThat(recreated.newId()).isEqualTo(43);
        Map<String, Object> set = fake.scaleSet(43);
        assertThat(set.get("name")).isEqualTo("qemu");
        assertThat(((Number) set.get("runnerGroupId")).longValue()).isEqualTo(3);
        assertThat(set.get("labels").toString()).contains("qemu", "intel");
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 2);
        assertThat(listener.scaleSet().id()).isEqualTo(43);
        ScaleSetState.Snapshot snap = ScaleSetState.file(dir.resolve("state.json")).load();
        assertThat(snap.scaleSetId()).isEqualTo(43);
        assertThat(snap.lastMessageId()).isZero();
    }

    @Test
    void serverErrorsBackOffExponentiallyWithJitterAndASuccessResetsIt() {
        start();
        fake.fault("GET poll", json(500, "{}"), json(502, "{}"), json(503, "{}"));
        awaitEvent(ScaleSetListener.Event.Disconnected.class, 3);
        List<ScaleSetListener.Event.Disconnected> d = events(ScaleSetListener.Event.Disconnected.class);
        assertThat(d.get(0).retryIn()).isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
        assertThat(d.get(1).retryIn()).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(d.get(2).retryIn()).isBetween(Duration.ofSeconds(2), Duration.ofSeconds(4));
        assertThat(d.get(0).reason()).contains("500");
        long id = fake.publish(job("JobAssigned", 3, ""));
        Await.until(WAIT, "message acknowledged after the outage", () -> fake.acked.contains(id));
        fake.fault("GET poll", json(500, "{}"));
        awaitEvent(ScaleSetListener.Event.Disconnected.class, 4);
        assertThat(events(ScaleSetListener.Event.Disconnected.class).get(3).retryIn())
                .isBetween(Duration.ofMillis(500), Duration.ofSeconds(1));
    }

    @Test
    void aHungPollTimesOutAndBacksOff() {
        client.close();
        client = ScaleSetTestSupport.client(server, MutableClock.at(NOW), sleeper)
                .pollTimeout(Duration.ofMillis(300)).build();
        fake.fault("GET poll", new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());
        start();
        awaitEvent(ScaleSetListener.Event.Disconnected.class, 1);
        assertThat(events(ScaleSetListener.Event.Disconnected.class).get(0).reason()).contains("no complete answer");
        long id = fake.publish(job("JobAssigned", 4, ""));
        Await.until(WAIT, "message acknowledged after the hang", () -> fake.acked.contains(id));
    }

    @Test
    void aMessageWhoseHandlerThrowsIsNotAcknowledgedAndComesAgain() {
        start();
        failNextStarted.set(1);
        long id = fake.publish(job("JobStarted", 5, "\"runnerId\":77,\"runnerName\":\"qemu-5\""));
        awaitEvent(ScaleSetListener.Event.HandlerFailed.class, 1);
        ScaleSetListener.Event.HandlerFailed failed = events(ScaleSetListener.Event.HandlerFailed.class).get(0);
        assertThat(failed.messageId()).isEqualTo(id);
        assertThat(failed.reason()).contains("handler hiccup");
        Await.until(WAIT, "message acknowledged after redelivery", () -> fake.acked.contains(id));
        assertThat(fake.acked).containsExactly(id);
        assertThat(handled).containsOnlyOnce("started qemu-5");
    }

    @Test
    void aFailedAcquisitionLeavesTheMessageForRedelivery() {
        start();
        fake.fault("POST acquirejobs", json(500, "{}"));
        long id = fake.publish(job("JobAvailable", 6, ""));
        Await.until(WAIT, "message acknowledged", () -> fake.acked.contains(id));
        assertThat(fake.count("POST acquirejobs")).isEqualTo(2);
        assertThat(handled).containsOnlyOnce("available 6");
    }

    @Test
    void aRestartResumesTheStoredSessionAndPollsFromTheLastAcknowledgedMessage() throws Exception {
        Path state = dir.resolve("state.json");
        long setId = fake.createScaleSet("qemu", 1, List.of("qemu"));
        String crashed = fake.openSession(setId);     // the session a crashed process left open
        ScaleSetState.file(state).save(new ScaleSetState.Snapshot("qemu", setId, Optional.of(crashed), 7));
        long old = fake.publish(job("JobAssigned", 1, ""));      // id 1 <= 7: acknowledged before the crash

        listener = builder(ScaleSetSpec.named("qemu"), state).build().start();
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 1);
        ScaleSetListener.Event.SessionOpened opened = events(ScaleSetListener.Event.SessionOpened.class).get(0);
        assertThat(opened.resumed()).isTrue();
        assertThat(opened.sessionId()).isEqualTo(crashed);
        assertThat(fake.count("POST sessions")).isZero();
        assertThat(events(ScaleSetListener.Event.SessionConflict.class)).isEmpty();
        Await.until(WAIT, "a poll", () -> !fake.polledWith.isEmpty());
        assertThat(fake.polledWith.get(0)).isEqualTo(7);
        assertThat(handled).doesNotContain("assigned 1");
        assertThat(fake.acked).doesNotContain(old);
    }

    @Test
    void aStoredSessionThatExpiredIsReplacedAndCloseDeletesTheSession() throws Exception {
        Path state = dir.resolve("state.json");
        long setId = fake.createScaleSet("qemu", 1, List.of("qemu"));
        ScaleSetState.file(state).save(new ScaleSetState.Snapshot("qemu", setId, Optional.of("long-gone"), 3));
        listener = builder(ScaleSetSpec.named("qemu"), state).build().start();
        awaitEvent(ScaleSetListener.Event.SessionOpened.class, 1);
        assertThat(events(ScaleSetListener.Event.SessionOpened.class).get(0).resumed()).isFalse();
        String session = fake.activeSession();
        assertThat(ScaleSetState.file(state).load().sessionId()).contains(session);

        listener.close();
        assertThat(listener.running()).isFalse();
        assertThat(fake.activeSession()).isNull();
        assertThat(fake.count("DELETE session")).isEqualTo(1);
        ScaleSetState.Snapshot after = ScaleSetState.file(state).load();
        assertThat(after.sessionId()).isEmpty();
        assertThat(after.lastMessageId()).isEqualTo(3);
        assertThat(fake.scaleSet(setId)).isNotNull();      // the scale set stays
        listener.close();                                  // idempotent
        assertThatThrownBy(() -> listener.start()).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void jitConfigsAreMintedForTheCurrentScaleSet() throws Exception {
        start();
        io.runnerfleet.spi.JitConfig jit = listener.generateJitConfig("qemu-9");
        assertThat(jit.name()).isEqualTo("qemu-9");
        assertThat(jit.runnerId()).isEqualTo(77);
    }

    @Test
    void aHandlerIsRequired() {
        assertThatThrownBy(() -> ScaleSetListener.builder(client, ScaleSetSpec.named("qemu")).build())
                .isInstanceOf(io.runnerfleet.InvalidSpecException.class).hasMessageContaining("handler");
    }

    @Test
    void anExistingScaleSetWithOtherLabelsIsUpdated() {
        fake.createScaleSet("qemu", 1, List.of("qemu"));
        fake.fault("PATCH scaleset", json(200, "{\"id\":42,\"name\":\"qemu\",\"runnerGroupId\":1,"
                + "\"labels\":[{\"name\":\"qemu\"},{\"name\":\"intel\"}]}"));
        start();
        assertThat(fake.count("PATCH scaleset")).isEqualTo(1);
        assertThat(fake.count("POST scalesets")).isZero();
        assertThat(listener.scaleSet().labels()).containsExactly("qemu", "intel");
    }

    @Test
    void aStartThatGitHubRefusesThrowsAndStartsNoThread() {
        fake.fault("POST runner-registration", json(403, "{}"), json(403, "{}"), json(403, "{}"), json(403, "{}"));
        ScaleSetListener l = builder(ScaleSetSpec.named("qemu"), dir.resolve("state.json")).build();
        assertThatThrownBy(l::start).isInstanceOf(ScaleSetApiException.Unauthorized.class)
                .hasMessageNotContaining("doNotLeak");
        assertThat(l.running()).isFalse();
        assertThat(empty(204)).isNotNull();
    }
}
