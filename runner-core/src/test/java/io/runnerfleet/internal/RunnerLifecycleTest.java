package io.runnerfleet.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.IllegalTransitionException;
import io.runnerfleet.RunnerState;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every (from, to) pair of the lifecycle: legal ones change and emit, illegal ones throw. */
class RunnerLifecycleTest {

    /** One example of every state, in lifecycle order. */
    private static final List<RunnerState> STATES = List.of(new RunnerState.Requested(), new RunnerState.Provisioning(),
            new RunnerState.Registering(), new RunnerState.Idle(), new RunnerState.Active(), new RunnerState.Offline(),
            new RunnerState.Draining(), new RunnerState.Stopped(), new RunnerState.Completed(), new RunnerState.Removing(),
            new RunnerState.Removed(), new RunnerState.Failed("registration timed out after PT2M", List.of("last line")));

    /** DESIGN §3's table plus the five documented edges (marked +), written out independently of the code. */
    private static final Map<String, Set<String>> LEGAL = Map.ofEntries(
            Map.entry("Requested", Set.of("Provisioning", "Removed")),
            Map.entry("Provisioning", Set.of("Registering", "Failed", "Removing")),
            Map.entry("Registering", Set.of("Idle", "Active", "Failed", "Removing")),
            Map.entry("Idle", Set.of("Active", "Offline", "Draining", "Stopped", "Removing", "Completed" /* + */)),
            Map.entry("Active", Set.of("Idle", "Offline", "Draining", "Completed", "Removing" /* + */)),
            Map.entry("Offline", Set.of("Idle", "Active", "Provisioning", "Removing", "Failed", "Stopped" /* + */, "Completed" /* + */)),
            Map.entry("Draining", Set.of("Stopped", "Removing", "Completed" /* + */)),
            Map.entry("Stopped", Set.of("Provisioning", "Removing")),
            Map.entry("Completed", Set.of("Removing")),
            Map.entry("Removing", Set.of("Removed", "Failed")),
            Map.entry("Removed", Set.of()),
            Map.entry("Failed", Set.of("Removing")));

    static Stream<Arguments> everyPair() {
        return STATES.stream().flatMap(from -> STATES.stream().map(to -> Arguments.of(from, to)));
    }

    private final MutableClock clock = MutableClock.standard();
    private final List<FleetEvent> events = new ArrayList<>();

    @Test
    void everyStateIsCoveredByTheExpectedTable() {
        assertThat(STATES).extracting(RunnerState::name).containsExactlyInAnyOrderElementsOf(LEGAL.keySet());
        assertThat(RunnerState.class.getPermittedSubclasses()).hasSize(STATES.size());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("everyPair")
    void legalChangesEmitAndIllegalOnesThrow(RunnerState from, RunnerState to) {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", from, clock, events::add);
        clock.advance(Duration.ofSeconds(3));
        boolean legal = LEGAL.get(from.name()).contains(to.name());
        assertThat(from.canGoTo(to)).isEqualTo(legal);
        if (legal) {
            FleetEvent.StateChanged event = lifecycle.transition(to, "test");
            assertThat(lifecycle.state()).isEqualTo(to);
            assertThat(events).containsExactly(new FleetEvent.StateChanged("f-p-1", from, to, "test", clock.instant()));
            assertThat(event.at()).isEqualTo(clock.instant());
        } else {
            assertThatThrownBy(() -> lifecycle.transition(to, "test"))
                    .isInstanceOf(IllegalTransitionException.class)
                    .hasMessageContaining("runner f-p-1 cannot go from " + from.name() + " to " + to.name())
                    .hasMessageContaining("cause: test");
            assertThat(lifecycle.state()).isEqualTo(from);
            assertThat(events).isEmpty();
            assertThat(lifecycle.tryTransition(to, "test")).isFalse();
        }
    }

    @Test
    void successorsFollowTheTableInOrder() {
        assertThat(new RunnerState.Idle().successors())
                .containsExactly("Active", "Offline", "Draining", "Stopped", "Completed", "Removing");
        assertThat(new RunnerState.Removed().terminal()).isTrue();
        assertThat(STATES.stream().filter(RunnerState::terminal)).extracting(RunnerState::name).containsExactly("Removed");
    }

    @Test
    void illegalTransitionNamesWhatWasAllowed() {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", new RunnerState.Idle(), clock, events::add);
        assertThatThrownBy(() -> lifecycle.transition(new RunnerState.Registering(), "relaunch"))
                .isInstanceOfSatisfying(IllegalTransitionException.class, e -> {
                    assertThat(e.runner()).isEqualTo("f-p-1");
                    assertThat(e.from()).isEqualTo("Idle");
                    assertThat(e.to()).isEqualTo("Registering");
                })
                .hasMessageContaining("from Idle it may go to [Active, Offline, Draining, Stopped, Completed, Removing]");
        RunnerLifecycle removed = new RunnerLifecycle("f-p-2", new RunnerState.Removed(), clock, events::add);
        assertThatThrownBy(() -> removed.transition(new RunnerState.Requested(), "again"))
                .hasMessageContaining("Removed is terminal");
    }

    @Test
    void aNewRunnerStartsRequestedWithoutAnEvent() {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", clock, events::add);
        assertThat(lifecycle.state()).isEqualTo(new RunnerState.Requested());
        assertThat(events).isEmpty();
        assertThat(lifecycle).hasToString("RunnerLifecycle[f-p-1, Requested]");
    }

    @Test
    void happyPathOfAnEphemeralRunnerEmitsEachStepWithTheClocksTime() {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", clock, events::add);
        List<RunnerState> path = List.of(new RunnerState.Provisioning(), new RunnerState.Registering(), new RunnerState.Idle(),
                new RunnerState.Active(), new RunnerState.Completed(), new RunnerState.Removing(), new RunnerState.Removed());
        List<java.time.Instant> times = new ArrayList<>();
        for (RunnerState next : path) {
            times.add(clock.advance(Duration.ofSeconds(1)));
            lifecycle.transition(next, "step");
        }
        assertThat(events).extracting(e -> ((FleetEvent.StateChanged) e).to()).containsExactlyElementsOf(path);
        assertThat(events).extracting(FleetEvent::at).containsExactlyElementsOf(times);
    }

    @Test
    void aFailingListenerDoesNotUndoTheChange() {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", clock, e -> {
            throw new IllegalStateException("listener bug");
        });
        lifecycle.transition(new RunnerState.Provisioning(), "start");
        assertThat(lifecycle.state()).isEqualTo(new RunnerState.Provisioning());
    }

    @Test
    void statesPrintTheirNames() {
        assertThat(STATES).extracting(Object::toString).containsExactly("Requested", "Provisioning", "Registering", "Idle",
                "Active", "Offline", "Draining", "Stopped", "Completed", "Removing", "Removed",
                "Failed[registration timed out after PT2M, 1 log lines]");
    }

    @Test
    void aChangeNeedsACause() {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", clock, events::add);
        assertThatThrownBy(() -> lifecycle.transition(new RunnerState.Provisioning(), " "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("f-p-1");
    }

    @Test
    void failedKeepsTheLastFiftyLogLines() {
        List<String> lines = IntStream.rangeClosed(1, 80).mapToObj(i -> "line " + i).toList();
        RunnerState.Failed failed = new RunnerState.Failed("exit code 1", lines);
        assertThat(failed.lastLogLines()).hasSize(50).startsWith("line 31").endsWith("line 80");
        assertThat(failed).hasToString("Failed[exit code 1, 50 log lines]");
        assertThatThrownBy(() -> new RunnerState.Failed(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentChangesAreSerialized() throws Exception {
        RunnerLifecycle lifecycle = new RunnerLifecycle("f-p-1", new RunnerState.Idle(), clock, events::add);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> {
                for (int j = 0; j < 200; j++) {
                    lifecycle.tryTransition(new RunnerState.Active(), "job");
                    lifecycle.tryTransition(new RunnerState.Idle(), "done");
                }
            });
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        List<FleetEvent.StateChanged> changes = events.stream().map(FleetEvent.StateChanged.class::cast).toList();
        for (int i = 1; i < changes.size(); i++) {
            assertThat(changes.get(i).from()).as("event %d continues from the one before", i).isEqualTo(changes.get(i - 1).to());
        }
    }
}
