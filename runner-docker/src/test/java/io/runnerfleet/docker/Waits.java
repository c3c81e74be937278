package io.runnerfleet.docker;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits on conditions, for tests (no fixed sleeps). */
final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} passes, then fails with {@code what}. */
    static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.onSpinWait();
            try {
                Object lock = new Object();
                synchronized (lock) {
                    lock.wait(50);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /** Polls until {@code supplier} gives a value containing {@code expected}; returns the last value. */
    static String untilContains(Duration timeout, String expected, Supplier<String> supplier) {
        String[] last = {""};
        until(timeout, "'" + expected + "' to appear", () -> (last[0] = supplier.get()).contains(expected));
        return last[0];
    }
}
