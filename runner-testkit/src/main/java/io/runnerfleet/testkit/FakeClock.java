package io.runnerfleet.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A {@link Clock} that tests move by hand, so token expiry and offline detection need no sleeping.
 *
 * <pre>{@code
 * FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
 * FakeGitHub fake = FakeGitHub.builder().clock(clock).build().start();
 * clock.advance(Duration.ofMinutes(61));   // registration tokens issued before are now expired
 * }</pre>
 *
 * <p>Thread-safe; always UTC.
 */
public final class FakeClock extends Clock {
    private volatile Instant now;

    private FakeClock(Instant now) {
        this.now = Objects.requireNonNull(now, "now");
    }

    /** A clock standing at {@code now}. */
    public static FakeClock at(Instant now) {
        return new FakeClock(now);
    }

    /** Moves the clock forward (or back, for a negative duration). */
    public synchronized FakeClock advance(Duration duration) {
        now = now.plus(duration);
        return this;
    }

    @Override
    public Instant instant() {
        return now;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public String toString() {
        return "FakeClock[" + now + "]";
    }
}
