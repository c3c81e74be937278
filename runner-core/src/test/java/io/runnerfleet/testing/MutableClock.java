package io.runnerfleet.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link Clock} that tests move by hand, so time-dependent behaviour (token expiry, idle timeouts,
 * slow calls) is tested without sleeping.
 *
 * <pre>{@code
 * MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
 * InMemoryRegistry registry = InMemoryRegistry.builder().clock(clock).build();
 * clock.advance(Duration.ofMinutes(61));   // the last registration token has expired now
 * }</pre>
 *
 * <p>Thread-safe. The zone is always UTC.
 *
 * <p>The one settable clock of the tests that use core's test-jar (core's, runner-github's). The
 * testkit's public {@code FakeClock} is its counterpart for users of {@code FakeGitHub}; it cannot be
 * used here because the testkit depends on core, and it cannot delegate to this class because test
 * code is not part of the testkit's published jar.
 */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;

    private MutableClock(Instant start) {
        this.now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
    }

    /** A clock standing at {@code start}. */
    public static MutableClock at(Instant start) {
        return new MutableClock(start);
    }

    /** A clock standing at 2026-01-01T00:00:00Z. */
    public static MutableClock standard() {
        return at(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** Moves the clock forward by {@code amount} (which must not be negative) and returns the new time. */
    public Instant advance(Duration amount) {
        if (amount.isNegative()) {
            throw new IllegalArgumentException("a clock only moves forward, got " + amount);
        }
        return now.updateAndGet(t -> t.plus(amount));
    }

    /** Sets the clock to {@code instant}. */
    public void set(Instant instant) {
        now.set(Objects.requireNonNull(instant, "instant"));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone)) {
            throw new UnsupportedOperationException("a MutableClock is always UTC");
        }
        return this;
    }

    @Override
    public String toString() {
        return "MutableClock[" + now.get() + "]";
    }
}
