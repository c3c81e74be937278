package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.Secret;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.MutableClock;
import java.io.IOException;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link QueuedJobSweeper} against a small emulation of the runs and jobs endpoints on MockWebServer (bodies made
 * from the OpenAPI description's examples, ETags, rate-limit headers, pagination), with a test clock.
 */
class QueuedJobSweeperTest {
    private static final Secret SECRET = Secret.of("sweeper-test-secret");
    private static final Duration THRESHOLD = Duration.ofMinutes(2);

    private final MutableClock clock = MutableClock.standard();
    private final Actions actions = new Actions(clock);
    private final MockWebServer server = TestSupport.server();
    private final GitHubClient client;
    private final List<WorkflowJobEvent> handed = new CopyOnWriteArrayList<>();

    QueuedJobSweeperTest() {
        server.setDispatcher(actions);
        client = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock)).build();
    }

    @AfterEach
    void close() {
        client.close();
        server.close();
    }

    private QueuedJobSweeper.Builder sweeper(String... repositories) {
        return QueuedJobSweeper.builder(client).repositories(repositories).onQueued(handed::add).threshold(THRESHOLD)
                .clock(clock);
    }

    private List<Long> handedIds() {
        return handed.stream().map(e -> e.job().id()).toList();
    }

    @Test
    void aJobWhoseWebhookWasLostIsDemandedOnceAfterTheThreshold() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted", "linux");
        // a re-run: the run keeps the creation time of its first attempt, its new job is as young as job 100
        actions.run(11, "acme/app", "queued", clock.instant().minus(Duration.ofHours(1)), true, true);
        actions.job(110, 11, "queued", clock.instant(), null, "self-hosted");
        QueuedJobSweeper sweeper = sweeper("acme/app").build();

        clock.advance(Duration.ofMinutes(1));
        assertThat(sweeper.sweep()).isEqualTo(Duration.ofMinutes(5));
        assertThat(handed).as("queued for 1 minute: the webhook may still come").isEmpty();
        assertThat(actions.targets()).as("a run younger than the threshold holds no overdue job: its jobs are not read")
                .containsExactly("/repos/acme/app/actions/runs?status=queued&exclude_pull_requests=true&per_page=100",
                        "/repos/acme/app/actions/runs/11/jobs?filter=latest&per_page=100");

        clock.advance(Duration.ofSeconds(61));
        sweeper.sweep();
        assertThat(handedIds()).containsExactlyInAnyOrder(100L, 110L);
        WorkflowJobEvent event = handed.stream().filter(e -> e.job().id() == 100).findFirst().orElseThrow();
        assertThat(event.action()).isEqualTo(WorkflowJobEvent.Action.QUEUED);
        assertThat(event.repository()).isEqualTo("acme/app");
        assertThat(event.organization()).isEqualTo("acme");
        assertThat(event.jobRequest().labels().toString()).contains("linux");

        clock.advance(Duration.ofMinutes(5));
        sweeper.sweep();
        assertThat(handedIds()).as("demanded once").containsExactlyInAnyOrder(100L, 110L);
        assertThat(sweeper.demanded()).isEqualTo(2);
        assertThat(sweeper.duplicates()).isEqualTo(2);
        assertThat(sweeper.sweeps()).isEqualTo(3);
    }

    @Test
    void aJobTheWebhookDemandedIsNotDemandedAgainAndViceVersa() throws Exception {
        JobDeduplicator seen = JobDeduplicator.create();
        List<Long> fromHooks = new CopyOnWriteArrayList<>();
        try (WebhookReceiver hooks = WebhookReceiver.builder(SECRET).onQueued(e -> fromHooks.add(e.job().id()))
                .deduplicator(seen).build().start()) {
            QueuedJobSweeper sweeper = sweeper("acme/app").deduplicator(seen).build();
            actions.run(10, "acme/app", "queued", clock.instant(), true, true);
            actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
            actions.job(101, 10, "queued", clock.instant(), null, "self-hosted");

            assertThat(deliver(hooks.uri(), "d-100", 100)).isEqualTo(202);
            Await.until(Duration.ofSeconds(10), "the webhook hands job 100 on", () -> fromHooks.contains(100L));

            clock.advance(Duration.ofMinutes(3));   // no runner came for either; 101's delivery was lost
            sweeper.sweep();
            assertThat(handedIds()).as("100 came by webhook; only 101 is made up").containsExactly(101L);
            assertThat(sweeper.duplicates()).isEqualTo(1);

            // 101's delivery arrives late after all: the sweeper had handed it on already.
            assertThat(deliver(hooks.uri(), "d-101", 101)).isEqualTo(204);
            assertThat(hooks.duplicates()).isEqualTo(1);
            assertThat(fromHooks).containsExactly(100L);
        }
    }

    @Test
    void aJobARunnerTookIsNeverDemanded() {
        // the run is in progress: job 100 runs, job 101 waits for a second runner, job 102 is done
        actions.run(10, "acme/app", "in_progress", clock.instant(), true, true);
        actions.job(100, 10, "in_progress", clock.instant(), 7L, "self-hosted");
        actions.job(101, 10, "queued", clock.instant(), null, "self-hosted");
        actions.job(102, 10, "completed", clock.instant(), 8L, "self-hosted");
        // a queued run listed while its only job was just taken
        actions.run(11, "acme/app", "queued", clock.instant(), true, true);
        actions.job(110, 11, "in_progress", clock.instant(), 9L, "self-hosted");
        clock.advance(Duration.ofMinutes(10));

        QueuedJobSweeper queuedOnly = sweeper("acme/app").build();
        queuedOnly.sweep();
        assertThat(handed).as("by default only queued runs are read").isEmpty();

        QueuedJobSweeper withRunning = sweeper("acme/app").inProgressRuns(true).build();
        withRunning.sweep();
        assertThat(handedIds()).as("only the queued job without a runner").containsExactly(101L);
    }

    @Test
    void aSweepThatFindsNothingNewCostsOnly304s() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
        actions.repository("acme/quiet");
        QueuedJobSweeper sweeper = sweeper("acme/app", "acme/quiet").build();
        clock.advance(Duration.ofMinutes(3));
        sweeper.sweep();
        assertThat(handedIds()).containsExactly(100L);
        long charged = actions.charged();

        actions.clearRequests();
        clock.advance(Duration.ofMinutes(5));
        sweeper.sweep();
        assertThat(actions.answers()).as("runs of acme/app, jobs of run 10, runs of acme/quiet")
                .containsExactly(304, 304, 304);
        assertThat(actions.charged()).isEqualTo(charged);

        actions.clearRequests();
        clock.advance(Duration.ofMinutes(5));
        QueuedJobSweeper quiet = sweeper("acme/quiet").build();
        quiet.sweep();
        assertThat(actions.answers()).as("a repository with no queued run: one conditional request").containsExactly(304);
    }

    @Test
    void whenTheRateLimitIsLowTheSweeperWaitsForTheReset() {
        Instant reset = clock.instant().plus(Duration.ofMinutes(40));
        actions.rate(5000, 400, reset);   // under the default reserve of 10%
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
        actions.run(20, "acme/other", "queued", clock.instant(), true, true);
        actions.job(200, 20, "queued", clock.instant(), null, "self-hosted");
        clock.advance(Duration.ofMinutes(3));
        QueuedJobSweeper sweeper = sweeper("acme/app", "acme/other").build();

        Duration wait = sweeper.sweep();
        assertThat(actions.targets()).as("the first answer told the bucket; nothing more was sent").hasSize(1);
        assertThat(wait).isEqualTo(Duration.between(clock.instant(), reset.plusSeconds(1)));
        assertThat(handed).isEmpty();
        assertThat(sweeper.sweeps()).isZero();

        clock.advance(Duration.ofMinutes(10));
        assertThat(sweeper.sweep()).isEqualTo(Duration.between(clock.instant(), reset.plusSeconds(1)));
        assertThat(actions.targets()).as("still held: no request").hasSize(1);

        clock.advance(Duration.ofMinutes(31));   // past the reset
        actions.rate(5000, 4990, clock.instant().plus(Duration.ofHours(1)));
        assertThat(sweeper.sweep()).isEqualTo(Duration.ofMinutes(5));
        assertThat(handedIds()).containsExactly(100L, 200L);
    }

    @Test
    void aRateLimitRefusalPostponesTheNextSweepToGitHubsReset() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        Instant reset = clock.instant().plus(Duration.ofMinutes(30));
        actions.refuse(reset);
        QueuedJobSweeper sweeper = sweeper("acme/app", "acme/other").build();

        Duration wait = sweeper.sweep();
        assertThat(wait).isGreaterThanOrEqualTo(Duration.ofMinutes(30));
        assertThat(actions.targets()).as("the second repository is not tried while refused").hasSize(1);
        assertThat(sweeper.sweeps()).isZero();
    }

    @Test
    void allPagesOfQueuedRunsAreRead() {
        actions.pageSize(2);
        for (int run = 1; run <= 5; run++) {
            actions.run(run, "acme/app", "queued", clock.instant(), true, true);
            actions.job(100 + run, run, "queued", clock.instant(), null, "self-hosted");
        }
        clock.advance(Duration.ofMinutes(3));
        sweeper("acme/app").build().sweep();
        assertThat(handedIds()).containsExactlyInAnyOrder(101L, 102L, 103L, 104L, 105L);
        assertThat(actions.targets()).filteredOn(t -> t.contains("/actions/runs?")).hasSize(3);
    }

    @Test
    void theRepositorysVisibilityAndOwnerAreCarriedIntoTheJobRequest() {
        actions.run(10, "acme/open", "queued", clock.instant(), false, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
        actions.run(20, "alice/tool", "queued", clock.instant(), true, false);
        actions.job(200, 20, "queued", clock.instant(), null, "self-hosted");
        clock.advance(Duration.ofMinutes(3));
        sweeper("acme/open", "alice/tool").build().sweep();

        assertThat(handedIds()).containsExactly(100L, 200L);
        JobRequest open = handed.get(0).jobRequest();
        assertThat(open.publicRepository()).isTrue();
        assertThat(open.repository()).isEqualTo("acme/open");
        assertThat(handed.get(0).organization()).isEqualTo("acme");
        JobRequest tool = handed.get(1).jobRequest();
        assertThat(tool.publicRepository()).isFalse();
        assertThat(handed.get(1).organization()).as("a user's repository has no organization").isNull();
        assertThat(handed.get(1).installationId()).isNull();
    }

    @Test
    void aJobWhoseConsumerThrewIsRetriedByTheNextSweep() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
        clock.advance(Duration.ofMinutes(3));
        List<Long> calls = new ArrayList<>();
        QueuedJobSweeper sweeper = QueuedJobSweeper.builder(client).repositories("acme/app").clock(clock)
                .onQueued(e -> {
                    calls.add(e.job().id());
                    if (calls.size() == 1) {
                        throw new IllegalStateException("the fleet is closing");
                    }
                }).build();
        sweeper.sweep();
        assertThat(sweeper.demanded()).isZero();
        sweeper.sweep();
        sweeper.sweep();
        assertThat(calls).containsExactly(100L, 100L);
        assertThat(sweeper.demanded()).isEqualTo(1);
    }

    @Test
    void aJobWithoutLabelsIsSkippedAndARepositoryThatFailsDoesNotStopTheOthers() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null);   // runs-on: a bare group; cannot be matched
        actions.job(101, 10, "queued", clock.instant(), null, "self-hosted");
        clock.advance(Duration.ofMinutes(3));
        JobDeduplicator seen = JobDeduplicator.create();
        QueuedJobSweeper sweeper = sweeper("acme/gone", "acme/app").deduplicator(seen).build();
        sweeper.sweep();
        sweeper.sweep();
        assertThat(handedIds()).containsExactly(101L);
        assertThat(sweeper.sweeps()).isEqualTo(2);
        assertThat(seen.recent().record(null, 100)).as("an unmatchable job stays out of the shared memory")
                .isEqualTo(RecentDeliveries.Verdict.NEW);
    }

    @Test
    void startSweepsAtOnceOnItsOwnDaemonThreadAndCloseStopsIt() {
        actions.run(10, "acme/app", "queued", clock.instant(), true, true);
        actions.job(100, 10, "queued", clock.instant(), null, "self-hosted");
        clock.advance(Duration.ofMinutes(3));
        QueuedJobSweeper sweeper = sweeper("acme/app").build();
        assertThat(sweeper.toString()).contains("acme/app", "not started");
        try (sweeper) {
            assertThat(sweeper.start()).isSameAs(sweeper.start());
            Await.until(Duration.ofSeconds(10), "the first sweep", () -> sweeper.sweeps() == 1);
            assertThat(handedIds()).containsExactly(100L);
            assertThat(sweeperThreads()).allMatch(Thread::isDaemon).hasSize(1);
            String next = "next at " + clock.instant().plus(Duration.ofMinutes(5));
            Await.until(Duration.ofSeconds(10), "the next sweep scheduled", () -> sweeper.toString().contains(next));
            assertThat(sweeper.toString()).contains("1 demanded");
        }
        // close() waits for the executor to terminate; its worker thread dies a moment after signalling that.
        Await.until(Duration.ofSeconds(10), "the sweeper's thread gone", () -> sweeperThreads().isEmpty());
        assertThat(sweeper.toString()).contains("closed");
        assertThatThrownBy(sweeper::start).isInstanceOf(IllegalStateException.class);
    }

    private static List<Thread> sweeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("runnerfleet-queued-job-sweeper") && t.isAlive()).toList();
    }

    @Test
    void badSettingsAreRejectedWithTheReason() {
        assertThatThrownBy(() -> QueuedJobSweeper.builder(client).onQueued(handed::add).build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining(".repositories(\"owner/name\"");
        assertThatThrownBy(() -> QueuedJobSweeper.builder(client).repositories("acme/app").build())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining(".fleet(fleet)");
        for (String bad : List.of("acme", "acme/app/extra", "", "/app", "acme/", "ac me/app")) {
            assertThatThrownBy(() -> QueuedJobSweeper.builder(client).repositories("acme/ok", bad))
                    .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'" + bad + "'")
                    .hasMessageContaining("owner/name");
        }
        QueuedJobSweeper.Builder b = QueuedJobSweeper.builder(client);
        for (Duration d : List.of(Duration.ZERO, Duration.ofSeconds(-1), Duration.ofHours(24))) {
            assertThatThrownBy(() -> b.threshold(d)).isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("threshold " + d);
        }
        for (Duration d : List.of(Duration.ZERO, Duration.ofSeconds(-5), Duration.ofSeconds(29), Duration.ofHours(25))) {
            assertThatThrownBy(() -> b.cadence(d)).isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("cadence " + d).hasMessageContaining("30 seconds");
        }
        assertThatThrownBy(() -> b.rateLimitReserve(1)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> b.rateLimitReserve(-0.1)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> JobDeduplicator.create(0, Duration.ofHours(1)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("maxEntries 0");
        assertThatThrownBy(() -> JobDeduplicator.create(10, Duration.ZERO))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("PT0S");
        assertThat(JobDeduplicator.create()).hasToString("JobDeduplicator[up to 10000 jobs for PT24H]");
    }

    /** Posts a signed queued delivery of job {@code jobId} of run 10 of acme/app; returns the status. */
    private static int deliver(URI uri, String deliveryId, long jobId) throws IOException {
        String body = new String(WebhookTest.delivery("queued"), StandardCharsets.UTF_8)
                .replace("\"id\": 2832853555,", "\"id\": " + jobId + ",");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        c.setRequestMethod("POST");
        c.setRequestProperty("X-GitHub-Event", "workflow_job");
        c.setRequestProperty("X-GitHub-Delivery", deliveryId);
        c.setRequestProperty("X-Hub-Signature-256", WorkflowJobWebhook.withSecret(SECRET).sign(bytes));
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
            out.write(bytes);
        }
        try {
            return c.getResponseCode();
        } finally {
            c.disconnect();
        }
    }

    /**
     * The two endpoints the sweeper reads, over a mutable set of runs and jobs: {@code status} filtering, pages
     * with {@code Link} headers, weak ETags (a matching {@code If-None-Match} is a free 304), the {@code core}
     * rate-limit headers (a 200 costs one request), and an optional rate-limit refusal. Bodies are the OpenAPI
     * description's examples with the fields that matter replaced.
     */
    static final class Actions extends Dispatcher {
        private static final ObjectMapper JSON = new ObjectMapper();
        private final MutableClock clock;
        private final List<ObjectNode> runs = new CopyOnWriteArrayList<>();
        private final List<ObjectNode> jobs = new CopyOnWriteArrayList<>();
        private final java.util.Set<String> repositories = java.util.concurrent.ConcurrentHashMap.newKeySet();
        private final List<String> targets = new CopyOnWriteArrayList<>();
        private final List<Integer> answers = new CopyOnWriteArrayList<>();
        private volatile int pageSize = 100;
        private volatile long limit = 5000;
        private volatile long remaining = 5000;
        private volatile Instant reset;
        private volatile Instant refuseUntil;
        private volatile long charged;

        Actions(MutableClock clock) {
            this.clock = clock;
            this.reset = clock.instant().plus(Duration.ofHours(1));
        }

        /** A repository with no run yet; any other unknown repository answers 404. */
        void repository(String fullName) {
            repositories.add(fullName);
        }

        void run(long id, String repository, String status, Instant createdAt, boolean isPrivate,
                 boolean organization) {
            repositories.add(repository);
            ObjectNode run = (ObjectNode) example("workflow-run-paginated").get("workflow_runs").get(0).deepCopy();
            String[] parts = repository.split("/");
            run.put("id", id).put("status", status).putNull("conclusion").put("created_at", createdAt.toString())
                    .put("updated_at", createdAt.toString());
            for (String key : List.of("repository", "head_repository")) {
                ObjectNode repo = (ObjectNode) run.get(key);
                repo.put("full_name", repository).put("name", parts[1]).put("private", isPrivate);
                ((ObjectNode) repo.get("owner")).put("login", parts[0]).put("type", organization ? "Organization" : "User");
            }
            runs.add(run);
        }

        void job(long id, long runId, String status, Instant createdAt, Long runnerId, String... labels) {
            ObjectNode job = (ObjectNode) example("job-paginated").get("jobs").get(0).deepCopy();
            job.put("id", id).put("run_id", runId).put("status", status).put("created_at", createdAt.toString())
                    .put("started_at", createdAt.toString()).putNull("completed_at")
                    .put("conclusion", status.equals("completed") ? "success" : null);
            job.putArray("steps");
            ArrayNode l = job.putArray("labels");
            List.of(labels).forEach(l::add);
            if (runnerId == null) {
                job.putNull("runner_id").putNull("runner_name").putNull("runner_group_id").putNull("runner_group_name");
            } else {
                job.put("runner_id", runnerId).put("runner_name", "runner-" + runnerId);
            }
            jobs.add(job);
        }

        void pageSize(int size) {
            this.pageSize = size;
        }

        void rate(long limit, long remaining, Instant reset) {
            this.limit = limit;
            this.remaining = remaining;
            this.reset = reset;
        }

        /** Refuses every request for the primary rate limit until {@code until}. */
        void refuse(Instant until) {
            this.refuseUntil = until;
            this.remaining = 0;
            this.reset = until;
        }

        List<String> targets() {
            return List.copyOf(targets);
        }

        List<Integer> answers() {
            return List.copyOf(answers);
        }

        void clearRequests() {
            targets.clear();
            answers.clear();
        }

        /** Requests that counted against the rate limit. */
        long charged() {
            return charged;
        }

        private static com.fasterxml.jackson.databind.JsonNode example(String name) {
            try {
                return JSON.readTree(Spec.example(name));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public MockResponse dispatch(RecordedRequest r) {
            HttpUrl url = r.getUrl();
            targets.add(r.getTarget());
            MockResponse answer = answer(url, r.getHeaders().get("If-None-Match"));
            answers.add(answer.getCode());
            return answer;
        }

        private synchronized MockResponse answer(HttpUrl url, String ifNoneMatch) {
            if (refuseUntil != null && clock.instant().isBefore(refuseUntil)) {
                return rated(new MockResponse.Builder().code(403).addHeader("Content-Type", "application/json")
                        .body("{\"message\": \"API rate limit exceeded for user ID 1.\","
                                + " \"documentation_url\": \"https://docs.github.com/rest/rate-limit\"}")).build();
            }
            List<String> p = url.pathSegments();
            String body;
            String link = null;
            if (p.size() == 5 && p.get(0).equals("repos") && p.get(3).equals("actions") && p.get(4).equals("runs")) {
                String repository = p.get(1) + "/" + p.get(2);
                if (!repositories.contains(repository)) {
                    return notFound();
                }
                String status = url.queryParameter("status");
                List<ObjectNode> matching = runs.stream()
                        .filter(run -> run.get("repository").get("full_name").asText().equals(repository))
                        .filter(run -> status == null || run.get("status").asText().equals(status)).toList();
                int page = url.queryParameter("page") == null ? 1 : Integer.parseInt(url.queryParameter("page"));
                int from = (page - 1) * pageSize;
                List<ObjectNode> slice = matching.subList(Math.min(from, matching.size()),
                        Math.min(from + pageSize, matching.size()));
                if (from + pageSize < matching.size()) {
                    link = "<" + url.newBuilder().setQueryParameter("page", String.valueOf(page + 1)).build()
                            + ">; rel=\"next\"";
                }
                ObjectNode o = JSON.createObjectNode().put("total_count", matching.size());
                o.putArray("workflow_runs").addAll(slice);
                body = o.toString();
            } else if (p.size() == 7 && p.get(0).equals("repos") && p.get(4).equals("runs") && p.get(6).equals("jobs")) {
                long runId = Long.parseLong(p.get(5));
                boolean known = runs.stream().anyMatch(run -> run.get("id").asLong() == runId
                        && run.get("repository").get("full_name").asText().equals(p.get(1) + "/" + p.get(2)));
                if (!known) {
                    return notFound();
                }
                List<ObjectNode> of = jobs.stream().filter(j -> j.get("run_id").asLong() == runId).toList();
                ObjectNode o = JSON.createObjectNode().put("total_count", of.size());
                o.putArray("jobs").addAll(of);
                body = o.toString();
            } else {
                return notFound();
            }
            String etag = "W/\"" + sha256(body + link) + "\"";
            if (etag.equals(ifNoneMatch)) {
                return rated(new MockResponse.Builder().code(304).addHeader("ETag", etag)).build();
            }
            charged++;
            remaining = Math.max(0, remaining - 1);
            MockResponse.Builder b = rated(new MockResponse.Builder().code(200)
                    .addHeader("Content-Type", "application/json; charset=utf-8").addHeader("ETag", etag).body(body));
            if (link != null) {
                b.addHeader("Link", link);
            }
            return b.build();
        }

        private MockResponse notFound() {
            charged++;
            remaining = Math.max(0, remaining - 1);
            return rated(new MockResponse.Builder().code(404).addHeader("Content-Type", "application/json")
                    .body("{\"message\": \"Not Found\", \"documentation_url\": \"https://docs.github.com/rest\"}")).build();
        }

        private MockResponse.Builder rated(MockResponse.Builder b) {
            return b.addHeader("x-ratelimit-limit", limit).addHeader("x-ratelimit-remaining", remaining)
                    .addHeader("x-ratelimit-used", limit - remaining)
                    .addHeader("x-ratelimit-reset", reset.getEpochSecond()).addHeader("x-ratelimit-resource", "core");
        }

        private static String sha256(String s) {
            try {
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                        .digest(s.getBytes(StandardCharsets.UTF_8))).substring(0, 32);
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }
    }
}
