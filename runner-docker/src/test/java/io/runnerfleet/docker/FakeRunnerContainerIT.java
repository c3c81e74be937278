package io.runnerfleet.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.BuildImageResultCallback;
import com.github.dockerjava.api.model.HostConfig;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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
 * takes a job and exits (ephemeral), or goes offline on {@code docker stop}.
 */
@ExtendWith(DockerEngine.class)
class FakeRunnerContainerIT {
    private static final String OWNER = "io.runnerfleet.test";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private final String run = "fake-runner-" + UUID.randomUUID();
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
        } finally {
            fake.close();
        }
    }

    @Test
    void anEphemeralRunnerContainerGoesOnlineTakesAJobAndExits() {
        String id = startRunner("container-1", "--ephemeral");
        awaitTrue("container-1 online in GET /orgs/acme/actions/runners; logs:\n" + logs(id),
                () -> "online".equals(listedStatus("container-1")));
        // The session (online) opens before run.sh prints its banner, as with the real runner: wait for the line.
        Pattern listening = Pattern.compile("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ: Listening for Jobs");
        awaitTrue("'Listening for Jobs' in the logs of container-1", () -> listening.matcher(logs(id)).find());
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
        awaitTrue("container-2 online; logs:\n" + logs(id), () -> "online".equals(listedStatus("container-2")));
        DockerEngine.client().stopContainerCmd(id).withTimeout(20).exec();
        Long exit = DockerEngine.client().inspectContainerCmd(id).exec().getState().getExitCodeLong();
        assertThat(exit).as(logs(id)).isZero();
        assertThat(logs(id)).contains("Exiting...");
        assertThat(listedStatus("container-2")).isEqualTo("offline");
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
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(fake.url() + path).toURL().openConnection();
            c.setRequestMethod(method);
            c.setRequestProperty("Authorization", "Bearer " + pat);
            c.setRequestProperty("Accept", "application/vnd.github+json");
            if ("POST".equals(method)) {
                c.setDoOutput(true);
                c.getOutputStream().close();
            }
            assertThat(c.getResponseCode()).as(method + " " + path).isBetween(200, 299);
            try (InputStream in = c.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitTrue(String what, BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(WAIT);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos()); // poll interval
        }
    }
}
