package io.runnerfleet.examples;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Bounded waits on a condition for the examples' tests: they poll, never sleep for a fixed time. */
final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} every 100 ms until it holds; fails naming {@code what} after {@code patience}. */
    static void until(Duration patience, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + patience + " for: " + what);
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }
}
