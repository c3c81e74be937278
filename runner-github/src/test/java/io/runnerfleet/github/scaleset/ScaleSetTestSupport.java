package io.runnerfleet.github.scaleset;

import static io.runnerfleet.github.TestSupport.json;

import io.runnerfleet.Secret;
import io.runnerfleet.github.TestSupport;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.RetrySettings;
import io.runnerfleet.github.internal.Sleeper;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/**
 * Shared helpers of the scale-set tests: tokens that must never print and canned answers of the protocol; the
 * server, plain answers and the clock are {@link TestSupport}'s and core's.
 */
final class ScaleSetTestSupport {
    static final String PAT = "ghp_SCALESET_PAT_doNotLeak_0123456789";
    static final String REGISTRATION = "REGTOKEN_doNotLeak_AAAABBBB";
    static final String QUEUE_TOKEN = "QUEUETOKEN_doNotLeak_CCCCDDDD";
    static final String JIT = "eyJKSVRfZG9Ob3RMZWFrIjoiMSJ9";
    static final Instant NOW = Instant.parse("2026-05-05T10:00:00Z");

    private ScaleSetTestSupport() {
    }

    /** An unsigned JWT with this {@code exp}: clients read it without verifying. */
    static String jwt(Instant exp, String marker) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        return b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + b64.encodeToString(("{\"exp\":" + exp.getEpochSecond() + ",\"sub\":\"" + marker + "\"}")
                        .getBytes(StandardCharsets.UTF_8)) + ".c2lnbmF0dXJl";
    }

    static final String ADMIN_TOKEN = jwt(NOW.plus(Duration.ofHours(1)), "ADMIN_doNotLeak");

    static MockResponse registrationToken() {
        return json(201, "{\"token\":\"" + REGISTRATION + "\",\"expires_at\":\"2026-05-05T11:00:00Z\"}");
    }

    static MockResponse runnerRegistration(MockWebServer server) {
        return runnerRegistration(server, ADMIN_TOKEN);
    }

    static MockResponse runnerRegistration(MockWebServer server, String token) {
        return json(201, "{\"url\":\"" + server.url("/tenant/123/") + "\",\"token\":\"" + token
                + "\",\"token_schema\":\"OAuthAccessToken\",\"use_v2_flow\":false}");
    }

    static ScaleSetClient.Builder client(MockWebServer server, Clock clock, RecordingSleeper sleeper) {
        return ScaleSetClient.builder()
                .configUrl(server.url("/acme").toString())
                .credentials(GitHubCredentials.token(Secret.of(PAT)))
                .clock(clock)
                .sleeper(sleeper)
                .callTimeout(Duration.ofSeconds(10))
                .pollTimeout(Duration.ofSeconds(10))
                .retry(RetrySettings.defaults().backoff(Duration.ofMillis(100), Duration.ofSeconds(2)));
    }

    static String statistics(long assigned) {
        return "{\"totalAvailableJobs\":0,\"totalAcquiredJobs\":0,\"totalAssignedJobs\":" + assigned
                + ",\"totalRunningJobs\":0,\"totalRegisteredRunners\":0,\"totalBusyRunners\":0,\"totalIdleRunners\":0}";
    }

    /** Records each wait instead of sleeping (the clock stays, so token expiry is not disturbed). */
    static final class RecordingSleeper implements Sleeper {
        final List<Duration> waits = new CopyOnWriteArrayList<>();

        @Override
        public void sleep(Duration duration) {
            waits.add(duration);
        }
    }
}
