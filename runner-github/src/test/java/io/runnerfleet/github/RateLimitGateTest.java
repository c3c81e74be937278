package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import okhttp3.Headers;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.Test;

/** The rate-limit gate on its own: secondary-limit holds and the pace of content-changing requests. */
class RateLimitGateTest {
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final String SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes";

    private final MutableClock clock = MutableClock.at(NOW);
    private final TestSupport.RecordingSleeper sleeper = new TestSupport.RecordingSleeper(clock);

    private RateLimitGate gate(int perMinute) {
        return new RateLimitGate(clock, sleeper, RetrySettings.defaults().maxRateLimitWait(Duration.ZERO), perMinute);
    }

    private static GitHubHttp.Call delete() {
        return new GitHubHttp.Call("DELETE", HttpUrl.get("https://api.github.com/orgs/acme/actions/runners/1"), null,
                "delete runner", "organization acme", GitHubHttp.Retrying.IDEMPOTENT, null);
    }

    private static GitHubApiException.RateLimited refusal(RateLimitGate gate) {
        GitHubApiException.Details d = new GitHubApiException.Details(403, "delete runner", "organization acme", SECONDARY,
                null, null);
        RuntimeException failure = gate.refused(delete(), gate.budget(), d, Headers.of(), SECONDARY);
        assertThat(failure).isInstanceOf(GitHubApiException.RateLimited.class);
        return (GitHubApiException.RateLimited) failure;
    }

    @Test
    void aRefusalAfterASuccessWhileTheClientIsHeldKeepsTheHoldInsteadOfOverflowing() {
        RateLimitGate gate = gate(80);
        assertThat(refusal(gate).resetAt()).isEqualTo(NOW.plus(Duration.ofMinutes(1)));
        // A request sent before the hold began succeeds (which ends the episode), then another in flight is refused.
        clock.advance(Duration.ofSeconds(5));
        gate.lifted();
        // GitHub asks for a minute from each refusal: the hold grows to a minute from this one.
        assertThat(refusal(gate).resetAt()).isEqualTo(NOW.plus(Duration.ofSeconds(65)));
        // Refused again once that hold is over, with no success between: the hold doubles.
        clock.advance(Duration.ofMinutes(1));
        assertThat(refusal(gate).resetAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
    }

    @Test
    void refusalsInARowDoubleTheHoldUpToEightTimes() {
        RateLimitGate gate = gate(80);
        Duration[] expected = {Duration.ofMinutes(1), Duration.ofMinutes(2), Duration.ofMinutes(4), Duration.ofMinutes(8),
                Duration.ofMinutes(8)};
        for (Duration hold : expected) {
            Instant now = clock.instant();
            Instant resetAt = refusal(gate).resetAt();
            assertThat(Duration.between(now, resetAt)).isEqualTo(hold);
            clock.advance(Duration.between(now, resetAt));
        }
    }

    @Test
    void aContentChangingRequestCountsFromWhenItsAnswerCameNotFromWhenItWasQueued() {
        RateLimitGate gate = gate(2);
        // The first write waits 10 s for a connection (or is slow to answer): GitHub counts it from when it arrived.
        RateLimitGate.Write first = gate.paceContentCreation();
        clock.advance(Duration.ofSeconds(10));
        first.done();
        gate.paceContentCreation().done();
        assertThat(sleeper.waits).isEmpty();
        gate.paceContentCreation().done();
        // A minute after the first one's answer, not after it was queued (which would have been 50 s from now).
        assertThat(sleeper.waits).hasSize(1);
        assertThat(clock.instant()).isEqualTo(NOW.plus(Duration.ofSeconds(70)));
    }

    @Test
    void concurrentWritersBeyondTheLimitEachGetALaterSlot() {
        RateLimitGate gate = gate(1);
        gate.paceContentCreation().done();
        gate.paceContentCreation().done();
        gate.paceContentCreation().done();
        assertThat(clock.instant()).isEqualTo(NOW.plus(Duration.ofMinutes(2)));
    }
}
