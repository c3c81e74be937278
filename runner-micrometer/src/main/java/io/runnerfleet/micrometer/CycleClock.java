package io.runnerfleet.micrometer;

import java.util.function.LongConsumer;

/**
 * Measures reconcile cycles from the SPI calls the fleet's reconciler thread makes, since core reports no
 * cycle: a cycle begins with its backend listing ({@code instances(fleet)}) and ends with the last SPI call
 * on that thread before the next one begins. The finished cycle is recorded when the next begins.
 */
final class CycleClock {
    private final LongConsumer record;
    private long cycleStart = -1;
    private long lastCallEnd = -1;

    CycleClock(LongConsumer record) {
        this.record = record;
    }

    /** Whether the current thread is a fleet's reconciler ({@code runnerfleet-<fleet>-reconciler}). */
    static boolean onReconciler() {
        String name = Thread.currentThread().getName();
        return name.startsWith("runnerfleet-") && name.endsWith("-reconciler");
    }

    /** A backend listing began on the reconciler thread: the previous cycle, if any, is over. */
    synchronized void cycleBegins(long now) {
        if (cycleStart >= 0 && lastCallEnd >= cycleStart) {
            record.accept(lastCallEnd - cycleStart);
        }
        cycleStart = now;
        lastCallEnd = now;
    }

    /** An SPI call on the reconciler thread ended. */
    synchronized void callEnded(long now) {
        if (cycleStart >= 0) {
            lastCallEnd = now;
        }
    }
}
