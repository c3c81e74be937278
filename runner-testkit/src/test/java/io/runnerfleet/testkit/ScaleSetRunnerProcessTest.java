package io.runnerfleet.testkit;

import static io.runnerfleet.testkit.ActionsClient.jobs;
import static io.runnerfleet.testkit.ActionsClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.runnerfleet.testing.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake runner (busybox sh) started with a scale set's JIT config, driven by a listener's raw calls. */
class ScaleSetRunnerProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private Path tmp;
    private FakeGitHub fake;
    private FakeScope acme;
    private ActionsClient client;
    private Path dir;
    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void start() throws java.io.IOException {
        Assumptions.assumeTrue(Files.isExecutable(RunnerProcess.BUSYBOX), "needs /bin/busybox");
        tmp = Files.createTempDirectory("runnerfleet-scale-set-runner-");
        fake = FakeGitHub.builder().clock(FakeClock.at(Instant.now())).pollWait(Duration.ofMillis(300))
                .pollTimeout(Duration.ofMillis(300)).build().start();
        acme = fake.organization("acme");
        acme.repository("widgets");
        client = new ActionsClient(fake, acme, new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal()));
        dir = FakeRunner.installTo(tmp.resolve("runner"));
        env.put("RUNNER_ALLOW_RUNASROOT", "1");
    }

    @AfterEach
    void stop() throws java.io.IOException {
        if (fake == null) {
            return;
        }
        fake.close();
        try (var paths = Files.walk(tmp)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void aRunnerWithAScaleSetJitConfigTakesTheAcquiredJobAndCompletesIt() {
        long set = client.createSet("linux", "linux");
        JsonNode session = client.createSession(set, "host-1");
        env.put("ACTIONS_RUNNER_INPUT_JITCONFIG", client.jit(set, "ss-runner-1").get("encodedJITConfig").asText());

        try (RunnerProcess run = RunnerProcess.start(dir, env, "run.sh")) {
            Await.until(WAIT, () -> "online; output: " + run.out() + run.err(),
                    () -> acme.runner("ss-runner-1").map(FakeRunnerView::online).orElse(false));
            assertThat(dir.resolve(".credentials_rsaparams")).as("the JIT config's key file").exists();
            FakeJob job = fake.queueJob(acme.repository("widgets"), Duration.ofSeconds(1), "linux");

            List<String> seen = new ArrayList<>();
            long last = 0;
            int polls = 0;
            while (!seen.contains("JobCompleted")) {
                assertThat(++polls).as("polls; messages so far %s; runner output %s", seen, run.out()).isLessThan(100);
                Http.Resp r = client.poll(session, last);
                if (r.status() == 202) {
                    continue;
                }
                last = json(r).get("messageId").asLong();
                assertThat(client.ack(session, last).status()).isEqualTo(204);
                for (JsonNode m : jobs(r)) {
                    seen.add(m.get("messageType").asText());
                    if (m.get("messageType").asText().equals("JobAvailable")) {
                        assertThat(json(client.acquire(session, set, "[" + m.get("runnerRequestId").asLong() + "]"))
                                .get("count").asInt()).isEqualTo(1);
                    }
                    if (m.get("messageType").asText().equals("JobStarted")) {
                        assertThat(m.get("runnerName").asText()).isEqualTo("ss-runner-1");
                    }
                    if (m.get("messageType").asText().equals("JobCompleted")) {
                        assertThat(m.get("result").asText()).isEqualTo("succeeded");
                    }
                }
            }
            assertThat(seen).containsExactly("JobAvailable", "JobAssigned", "JobStarted", "JobCompleted");
            assertThat(run.waitFor(WAIT)).as(run.out() + run.err()).isZero();
            assertThat(run.out()).contains("Running job: build", "completed with result: Succeeded");
            assertThat(job.conclusion()).isEqualTo("success");
            assertThat(job.runnerName()).isEqualTo("ss-runner-1");
            assertThat(acme.runner("ss-runner-1")).as("ephemeral: unregistered").isEmpty();
            for (String file : List.of(".runner", ".credentials", ".credentials_rsaparams")) {
                assertThat(dir.resolve(file)).as("no secret file left behind").doesNotExist();
            }
            assertThat(acme.scaleSet("linux").orElseThrow().statistics().assignedJobs()).isZero();
        }
    }
}
