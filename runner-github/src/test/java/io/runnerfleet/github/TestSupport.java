package io.runnerfleet.github;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Sleeper;
import io.runnerfleet.testing.MutableClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/**
 * Shared helpers of runner-github's tests (the scale-set tests too): a local server, canned answers, a sleeper
 * that advances the test clock (core's {@link MutableClock}).
 */
public final class TestSupport {
    static final String TOKEN = "ghp_TESTTOKEN_0123456789_doNotLeak";

    private TestSupport() {
    }

    /** A MockWebServer on 127.0.0.1 and a free port, started. */
    public static MockWebServer server() {
        MockWebServer server = new MockWebServer();
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }

    /** A JSON answer. */
    public static MockResponse json(int code, String body) {
        return new MockResponse.Builder().code(code).addHeader("Content-Type", "application/json; charset=utf-8")
                .body(body).build();
    }

    /** An answer without a body. */
    public static MockResponse empty(int code) {
        return new MockResponse.Builder().code(code).build();
    }

    /** A client for the server with a PAT, the test clock and a sleeper that advances it. */
    static GitHubClient.Builder client(MockWebServer server, MutableClock clock, RecordingSleeper sleeper) {
        return GitHubClient.builder()
                .baseUrl(server.url("/").toString())
                .credentials(GitHubCredentials.token(Secret.of(TOKEN)))
                .clock(clock)
                .sleeper(sleeper)
                .readTimeout(Duration.ofSeconds(5))
                .callTimeout(Duration.ofSeconds(10))
                .retry(RetrySettings.defaults().backoff(Duration.ofMillis(100), Duration.ofSeconds(2)));
    }

    /** Records each wait and advances the clock by it instead of sleeping. */
    static final class RecordingSleeper implements Sleeper {
        final List<Duration> waits = new CopyOnWriteArrayList<>();
        private final MutableClock clock;

        RecordingSleeper(MutableClock clock) {
            this.clock = clock;
        }

        @Override
        public void sleep(Duration duration) {
            waits.add(duration);
            clock.advance(duration);
        }
    }
}
