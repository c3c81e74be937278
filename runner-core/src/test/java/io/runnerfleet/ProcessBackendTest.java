package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessBackendTest {
    private static final String TOKEN = "tok-123-very-secret";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path temp;
    private Path distribution;
    private Path root;
    private ProcessBackend backend;
    private final List<ProcessBackend> extraBackends = new ArrayList<>();

    @BeforeEach
    void distribution() throws IOException {
        distribution = Files.createDirectories(temp.resolve("dist"));
        root = temp.resolve("runners");
        script("config.sh", """
                #!/bin/sh
                echo "config args: $*"
                [ -n "${ACTIONS_RUNNER_INPUT_TOKEN:-}" ] || { echo "missing token"; exit 1; }
                case "$ACTIONS_RUNNER_INPUT_TOKEN" in tok-123-*) ;; *) echo "wrong token"; exit 1;; esac
                [ "${#ACTIONS_RUNNER_INPUT_TOKEN}" -eq %d ] || { echo "wrong token"; exit 1; }
                echo configured > .runner
                """.formatted(TOKEN.length()));
        script("run.sh", """
                #!/bin/sh
                echo "run args: $*"
                # Stands in for the listener decoding a JIT config from its environment into .runner.
                [ -n "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ] && echo jit > .runner
                echo "jit-in-run-env=${ACTIONS_RUNNER_INPUT_JITCONFIG:+yes}"
                [ -f .runner ] || { echo "Runner is not configured."; exit 0; }
                echo "token-in-run-env=${ACTIONS_RUNNER_INPUT_TOKEN:+yes}"
                echo "pat-in-env=${GH_PAT:+yes} proxy=${HTTPS_PROXY:-none} board=${BOARD:-none}"
                trap 'echo "going offline"; exit 0' TERM INT
                echo "Listening for Jobs"
                [ -n "${EXIT_WITH:-}" ] && exit "$EXIT_WITH"
                while :; do sleep 1 & wait $!; done
                """);
        backend = backend();
    }

    @AfterEach
    void stopEverything() {
        for (String fleet : List.of("f1", "f2")) {
            backend.instances(fleet).forEach(i -> backend.remove(i.id(), false));
        }
        backend.close();
        extraBackends.forEach(ProcessBackend::close);
    }

    private ProcessBackend backend() {
        return ProcessBackend.builder().distribution(distribution).root(root)
                .hostEnvironment(Map.of("PATH", System.getenv("PATH"), "GH_PAT", "ghp_must_not_leak",
                        "HTTPS_PROXY", "http://127.0.0.1:3128"))
                .passEnvironment("HTTPS_PROXY")
                .build();
    }

    private void script(String name, String body) throws IOException {
        Path file = distribution.resolve(name);
        Files.writeString(file, body);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static LaunchSpec.Builder tokenSpec(String fleet, String runner) {
        return LaunchSpec.builder(fleet, "generic", runner, "unused:1")
                .command(new RunnerCommand(List.of("--url", "https://github.com/acme", "--name", runner, "--unattended"),
                        List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(TOKEN))
                .stopGrace(Duration.ofSeconds(5));
    }

    private void awaitLine(String id, String text) throws Exception {
        awaitLines(id, text, 1);
    }

    // Follows the log (a bounded wait on the runner's own output) until `count` lines contain `text`.
    private void awaitLines(String id, String text, long count) throws Exception {
        try (LogStream logs = backend.logs(id, LogQuery.following())) {
            CompletableFuture<Boolean> seen = CompletableFuture.supplyAsync(
                    () -> logs.lines().filter(l -> l.contains(text)).limit(count).count() == count);
            try {
                assertThat(seen.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).as("log of %s shows '%s'", id, text).isTrue();
            } finally {
                logs.close();
            }
        }
    }

    private List<String> log(String id) {
        try (LogStream logs = backend.logs(id, LogQuery.tail(0))) {
            return logs.lines().toList();
        }
    }

    private List<Long> pids(String id) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(root.resolve(id).resolve(".runnerfleet/instance.properties"))) {
            p.load(in);
        }
        ProcessHandle handle = ProcessHandle.of(Long.parseLong(p.getProperty("pid"))).orElseThrow();
        List<Long> pids = new ArrayList<>(handle.descendants().map(ProcessHandle::pid).toList());
        pids.add(handle.pid());
        return pids;
    }

    @Test
    void launchConfiguresThenRunsAndTheTokenStaysOutOfEnvironmentsFilesAndLogs() throws Exception {
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").env("BOARD", "phytiumpi").build());
        assertThat(info.state()).isEqualTo(InstanceState.RUNNING);
        awaitLine(info.id(), "Listening for Jobs");

        assertThat(log(info.id())).contains("token-in-run-env=", "pat-in-env= proxy=http://127.0.0.1:3128 board=phytiumpi")
                .anyMatch(l -> l.startsWith("config args: --url https://github.com/acme --name f1-generic-1 --unattended"));
        assertNoProcessHolds(info.id(), TOKEN, "ghp_must_not_leak");
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                assertThat(Files.readString(file)).as("file %s", file).doesNotContain(TOKEN);
            }
        }
    }

    /**
     * What a job of this user could read from /proc: the environment and command line of the wrapper
     * shell and every process below it (run.sh and its children). Fails unless run.sh was read.
     */
    private void assertNoProcessHolds(String id, String... secrets) throws IOException {
        boolean sawRunSh = false;
        for (long pid : pids(id)) {
            String environ;
            String cmdline;
            try {
                environ = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), StandardCharsets.UTF_8);
                cmdline = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8);
            } catch (java.nio.file.NoSuchFileException gone) {
                continue; // a short-lived child (sleep) ended meanwhile
            }
            sawRunSh |= cmdline.contains("./run.sh");
            for (String secret : secrets) {
                assertThat(environ).as("environment of pid %d (%s)", pid, cmdline).doesNotContain(secret);
                assertThat(cmdline).as("command line of pid %d", pid).doesNotContain(secret);
            }
        }
        assertThat(sawRunSh).as("run.sh was among the processes read").isTrue();
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void jitModeWritesTheConfigsFilesAndRunsWithoutTheConfigInAnyProcess() throws Exception {
        String runnerFile = "{\"agentId\": 7, \"agentName\": \"f1-eph-1-a1b2\"}\n";
        String jit = b64("{\".runner\":\"" + b64(runnerFile) + "\",\".credentials\":\"" + b64("{\"scheme\":\"OAuth\"}")
                + "\",\".credentials_rsaparams\":\"" + b64("{\"d\":\"private-key\"}") + "\"}");
        LaunchSpec spec = LaunchSpec.builder("f1", "eph", "f1-eph-1-a1b2", "unused:1")
                .command(new RunnerCommand(List.of(), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of(jit))
                .build();
        InstanceInfo info = backend.launch(spec);
        awaitLine(info.id(), "Listening for Jobs");
        assertThat(log(info.id())).noneMatch(l -> l.startsWith("config args")).contains("jit-in-run-env=");

        Path dir = root.resolve(info.id());
        assertThat(dir.resolve(".runner")).hasContent(runnerFile);
        assertThat(dir.resolve(".credentials_rsaparams")).hasContent("{\"d\":\"private-key\"}");
        assertThat(Files.getPosixFilePermissions(dir.resolve(".credentials"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertNoProcessHolds(info.id(), jit);
    }

    @Test
    void aJitConfigNotInTheRunnersFormatIsRefusedBeforeAnythingIsCreated() {
        LaunchSpec spec = LaunchSpec.builder("f1", "eph", "f1-eph-2", "unused:1")
                .command(new RunnerCommand(List.of(), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of("eyJqaXQiOiJjb25maWcifQ=="))
                .build();
        assertThatThrownBy(() -> backend.launch(spec)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("f1-eph-2").hasMessageContaining("JIT config")
                .hasMessageNotContaining("eyJqaXQiOiJjb25maWcifQ");
        assertThat(root.resolve("f1-eph-2")).doesNotExist();
    }

    @Test
    void aMissingTokenFailsTheConfigureStepAndTheRunnerExitsWithItsCode() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        LaunchSpec spec = LaunchSpec.builder("f1", "generic", "f1-generic-9", "unused:1")
                .command(new RunnerCommand(List.of("--unattended"), List.of())).build();
        InstanceInfo info = backend.launch(spec);

        InstanceEvent exited = next(events, InstanceEvent.Kind.EXITED);
        assertThat(exited.exitCode()).isEqualTo(1);
        assertThat(exited.runnerName()).isEqualTo("f1-generic-9");
        InstanceInfo after = backend.instance("f1", info.id()).orElseThrow();
        assertThat(after.state()).isEqualTo(InstanceState.EXITED);
        assertThat(after.exitCode()).isEqualTo(1);
        assertThat(log(info.id())).contains("missing token").noneMatch(l -> l.startsWith("run args"));
    }

    private static InstanceEvent next(LinkedBlockingQueue<InstanceEvent> events, InstanceEvent.Kind kind)
            throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            InstanceEvent e = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (e != null && e.kind() == kind) {
                return e;
            }
        }
        throw new AssertionError("no " + kind + " event within " + TIMEOUT);
    }

    @Test
    void aRunnerThatPrintsItIsListeningIsSaidToListenOnce() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-4").build());
        InstanceEvent heard = next(events, InstanceEvent.Kind.LISTENING);
        assertThat(heard.instanceId()).isEqualTo(info.id());
        assertThat(heard.runnerName()).isEqualTo("f1-generic-4");
        assertThat(log(info.id())).contains("Listening for Jobs");
        backend.stop(info.id(), Duration.ofSeconds(5));
        assertThat(eventsUntil(events, InstanceEvent.Kind.EXITED)).noneMatch(e -> e.kind() == InstanceEvent.Kind.LISTENING);
    }

    @Test
    void aRunnerThatExitsBeforeListeningIsNeverSaidToListen() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        LaunchSpec spec = LaunchSpec.builder("f1", "generic", "f1-generic-8", "unused:1")
                .command(new RunnerCommand(List.of("--unattended"), List.of())).build();
        backend.launch(spec);
        assertThat(eventsUntil(events, InstanceEvent.Kind.EXITED)).noneMatch(e -> e.kind() == InstanceEvent.Kind.LISTENING);
    }

    /** Every event up to and including the first of {@code kind} (bounded). */
    private static List<InstanceEvent> eventsUntil(LinkedBlockingQueue<InstanceEvent> events, InstanceEvent.Kind kind)
            throws InterruptedException {
        List<InstanceEvent> seen = new ArrayList<>();
        while (seen.isEmpty() || seen.get(seen.size() - 1).kind() != kind) {
            InstanceEvent e = events.poll(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            assertThat(e).as("a %s event within %s, after %s", kind, TIMEOUT, seen).isNotNull();
            seen.add(e);
        }
        return seen;
    }

    @Test
    void runnerExitCodeIsReportedInAnEventAndInTheInstance() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-3").env("EXIT_WITH", "3").build());
        assertThat(next(events, InstanceEvent.Kind.EXITED).exitCode()).isEqualTo(3);
        assertThat(backend.instance("f1", info.id()).orElseThrow().exitCode()).isEqualTo(3);
    }

    @Test
    void instancesAreFoundByFleetOnly() {
        backend.launch(tokenSpec("f1", "f1-generic-1").build());
        backend.launch(tokenSpec("f2", "f2-generic-1").build());
        assertThat(backend.instances("f1")).extracting(InstanceInfo::runnerName).containsExactly("f1-generic-1");
        assertThat(backend.instances("f2")).extracting(InstanceInfo::runnerName).containsExactly("f2-generic-1");
        assertThat(backend.instances("f3")).isEmpty();
        InstanceInfo info = backend.instances("f1").get(0);
        assertThat(info.pool()).isEqualTo("generic");
        assertThat(info.specHash()).isEqualTo(tokenSpec("f1", "f1-generic-1").build().specHash());
    }

    @Test
    void stopIsIdempotentAndStartRunsTheConfiguredRunnerWithoutConfiguringAgain() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").build());
        awaitLine(info.id(), "Listening for Jobs");

        backend.stop(info.id(), Duration.ofSeconds(5));
        backend.stop(info.id(), Duration.ofSeconds(5));
        backend.stop("never-existed", Duration.ofSeconds(1));
        assertThat(backend.instance("f1", info.id()).orElseThrow().state()).isEqualTo(InstanceState.EXITED);
        assertThat(log(info.id())).contains("going offline");
        next(events, InstanceEvent.Kind.EXITED);

        backend.start(info.id());
        backend.start(info.id());
        assertThat(backend.instance("f1", info.id()).orElseThrow().state()).isEqualTo(InstanceState.RUNNING);
        awaitLines(info.id(), "Listening for Jobs", 2);
        assertThat(log(info.id()).stream().filter(l -> l.startsWith("config args"))).hasSize(1);
        assertThat(log(info.id()).stream().filter(l -> l.startsWith("run args"))).hasSize(2);
    }

    @Test
    void removeDeletesTheRunnerDirectoryAndIsIdempotent() throws Exception {
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").build());
        backend.remove(info.id(), false);
        backend.remove(info.id(), false);
        assertThat(root.resolve(info.id())).doesNotExist();
        assertThat(backend.instances("f1")).isEmpty();
        assertThat(next(events, InstanceEvent.Kind.DESTROYED).instanceId()).isEqualTo(info.id());
    }

    @Test
    void removeWithKeepVolumesKeepsTheWorkDirectoryOnly() throws IOException {
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").build());
        Files.createDirectories(root.resolve(info.id()).resolve("_work/tool-cache"));
        backend.remove(info.id(), true);
        assertThat(root.resolve(info.id()).resolve("_work/tool-cache")).isDirectory();
        assertThat(root.resolve(info.id()).resolve("run.sh")).doesNotExist();
        assertThat(backend.instances("f1")).isEmpty();
    }

    @Test
    void aNewBackendAdoptsRunnersAnEarlierOneStarted() throws Exception {
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").build());
        awaitLine(info.id(), "Listening for Jobs");
        backend.close();

        backend = backend();
        InstanceInfo adopted = backend.instance("f1", "f1-generic-1").orElseThrow();
        assertThat(adopted.state()).isEqualTo(InstanceState.RUNNING);
        LinkedBlockingQueue<InstanceEvent> events = new LinkedBlockingQueue<>();
        backend.events("f1", events::add);
        backend.stop(adopted.id(), Duration.ofSeconds(5));
        assertThat(backend.instance("f1", "f1-generic-1").orElseThrow().state()).isEqualTo(InstanceState.EXITED);
        next(events, InstanceEvent.Kind.EXITED);
    }

    @Test
    void logsTailAndFollow() throws Exception {
        InstanceInfo info = backend.launch(tokenSpec("f1", "f1-generic-1").build());
        awaitLine(info.id(), "Listening for Jobs");
        try (LogStream tail = backend.logs(info.id(), LogQuery.tail(1))) {
            assertThat(tail.lines().toList()).containsExactly("Listening for Jobs");
        }
        try (LogStream since = backend.logs(info.id(), new LogQuery(0, java.time.Instant.now().plusSeconds(3600), false))) {
            assertThat(since.lines().toList()).contains("Listening for Jobs");
        }
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsCreated() throws IOException {
        assertThatThrownBy(() -> backend.launch(tokenSpec("f1", "f1-generic-1")
                .resources(Resources.none().memoryMiB(512)).privileged(true).build()))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("f1-generic-1").hasMessageContaining("privileged").hasMessageContaining("resources")
                .hasMessageContaining("Docker backend");
        assertThatThrownBy(() -> backend.launch(tokenSpec("f1", "f1-generic-1")
                .devices(List.of(DeviceMapping.parse("/dev/ttyUSB-not-here"))).build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("/dev/ttyUSB-not-here");
        assertThatThrownBy(() -> backend.launch(tokenSpec("f1", "../escape").build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'../escape'");
        assertThat(root.toFile().list()).isNullOrEmpty();

        Files.createDirectories(root.resolve("f1-generic-2"));
        Files.writeString(root.resolve("f1-generic-2/precious.txt"), "not ours");
        assertThatThrownBy(() -> backend.launch(tokenSpec("f1", "f1-generic-2").build()))
                .isInstanceOf(RunnerFleetException.class).hasMessageContaining("not created by Runner Fleet");
        backend.remove("f1-generic-2", false);
        assertThat(root.resolve("f1-generic-2/precious.txt")).exists();

        backend.launch(tokenSpec("f1", "f1-generic-3").build());
        assertThatThrownBy(() -> backend.launch(tokenSpec("f1", "f1-generic-3").build()))
                .isInstanceOf(RunnerFleetException.class).hasMessageContaining("already has an instance");
    }

    @Test
    void aMissingDistributionSaysWhereToUnpackTheRunner() {
        ProcessBackend broken = ProcessBackend.builder().distribution(temp.resolve("nope")).root(root).build();
        extraBackends.add(broken);
        assertThatThrownBy(() -> broken.launch(tokenSpec("f1", "f1-generic-1").build()))
                .isInstanceOf(BackendUnavailableException.class)
                .hasMessageContaining("has no config.sh").hasMessageContaining("unpack");
        assertThatThrownBy(() -> ProcessBackend.builder().root(root).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining(".distribution(");
        assertThat(root.toFile().list()).isNullOrEmpty();
    }
}
