package io.runnerfleet.examples.scaleset;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.examples.ChildJvm;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet driven by a runner scale set on the real Docker engine against the fake GitHub's Actions
 * service: bursts, a killed fleet JVM, and the faults the listener heals (session eviction, queue token
 * expiry, the scale set deleted mid-run), each with no human step.
 */
@ExtendWith(DockerEngine.class)
class ScaleSetFleetIT {
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    @TempDir
    Path tmp;
    private FakeGitHub github;
    private FakeScope acme;
    private FakeScope repo;
    private Secret pat;
    private DockerBackend backend;
    private final List<ScaleSetFleet> fleets = new ArrayList<>();
    private final List<String> fleetNames = new ArrayList<>();
    private final List<ChildJvm> children = new ArrayList<>();
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void image() throws Exception {
        DockerEngine.busyboxImage();
        Path context = FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner-image"));
        try (DockerBackend b = DockerBackend.fromEnvironment()) {
            b.prepare(RunnerImage.dockerfile(context).tag(FakeRunnerImage.TAG), p -> { });
        }
    }

    @BeforeEach
    void fakeGitHub() {
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(30)).pollTimeout(Duration.ofSeconds(5)).build()
                .start();
        acme = github.organization(ScaleSetFleet.ORG);
        repo = acme.repository("widgets");
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
    }

    @AfterEach
    void removeEverything() {
        try {
            children.forEach(ChildJvm::close);
            for (ScaleSetFleet f : fleets) {
                try {
                    f.autoscaler().close();
                    f.fleet().removeNow();
                } catch (RuntimeException e) {
                    // the leak check below says what was left
                } finally {
                    f.close();
                }
            }
            for (String name : fleetNames) {
                DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, name);
            }
            assertThat(acme.runners()).as("registrations left at GitHub").isEmpty();
        } finally {
            backend.close();
            github.close();
        }
    }

    private String fleetName() {
        String name = "ss" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        fleetNames.add(name);
        return name;
    }

    private ScaleSetFleet start(String name, int max, Path state) {
        ScaleSetFleet f = new ScaleSetFleet(github.url(), pat, name, max, state, backend, events::add);
        fleets.add(f);
        return f.start();
    }

    private List<FakeJob> queue(int n, Duration runFor) {
        List<FakeJob> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(github.queueJob(repo, runFor, ScaleSetFleet.SCALE_SET));
        }
        return jobs;
    }

    private static boolean allCompleted(List<FakeJob> jobs) {
        return jobs.stream().allMatch(j -> "completed".equals(j.status()));
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(PATIENCE, what, condition);
    }

    private List<String> launched() {
        return events.stream().filter(e -> e instanceof FleetEvent.InstanceLaunched)
                .map(e -> ((FleetEvent.InstanceLaunched) e).runner()).toList();
    }

    private void awaitBackAtMinimum(ScaleSetFleet f) {
        await("the pool back at 0 runners, no container, no registration", () -> f.fleet().runners().isEmpty()
                && f.fleet().status().desired().get(ScaleSetFleet.POOL) == 0
                && backend.instances(f.fleet().name()).isEmpty() && acme.runners().isEmpty());
    }

    @Test
    void twentyJobsQueuedAtOnceBecomeExactlyTwentyRunnersThatTakeOneJobEachAndThePoolReturnsToZero() {
        ScaleSetFleet f = start(fleetName(), 30, tmp.resolve("state.json"));
        List<FakeJob> jobs = queue(20, Duration.ofSeconds(3));
        await("20 jobs completed: " + jobs, () -> allCompleted(jobs));

        assertThat(jobs).allMatch(j -> "success".equals(j.conclusion()));
        Set<String> runners = jobs.stream().map(FakeJob::runnerName).collect(Collectors.toSet());
        assertThat(runners).as("one runner per job").hasSize(20).allMatch(n -> n.startsWith(f.fleet().name() + "-linux-"));
        awaitBackAtMinimum(f);
        assertThat(github.requests("actions-service/generate-jit-config")).as("JIT configs from the scale set").isEqualTo(20);
        assertThat(launched()).as("containers started").hasSize(20).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(runners);
        // JobStarted moved each runner to Active while its job ran, not after it.
        for (String runner : runners) {
            assertThat(events).as(runner + " Active").anyMatch(e -> e instanceof FleetEvent.StateChanged sc
                    && sc.runner().equals(runner) && sc.to() instanceof RunnerState.Active);
        }
        assertThat(acme.scaleSet(ScaleSetFleet.SCALE_SET).orElseThrow().statistics().assignedJobs()).isZero();
    }

    @Test
    void theFleetJvmKilledInTheMiddleOfABurstLosesNoJobAndDuplicatesNoRunner() throws Exception {
        String name = fleetName();
        Path state = tmp.resolve("state.json");
        ChildJvm first = child(name, state);
        first.await("ready", PATIENCE);
        List<FakeJob> jobs = queue(20, Duration.ofSeconds(4));
        await("some jobs running and some still queued", () -> jobs.stream().anyMatch(j -> "in_progress".equals(j.status()))
                && jobs.stream().anyMatch(j -> "queued".equals(j.status())));
        first.kill();
        long doneAtKill = jobs.stream().filter(j -> "completed".equals(j.status())).count();
        long queuedAtKill = jobs.stream().filter(j -> "queued".equals(j.status())).count();

        ScaleSetFleet f = start(name, 30, state);
        await("20 jobs completed after the restart: " + jobs, () -> allCompleted(jobs));
        assertThat(doneAtKill).as("killed in the middle").isLessThan(20);
        assertThat(queuedAtKill).as("jobs still waiting for a runner at the kill").isPositive();
        assertThat(jobs).as("no job lost or failed").allMatch(j -> "success".equals(j.conclusion()));
        List<String> runners = jobs.stream().map(FakeJob::runnerName).toList();
        assertThat(runners).as("one runner per job, none twice").doesNotHaveDuplicates()
                .allMatch(n -> n.startsWith(name + "-linux-"));
        long jits = github.requests("actions-service/generate-jit-config");
        // A runner's JIT config is minted on a worker just before its launch: at the kill, at most one per worker
        // of the killed fleet was minted without a container; the restarted fleet mints those again.
        assertThat(jits).as("JIT configs: one per job, plus at most the few registered but not started at the kill")
                .isBetween(20L, 20L + RunnerFleet.DEFAULT_PARALLELISM);
        awaitBackAtMinimum(f);
        assertThat(launched()).as("containers the restarted fleet started").doesNotHaveDuplicates();
        System.out.println("kill test: " + doneAtKill + " of 20 jobs done and " + queuedAtKill + " queued at the kill, " + jits + " JIT configs in all, "
                + launched().size() + " containers started after the restart");
    }

    @Test
    void sessionEvictionTokenExpiryAndADeletedScaleSetMidRunRecoverWithNoHumanStep() {
        ScaleSetFleet f = start(fleetName(), 10, tmp.resolve("state.json"));
        List<FakeJob> jobs = new ArrayList<>(queue(3, Duration.ofSeconds(2)));

        assertThat(github.evictSessions()).isEqualTo(1);
        jobs.addAll(queue(3, Duration.ofSeconds(2)));
        await("jobs done after an eviction", () -> allCompleted(jobs));

        github.expireQueueTokens();
        jobs.addAll(queue(3, Duration.ofSeconds(2)));
        await("jobs done after the queue token expired", () -> allCompleted(jobs));

        List<FakeJob> running = queue(2, Duration.ofSeconds(4));
        jobs.addAll(running);
        await("a job running", () -> running.stream().anyMatch(j -> "in_progress".equals(j.status())));
        long before = acme.scaleSet(ScaleSetFleet.SCALE_SET).orElseThrow().id();
        acme.deleteScaleSet(ScaleSetFleet.SCALE_SET);
        jobs.addAll(queue(3, Duration.ofSeconds(2)));
        await("jobs done after the scale set was deleted: " + jobs, () -> allCompleted(jobs));
        assertThat(acme.scaleSet(ScaleSetFleet.SCALE_SET).orElseThrow().id()).as("created again").isNotEqualTo(before);

        assertThat(jobs).hasSize(14).allMatch(j -> "success".equals(j.conclusion()));
        assertThat(jobs.stream().map(FakeJob::runnerName).toList()).doesNotHaveDuplicates();
        awaitBackAtMinimum(f);
    }

    // ---- the child JVM ---------------------------------------------------------------------------------

    private ChildJvm child(String name, Path state) throws IOException {
        ChildJvm child = ChildJvm.start(ScaleSetFleet.class, Map.of("GH_PAT", pat.reveal()), github.url(), name,
                state.toString(), "30");
        children.add(child);
        return child;
    }
}
