package io.runnerfleet.examples.faults;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Container;
import io.runnerfleet.FleetEvent;
import io.runnerfleet.JobRequest;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.examples.ChildJvm;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import io.runnerfleet.testkit.Fault;
import io.runnerfleet.testkit.WebhookDelivery;
import io.runnerfleet.testing.Await;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fault matrix: each test does one thing to a fleet on the real engine, registered at the fake GitHub,
 * and checks the promise the fleet keeps under it; together they print one table (fault, promise, result,
 * seconds to recover, ghosts, leaked containers and volumes, duplicate runners, jobs killed), which the
 * README copies. A broken promise fails the test after its row is recorded, so the table shows every row.
 *
 * <p>Seconds to recover are measured from the end of the fault (the kill, the outage's last second, the
 * engine answering again) to the fleet converged again: every wanted runner Idle, online at GitHub, one
 * running container each. They are figures for the table, never asserted: what bounds them is the fleet's
 * own start timeout and this suite's patience.
 */
@ExtendWith(DockerEngine.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultMatrixIT {
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final String TOKEN = "actions/create-registration-token-for-org";
    private static final String JIT = "actions/generate-runner-jitconfig-for-org";
    private static final String LIST = "actions/list-self-hosted-runners-for-org";
    private static final String DELETE = "actions/delete-self-hosted-runner-from-org";
    private static final FaultTable table = new FaultTable();

    private FakeGitHub github;
    private FakeScope acme;
    private Secret pat;
    private DockerBackend backend;
    private final List<RunnerFleet> fleets = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final List<FakeJob> jobs = new CopyOnWriteArrayList<>();
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();
    private final List<ChildJvm> children = new ArrayList<>();

    @BeforeAll
    static void image() throws IOException {
        DockerEngine.busyboxImage();
        try (DockerBackend b = DockerBackend.fromEnvironment()) {
            b.prepare(RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("fault-matrix-image")))
                    .tag(FakeRunnerImage.TAG), p -> { });
        }
    }

    @AfterAll
    static void printTable() {
        table.print();
    }

    @BeforeEach
    void fakeGitHub() {
        // A runner whose session is gone shows offline after 5 s (GitHub takes longer; the fleet must not care).
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(5)).build().start();
        acme = github.organization(FaultFleet.ORG);
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
    }

    @AfterEach
    void cleanUp() {
        try {
            children.forEach(ChildJvm::close);
            github.clearFaults();
            for (RunnerFleet f : fleets) {
                try {
                    f.removeNow();
                } catch (RuntimeException e) {
                    // the row says what was left
                } finally {
                    f.close();   // stops its reconciler before the backend below is closed
                }
            }
            for (String name : names) {
                for (Container c : DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, name)) {
                    DockerEngine.client().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
                }
                DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, name)
                        .forEach(v -> DockerEngine.client().removeVolumeCmd(v.getName()).exec());
            }
        } finally {
            backend.close();
            github.close();
        }
    }

    // ---- the rows -------------------------------------------------------------------------------

    @Test
    @Order(1)
    void fleetJvmKilledHalfASecondIntoStart() throws Exception {
        crashDuringStart(500);
    }

    @Test
    @Order(2)
    void fleetJvmKilledOneAndAHalfSecondsIntoStart() throws Exception {
        crashDuringStart(1500);
    }

    private void crashDuringStart(long afterMillis) throws Exception {
        row("fleet JVM killed " + afterMillis / 1000.0 + " s into start() of 6",
                "the next fleet of that name converges at once: 6 runners, none twice, no ghost", 0, () -> {
                    String name = newName();
                    ChildJvm child = child(name, 6);
                    child.await("starting", PATIENCE);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(afterMillis));   // the fault's moment
                    child.kill();
                    long t0 = System.nanoTime();
                    RunnerFleet fleet = start(FaultFleet.builder(github.url(), pat, name,
                            FaultFleet.pool(Scaling.fixed(6)), backend).listener(events::add));
                    double recover = seconds(t0);
                    await("6 runners converged", () -> converged(fleet, 6));
                    return new Outcome(recover, ghosts(name), duplicates(name, 6) + launchedTwice(name));
                });
    }

    @Test
    @Order(3)
    void fleetJvmKilledWhileSteady() throws Exception {
        row("fleet JVM killed while steady (4 Idle)",
                "the next fleet adopts every runner at once and creates nothing", 0, () -> {
                    String name = newName();
                    ChildJvm child = child(name, 4);
                    child.await("ready", PATIENCE);
                    List<String> before = containerIds(name);
                    child.kill();
                    long t0 = System.nanoTime();
                    RunnerFleet fleet = start(FaultFleet.builder(github.url(), pat, name,
                            FaultFleet.pool(Scaling.fixed(4)), backend).listener(events::add));
                    double recover = seconds(t0);
                    await("4 runners converged", () -> converged(fleet, 4));
                    assertThat(containerIds(name)).as("containers after adoption").isEqualTo(before);
                    long launched = launches(name).size();
                    return new Outcome(recover, ghosts(name), duplicates(name, 4) + (int) launched);
                });
    }

    @Test
    @Order(4)
    void runnerContainerKilledWhileIdle() throws Exception {
        row("a runner's container killed while Idle", "replaced at once, no ghost", 0, () -> {
            RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.fixed(3)));
            Runner victim = fleet.runners().get(0);
            DockerEngine.client().killContainerCmd(victim.instanceId()).exec();
            long t0 = System.nanoTime();
            await("the killed runner replaced", () -> converged(fleet, 3)
                    && !fleet.runner(victim.name()).map(Runner::instanceId).orElse(victim.instanceId()).equals(victim.instanceId()));
            return new Outcome(seconds(t0), ghosts(fleet.name()), duplicates(fleet.name(), 3));
        });
    }

    @Test
    @Order(5)
    void runnerContainerKilledWhileBusy() throws Exception {
        row("a runner's container killed during a job (as for exit 137)",
                "replaced at once; its registration deleted once GitHub lets go; only that job lost", 1, () -> {
                    RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.fixed(3)));
                    FakeJob job = queue(Duration.ofSeconds(60));
                    await("a runner Active", () -> fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
                    Runner victim = fleet.runners().stream().filter(r -> r.state() instanceof RunnerState.Active)
                            .findFirst().orElseThrow();
                    DockerEngine.client().killContainerCmd(victim.instanceId()).exec();
                    long t0 = System.nanoTime();
                    await("the busy runner replaced and GitHub's job failed", () -> converged(fleet, 3)
                            && "completed".equals(job.status()));
                    return new Outcome(seconds(t0), ghosts(fleet.name()), duplicates(fleet.name(), 3));
                });
    }

    @Test
    @Order(6)
    void gitHubAnswering5xxDuringScaleUp() throws Exception {
        gitHubOutageDuringScaleUp("GitHub answering 503 for 10 s during a scale-up 2 → 5", Fault.status(503));
    }

    @Test
    @Order(7)
    void gitHubHangingDuringScaleUp() throws Exception {
        gitHubOutageDuringScaleUp("GitHub hanging (20 s answers) for 10 s during a scale-up 2 → 5",
                Fault.delay(Duration.ofSeconds(20)));
    }

    @Test
    @Order(8)
    void primaryRateLimitWithoutRetryAfterDuringScaleUp() throws Exception {
        // GitHub asks a client refused without retry-after to wait at least a minute: the client holds back that long.
        gitHubOutageDuringScaleUp("GitHub answering 429 without retry-after for 10 s during a scale-up 2 → 5",
                "converges to 5 once GitHub's minute of holding back is over; no ghost, nothing twice", Fault.status(429));
    }

    @Test
    @Order(9)
    void secondaryRateLimitDuringScaleUp() throws Exception {
        gitHubOutageDuringScaleUp("GitHub's secondary rate limit (retry-after 3 s) for 10 s during a scale-up 2 → 5",
                Fault.secondaryLimit(Duration.ofSeconds(3)));
    }

    @Test
    @Order(10)
    void revokedTokenDuringScaleUp() throws Exception {
        gitHubOutageDuringScaleUp("GitHub answering 401 (token revoked, then restored) for 10 s during a scale-up 2 → 5",
                Fault.status(401));
    }

    private void gitHubOutageDuringScaleUp(String fault, Fault f) throws Exception {
        gitHubOutageDuringScaleUp(fault, "converges to 5 within seconds of GitHub answering again; no ghost, nothing twice", f);
    }

    private void gitHubOutageDuringScaleUp(String fault, String promise, Fault f) throws Exception {
        row(fault, promise, 0, () -> {
            RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.onDemand(2, 8, Duration.ofHours(1))));
            Duration outage = Duration.ofSeconds(10);
            long ends = System.nanoTime() + outage.toNanos();
            github.outage(outage, f, TOKEN, JIT, LIST);
            fleet.scale(FaultFleet.POOL, 5);
            await("5 runners converged", () -> converged(fleet, 5));
            return new Outcome(Math.max(0, seconds(ends)), ghosts(fleet.name()), duplicates(fleet.name(), 5));
        });
    }

    @Test
    @Order(11)
    void conflictsDuringScaleUpAndDown() throws Exception {
        row("GitHub answering 409/422 to JIT configs, tokens and deletes during a scale 2 → 5 → 2",
                "retried; converges to 2 with no ghost and nothing twice", 0, () -> {
                    RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.onDemand(2, 8, Duration.ofHours(1))));
                    github.failNext(TOKEN, 2, Fault.status(422));
                    github.failNext(JIT, 2, Fault.status(409));
                    github.failNext(DELETE, 3, Fault.status(422));
                    long t0 = System.nanoTime();
                    fleet.scale(FaultFleet.POOL, 5);
                    await("5 runners converged", () -> converged(fleet, 5));
                    fleet.scale(FaultFleet.POOL, 2);
                    await("back to 2", () -> converged(fleet, 2) && registrations(fleet.name()).size() == 2);
                    return new Outcome(seconds(t0), ghosts(fleet.name()), duplicates(fleet.name(), 2));
                });
    }

    @Test
    @Order(12)
    void tokenAndJitOutageUnderAnEphemeralPool() throws Exception {
        row("GitHub's token and JIT endpoints down for 40 s while 3 ephemeral runners finish jobs",
                "no runner Failed for good: 3 fresh runners within seconds of GitHub answering", 0, () -> {
                    RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.fixed(3)).ephemeral(true));
                    Duration outage = Duration.ofSeconds(40);
                    long ends = System.nanoTime() + outage.toNanos();
                    github.outage(outage, Fault.status(503), TOKEN, JIT);
                    for (int i = 0; i < 3; i++) {
                        queue(Duration.ofSeconds(1));
                    }
                    await("the 3 jobs done", () -> jobs.stream().allMatch(j -> "completed".equals(j.status())));
                    await("3 fresh runners converged", () -> converged(fleet, 3)
                            && fleet.runners().stream().noneMatch(r -> jobs.stream().anyMatch(j -> r.name().equals(j.runnerName()))));
                    return new Outcome(Math.max(0, seconds(ends)), ghosts(fleet.name()), duplicates(fleet.name(), 3));
                });
    }

    @Test
    @Order(13)
    void webhookFloodWithRedeliveries() throws Exception {
        row("1,000 webhook deliveries: 20 queued jobs, each delivered 50 times, from 100 senders",
                "the pool grows by exactly 20 for 20 jobs; every job runs", 0, () -> {
                    // Runners left idle once the jobs are done go after 15 s (the top one at once, when its job ends).
                    RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.onDemand(0, 25, Duration.ofSeconds(15))).ephemeral(true));
                    Secret secret = Secret.of("fault-matrix-webhook-secret");
                    try (WebhookReceiver hooks = WebhookReceiver.builder(secret).fleet(fleet).build().start()) {
                        github.webhook(hooks.uri(), secret);
                        long t0 = System.nanoTime();
                        for (int i = 0; i < 20; i++) {
                            queue(Duration.ofSeconds(2));
                        }
                        await("20 queued deliveries sent", () -> queuedDeliveries().size() == 20);
                        redeliver(hooks, queuedDeliveries(), 49, 100);
                        await("every job done", () -> jobs.stream().allMatch(j -> "completed".equals(j.status())));
                        double done = seconds(t0);
                        // Each demanded job grows the pool by one, with a "job queued" event: count those. (Counting runner
                        // names would also count an idle runner retired and replaced while the jobs ran.)
                        long demanded = events.stream().filter(e -> e instanceof FleetEvent.PoolScaled p
                                && p.to() == p.from() + 1 && p.reason().startsWith("job queued")).count();
                        int extra = (int) Math.max(0, demanded - 20);
                        await("the pool back to 0", () -> fleet.runners().isEmpty());
                        return new Outcome(done, ghosts(fleet.name()), extra);
                    }
                });
    }

    @Test
    @Order(14)
    void aHundredConcurrentCalls() throws Exception {
        row("100 concurrent scale / demand / stop / start calls",
                "every invariant kept; converges to the last scale", 0, () -> {
                    RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.onDemand(1, 6, Duration.ofHours(1))));
                    String pool = FaultFleet.POOL;
                    ExecutorService callers = Executors.newFixedThreadPool(100);
                    CountDownLatch go = new CountDownLatch(1);
                    AtomicInteger refused = new AtomicInteger();
                    try {
                        for (int i = 0; i < 100; i++) {
                            int kind = i % 4;
                            callers.execute(() -> {
                                try {
                                    go.await();
                                    String runner = fleet.name() + "-" + pool + "-" + (1 + ThreadLocalRandom.current().nextInt(6));
                                    switch (kind) {
                                        case 0 -> fleet.scale(pool, ThreadLocalRandom.current().nextInt(7));
                                        case 1 -> fleet.demand(JobRequest.runsOn("self-hosted", "gen"));
                                        case 2 -> fleet.stop(runner);
                                        default -> fleet.start(runner);
                                    }
                                } catch (RunnerFleetException | IllegalStateException | IllegalArgumentException e) {
                                    refused.incrementAndGet();   // a runner that is not there (yet) says so
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                        }
                        go.countDown();
                        callers.shutdown();
                        assertThat(callers.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the calls returned").isTrue();
                    } finally {
                        callers.shutdownNow();
                    }
                    long t0 = System.nanoTime();
                    fleet.scale(pool, 3);
                    await("3 runners converged", () -> {
                        fleet.runners().stream().filter(r -> r.state() instanceof RunnerState.Stopped)
                                .forEach(r -> fleet.start(r.name()));
                        return converged(fleet, 3);
                    });
                    return new Outcome(seconds(t0), ghosts(fleet.name()), duplicates(fleet.name(), 3));
                });
    }

    @Test
    @Order(15)
    void dockerEngineRestartedUnderARunningFleet() throws Exception {
        String why = engineNotOurs();
        if (why != null) {
            table.add(new FaultTable.Row("Docker engine restarted under 3 runners", "—", "skipped: " + why, -1, 0, 0, 0, 0, 0));
            System.out.println("FaultMatrixIT.dockerEngineRestartedUnderARunningFleet skipped: " + why);
            Assumptions.abort(why);
        }
        row("Docker engine restarted under 3 runners", "every runner back, Idle, within seconds of the engine answering", 0, () -> {
            RunnerFleet fleet = fleet(FaultFleet.pool(Scaling.fixed(3)));
            restartEngine();
            long t0 = System.nanoTime();
            await("3 runners converged", () -> converged(fleet, 3));
            return new Outcome(seconds(t0), ghosts(fleet.name()), duplicates(fleet.name(), 3));
        });
    }

    // ---- one row ------------------------------------------------------------------------------

    /** What a scenario measured once its fleet converged. */
    private record Outcome(double recoverSeconds, int ghosts, int duplicates) {
    }

    @FunctionalInterface
    private interface Scenario {
        Outcome run() throws Exception;
    }

    /**
     * Runs a scenario, removes its fleets, counts what was left and the jobs that did not succeed, records the
     * row, and then fails the test when the promise broke.
     */
    private void row(String fault, String promise, int jobsExpectedKilled, Scenario scenario) throws Exception {
        Outcome outcome = null;
        Throwable failure = null;
        try {
            outcome = scenario.run();
        } catch (Exception | AssertionError e) {
            failure = e;
        }
        String removal = null;
        for (RunnerFleet f : fleets) {
            try {
                github.clearFaults();
                f.remove();
            } catch (RuntimeException e) {
                removal = "remove() threw " + e;
            }
        }
        int containers = 0;
        int volumes = 0;
        for (String name : names) {
            containers += DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, name).size();
            volumes += DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, name).size();
        }
        int ghostsAfter = (int) acme.runners().stream().filter(r -> names.stream().anyMatch(n -> r.name().startsWith(n + "-"))).count();
        int killed = (int) jobs.stream().filter(j -> !"success".equals(j.conclusion())).count();
        List<String> broken = new ArrayList<>();
        if (failure != null) {
            broken.add(firstLine(failure));
        }
        if (outcome != null && outcome.ghosts() > 0) {
            broken.add(outcome.ghosts() + " ghost(s)");
        }
        if (outcome != null && outcome.duplicates() > 0) {
            broken.add(outcome.duplicates() + " duplicate(s)");
        }
        if (removal != null) {
            broken.add(removal);
        }
        if (containers + volumes > 0) {
            broken.add(containers + " container(s) and " + volumes + " volume(s) left after remove()");
        }
        if (ghostsAfter > 0) {
            broken.add(ghostsAfter + " registration(s) left after remove()");
        }
        if (killed != jobsExpectedKilled) {
            broken.add(killed + " job(s) did not succeed, expected " + jobsExpectedKilled);
        }
        String result = broken.isEmpty() ? "held" : "BROKEN: " + String.join("; ", broken);
        table.add(new FaultTable.Row(fault, promise, result, outcome == null ? -1 : outcome.recoverSeconds(),
                outcome == null ? ghostsAfter : outcome.ghosts() + ghostsAfter, containers, volumes,
                outcome == null ? 0 : outcome.duplicates(), killed));
        if (failure != null) {
            throw new AssertionError(fault + ": " + result + "\nevents: " + events, failure);
        }
        assertThat(broken).as("%s: the promise \"%s\"; events: %s", fault, promise, events).isEmpty();
    }

    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return (t.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl))).replace('|', '/');
    }

    // ---- fleets, children and jobs ---------------------------------------------------------------

    private String newName() {
        String name = "fm" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 24), 36);
        names.add(name);
        return name;
    }

    private RunnerFleet fleet(RunnerPool.Builder pool) {
        return start(FaultFleet.builder(github.url(), pat, newName(), pool, backend).listener(events::add));
    }

    private RunnerFleet start(RunnerFleet.Builder b) {
        RunnerFleet fleet = b.build();
        fleets.add(fleet);
        fleet.start();
        return fleet;
    }

    private FakeJob queue(Duration runFor) {
        FakeJob job = github.queueJob(acme.repository("widgets"), runFor, "self-hosted", "gen");
        jobs.add(job);
        return job;
    }

    /** A fleet in a child JVM (the same {@link FaultFleet}), whose output lines are collected. */
    private ChildJvm child(String name, int runners) throws IOException {
        ChildJvm child = ChildJvm.start(FaultFleet.class, Map.of("GH_PAT", pat.reveal()), github.url(), name,
                Integer.toString(runners));
        children.add(child);
        return child;
    }

    // ---- what the fleet, GitHub and the engine say ---------------------------------------------

    private List<FakeRunnerView> registrations(String fleet) {
        return acme.runners().stream().filter(r -> r.name().startsWith(fleet + "-")).toList();
    }

    private static List<Container> containers(String fleet) {
        return DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet);
    }

    private static List<String> containerIds(String fleet) {
        return containers(fleet).stream().map(Container::getId).sorted().toList();
    }

    /** Every wanted runner Idle, online and not busy at GitHub, with exactly one running container each. */
    private boolean converged(RunnerFleet fleet, int n) {
        List<Runner> runners = fleet.runners();
        if (runners.size() != n || !runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle)) {
            return false;
        }
        List<FakeRunnerView> regs = registrations(fleet.name());
        List<Container> cs = containers(fleet.name());
        return regs.size() == n && regs.stream().allMatch(r -> r.online() && !r.busy())
                && cs.size() == n && cs.stream().allMatch(c -> "running".equals(c.getState()))
                && runners.stream().map(Runner::instanceId).collect(Collectors.toSet())
                        .equals(cs.stream().map(Container::getId).collect(Collectors.toSet()));
    }

    /** Registrations of the fleet at GitHub whose runner has no container. */
    private int ghosts(String fleet) {
        Set<String> withContainer = containers(fleet).stream().map(c -> c.getLabels().get(DockerBackend.RUNNER_LABEL))
                .collect(Collectors.toSet());
        return (int) registrations(fleet).stream().filter(r -> !withContainer.contains(r.name())).count();
    }

    /** Containers and registrations beyond the {@code n} wanted. */
    private int duplicates(String fleet, int n) {
        return Math.max(0, containers(fleet).size() - n) + Math.max(0, registrations(fleet).size() - n);
    }

    private List<FleetEvent.InstanceLaunched> launches(String fleet) {
        return events.stream().filter(e -> e instanceof FleetEvent.InstanceLaunched l && l.runner().startsWith(fleet + "-"))
                .map(e -> (FleetEvent.InstanceLaunched) e).toList();
    }

    /** Runners of this test JVM's fleets launched more than once. */
    private int launchedTwice(String fleet) {
        Map<String, Integer> byRunner = new HashMap<>();
        launches(fleet).forEach(l -> byRunner.merge(l.runner(), 1, Integer::sum));
        return (int) byRunner.values().stream().filter(c -> c > 1).count();
    }

    private List<WebhookDelivery> queuedDeliveries() {
        return github.deliveries().stream().filter(d -> "queued".equals(d.action())).toList();
    }

    /** Posts each delivery {@code times} more times, from {@code senders} threads, as GitHub's redelivery would. */
    private static void redeliver(WebhookReceiver hooks, List<WebhookDelivery> deliveries, int times, int senders)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        AtomicInteger failed = new AtomicInteger();
        try {
            for (int i = 0; i < times; i++) {
                for (WebhookDelivery d : deliveries) {
                    pool.execute(() -> {
                        try {
                            HttpURLConnection c = (HttpURLConnection) hooks.uri().toURL().openConnection();
                            c.setConnectTimeout(10_000);
                            c.setReadTimeout(30_000);
                            c.setRequestMethod("POST");
                            c.setDoOutput(true);
                            d.headers().forEach((k, v) -> {
                                if (!List.of("host", "content-length", "connection").contains(k.toLowerCase(java.util.Locale.ROOT))) {
                                    c.setRequestProperty(k, v);
                                }
                            });
                            try (OutputStream out = c.getOutputStream()) {
                                out.write(d.body().getBytes(StandardCharsets.UTF_8));
                            }
                            if (c.getResponseCode() / 100 != 2) {
                                failed.incrementAndGet();
                            }
                            c.disconnect();
                        } catch (IOException e) {
                            failed.incrementAndGet();
                        }
                    });
                }
            }
            pool.shutdown();
            assertThat(pool.awaitTermination(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the redeliveries sent").isTrue();
        } finally {
            pool.shutdownNow();
        }
        assertThat(failed.get()).as("redeliveries not answered 2xx").isZero();
    }

    // ---- the engine ---------------------------------------------------------------------------

    private static final Path PID_FILE = Path.of("/var/run/docker.pid");

    /** Why this suite may not restart the engine, or null when it may: only a local dockerd it can start again. */
    private static String engineNotOurs() {
        if (System.getenv("RUNNERFLEET_KEEP_ENGINE") != null) {
            return "RUNNERFLEET_KEEP_ENGINE is set (other work shares this engine)";
        }
        if (System.getenv("DOCKER_HOST") != null) {
            return "DOCKER_HOST points at another engine (" + System.getenv("DOCKER_HOST") + ")";
        }
        if (!Files.isRegularFile(PID_FILE)) {
            return "no " + PID_FILE + ": the engine is not a local dockerd this suite can restart";
        }
        if (!Files.isRegularFile(Path.of("../scripts/docker-engine.sh"))) {
            return "scripts/docker-engine.sh not found from " + Path.of("").toAbsolutePath();
        }
        try {
            if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
                return "not root: cannot restart dockerd";
            }
        } catch (IOException | UnsupportedOperationException e) {
            return "cannot tell whether this is root";
        }
        return null;
    }

    /** Stops dockerd (its containers stop with it) and starts it again with the project's own script. */
    private static void restartEngine() throws Exception {
        long pid = Long.parseLong(Files.readString(PID_FILE).strip());
        ProcessHandle dockerd = ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("dockerd " + pid + " is gone"));
        assertThat(dockerd.info().command().orElse("")).as("the process in " + PID_FILE).endsWith("dockerd");
        dockerd.destroy();   // SIGTERM: dockerd stops its containers and exits
        dockerd.onExit().get(90, TimeUnit.SECONDS);
        // In a session of its own, so that the new dockerd is nobody's child here and outlives this test JVM.
        Process start = new ProcessBuilder("setsid", "bash", "../scripts/docker-engine.sh").redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String out = new String(start.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(start.waitFor(120, TimeUnit.SECONDS) && start.exitValue() == 0).as("docker-engine.sh: " + out).isTrue();
    }

    // ---- waiting ------------------------------------------------------------------------------

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    // Asking the engine or GitHub may fail while a fault is on (the engine restarting, say): that is "not yet".
    private static void await(String what, BooleanSupplier condition) {
        Await.untilQuietly(PATIENCE, what, condition::getAsBoolean);
    }
}
