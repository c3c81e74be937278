package io.runnerfleet.spi.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link RunnerBackend} passes (the backend half of the TCK). Subclass it in your
 * module's tests and supply the backend, a spec for a long-running instance in your environment,
 * and the hooks that play the instance's part:
 *
 * <pre>{@code
 * @ExtendWith(DockerEngine.class)
 * class DockerBackendContractIT extends RunnerBackendContract {
 *     protected RunnerBackend createBackend() { return DockerBackend.fromEnvironment(); }
 *     protected RunnerImage referenceImage() { return RunnerImage.of(DockerEngine.BUSYBOX); }
 *     protected LaunchSpec.Builder launchSpec(String fleet, String runnerName) {
 *         return LaunchSpec.builder(fleet, "tck", runnerName, DockerEngine.BUSYBOX)
 *             .command(new RunnerCommand(List.of(), List.of()));   // an image whose run.sh waits
 *     }
 *     protected void causeExit(InstanceInfo instance, int exitCode) { ... docker exec ... }
 *     protected void emitOutput(InstanceInfo instance, List<String> lines) { ... }
 *     protected void afterCleanup(List<String> fleets) { fleets.forEach(f -> DockerEngine.assertNothingLeft("io.runnerfleet.fleet", f)); }
 * }
 * }</pre>
 *
 * <p>Every test uses fresh fleet names ({@link #fleet}); afterwards the contract removes every
 * instance of those fleets through the backend itself, then calls {@link #afterCleanup} (put a leak
 * check there: JUnit runs a subclass' {@code @AfterEach} before this class' one), then closes the
 * backend. Asynchronous backends are given {@link #patience()} for each observable effect; nothing
 * sleeps. Optional behaviour is declared by overriding a flag ({@link #emitsListening()}); a check of
 * behaviour a backend does not declare is skipped with its reason printed.
 */
public abstract class RunnerBackendContract {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** The backend under test; called once per test, before it. */
    protected abstract RunnerBackend createBackend();

    /** An image reference the backend can prepare here without reaching a registry. */
    protected abstract RunnerImage referenceImage();

    /**
     * A spec for an instance of {@code runnerName} in {@code fleet} that keeps running until stopped or
     * until {@link #causeExit} ends it. The contract may add env, secrets and volumes before building.
     */
    protected abstract LaunchSpec.Builder launchSpec(String fleet, String runnerName);

    /** Makes the instance's main process exit by itself with {@code exitCode} (1..125). */
    protected abstract void causeExit(InstanceInfo instance, int exitCode);

    /** Makes the running instance write {@code lines} to its output, in order. */
    protected abstract void emitOutput(InstanceInfo instance, List<String> lines);

    /**
     * Whether the backend turns the runner's {@code Listening for Jobs} line into a
     * {@link InstanceEvent.Kind#LISTENING} event (an optional event); default false, which skips the contract's
     * LISTENING check with the reason printed. Return true when it does: the check then needs it.
     */
    protected boolean emitsListening() {
        return false;
    }

    /** Called after the contract removed every instance of {@code fleets}: check nothing is left. */
    protected void afterCleanup(List<String> fleets) {
    }

    /** How long an asynchronous backend may take to show an effect; default 30 s. */
    protected Duration patience() {
        return Duration.ofSeconds(30);
    }

    /** The grace the contract's stops give; default 2 s. */
    protected Duration stopGrace() {
        return Duration.ofSeconds(2);
    }

    protected RunnerBackend backend;
    private final List<String> fleets = new ArrayList<>();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private String prefix;

    @BeforeEach
    void createBackendUnderTest() {
        backend = createBackend();
        prefix = "tck" + Long.toString(Math.floorMod(System.nanoTime(), 1_000_000L), 36) + SEQUENCE.incrementAndGet();
    }

    @AfterEach
    void removeEverythingTheTestLaunched() {
        try {
            subscriptions.forEach(Subscription::close);
            for (String fleet : fleets) {
                for (InstanceInfo instance : backend.instances(fleet)) {
                    backend.remove(instance.id(), false);
                }
            }
            afterCleanup(List.copyOf(fleets));
        } finally {
            backend.close();
        }
    }

    /** A fleet name unique to this test; the contract cleans up its instances. */
    protected String fleet(String suffix) {
        String fleet = prefix + "-" + suffix;
        fleets.add(fleet);
        return fleet;
    }

    private InstanceInfo launch(String fleet, String runner) {
        return backend.launch(launchSpec(fleet, fleet + "-" + runner).build());
    }

    private InstanceInfo awaitState(String fleet, String id, String what, java.util.function.Predicate<InstanceInfo> ok) {
        return Await.value(patience(), what + " (" + id + ")",
                () -> backend.instances(fleet).stream().filter(i -> i.id().equals(id)).filter(ok).findFirst());
    }

    private Queue<InstanceEvent> subscribe(String fleet) {
        Queue<InstanceEvent> events = new ConcurrentLinkedQueue<>();
        subscriptions.add(backend.events(fleet, events::add));
        return events;
    }

    private static Optional<InstanceEvent> find(Queue<InstanceEvent> events, String id, InstanceEvent.Kind kind) {
        return events.stream().filter(e -> e.instanceId().equals(id) && e.kind() == kind).findFirst();
    }

    @Test
    void prepareOfAReferenceReturnsTheReference() {
        RunnerImage image = referenceImage();
        assertThat(backend.prepare(image, progress -> { })).isEqualTo(image.reference());
        assertThat(backend.prepare(image, progress -> { })).as("prepare twice").isEqualTo(image.reference());
    }

    @Test
    void launchedInstanceRunsAndCarriesItsOwnership() {
        String fleet = fleet("own");
        LaunchSpec spec = launchSpec(fleet, fleet + "-r-1").build();
        InstanceInfo launched = backend.launch(spec);
        assertThat(launched.fleet()).isEqualTo(fleet);
        assertThat(launched.runnerName()).isEqualTo(spec.runnerName());
        InstanceInfo seen = awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        assertThat(seen.pool()).isEqualTo(spec.pool());
        assertThat(seen.runnerName()).isEqualTo(spec.runnerName());
        assertThat(seen.specHash()).isEqualTo(spec.specHash());
        assertThat(seen.startedAt()).isNotNull();
        assertThat(backend.instance(fleet, spec.runnerName())).map(InstanceInfo::id).contains(launched.id());
        assertThat(backend.instance(fleet, launched.id())).map(InstanceInfo::id).contains(launched.id());
    }

    @Test
    void instancesAreFoundByFleetAndNotAnotherFleets() {
        String mine = fleet("mine");
        String other = fleet("other");
        InstanceInfo a = launch(mine, "r-1");
        InstanceInfo b = launch(mine, "r-2");
        InstanceInfo c = launch(other, "r-1");
        assertThat(backend.instances(mine)).extracting(InstanceInfo::id).containsExactlyInAnyOrder(a.id(), b.id());
        assertThat(backend.instances(other)).extracting(InstanceInfo::id).containsExactly(c.id());
        assertThat(backend.instances(prefix + "-nobody")).isEmpty();
        assertThat(backend.instance(mine, c.id())).isEmpty();
    }

    @Test
    void secretsDoNotShowInInstanceInfo() {
        String fleet = fleet("secret");
        String value = "tck-secret-" + prefix + "-do-not-print";
        InstanceInfo launched = backend.launch(launchSpec(fleet, fleet + "-r-1")
                .secret("ACTIONS_RUNNER_INPUT_TCK", Secret.of(value)).build());
        InstanceInfo seen = awaitState(fleet, launched.id(), "instance listed", i -> true);
        assertThat(launched.toString()).doesNotContain(value);
        assertThat(seen.toString()).doesNotContain(value);
        assertThat(seen.labels().toString()).doesNotContain(value);
    }

    @Test
    void stopStopsTheInstanceAndIsIdempotent() {
        String fleet = fleet("stop");
        InstanceInfo launched = launch(fleet, "r-1");
        awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        backend.stop(launched.id(), stopGrace());
        InstanceInfo stopped = awaitState(fleet, launched.id(), "instance stopped", i -> !i.running());
        assertThat(stopped.state()).isIn(InstanceState.EXITED, InstanceState.CREATED);
        backend.stop(launched.id(), stopGrace());
        assertThat(awaitState(fleet, launched.id(), "still stopped", i -> true).running()).isFalse();
    }

    @Test
    void startRunsAStoppedInstanceAgainAndIsIdempotent() {
        String fleet = fleet("start");
        InstanceInfo launched = launch(fleet, "r-1");
        awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        backend.start(launched.id());   // already running: nothing to do
        backend.stop(launched.id(), stopGrace());
        awaitState(fleet, launched.id(), "instance stopped", i -> !i.running());
        backend.start(launched.id());
        awaitState(fleet, launched.id(), "instance runs again", InstanceInfo::running);
        backend.start(launched.id());
        assertThat(awaitState(fleet, launched.id(), "still running", i -> true).running()).isTrue();
    }

    @Test
    void removeRemovesARunningInstanceAndIsIdempotent() {
        String fleet = fleet("remove");
        InstanceInfo launched = launch(fleet, "r-1");
        InstanceInfo kept = launch(fleet, "r-2");
        backend.remove(launched.id(), false);
        Await.until(patience(), "instance removed", () -> backend.instances(fleet).stream().noneMatch(i -> i.id().equals(launched.id())));
        backend.remove(launched.id(), false);
        assertThat(backend.instances(fleet)).extracting(InstanceInfo::id).containsExactly(kept.id());
    }

    @Test
    void actingOnAnUnknownInstanceIsNotAnError() {
        String unknown = "tck-no-such-instance-" + prefix;
        backend.start(unknown);
        backend.stop(unknown, stopGrace());
        backend.remove(unknown, false);
        backend.remove(unknown, true);
    }

    @Test
    void exitIsReportedAsAnEventWithItsCode() {
        String fleet = fleet("exit");
        Queue<InstanceEvent> events = subscribe(fleet);
        InstanceInfo launched = launch(fleet, "r-1");
        awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        causeExit(launched, 3);
        InstanceEvent exited = Await.value(patience(), "EXITED event of " + launched.id(),
                () -> find(events, launched.id(), InstanceEvent.Kind.EXITED));
        assertThat(exited.exitCode()).isEqualTo(3);
        assertThat(exited.runnerName()).isEqualTo(launched.runnerName());
        InstanceInfo seen = awaitState(fleet, launched.id(), "instance exited", i -> !i.running());
        assertThat(seen.state()).isEqualTo(InstanceState.EXITED);
        assertThat(seen.exitCode()).isEqualTo(3);
        assertThat(seen.finishedAt()).isNotNull();
    }

    @Test
    void eventsOfAnotherFleetAreNotDelivered() {
        String watched = fleet("watched");
        String other = fleet("unwatched");
        Queue<InstanceEvent> events = subscribe(watched);
        InstanceInfo foreign = launch(other, "r-1");
        InstanceInfo own = launch(watched, "r-1");
        awaitState(other, foreign.id(), "foreign instance runs", InstanceInfo::running);
        awaitState(watched, own.id(), "own instance runs", InstanceInfo::running);
        causeExit(foreign, 4);
        awaitState(other, foreign.id(), "foreign instance exited", i -> !i.running());
        causeExit(own, 5);
        Await.value(patience(), "EXITED event of " + own.id(), () -> find(events, own.id(), InstanceEvent.Kind.EXITED));
        assertThat(events).noneMatch(e -> e.instanceId().equals(foreign.id()));
    }

    @Test
    void closingASubscriptionIsIdempotent() {
        Subscription subscription = backend.events(fleet("sub"), e -> { });
        subscription.close();
        subscription.close();
    }

    @Test
    void logsTailReturnsTheLastLines() {
        String fleet = fleet("logs");
        InstanceInfo launched = launch(fleet, "r-1");
        awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        String marker = "tck-line-" + prefix;
        emitOutput(launched, List.of(marker + "-1", marker + "-2", marker + "-3"));
        List<String> tail = Await.value(patience(), "last output line " + marker + "-3", () -> {
            try (LogStream logs = backend.logs(launched.id(), LogQuery.tail(2))) {
                List<String> lines = logs.lines().map(String::strip).toList();
                return lines.contains(marker + "-3") ? Optional.of(lines) : Optional.empty();
            }
        });
        assertThat(tail).containsExactly(marker + "-2", marker + "-3");
    }

    @Test
    void listeningIsReportedOnceWhenTheRunnerSaysIt() {
        skipUnless(emitsListening(), "the backend does not declare LISTENING events (override emitsListening() if it emits them)");
        String fleet = fleet("listening");
        Queue<InstanceEvent> events = subscribe(fleet);
        InstanceInfo launched = launch(fleet, "r-1");
        awaitState(fleet, launched.id(), "instance runs", InstanceInfo::running);
        assertThat(find(events, launched.id(), InstanceEvent.Kind.LISTENING)).as("LISTENING before the runner said so").isEmpty();
        String at = "2026-01-01 00:00:00Z";
        // A job after the first line, then the runner listening again: still one event for this launch.
        emitOutput(launched, List.of("", "Connected to GitHub", "", "Current runner version: '2.330.0'",
                at + ": Listening for Jobs", at + ": Running job: tck", at + ": Job tck completed with result: Succeeded",
                at + ": Listening for Jobs"));
        InstanceEvent listening = Await.value(patience(), "LISTENING event of " + launched.id(),
                () -> find(events, launched.id(), InstanceEvent.Kind.LISTENING));
        assertThat(listening.runnerName()).isEqualTo(launched.runnerName());
        causeExit(launched, 6);   // a later event instead of a timer: a second LISTENING would have come by then
        Await.value(patience(), "EXITED event of " + launched.id(), () -> find(events, launched.id(), InstanceEvent.Kind.EXITED));
        assertThat(events).filteredOn(e -> e.instanceId().equals(launched.id()) && e.kind() == InstanceEvent.Kind.LISTENING)
                .as("LISTENING events of one launch").hasSize(1);
    }

    private void skipUnless(boolean declared, String reason) {
        if (!declared) {
            System.out.println("SKIPPED " + getClass().getSimpleName() + ": " + reason);
            Assumptions.abort(reason);
        }
    }

    @Test
    void launchesInParallelGiveDistinctInstances() throws Exception {
        String fleet = fleet("parallel");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Callable<InstanceInfo>> calls = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                String runner = "r-" + i;
                calls.add(() -> launch(fleet, runner));
            }
            Set<String> ids = new LinkedHashSet<>();
            for (Future<InstanceInfo> f : pool.invokeAll(calls, patience().toMillis() * 2, TimeUnit.MILLISECONDS)) {
                ids.add(f.get().id());
            }
            assertThat(ids).hasSize(3);
            assertThat(backend.instances(fleet)).extracting(InstanceInfo::id).containsExactlyInAnyOrderElementsOf(ids);
        } finally {
            pool.shutdownNow();
        }
    }
}
