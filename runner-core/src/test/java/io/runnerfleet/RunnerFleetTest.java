package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fleet end to end against the in-memory registry and backend, playing the runners' part. */
class RunnerFleetTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private MutableClock clock;
    private InMemoryRegistry registry;
    private InMemoryBackend backend;
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    private final List<RunnerFleet> fleets = new ArrayList<>();
    private final AtomicBoolean runnersRegister = new AtomicBoolean(true);

    @BeforeEach
    void fakes() {
        clock = MutableClock.standard();
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        backend = InMemoryBackend.builder().clock(clock).build();
        // Plays the runner inside each instance: configure with the token, or connect with the JIT config.
        backend.onLaunch(this::runnerStarts);
    }

    private void runnerStarts(LaunchSpec spec) {
        if (!runnersRegister.get()) {
            return;
        }
        if (spec.secrets().containsKey("ACTIONS_RUNNER_INPUT_JITCONFIG")) {
            registry.connect(spec.secrets().get("ACTIONS_RUNNER_INPUT_JITCONFIG"));
        } else {
            List<String> args = spec.command().configureArgs();
            int i = args.indexOf("--labels");
            LabelSet labels = LabelSet.of("self-hosted", "Linux", "X64").plus(i < 0 ? LabelSet.empty() : LabelSet.parse(args.get(i + 1)));
            registry.configure(spec.runnerName(), labels, spec.secrets().get("ACTIONS_RUNNER_INPUT_TOKEN"),
                    args.contains("--ephemeral"));
            registry.markOnline(spec.runnerName());
        }
    }

    @AfterEach
    void closeFleets() {
        fleets.forEach(RunnerFleet::close);
    }

    private RunnerFleet.Builder fleet(String name, RunnerPool.Builder... pools) {
        RunnerFleet.Builder b = RunnerFleet.builder().name(name).registry(registry).backend(backend).clock(clock)
                .listener(events::add).pollInterval(Duration.ofMillis(20)).reconcileInterval(Duration.ofMillis(200))
                .startTimeout(PATIENCE).backoff(Duration.ofSeconds(1), Duration.ofSeconds(8)).maxFailures(3)
                .drainTimeout(Duration.ofSeconds(2));
        for (RunnerPool.Builder p : pools) {
            b.pool(p);
        }
        return b;
    }

    private RunnerFleet started(RunnerFleet.Builder b) {
        RunnerFleet fleet = b.build();
        fleets.add(fleet);
        fleet.start();
        return fleet;
    }

    private static RunnerPool.Builder generic(int n) {
        return RunnerPool.builder("generic").image("runner:1").labels("intel").scaling(Scaling.fixed(n));
    }

    private static RunnerPool.Builder ephemeral(int n) {
        return RunnerPool.builder("eph").image("runner:1").labels("qemu").ephemeral(true).scaling(Scaling.fixed(n));
    }

    private void awaitState(RunnerFleet fleet, String what, java.util.function.Predicate<List<Runner>> ok) {
        Await.until(PATIENCE, what, () -> {
            fleet.reconcile(PATIENCE);
            return ok.test(fleet.runners());
        });
    }

    // Events reach listeners on the fleet's event thread: wait for them, bounded.
    private void awaitEvent(java.util.function.Predicate<FleetEvent> ok) {
        Await.until(PATIENCE, "a matching fleet event", () -> events.stream().anyMatch(ok));
    }

    private static boolean allIn(List<Runner> runners, Class<? extends RunnerState> state, int count) {
        return runners.size() == count && runners.stream().allMatch(r -> state.isInstance(r.state()));
    }

    @Test
    void startBringsEveryRunnerOnlineSharingOneRegistrationToken() {
        RunnerFleet fleet = started(fleet("f1", generic(3)));
        assertThat(fleet.runners()).extracting(Runner::name).containsExactly("f1-generic-1", "f1-generic-2", "f1-generic-3");
        assertThat(fleet.runners()).allMatch(r -> r.state() instanceof RunnerState.Idle);
        assertThat(fleet.registrationTokensMinted()).isEqualTo(1);
        assertThat(registry.runners()).extracting(RegisteredRunner::name).containsExactlyInAnyOrder("f1-generic-1", "f1-generic-2", "f1-generic-3");
        assertThat(fleet.status().table()).contains("f1-generic-2").contains("Idle").contains("intel");
        Await.until(PATIENCE, "three Idle events", () -> events.stream()
                .filter(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Idle).count() == 3);
        fleet.start();   // idempotent
        assertThat(backend.launched()).hasSize(3);
    }

    @Test
    void aBusyRunnerIsActiveAndIdleAgainAfterItsJob() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        registry.markBusy("f1-generic-1");
        awaitState(fleet, "runner Active", rs -> allIn(rs, RunnerState.Active.class, 1));
        registry.completeJob("f1-generic-1");
        awaitState(fleet, "runner Idle again", rs -> allIn(rs, RunnerState.Idle.class, 1));
    }

    @Test
    void demandOnAnOnDemandPoolLaunchesAtOnceAndAFinishedEphemeralRunnerShrinksItBack() {
        // A periodic cycle an hour away: only a woken reconciler can launch within PATIENCE.
        RunnerFleet fleet = started(fleet("f1", RunnerPool.builder("od").image("runner:1").labels("qemu").ephemeral(true)
                .scaling(Scaling.onDemand(0, 2))).reconcileInterval(Duration.ofHours(1)).pollInterval(Duration.ofHours(1)));
        assertThat(fleet.runners()).isEmpty();
        assertThat(fleet.demand(JobRequest.runsOn("self-hosted", "qemu"))).contains("od");
        Await.until(PATIENCE, "a container launched for the queued job", () -> backend.launched().size() == 1);
        Await.until(PATIENCE, "the runner launched and online", () -> registry.runners().size() == 1
                && (fleet.runners().get(0).state() instanceof RunnerState.Registering
                || fleet.runners().get(0).state() instanceof RunnerState.Idle));
        // A short job: registration deleted and exit 0 may both land between two observations.
        Runner first = fleet.runners().get(0);
        registry.markBusy(first.name());
        registry.completeJob(first.name());
        backend.exit(backend.instances("f1").get(0).id(), 0);
        awaitState(fleet, "the pool back at its min, 0", List::isEmpty);
        Await.until(PATIENCE, "the finished runner removed", () -> backend.instances("f1").isEmpty());
        assertThat(backend.launched()).as("no replacement for a finished on-demand runner").hasSize(1);
        awaitEvent(e -> e instanceof FleetEvent.PoolScaled ps && ps.from() == 1 && ps.to() == 0
                && ps.reason().contains("finished its job"));

        // Demand past the maximum is clamped; concurrent demands are not lost.
        CompletableFuture<?>[] demands = new CompletableFuture<?>[3];
        for (int i = 0; i < demands.length; i++) {
            demands[i] = CompletableFuture.runAsync(() -> fleet.demand(JobRequest.runsOn("qemu")));
        }
        CompletableFuture.allOf(demands).join();
        Await.until(PATIENCE, "two more containers, the pool's max", () -> backend.launched().size() == 3);
        awaitEvent(e -> e instanceof FleetEvent.PoolScaled ps && ps.from() == 1 && ps.to() == 2);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
    }

    @Test
    void anEphemeralJitRunnerIsReplacedByANewOneAfterItsJob() {
        RunnerFleet fleet = started(fleet("f1", ephemeral(1)));
        Runner first = fleet.runners().get(0);
        assertThat(first.name()).matches("f1-eph-1-[a-z0-9]{5}");
        assertThat(backend.launched().get(0).secrets()).containsKey("ACTIONS_RUNNER_INPUT_JITCONFIG");
        registry.markBusy(first.name());
        awaitState(fleet, "runner Active", rs -> allIn(rs, RunnerState.Active.class, 1));
        registry.completeJob(first.name());            // GitHub deregisters an ephemeral runner after its job
        backend.exit(first.instanceId(), 0);           // and the runner process exits 0
        awaitState(fleet, "a new runner Idle", rs -> allIn(rs, RunnerState.Idle.class, 1) && !rs.get(0).name().equals(first.name()));
        assertThat(backend.instances("f1")).hasSize(1);
        assertThat(registry.runners()).hasSize(1);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(first.name())
                && sc.to() instanceof RunnerState.Completed);
    }

    @Test
    void aRunnerRemovedWhileACycleObservesIsNotAdoptedBackFromThatStaleObservation() throws Exception {
        // Gates: the finished runner's instance removal waits for removeGate; a runner list waits for listGate.
        java.util.concurrent.CountDownLatch removeGate = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch listing = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch listGate = new java.util.concurrent.CountDownLatch(1);
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).sleeper(d -> {
            listing.countDown();
            listGate.await();
        }).build();
        backend = InMemoryBackend.builder().clock(clock).sleeper(d -> removeGate.await()).build();
        backend.onLaunch(this::runnerStarts);
        RunnerFleet fleet = started(fleet("f1", ephemeral(1)));
        Runner first = fleet.runners().get(0);
        registry.markBusy(first.name());
        awaitState(fleet, "runner Active", rs -> allIn(rs, RunnerState.Active.class, 1));
        backend.faults().delay(InMemoryBackend.Operation.REMOVE, Duration.ofMillis(1));
        registry.completeJob(first.name());
        backend.exit(first.instanceId(), 0);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(first.name())
                && sc.to() instanceof RunnerState.Removing);
        // A cycle observes while the removal is held: it sees the finished runner's instance, then waits in the list.
        registry.faults().delay(InMemoryRegistry.Operation.RUNNERS, Duration.ofMillis(1));
        Thread observer = new Thread(() -> fleet.reconcile(PATIENCE));
        observer.start();
        assertThat(listing.await(PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        removeGate.countDown();
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(first.name())
                && sc.to() instanceof RunnerState.Removed);
        registry.faults().delay(InMemoryRegistry.Operation.RUNNERS, Duration.ZERO);
        listGate.countDown();
        observer.join(PATIENCE.toMillis());
        awaitState(fleet, "a new runner Idle", rs -> allIn(rs, RunnerState.Idle.class, 1) && !rs.get(0).name().equals(first.name()));
        assertThat(fleet.runners()).extracting(Runner::name).doesNotContain(first.name());
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.RunnerRemoved rr && rr.runner().equals(first.name())
                && rr.reason().contains("not wanted"));
    }

    @Test
    void aKilledInstanceIsReplacedWithoutLeavingAGhost() {
        RunnerFleet fleet = started(fleet("f1", generic(2)));
        Runner victim = fleet.runner("f1-generic-2").orElseThrow();
        backend.exit(victim.instanceId(), 137);
        awaitState(fleet, "replacement Idle", rs -> allIn(rs, RunnerState.Idle.class, 2)
                && !rs.get(1).instanceId().equals(victim.instanceId()));
        assertThat(backend.instances("f1")).hasSize(2);
        assertThat(registry.runners()).extracting(RegisteredRunner::name).containsExactlyInAnyOrder("f1-generic-1", "f1-generic-2");
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals("f1-generic-2")
                && sc.to() instanceof RunnerState.Offline);
    }

    @Test
    void aPersistentRunnerKilledDuringAJobIsReplacedInItsSlotAtOnce() {
        RunnerFleet fleet = started(fleet("f1", generic(3)));
        Runner victim = fleet.runner("f1-generic-2").orElseThrow();
        registry.markBusy(victim.name());
        awaitState(fleet, "runner Active", rs -> rs.get(1).state() instanceof RunnerState.Active);
        // Killed for memory mid-job; GitHub still shows the registration busy (it has not noticed yet).
        backend.exit(victim.instanceId(), 137);
        awaitState(fleet, "a new instance in the slot, Idle", rs -> allIn(rs, RunnerState.Idle.class, 3)
                && !victim.instanceId().equals(rs.get(1).instanceId()));
        assertThat(backend.instances("f1")).hasSize(3).noneMatch(i -> i.id().equals(victim.instanceId()));
        assertThat(registry.runners()).extracting(RegisteredRunner::name)
                .containsExactlyInAnyOrder("f1-generic-1", "f1-generic-2", "f1-generic-3");
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
    }

    @Test
    void anEphemeralRunnerKilledDuringAJobIsReplacedAtOnceAndItsRegistrationGoesWhenGitHubLetsGo() {
        RunnerFleet fleet = started(fleet("f1", ephemeral(2)));
        Runner victim = fleet.runners().get(0);
        registry.markBusy(victim.name());
        awaitState(fleet, "runner Active", rs -> rs.stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
        backend.exit(victim.instanceId(), 137);
        awaitState(fleet, "a new runner in the slot", rs -> allIn(rs, RunnerState.Idle.class, 2)
                && rs.stream().noneMatch(r -> r.name().equals(victim.name())));
        assertThat(backend.instanceOf(victim.name())).as("the dead instance is removed at once").isEmpty();
        assertThat(registry.runner(victim.name())).as("GitHub still holds it").hasValueSatisfying(r -> assertThat(r.busy()).isTrue());
        assertThat(registry.runners()).hasSize(3);
        registry.markOffline(victim.name());   // GitHub notices the session is gone and fails the job
        awaitState(fleet, "the dead runner's registration deleted", rs -> registry.runner(victim.name()).isEmpty());
        awaitEvent(e -> e instanceof FleetEvent.RunnerRemoved rr && rr.runner().equals(victim.name())
                && rr.reason().contains("let go"));
        assertThat(registry.runners()).hasSize(2);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
    }

    @Test
    void removeNowWorksWhileGitHubStillHoldsADeadRunnersRegistration() {
        RunnerFleet fleet = started(fleet("f1", ephemeral(1)).drainTimeout(PATIENCE));
        Runner victim = fleet.runners().get(0);
        registry.markBusy(victim.name());
        awaitState(fleet, "runner Active", rs -> allIn(rs, RunnerState.Active.class, 1));
        backend.exit(victim.instanceId(), 137);
        awaitState(fleet, "replaced", rs -> allIn(rs, RunnerState.Idle.class, 1) && !rs.get(0).name().equals(victim.name()));
        CompletableFuture<Void> removal = CompletableFuture.runAsync(fleet::removeNow);
        registry.markOffline(victim.name());
        removal.join();
        assertThat(registry.runners()).isEmpty();
        assertThat(backend.instances("f1")).isEmpty();
    }

    @Test
    void scalingDownRemovesTheRetiredRunnersVolumesAndRemoveLeavesNone() {
        RunnerFleet fleet = started(fleet("f1", generic(4).volumes(new VolumeMount("work", "/home/runner/_work"))));
        fleet.scale("generic", 2);
        awaitState(fleet, "two runners left", rs -> allIn(rs, RunnerState.Idle.class, 2) && backend.instances("f1").size() == 2);
        assertThat(backend.volumes()).containsExactlyInAnyOrder("f1-generic-1-work", "f1-generic-2-work");
        fleet.remove();
        assertThat(backend.volumes()).isEmpty();
    }

    @Test
    void removeDeletesTheVolumesOfRunnersWhoseInstanceIsGone() {
        RunnerFleet first = started(fleet("f1", generic(2).volumes(new VolumeMount("work", "/home/runner/_work"))));
        first.shutdown();                       // keeps volumes, by design
        assertThat(first.awaitTermination(PATIENCE)).isTrue();
        assertThat(backend.volumes()).hasSize(2);
        RunnerFleet adopter = fleet("f1", generic(1)).build();
        fleets.add(adopter);
        adopter.remove();
        assertThat(backend.volumes()).isEmpty();
    }

    @Test
    void anOutageOfGitHubBacksOffWithoutSpendingTheFailureBudget() {
        registry.faults().failNext(InMemoryRegistry.Operation.JIT_CONFIG, 6,
                () -> new RegistrationException("injected: GitHub answered 502 Bad Gateway"));
        RunnerFleet fleet = fleet("f1", ephemeral(1)).build();
        fleets.add(fleet);
        fleet.startAsync();
        Await.until(PATIENCE, "first JIT config asked", () -> registry.faults().calls(InMemoryRegistry.Operation.JIT_CONFIG) >= 1);
        awaitState(fleet, "runner Idle once GitHub answers", rs -> {
            clock.advance(Duration.ofSeconds(10));
            return allIn(rs, RunnerState.Idle.class, 1);
        });
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.JIT_CONFIG)).isEqualTo(7);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.cause().contains("not counted as a failure")
                && sc.cause().contains("502"));
    }

    @Test
    void aFailedRunnerIsTriedAgainAfterALongerBackoff() {
        backend.faults().failNext(InMemoryBackend.Operation.LAUNCH, 3,
                () -> new RunnerFleetException("injected: the container's entrypoint is missing"));
        RunnerFleet fleet = fleet("f1", generic(1)).build();
        fleets.add(fleet);
        fleet.startAsync();
        Await.until(PATIENCE, "first launch tried", () -> backend.faults().calls(InMemoryBackend.Operation.LAUNCH) >= 1);
        awaitState(fleet, "runner Failed", rs -> {
            clock.advance(Duration.ofSeconds(5));
            return rs.size() == 1 && rs.get(0).state() instanceof RunnerState.Failed;
        });
        clock.advance(Duration.ofSeconds(17));  // twice the longest backoff (8 s) has passed
        awaitState(fleet, "runner Idle after the retry", rs -> allIn(rs, RunnerState.Idle.class, 1));
        assertThat(backend.faults().calls(InMemoryBackend.Operation.LAUNCH)).isEqualTo(4);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.cause().contains("failed runner's slot again"));
    }

    @Test
    void aRunnerLeftUnregisteredByACrashedFleetIsReplacedOnceWithoutWaitingForTheRegistrationTimeout() {
        runnersRegister.set(false);              // the crashed JVM never handed the runner its registration
        RunnerFleet crashed = fleet("f1", generic(1)).build();
        fleets.add(crashed);
        crashed.startAsync();
        Await.until(PATIENCE, "instance launched", () -> backend.launched().size() == 1);
        crashed.close();
        runnersRegister.set(true);
        RunnerFleet next = fleet("f1", generic(1)).registrationTimeout(Duration.ofMinutes(10)).build();
        fleets.add(next);
        next.startAsync();
        Await.until(PATIENCE, "the runner adopted", () -> !next.runners().isEmpty());
        awaitState(next, "adopted, still registering", rs -> allIn(rs, RunnerState.Registering.class, 1));
        clock.advance(Duration.ofSeconds(31));
        awaitState(next, "replaced and Idle", rs -> allIn(rs, RunnerState.Idle.class, 1));
        assertThat(backend.launched()).as("created once more, not twice").hasSize(2);
        assertThat(backend.instances("f1")).hasSize(1);
    }

    @Test
    void aQueuedJobIsSeenTakenWithoutWaitingForTheNextPeriodicCycle() {
        RunnerFleet fleet = started(fleet("f1", generic(1)).reconcileInterval(Duration.ofHours(1)));
        fleet.demand(JobRequest.runsOn("self-hosted", "intel"));   // the pool is at its max: nothing to launch
        registry.markBusy("f1-generic-1");
        // No reconcile(): only the fleet's own, faster polling while a job is awaited can see it.
        Await.until(PATIENCE, "runner Active", () -> fleet.runners().get(0).state() instanceof RunnerState.Active);
    }

    @Test
    void wakeAsksForACycleWithoutWaitingAndDoesNothingBeforeStartOrAfterClose() {
        RunnerFleet fleet = fleet("f1", generic(1)).reconcileInterval(Duration.ofHours(1)).pollInterval(Duration.ofHours(1)).build();
        fleets.add(fleet);
        fleet.wake();   // not started: nothing happens
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.RUNNERS)).isZero();
        fleet.start();
        registry.markBusy("f1-generic-1");
        fleet.wake();   // no periodic cycle for an hour: only this one can see the job
        Await.until(PATIENCE, "runner Active", () -> fleet.runners().get(0).state() instanceof RunnerState.Active);
        fleet.close();
        fleet.wake();
    }

    @Test
    void aRegistrationDeletedAtGitHubIsRegisteredAgain() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        registry.delete(registry.runner("f1-generic-1").orElseThrow());
        awaitState(fleet, "re-registered", rs -> allIn(rs, RunnerState.Idle.class, 1) && registry.runner("f1-generic-1").isPresent());
        assertThat(backend.launched()).hasSize(2);
    }

    @Test
    void anExpiredRegistrationTokenIsRenewedButAFreshOneIsReused() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        backend.exit(fleet.runners().get(0).instanceId(), 137);   // killed: replaced at once
        awaitState(fleet, "replaced", rs -> allIn(rs, RunnerState.Idle.class, 1) && backend.launched().size() == 2);
        assertThat(fleet.registrationTokensMinted()).as("a token an hour old is still good").isEqualTo(1);
        clock.advance(Duration.ofMinutes(56));       // within 5 minutes of GitHub's one-hour expiry
        backend.exit(fleet.runners().get(0).instanceId(), 137);
        awaitState(fleet, "replaced again", rs -> allIn(rs, RunnerState.Idle.class, 1) && backend.launched().size() == 3);
        assertThat(fleet.registrationTokensMinted()).isEqualTo(2);
    }

    @Test
    void ghostRegistrationsOfTheFleetAreRemovedAndOthersAreLeftAlone() {
        Secret token = registry.registrationToken().token();
        registry.configure("f1-generic-7", LabelSet.of("self-hosted"), token, false);   // offline, no instance: a ghost
        registry.configure("someone-elses-runner", LabelSet.of("self-hosted"), token, false);
        registry.configure("f1-generic-8", LabelSet.of("self-hosted"), token, false);
        registry.markBusy("f1-generic-8");                                              // online: not a ghost
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        awaitState(fleet, "ghost removed", rs -> registry.runner("f1-generic-7").isEmpty());
        assertThat(registry.runner("someone-elses-runner")).isPresent();
        assertThat(registry.runner("f1-generic-8")).isPresent();
        awaitEvent(e -> e instanceof FleetEvent.RunnerRemoved rr && rr.runner().equals("f1-generic-7")
                && rr.reason().contains("ghost"));
    }

    @Test
    void aRunnerExitingWithVersionDeprecatedFailsAtOnceWithThatReasonAndIsNotRelaunched() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        String name = fleet.runners().get(0).name();
        backend.exit(fleet.runners().get(0).instanceId(), 7);
        awaitState(fleet, "Failed", rs -> rs.get(0).state() instanceof RunnerState.Failed);
        RunnerState.Failed failed = (RunnerState.Failed) fleet.runner(name).orElseThrow().state();
        assertThat(failed.reason()).contains("exit code 7").contains("deprecated").contains("update the runner in the image");
        clock.advance(Duration.ofMinutes(5));
        fleet.reconcile(PATIENCE);
        assertThat(backend.launched()).as("the same image would fail the same way: no relaunch").hasSize(1);
        assertThat(fleet.runner(name).orElseThrow().state()).isInstanceOf(RunnerState.Failed.class);
    }

    @Test
    void aSessionConflictIsRetriedWithBackoffUntilTheBudgetIsSpent() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        backend.exit(fleet.runners().get(0).instanceId(), 5);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Removed
                && sc.cause().contains("will retry"));
        assertThat(backend.launched()).as("no relaunch before the backoff").hasSize(1);
        // Each relaunch hits the same conflict before it comes online (another listener holds the session):
        // move the clock past each backoff until the budget (3) is spent.
        runnersRegister.set(false);
        Await.until(PATIENCE, "runner Failed", () -> {
            clock.advance(Duration.ofSeconds(10));
            fleet.runners().stream().filter(r -> r.state() instanceof RunnerState.Registering && r.instanceId() != null)
                    .forEach(r -> backend.exit(r.instanceId(), 5));
            fleet.reconcile(PATIENCE);
            return fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Failed);
        });
        RunnerState.Failed failed = (RunnerState.Failed) fleet.runners().get(0).state();
        assertThat(failed.reason()).contains("exit code 5").contains("session conflict").contains("failure 3 of 3");
        assertThat(backend.launched()).hasSize(3);
    }

    @Test
    void aRetryableExitIsReplacedAtOnce() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        backend.exit(fleet.runners().get(0).instanceId(), 2);
        awaitState(fleet, "replaced", rs -> allIn(rs, RunnerState.Idle.class, 1) && backend.launched().size() == 2);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
    }

    @Test
    void repeatedLaunchFailuresBackOffThenFailWithTheReasonAndLeaveNothing() {
        backend.faults().failNext(InMemoryBackend.Operation.LAUNCH, 100,
                () -> new RunnerFleetException("injected: engine refused the container"));
        // start() waits on the fleet's clock as well: long enough that only the Failed runner ends it.
        RunnerFleet fleet = fleet("f1", ephemeral(1)).startTimeout(Duration.ofHours(1)).build();
        fleets.add(fleet);
        CompletableFuture<RunnerFleet> start = fleet.startAsync();
        Await.until(PATIENCE, "first launch tried", () -> backend.faults().calls(InMemoryBackend.Operation.LAUNCH) >= 1);
        // Backoff is measured on the fleet's clock: move it on until the runner gives up.
        Await.until(PATIENCE, "runner Failed", () -> {
            clock.advance(Duration.ofSeconds(10));
            fleet.reconcile(PATIENCE);
            return fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Failed);
        });
        assertThatThrownBy(start::join).hasCauseInstanceOf(RunnerStartException.class)
                .hasMessageContaining("f1-eph-1-").hasMessageContaining("injected: engine refused the container")
                .hasMessageContaining("Failed");
        assertThat(backend.faults().calls(InMemoryBackend.Operation.LAUNCH)).isEqualTo(3);
        assertThat(registry.runners()).as("JIT registrations of failed launches are deleted").isEmpty();
        assertThat(backend.instances("f1")).isEmpty();
    }

    @Test
    void aRunnerThatSaysItIsListeningIsIdleBeforeGitHubListsItAndRegisteredOnceTheListConfirms() {
        runnersRegister.set(false);
        // Cycles an hour apart: only the LISTENING event, not a list, can make the runner Idle within PATIENCE.
        RunnerFleet fleet = fleet("f1", generic(1)).pollInterval(Duration.ofHours(1)).reconcileInterval(Duration.ofHours(1))
                .build();
        fleets.add(fleet);
        CompletableFuture<RunnerFleet> start = fleet.startAsync();
        Await.until(PATIENCE, "runner Registering", () -> allIn(fleet.runners(), RunnerState.Registering.class, 1));
        String id = fleet.runners().get(0).instanceId();
        backend.listening(id);
        Await.until(PATIENCE, "runner Idle on its word", () -> allIn(fleet.runners(), RunnerState.Idle.class, 1));
        assertThat(start.join()).isSameAs(fleet);
        assertThat(registry.runners()).as("GitHub does not list it yet").isEmpty();
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Idle
                && sc.cause().contains("listening for jobs"));
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.RunnerRegistered);

        fleet.reconcile(PATIENCE);   // a list without it: late, not lost
        assertThat(fleet.runners().get(0).state()).isInstanceOf(RunnerState.Idle.class);
        runnersRegister.set(true);
        runnerStarts(backend.launched().get(0));
        fleet.reconcile(PATIENCE);
        long githubId = registry.runners().get(0).id();
        awaitEvent(e -> e instanceof FleetEvent.RunnerRegistered rr && rr.runnerId() == githubId);
        assertThat(fleet.runners().get(0).state()).isInstanceOf(RunnerState.Idle.class);
        assertThat(backend.launched()).hasSize(1);
    }

    @Test
    void aRunnerThatSaysItIsListeningWhileItsLaunchIsUnderWayIsIdleEvenWhileNoListAnswers() {
        runnersRegister.set(false);
        // The line comes while the launch still holds the runner, and from then on GitHub's list fails.
        backend.onLaunch(spec -> {
            registry.faults().failNext(InMemoryRegistry.Operation.RUNNERS, 1_000_000,
                    () -> new RunnerFleetException("injected: GitHub does not answer"));
            backend.listening(backend.instanceOf(spec.runnerName()).orElseThrow().id());
        });
        RunnerFleet fleet = fleet("f1", generic(1)).build();
        fleets.add(fleet);
        CompletableFuture<RunnerFleet> start = fleet.startAsync();
        Await.until(PATIENCE, "runner Idle on its word", () -> allIn(fleet.runners(), RunnerState.Idle.class, 1));
        assertThat(start.join()).isSameAs(fleet);
        registry.faults().clear();
    }

    /** A started one-runner fleet (registration timeout 10 minutes) whose runner is Registering, unseen by GitHub. */
    private RunnerFleet registeringUnseen() {
        runnersRegister.set(false);
        RunnerFleet fleet = fleet("f1", generic(1)).registrationTimeout(Duration.ofMinutes(10)).build();
        fleets.add(fleet);
        fleet.startAsync();
        Await.until(PATIENCE, "instance launched", () -> backend.launched().size() == 1);
        awaitState(fleet, "runner Registering", rs -> allIn(rs, RunnerState.Registering.class, 1));
        return fleet;
    }

    @Test
    void aRunnerIdleOnItsWordThatGitHubNeverListsFailsAsAnOrphanAndIsRetried() {
        RunnerFleet fleet = registeringUnseen();
        backend.listening(fleet.runners().get(0).instanceId());
        awaitState(fleet, "runner Idle on its word", rs -> allIn(rs, RunnerState.Idle.class, 1));
        clock.advance(Duration.ofMinutes(9));
        fleet.reconcile(PATIENCE);
        assertThat(fleet.runners().get(0).state()).as("within the registration timeout").isInstanceOf(RunnerState.Idle.class);
        clock.advance(Duration.ofMinutes(2));
        awaitState(fleet, "the ghost removed and its slot launched again", rs -> {
            clock.advance(Duration.ofSeconds(5));
            return backend.launched().size() == 2;
        });
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Offline
                && sc.cause().contains("said it was listening") && sc.cause().contains("orphan"));
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.RunnerRegistered);
    }

    @Test
    void anInstanceThatNeverRegistersIsAnOrphanAndIsRetried() {
        RunnerFleet fleet = registeringUnseen();
        runnersRegister.set(true);
        clock.advance(Duration.ofMinutes(11));
        awaitState(fleet, "orphan replaced and online", rs -> {
            clock.advance(Duration.ofSeconds(5));
            return allIn(rs, RunnerState.Idle.class, 1);
        });
        assertThat(backend.launched()).hasSize(2);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.cause().contains("orphan"));
    }

    @Test
    void aNewFleetWithTheSameNameAdoptsTheRunnersAndCreatesNoneTwice() {
        RunnerFleet first = started(fleet("f1", generic(2), ephemeral(1)));
        List<String> instances = first.runners().stream().map(Runner::instanceId).sorted().toList();
        first.close();

        RunnerFleet second = started(fleet("f1", generic(2), ephemeral(1)));
        assertThat(second.runners().stream().map(Runner::instanceId).sorted().toList()).isEqualTo(instances);
        assertThat(backend.launched()).hasSize(3);
        assertThat(second.runners()).allMatch(r -> r.state() instanceof RunnerState.Idle);
    }

    @Test
    void removeLeavesNoInstanceVolumeOrRegistration() {
        RunnerFleet fleet = started(fleet("f1", generic(2).volumes(new VolumeMount("work", "/home/runner/_work")), ephemeral(1)));
        fleet.remove();
        assertThat(backend.instances("f1")).isEmpty();
        assertThat(backend.volumes()).isEmpty();
        assertThat(registry.runners()).isEmpty();
    }

    @Test
    void removingARemovedFleetAgainDoesNothing() {
        RunnerFleet fleet = started(fleet("f1", generic(2)));
        fleet.remove();
        int deletes = registry.faults().calls(InMemoryRegistry.Operation.DELETE);
        fleet.removeNow();
        fleet.remove();
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.DELETE)).isEqualTo(deletes);
        assertThat(backend.instances("f1")).isEmpty();
    }

    @Test
    void removingAClosedFleetSaysHowToAdoptAndRemoveItsRunners() {
        RunnerFleet fleet = started(fleet("f1", generic(2)));
        fleet.close();
        assertThatThrownBy(fleet::removeNow).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("fleet f1 is closed").hasMessageContaining("same name");
        assertThat(backend.instances("f1")).hasSize(2);
        RunnerFleet adopter = started(fleet("f1", generic(2)));
        adopter.remove();
        assertThat(backend.instances("f1")).isEmpty();
        assertThat(registry.runners()).isEmpty();
    }

    @Test
    void removeNeverKillsARunningJobWithinTheDrainTimeout() {
        RunnerFleet fleet = started(fleet("f1", generic(2)));
        registry.markBusy("f1-generic-1");
        // The drain timeout (2 s) is measured on the fleet's clock: move it on while remove() waits.
        CompletableFuture<Void> removal = CompletableFuture.runAsync(fleet::remove);
        Await.until(PATIENCE, "remove() gives up on the busy runner", () -> {
            clock.advance(Duration.ofSeconds(1));
            return removal.isDone();
        });
        assertThatThrownBy(removal::join).hasCauseInstanceOf(FleetTimeoutException.class)
                .hasMessageContaining("f1-generic-1").hasMessageContaining("still running a job");
        assertThat(backend.instances("f1")).extracting(InstanceInfo::runnerName).containsExactly("f1-generic-1");
        assertThat(registry.runner("f1-generic-1")).isPresent();
        assertThat(registry.runner("f1-generic-2")).isEmpty();
    }

    @Test
    void removalTriesARefusedDeregistrationAgainUntilTheRegistryAcceptsIt() {
        RunnerFleet fleet = started(fleet("f1", generic(3)).drainTimeout(PATIENCE));
        // GitHub's secondary rate limit refuses content-changing requests for a while: a passing refusal.
        registry.faults().failNext(InMemoryRegistry.Operation.DELETE, 4,
                () -> new RegistrationException("injected: secondary rate limit, try again later"));
        fleet.removeNow();
        assertThat(registry.runners()).isEmpty();
        assertThat(backend.instances("f1")).isEmpty();
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.DELETE)).isGreaterThanOrEqualTo(7);
    }

    @Test
    void removalGivesUpOnARefusedDeregistrationAfterTheDrainTimeoutNamingTheRunnerAndTheReason() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        registry.faults().failNext(InMemoryRegistry.Operation.DELETE, 100_000,
                () -> new RegistrationException("injected: GitHub answered 502"));
        CompletableFuture<Void> removal = CompletableFuture.runAsync(fleet::removeNow);
        Await.until(PATIENCE, "removeNow() gives up after the drain timeout", () -> {
            clock.advance(Duration.ofSeconds(1));
            return removal.isDone();
        });
        assertThatThrownBy(removal::join).hasCauseInstanceOf(FleetTimeoutException.class)
                .hasMessageContaining("f1-generic-1").hasMessageContaining("injected: GitHub answered 502");
        assertThat(registry.runner("f1-generic-1")).as("nothing is lost: it can be removed again").isPresent();
    }

    @Test
    void removalFailsAtOnceWhenTheRegistryRefusesForGood() {
        RunnerFleet fleet = started(fleet("f1", generic(1)).drainTimeout(Duration.ofHours(1)));
        registry.faults().failNext(InMemoryRegistry.Operation.DELETE, 100_000, () -> new RegistrationException(
                "injected: 401 bad credentials") {
            @Override
            public boolean permanent() {
                return true;
            }
        });
        assertThatThrownBy(fleet::removeNow).isInstanceOf(FleetTimeoutException.class)
                .hasMessageContaining("f1-generic-1").hasMessageContaining("401 bad credentials");
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.DELETE)).isLessThan(5);
    }

    @Test
    void aDrainWaitingForABusyRunnerHoldsNoWorkerThread() {
        RunnerFleet fleet = started(fleet("f1", generic(2)).parallelism(1).drainTimeout(Duration.ofMinutes(1)));
        drainRunner2(fleet);
        // The fleet's only worker thread is free while the drain waits for the job: a killed runner is replaced meanwhile.
        Runner victim = fleet.runner("f1-generic-1").orElseThrow();
        backend.exit(victim.instanceId(), 137);
        awaitState(fleet, "runner 1 replaced", rs -> rs.get(0).state() instanceof RunnerState.Idle
                && !victim.instanceId().equals(rs.get(0).instanceId()));
        assertThat(fleet.runner("f1-generic-2").orElseThrow().state()).isInstanceOf(RunnerState.Draining.class);
        registry.completeJob("f1-generic-2");
        awaitState(fleet, "runner 2 removed once its job ended", rs -> rs.size() == 1);
        assertThat(registry.runner("f1-generic-2")).isEmpty();
        assertThat(backend.instances("f1")).hasSize(1);
    }

    // A registry whose deletes wait at a gate once gated: holds the fleet's only worker in a removal.
    private CountDownLatch gateDeletes(CountDownLatch deleting) {
        CountDownLatch gate = new CountDownLatch(1);
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).sleeper(d -> {
            deleting.countDown();
            gate.await();
        }).build();
        return gate;
    }

    // Both runners busy, then down to one: the busy runner in the higher slot drains; runner 1 is Idle again.
    private void drainRunner2(RunnerFleet fleet) {
        registry.markBusy("f1-generic-1");
        registry.markBusy("f1-generic-2");
        awaitState(fleet, "both Active", rs -> allIn(rs, RunnerState.Active.class, 2));
        fleet.scale("generic", 1);
        awaitState(fleet, "runner 2 Draining", rs -> rs.size() == 2 && rs.get(1).state() instanceof RunnerState.Draining);
        registry.completeJob("f1-generic-1");
        awaitState(fleet, "runner 1 Idle", rs -> rs.get(0).state() instanceof RunnerState.Idle);
    }

    @Test
    @Timeout(120)
    void scalingDownWhileARunnerIsReplacedCompletesWithOneWorkerThread() throws Exception {
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch gate = gateDeletes(deleting);
        RunnerFleet fleet = started(fleet("f1", generic(3)).parallelism(1));
        Runner victim = fleet.runner("f1-generic-2").orElseThrow();
        registry.faults().delay(InMemoryRegistry.Operation.DELETE, Duration.ofMillis(1));
        fleet.scale("generic", 1);   // the only worker removes runner 3 (held at the gate); runner 2's removal waits
        assertThat(deleting.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        backend.exit(victim.instanceId(), 137);
        fleet.reconcile(PATIENCE);   // a cycle sees runner 2 dead: its replacement would queue behind its removal
        registry.faults().delay(InMemoryRegistry.Operation.DELETE, Duration.ZERO);
        gate.countDown();
        awaitState(fleet, "one runner left", rs -> allIn(rs, RunnerState.Idle.class, 1));
        assertThat(fleet.runners()).extracting(Runner::name).containsExactly("f1-generic-1");
        assertThat(backend.instances("f1")).hasSize(1);
    }

    @Test
    @Timeout(120)
    void removeCompletesWithOneWorkerThreadWhileARunnerDrains() throws Exception {
        CountDownLatch deleting = new CountDownLatch(1);
        CountDownLatch gate = gateDeletes(deleting);
        ThreadPoolExecutor worker = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        try {
            // Cycles only when asked (and when something ends), so what the worker's queue holds is known.
            RunnerFleet fleet = started(fleet("f1", generic(2)).executor(worker).reconcileInterval(Duration.ofHours(1))
                    .pollInterval(Duration.ofHours(1)));
            drainRunner2(fleet);
            registry.faults().delay(InMemoryRegistry.Operation.DELETE, Duration.ofMillis(1));
            // remove(), not removeNow(): a kill would make runner 2's own drain attempt wait at the gate instead.
            CompletableFuture<Void> removal = CompletableFuture.runAsync(fleet::remove);
            assertThat(deleting.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();   // removing runner 1
            Await.until(PATIENCE, "runner 2's removal queued", () -> !worker.getQueue().isEmpty());
            fleet.reconcile(PATIENCE);   // runner 2's next drain attempt, queued behind its removal
            registry.completeJob("f1-generic-2");
            registry.faults().delay(InMemoryRegistry.Operation.DELETE, Duration.ZERO);
            gate.countDown();
            Await.until(PATIENCE, "remove() done", removal::isDone);
            removal.join();
            assertThat(backend.instances("f1")).isEmpty();
            assertThat(registry.runners()).isEmpty();
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void aDrainWaitingForAJobDoesNotSpinReconcileCycles() {
        RunnerFleet fleet = started(fleet("f1", generic(2)).reconcileInterval(Duration.ofHours(1))
                .pollInterval(Duration.ofHours(1)).drainTimeout(Duration.ofMinutes(5)));
        drainRunner2(fleet);
        fleet.reconcile(PATIENCE);
        long before = registry.faults().calls(InMemoryRegistry.Operation.RUNNERS);
        fleet.reconcile(PATIENCE);
        // Each cycle lists the runners at GitHub once: the drain's attempts must not chain cycles between these two.
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.RUNNERS) - before).isEqualTo(1);
    }

    // Plays one ephemeral runner's job to its end: GitHub deregisters it and its process exits 0.
    private void finishJob(Runner r) {
        registry.completeJob(r.name());
        backend.exit(r.instanceId(), 0);
    }

    @Test
    void ephemeralRunnersFinishingOutOfOrderAfterAScaleDownNeverMakeThePoolHoldMoreThanItWants() {
        RunnerFleet fleet = started(fleet("f1", ephemeral(3)));
        List<Runner> first = fleet.runners();
        List<String> originals = first.stream().map(Runner::name).toList();
        first.forEach(r -> registry.markBusy(r.name()));
        awaitState(fleet, "all three Active", rs -> allIn(rs, RunnerState.Active.class, 3));
        // From here on, at every event: once a new runner is live, the runners in service (a finished one being
        // removed is not; a draining one still is) are at most the 2 wanted.
        java.util.Map<String, RunnerState> last = new java.util.concurrent.ConcurrentHashMap<>();
        List<String> tooMany = new CopyOnWriteArrayList<>();
        fleet.addListener(e -> {
            if (e instanceof FleetEvent.StateChanged sc) {
                last.put(sc.runner(), sc.to());
                List<String> live = last.entrySet().stream().filter(x -> !(x.getValue() instanceof RunnerState.Removed
                        || x.getValue() instanceof RunnerState.Removing || x.getValue() instanceof RunnerState.Completed))
                        .map(java.util.Map.Entry::getKey).toList();
                long held = live.size() + originals.stream().filter(n -> !last.containsKey(n)).count();
                if (live.stream().anyMatch(n -> !originals.contains(n)) && held > 2) {
                    tooMany.add(sc + " with " + held + " live");
                }
            }
        });
        fleet.scale("eph", 2);
        finishJob(first.get(0));   // the lowest slot first: the pool still holds 2, no replacement
        awaitState(fleet, "runner 1 gone", rs -> rs.stream().noneMatch(r -> r.name().equals(originals.get(0))));
        assertThat(fleet.runners()).extracting(Runner::name).containsExactly(originals.get(1), originals.get(2));
        assertThat(backend.launched()).hasSize(3);
        finishJob(first.get(1));   // now the pool holds 1 of 2: one new runner
        awaitState(fleet, "one new runner Idle", rs -> rs.size() == 2 && rs.stream().anyMatch(r -> !originals.contains(r.name())
                && r.state() instanceof RunnerState.Idle));
        finishJob(first.get(2));
        awaitState(fleet, "two new runners Idle", rs -> allIn(rs, RunnerState.Idle.class, 2)
                && rs.stream().noneMatch(r -> originals.contains(r.name())));
        assertThat(backend.launched()).hasSize(5);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(originals.get(2))
                && sc.to() instanceof RunnerState.Removed);
        assertThat(tooMany).isEmpty();
    }

    @Test
    void aLaunchFailingAfterThePoolShrankIsNotRetried() throws Exception {
        CountDownLatch launching = new CountDownLatch(1);
        CountDownLatch gate = new CountDownLatch(1);
        backend = InMemoryBackend.builder().clock(clock).sleeper(d -> {
            launching.countDown();
            gate.await();
        }).build();
        backend.onLaunch(this::runnerStarts);
        RunnerFleet fleet = started(fleet("f1", RunnerPool.builder("generic").image("runner:1").labels("intel")
                .scaling(Scaling.onDemand(2, 3, Duration.ofHours(1)))));
        backend.faults().delay(InMemoryBackend.Operation.LAUNCH, Duration.ofMillis(1))
                .failNext(InMemoryBackend.Operation.LAUNCH, 1, () -> new RunnerFleetException("injected: engine refused the container"));
        fleet.scale("generic", 3);
        assertThat(launching.await(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();   // runner 3's launch, held
        fleet.scale("generic", 2);   // the runner not yet launched is the one to go
        backend.faults().delay(InMemoryBackend.Operation.LAUNCH, Duration.ZERO);
        gate.countDown();
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals("f1-generic-3")
                && sc.to() instanceof RunnerState.Removed);
        clock.advance(Duration.ofSeconds(30));   // past any backoff
        awaitState(fleet, "two runners", rs -> allIn(rs, RunnerState.Idle.class, 2));
        fleet.reconcile(PATIENCE);
        awaitEvent(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals("f1-generic-3")
                && sc.cause().contains("not retried"));
        assertThat(fleet.runners()).extracting(Runner::name).containsExactly("f1-generic-1", "f1-generic-2");
        assertThat(backend.faults().calls(InMemoryBackend.Operation.LAUNCH)).isEqualTo(3);
        assertThat(backend.instances("f1")).hasSize(2);
    }

    @Test
    void shutdownNowKillsRunningJobsAndKeepsVolumes() {
        RunnerFleet fleet = started(fleet("f1", generic(1).volumes(new VolumeMount("work", "/home/runner/_work"))));
        registry.markBusy("f1-generic-1");
        fleet.shutdownNow();
        Await.until(PATIENCE, "instance killed", () -> backend.instances("f1").isEmpty());
        registry.markOffline("f1-generic-1");          // GitHub notices the runner is gone and fails its job
        assertThat(fleet.awaitTermination(PATIENCE)).isTrue();
        assertThat(registry.runners()).isEmpty();
        assertThat(backend.instances("f1")).isEmpty();
        assertThat(backend.volumes()).containsExactly("f1-generic-1-work");
    }

    @Test
    void wrongCredentialsFailStartWithARegistrationErrorAndCreateNothing() {
        registry.faults().failNext(InMemoryRegistry.Operation.RUNNERS, 1,
                () -> new RegistrationException("GitHub answered 401 Bad credentials for organization acme"));
        RunnerFleet fleet = fleet("f1", generic(2)).build();
        fleets.add(fleet);
        assertThatThrownBy(fleet::start).isInstanceOf(RegistrationException.class).hasMessageContaining("401");
        assertThat(backend.launched()).isEmpty();
    }

    /** What a registry throws when GitHub refused for good (here: bad credentials). */
    private static final class Refused extends RegistrationException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }

        @Override
        public boolean permanent() {
            return true;
        }
    }

    @Test
    void aRegistrationRefusedForGoodFailsTheRunnerAtOnceWithTheReasonInsteadOfBackingOff() {
        registry.faults().failNext(InMemoryRegistry.Operation.JIT_CONFIG, 100,
                () -> new Refused("GitHub answered 401 Bad credentials for organization acme"));
        RunnerFleet fleet = fleet("f1", ephemeral(1)).build();
        fleets.add(fleet);
        CompletableFuture<RunnerFleet> start = fleet.startAsync();
        Await.until(PATIENCE, "start() ends", start::isDone);
        assertThatThrownBy(start::join).hasCauseInstanceOf(RunnerStartException.class)
                .hasMessageContaining("401 Bad credentials").hasMessageContaining("Failed");
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.JIT_CONFIG)).isEqualTo(1);
        assertThat(backend.launched()).isEmpty();
    }

    @Test
    void anUnreachableBackendFailsStartAndCreatesNothing() {
        backend.faults().failNext(InMemoryBackend.Operation.INSTANCES, 1,
                () -> new BackendUnavailableException("Docker at unix:///var/run/docker.sock does not answer"));
        RunnerFleet fleet = fleet("f1", generic(2)).build();
        fleets.add(fleet);
        assertThatThrownBy(fleet::start).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("docker.sock");
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.REGISTRATION_TOKEN)).isZero();
    }

    @Test
    void scalingDownDrainsTheExtraRunnersAndScalingUpAddsRunners() {
        RunnerFleet fleet = started(fleet("f1", generic(3)));
        fleet.scale("generic", 1);
        awaitState(fleet, "one runner left", rs -> allIn(rs, RunnerState.Idle.class, 1));
        assertThat(registry.runners()).extracting(RegisteredRunner::name).containsExactly("f1-generic-1");
        fleet.scale("generic", 2);
        awaitState(fleet, "two runners", rs -> allIn(rs, RunnerState.Idle.class, 2));
        assertThatThrownBy(() -> fleet.scale("generic", 10_000)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> fleet.scale("nope", 1)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("generic");
    }

    @Test
    void matchExplainsWhyNobodyCanTakeAJob() {
        RunnerFleet fleet = started(fleet("f1", generic(1), RunnerPool.builder("phytiumpi").image("runner:1")
                .labels("phytiumpi").scaling(Scaling.fixed(1))));
        MatchResult ok = fleet.match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi"));
        assertThat(ok.matched()).isTrue();
        assertThat(ok.poolToGrow()).map(Matcher.Candidate::name).contains("phytiumpi");
        MatchResult none = fleet.match(JobRequest.runsOn("self-hosted", "linux", "arm64-board"));
        assertThat(none.matched()).isFalse();
        assertThat(none.explain()).contains("arm64-board");
        Await.until(PATIENCE, "a warning event", () -> events.stream().anyMatch(e -> e instanceof FleetEvent.Warning w
                && w.message().contains("arm64-board")));
    }

    @Test
    void stopAndStartOfOneRunnerKeepItsRegistration() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        fleet.stop("f1-generic-1");
        assertThat(fleet.runner("f1-generic-1").orElseThrow().state()).isInstanceOf(RunnerState.Stopped.class);
        assertThat(registry.runner("f1-generic-1")).isPresent();
        fleet.reconcile(PATIENCE);
        assertThat(backend.launched()).as("a stopped runner is not replaced").hasSize(1);
        registry.markOnline("f1-generic-1");
        fleet.start("f1-generic-1");
        awaitState(fleet, "Idle again", rs -> allIn(rs, RunnerState.Idle.class, 1));
        assertThatThrownBy(() -> fleet.stop("f1-nope-1")).isInstanceOf(RunnerFleetException.class).hasMessageContaining("f1-generic-1");
    }

    @Test
    void builderNamesWhatIsMissingOrWrong() {
        assertThatThrownBy(() -> RunnerFleet.builder().build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(".name(").hasMessageContaining(".registry(").hasMessageContaining(".backend(")
                .hasMessageContaining(".pool(");
        assertThatThrownBy(() -> RunnerFleet.builder().name("Bad Name")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> fleet("f1", generic(1), generic(2))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("generic");
        assertThatThrownBy(() -> RunnerFleet.builder().parallelism(0)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> fleet("f1", generic(1)).reconcileInterval(Duration.ofSeconds(20))
                .quietInterval(Duration.ofSeconds(10)).build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("quietInterval").hasMessageContaining("reconcileInterval");
    }

    @Test
    void toStringIsReadable() {
        RunnerFleet fleet = started(fleet("f1", generic(1)));
        assertThat(fleet.toString()).isEqualTo("RunnerFleet[f1, organization acme, 1 runners {Idle=1}]");
        assertThat(fleet.runners().get(0).toString()).startsWith("Runner[f1-generic-1, Idle, instance mem");
    }
}
