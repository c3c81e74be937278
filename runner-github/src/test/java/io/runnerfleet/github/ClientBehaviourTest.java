package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pagination, conditional requests, downloads, token parsing and the concurrency cap. */
class ClientBehaviourTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private MockWebServer server;
    private MutableClock clock;
    private GitHubClient client;
    private RunnerApi runners;

    @BeforeEach
    void start() {
        server = TestSupport.server();
        clock = MutableClock.at(NOW);
        client = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock)).build();
        runners = client.runners(RunnerScope.organization("acme"));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static String runnersPage(int total, int... ids) {
        List<String> items = new ArrayList<>();
        for (int id : ids) {
            items.add("{\"id\":" + id + ",\"name\":\"r" + id + "\",\"os\":\"linux\",\"status\":\"online\",\"busy\":false,"
                    + "\"labels\":[{\"id\":1,\"name\":\"self-hosted\",\"type\":\"read-only\"}]}");
        }
        return "{\"total_count\":" + total + ",\"runners\":[" + String.join(",", items) + "]}";
    }

    @Test
    void listFollowsLinkNextAcrossPages() throws Exception {
        String page2 = server.url("/organizations/1/actions/runners?per_page=100&page=2").toString();
        String page3 = server.url("/organizations/1/actions/runners?per_page=100&page=3").toString();
        server.enqueue(new MockResponse.Builder(json(200, runnersPage(5, 1, 2)))
                .addHeader("Link", "<" + page2 + ">; rel=\"next\", <" + page3 + ">; rel=\"last\"").build());
        server.enqueue(new MockResponse.Builder(json(200, runnersPage(5, 3, 4)))
                .addHeader("Link", "<" + page3 + ">; rel=\"next\", <" + page3 + ">; rel=\"last\"").build());
        server.enqueue(json(200, runnersPage(5, 5)));

        assertThat(runners.list()).extracting(GitHubRunner::id).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(server.takeRequest().getTarget()).isEqualTo("/orgs/acme/actions/runners?per_page=100");
        RecordedRequest second = server.takeRequest();
        assertThat(second.getTarget()).isEqualTo("/organizations/1/actions/runners?per_page=100&page=2");
        assertThat(second.getHeaders().get("Authorization")).isEqualTo("Bearer " + TestSupport.TOKEN);
        assertThat(server.takeRequest().getTarget()).endsWith("page=3");
    }

    @Test
    void conditionalGetReplaysTheCachedBodyOn304AndCountsIt() throws Exception {
        String etag = "W/\"a18c3bded88eb5dbb5c849a489412bf3\"";
        server.enqueue(new MockResponse.Builder(json(200, Spec.example("runner-paginated"))).addHeader("ETag", etag).build());
        server.enqueue(new MockResponse.Builder().code(304).addHeader("ETag", etag).build());

        List<GitHubRunner> first = runners.list();
        List<GitHubRunner> second = runners.list();

        assertThat(second).isEqualTo(first).hasSize(2);
        assertThat(server.takeRequest().getHeaders().get("If-None-Match")).isNull();
        assertThat(server.takeRequest().getHeaders().get("If-None-Match")).isEqualTo(etag);
        assertThat(client.stats()).isEqualTo(new RequestStats(2, 1, 0));
    }

    @Test
    void a304WithoutACachedBodyIsAnError() {
        server.enqueue(new MockResponse.Builder().code(304).build());
        assertThatThrownBy(() -> runners.get(3)).isInstanceOf(GitHubApiException.class)
                .extracting(e -> ((GitHubApiException) e).status()).isEqualTo(304);
    }

    @Test
    void registrationTokenKeepsTheOffsetTimestampExact() {
        server.enqueue(json(201, Spec.example("authentication-token")));
        RegistrationToken token = client.tokens(RunnerScope.repository("octo", "app")).registrationToken();
        assertThat(token.token().reveal()).isEqualTo("LLBF3JGZDX3P5PMEXLND6TS6FCWO6");
        assertThat(token.expiresAt()).isEqualTo(Instant.parse("2020-01-22T20:13:35.123Z"));
        assertThat(token.toString()).doesNotContain("LLBF3JGZDX3P5PMEXLND6TS6FCWO6");
    }

    @Test
    void jitConfigReturnsTheRunnerIdAndASecretConfig() {
        server.enqueue(json(201, Spec.example("runner-jitconfig")));
        JitConfig jit = client.tokens(RunnerScope.organization("acme"))
                .jitConfig(new JitRequest("New runner", LabelSet.of("linux"), 1, null));
        assertThat(jit.runnerId()).isEqualTo(23);
        assertThat(jit.name()).isEqualTo("New runner");
        assertThat(jit.encodedConfig().reveal()).startsWith("abc");
        assertThat(jit.toString()).doesNotContain(jit.encodedConfig().reveal());
    }

    @Test
    void runnerFieldsAndLabelsAreMapped() {
        server.enqueue(json(200, Spec.example("runner")));
        GitHubRunner r = runners.get(23);
        assertThat(r.name()).isEqualTo("MBP");
        assertThat(r.online()).isTrue();
        assertThat(r.busy()).isTrue();
        assertThat(r.labels()).extracting(RunnerLabel::readOnly).contains(true);
        assertThat(r.toRegisteredRunner().displayStatus()).isEqualTo("Active");
    }

    @Test
    void downloadVerifiesTheChecksumAndNeverSendsTheGitHubToken(@TempDir Path dir) throws Exception {
        byte[] archive = "pretend this is a tarball".getBytes(StandardCharsets.UTF_8);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(archive));
        try (MockWebServer mirror = TestSupport.server()) {
            mirror.enqueue(new MockResponse.Builder().code(200).body(new okio.Buffer().write(archive)).build());
            mirror.enqueue(new MockResponse.Builder().code(200).body(new okio.Buffer().write(archive)).build());
            RunnerApplication app = new RunnerApplication("linux", "x64", mirror.url("/runner.tar.gz").toString(),
                    "runner.tar.gz", Optional.of(sha), Optional.of(Secret.of("temp-download-token")));
            Path target = dir.resolve("runner.tar.gz");

            assertThat(runners.download(app, target)).isEqualTo(target);
            assertThat(Files.readAllBytes(target)).isEqualTo(archive);
            RecordedRequest request = mirror.takeRequest();
            assertThat(request.getHeaders().get("Authorization")).isEqualTo("Bearer temp-download-token");

            Path other = dir.resolve("other.tar.gz");
            RunnerApplication wrong = new RunnerApplication("linux", "x64", app.downloadUrl(), "runner.tar.gz",
                    Optional.of("0".repeat(64)), Optional.empty());
            assertThatThrownBy(() -> runners.download(wrong, other)).isInstanceOf(GitHubApiException.class)
                    .hasMessageContaining("SHA-256 " + sha).hasMessageContaining("was not written");
            assertThat(other).doesNotExist();
            assertThat(mirror.takeRequest().getHeaders().get("Authorization")).isNull();
            try (var files = Files.list(dir)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("runner.tar.gz");
            }
        }
    }

    @Test
    void downloadWithoutAChecksumMustBeGivenOne(@TempDir Path dir) {
        RunnerApplication app = new RunnerApplication("linux", "x64", "http://127.0.0.1:1/x", "x.tar.gz",
                Optional.empty(), Optional.empty());
        assertThatThrownBy(() -> runners.download(app, dir.resolve("x"))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("no SHA-256");
    }

    @Test
    void atMostMaxConcurrentRequestsAreInFlight() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        CountDownLatch release = new CountDownLatch(1);
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) throws InterruptedException {
                peak.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                release.await(10, TimeUnit.SECONDS);
                inFlight.decrementAndGet();
                return json(200, Spec.example("runner"));
            }
        });
        try (GitHubClient capped = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock))
                .maxConcurrentRequests(2).build()) {
            RunnerApi api = capped.runners(RunnerScope.organization("acme"));
            ExecutorService pool = Executors.newFixedThreadPool(6);
            List<Future<GitHubRunner>> futures = new ArrayList<>();
            for (int i = 1; i <= 6; i++) {
                long id = i;
                futures.add(pool.submit(() -> api.get(id)));
            }
            Await.until(Duration.ofSeconds(5), "two requests in flight", () -> inFlight.get() >= 2);
            assertThat(inFlight.get()).isEqualTo(2);
            release.countDown();
            for (Future<GitHubRunner> f : futures) {
                assertThat(f.get(10, TimeUnit.SECONDS).name()).isEqualTo("MBP");
            }
            pool.shutdown();
            assertThat(peak.get()).isEqualTo(2);
        }
    }

    @Test
    void contentCreatingRequestsArePacedPerMinute() {
        TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper(clock);
        try (GitHubClient paced = TestSupport.client(server, clock, sleeper).maxContentCreatingPerMinute(3).build()) {
            TokenApi tokens = paced.tokens(RunnerScope.organization("acme"));
            for (int i = 0; i < 4; i++) {
                server.enqueue(json(201, Spec.example("authentication-token")));
            }
            server.enqueue(json(200, Spec.example("runner")));
            server.enqueue(json(201, Spec.example("authentication-token")));
            tokens.registrationToken();
            clock.advance(Duration.ofSeconds(10));
            tokens.registrationToken();
            tokens.registrationToken();
            assertThat(sleeper.waits).isEmpty();
            tokens.registrationToken(); // the window holds 3: wait until the first is a minute old
            assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(50));
            paced.runners(RunnerScope.organization("acme")).get(23); // reads are not paced
            tokens.registrationToken(); // the second slot frees at 70 s, the clock is at 60 s
            assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(50), Duration.ofSeconds(10));
        }
    }

    @Test
    void rateLimitEndpointIsReadIntoBuckets() {
        server.enqueue(json(200, Spec.example("rate-limit-overview")));
        assertThat(client.fetchRateLimits()).containsKeys("core", "search", "actions_runner_registration")
                .extractingByKey("actions_runner_registration").extracting(RateLimit::limit).isEqualTo(10000L);
    }

    @Test
    void enterpriseServerBaseUrlsKeepTheirPathAndDeriveTheWebUrl() throws Exception {
        try (GitHubClient ghes = GitHubClient.builder().baseUrl(server.url("/api/v3").toString())
                .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN))).build()) {
            server.enqueue(json(200, Spec.example("runner")));
            ghes.runners(RunnerScope.enterprise("big")).get(23);
            assertThat(server.takeRequest().getTarget()).isEqualTo("/api/v3/enterprises/big/actions/runners/23");
            assertThat(ghes.webUrl()).isEqualTo(server.url("/").toString().replaceAll("/$", ""));
            assertThat(RunnerScope.enterprise("big").registrationUrl(ghes.webUrl())).endsWith("/enterprises/big");
        }
        try (GitHubClient dotcom = GitHubClient.builder().build()) {
            assertThat(dotcom.webUrl()).isEqualTo("https://github.com");
            assertThat(dotcom.baseUrl()).isEqualTo("https://api.github.com/");
        }
    }

    @Test
    void scopesCheckTheirNamesAndGroupsNeedAnOrganization() {
        assertThatThrownBy(() -> RunnerScope.organization("acme/evil")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("acme/evil");
        assertThatThrownBy(() -> RunnerScope.repository("", "x")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> client.runners(RunnerScope.repository("a", "b")).groups())
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("organization");
        assertThatThrownBy(() -> runners.workflowRuns("queued")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("repository");
        assertThat(RunnerScope.repository("acme", "app").registrationUrl("https://github.com/"))
                .isEqualTo("https://github.com/acme/app");
        assertThat(RunnerScope.organization("acme").apiPath()).isEqualTo("/orgs/acme");
        assertThat(server.getRequestCount()).isZero();
    }

    @Test
    void builderRejectsNonsense() {
        assertThatThrownBy(() -> GitHubClient.builder().baseUrl("ftp://x").build()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("ftp://x");
        assertThatThrownBy(() -> GitHubClient.builder().maxConcurrentRequests(0)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> GitHubClient.builder().readTimeout(Duration.ZERO)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> RetrySettings.defaults().maxAttempts(0)).isInstanceOf(InvalidSpecException.class);
    }
}
