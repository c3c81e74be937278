package io.runnerfleet;

import java.time.Duration;
import java.util.Objects;

/**
 * How many runners a pool keeps.
 *
 * <pre>{@code
 * Scaling.fixed(4);                                      // always four runners
 * Scaling.onDemand(0, 8, Duration.ofMinutes(10));        // none when idle, up to eight for queued jobs
 * }</pre>
 *
 * <p>A fixed pool replaces runners that die or finish (ephemeral ones). An on-demand pool keeps at
 * least {@code min}, adds runners for queued jobs that match it up to {@code max}, and removes a runner
 * above {@code min} that has been idle for {@code idleTimeout}. At most {@value #MAX_RUNNERS} runners
 * per pool.
 */
public sealed interface Scaling {
    /** The most runners one pool may have (runner names carry the index, and GitHub limits names to 64 characters). */
    int MAX_RUNNERS = 9999;

    /** The idle timeout of {@link #onDemand(int, int)}. */
    Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(10);

    /** The fewest runners the pool keeps. */
    int min();

    /** The most runners the pool has. */
    int max();

    /**
     * Exactly {@code count} runners.
     *
     * @throws InvalidSpecException if {@code count} is negative or above {@value #MAX_RUNNERS}
     */
    static Fixed fixed(int count) {
        return new Fixed(count);
    }

    /** Between {@code min} and {@code max} runners, removing idle extra runners after {@link #DEFAULT_IDLE_TIMEOUT}. */
    static OnDemand onDemand(int min, int max) {
        return new OnDemand(min, max, DEFAULT_IDLE_TIMEOUT);
    }

    /**
     * Between {@code min} and {@code max} runners, removing extra runners idle for {@code idleTimeout}.
     *
     * @throws InvalidSpecException if {@code 0 <= min <= max}, {@code 1 <= max <= }{@value #MAX_RUNNERS} or a positive timeout does not hold
     */
    static OnDemand onDemand(int min, int max, Duration idleTimeout) {
        return new OnDemand(min, max, idleTimeout);
    }

    /**
     * A fixed number of runners.
     *
     * @param count how many
     */
    record Fixed(int count) implements Scaling {
        /** Validates the count. */
        public Fixed {
            if (count < 0 || count > MAX_RUNNERS) {
                throw new InvalidSpecException("Scaling.fixed(" + count + "): the count must be between 0 and " + MAX_RUNNERS);
            }
        }

        @Override
        public int min() {
            return count;
        }

        @Override
        public int max() {
            return count;
        }

        @Override
        public String toString() {
            return "fixed(" + count + ")";
        }
    }

    /**
     * Runners on demand.
     *
     * @param min the fewest runners kept
     * @param max the most runners
     * @param idleTimeout how long an extra runner may stay idle before it is removed
     */
    record OnDemand(int min, int max, Duration idleTimeout) implements Scaling {
        /** Validates the bounds. */
        public OnDemand {
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            String call = "Scaling.onDemand(" + min + ", " + max + ", " + idleTimeout + ")";
            if (min < 0) {
                throw new InvalidSpecException(call + ": min must not be negative");
            }
            if (max < 1 || max > MAX_RUNNERS) {
                throw new InvalidSpecException(call + ": max must be between 1 and " + MAX_RUNNERS);
            }
            if (min > max) {
                throw new InvalidSpecException(call + ": min must not exceed max");
            }
            if (idleTimeout.isNegative() || idleTimeout.isZero()) {
                throw new InvalidSpecException(call + ": the idle timeout must be positive");
            }
        }

        @Override
        public String toString() {
            return "onDemand(" + min + ".." + max + ", idle " + idleTimeout + ")";
        }
    }
}
