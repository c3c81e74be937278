package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.HostConfig;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import io.runnerfleet.testing.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The fake runner image (built FROM the local busybox base image) registers with a FakeGitHub on
 * 127.0.0.1 from a host-network container, shows up online in {@code GET /orgs/{org}/actions/runners},
 * takes a job and exits (ephemeral), or goes offline on {@code docker stop}. Launched by
 * {@link DockerBackend}, an online runner's registration token or JIT config is in no process's
 * environment or command line, where a job step running as the same user could read it.
 */
@ExtendWith(DockerEngine.class)
class FakeRunnerContainerIT {
    private static final String OWNER = "io.runnerfleet.test";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final String run = "fake-runner-" + UUID.randomUUID();
    private final String fleet = "sec" + UUID.randomUUID().toString().substring(0, 8);
    private DockerBackend backend;
    private FakeGitHub fake;
    private FakeScope acme;
    private String pat;

    @BeforeAll
    static void buildImages() throws IOException {
        DockerEngine.busyboxImage();
        Path context = FakeRunnerImage.writeContext(Files.createTempDirectory("runnerfleet-fake-runner-"));
        try {
            DockerEngine.client().buildImageCmd(context.toFile())
                    .withTags(Set.of(FakeRunnerImage.TAG))
                    .withPull(false)
                    .exec(new BuildImageResultCallback())
                    .awaitImageId(120, TimeUnit.SECONDS);
        } finally {
            try (var paths = Files.walk(context)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @BeforeEach
    void startFake() {
        fake = FakeGitHub.create().start();
        acme = fake.organization("acme");
        acme.repository("widgets");
        pat = fake.newToken("admin:org").reveal();
    }

    @AfterEach
    void nothingLeaks() {
        try {
            for (var c : DockerEngine.containersLabelled(OWNER, run)) {
                DockerEngine.client().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(true).exec();
            }
            DockerEngine.assertNothingLeft(OWNER, run);
            if (backend != null) {
                for (InstanceInfo i : backend.instances(fleet)) {
                    backend.remove(i.id(), false);
                }
            }
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
        } finally {
            if (backend != null) {
                backend.close();
            }
            fake.close();
        }
    }

    @Test
    void anEphemeralRunnerContainerGoesOnlineTakesAJobAndExits() {
        String id = startRunner("container-1", "--ephemeral");
        Await.until(WAIT, () -> "container-1 online in GET /orgs/acme/actions/runners; logs:\n" + logs(id),
                () -> "online".equals(listedStatus("container-1")));
        // The session (online) opens before run.sh prints its banner, as with the real runner: wait for the line.
        Pattern listening = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ: Listening for Jobs");
        Await.until(WAIT, "'Listening for Jobs' in the logs of container-1", () -> listening.matcher(logs(id)).find());
        assertThat(acme.runner("container-1").orElseThrow().labels()).contains("self-hosted", "Linux", "in-docker");

        FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted", "in-docker");
        assertThat(DockerEngine.client().waitContainerCmd(id).start().awaitStatusCode(60, TimeUnit.SECONDS)).isZero();
        assertThat(job.status()).isEqualTo("completed");
        assertThat(job.runnerName()).isEqualTo("container-1");
        assertThat(listedStatus("container-1")).isEqualTo("absent");
        assertThat(logs(id)).doesNotContain(pat);
    }

    @Test
    void dockerStopTakesAPersistentRunnerOffline() {
        String id = startRunner("container-2");
        Await.until(WAIT, () -> "container-2 online; logs:\n" + logs(id), () -> "online".equals(listedStatus("container-2")));
        DockerEngine.client().stopContainerCmd(id).withTimeout(20).exec();
        Long exit = DockerEngine.client().inspectContainerCmd(id).exec().getState().getExitCodeLong();
        assertThat(exit).as(logs(id)).isZero();
        assertThat(logs(id)).contains("Exiting...");
        assertThat(listedStatus("container-2")).isEqualTo("offline");
    }

    @Test
    void aTokenRunnerLaunchedByTheBackendHasTheTokenInNoProcessEnvironmentOrCommandLine() {
        String token = registrationToken();
        String name = fleet + "-token";
        InstanceInfo info = backend().launch(LaunchSpec.builder(fleet, "pool", name, FakeRunnerImage.TAG)
                .command(new RunnerCommand(List.of("--url", acme.url(), "--name", name, "--labels", "in-docker",
                        "--unattended", "--replace"), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(token))
                .build());
        Await.until(WAIT, () -> name + " online; logs:\n" + logs(info.id()), () -> "online".equals(listedStatus(name)));

        String processes = processes(info.id());
        assertThat(processes).doesNotContain(token);
        assertThat(logs(info.id())).doesNotContain(token);
    }

    @Test
    void theBackendSaysOnceThatALaunchedRunnerIsListeningAndThenStopsFollowingItsLog() {
        List<InstanceEvent> events = new CopyOnWriteArrayList<>();
        String name = fleet + "-listen";
        try (Subscription sub = backend().events(fleet, events::add)) {
            InstanceInfo info = backend().launch(tokenRunner(name, registrationToken()));
            InstanceEvent heard = Await.value(WAIT, () -> "LISTENING of " + name + "; logs:\n" + logs(info.id()),
                    () -> events.stream().filter(e -> e.kind() == InstanceEvent.Kind.LISTENING).findFirst());
            assertThat(heard.instanceId()).isEqualTo(info.id());
            assertThat(heard.runnerName()).isEqualTo(name);
            assertThat(logs(info.id())).contains("Listening for Jobs");
            Await.until(WAIT, "the log no longer followed", () -> backend().followedLogs() == 0);
            assertThat(listedStatus(name)).as("the runner's session is open at GitHub").isEqualTo("online");
            assertThat(events).filteredOn(e -> e.kind() == InstanceEvent.Kind.LISTENING).hasSize(1);
        }
    }

    @Test
    void aRunnerThatExitsWithoutListeningEndsItsLogFollowAndIsNeverSaidToListen() {
        List<InstanceEvent> events = new CopyOnWriteArrayList<>();
        String name = fleet + "-refused";
        try (Subscription sub = backend().events(fleet, events::add)) {
            InstanceInfo info = backend().launch(tokenRunner(name, "not-a-registration-token"));
            Await.until(WAIT, () -> name + " exited; logs:\n" + logs(info.id()), () -> events.stream()
                    .anyMatch(e -> e.kind() == InstanceEvent.Kind.EXITED && e.instanceId().equals(info.id())));
            Await.until(WAIT, "the log no longer followed", () -> backend().followedLogs() == 0);
            assertThat(events).noneMatch(e -> e.kind() == InstanceEvent.Kind.LISTENING);
        }
    }

    private LaunchSpec tokenRunner(String name, String token) {
        return LaunchSpec.builder(fleet, "pool", name, FakeRunnerImage.TAG)
                .command(new RunnerCommand(List.of("--url", acme.url(), "--name", name, "--labels", "in-docker",
                        "--unattended", "--replace"), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_TOKEN", Secret.of(token))
                .build();
    }

    @Test
    void aJitRunnerLaunchedByTheBackendHasTheJitConfigInNoProcessEnvironmentOrCommandLine() {
        String name = fleet + "-jit";
        String body = http("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"" + name + "\",\"runner_group_id\":1,\"labels\":[\"self-hosted\",\"jit\"]}");
        Matcher m = Pattern.compile("\"encoded_jit_config\":\"([^\"]+)\"").matcher(body);
        assertThat(m.find()).as(body).isTrue();
        String jit = m.group(1);
        InstanceInfo info = backend().launch(LaunchSpec.builder(fleet, "eph", name, FakeRunnerImage.TAG)
                .command(new RunnerCommand(List.of(), List.of()))
                .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of(jit))
                .build());
        Await.until(WAIT, () -> name + " online; logs:\n" + logs(info.id()), () -> "online".equals(listedStatus(name)));

        String processes = processes(info.id());
        assertThat(processes).doesNotContain(jit).doesNotContain(jit.substring(jit.length() / 2, jit.length() / 2 + 40));

        FakeJob job = fake.queueJob(acme.repository("widgets"), "jit");
        assertThat(DockerEngine.client().waitContainerCmd(info.id()).start().awaitStatusCode(60, TimeUnit.SECONDS))
                .as(logs(info.id())).isZero();
        assertThat(job.runnerName()).isEqualTo(name);
        assertThat(logs(info.id())).doesNotContain(jit);
    }

    private DockerBackend backend() {
        if (backend == null) {
            backend = DockerBackend.fromEnvironment();
        }
        return backend;
    }

    /**
     * What a job step in the container could read: the command line and environment of every
     * process, read by {@code docker exec} as the container's own user. Fails unless the runner's
     * {@code run.sh} process was among those read, so an unreadable /proc cannot pass the check.
     */
    private static String processes(String containerId) {
        String script = "for d in /proc/[0-9]*; do "
                + "c=$(tr '\\0' ' ' < \"$d/cmdline\" 2>/dev/null) || continue; "
                + "e=$(tr '\\0' ' ' < \"$d/environ\" 2>/dev/null) || e=unreadable; "
                + "printf '%s cmdline: %s\\n%s environ: %s\\n' \"${d#/proc/}\" \"$c\" \"${d#/proc/}\" \"$e\"; done";
        var client = DockerEngine.client();
        String exec = client.execCreateCmd(containerId).withCmd("/bin/sh", "-c", script)
                .withAttachStdout(true).withAttachStderr(true).exec().getId();
        StringBuilder out = new StringBuilder();
        try {
            client.execStartCmd(exec).exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                @Override
                public void onNext(com.github.dockerjava.api.model.Frame frame) {
                    synchronized (out) {
                        out.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                    }
                }
            }).awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        String view;
        synchronized (out) {
            view = out.toString();
        }
        Matcher runSh = Pattern.compile("(?m)^(\\d+) cmdline: \\S*sh \\./run\\.sh").matcher(view);
        assertThat(runSh.find()).as("the run.sh process among:\n%s", view).isTrue();
        assertThat(view).as("run.sh's environment is readable").containsPattern(
                "(?m)^" + runSh.group(1) + " environ: .*HOME=/home/runner");
        return view;
    }

    private String startRunner(String name, String... extra) {
        String token = registrationToken();
        DockerClient docker = DockerEngine.client();
        String flags = String.join(" ", extra);
        String id = docker.createContainerCmd(FakeRunnerImage.TAG)
                .withLabels(Map.of(OWNER, run))
                .withHostConfig(HostConfig.newHostConfig().withNetworkMode("host"))
                // The token goes through the environment form, never the command line.
                .withEnv(List.of("ACTIONS_RUNNER_INPUT_TOKEN=" + token))
                .withCmd("sh", "-c", "./config.sh --url " + acme.url() + " --name " + name
                        + " --labels in-docker --unattended --replace " + flags + " && exec ./run.sh")
                .exec().getId();
        docker.startContainerCmd(id).exec();
        return id;
    }

    private String logs(String id) {
        StringBuilder sb = new StringBuilder();
        try {
            DockerEngine.client().logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(false)
                    .exec(new com.github.dockerjava.api.async.ResultCallback.Adapter<com.github.dockerjava.api.model.Frame>() {
                        @Override
                        public void onNext(com.github.dockerjava.api.model.Frame frame) {
                            sb.append(new String(frame.getPayload(), StandardCharsets.UTF_8));
                        }
                    }).awaitCompletion(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return sb.toString();
    }

    private String registrationToken() {
        String body = http("POST", "/orgs/acme/actions/runners/registration-token");
        Matcher m = Pattern.compile("\"token\":\"([^\"]+)\"").matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return m.group(1);
    }

    /** The runner's status as {@code GET /orgs/acme/actions/runners?name=} shows it, or "absent". */
    private String listedStatus(String name) {
        String body = http("GET", "/orgs/acme/actions/runners?name=" + name);
        Matcher m = Pattern.compile("\"name\":\"" + Pattern.quote(name) + "\",\"os\":\"[^\"]*\",\"status\":\"([a-z]+)\"")
                .matcher(body);
        return m.find() ? m.group(1) : "absent";
    }

    private String http(String method, String path) {
        return http(method, path, "");
    }

    private String http(String method, String path, String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(fake.url() + path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setRequestProperty("Authorization", "Bearer " + pat);
            c.setRequestProperty("Accept", "application/vnd.github+json");
            if ("POST".equals(method)) {
                c.setDoOutput(true);
                try (var out = c.getOutputStream()) {
                    out.write(body.getBytes(StandardCharsets.UTF_8));
                }
            }
            assertThat(c.getResponseCode()).as(method + " " + path).isBetween(200, 299);
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
