package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.JobRequest;
import io.runnerfleet.ProcessBackend;
import io.runnerfleet.Resources;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunner;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The "direct deployment": a whole {@link RunnerFleet} on {@link ProcessBackend}, its runners the testkit's
 * fake runner (busybox sh) running as host processes against a {@link FakeGitHub}. No Docker involved.
 */
class ProcessFleetTest {
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private FakeGitHub github;
    private FakeScope acme;
    private Secret pat;
    private Path temp;
    private Path distribution;
    private Path root;
    private final List<RunnerFleet> fleets = new ArrayList<>();
    private final String name = "pf" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")),
                "skipped: the fake runner needs /bin/busybox for its applets (apt-get install busybox-static)");
        github = FakeGitHub.create().start();
        acme = github.organization("acme");
        acme.repository("widgets");
        pat = github.newToken("admin:org", "repo");
        temp = Files.createTempDirectory("runnerfleet-process-fleet-");
        distribution = FakeRunner.installTo(temp.resolve("dist"));
        root = temp.resolve("runners");
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            for (RunnerFleet f : fleets) {
                try {
                    f.removeNow();
                } catch (RuntimeException | AssertionError e) {
                    // closed or already removed: the leak check below says whether anything is left
                }
            }
            try (ProcessBackend backend = backend()) {
                for (InstanceInfo i : backend.instances(name)) {
                    backend.remove(i.id(), false);
                }
            }
        } finally {
            if (github != null) {
                github.close();
            }
            if (temp != null) {
                try (Stream<Path> paths = Files.walk(temp)) {
                    for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p); // a link is deleted, never its target
                    }
                }
            }
        }
    }

    private ProcessBackend backend() {
        return ProcessBackend.builder().distribution(distribution).root(root).build();
    }

    private GitHubRegistry registry() {
        return GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url()).webUrl(github.url())
                .credentials(GitHubCredentials.token(pat)).build();
    }

    private RunnerFleet fleet(RunnerPool.Builder... pools) {
        RunnerFleet.Builder b = RunnerFleet.builder().name(name).registry(registry()).backend(backend())
                .pollInterval(Duration.ofMillis(200)).reconcileInterval(Duration.ofSeconds(2))
                .startTimeout(PATIENCE).drainTimeout(Duration.ofSeconds(20));
        for (RunnerPool.Builder p : pools) {
            b.pool(p);
        }
        RunnerFleet fleet = b.build();
        fleets.add(fleet);
        return fleet;
    }

    // The fake runner, like the real one, refuses root unless told otherwise; CI runs as root.
    private static RunnerPool.Builder pool(String pool) {
        return RunnerPool.builder(pool).image("fake-runner:host").env("RUNNER_ALLOW_RUNASROOT", "1");
    }

    private static RunnerPool.Builder generic() {
        return pool("intel").labels("intel").scaling(Scaling.fixed(2));
    }

    private static RunnerPool.Builder onDemand() {
        return pool("qemu").labels("qemu").ephemeral(true).scaling(Scaling.onDemand(0, 2));
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(PATIENCE, what, condition);
    }

    private List<String> runnerDirectories() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Every file under the runner root that contains {@code secret}. */
    private List<Path> filesHolding(String secret) throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Path> holding = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                if (new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1).contains(secret)) {
                    holding.add(f);
                }
            }
        }
        return holding;
    }

    private static Path cwd(ProcessHandle p) {
        try {
            return Path.of("/proc/" + p.pid() + "/cwd").toRealPath();
        } catch (IOException e) {
            return null; // gone, or not ours to read
        }
    }

    @Test
    void aFleetOfHostProcessesRunsJobsScalesOnDemandIsAdoptedAndRemovedWithoutATrace() throws IOException {
        RunnerFleet fleet = fleet(generic(), onDemand());
        fleet.start();
        assertThat(fleet.runners()).extracting(Runner::name).containsExactly(name + "-intel-1", name + "-intel-2");
        assertThat(fleet.runners()).allMatch(r -> r.state() instanceof RunnerState.Idle);
        assertThat(acme.runners()).hasSize(2).allMatch(FakeRunnerView::online)
                .allSatisfy(r -> assertThat(r.labels()).contains("self-hosted", "Linux", "intel"));
        assertThat(runnerDirectories()).containsExactly(name + "-intel-1", name + "-intel-2");

        // A persistent runner takes a job and stays.
        FakeJob build = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(1), "self-hosted", "linux", "intel");
        await("the intel job completed", () -> "completed".equals(build.status()));
        assertThat(build.runnerName()).startsWith(name + "-intel-");

        // A queued job for the on-demand pool: one ephemeral runner is launched, takes it, and the pool shrinks back.
        FakeJob emulated = github.queueJob(acme.repository("widgets"), Duration.ofSeconds(1), "self-hosted", "qemu");
        assertThat(fleet.demand(JobRequest.runsOn("self-hosted", "qemu"))).contains("qemu");
        await("the qemu job completed", () -> "completed".equals(emulated.status()));
        assertThat(emulated.runnerName()).matches(name + "-qemu-1-[a-z0-9]{5}");
        await("the on-demand pool back at 0", () -> fleet.runners().size() == 2 && acme.runners().size() == 2
                && fleet.runners().stream().allMatch(r -> r.state() instanceof RunnerState.Idle));
        await("the ephemeral runner's directory gone", () -> {
            try {
                return runnerDirectories().equals(List.of(name + "-intel-1", name + "-intel-2"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });

        // The PAT never reaches a runner; no file under the root, log or status shows it.
        assertThat(filesHolding(pat.reveal())).isEmpty();
        assertThat(fleet.toString() + fleet.status().table() + fleet.logs(name + "-intel-1", 200)).doesNotContain(pat.reveal());
        assertThat(fleet.logs(name + "-intel-1", 200)).anyMatch(l -> l.contains("Listening for Jobs"));

        // A new JVM's fleet of the same name on the same root adopts the running processes: nothing created twice.
        List<InstanceInfo> before = backend().instances(name);
        List<Long> ids = acme.runners().stream().map(FakeRunnerView::id).sorted().toList();
        fleet.close();
        RunnerFleet again = fleet(generic(), onDemand());
        again.start();
        assertThat(again.runners()).extracting(Runner::name).containsExactly(name + "-intel-1", name + "-intel-2");
        assertThat(again.runners()).allMatch(r -> r.state() instanceof RunnerState.Idle);
        assertThat(backend().instances(name)).extracting(InstanceInfo::id, InstanceInfo::startedAt)
                .containsExactlyInAnyOrderElementsOf(before.stream()
                        .map(i -> org.assertj.core.groups.Tuple.tuple(i.id(), i.startedAt())).toList());
        assertThat(acme.runners().stream().map(FakeRunnerView::id).sorted().toList()).isEqualTo(ids);

        again.remove();
        assertThat(acme.runners()).isEmpty();
        assertThat(backend().instances(name)).isEmpty();
        assertThat(runnerDirectories()).isEmpty();
    }

    @Test
    void aPoolAskingForWhatProcessesCannotDoIsRefusedNamingItAndNothingIsLeft() throws IOException {
        RunnerFleet fleet = fleet(pool("limited").labels("big").resources(Resources.none().memoryMiB(512))
                .scaling(Scaling.fixed(1)));
        assertThatThrownBy(fleet::start).isInstanceOf(RunnerFleetException.class)
                .hasMessageContaining(name + "-limited-1").hasMessageContaining("cannot honour resources")
                .hasMessageContaining("use the Docker backend");
        assertThat(acme.runners()).as("nothing registered").isEmpty();
        assertThat(backend().instances(name)).as("no process").isEmpty();
        assertThat(filesHolding(pat.reveal())).isEmpty();
    }

    @Test
    void theRunnersEnvironmentStartsEmptySoTheJvmsSecretsNeverReachIt() throws IOException {
        RunnerFleet fleet = fleet(pool("env").labels("env").env("BOARD_BAUD", "115200").scaling(Scaling.fixed(1)));
        fleet.start();
        Path dir = root.resolve(name + "-env-1").toRealPath();
        // The fake runner has no hook to print its environment: read the live run.sh process's from /proc.
        ProcessHandle runSh = ProcessHandle.current().descendants()
                .filter(p -> p.info().commandLine().orElse("").contains("run.sh") && dir.equals(cwd(p)))
                .findFirst().orElseThrow(() -> new AssertionError("no run.sh process in " + dir));
        Map<String, String> env = new java.util.HashMap<>();
        String environ = new String(Files.readAllBytes(Path.of("/proc/" + runSh.pid() + "/environ")), StandardCharsets.UTF_8);
        for (String kv : environ.split("\0")) {
            int eq = kv.indexOf('=');
            if (eq > 0) {
                env.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        assertThat(env).containsEntry("BOARD_BAUD", "115200").containsKey("PATH").doesNotContainKey("ACTIONS_RUNNER_INPUT_TOKEN");
        // Only PATH, HOME, USER and LANG come from the JVM's environment (the shell sets PWD, SHLVL and _ itself).
        List<String> leaked = System.getenv().entrySet().stream()
                .filter(e -> !List.of("PATH", "HOME", "USER", "LANG", "PWD", "OLDPWD", "SHLVL", "_").contains(e.getKey()))
                // Variables the library itself sets for every runner may hold the same value on this machine.
                .filter(e -> !List.of("RUNNER_ALLOW_RUNASROOT", "ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE")
                        .contains(e.getKey()))
                .filter(e -> e.getValue().equals(env.get(e.getKey()))).map(Map.Entry::getKey).toList();
        assertThat(leaked).as("JVM environment variables that reached the runner").isEmpty();
        assertThat(env.values()).noneMatch(v -> v.contains(pat.reveal()));
        fleet.remove();
    }
}
