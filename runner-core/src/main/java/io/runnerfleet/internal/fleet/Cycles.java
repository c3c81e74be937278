package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerFleetException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * Counts the reconciler's cycles and lets a caller's thread wait, on the fleet's clock, until what it
 * waits for holds: it re-checks after every cycle (and at least once a second), and gives up once the
 * fleet's clock passes the deadline. Such waits run on the thread of the caller who asked to wait
 * ({@code start()}, {@code stop(runner)}), never on a worker.
 */
final class Cycles {
    private final Clock clock;
    private long count;
    private boolean closed;

    Cycles(Clock clock) {
        this.clock = clock;
    }

    private synchronized boolean isClosed() {
        return closed;
    }

    /** Counts one cycle and wakes the waiters. */
    synchronized void done() {
        count++;
        notifyAll();
    }

    synchronized long count() {
        return count;
    }

    /** No cycle comes any more: waiters stop waiting. */
    synchronized void close() {
        closed = true;
        notifyAll();
    }

    /**
     * Waits until {@code condition} holds, until the fleet's clock passes {@code deadline}, or until the
     * reconciler is closed.
     *
     * @return whether the condition holds
     * @throws RunnerFleetException when interrupted, naming {@code what}
     */
    boolean await(Instant deadline, String what, BooleanSupplier condition) {
        while (true) {
            long seen = count();
            if (condition.getAsBoolean()) {
                return true;
            }
            if (clock.instant().isAfter(deadline) || isClosed()) {
                return false;
            }
            synchronized (this) {
                try {
                    if (count == seen && !closed) {
                        // The clock may be a test's, which moves by hand: wake up at least once a second to look at it.
                        wait(Math.max(1, Math.min(1000, Duration.between(clock.instant(), deadline).toMillis())));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RunnerFleetException("interrupted while waiting for " + what, e);
                }
            }
        }
    }
}
