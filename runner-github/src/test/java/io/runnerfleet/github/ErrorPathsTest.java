package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.TOKEN;
import static io.runnerfleet.github.TestSupport.empty;
import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.SocketEffect;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the client does when GitHub says no, says it too often, or says nothing useful. */
class ErrorPathsTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private static final String RUNNERS = Spec.example("runner-paginated");

    private MockWebServer server;
    private MutableClock clock;
    private TestSupport.RecordingSleeper sleeper;
    private GitHubClient client;
    private RunnerApi runners;
    private TokenApi tokens;

    @BeforeEach
    void start() {
        server = TestSupport.server();
        clock = MutableClock.at(NOW);
        sleeper = new TestSupport.RecordingSleeper(clock);
        client = TestSupport.client(server, clock, sleeper).readTimeout(Duration.ofMillis(300)).build();
        runners = client.runners(RunnerScope.organization("acme"));
        tokens = client.tokens(RunnerScope.organization("acme"));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static MockResponse error(int code, String message, String... headers) {
        MockResponse.Builder b = new MockResponse.Builder().code(code)
                .addHeader("Content-Type", "application/json")
                .addHeader("x-github-request-id", "CAFE:1234:5678")
                .body("{\"message\":\"" + message + "\",\"documentation_url\":\"https://docs.github.com/rest\",\"status\":\""
                        + code + "\"}");
        for (int i = 0; i < headers.length; i += 2) {
            b.addHeader(headers[i], headers[i + 1]);
        }
        return b.build();
    }

    @Test
    void unauthorizedCarriesGitHubsFactsAndNamesScopeAndOperationButNotTheToken() {
        server.enqueue(error(401, "Bad credentials"));
        assertThatThrownBy(() -> runners.list())
                .isInstanceOfSatisfying(GitHubApiException.Unauthorized.class, e -> {
                    assertThat(e.status()).isEqualTo(401);
                    assertThat(e.permanent()).as("wrong credentials stay wrong: the fleet fails the runner at once").isTrue();
                    assertThat(e.githubMessage()).contains("Bad credentials");
                    assertThat(e.documentationUrl()).contains("https://docs.github.com/rest");
                    assertThat(e.requestId()).contains("CAFE:1234:5678");
                    assertThat(e.scope()).isEqualTo("organization acme");
                    assertThat(e.getMessage()).contains("list runners", "organization acme", "Bad credentials",
                            "CAFE:1234:5678").doesNotContain(TOKEN);
                });
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void forbiddenNamesThePermissionGitHubAccepts() {
        server.enqueue(error(403, "Resource not accessible by integration",
                "x-accepted-github-permissions", "organization_self_hosted_runners=write", "x-ratelimit-remaining", "4999",
                "x-ratelimit-limit", "5000", "x-ratelimit-reset", "1767229200"));
        assertThatThrownBy(() -> tokens.registrationToken())
                .isInstanceOfSatisfying(GitHubApiException.Forbidden.class, e -> {
                    assertThat(e.acceptedPermissions()).contains("organization_self_hosted_runners=write");
                    assertThat(e.permanent()).isTrue();
                    assertThat(e.getMessage()).contains("create a registration token", "organization_self_hosted_runners=write");
                });
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void notFoundConflictAndValidationHaveTheirOwnTypes() {
        server.enqueue(error(404, "Not Found"));
        assertThatThrownBy(() -> runners.get(5)).isInstanceOfSatisfying(GitHubApiException.NotFound.class,
                e -> assertThat(e.permanent()).isTrue()).hasMessageContaining("get runner 5");
        server.enqueue(new MockResponse.Builder().code(422).addHeader("Content-Type", "application/json")
                .body("{\"message\":\"Validation Failed\",\"documentation_url\":\"https://docs\",\"errors\":[\"label too long\"]}")
                .build());
        assertThatThrownBy(() -> runners.addLabels(5, List.of("x")))
                .isInstanceOfSatisfying(GitHubApiException.ValidationFailed.class,
                        e -> assertThat(e.errors()).containsExactly("label too long"));
        server.enqueue(error(409, "Conflict"));
        assertThatThrownBy(() -> runners.createGroup(RunnerGroupSpec.named("g")))
                .isInstanceOf(GitHubApiException.Conflict.class);
    }

    @Test
    void jitConflictNamesTheRunnerAndIsNeverRetried() {
        server.enqueue(error(409, "Already exists - A runner with the name runner-1 already exists."));
        JitRequest request = new JitRequest("runner-1", LabelSet.of("linux"), 1, null);
        assertThatThrownBy(() -> tokens.jitConfig(request))
                .isInstanceOfSatisfying(RunnerNameConflictException.class, e -> {
                    assertThat(e.runnerName()).isEqualTo("runner-1");
                    assertThat(e.getCause()).isInstanceOf(GitHubApiException.Conflict.class);
                });
        server.enqueue(empty(500));
        assertThatThrownBy(() -> tokens.jitConfig(request)).isInstanceOf(GitHubApiException.class)
                .satisfies(e -> assertThat(((GitHubApiException) e).permanent()).as("a 5xx passes").isFalse())
                .extracting(e -> ((GitHubApiException) e).status()).isEqualTo(500);
        server.enqueue(error(403, "You have exceeded a secondary rate limit", "retry-after", "1"));
        assertThatThrownBy(() -> tokens.jitConfig(request)).isInstanceOfSatisfying(GitHubApiException.RateLimited.class,
                e -> assertThat(e.permanent()).as("a rate limit passes").isFalse());
        assertThat(server.getRequestCount()).isEqualTo(3);
        assertThat(client.stats().retries()).isZero();
    }

    @Test
    void deletingABusyRunnerRaisesRunnerBusy() {
        server.enqueue(new MockResponse.Builder().code(422).addHeader("Content-Type", "application/json")
                .body("{\"message\":\"Bad request - Runner \\\"r1\\\" is still running a job\",\"documentation_url\":\"https://docs\"}")
                .build());
        assertThatThrownBy(() -> runners.delete(21)).isInstanceOf(RunnerBusyException.class)
                .hasMessageContaining("runner 21").hasMessageContaining("still running a job");
    }

    @Test
    void serverErrorThenSuccessIsRetriedWithBackoffForIdempotentRequests() throws Exception {
        server.enqueue(error(500, "Server Error"));
        server.enqueue(error(502, "Bad Gateway"));
        server.enqueue(json(200, RUNNERS));
        assertThat(runners.list()).extracting(GitHubRunner::name).containsExactly("linux_runner", "mac_runner");
        assertThat(server.getRequestCount()).isEqualTo(3);
        assertThat(client.stats().retries()).isEqualTo(2);
        assertThat(sleeper.waits).hasSize(2);
        // Exponential with jitter in the upper half: first in [50, 100] ms, second in [100, 200] ms.
        assertThat(sleeper.waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(sleeper.waits.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
    }

    @Test
    void retriesAreBounded() {
        for (int i = 0; i < 4; i++) {
            server.enqueue(error(503, "Unavailable"));
        }
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.class,
                e -> assertThat(e.status()).isEqualTo(503));
        assertThat(server.getRequestCount()).isEqualTo(4);
    }

    @Test
    void aPostThatReachedGitHubIsNotRetriedOnServerError() {
        server.enqueue(error(500, "Server Error"));
        assertThatThrownBy(() -> tokens.registrationToken()).isInstanceOf(GitHubApiException.class);
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void aPostThatNeverReachedGitHubIsRetried() throws Exception {
        MockWebServer dead = TestSupport.server();
        String url = dead.url("/").toString();
        dead.close();
        try (GitHubClient c = GitHubClient.builder().baseUrl(url).credentials(
                GitHubCredentials.token(io.runnerfleet.Secret.of(TOKEN))).clock(clock).sleeper(sleeper).build()) {
            assertThatThrownBy(() -> c.tokens(RunnerScope.organization("acme")).registrationToken())
                    .isInstanceOfSatisfying(GitHubApiException.class, e -> {
                        assertThat(e.status()).isZero();
                        assertThat(e.getMessage()).contains("create a registration token", "organization acme");
                    });
            assertThat(c.stats().requests()).isEqualTo(4);
            assertThat(c.stats().retries()).isEqualTo(3);
        }
    }

    @Test
    void primaryLimitWaitsUntilResetWhenWithinTheBound() {
        client.close();
        client = TestSupport.client(server, clock, sleeper)
                .retry(RetrySettings.defaults().maxRateLimitWait(Duration.ofMinutes(1))).build();
        tokens = client.tokens(RunnerScope.organization("acme"));
        long reset = NOW.plusSeconds(30).getEpochSecond();
        server.enqueue(error(403, "API rate limit exceeded", "x-ratelimit-limit", "5000", "x-ratelimit-remaining", "0",
                "x-ratelimit-used", "5000", "x-ratelimit-reset", String.valueOf(reset), "x-ratelimit-resource", "core"));
        server.enqueue(new MockResponse.Builder(json(201, Spec.example("authentication-token")))
                .addHeader("x-ratelimit-limit", "5000").addHeader("x-ratelimit-remaining", "4999")
                .addHeader("x-ratelimit-reset", String.valueOf(reset + 3600)).addHeader("x-ratelimit-resource", "core")
                .build());
        // A POST refused for a rate limit was not acted on, so it may be sent again after the wait.
        assertThat(tokens.registrationToken().token().reveal()).isEqualTo("LLBF3JGZDX3P5PMEXLND6TS6FCWO6");
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(31));
        assertThat(client.rateLimit()).hasValueSatisfying(r -> {
            assertThat(r.remaining()).isEqualTo(4999);
            assertThat(r.resource()).isEqualTo("core");
        });
    }

    @Test
    void primaryLimitBeyondTheBoundThrowsNamingTheResetTime() {
        Instant reset = NOW.plus(Duration.ofMinutes(40));
        server.enqueue(error(429, "API rate limit exceeded", "x-ratelimit-limit", "5000", "x-ratelimit-remaining", "0",
                "x-ratelimit-reset", String.valueOf(reset.getEpochSecond())));
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class, e -> {
            assertThat(e.secondary()).isFalse();
            assertThat(e.resetAt()).isEqualTo(reset.plusSeconds(1));
            assertThat(e.getMessage()).contains(reset.plusSeconds(1).toString(), "primary rate limit");
        });
        assertThat(sleeper.waits).isEmpty();
        assertThat(client.rateLimit()).hasValueSatisfying(r -> assertThat(r.exhausted()).isTrue());
    }

    @Test
    void secondaryLimitHonoursRetryAfter() {
        server.enqueue(error(403, "You have exceeded a secondary rate limit", "retry-after", "7"));
        server.enqueue(json(200, RUNNERS));
        assertThat(runners.list()).hasSize(2);
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(7));
    }

    @Test
    void secondaryLimitWithoutRetryAfterBacksOffAtLeastAMinuteWhenAllowedToWaitThatLong() {
        client.close();
        client = TestSupport.client(server, clock, sleeper)
                .retry(RetrySettings.defaults().maxRateLimitWait(Duration.ofMinutes(5))).build();
        runners = client.runners(RunnerScope.organization("acme"));
        server.enqueue(error(403, "You have exceeded a secondary rate limit. Please wait a few minutes"));
        server.enqueue(error(403, "You have exceeded a secondary rate limit. Please wait a few minutes"));
        server.enqueue(json(200, RUNNERS));
        assertThat(runners.list()).hasSize(2);
        assertThat(sleeper.waits).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(2));
    }

    @Test
    void secondaryLimitWithoutRetryAfterFailsFastAndTheClientHoldsBackAMinuteWithOneWarning() throws Exception {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            server.enqueue(error(429, "You have exceeded a secondary rate limit. Please wait a few minutes"));
            assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class, e -> {
                assertThat(e.secondary()).isTrue();
                assertThat(e.status()).isEqualTo(429);
                assertThat(e.resetAt()).isEqualTo(NOW.plus(Duration.ofMinutes(1)));
                assertThat(e.getMessage()).contains(NOW.plus(Duration.ofMinutes(1)).toString());
            });
            // the calling thread was not held: no wait at all, GitHub asks for a minute and that is over the bound
            assertThat(sleeper.waits).isEmpty();
            // within that minute the client does not call GitHub: it fails fast, saying until when
            clock.advance(Duration.ofSeconds(20));
            assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class, e -> {
                assertThat(e.secondary()).isTrue();
                assertThat(e.status()).isZero();
                assertThat(e.resetAt()).isEqualTo(NOW.plus(Duration.ofMinutes(1)));
                assertThat(e.getMessage()).contains("list runners", "nothing before " + NOW.plus(Duration.ofMinutes(1)));
            });
            assertThat(server.getRequestCount()).isEqualTo(1);
            // refused again after the minute: the next hold is longer (exponential), still without waiting
            clock.advance(Duration.ofSeconds(40));
            server.enqueue(error(403, "You have exceeded a secondary rate limit"));
            assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class,
                    e -> assertThat(e.resetAt()).isEqualTo(NOW.plus(Duration.ofMinutes(3))));
            clock.advance(Duration.ofMinutes(2));
            server.enqueue(json(200, RUNNERS));
            assertThat(runners.list()).hasSize(2);
            assertThat(sleeper.waits).isEmpty();
            assertThat(server.getRequestCount()).isEqualTo(3);
        } finally {
            System.setErr(err);
        }
        // one WARN for the episode (not one per refusal or per call), saying what and until when
        List<String> warnings = captured.toString(java.nio.charset.StandardCharsets.UTF_8).lines()
                .filter(l -> l.contains("WARN") && l.contains("GitHubHttp")).toList();
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("secondary rate limit", "list runners",
                NOW.plus(Duration.ofMinutes(1)).toString());
    }

    @Test
    void rateLimitWaitsAreBoundedPerCallInTotal() {
        // each retry-after alone is short enough (7 s is honoured, see above), but not both: 12 s > 10 s
        server.enqueue(error(403, "You have exceeded a secondary rate limit", "retry-after", "6"));
        server.enqueue(error(403, "You have exceeded a secondary rate limit", "retry-after", "6"));
        server.enqueue(json(200, RUNNERS));
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class,
                e -> assertThat(e.resetAt()).isEqualTo(NOW.plusSeconds(12)));
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(6));
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void aLongRetryAfterFailsFastAndLaterCallsWaitOnlyWhatIsLeftWithinTheBound() {
        server.enqueue(error(429, "You have exceeded a secondary rate limit", "retry-after", "30"));
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class,
                e -> assertThat(e.resetAt()).isEqualTo(NOW.plusSeconds(30)));
        assertThat(sleeper.waits).isEmpty();
        clock.advance(Duration.ofSeconds(25));
        // 5 s left: within the bound, so this call waits them out instead of failing
        server.enqueue(json(200, RUNNERS));
        assertThat(runners.list()).hasSize(2);
        assertThat(sleeper.waits).containsExactly(Duration.ofSeconds(5));
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void secondaryLimitBeyondTheBoundThrows() {
        server.enqueue(error(403, "You have exceeded a secondary rate limit", "retry-after", "600"));
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.RateLimited.class, e -> {
            assertThat(e.secondary()).isTrue();
            assertThat(e.resetAt()).isEqualTo(NOW.plusSeconds(600));
        });
        assertThat(server.getRequestCount()).isEqualTo(1);
    }

    @Test
    void malformedJsonIsANamedFailure() {
        server.enqueue(json(200, "{\"total_count\": 1, \"runners\": [ {\"id\": "));
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.class, e -> {
            assertThat(e.status()).isEqualTo(200);
            assertThat(e.getMessage()).contains("list runners", "not what the API describes");
        });
        server.enqueue(json(200, "{\"total_count\": 1, \"runners\": [{\"id\": 1}]}"));
        assertThatThrownBy(() -> runners.list()).isInstanceOf(GitHubApiException.class)
                .hasMessageContaining("'name'");
    }

    @Test
    void truncatedBodyIsRetriedThenReported() {
        MockResponse cut = new MockResponse.Builder().code(200).addHeader("Content-Type", "application/json")
                .body(RUNNERS).onResponseBody(SocketEffect.ShutdownConnection.INSTANCE).build();
        server.enqueue(cut);
        server.enqueue(json(200, RUNNERS));
        assertThat(runners.list()).hasSize(2);
        assertThat(client.stats().retries()).isEqualTo(1);
    }

    @Test
    void timeoutsAreRetriedAndReportedWithoutStatus() {
        for (int i = 0; i < 4; i++) {
            server.enqueue(new MockResponse.Builder(json(200, RUNNERS)).headersDelay(2, TimeUnit.SECONDS).build());
        }
        assertThatThrownBy(() -> runners.list()).isInstanceOfSatisfying(GitHubApiException.class, e -> {
            assertThat(e.status()).isZero();
            assertThat(e.getMessage()).contains("no complete answer", "timeout");
        });
        assertThat(client.stats().requests()).isEqualTo(4);
    }
}
