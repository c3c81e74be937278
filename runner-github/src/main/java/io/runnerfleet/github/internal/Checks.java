package io.runnerfleet.github.internal;

import io.runnerfleet.InvalidSpecException;
import java.time.Duration;

/** The builders' argument checks, so that one setting is refused with the same words wherever it is set. */
public final class Checks {
    private Checks() {
    }

    /** {@code d}, when it is longer than zero. */
    public static Duration positive(String what, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new InvalidSpecException(what + " must be positive, got " + d);
        }
        return d;
    }

    /** {@code d}, when it is zero or longer. */
    public static Duration notNegative(String what, Duration d) {
        if (d == null || d.isNegative()) {
            throw new InvalidSpecException(what + " must not be negative, got " + d);
        }
        return d;
    }

    /** Checks backoff bounds: {@code 0 <= min <= max}. */
    public static void bounds(String what, Duration min, Duration max) {
        if (min == null || max == null || min.isNegative() || max.compareTo(min) < 0) {
            throw new InvalidSpecException(what + " must satisfy 0 <= min <= max, got " + min + " and " + max);
        }
    }

    /** {@code owner}, the session owner GitHub shows, when it is not blank. */
    public static String owner(String owner) {
        if (owner == null || owner.isBlank()) {
            throw new InvalidSpecException("the session owner must not be blank");
        }
        return owner;
    }
}
