package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.FakeRunners;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
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

    /** A status and the plain-text body that came with it. */
    private record Answer(int status, String body) {
    }

    /** Posts a signed workflow_job delivery with an {@code X-GitHub-Delivery} id (null: none). */
    private Answer deliver(URI uri, String deliveryId, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        c.setRequestMethod("POST");
        c.setRequestProperty("X-GitHub-Event", "workflow_job");
        c.setRequestProperty("X-Hub-Signature-256", signer.sign(body));
        if (deliveryId != null) {
            c.setRequestProperty("X-GitHub-Delivery", deliveryId);
        }
        c.setRequestProperty("Content-Type", "application/json");
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        try {
            int status = c.getResponseCode();
            java.io.InputStream in = status >= 400 ? c.getErrorStream() : null;
            return new Answer(status, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            c.disconnect();
        }
    }

    /** A queued delivery of workflow job {@code jobId} (the test delivery's job under another id). */
    private static byte[] queuedJob(long jobId) {
        return new String(delivery("queued", false), StandardCharsets.UTF_8)
                .replace("\"id\": 2832853555,", "\"id\": " + jobId + ",").getBytes(StandardCharsets.UTF_8);
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
            byte[] body = queuedJob(11);
            byte[] next = queuedJob(12);
            assertThat(post(failing.uri(), "POST", "workflow_job", body, signer.sign(body))).isEqualTo(202);
            assertThat(post(failing.uri(), "POST", "workflow_job", next, signer.sign(next))).isEqualTo(202);
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
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).requestTimeout(Duration.ZERO))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("requestTimeout PT0S");
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).requestTimeout(Duration.ofHours(1)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("at most 10 minutes");
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
    void startedAndCompletedJobsGoToTheProgressConsumerOncePerDelivery() throws Exception {
        BlockingQueue<WorkflowJobEvent> progress = new LinkedBlockingQueue<>();
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(queued::add).onProgress(progress::add)
                .build().start()) {
            // the same job queued, then started: its in_progress is not taken for a second delivery of the job
            assertThat(deliver(hooks.uri(), "d-queued", delivery("queued", false)).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d-started", delivery("in_progress", false)).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d-started", delivery("in_progress", false)).status()).isEqualTo(204);
            assertThat(deliver(hooks.uri(), "d-done", delivery("completed", false)).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d-waiting", delivery("waiting", false)).status()).isEqualTo(204);

            assertThat(queued.poll(5, TimeUnit.SECONDS)).isNotNull();
            WorkflowJobEvent started = progress.poll(5, TimeUnit.SECONDS);
            WorkflowJobEvent done = progress.poll(5, TimeUnit.SECONDS);
            assertThat(started.action()).isEqualTo(WorkflowJobEvent.Action.IN_PROGRESS);
            assertThat(done.action()).isEqualTo(WorkflowJobEvent.Action.COMPLETED);
            assertThat(progress).isEmpty();
            assertThat(hooks.tracked()).isEqualTo(2);
            assertThat(hooks.accepted()).isEqualTo(1);
            assertThat(hooks.duplicates()).isEqualTo(1);
            assertThat(hooks.ignored()).isEqualTo(1);
        }
    }

    @Test
    void fleetGlueTellsTheFleetWhichJobItsRunnerRunsUntilItCompletes() throws Exception {
        InMemoryRegistry registry = InMemoryRegistry.builder().organization("octo-org").build();
        InMemoryBackend backend = InMemoryBackend.builder().build();
        try (FakeRunners runners = FakeRunners.wire(backend, registry, "tracked");
             RunnerFleet fleet = RunnerFleet.builder().name("tracked").registry(registry).backend(backend)
                .pool(RunnerPool.builder("boards").image("runner:1").labels("phytiumpi").scaling(Scaling.fixed(1)))
                .build();
             WebhookReceiver hooks = WebhookReceiver.builder(SECRET).fleet(fleet).build().start()) {
            fleet.start();
            byte[] elsewhere = delivery("in_progress", true);   // runner s1lqc-qemu-1: another fleet's
            byte[] started = onRunner(elsewhere, "tracked-boards-1");
            assertThat(deliver(hooks.uri(), "other-fleet", elsewhere).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "started", started).status()).isEqualTo(202);
            Await.until(Duration.ofSeconds(20), "the runner's job", () -> fleet.runner("tracked-boards-1")
                    .map(Runner::job).isPresent());
            assertThat(fleet.runner("tracked-boards-1").orElseThrow().job()).isEqualTo(new RunnerJob("2832853555",
                    "Test workflow", "octo-org/example-workflow", 940463255, Instant.parse("2021-06-15T19:22:27Z")));
            assertThat(fleet.runners()).hasSize(1);

            assertThat(deliver(hooks.uri(), "completed", onRunner(delivery("completed", true), "tracked-boards-1"))
                    .status()).isEqualTo(202);
            Await.until(Duration.ofSeconds(20), "the job cleared", () -> fleet.runner("tracked-boards-1")
                    .map(Runner::job).isEmpty());
            assertThat(hooks.tracked()).isEqualTo(3);
        }
    }

    private static byte[] onRunner(byte[] delivery, String runner) {
        return new String(delivery, StandardCharsets.UTF_8).replace("\"s1lqc-qemu-1\"", "\"" + runner + "\"")
                .getBytes(StandardCharsets.UTF_8);
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
                    .replace("\"id\": 2832853555,", "\"id\": 2832853556,").getBytes(StandardCharsets.UTF_8);
            assertThat(post(hooks.uri(), "POST", "workflow_job", gpu, signer.sign(gpu))).isEqualTo(202);
            // the Default group admits no public repository (GitHub's default), so a public job grows nothing
            byte[] fromPublic = queuedJob(2832853557L);
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

    @Test
    void redeliveriesFromManyConcurrentSendersReachTheConsumerOncePerJob() throws Exception {
        java.util.concurrent.ConcurrentHashMap<Long, java.util.concurrent.atomic.AtomicInteger> seen =
                new java.util.concurrent.ConcurrentHashMap<>();
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(e -> seen.computeIfAbsent(e.job().id(),
                id -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet()).build().start()) {
            // 20 jobs, each delivered 50 times: 5 delivery ids (GitHub's redelivery keeps the id), each sent
            // 10 times, so both the delivery id and the job id must be recognised. Shuffled over 100 senders.
            List<Runnable> posts = new java.util.ArrayList<>();
            java.util.Queue<Integer> statuses = new java.util.concurrent.ConcurrentLinkedQueue<>();
            for (int job = 0; job < 20; job++) {
                byte[] body = queuedJob(7_000_000_000L + job);
                for (int i = 0; i < 50; i++) {
                    String id = "delivery-" + job + "-" + (i % 5);
                    posts.add(() -> {
                        try {
                            statuses.add(deliver(hooks.uri(), id, body).status());
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                }
            }
            java.util.Collections.shuffle(posts, new java.util.Random(17));
            java.util.concurrent.ExecutorService senders = java.util.concurrent.Executors.newFixedThreadPool(100);
            try {
                List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
                posts.forEach(p -> done.add(senders.submit(p)));
                for (java.util.concurrent.Future<?> f : done) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                senders.shutdownNow();
            }
            assertThat(statuses).hasSize(1000).allMatch(s -> s == 202 || s == 204);
            assertThat(statuses).filteredOn(s -> s == 202).hasSize(20);
            assertThat(hooks.accepted()).isEqualTo(20);
            assertThat(hooks.duplicates()).isEqualTo(980);
            // every answer was sent after the job was queued for the consumer: wait for it to drain
            Await.until(Duration.ofSeconds(20), "20 jobs handed on",
                    () -> seen.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum() == 20);
            assertThat(seen).hasSize(20).allSatisfy((job, count) -> assertThat(count.get()).as("job " + job).isOne());
        }
    }

    @Test
    void theSameJobUnderANewDeliveryIdIsNotDemandedTwiceAndAFailedOneMayBeRedelivered() throws Exception {
        BlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        java.util.concurrent.atomic.AtomicBoolean fail = new java.util.concurrent.atomic.AtomicBoolean(true);
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(e -> {
            seen.add(e.job().id());
            if (fail.getAndSet(false)) {
                throw new IllegalStateException("consumer broke once");
            }
        }).build().start()) {
            assertThat(deliver(hooks.uri(), "a", queuedJob(1)).status()).isEqualTo(202);
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(1L);
            // the consumer failed for job 1, so it is forgotten: a manual redelivery is handed on again
            Await.until(Duration.ofSeconds(5), "job 1 accepted again",
                    () -> deliverQuietly(hooks.uri(), "a", queuedJob(1)) == 202);
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(1L);
            assertThat(deliver(hooks.uri(), "b", queuedJob(1)).status()).isEqualTo(204);
            assertThat(deliver(hooks.uri(), null, queuedJob(1)).status()).isEqualTo(204);
            assertThat(deliver(hooks.uri(), null, queuedJob(2)).status()).isEqualTo(202);
            assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo(2L);
            assertThat(hooks.toString()).contains("2 duplicates");
        }
        assertThat(seen).isEmpty();
    }

    private int deliverQuietly(URI uri, String deliveryId, byte[] body) {
        try {
            return deliver(uri, deliveryId, body).status();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void redeliveryMemoryIsBoundedInCountAndAge() throws Exception {
        MutableClock clock = MutableClock.at(
                java.time.Instant.parse("2026-01-01T00:00:00Z"));
        BlockingQueue<Long> seen = new LinkedBlockingQueue<>();
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(e -> seen.add(e.job().id()))
                .deduplication(2, Duration.ofHours(1)).clock(clock).build().start()) {
            assertThat(deliver(hooks.uri(), "d1", queuedJob(1)).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d2", queuedJob(2)).status()).isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d1", queuedJob(1)).status()).isEqualTo(204);
            assertThat(deliver(hooks.uri(), "d3", queuedJob(3)).status()).isEqualTo(202);
            // only the 2 newest ids are kept: d1 and job 1 were forgotten when d3 and job 3 came
            assertThat(deliver(hooks.uri(), "d1", queuedJob(1)).status()).isEqualTo(202);
            clock.advance(Duration.ofMinutes(61));
            assertThat(deliver(hooks.uri(), "d1", queuedJob(1)).status()).as("older than the window").isEqualTo(202);
            assertThat(deliver(hooks.uri(), "d1", queuedJob(1)).status()).isEqualTo(204);
        }
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).deduplication(0, Duration.ofHours(1)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("0");
        assertThatThrownBy(() -> WebhookReceiver.builder(SECRET).deduplication(10, Duration.ZERO))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("PT0S");
    }

    @Test
    void queuedJobsWithoutLabelsOrWithAnInvalidLabelAre422WithTheReason() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        Answer noLabels;
        Answer comma;
        Answer blank;
        try {
            noLabels = deliver(receiver.uri(), "no-labels", new String(queuedJob(31), StandardCharsets.UTF_8)
                    .replace("[\"self-hosted\", \"linux\", \"phytiumpi\"]", "[]").getBytes(StandardCharsets.UTF_8));
            comma = deliver(receiver.uri(), "comma", new String(queuedJob(32), StandardCharsets.UTF_8)
                    .replace("\"phytiumpi\"", "\"a,b\"").getBytes(StandardCharsets.UTF_8));
            blank = deliver(receiver.uri(), "blank", new String(queuedJob(33), StandardCharsets.UTF_8)
                    .replace("\"phytiumpi\"", "\" padded \"").getBytes(StandardCharsets.UTF_8));
        } finally {
            System.setErr(err);
        }
        assertThat(noLabels.status()).isEqualTo(422);
        assertThat(noLabels.body()).contains("31", "no runs-on labels");
        assertThat(comma.status()).isEqualTo(422);
        assertThat(comma.body()).contains("32", "a,b");
        assertThat(blank.status()).isEqualTo(422);
        assertThat(blank.body()).contains("33", " padded ");
        String log = captured.toString(StandardCharsets.UTF_8);
        assertThat(log.lines().filter(l -> l.contains("WARN") && l.contains("no-labels"))).hasSize(1);
        assertThat(log.lines().filter(l -> l.contains("WARN") && l.contains("comma"))).hasSize(1);
        assertThat(queued).isEmpty();
        assertThat(receiver.rejected()).isEqualTo(3);
        assertThat(receiver.accepted()).isZero();
        // the labels are fine again: the same job is accepted (a refused delivery is not remembered)
        assertThat(deliver(receiver.uri(), "comma", queuedJob(32)).status()).isEqualTo(202);
    }

    @Test
    void stalledSendersAreCutOffAndDoNotStarveOthers() throws Exception {
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(queued::add)
                .requestTimeout(Duration.ofMillis(300)).build().start()) {
            List<java.net.Socket> stalled = new java.util.ArrayList<>();
            try {
                // more stalled connections than the receiver has threads: headers with a body that never comes,
                // and a few that never finish their headers
                for (int i = 0; i < 40; i++) {
                    java.net.Socket s = new java.net.Socket(hooks.uri().getHost(), hooks.uri().getPort());
                    s.setSoTimeout(10_000);
                    String request = i % 4 == 3 ? "POST /webhook HTTP/1.1\r\nHost: x\r\n"
                            : "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: workflow_job\r\n"
                                    + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
                    s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                    s.getOutputStream().flush();
                    stalled.add(s);
                }
                // a valid delivery on a new connection is still answered (within the client's 5 s read timeout)
                assertThat(deliver(hooks.uri(), "fresh", queuedJob(41)).status()).isEqualTo(202);
                assertThat(queued.poll(5, TimeUnit.SECONDS)).isNotNull();
                // each stalled connection is answered 408 or closed once its time is up, well before 10 s
                for (java.net.Socket s : stalled) {
                    byte[] answer;
                    try {
                        answer = s.getInputStream().readAllBytes();
                    } catch (java.net.SocketException reset) {
                        answer = new byte[0];
                    }
                    String text = new String(answer, StandardCharsets.US_ASCII);
                    assertThat(text.isEmpty() || text.startsWith("HTTP/1.1 408")).as(text).isTrue();
                }
            } finally {
                for (java.net.Socket s : stalled) {
                    s.close();
                }
            }
        }
    }
}
