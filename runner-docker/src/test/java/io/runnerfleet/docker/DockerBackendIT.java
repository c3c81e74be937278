package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.HostStandIns;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testing.Await;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Runner containers on the real engine: launch, secrets, logs, stop, restart, remove, events. */
@ExtendWith(DockerEngine.class)
class DockerBackendIT {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String TOKEN = "AABBCCDDTOKEN" + UUID.randomUUID().toString().replace("-", "").toUpperCase();

    private final String fleet = "itf" + UUID.randomUUID().toString().substring(0, 8);
    private DockerBackend backend;
    private String image;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() {
        backend = DockerBackend.fromEnvironment();
        image = backend.prepare(StandInRunner.context(dir.resolve("image")), p -> { });
    }

    @AfterEach
    void tearDown() {
        try {
            for (InstanceInfo i : backend.instances(fleet)) {
                backend.remove(i.id(), false);
            }
        } finally {
            backend.close();
        }
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
    }

    private LaunchSpec.Builder spec(String runner) {
        return LaunchSpec.builder(fleet, "pool", fleet + "-" + runner, image)
                .command(new RunnerCommand(List.of("--url", "https://github.com/acme", "--name", fleet + "-" + runner,
                        "--unattended"), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(TOKEN))
                .env("RUNNER_LABELS", "x64,linux")
                .stopGrace(Duration.ofSeconds(5));
    }

    /** What the docker CLI prints, the view an operator gets. */
    static String dockerInspect(String id, String format) {
        try {
            Process p = new ProcessBuilder("docker", "inspect", "--format", format, id).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            assertThat(p.waitFor()).as("docker inspect: %s", out).isZero();
            return out;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String logs(String id) {
        try (LogStream s = backend.logs(id, LogQuery.tail(0))) {
            return s.lines().collect(Collectors.joining("\n"));
        }
    }

    @Test
    void launchedRunnerGetsTheTokenButDockerInspectDoesNot() {
        InstanceInfo info = backend.launch(spec("r1").volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build());

        assertThat(info.state()).isEqualTo(InstanceState.RUNNING);
        assertThat(info.fleet()).isEqualTo(fleet);
        assertThat(info.runnerName()).isEqualTo(fleet + "-r1");
        String out = Await.untilContains(WAIT, "listening", () -> logs(info.id()));
        assertThat(out).contains("token-sha256: " + StandInRunner.sha256(TOKEN))
                .contains("config args: --url https://github.com/acme")
                .doesNotContain("env-name: ACTIONS_RUNNER_INPUT_TOKEN")
                .contains("env-name: RUNNER_LABELS")
                .doesNotContain(TOKEN);

        String dockerInspect = dockerInspect(info.id(), "{{json .}}");
        assertThat(dockerInspect).contains(fleet + "-r1").contains("RUNNER_LABELS=x64,linux")
                .doesNotContain(TOKEN).doesNotContain(TOKEN.substring(0, 20));
        InspectContainerResponse inspect = DockerEngine.client().inspectContainerCmd(info.id()).exec();
        assertThat(inspect.getConfig().getLabels())
                .containsEntry(DockerBackend.FLEET_LABEL, fleet)
                .containsEntry(DockerBackend.POOL_LABEL, "pool")
                .containsEntry(DockerBackend.RUNNER_LABEL, fleet + "-r1")
                .containsEntry(DockerBackend.SPEC_HASH_LABEL, spec("r1")
                        .volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build().specHash());
        assertThat(inspect.getHostConfig().getPrivileged()).isFalse();
        assertThat(inspect.getHostConfig().getNetworkMode()).isEqualTo("host");
        assertThat(inspect.getHostConfig().getInit()).isTrue();
        assertThat(inspect.getHostConfig().getLogConfig().getConfig()).containsEntry("max-size", "10m").containsEntry("max-file", "3");
    }

    @Test
    void followedLogsSeeNewLinesAndCloseEndsTheStream() throws Exception {
        InstanceInfo info = backend.launch(spec("follow").build());
        LogStream stream = backend.logs(info.id(), LogQuery.following());
        List<String> seen = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> stream.lines().forEach(seen::add));
        reader.setDaemon(true);
        reader.start();
        Await.until(WAIT, "the followed stream to show 'listening'", () -> seen.contains("listening"));

        backend.stop(info.id(), Duration.ofSeconds(5));
        Await.until(WAIT, "the followed stream to show the stop", () -> seen.contains("stopping"));
        reader.join(WAIT.toMillis());
        assertThat(reader.isAlive()).as("stream ends when the instance stops").isFalse();

        backend.start(info.id());
        LogStream second = backend.logs(info.id(), LogQuery.following());
        List<String> more = new CopyOnWriteArrayList<>();
        Thread reader2 = new Thread(() -> second.lines().forEach(more::add));
        reader2.setDaemon(true);
        reader2.start();
        Await.until(WAIT, "second stream to show lines", () -> more.contains("starts: 2"));
        second.close();
        reader2.join(WAIT.toMillis());
        assertThat(reader2.isAlive()).as("close() ends a following stream of a running instance").isFalse();
        stream.close();
    }

    @Test
    void tailAndSinceSelectLines() {
        InstanceInfo info = backend.launch(spec("tail").build());
        Await.untilContains(WAIT, "listening", () -> logs(info.id()));
        try (LogStream s = backend.logs(info.id(), LogQuery.tail(1))) {
            assertThat(s.lines().toList()).containsExactly("listening");
        }
        java.time.Instant future = java.time.Instant.now().plusSeconds(3600);
        try (LogStream s = backend.logs(info.id(), new LogQuery(0, future, false))) {
            assertThat(s.lines().toList()).isEmpty();
        }
        try (LogStream s = backend.logs(info.id(), new LogQuery(0, info.startedAt().minusSeconds(1), false))) {
            assertThat(s.lines().toList()).contains("listening");
        }
    }

    @Test
    void stopRestartKeepsTheVolumeAndSkipsConfiguration() {
        InstanceInfo info = backend.launch(spec("restart").volumes(List.of(new VolumeMount("work", "/home/runner/_work"))).build());
        Await.untilContains(WAIT, "listening", () -> logs(info.id()));

        backend.stop(info.id(), Duration.ofSeconds(5));
        backend.stop(info.id(), Duration.ofSeconds(5)); // idempotent
        InstanceInfo stopped = backend.instance(fleet, info.id()).orElseThrow();
        assertThat(stopped.state()).isEqualTo(InstanceState.EXITED);
        assertThat(stopped.exitCode()).isZero();
        assertThat(stopped.finishedAt()).isNotNull();

        backend.start(info.id());
        backend.start(info.id()); // idempotent
        String out = Await.untilContains(WAIT, "starts: 2", () -> logs(info.id()));
        assertThat(out).doesNotContain("no token");
        assertThat(out.split("token-sha256").length - 1).as("config.sh ran once").isEqualTo(1);
        assertThat(backend.instance(fleet, info.name()).orElseThrow().running()).isTrue();
    }

    @Test
    void removeKeepsVolumesOnlyWhenAskedAndIsIdempotent() {
        List<VolumeMount> volumes = List.of(new VolumeMount("work", "/home/runner/_work"));
        InstanceInfo first = backend.launch(spec("vol").volumes(volumes).build());
        Await.untilContains(WAIT, "listening", () -> logs(first.id()));
        assertThat(DockerEngine.volumesLabelled(DockerBackend.RUNNER_LABEL, fleet + "-vol"))
                .extracting(v -> v.getName()).containsExactly(fleet + "-vol-work");

        backend.remove(first.id(), true);
        assertThat(backend.instances(fleet)).isEmpty();
        assertThat(DockerEngine.volumesLabelled(DockerBackend.RUNNER_LABEL, fleet + "-vol")).hasSize(1);

        InstanceInfo second = backend.launch(spec("vol").volumes(volumes).build());
        Await.untilContains(WAIT, "starts: 2", () -> logs(second.id()));

        backend.remove(second.id(), false);
        backend.remove(second.id(), false);
        backend.remove("no-such-container-" + fleet, false);
        assertThat(DockerEngine.volumesLabelled(DockerBackend.RUNNER_LABEL, fleet + "-vol")).isEmpty();
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet)).isEmpty();
    }

    @Test
    void eventsReportKillExitAndDestroyOfOwnedContainersOnly() {
        List<InstanceEvent> events = new CopyOnWriteArrayList<>();
        String otherFleet = fleet + "x";
        try (Subscription sub = backend.events(fleet, events::add)) {
            InstanceInfo info = backend.launch(spec("ev").build());
            InstanceInfo exits = backend.launch(spec("exit3").env("EXIT_WITH", "3").build());
            InstanceInfo other = backend.launch(LaunchSpec.builder(otherFleet, "pool", otherFleet + "-o", image)
                    .env("EXIT_WITH", "0").build());
            Await.untilContains(WAIT, "listening", () -> logs(info.id()));

            DockerEngine.client().killContainerCmd(info.id()).exec();
            Await.until(WAIT, "a die event with exit code 137", () -> events.stream().anyMatch(e ->
                    e.kind() == InstanceEvent.Kind.EXITED && e.instanceId().equals(info.id()) && Integer.valueOf(137).equals(e.exitCode())));
            Await.until(WAIT, "an exit-3 event", () -> events.stream().anyMatch(e ->
                    e.kind() == InstanceEvent.Kind.EXITED && e.instanceId().equals(exits.id()) && Integer.valueOf(3).equals(e.exitCode())));
            assertThat(backend.instance(fleet, exits.id()).orElseThrow().exitCode()).isEqualTo(3);

            backend.remove(info.id(), false);
            Await.until(WAIT, "a destroy event", () -> events.stream().anyMatch(e ->
                    e.kind() == InstanceEvent.Kind.DESTROYED && e.instanceId().equals(info.id())));
            assertThat(events).filteredOn(e -> e.instanceId().equals(info.id()))
                    .extracting(InstanceEvent::runnerName).containsOnly(fleet + "-ev");
            assertThat(events).extracting(InstanceEvent::instanceId).doesNotContain(other.id());
            backend.remove(other.id(), false);
        } finally {
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, otherFleet);
        }
    }

    @Test
    void exitedRunnerReportsItsExitCode() {
        InstanceInfo info = backend.launch(spec("code").env("EXIT_WITH", "2").build());
        Await.until(WAIT, "the runner to exit", () -> backend.instance(fleet, info.id()).orElseThrow().state() == InstanceState.EXITED);
        InstanceInfo exited = backend.instance(fleet, info.id()).orElseThrow();
        assertThat(exited.exitCode()).isEqualTo(2);
        assertThat(exited.oomKilled()).isFalse();
    }

    @Test
    void jitModeSkipsConfigAndWritesTheJitConfigsFilesForRunSh() {
        String runnerFile = "{\"agentId\": 7, \"agentName\": \"" + fleet + "-jit\"}\n";
        String credentials = "{\"scheme\": \"OAuth\", \"id\": \"" + UUID.randomUUID() + "\"}\n";
        String jit = b64("{\".runner\":\"" + b64(runnerFile) + "\",\".credentials\":\"" + b64(credentials) + "\"}");
        InstanceInfo info = backend.launch(LaunchSpec.builder(fleet, "eph", fleet + "-jit", image)
                .command(new RunnerCommand(List.of(), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of(jit))
                .build());
        String out = Await.untilContains(WAIT, "listening", () -> logs(info.id()));
        assertThat(out).contains(".runner-sha256: " + StandInRunner.sha256(runnerFile))
                .contains(".credentials-sha256: " + StandInRunner.sha256(credentials))
                .doesNotContain("env-name: ACTIONS_RUNNER_INPUT_JITCONFIG")
                .doesNotContain("config args").doesNotContain(jit);
        String inspect = String.valueOf(DockerEngine.client().inspectContainerCmd(info.id()).exec());
        assertThat(inspect).doesNotContain(jit).doesNotContain(b64(credentials));
    }

    @Test
    void aJitConfigNotInTheRunnersFormatIsRefusedBeforeAnythingIsCreated() {
        assertThatThrownBy(() -> backend.launch(LaunchSpec.builder(fleet, "eph", fleet + "-badjit", image)
                .command(new RunnerCommand(List.of(), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of("not-a-jit-config"))
                .build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining(fleet + "-badjit")
                .hasMessageContaining("JIT config").hasMessageNotContaining("not-a-jit-config");
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet)).isEmpty();
    }

    private static String b64(String s) {
        return java.util.Base64.getEncoder().encodeToString(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void devicesAndGroupsReachTheContainer() {
        List<io.runnerfleet.DeviceMapping> devices = new java.util.ArrayList<>(List.of(
                io.runnerfleet.DeviceMapping.parse("/dev/null:/dev/board-null"),
                io.runnerfleet.DeviceMapping.parse("/dev/zero:/dev/zero:r")));
        devices.add(io.runnerfleet.DeviceMapping.parse("/dev/kvm"));
        try (HostStandIns host = new HostStandIns("DockerBackendIT.devicesAndGroupsReachTheContainer")) {
            // The kvm device and the dialout group are mapped, never used: stand in for them where the host lacks them.
            host.characterDevice("/dev/kvm", 10, 232);
            host.group("dialout");
            String dialout = HostStandIns.gid("dialout");
            InstanceInfo info = backend.launch(spec("dev").devices(devices).groups(List.of("dialout", "4242")).build());
            String out = Await.untilContains(WAIT, "listening", () -> logs(info.id()));
            assertThat(out).containsPattern("groups: .*\\b" + dialout + "\\b").containsPattern("groups: .*\\b4242\\b");
            var hostConfig = DockerEngine.client().inspectContainerCmd(info.id()).exec().getHostConfig();
            assertThat(hostConfig.getGroupAdd()).containsExactly(dialout, "4242");
            assertThat(List.of(hostConfig.getDevices()))
                    .extracting(d -> d.getPathOnHost() + ">" + d.getPathInContainer() + ":" + d.getcGroupPermissions())
                    .contains("/dev/null>/dev/board-null:rwm", "/dev/zero>/dev/zero:r", "/dev/kvm>/dev/kvm:rwm");
            backend.remove(info.id(), false);
        }
    }

    @Test
    void limitsUserStopSignalAndExtraHostsAreApplied() {
        // An engine without CFS quotas or the memory cgroup drops those limits with a warning: not ours to test.
        var engine = DockerEngine.client().infoCmd().exec();
        String missing = (Boolean.TRUE.equals(engine.getCpuCfsQuota()) ? "" : " CPU CFS quota")
                + (Boolean.TRUE.equals(engine.getMemoryLimit()) ? "" : " memory limit");
        if (!missing.isEmpty()) {
            System.out.println("DockerBackendIT.limitsUserStopSignalAndExtraHostsAreApplied skipped: the engine lacks" + missing);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(missing.isEmpty(), "the engine lacks" + missing);
        List<String> warnings = new CopyOnWriteArrayList<>();
        backend.close();
        backend = DockerBackend.builder().warnings(warnings::add).build();
        InstanceInfo info = backend.launch(spec("lim")
                .resources(io.runnerfleet.Resources.none().cpus(0.5).memoryMiB(64).pids(128))
                .extraHosts(Map.of("github.example", "127.0.0.1"))
                .stopSignal("SIGINT").stopGrace(Duration.ofSeconds(7))
                .user("0:0").networkMode("none").init(false)
                .build());
        var inspect = DockerEngine.client().inspectContainerCmd(info.id()).exec();
        var host = inspect.getHostConfig();
        assertThat(host.getNanoCPUs()).isEqualTo(500_000_000L);
        assertThat(host.getMemory()).isEqualTo(64L * 1024 * 1024);
        assertThat(host.getPidsLimit()).isEqualTo(128L);
        assertThat(host.getExtraHosts()).containsExactly("github.example:127.0.0.1");
        assertThat(host.getNetworkMode()).isEqualTo("none");
        assertThat(inspect.getConfig().getUser()).isEqualTo("0:0");
        assertThat(dockerInspect(info.id(), "{{.Config.StopSignal}} {{.Config.StopTimeout}}")).isEqualTo("SIGINT 7");
        assertThat(warnings).isEmpty();
    }

    @Test
    void privilegedAndDockerSocketOnlyOnOptInAndEachWarns() {
        List<String> warnings = new CopyOnWriteArrayList<>();
        backend.close();
        backend = DockerBackend.builder().warnings(warnings::add).build();
        InstanceInfo plain = backend.launch(spec("plain").build());
        var plainHost = DockerEngine.client().inspectContainerCmd(plain.id()).exec().getHostConfig();
        assertThat(plainHost.getPrivileged()).isFalse();
        assertThat(plainHost.getBinds() == null ? List.of() : List.of(plainHost.getBinds())).extracting(Object::toString)
                .noneMatch(b -> b.contains("docker.sock"));
        assertThat(warnings).isEmpty();

        InstanceInfo sock = backend.launch(spec("sock").dockerSocket(true).build());
        var sockHost = DockerEngine.client().inspectContainerCmd(sock.id()).exec().getHostConfig();
        assertThat(sockHost.getPrivileged()).isFalse();
        assertThat(List.of(sockHost.getBinds())).extracting(Object::toString).anyMatch(b -> b.contains("/var/run/docker.sock"));
        assertThat(warnings).singleElement().asString().contains("Docker socket").contains(fleet + "-sock");

        // Engines inside unprivileged containers (such as CI sandboxes) cannot start privileged ones.
        try {
            InstanceInfo priv = backend.launch(spec("priv").privileged(true).build());
            assertThat(DockerEngine.client().inspectContainerCmd(priv.id()).exec().getHostConfig().getPrivileged()).isTrue();
        } catch (DockerEngineException e) {
            assertThat(e).hasMessageContaining(fleet + "-priv").hasMessageContaining("privileged")
                    .hasMessageContaining("removed");
            assertThat(backend.instance(fleet, fleet + "-priv")).isEmpty();
        }
        assertThat(warnings).hasSize(2).last().asString().contains("privileged").contains(fleet + "-priv");
    }

    @Test
    void missingDeviceIsRefusedBeforeAnythingIsCreated() {
        // A device name no host has, rather than one (such as /dev/ttyUSB97) that some host might.
        String missing = "/dev/ttyUSB-runnerfleet-" + fleet;
        assertThat(Path.of(missing)).doesNotExist();
        assertThatThrownBy(() -> backend.launch(spec("nodev")
                .volumes(List.of(new VolumeMount("work", "/home/runner/_work")))
                .devices(List.of(io.runnerfleet.DeviceMapping.parse(missing))).build()))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(missing).hasMessageContaining(fleet + "-nodev")
                .hasMessageContaining("does not exist");
        assertThat(DockerEngine.volumesLabelled(DockerBackend.FLEET_LABEL, fleet)).isEmpty();
    }

    @Test
    void unknownGroupAndBadImageReferencesAreRefused() {
        assertThatThrownBy(() -> backend.launch(spec("grp").groups(List.of("no-such-group-rf")).build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("no-such-group-rf");
        assertThatThrownBy(() -> backend.launch(LaunchSpec.builder(fleet, "pool", fleet + "-img", "Not A Valid:Ref!").build()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("Not A Valid:Ref!");
        assertThatThrownBy(() -> backend.launch(LaunchSpec.builder(fleet, "pool", fleet + "-missing",
                "runnerfleet-test/never-built:1").build()))
                .isInstanceOf(ImageException.class).hasMessageContaining("runnerfleet-test/never-built:1")
                .hasMessageContaining("prepare");
    }

    @Test
    void foreignContainerWithTheRunnersNameIsNeverTouched() {
        String name = fleet + "-taken";
        String foreign = DockerEngine.client().createContainerCmd(DockerEngine.busyboxImage()).withName(name)
                .withLabels(Map.of("io.runnerfleet.test", fleet)).withCmd("sleep", "60").exec().getId();
        try {
            assertThatThrownBy(() -> backend.launch(spec("taken").volumes(List.of(new VolumeMount("work", "/home/runner/_work")))
                    .build()))
                    .isInstanceOfSatisfying(ContainerConflictException.class, e -> {
                        assertThat(e.foreign()).isTrue();
                        assertThat(e.name()).isEqualTo(name);
                    })
                    .hasMessageContaining(name).hasMessageContaining("not created by Runner Fleet");
            assertThatThrownBy(() -> backend.remove(name, false)).isInstanceOf(ContainerConflictException.class);
            assertThatThrownBy(() -> backend.stop(foreign, Duration.ZERO)).isInstanceOf(ContainerConflictException.class);
            assertThat(DockerEngine.client().inspectContainerCmd(foreign).exec().getName()).isEqualTo("/" + name);
            assertThat(backend.instances(fleet)).isEmpty();
            assertThat(DockerEngine.volumesLabelled(DockerBackend.RUNNER_LABEL, name)).as("the refused launch's volume").isEmpty();
        } finally {
            DockerEngine.client().removeContainerCmd(foreign).withForce(true).exec();
        }
        DockerEngine.assertNothingLeft("io.runnerfleet.test", fleet);
    }

    @Test
    void launchingARunnerTwiceIsAConflictNotASecondContainer() {
        backend.launch(spec("twice").build());
        assertThatThrownBy(() -> backend.launch(spec("twice").build()))
                .isInstanceOfSatisfying(ContainerConflictException.class, e -> assertThat(e.foreign()).isFalse());
        assertThat(backend.instances(fleet)).hasSize(1);
    }
}
