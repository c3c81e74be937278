package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link GitHubClient} retries: bounded attempts with exponential backoff and jitter for
 * idempotent requests on 5xx, timeouts and connection failures, and bounded waits for rate limits.
 *
 * <pre>{@code
 * GitHubClient.builder()
 *     .retry(RetrySettings.defaults().maxAttempts(5).maxRateLimitWait(Duration.ofMinutes(10)))
 * }</pre>
 *
 * <p>Defaults: 4 attempts, backoff from 500 ms doubling up to 30 s, rate-limit waits up to 10 seconds in
 * total per call, secondary limits without {@code retry-after} hold the client back 1 minute. A POST is
 * retried only when it provably never reached GitHub (the connection was refused) or GitHub rejected it
 * for a rate limit; a just-in-time config request is never retried.
 *
 * <p>Rate limits never hold the calling thread longer than {@code maxRateLimitWait} per call: a shorter
 * {@code retry-after} or reset is waited out, a longer one fails fast with
 * {@link GitHubApiException.RateLimited} whose {@link GitHubApiException.RateLimited#resetAt() resetAt()}
 * says when to call again. After a secondary limit the client itself sends nothing before that instant
 * (GitHub may ban integrations that keep calling): calls in between wait out the rest when it fits the
 * bound, else fail fast the same way without contacting GitHub. Without {@code retry-after} the hold is
 * {@code secondaryLimitBackoff}, doubled for each further refusal in a row (up to 8 times) and reset by a
 * success, as GitHub's guidance asks. The first refusal of an episode is logged once at WARN.
 *
 * @param maxAttempts attempts in total, at least 1 (1 means no retry)
 * @param initialBackoff the first backoff, doubled on each retry
 * @param maxBackoff the largest backoff
 * @param maxRateLimitWait the longest one call waits in total for rate limits before it throws
 *     {@link GitHubApiException.RateLimited}; {@code 0} never waits
 * @param secondaryLimitBackoff the hold after a secondary limit without {@code retry-after} (GitHub asks for at
 *     least a minute), doubled for each further refusal in a row
 */
public record RetrySettings(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxRateLimitWait,
                            Duration secondaryLimitBackoff) {
    /** Validates the settings. */
    public RetrySettings {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(maxRateLimitWait, "maxRateLimitWait");
        Objects.requireNonNull(secondaryLimitBackoff, "secondaryLimitBackoff");
        if (maxAttempts < 1 || maxAttempts > 20) {
            throw new InvalidSpecException("retry maxAttempts must be between 1 and 20, got " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new InvalidSpecException("retry backoff must satisfy 0 <= initialBackoff <= maxBackoff, got "
                    + initialBackoff + " and " + maxBackoff);
        }
        if (maxRateLimitWait.isNegative() || secondaryLimitBackoff.isNegative()) {
            throw new InvalidSpecException("rate-limit waits must not be negative");
        }
    }

    /** The defaults listed above. */
    public static RetrySettings defaults() {
        return new RetrySettings(4, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofSeconds(10),
                Duration.ofMinutes(1));
    }

    /** No retries at all: every failure is thrown at once. */
    public static RetrySettings none() {
        return defaults().maxAttempts(1).maxRateLimitWait(Duration.ZERO);
    }

    /** A copy with another attempt count. */
    public RetrySettings maxAttempts(int attempts) {
        return new RetrySettings(attempts, initialBackoff, maxBackoff, maxRateLimitWait, secondaryLimitBackoff);
    }

    /** A copy with other backoff bounds. */
    public RetrySettings backoff(Duration initial, Duration max) {
        return new RetrySettings(maxAttempts, initial, max, maxRateLimitWait, secondaryLimitBackoff);
    }

    /** A copy with another bound on the total rate-limit wait of one call. */
    public RetrySettings maxRateLimitWait(Duration wait) {
        return new RetrySettings(maxAttempts, initialBackoff, maxBackoff, wait, secondaryLimitBackoff);
    }

    /** A copy with another secondary-limit backoff. */
    public RetrySettings secondaryLimitBackoff(Duration wait) {
        return new RetrySettings(maxAttempts, initialBackoff, maxBackoff, maxRateLimitWait, wait);
    }
}
