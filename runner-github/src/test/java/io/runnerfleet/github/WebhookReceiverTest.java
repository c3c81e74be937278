package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import java.time.Duration;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookReceiver} over real HTTP on 127.0.0.1, and {@link WorkflowJobEvent#jobRequest()}. */
class WebhookReceiverTest {
    private static final String SECRET_TEXT = "receiver-secret-9f3a";
    private static final Secret SECRET = Secret.of(SECRET_TEXT);
    private final WorkflowJobWebhook signer = WorkflowJobWebhook.withSecret(SECRET);
    private final BlockingQueue<WorkflowJobEvent> queued = new LinkedBlockingQueue<>();
    private final WebhookReceiver receiver = WebhookReceiver.builder(SECRET).onQueued(queued::add).build().start();

    @AfterEach
    void close() {
        receiver.close();
    }

    private static byte[] delivery(String action, boolean privateRepo) {
        return new String(WebhookTest.delivery(action), StandardCharsets.UTF_8)
                .replace("\"full_name\": \"octo-org/example-workflow\"",
                        "\"full_name\": \"octo-org/example-workflow\", \"private\": " + privateRepo)
                .getBytes(StandardCharsets.UTF_8);
    }

    private int post(URI uri, String method, String event, byte[] body, String signature) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        c.setRequestMethod(method);
        if (event != null) {
            c.setRequestProperty("X-GitHub-Event", event);
        }
        if (signature != null) {
            c.setRequestProperty("X-Hub-Signature-256", signature);
        }
        c.setRequestProperty("Content-Type", "application/json");
        if (body != null) {
            c.setDoOutput(true);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    private int post(String event, byte[] body, String signature) throws IOException {
        return post(receiver.uri(), "POST", event, body, signature);
    }

    @Test
    void aSignedQueuedJobIsAcceptedAndHandedOnAsAJobRequest() throws Exception {
        byte[] body = delivery("queued", true);
        assertThat(receiver.uri().toString()).startsWith("http://127.0.0.1:").endsWith("/webhook");
        assertThat(post("workflow_job", body, signer.sign(body))).isEqualTo(202);

        WorkflowJobEvent event = queued.poll(5, TimeUnit.SECONDS);
        assertThat(event).isNotNull();
        assertThat(event.action()).isEqualTo(WorkflowJobEvent.Action.QUEUED);
        assertThat(event.privateRepository()).isTrue();
        JobRequest job = event.jobRequest();
        assertThat(job.labels().toString()).contains("phytiumpi");
        assertThat(job.repository()).isEqualTo("octo-org/example-workflow");
        assertThat(job.publicRepository()).isFalse();
        assertThat(job.group()).isNull();
        assertThat(receiver.accepted()).isEqualTo(1);
        assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().startsWith("runnerfleet-webhook"))
                .isNotEmpty().allMatch(Thread::isDaemon);
    }

    @Test
    void otherActionsAndOtherEventsAreIgnoredWith204() throws Exception {
        for (String action : List.of("in_progress", "completed", "waiting")) {
            byte[] body = delivery(action, false);
            assertThat(post("workflow_job", body, signer.sign(body))).as(action).isEqualTo(204);
        }
        byte[] ping = "{\"zen\": \"Keep it logically awesome.\", \"hook_id\": 1}".getBytes(StandardCharsets.UTF_8);
        assertThat(post("ping", ping, signer.sign(ping))).isEqualTo(204);
        assertThat(receiver.ignored()).isEqualTo(4);
        assertThat(receiver.accepted()).isZero();
        assertThat(queued).isEmpty();
    }

    @Test
    void badSignaturesAre401AndNothingIsHandedOn() throws Exception {
        byte[] body = delivery("queued", false);
        assertThat(post("workflow_job", body, null)).isEqualTo(401);
        assertThat(post("workflow_job", body, WorkflowJobWebhook.withSecret(Secret.of("other")).sign(body)))
                .isEqualTo(401);
        assertThat(post("workflow_job", body, "sha256=nothex")).isEqualTo(401);
        // even an ignorable event must be signed: the signature is checked first
        assertThat(post("ping", body, "sha256=" + "0".repeat(64))).isEqualTo(401);
        assertThat(receiver.rejected()).isEqualTo(4);
        assertThat(queued).isEmpty();
    }

    @Test
    void malformedBodiesAre400AndOtherPathsAndMethodsAreRefused() throws Exception {
        byte[] notJson = "{not json".getBytes(StandardCharsets.UTF_8);
        assertThat(post("workflow_job", notJson, signer.sign(notJson))).isEqualTo(400);
        byte[] noJob = "{\"action\": \"queued\", \"repository\": {}}".getBytes(StandardCharsets.UTF_8);
        assertThat(post("workflow_job", noJob, signer.sign(noJob))).isEqualTo(400);
        byte[] body = delivery("queued", false);
        assertThat(post(receiver.uri().resolve("/webhook/x"), "POST", "workflow_job", body, signer.sign(body)))
                .isEqualTo(404);
        assertThat(post(receiver.uri(), "GET", "workflow_job", null, null)).isEqualTo(405);
        byte[] huge = new byte[WebhookReceiver.MAX_BODY + 10];
        assertThat(post("workflow_job", huge, signer.sign(huge))).isEqualTo(413);
        assertThat(queued).isEmpty();
        assertThat(receiver.rejected()).isEqualTo(5);
    }

    @Test
    void aClosedReceiverRefusesConnectionsAndCannotRestart() throws Exception {
        URI uri = receiver.uri();
        receiver.close();
        receiver.close();
        byte[] body = delivery("queued", false);
        assertThatThrownBy(() -> post(uri, "POST", "workflow_job", body, signer.sign(body)))
                .isInstanceOf(IOException.class);
        assertThat(receiver.toString()).contains("closed");
        assertThatThrownBy(receiver::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("runnerfleet-webhook") && t.isAlive()))
                .as("no receiver thread outlives close()").isEmpty();
    }

    @Test
    void aFailingConsumerIsLoggedAndTheReceiverKeepsAnswering() throws Exception {
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        try (WebhookReceiver failing = WebhookReceiver.builder(SECRET).onQueued(e -> {
            seen.add(e.job().name());
            throw new IllegalStateException("consumer broke");
        }).build().start()) {
            byte[] body = delivery("queued", false);
            assertThat(post(failing.uri(), "POST", "workflow_job", body, signer.sign(body))).isEqualTo(202);
            assertThat(post(failing.uri(), "POST", "workflow_job", body, signer.sign(body))).isEqualTo(202);
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("Test workflow");
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("Test workflow");
        }
    }

    @Test
    void theSecretNeverPrints() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            byte[] body = delivery("queued", false);
            post("workflow_job", body, WorkflowJobWebhook.withSecret(Secret.of("wrong")).sign(body));
            post("workflow_job", "x".getBytes(StandardCharsets.UTF_8), signer.sign("x".getBytes(StandardCharsets.UTF_8)));
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).contains("rejected").doesNotContain(SECRET_TEXT);
        assertThat(receiver.toString()).contains("secret ****").contains("127.0.0.1").doesNotContain(SECRET_TEXT);
        assertThat(WebhookReceiver.builder(SECRET).onQueued(e -> { }).build().toString())
                .contains("not started").doesNotContain(SECRET_TEXT);
    }

    @Test
    void settingsAreValidatedWithTheFix() {
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(".fleet(fleet)");
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).port(70000)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("70000");
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).host("no such host.invalid"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("no such host.invalid");
        WebhookReceiver unstarted = WebhookReceiver.builder(SECRET).onQueued(e -> { }).build();
        assertThatThrownBy(unstarted::uri).isInstanceOf(IllegalStateException.class).hasMessageContaining("start()");
        int taken = receiver.uri().getPort();
        try (WebhookReceiver clash = WebhookReceiver.builder(SECRET).port(taken).onQueued(e -> { }).build()) {
            assertThatThrownBy(clash::start).hasMessageContaining(String.valueOf(taken))
                    .hasMessageContaining("free port");
        }
    }

    @Test
    void jobRequestCarriesLabelsRepositoryVisibilityAndGroup() {
        WorkflowJobEvent publicQueued = WorkflowJobEvent.parse(delivery("queued", false));
        assertThat(publicQueued.privateRepository()).isFalse();
        assertThat(publicQueued.runnerGroup()).isNull();
        assertThat(publicQueued.jobRequest().publicRepository()).isTrue();
        assertThat(publicQueued.jobRequest().toString()).contains("public octo-org/example-workflow");

        // a delivery without repository.private takes the schema's default (false): public, the stricter case
        assertThat(WorkflowJobEvent.parse(WebhookTest.delivery("queued")).jobRequest().publicRepository()).isTrue();

        WorkflowJobEvent running = WorkflowJobEvent.parse(delivery("in_progress", true));
        assertThat(running.runnerGroup()).isEqualTo("Default");
        assertThat(running.jobRequest().group()).isEqualTo("Default");
        assertThat(running.jobRequest().publicRepository()).isFalse();

        WorkflowJobEvent noLabels = WorkflowJobEvent.parse(new String(delivery("queued", false), StandardCharsets.UTF_8)
                .replace("[\"self-hosted\", \"linux\", \"phytiumpi\"]", "[]").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(noLabels::jobRequest).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("2832853555").hasMessageContaining("no runs-on labels");
        WorkflowJobEvent badLabel = WorkflowJobEvent.parse(new String(delivery("queued", false), StandardCharsets.UTF_8)
                .replace("\"phytiumpi\"", "\"a,b\"").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(badLabel::jobRequest).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("2832853555");
    }

    @Test
    void fleetGlueGrowsTheMatchingOnDemandPoolForAQueuedJob() throws Exception {
        InMemoryRegistry registry = InMemoryRegistry.builder().organization("octo-org").build();
        InMemoryBackend backend = InMemoryBackend.builder().build();
        try (RunnerFleet fleet = RunnerFleet.builder().name("hooked").registry(registry).backend(backend)
                .pool(RunnerPool.builder("boards").image("runner:1").labels("phytiumpi").ephemeral(true)
                        .scaling(Scaling.onDemand(0, 3)))
                .pool(RunnerPool.builder("other").image("runner:1").labels("intel").ephemeral(true)
                        .scaling(Scaling.onDemand(0, 3)))
                .build();
             WebhookReceiver hooks = WebhookReceiver.builder(SECRET).fleet(fleet).build().start()) {
            fleet.start();
            byte[] body = delivery("queued", true);   // runs-on: [self-hosted, linux, phytiumpi], a private repository
            assertThat(post(hooks.uri(), "POST", "workflow_job", body, signer.sign(body))).isEqualTo(202);
            Await.until(Duration.ofSeconds(20), "a container for the queued job",
                    () -> backend.launched().size() == 1);
            assertThat(backend.launched().get(0).runnerName()).startsWith("hooked-boards-1");
            // a job nobody can take is accepted (GitHub must not retry it) and grows nothing
            byte[] gpu = new String(body, StandardCharsets.UTF_8).replace("\"phytiumpi\"", "\"gpu\"")
                    .getBytes(StandardCharsets.UTF_8);
            assertThat(post(hooks.uri(), "POST", "workflow_job", gpu, signer.sign(gpu))).isEqualTo(202);
            // the Default group admits no public repository (GitHub's default), so a public job grows nothing
            byte[] fromPublic = delivery("queued", false);
            assertThat(post(hooks.uri(), "POST", "workflow_job", fromPublic, signer.sign(fromPublic))).isEqualTo(202);
            Await.until(Duration.ofSeconds(20), "all deliveries handed on", () -> hooks.accepted() == 3);
            fleet.reconcile(Duration.ofSeconds(20));
            assertThat(backend.launched()).hasSize(1);
        }
    }

    @Test
    void theReceiverAnswersBeforeTheConsumerFinishes() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        try (WebhookReceiver slow = WebhookReceiver.builder(SECRET).onQueued(e -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }).build().start()) {
            byte[] body = delivery("queued", false);
            // the consumer blocks until released: an answer within the 5 s read timeout proves it is not awaited
            assertThat(post(slow.uri(), "POST", "workflow_job", body, signer.sign(body))).isEqualTo(202);
            release.countDown();
        }
    }
}
