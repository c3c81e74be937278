package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetTimeoutException;
import io.runnerfleet.RunnerStartException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.MatchResult;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testkit.FakeClock;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.Fault;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The product end to end: a fleet on the real Docker engine, registered at the fake GitHub through the
 * real GitHub client, running the fake runner image on the host network.
 */
@ExtendWith(DockerEngine.class)
class FleetEndToEndIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static RunnerImage image;

    private final FakeClock clock = FakeClock.at(java.time.Instant.now());
    private FakeGitHub github;
    private FakeScope acme;
    private Secret pat;
    private DockerBackend backend;
    private final List<RunnerFleet> fleets = new ArrayList<>();
    private final List<String> fleetNames = new ArrayList<>();
    private final List<FleetEvent> events = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void images() throws Exception {
        DockerEngine.busyboxImage();
        Path context = FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner-image"));
        image = RunnerImage.dockerfile(context).tag(FakeRunnerImage.TAG);
    }

    @BeforeEach
    void fakeGitHub() {
        github = FakeGitHub.builder().clock(clock).offlineAfter(Duration.ofSeconds(30)).build();
        github.start();
        acme = github.organization("acme");
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
    }

    @AfterEach
    void removeEverything() {
        try {
            for (RunnerFleet fleet : fleets) {
                try {
                    fleet.removeNow();
                } catch (RuntimeException e) {
                    // the leak check below says what was left
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

    private GitHubRegistry registry() {
        return GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url()).webUrl(github.url())
                .credentials(GitHubCredentials.token(pat)).clock(clock).build();
    }

    private RunnerFleet.Builder fleet(RunnerPool.Builder... pools) {
        String name = "e2e" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        fleetNames.add(name);
        RunnerFleet.Builder b = RunnerFleet.builder().name(name).registry(registry()).backend(backend)
                .listener(events::add).pollInterval(Duration.ofMillis(250)).reconcileInterval(Duration.ofSeconds(2))
                .registrationTimeout(Duration.ofSeconds(60)).drainTimeout(Duration.ofSeconds(30))
                .startTimeout(PATIENCE).backoff(Duration.ofMillis(200), Duration.ofSeconds(2));
        for (RunnerPool.Builder p : pools) {
            b.pool(p);
        }
        return b;
    }

    private RunnerFleet start(RunnerFleet.Builder b) {
        RunnerFleet fleet = b.build();
        fleets.add(fleet);
        fleet.start();
        return fleet;
    }

    private static RunnerPool.Builder generic(int n) {
        return RunnerPool.builder("intel").image(image).labels("intel").scaling(Scaling.fixed(n));
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(PATIENCE, what, condition);
    }

    private static boolean allIdle(RunnerFleet fleet, int count) {
        List<Runner> runners = fleet.runners();
        return runners.size() == count && runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle);
    }

    @Test
    void fiveRunnersReachIdleAndJobsMakeThemActiveThenIdleAgain() {
        RunnerFleet fleet = start(fleet(generic(5)));
        assertThat(fleet.runners()).hasSize(5).allMatch(r -> r.state() instanceof RunnerState.Idle);
        assertThat(acme.runners()).hasSize(5).allMatch(r -> r.status().equals("online"));
        assertThat(fleet.registrationTokensMinted()).isEqualTo(1);

        FakeJob job = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(3), "self-hosted", "linux", "intel");
        await("a runner Active", () -> fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
        await("the job completed", () -> "completed".equals(job.status()));
        await("every runner Idle again", () -> allIdle(fleet, 5));
        assertThat(job.runnerName()).startsWith(fleet.name() + "-intel-");
        assertThat(fleet.status().table()).contains(fleet.name() + "-intel-5").contains("Idle");

        fleet.remove();
    }

    @Test
    void aRunnerIsIdleOnItsListeningLineWhileGitHubsRunnerListFailsAndRegisteredOnceItAnswers() {
        // From its launch on (long before the runner inside can connect) no list answers: only the runner's own
        // "Listening for Jobs" line can make it Idle.
        RunnerFleet fleet = fleet(generic(1)).listener(e -> {
            if (e instanceof FleetEvent.InstanceLaunched) {
                github.outage(PATIENCE, Fault.status(503), "actions/list-self-hosted-runners-for-org");
            }
        }).build();
        fleets.add(fleet);
        fleet.startAsync();
        await("the runner Idle", () -> allIdle(fleet, 1));
        await("Idle on the runner's word", () -> events.stream().anyMatch(e -> e instanceof FleetEvent.StateChanged sc
                && sc.to() instanceof RunnerState.Idle && sc.cause().contains("listening for jobs")));
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.RunnerRegistered);

        github.clearFaults();
        await("registered once the list shows it", () -> events.stream().anyMatch(e -> e instanceof FleetEvent.RunnerRegistered
                && ((FleetEvent.RunnerRegistered) e).runnerId() == acme.runners().get(0).id()));
        assertThat(fleet.runners()).allMatch(r -> r.state() instanceof RunnerState.Idle);
        fleet.remove();
    }

    @Test
    void anEphemeralJitRunnerIsCompletedAndReplacedAfterItsJob() {
        RunnerFleet fleet = start(fleet(RunnerPool.builder("eph").image(image).labels("qemu").ephemeral(true)
                .scaling(Scaling.fixed(1))));
        String first = fleet.runners().get(0).name();
        FakeJob job = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(1), "self-hosted", "qemu");
        await("the job completed", () -> "completed".equals(job.status()));
        assertThat(job.runnerName()).isEqualTo(first);
        await("a new runner Idle", () -> allIdle(fleet, 1) && !fleet.runners().get(0).name().equals(first));
        assertThat(events).anyMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(first)
                && sc.to() instanceof RunnerState.Completed);
        fleet.remove();
    }

    @Test
    void jobsAreRoutedToThePoolWhoseLabelsTheyNameAndMatchExplainsTheRest() {
        RunnerFleet fleet = start(fleet(generic(1), RunnerPool.builder("phytiumpi").image(image).labels("phytiumpi")
                .devices("/dev/null:/dev/ttyUSB0").env("BOARD_COMM_UART_BAUD", "115200").scaling(Scaling.fixed(1))));
        FakeJob board = github.queueJob(acme.repository("firmware"), Duration.ofSeconds(1), "self-hosted", "linux", "phytiumpi");
        FakeJob generic = github.queueJob(acme.repository("firmware"), Duration.ofSeconds(1), "self-hosted", "linux", "intel");
        await("both jobs completed", () -> "completed".equals(board.status()) && "completed".equals(generic.status()));
        assertThat(board.runnerName()).isEqualTo(fleet.name() + "-phytiumpi-1");
        assertThat(generic.runnerName()).isEqualTo(fleet.name() + "-intel-1");

        MatchResult nobody = fleet.match(JobRequest.runsOn("self-hosted", "linux", "riscv-board"));
        assertThat(nobody.matched()).isFalse();
        assertThat(nobody.explain()).contains("riscv-board").contains("phytiumpi").contains("intel");
        fleet.remove();
    }

    @Test
    void aKilledContainerIsReplacedAndARegistrationDeletedAtGitHubIsRegisteredAgain() {
        RunnerFleet fleet = start(fleet(generic(2)));
        Runner victim = fleet.runners().get(0);
        DockerEngine.client().killContainerCmd(victim.instanceId()).exec();
        await("the killed runner replaced", () -> allIdle(fleet, 2)
                && !fleet.runner(victim.name()).map(Runner::instanceId).orElse("").equals(victim.instanceId()));

        Runner other = fleet.runners().get(1);
        GitHubRegistry admin = registry();
        admin.delete(admin.runners().stream().filter(r -> r.name().equals(other.name())).findFirst().orElseThrow());
        await("re-registered", () -> allIdle(fleet, 2) && acme.runner(other.name()).isPresent());
        assertThat(acme.runners()).hasSize(2);
        fleet.remove();
    }

    @Test
    void scalingDownThenRemovingLeavesNoVolumeOfTheFleet() {
        RunnerFleet fleet = start(fleet(generic(4).volumes(new io.runnerfleet.VolumeMount("work", "/home/runner/_work"))));
        assertThat(DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, fleet.name())).hasSize(4);
        fleet.scale("intel", 2);
        await("two runners left", () -> allIdle(fleet, 2)
                && DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name()).size() == 2);
        await("the retired runners' volumes removed", () ->
                DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, fleet.name()).size() == 2);
        fleet.remove();
        assertThat(DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, fleet.name())).isEmpty();
    }

    @Test
    void aContainerKilledDuringAJobIsReplacedAtOnceAndItsRegistrationGoesWhenGitHubLetsGo() {
        RunnerFleet fleet = start(fleet(RunnerPool.builder("eph").image(image).labels("qemu").ephemeral(true)
                .scaling(Scaling.fixed(3))));
        FakeJob job = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(60), "self-hosted", "qemu");
        await("a runner Active", () -> fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
        Runner victim = fleet.runners().stream().filter(r -> r.state() instanceof RunnerState.Active).findFirst().orElseThrow();
        DockerEngine.client().killContainerCmd(victim.instanceId()).exec();   // as the OOM killer would
        await("three runners Idle again, none of them the killed one", () -> allIdle(fleet, 3)
                && fleet.runner(victim.name()).isEmpty());
        assertThat(acme.runner(victim.name())).as("GitHub still holds the dead runner").isPresent();
        // The fake's clock passes offlineAfter: GitHub notices the session is gone, fails the job and lets go.
        clock.advance(Duration.ofSeconds(31));
        await("the job failed and the dead registration deleted", () -> "failure".equals(job.conclusion())
                && acme.runner(victim.name()).isEmpty());
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.to() instanceof RunnerState.Failed);
        fleet.removeNow();
    }

    @Test
    void theRunnersExitCodeDecidesItsFateDeprecatedFailsConflictRetriesRetryableRelaunches() {
        RunnerFleet fleet = start(fleet(generic(3).env("FAKE_RUNNER_RELAUNCH_SECONDS", "1")));
        String conflict = fleet.name() + "-intel-1";
        String deprecated = fleet.name() + "-intel-2";
        String retry = fleet.name() + "-intel-3";
        String conflictContainer = fleet.runner(conflict).orElseThrow().instanceId();
        String retryContainer = fleet.runner(retry).orElseThrow().instanceId();
        acme.exitListener(conflict, 5);
        acme.exitListener(deprecated, 7);
        acme.exitListener(retry, 2);
        Await.until(PATIENCE, () -> "the deprecated runner Failed, the conflicting one retried; their events: " + events.stream()
                        .filter(ev -> ev.toString().contains(conflict) || ev.toString().contains(deprecated)).toList(),
                () -> failure(deprecated) != null
                        && events.stream().anyMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(conflict)
                                && sc.to() instanceof RunnerState.Removing && sc.cause().contains("session conflict")));
        // The image's runner version is deprecated: relaunching it cannot help, so the runner stays Failed.
        assertThat(failure(deprecated).reason()).contains("exit code 7").contains("deprecated");
        assertThat(failure(deprecated).lastLogLines()).anyMatch(l -> l.contains("is deprecated"));
        // A session conflict may clear (the other listener goes away): retried after a backoff, in a new container.
        await("the conflicting runner back, Idle in a new container", () -> fleet.runner(conflict)
                .map(r -> r.state() instanceof RunnerState.Idle && !conflictContainer.equals(r.instanceId())).orElse(false));
        // Exit 2 is handled inside the container, as run-helper does: the listener comes back, the container stays.
        await("the retried runner relaunched and Idle", () -> fleet.logs(retry, 50).stream().anyMatch(l -> l.contains("re-launch"))
                && fleet.runner(retry).map(r -> r.state() instanceof RunnerState.Idle).orElse(false)
                && acme.runner(retry).map(r -> r.online()).orElse(false));
        assertThat(fleet.runner(retry).orElseThrow().instanceId()).isEqualTo(retryContainer);
        assertThat(events).noneMatch(e -> e instanceof FleetEvent.StateChanged sc && sc.runner().equals(retry)
                && (sc.to() instanceof RunnerState.Failed || sc.to() instanceof RunnerState.Removing));
        fleet.remove();
        assertThat(acme.runners()).isEmpty();
    }

    /** The last Failed state runner {@code name} entered, or null. */
    private RunnerState.Failed failure(String name) {
        RunnerState.Failed last = null;
        for (FleetEvent e : events) {
            if (e instanceof FleetEvent.StateChanged sc && sc.runner().equals(name) && sc.to() instanceof RunnerState.Failed f) {
                last = f;
            }
        }
        return last;
    }

    @Test
    void aFleetClosedWithoutRemovalIsAdoptedByTheNextOneWithoutCreatingAnythingTwice() {
        RunnerFleet.Builder spec = fleet(generic(2));
        RunnerFleet first = start(spec);
        List<String> containers = first.runners().stream().map(Runner::instanceId).sorted().toList();
        first.close();
        // A crash left one runner half-dead: its container exited. The next fleet must replace only that one.
        DockerEngine.client().stopContainerCmd(containers.get(0)).withTimeout(5).exec();

        RunnerFleet second = start(fleet(generic(2)).name(first.name()));
        fleetNames.remove(fleetNames.size() - 1);
        List<String> now = second.runners().stream().map(Runner::instanceId).toList();
        assertThat(now).hasSize(2).contains(containers.get(1)).doesNotContain(containers.get(0));
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, first.name())).hasSize(2);
        second.remove();
    }

    @Test
    void unreachableGitHubFailsStartClearlyAndCreatesNoContainer() {
        String closed = "http://127.0.0.1:" + closedPort();
        RunnerFleet fleet = fleet(generic(2)).registry(GitHubRegistry.builder(RunnerScope.organization("acme"))
                .baseUrl(closed).webUrl(closed)
                .credentials(GitHubCredentials.token(pat)).build()).build();
        fleets.add(fleet);
        assertThatThrownBy(fleet::start).isInstanceOf(RegistrationException.class).hasMessageContaining(closed.substring(7));
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name())).isEmpty();
    }

    /** A loopback port that was free a moment ago, so nothing answers there (no host's port 9 assumed closed). */
    private static int closedPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void wrongCredentialsFailStartWithARegistrationErrorThatNeverShowsTheToken() {
        Secret wrong = Secret.of("ghp_wrong_token_0123456789");
        RunnerFleet fleet = fleet(generic(1)).registry(GitHubRegistry.builder(RunnerScope.organization("acme"))
                .baseUrl(github.url()).webUrl(github.url()).credentials(GitHubCredentials.token(wrong)).build()).build();
        fleets.add(fleet);
        assertThatThrownBy(fleet::start).isInstanceOf(RegistrationException.class)
                .hasMessageNotContaining(wrong.reveal()).hasMessageNotContaining(pat.reveal());
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name())).isEmpty();
    }

    @Test
    void gitHubFailuresAreRetriedWithBackoffAndLeaveNoGhostOrLeak() {
        github.failNext("actions/create-registration-token-for-org", 2, Fault.status(502));
        github.failNext("actions/list-self-hosted-runners-for-org", 2, Fault.status(500));
        github.failNext("actions/generate-runner-jitconfig-for-org", 1, Fault.status(409));
        github.failNext("actions/generate-runner-jitconfig-for-org", 1, Fault.secondaryLimit(Duration.ofSeconds(1)));
        RunnerFleet fleet = start(fleet(generic(2), RunnerPool.builder("eph").image(image).labels("qemu")
                .ephemeral(true).scaling(Scaling.fixed(1))));
        assertThat(fleet.runners()).hasSize(3).allMatch(r -> r.state() instanceof RunnerState.Idle);
        assertThat(acme.runners()).hasSize(3);
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name())).hasSize(3);

        github.failNext("actions/delete-self-hosted-runner-from-org", 1, Fault.status(422));
        fleet.remove();   // the 422 ("still running a job") is waited out within the drain timeout
    }

    @Test
    void anExpiredRegistrationTokenIsRenewedAndAFreshOneIsShared() {
        // The fleet, its GitHub client and the fake GitHub share one clock the test moves.
        RunnerFleet fleet = start(fleet(generic(2)).clock(clock));
        long minted = github.requests("actions/create-registration-token-for-org");
        assertThat(minted).isEqualTo(1);
        clock.advance(Duration.ofMinutes(56));   // the token expires in four minutes: too close to use
        Runner victim = fleet.runners().get(0);
        DockerEngine.client().killContainerCmd(victim.instanceId()).exec();
        await("the killed runner replaced", () -> allIdle(fleet, 2)
                && !fleet.runner(victim.name()).map(Runner::instanceId).orElse("").equals(victim.instanceId()));
        assertThat(github.requests("actions/create-registration-token-for-org")).isEqualTo(2);
        fleet.remove();
    }

    @Test
    void removeNeverKillsARunningJobButRemoveNowDoes() {
        RunnerFleet fleet = start(fleet(generic(1)).drainTimeout(Duration.ofSeconds(3)));
        FakeJob job = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(120), "self-hosted", "intel");
        await("the runner Active", () -> fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
        assertThatThrownBy(fleet::remove).isInstanceOf(FleetTimeoutException.class)
                .hasMessageContaining(fleet.name() + "-intel-1").hasMessageContaining("running a job");
        assertThat(job.status()).isEqualTo("in_progress");
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name())).hasSize(1);
        // @AfterEach's removeNow() kills the job on purpose and must leave nothing behind.
    }

    @Test
    void aPoolWithAMissingDeviceFailsStartNamingTheDeviceAndLeavesNothing() {
        RunnerFleet fleet = fleet(RunnerPool.builder("board").image(image).labels("board")
                .devices("/dev/serial/by-id/usb-not-plugged-in").scaling(Scaling.fixed(1))).build();
        fleets.add(fleet);
        assertThatThrownBy(fleet::start).isInstanceOf(RunnerStartException.class)
                .hasMessageContaining(fleet.name() + "-board-1").hasMessageContaining("/dev/serial/by-id/usb-not-plugged-in");
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet.name())).isEmpty();
        assertThat(acme.runners()).isEmpty();
    }
}
