package io.runnerfleet.testkit;

import io.runnerfleet.InvalidSpecException;
import java.time.Duration;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A failure {@link FakeGitHub#failNext(String, int, Fault)} injects into the next calls of one operation.
 *
 * <pre>{@code
 * fake.failNext("actions/list-self-hosted-runners-for-org", 2, Fault.status(502));
 * fake.failNext("actions/create-registration-token-for-org", 1, Fault.secondaryLimit(Duration.ofSeconds(3)));
 * fake.failNext("actions/get-self-hosted-runner-for-org", 1, Fault.drop());
 * }</pre>
 *
 * <p>A {@link Delay} only slows the real answer down; every other fault replaces it, and the state of
 * the fake is not changed by a replaced call.
 */
public sealed interface Fault {

    /** Answer with this HTTP status and a GitHub error body. */
    record Status(int code) implements Fault {
        /** Validates the status code. */
        public Status {
            if (code < 100 || code > 599) {
                throw new InvalidSpecException("HTTP status " + code + " is not between 100 and 599");
            }
        }
    }

    /** Serve the real answer after this delay (the response headers are held back). */
    record Delay(Duration delay) implements Fault {
        /** Validates the delay. */
        public Delay {
            Objects.requireNonNull(delay, "delay");
            if (delay.isNegative()) {
                throw new InvalidSpecException("a delay must not be negative: " + delay);
            }
        }
    }

    /** Close the connection without answering. */
    record Drop() implements Fault {
    }

    /**
     * GitHub's secondary rate limit: 403 with the "secondary rate limit" message; without
     * {@code retryAfter} there is no {@code retry-after} header, as GitHub sometimes sends it.
     */
    record SecondaryLimit(@Nullable Duration retryAfter) implements Fault {
    }

    /** A status fault. */
    static Fault status(int code) {
        return new Status(code);
    }

    /** A delay fault. */
    static Fault delay(Duration delay) {
        return new Delay(delay);
    }

    /** A dropped connection. */
    static Fault drop() {
        return new Drop();
    }

    /** A secondary rate limit with {@code retry-after} in whole seconds. */
    static Fault secondaryLimit(Duration retryAfter) {
        return new SecondaryLimit(Objects.requireNonNull(retryAfter, "retryAfter"));
    }

    /** A secondary rate limit without {@code retry-after}. */
    static Fault secondaryLimitWithoutRetryAfter() {
        return new SecondaryLimit(null);
    }
}
