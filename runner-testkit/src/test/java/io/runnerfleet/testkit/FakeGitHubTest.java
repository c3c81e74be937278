package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.testing.Await;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** FakeGitHub's behaviour beyond the happy path: auth, limits, ETags, paging, faults, apps, jobs, webhooks. */
class FakeGitHubTest {
    private static final SpecValidator SPEC = new SpecValidator();
    private FakeClock clock;
    private FakeGitHub fake;
    private FakeScope acme;
    private Http admin;

    @BeforeEach
    void start() {
        clock = FakeClock.at(Instant.parse("2026-06-01T10:00:00Z"));
        fake = FakeGitHub.builder().clock(clock).pollWait(Duration.ofMillis(200)).build().start();
        acme = fake.organization("acme");
        acme.repository("widgets");
        admin = new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal());
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private static JsonNode json(Http.Resp r) {
        try {
            return SpecValidator.MAPPER.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(r.body(), e);
        }
    }

    private long jitRunner(String name, String... labels) {
        String ls = String.join("\",\"", labels);
        Http.Resp r = admin.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"" + name + "\",\"runner_group_id\":1,\"labels\":[\"" + ls + "\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return json(r).get("runner").get("id").asLong();
    }

    private FakeRunnerSession jitSession(String name, String... labels) throws Exception {
        String ls = String.join("\",\"", labels);
        Http.Resp r = admin.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"" + name + "\",\"runner_group_id\":1,\"labels\":[\"" + ls + "\"]}");
        return FakeRunnerSession.fromJitConfig(fake, json(r).get("encoded_jit_config").asText());
    }

    @Test
    void aBindAddressIsServedAndNamedInEveryUrl() {
        try (FakeGitHub other = FakeGitHub.builder().bindAddress("127.0.0.1").build().start()) {
            assertThat(other.url()).startsWith("http://127.0.0.1:");
            assertThat(other.organization("acme").url()).startsWith("http://127.0.0.1:");
            assertThat(new Http(other.url()).get("/orgs/acme/actions/runners").status()).isEqualTo(401);
        }
        // No interface of this machine has it (198.18.0.0/15 is for benchmarks): binding fails, sending nothing.
        FakeGitHub elsewhere = FakeGitHub.builder().bindAddress("198.19.255.254").build();
        assertThatThrownBy(elsewhere::start).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("198.19.255.254").hasMessageContaining("address of this machine");
        elsewhere.close();
    }

    @Test
    void aBindAddressThatIsNoIpv4LiteralIsRefusedWithoutALookup() {
        assertThatThrownBy(() -> FakeGitHub.builder().bindAddress("github.example"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'github.example'").hasMessageContaining("IPv4");
    }

    @Test
    void missingAuthIs401RequiresAuthentication() {
        Http.Resp r = new Http(fake.url()).get("/orgs/acme/actions/runners");
        assertThat(r.status()).isEqualTo(401);
        assertThat(json(r).get("message").asText()).isEqualTo("Requires authentication");
        assertThat(SPEC.problemsAgainst("basic-error", r.body())).isEmpty();
        assertThat(r.header("x-ratelimit-limit")).isEqualTo("60");
    }

    @Test
    void unknownAndExpiredTokensAre401BadCredentials() {
        assertThat(new Http(fake.url()).token("ghp_nope").get("/orgs/acme/actions/runners").status()).isEqualTo(401);
        Secret expiring = fake.issueExpiringToken(clock.instant().plus(Duration.ofHours(1)), "admin:org");
        Http client = new Http(fake.url()).token(expiring.reveal());
        assertThat(client.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
        clock.advance(Duration.ofHours(1));
        Http.Resp r = client.get("/orgs/acme/actions/runners");
        assertThat(r.status()).isEqualTo(401);
        assertThat(json(r).get("message").asText()).isEqualTo("Bad credentials");
    }

    @Test
    void wrongScopesAre403AndNameTheNeededPermission() {
        Http repoOnly = new Http(fake.url()).token(fake.newToken("repo").reveal());
        Http.Resp r = repoOnly.get("/orgs/acme/actions/runners");
        assertThat(r.status()).isEqualTo(403);
        assertThat(SPEC.problemsAgainst("basic-error", r.body())).isEmpty();
        assertThat(r.header("X-Accepted-GitHub-Permissions")).isEqualTo("organization_self_hosted_runners=read");
        assertThat(r.header("X-Accepted-OAuth-Scopes")).isEqualTo("admin:org");
        assertThat(repoOnly.get("/repos/acme/widgets/actions/runners").status()).isEqualTo(200);

        Http readOnly = new Http(fake.url()).token(fake.newToken("organization_self_hosted_runners:read").reveal());
        assertThat(readOnly.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
        Http.Resp write = readOnly.send("POST", "/orgs/acme/actions/runners/registration-token", null);
        assertThat(write.status()).isEqualTo(403);
        assertThat(write.header("X-Accepted-GitHub-Permissions")).isEqualTo("organization_self_hosted_runners=write");
        Http fineRepo = new Http(fake.url()).token(fake.newToken("administration:write").reveal());
        assertThat(fineRepo.send("POST", "/repos/acme/widgets/actions/runners/registration-token", null).status()).isEqualTo(201);
        assertThat(fineRepo.get("/repos/acme/widgets/actions/runs").status()).isEqualTo(403);
    }

    @Test
    void malformedJsonIs400AndInvalidFieldsAre422() {
        Http.Resp bad = admin.send("POST", "/orgs/acme/actions/runners/generate-jitconfig", "{\"name\": ");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(json(bad).get("message").asText()).isEqualTo("Problems parsing JSON");
        assertThat(SPEC.problemsAgainst("basic-error", bad.body())).isEmpty();
        assertThat(SPEC.problemsAgainst("basic-error", "{\"message\":1}")).as("the check bites").isNotEmpty();
        assertThat(admin.send("POST", "/orgs/acme/actions/runner-groups", "[1,2]").status()).isEqualTo(400);
        Http.Resp invalid = admin.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"r\",\"runner_group_id\":\"one\",\"labels\":[\"" + "x".repeat(257) + "\"]}");
        assertThat(invalid.status()).isEqualTo(422);
        assertThat(SPEC.problems("actions/generate-runner-jitconfig-for-org", 422, invalid.body())).isEmpty();
        assertThat(admin.get("/orgs/nobody/actions/runners").status()).isEqualTo(404);
        Http.Resp version = admin.get("/orgs/acme/actions/runners", "X-GitHub-Api-Version", "2021-01-01");
        assertThat(version.status()).isEqualTo(400);
        assertThat(json(version).get("message").asText()).contains("X-GitHub-Api-Version");
        assertThat(admin.get("/no/such/path").status()).isEqualTo(404);
        assertThat(admin.get("/orgs/acme/actions/runners/99999999999999999999999").status()).isEqualTo(404);
    }

    @Test
    void primaryLimitIs403AtZeroAndAnAuthorized304IsFree() {
        FakeGitHub small = FakeGitHub.builder().clock(clock).rateLimit(3).build().start();
        try {
            small.organization("acme");
            Http c = new Http(small.url()).token(small.newToken("admin:org").reveal());
            Http.Resp first = c.get("/orgs/acme/actions/runners");
            assertThat(first.header("x-ratelimit-remaining")).isEqualTo("2");
            assertThat(first.header("x-ratelimit-used")).isEqualTo("1");
            for (int i = 0; i < 5; i++) {
                Http.Resp notModified = c.get("/orgs/acme/actions/runners", "If-None-Match", first.header("ETag"));
                assertThat(notModified.status()).isEqualTo(304);
                assertThat(notModified.body()).isEmpty();
                assertThat(notModified.header("x-ratelimit-remaining")).isEqualTo("2");
            }
            assertThat(small.notModified("actions/list-self-hosted-runners-for-org")).isEqualTo(5);
            assertThat(small.requests("actions/list-self-hosted-runners-for-org")).isEqualTo(6);
            assertThat(c.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
            assertThat(c.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
            Http.Resp exhausted = c.get("/orgs/acme/actions/runners");
            assertThat(exhausted.status()).isEqualTo(403);
            assertThat(exhausted.header("x-ratelimit-remaining")).isEqualTo("0");
            assertThat(json(exhausted).get("message").asText()).contains("API rate limit exceeded");
            assertThat(c.get("/rate_limit").status()).as("rate_limit does not count").isEqualTo(200);
            clock.advance(Duration.ofHours(1));
            assertThat(c.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
        } finally {
            small.close();
        }
    }

    @Test
    void etagChangesWhenTheDataChanges() {
        Http.Resp first = admin.get("/orgs/acme/actions/runners");
        jitRunner("r1", "x");
        Http.Resp second = admin.get("/orgs/acme/actions/runners", "If-None-Match", first.header("ETag"));
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.header("ETag")).isNotEqualTo(first.header("ETag"));
    }

    @Test
    void paginationUsesLinkHeadersAndClampsPerPageTo100() {
        for (int i = 0; i < 105; i++) {
            if (i % 70 == 69) {
                clock.advance(Duration.ofMinutes(2)); // stay under 80 content-creating requests per minute
            }
            jitRunner("r" + i, "x");
        }
        Http.Resp page1 = admin.get("/orgs/acme/actions/runners?per_page=2");
        assertThat(json(page1).get("runners")).hasSize(2);
        assertThat(json(page1).get("total_count").asInt()).isEqualTo(105);
        assertThat(page1.header("Link")).contains("page=2>; rel=\"next\"", "page=53>; rel=\"last\"");
        Http.Resp page3 = admin.get("/orgs/acme/actions/runners?per_page=2&page=3");
        assertThat(page3.header("Link")).contains("rel=\"prev\"", "rel=\"first\"", "page=4>; rel=\"next\"");
        Http.Resp clamped = admin.get("/orgs/acme/actions/runners?per_page=500");
        assertThat(json(clamped).get("runners")).hasSize(100);
        assertThat(clamped.header("Link")).contains("per_page=100&page=2>; rel=\"next\"");
        Http.Resp dflt = admin.get("/orgs/acme/actions/runners");
        assertThat(json(dflt).get("runners")).hasSize(30);
    }

    @Test
    void contentCreatingRequestsOver80PerMinuteHitTheSecondaryLimit() {
        for (int i = 0; i < 80; i++) {
            assertThat(admin.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(201);
        }
        Http.Resp limited = admin.send("POST", "/orgs/acme/actions/runners/registration-token", null);
        assertThat(limited.status()).isEqualTo(403);
        assertThat(json(limited).get("message").asText()).contains("secondary rate limit");
        assertThat(admin.get("/orgs/acme/actions/runners").status()).as("reads still work").isEqualTo(200);
        clock.advance(Duration.ofSeconds(61));
        assertThat(admin.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(201);
    }

    @Test
    void theContentCreatingLimitCanBeSetAndIsValidated() {
        try (FakeGitHub strict = FakeGitHub.builder().clock(clock).contentCreatingLimit(2).build().start()) {
            strict.organization("acme");
            Http http = new Http(strict.url()).token(strict.newToken("admin:org", "repo").reveal());
            assertThat(http.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(201);
            assertThat(http.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(201);
            assertThat(http.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(403);
            clock.advance(Duration.ofMinutes(1));
            assertThat(http.send("POST", "/orgs/acme/actions/runners/registration-token", null).status())
                    .as("a minute later the window has room again").isEqualTo(201);
        }
        assertThatThrownBy(() -> FakeGitHub.builder().contentCreatingLimit(0)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("contentCreatingLimit");
    }

    @Test
    void injectedFaultsHitTheNextCallsOnly() {
        String op = "actions/list-self-hosted-runners-for-org";
        fake.failNext(op, 2, Fault.status(502));
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(502);
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(502);
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(200);

        fake.failNext(op, 1, Fault.secondaryLimit(Duration.ofSeconds(7)));
        Http.Resp withRetry = admin.get("/orgs/acme/actions/runners");
        assertThat(withRetry.status()).isEqualTo(403);
        assertThat(withRetry.header("retry-after")).isEqualTo("7");
        assertThat(json(withRetry).get("message").asText()).contains("secondary rate limit");
        fake.failNext(op, 1, Fault.secondaryLimitWithoutRetryAfter());
        Http.Resp without = admin.get("/orgs/acme/actions/runners");
        assertThat(without.status()).isEqualTo(403);
        assertThat(without.header("retry-after")).isNull();
        assertThat(without.header("x-ratelimit-remaining")).isNotEqualTo("0");

        fake.failNext(op, 1, Fault.drop());
        assertThatThrownBy(() -> admin.get("/orgs/acme/actions/runners")).isInstanceOf(UncheckedIOException.class);
        fake.failNext(op, 1, Fault.delay(Duration.ofMillis(300)));
        long t0 = System.nanoTime();
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(200);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        assertThat(fake.requests(op)).isEqualTo(7);

        assertThatThrownBy(() -> fake.failNext("actions/nope", 1, Fault.status(500)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("unknown operation 'actions/nope'");
        assertThatThrownBy(() -> Fault.status(99)).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void anOutageFailsEveryCallOfItsOperationsUntilItEndsOrIsCleared() {
        String list = "actions/list-self-hosted-runners-for-org";
        String token = "actions/create-registration-token-for-org";
        fake.outage(Duration.ofHours(1), Fault.status(503), list, token);
        for (int i = 0; i < 5; i++) {
            assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(503);
        }
        assertThat(admin.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(503);
        assertThat(admin.get("/orgs/acme/actions/runner-groups").status()).as("other operations").isEqualTo(200);
        fake.clearFaults();
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(200);

        fake.outage(Duration.ofMillis(200), Fault.status(500), list);
        assertThat(admin.get("/orgs/acme/actions/runners").status()).isEqualTo(500);
        Await.until(Duration.ofSeconds(10), "the outage over", () -> admin.get("/orgs/acme/actions/runners").status() == 200);

        assertThatThrownBy(() -> fake.outage(Duration.ZERO, Fault.status(500), list)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("positive");
        assertThatThrownBy(() -> fake.outage(Duration.ofSeconds(1), Fault.status(500), "actions/nope"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("unknown operation 'actions/nope'");
    }

    @Test
    void aBusyRunnerWhoseHeartbeatsStopGoesOfflineAndItsJobFails() throws Exception {
        FakeRunnerSession s = jitSession("lost", "self-hosted");
        s.connect();
        FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
        assertThat(s.poll()).contains("result=job");
        clock.advance(Duration.ofSeconds(4));
        assertThat(s.renew(job.id())).contains("result=ok");   // the job's heartbeat keeps it online
        clock.advance(Duration.ofSeconds(4));
        assertThat(acme.runner("lost").orElseThrow().busy()).isTrue();
        assertThat(job.status()).isEqualTo("in_progress");
        clock.advance(Duration.ofSeconds(2));                   // 6 s without a word: the process died
        assertThat(acme.runner("lost").orElseThrow().online()).isFalse();
        assertThat(acme.runner("lost").orElseThrow().busy()).isFalse();
        assertThat(job.status()).isEqualTo("completed");
        assertThat(job.conclusion()).isEqualTo("failure");
        assertThat(s.renew(job.id())).contains("result=lost");
    }

    @Test
    void aJobRecordsWhenItWasQueuedAndWhenARunnerTookIt() throws Exception {
        FakeRunnerSession s = jitSession("taker", "self-hosted");
        s.connect();
        Instant queued = clock.instant();
        FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
        assertThat(job.queuedAt()).isEqualTo(queued);
        assertThat(job.startedAt()).as("nobody took it yet").isNull();
        clock.advance(Duration.ofMillis(1500));
        assertThat(s.poll()).contains("result=job");
        assertThat(job.startedAt()).isEqualTo(queued.plusMillis(1500));
        clock.advance(Duration.ofSeconds(1));
        s.finish(job.id());
        assertThat(job.status()).isEqualTo("completed");
        assertThat(job.startedAt()).as("stays the pick-up time once completed").isEqualTo(queued.plusMillis(1500));
    }

    @Test
    void runnersGoOfflineWhenHeartbeatsStop() throws Exception {
        FakeRunnerSession s = jitSession("hb", "self-hosted");
        assertThat(acme.runner("hb").orElseThrow().status()).isEqualTo("offline");
        assertThat(acme.runner("hb").orElseThrow().os()).isEqualTo("unknown");
        s.connect();
        assertThat(acme.runner("hb").orElseThrow().status()).isEqualTo("online");
        assertThat(acme.runner("hb").orElseThrow().os()).isEqualTo("linux");
        clock.advance(Duration.ofSeconds(5));
        assertThat(acme.runner("hb").orElseThrow().online()).isTrue();
        clock.advance(Duration.ofSeconds(1));
        assertThat(acme.runner("hb").orElseThrow().online()).isFalse();
        s.poll();
        assertThat(acme.runner("hb").orElseThrow().online()).isTrue();
        s.disconnect();
        assertThat(acme.runner("hb").orElseThrow().online()).isFalse();
        // A poll served after the disconnect (sent before it, by a runner on its way out) changes nothing.
        fake.queueJob(acme.repository("widgets"), "self-hosted");
        assertThat(s.poll()).contains("result=none");
        assertThat(acme.runner("hb").orElseThrow().online()).isFalse();
        assertThat(acme.runner("hb").orElseThrow().busy()).isFalse();
        s.connect();
        assertThat(s.poll()).contains("result=job");
    }

    @Test
    void jobsGoToRunnersWithAllLabelsCaseInsensitivelyAndGroupsExcludePublicRepos() throws Exception {
        FakeScope site = acme.publicRepository("site");
        FakeJob publicJob = fake.queueJob(site, "self-hosted");
        FakeJob needsGpu = fake.queueJob(acme.repository("widgets"), "self-hosted", "GPU");
        FakeRunnerSession plain = jitSession("plain", "self-hosted");
        plain.connect();
        assertThat(plain.poll()).contains("result=none");
        FakeRunnerSession gpu = jitSession("gpu", "self-hosted", "gpu");
        gpu.connect();
        assertThat(gpu.poll()).contains("result=job", "job=" + needsGpu.id());
        assertThat(needsGpu.runnerName()).isEqualTo("gpu");
        assertThat(acme.runner("gpu").orElseThrow().busy()).isTrue();
        assertThat(gpu.finish(needsGpu.id())).contains("exit=true");
        assertThat(acme.runner("gpu")).as("an ephemeral runner is removed after its job").isEmpty();
        assertThat(publicJob.status()).as("Default group does not admit public repositories").isEqualTo("queued");
        assertThatThrownBy(() -> fake.queueJob(acme, "x")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("jobs run in a repository");
    }

    @Test
    void concurrentPollsNeverGiveOneJobToTwoRunners() throws Exception {
        int n = 8;
        List<FakeRunnerSession> sessions = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            FakeRunnerSession s = jitSession("c" + i, "self-hosted");
            s.connect();
            sessions.add(s);
        }
        List<FakeJob> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(fake.queueJob(acme.repository("widgets"), "self-hosted"));
        }
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<String>> answers = new java.util.ArrayList<>();
            for (FakeRunnerSession s : sessions) {
                answers.add(pool.submit(s::poll));
            }
            java.util.Set<String> taken = new java.util.HashSet<>();
            for (java.util.concurrent.Future<String> a : answers) {
                String answer = a.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(answer).contains("result=job");
                assertThat(taken.add(answer.replaceAll("(?s).*job=([0-9]+).*", "$1"))).as("job given twice").isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(jobs).extracting(FakeJob::status).containsOnly("in_progress");
        assertThat(jobs).extracting(FakeJob::runnerName).doesNotHaveDuplicates();
    }

    @Test
    void aGitHubAppExchangesAVerifiedJwtForAnInstallationToken() throws Exception {
        KeyPair keys = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        fake.registerApp(42, "Iv1.fake", keys.getPublic());
        long installation = fake.installApp(42, acme, Map.of("organization_self_hosted_runners", "write"));
        fake.organization("other");

        Http app = new Http(fake.url()).token(jwt(keys.getPrivate(), "42", 0, 540));
        JsonNode inst = json(app.get("/orgs/acme/installation"));
        assertThat(inst.get("id").asLong()).isEqualTo(installation);
        Http.Resp token = app.send("POST", "/app/installations/" + installation + "/access_tokens", null);
        assertThat(token.status()).isEqualTo(201);
        String ghs = json(token).get("token").asText();
        assertThat(ghs).startsWith("ghs_");

        Http installed = new Http(fake.url()).token(ghs);
        assertThat(installed.send("POST", "/orgs/acme/actions/runners/registration-token", null).status()).isEqualTo(201);
        assertThat(installed.get("/orgs/other/actions/runners").status()).as("another org").isEqualTo(403);
        clock.advance(Duration.ofHours(1));
        assertThat(installed.get("/orgs/acme/actions/runners").status()).as("expired after an hour").isEqualTo(401);

        KeyPair stranger = KeyPairGenerator.getInstance("RSA").generateKeyPair();
        Http forged = new Http(fake.url()).token(jwt(stranger.getPrivate(), "42", 0, 540));
        assertThat(forged.get("/orgs/acme/installation").status()).isEqualTo(401);
        Http tooLong = new Http(fake.url()).token(jwt(keys.getPrivate(), "42", 0, 900));
        assertThat(json(tooLong.get("/orgs/acme/installation")).get("message").asText()).contains("too far in the future");
        Http byClientId = new Http(fake.url()).token(jwt(keys.getPrivate(), "\"Iv1.fake\"", -60, 540));
        assertThat(byClientId.get("/orgs/acme/installation").status()).isEqualTo(200);
        Http jwtOnRunners = new Http(fake.url()).token(jwt(keys.getPrivate(), "42", 0, 540));
        assertThat(jwtOnRunners.get("/orgs/acme/actions/runners").status()).isEqualTo(403);
    }

    private String jwt(PrivateKey key, String iss, long iatOffset, long lifetime) throws Exception {
        long iat = clock.instant().getEpochSecond() + iatOffset;
        Base64.Encoder b = Base64.getUrlEncoder().withoutPadding();
        String header = b.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = b.encodeToString(("{\"iat\":" + iat + ",\"exp\":" + (iat + lifetime) + ",\"iss\":" + iss + "}")
                .getBytes(StandardCharsets.UTF_8));
        Signature s = Signature.getInstance("SHA256withRSA");
        s.initSign(key);
        s.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
        return header + "." + claims + "." + b.encodeToString(s.sign());
    }

    @Test
    void webhookDeliveriesAreSignedAndValidateAgainstTheWorkflowJobSchema() throws Exception {
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
                .getSchema(SpecValidator.read("/io/runnerfleet/testkit/workflow-job-webhook.schema.json"));
        try (MockWebServer receiver = new MockWebServer()) {
            receiver.setDispatcher(new mockwebserver3.Dispatcher() {
                @Override
                public MockResponse dispatch(RecordedRequest request) {
                    return new MockResponse.Builder().code(200).build();
                }
            });
            receiver.start(java.net.InetAddress.getByName("127.0.0.1"), 0);
            Secret secret = Secret.of("It's a Secret to Everybody");
            fake.webhook(URI.create(receiver.url("/hook").toString()), secret);
            fake.installApp(registerSomeApp(), acme, Map.of("actions", "read"));

            FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
            FakeRunnerSession s = jitSession("hooked", "self-hosted");
            s.connect();
            s.poll();
            s.finish(job.id());
            Await.until(Duration.ofSeconds(10), "3 deliveries", () -> fake.deliveries().size() == 3);

            List<WebhookDelivery> ds = fake.deliveries();
            assertThat(ds).extracting(WebhookDelivery::action).containsExactly("queued", "in_progress", "completed");
            for (WebhookDelivery d : ds) {
                assertThat(d.responseCode()).isEqualTo(200);
                assertThat(schema.validate(SpecValidator.MAPPER.readTree(d.body()))).as(d.action()).isEmpty();
                RecordedRequest got = receiver.takeRequest();
                assertThat(got.getHeaders().get("X-GitHub-Event")).isEqualTo("workflow_job");
                assertThat(got.getHeaders().get("X-GitHub-Delivery")).isNotBlank();
                String body = got.getBody().string(StandardCharsets.UTF_8);
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(new SecretKeySpec(secret.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
                assertThat(got.getHeaders().get("X-Hub-Signature-256"))
                        .isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8))));
            }
            JsonNode queued = SpecValidator.MAPPER.readTree(ds.get(0).body());
            assertThat(queued.get("workflow_job").get("runner_name").isNull()).isTrue();
            JsonNode done = SpecValidator.MAPPER.readTree(ds.get(2).body());
            assertThat(done.get("workflow_job").get("runner_name").asText()).isEqualTo("hooked");
            assertThat(done.get("workflow_job").get("conclusion").asText()).isEqualTo("success");
            assertThat(done.get("installation").get("id").asLong()).isPositive();
            assertThat(schema.validate(SpecValidator.MAPPER.readTree("{\"action\":\"queued\"}"))).as("the schema bites").isNotEmpty();
        }
    }

    private long registerSomeApp() throws Exception {
        fake.registerApp(7, null, KeyPairGenerator.getInstance("RSA").generateKeyPair().getPublic());
        return 7;
    }

    @Test
    void secretsDoNotPrint() {
        Secret t = fake.issueToken("ghp_supersecretvalue", "repo");
        assertThat(t.toString()).doesNotContain("supersecret");
        assertThat(fake.toString()).doesNotContain("supersecret").contains("127.0.0.1");
        assertThatThrownBy(() -> fake.issueToken("has space", "repo")).hasMessageNotContaining("has space");
    }

    @Test
    void startIsIdempotentAndAClosedFakeCannotRestart() {
        assertThat(fake.start()).isSameAs(fake);
        fake.close();
        fake.close();
        assertThatThrownBy(fake::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> FakeGitHub.create().url()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("start()");
    }
}
