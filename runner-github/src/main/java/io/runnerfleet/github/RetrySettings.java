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
 * <p>Defaults: 4 attempts, backoff from 500 ms doubling up to 30 s, rate-limit waits up to 2 minutes,
 * secondary limits without {@code retry-after} back off 1 minute. A POST is retried only when it
 * provably never reached GitHub (the connection was refused) or GitHub rejected it for a rate limit;
 * a just-in-time config request is never retried.
 *
 * @param maxAttempts attempts in total, at least 1 (1 means no retry)
 * @param initialBackoff the first backoff, doubled on each retry
 * @param maxBackoff the largest backoff
 * @param maxRateLimitWait the longest the client waits for a rate limit to reset before it throws
 *     {@link GitHubApiException.RateLimited}
 * @param secondaryLimitBackoff the wait after a secondary limit without {@code retry-after} (GitHub asks for at least a minute)
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
        return new RetrySettings(4, Duration.ofMillis(500), Duration.ofSeconds(30), Duration.ofMinutes(2),
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

    /** A copy with another bound on rate-limit waits. */
    public RetrySettings maxRateLimitWait(Duration wait) {
        return new RetrySettings(maxAttempts, initialBackoff, maxBackoff, wait, secondaryLimitBackoff);
    }

    /** A copy with another secondary-limit backoff. */
    public RetrySettings secondaryLimitBackoff(Duration wait) {
        return new RetrySettings(maxAttempts, initialBackoff, maxBackoff, maxRateLimitWait, wait);
    }
}
