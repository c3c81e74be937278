package io.runnerfleet.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A bounded wait on a condition for tests of asynchronous implementations (Docker events, child
 * processes): polls every 20 ms until the condition holds or the deadline passes.
 *
 * <pre>{@code
 * Await.until(Duration.ofSeconds(10), "instance exits", () -> !backend.instance(fleet, id).orElseThrow().running());
 * InstanceEvent exited = Await.value(Duration.ofSeconds(10), "exit event", () -> events.stream().findFirst());
 * }</pre>
 *
 * <p>Tests of synchronous code (the in-memory fakes, the state machine) never need it.
 */
public final class Await {
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private Await() {
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        value(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Waits until {@code probe} yields a value and returns it.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static <T> T value(Duration timeout, String what, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + timeout + " for: " + what);
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new AssertionError("interrupted while waiting for: " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }
}
