package io.runnerfleet.github.internal;

import java.time.Duration;

/** Waits between retries; tests replace it so that nothing really sleeps. */
@FunctionalInterface
public interface Sleeper {
    /** The real one: {@link Thread#sleep}, restoring the interrupt flag when interrupted. */
    Sleeper SYSTEM = d -> {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry a GitHub request", e);
        }
    };

    /** Waits for {@code duration}. */
    void sleep(Duration duration);
}
