package io.runnerfleet.github;

import java.time.Instant;
import java.util.Objects;

/**
 * One rate-limit bucket as GitHub last reported it ({@code x-ratelimit-*} headers or {@code GET /rate_limit}).
 *
 * <pre>{@code
 * client.rateLimit().ifPresent(r -> System.out.println(r.remaining() + " left until " + r.reset()));
 * }</pre>
 *
 * @param resource the bucket, e.g. {@code core} or {@code actions_runner_registration}
 * @param limit requests allowed per window
 * @param remaining requests left in this window
 * @param used requests used in this window
 * @param reset when the window resets
 */
public record RateLimit(String resource, long limit, long remaining, long used, Instant reset) {
    /** Checks the parts are present. */
    public RateLimit {
        Objects.requireNonNull(resource, "resource");
        Objects.requireNonNull(reset, "reset");
    }

    /** Whether no request is left in this window. */
    public boolean exhausted() {
        return remaining <= 0;
    }
}
