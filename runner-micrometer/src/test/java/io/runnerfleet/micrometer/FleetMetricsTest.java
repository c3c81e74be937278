package io.runnerfleet.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnerfleet.JobRequest;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.FakeRunners;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The meters against a fleet on the in-memory registry and backend. */
class FleetMetricsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    private MutableClock clock;
    private InMemoryRegistry registry;
    private InMemoryBackend backend;
    private FakeRunners runners;
    private final List<AutoCloseable> closing = new ArrayList<>();

    @BeforeEach
    void fakes() {
        clock = MutableClock.standard();
        registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        backend = InMemoryBackend.builder().clock(clock).build();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private RunnerFleet fleet(String name, FleetMetrics metrics, RunnerPool.Builder... pools) {
        runners = FakeRunners.wire(backend, registry, name);
        closing.add(runners);
        RunnerFleet.Builder b = RunnerFleet.builder().name(name).registry(metrics.instrument(registry))
                .backend(metrics.instrument(backend)).clock(clock).pollInterval(Duration.ofMillis(20))
                .reconcileInterval(Duration.ofMillis(200)).startTimeout(PATIENCE).drainTimeout(Duration.ofSeconds(2));
        for (RunnerPool.Builder p : pools) {
            b.pool(p);
        }
        RunnerFleet fleet = b.build();
        closing.add(0, fleet);
        return fleet;
    }

    private static double gauge(MeterRegistry r, String name, String... tags) {
        return r.get(name).tags(tags).gauge().value();
    }

    @Test
    void runnersByPoolAndStateAndDesiredVersusActualEqualTheFleet() {
        FleetMetrics metrics = FleetMetrics.builder().registryStats(() -> new RegistryStats(7, 3, 1, 4990)).build();
        RunnerFleet fleet = fleet("m1", metrics,
                RunnerPool.builder("generic").image("runner:1").labels("intel").scaling(Scaling.fixed(3)),
                RunnerPool.builder("eph").image("runner:1").labels("qemu").ephemeral(true).scaling(Scaling.onDemand(0, 4)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        metrics.bindTo(meters);     // bound before watching: the fleet's meters arrive with watch()
        metrics.watch(fleet);
        fleet.start();

        Await.until(PATIENCE, "three idle runners counted", () -> gauge(meters, "runnerfleet.runners", "pool", "generic", "state", "idle") == 3);
        assertThat(gauge(meters, "runnerfleet.runners", "fleet", "m1", "pool", "generic", "state", "active")).isZero();
        assertThat(gauge(meters, "runnerfleet.runners", "pool", "eph", "state", "idle")).isZero();
        assertThat(gauge(meters, "runnerfleet.pool.desired", "pool", "generic")).isEqualTo(3);
        assertThat(gauge(meters, "runnerfleet.pool.actual", "pool", "generic")).isEqualTo(3);
        assertThat(gauge(meters, "runnerfleet.pool.max", "pool", "eph")).isEqualTo(4);
        assertThat(meters.get("runnerfleet.runners").gauges()).hasSize(2 * FleetMetrics.STATES.size());
        // Timed from the fleet's events, which reach the meters on the event thread a moment after the state.
        Await.until(PATIENCE, "three provisioning times", () ->
                meters.get("runnerfleet.runner.provisioning").tags("pool", "generic").timer().count() == 3);
        assertThat(meters.get("runnerfleet.github.requests").functionCounter().count()).isEqualTo(7);
        assertThat(meters.get("runnerfleet.github.not.modified").functionCounter().count()).isEqualTo(3);
        assertThat(gauge(meters, "runnerfleet.github.rate.limit.remaining")).isEqualTo(4990);
        assertThat(meters.get("runnerfleet.github.calls").tags("operation", "runners", "outcome", "success").timer().count())
                .isPositive();
        assertThat(meters.get("runnerfleet.backend.calls").tags("operation", "launch").timer().count()).isEqualTo(3);
        Await.until(PATIENCE, "a reconcile cycle timed", () -> {
            fleet.reconcile(PATIENCE);
            return meters.get("runnerfleet.reconcile.cycle").timer().count() > 0;
        });
    }

    @Test
    void aQueuedJobIsTimedUntilARunnerOfItsPoolTakesItAndItsRunIsTimedUntilItEnds() {
        FleetMetrics metrics = FleetMetrics.builder().build();
        RunnerFleet fleet = fleet("m2", metrics,
                RunnerPool.builder("eph").image("runner:1").labels("qemu").ephemeral(true).scaling(Scaling.onDemand(0, 4)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        metrics.watch(fleet).bindTo(meters);
        fleet.start();

        JobRequest job = JobRequest.runsOn("self-hosted", "qemu");
        Instant queued = clock.instant();
        assertThat(metrics.jobQueued(job, queued)).contains("eph");
        assertThat(fleet.demand(job)).contains("eph");
        assertThat(gauge(meters, "runnerfleet.jobs.waiting", "pool", "eph")).isEqualTo(1);
        Runner runner = Await.value(PATIENCE, "the new runner idle", () -> {
            fleet.reconcile(PATIENCE);
            return fleet.runners().stream().filter(r -> r.state() instanceof RunnerState.Idle).findFirst();
        });
        clock.advance(Duration.ofSeconds(42));
        runners.startJob(runner.name());
        Timer queue = meters.get("runnerfleet.job.queue").tags("pool", "eph").timer();
        Await.until(PATIENCE, "the job's queue time recorded", () -> {
            fleet.reconcile(PATIENCE);
            return queue.count() == 1;
        });
        assertThat(queue.totalTime(TimeUnit.SECONDS)).isGreaterThanOrEqualTo(42);
        assertThat(gauge(meters, "runnerfleet.jobs.waiting", "pool", "eph")).isZero();

        clock.advance(Duration.ofSeconds(5));
        runners.finishJob(runner.name());
        Timer duration = meters.get("runnerfleet.job.duration").tags("pool", "eph").timer();
        Await.until(PATIENCE, "the job's duration recorded", () -> {
            fleet.reconcile(PATIENCE);
            return duration.count() == 1;
        });
        assertThat(duration.totalTime(TimeUnit.SECONDS)).isGreaterThanOrEqualTo(5);
    }

    @Test
    void aJobReportedByADemandSourceIsTimedFromItsStartToItsEndOnce() {
        FleetMetrics metrics = FleetMetrics.builder().build();
        RunnerFleet fleet = fleet("m5", metrics, RunnerPool.builder("generic").image("runner:1").scaling(Scaling.fixed(1)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        metrics.watch(fleet).bindTo(meters);
        fleet.start();
        Timer duration = meters.get("runnerfleet.job.duration").tags("pool", "generic").timer();

        // told of the start before the fleet sees the runner busy, and of the end before it sees it idle again
        fleet.jobStarted("m5-generic-1", new RunnerJob("7", "build", "acme/widgets", 1, null));
        clock.advance(Duration.ofSeconds(30));
        runners.startJob("m5-generic-1");
        Await.until(PATIENCE, "runner Active", () -> {
            fleet.reconcile(PATIENCE);
            return fleet.runner("m5-generic-1").orElseThrow().state() instanceof RunnerState.Active;
        });
        clock.advance(Duration.ofSeconds(60));
        fleet.jobEnded("m5-generic-1", "7");
        Await.until(PATIENCE, "the job's duration recorded", () -> duration.count() == 1);
        runners.finishJob("m5-generic-1");
        Await.until(PATIENCE, "runner Idle again", () -> {
            fleet.reconcile(PATIENCE);
            return fleet.runner("m5-generic-1").orElseThrow().state() instanceof RunnerState.Idle;
        });
        fleet.jobStarted("m5-generic-1", new RunnerJob("8", "test", "acme/widgets", 1, null));   // marks the event queue
        Await.until(PATIENCE, "the second job's start counted", () -> meters.find("runnerfleet.events")
                .tags("type", "JobStarted").counter() != null
                && meters.get("runnerfleet.events").tags("type", "JobStarted").counter().count() == 2);

        assertThat(duration.count()).as("the job, not also the runner's time Active").isEqualTo(1);
        assertThat(duration.totalTime(TimeUnit.SECONDS)).isEqualTo(90);
    }

    @Test
    void failedCallsAreCountedAsErrorsOfTheirSide() {
        FleetMetrics metrics = FleetMetrics.builder().build();
        RunnerFleet fleet = fleet("m3", metrics, RunnerPool.builder("generic").image("runner:1").scaling(Scaling.fixed(1)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        metrics.watch(fleet).bindTo(meters);
        registry.faults().failNext(InMemoryRegistry.Operation.RUNNERS, 1, () -> new RegistrationException("GitHub said 502"));
        assertThatThrownBy(fleet::start).isInstanceOf(RegistrationException.class);
        assertThat(meters.get("runnerfleet.errors").tags("kind", "github").counter().count()).isEqualTo(1);
        assertThat(meters.get("runnerfleet.github.calls").tags("operation", "runners", "outcome", "error").timer().count())
                .isEqualTo(1);
    }

    @Test
    void closeRemovesTheMetersAndWatchingTwiceIsRefused() {
        FleetMetrics metrics = FleetMetrics.builder().build();
        RunnerFleet fleet = fleet("m4", metrics, RunnerPool.builder("generic").image("runner:1").scaling(Scaling.fixed(1)));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        metrics.watch(fleet).bindTo(meters);
        assertThat(meters.find("runnerfleet.runners").gauges()).isNotEmpty();
        assertThatThrownBy(() -> metrics.watch(fleet)).isInstanceOf(IllegalStateException.class).hasMessageContaining("m4");
        metrics.close();
        assertThat(meters.getMeters()).isEmpty();
        assertThat(metrics.toString()).contains("m4", "closed");
    }
}
