package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Placement, routing and engines going away, over in-memory engines. */
class MultiEngineBackendTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static final String BOARD = "/dev/test-board0";

    private MutableClock clock;
    private FakeEngine a;
    private FakeEngine b;
    private MultiEngineBackend backend;

    @BeforeEach
    void engines() {
        clock = MutableClock.standard();
        a = new FakeEngine(InMemoryBackend.builder().clock(clock).build());
        b = new FakeEngine(InMemoryBackend.builder().clock(clock).build(), BOARD);
    }

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close();
        }
    }

    private MultiEngineBackend.Builder both() {
        return MultiEngineBackend.builder().engine("a", a).engine("b", b).clock(clock);
    }

    private static LaunchSpec generic(String runner) {
        return LaunchSpec.builder("f", "generic", runner, "runner:1").build();
    }

    private static LaunchSpec board(String runner) {
        return LaunchSpec.builder("f", "board", runner, "runner:1").devices(List.of(DeviceMapping.parse(BOARD))).build();
    }

    @Test
    void genericLaunchesSpreadLeastLoadedFirst() {
        backend = both().build();
        List<String> placed = List.of("f-g-1", "f-g-2", "f-g-3", "f-g-4").stream()
                .map(n -> backend.launch(generic(n)).engine()).toList();
        assertThat(placed).containsExactly("a", "b", "a", "b");
        assertThat(backend.instances("f")).extracting(InstanceInfo::engine).containsExactlyInAnyOrder("a", "a", "b", "b");
    }

    @Test
    void capacityLimitsAnEngineAndAFullSetWaits() {
        backend = both().capacity("a", 1).capacity("b", 2).build();
        List<String> placed = List.of("f-g-1", "f-g-2", "f-g-3").stream()
                .map(n -> backend.launch(generic(n)).engine()).toList();
        assertThat(placed).containsExactlyInAnyOrder("a", "b", "b");
        assertThatThrownBy(() -> backend.launch(generic("f-g-4")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("a is full (1 instances)").hasMessageContaining("b is full (2 instances)");
    }

    @Test
    void boardLaunchLandsOnlyOnTheEngineWithTheDevice() {
        backend = both().build();
        backend.launch(generic("f-g-1"));   // b would be the least loaded next, a the first declared: neither decides
        backend.launch(generic("f-g-2"));
        backend.launch(generic("f-g-3"));
        InstanceInfo board = backend.launch(board("f-board-1"));
        assertThat(board.engine()).isEqualTo("b");
        assertThat(board.id()).endsWith("@b");
        assertThat(a.memory.launched()).extracting(LaunchSpec::runnerName).doesNotContain("f-board-1");
    }

    @Test
    void deviceMissingEverywhereFailsNamingEveryEngineChecked() {
        backend = MultiEngineBackend.builder().engine("a", a).engine("c",
                new FakeEngine(InMemoryBackend.builder().clock(clock).build())).build();
        assertThatThrownBy(() -> backend.launch(board("f-board-1")))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("a has no " + BOARD).hasMessageContaining("c has no " + BOARD)
                .hasMessageContaining("f-board-1");
        assertThat(backend.instances("f")).isEmpty();
    }

    @Test
    void aBoardRunnerWaitsForItsEngineWhenItIsAway() {
        backend = both().build();
        b.away(true);
        assertThatThrownBy(() -> backend.launch(board("f-board-1")))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("a has no " + BOARD).hasMessageContaining("b does not answer");
        b.away(false);
        assertThat(backend.launch(board("f-board-1")).engine()).isEqualTo("b");
    }

    @Test
    void aPoolPlacedOnOneEngineNeverUsesAnother() {
        backend = both().pool("generic", "b").build();
        backend.launch(generic("f-g-1"));
        assertThat(backend.launch(generic("f-g-2")).engine()).isEqualTo("b");
        assertThat(a.memory.launched()).isEmpty();
        assertThat(backend.enginesOf("generic")).containsExactly("b");
        assertThat(backend.enginesOf("other")).containsExactly("a", "b");
    }

    @Test
    void anAwayEngineIsLeftOutOfListingsAndItsRemovalsWaitForIt() {
        backend = both().build();
        InstanceInfo onA = backend.launch(generic("f-g-1"));
        InstanceInfo onB = backend.launch(generic("f-g-2"));
        b.away(true);
        backend.instances("f");   // suspect from here
        clock.advance(MultiEngineBackend.DEFAULT_AWAY_AFTER);
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id());
        backend.remove(onB.id(), false);   // recorded, not an error
        InstanceInfo again = backend.launch(generic("f-g-2"));
        assertThat(again.engine()).isEqualTo("a");
        b.away(false);
        assertThat(backend.instances("f")).extracting(InstanceInfo::runnerName).containsExactly("f-g-1", "f-g-2");
        assertThat(b.memory.instances("f")).isEmpty();
    }

    @Test
    void aSingleFailedListingKeepsTheEnginesInstances() {
        backend = both().build();
        InstanceInfo onA = backend.launch(generic("f-g-1"));
        InstanceInfo onB = backend.launch(generic("f-g-2"));
        backend.instances("f");
        b.away(true);
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id(), onB.id());
        assertThat(backend.toString()).contains("b(1/unlimited, suspect)");
    }

    @Test
    void anEngineFailingForTheWholeGraceIsAwayAndItsInstancesDropOut() {
        backend = both().awayAfter(Duration.ofSeconds(10)).build();
        InstanceInfo onA = backend.launch(generic("f-g-1"));
        InstanceInfo onB = backend.launch(generic("f-g-2"));
        b.away(true);
        backend.instances("f");
        clock.advance(Duration.ofSeconds(9));
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id(), onB.id());
        clock.advance(Duration.ofSeconds(1));
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id());
        assertThat(backend.toString()).contains("b(1/unlimited, away)");
    }

    @Test
    void anAwayAfterOfZeroCountsTheFirstFailureAsAway() {
        backend = both().awayAfter(Duration.ZERO).build();
        InstanceInfo onA = backend.launch(generic("f-g-1"));
        backend.launch(generic("f-g-2"));
        b.away(true);
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id());
    }

    // Engine b misses a listing, then would answer again, but nothing has told the backend so yet.
    private InstanceInfo launchWhileBIsSuspect() {
        backend = both().build();
        backend.launch(generic("f-g-1"));   // on a: b is now the least loaded
        b.away(true);
        backend.instances("f");
        b.away(false);
        return backend.launch(generic("f-g-2"));
    }

    @Test
    void newLaunchesAvoidASuspectEngine() {
        assertThat(launchWhileBIsSuspect().engine()).isEqualTo("a");
        assertThat(b.memory.launched()).isEmpty();
    }

    @Test
    void aSuccessWithinTheGraceRestoresNormalPlacement() {
        assertThat(launchWhileBIsSuspect().engine()).isEqualTo("a");
        backend.instances("f");   // b answers: no longer suspect
        assertThat(backend.launch(generic("f-g-3")).engine()).isEqualTo("b");
        assertThat(backend.toString()).doesNotContain("suspect").doesNotContain("away");
    }

    @Test
    void aRemovalDuringTheGraceIsDeferredAndNoLongerListed() {
        backend = both().build();
        InstanceInfo onA = backend.launch(generic("f-g-1"));
        InstanceInfo onB = backend.launch(generic("f-g-2"));
        b.away(true);
        backend.instances("f");
        backend.remove(onB.id(), false);
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id());
        b.away(false);
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(onA.id());
        assertThat(b.memory.instances("f")).isEmpty();
    }

    @Test
    void aDeferredRemovalTheEngineRefusesDoesNotBlockListings() {
        backend = both().build();
        backend.launch(generic("f-g-1"));
        InstanceInfo onB = backend.launch(generic("f-g-2"));
        b.away(true);
        backend.remove(onB.id(), false);
        b.away(false);
        b.refuseRemovals(new DockerEngineException("the engine refused", 500, "refused", null));
        assertThat(backend.instances("f")).extracting(InstanceInfo::runnerName).contains("f-g-1", "f-g-2");
        b.refuseRemovals(null);
        assertThat(backend.instances("f")).extracting(InstanceInfo::runnerName).contains("f-g-2");
    }

    @Test
    void noEngineAnsweringIsBackendUnavailable() {
        backend = both().build();
        a.away(true);
        b.away(true);
        assertThatThrownBy(() -> backend.instances("f")).isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("no engine answers").hasMessageContaining("a (").hasMessageContaining("b (");
    }

    @Test
    void anOlderInstanceOfTheSameRunnerOnAnotherEngineIsRemoved() {
        backend = both().build();
        a.memory.launch(generic("f-g-1"));
        clock.advance(Duration.ofSeconds(5));
        InstanceInfo newer = b.memory.launch(generic("f-g-1"));
        assertThat(backend.instances("f")).extracting(InstanceInfo::id).containsExactly(newer.id() + "@b");
        assertThat(a.memory.instances("f")).isEmpty();
    }

    @Test
    void idsOfNoEngineAreLeftAloneAndEventsCarryQualifiedIds() {
        backend = both().build();
        backend.remove("mem000000000", false);
        backend.stop("x@nowhere", Duration.ZERO);
        Queue<InstanceEvent> events = new ConcurrentLinkedQueue<>();
        backend.events("f", events::add);
        InstanceInfo launched = backend.launch(generic("f-g-1"));
        Await.until(PATIENCE, "STARTED event", () -> events.stream().anyMatch(e -> e.instanceId().equals(launched.id())));
        assertThatThrownBy(() -> backend.logs("mem000000000", io.runnerfleet.spi.LogQuery.tail(1)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("<id>@<engine>");
    }

    @Test
    void builderRefusesUnknownAndDuplicateEngines() {
        assertThatThrownBy(() -> MultiEngineBackend.builder().build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("at least one engine");
        assertThatThrownBy(() -> both().pool("board", "lab-c").build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("pool board names engine 'lab-c'").hasMessageContaining("[a, b]");
        assertThatThrownBy(() -> both().capacity("z", 2).build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'z'");
        assertThatThrownBy(() -> both().engine("a", a)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("named twice");
        assertThatThrownBy(() -> MultiEngineBackend.builder().engine("Lab A", a)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("lower-case");
        assertThatThrownBy(() -> both().capacity("a", 0)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> both().awayAfter(Duration.ofSeconds(-1))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("awayAfter").hasMessageContaining("PT-1S");
    }

    @Test
    void aFleetShowsEachRunnersEngineAndReplacesGenericRunnersOfAnEngineThatWentAway() {
        backend = both().pool("board", "a", "b").build();
        InMemoryRegistry registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        try (RunnerFleet fleet = fleetOverBothEngines(registry)) {
            fleet.start();
            assertThat(fleet.runners()).filteredOn(r -> r.pool().equals("board")).extracting(Runner::engine).containsExactly("b");
            // Least loaded first, with the board's launch counted where it was tried: some generic runner is on b.
            assertThat(fleet.runners()).filteredOn(r -> r.pool().equals("generic")).extracting(Runner::engine)
                    .containsOnly("a", "b").contains("b");
            FleetStatus status = fleet.status();
            assertThat(status.table()).contains("ENGINE");

            b.away(true);
            Await.until(PATIENCE, "generic runners all on engine a", () -> {
                clock.advance(Duration.ofSeconds(1));
                fleet.reconcile(PATIENCE);
                List<Runner> generic = fleet.runners().stream().filter(r -> r.pool().equals("generic")).toList();
                return generic.stream().allMatch(r -> r.state() instanceof RunnerState.Idle && r.engine().equals("a"));
            });
            assertThat(fleet.runners()).filteredOn(r -> r.pool().equals("board"))
                    .noneMatch(r -> r.state() instanceof RunnerState.Idle || r.state() instanceof RunnerState.Failed);

            b.away(false);
            // Converged means the fleet, GitHub and engine b agree: the board runner's old instance, removed when b
            // answered again, may still be settling in the cycle that first shows every runner Idle.
            Await.until(PATIENCE, "board runner back on b, nothing registered twice", () -> {
                clock.advance(Duration.ofSeconds(1));   // past the board runner's back-off
                fleet.reconcile(PATIENCE);
                return fleet.runners().stream().allMatch(r -> r.state() instanceof RunnerState.Idle)
                        && fleet.runners().stream().filter(r -> r.pool().equals("board")).allMatch(r -> r.engine().equals("b"))
                        && registry.runners().size() == 5 && b.memory.instances("f").size() == 1;
            });
            assertThat(registry.runners()).extracting(RegisteredRunner::name).doesNotHaveDuplicates().hasSize(5);
            assertThat(b.memory.instances("f")).extracting(InstanceInfo::runnerName).containsExactly("f-board-1");
        }
    }

    @Test
    void aFleetReplacesNothingWhileAnEngineMissesListingsWithinTheGrace() {
        backend = both().pool("board", "a", "b").build();
        InMemoryRegistry registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        try (RunnerFleet fleet = fleetOverBothEngines(registry)) {
            fleet.start();
            int launches = a.memory.launched().size() + b.memory.launched().size();
            b.away(true);
            for (int cycle = 0; cycle < 5; cycle++) {
                clock.advance(Duration.ofSeconds(5));   // 25 s in all: within the default grace of 30 s
                fleet.reconcile(PATIENCE);
            }
            assertThat(a.memory.launched().size() + b.memory.launched().size()).isEqualTo(launches);
            assertThat(fleet.runners()).hasSize(5).allMatch(r -> r.state() instanceof RunnerState.Idle);
            b.away(false);
            fleet.reconcile(PATIENCE);
            assertThat(a.memory.launched().size() + b.memory.launched().size()).isEqualTo(launches);
            assertThat(registry.runners()).hasSize(5);
        }
    }

    private RunnerFleet fleetOverBothEngines(InMemoryRegistry registry) {
        a.memory.onLaunch(spec -> register(registry, spec));
        b.memory.onLaunch(spec -> register(registry, spec));
        return RunnerFleet.builder().name("f").registry(registry).backend(backend).clock(clock)
                .pollInterval(Duration.ofMillis(20)).reconcileInterval(Duration.ofMillis(100)).startTimeout(PATIENCE)
                .backoff(Duration.ofMillis(50), Duration.ofMillis(200))
                .pool(RunnerPool.builder("generic").image("runner:1").labels("intel").scaling(Scaling.fixed(4)))
                .pool(RunnerPool.builder("board").image("runner:1").labels("board").devices(BOARD).scaling(Scaling.fixed(1)))
                .build();
    }

    private static void register(InMemoryRegistry registry, LaunchSpec spec) {
        if (spec.secrets().containsKey("ACTIONS_RUNNER_INPUT_JITCONFIG")) {
            registry.connect(spec.secrets().get("ACTIONS_RUNNER_INPUT_JITCONFIG"));
        } else {
            registry.configure(spec.runnerName(), LabelSet.of("self-hosted"), spec.secrets().get("ACTIONS_RUNNER_INPUT_TOKEN"), false);
            registry.markOnline(spec.runnerName());
        }
    }
}
