package io.runnerfleet.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one bounded wait of Runner Fleet's tests (every module's tests use it, from core's test-jar):
 * polls a condition until it holds or the deadline passes, then fails naming what it waited for. Tests
 * of asynchronous code (Docker events, child processes, the reconciler's thread, webhooks) use it
 * instead of sleeping.
 *
 * <pre>{@code
 * Await.until(Duration.ofSeconds(10), "instance exits", () -> !backend.instance(fleet, id).orElseThrow().running());
 * Await.until(WAIT, () -> "online; output: " + run.out(), () -> "online".equals(statusOf(name)));
 * InstanceEvent exited = Await.value(Duration.ofSeconds(10), "exit event", () -> events.stream().findFirst());
 * String out = Await.untilContains(WAIT, "listening", () -> logs(id));
 * Await.untilQuietly(WAIT, "the server answers", () -> http.get("/").status() == 200);
 * }</pre>
 *
 * <p>Sharp edges: the condition runs on the calling thread, first at once, then every 20 ms, and every
 * 100 ms once a wait has lasted two seconds (long waits on Docker or child processes then do not load
 * the machine). An exception from the condition fails the wait at once, except in
 * {@link #untilQuietly}. An interrupt ends the wait with an {@link AssertionError} and keeps the
 * interrupt flag set. Tests of synchronous code (the in-memory fakes, the state machine) never need it.
 */
public final class Await {
    private static final long FAST_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long SLOW_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final long FAST_PHASE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** A condition that may throw; for {@link #untilQuietly}. */
    @FunctionalInterface
    public interface Condition {
        /** Whether the awaited state is reached. */
        boolean holds() throws Exception;
    }

    private Await() {
    }

    /**
     * Waits until {@code condition} holds.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        until(timeout, constant(what), condition);
    }

    /**
     * Waits until {@code condition} holds; {@code what} is asked only on failure, so it can describe the
     * state at that moment (a process' output, the events seen so far).
     *
     * @throws AssertionError with the text of {@code what} when the deadline passes first
     */
    public static void until(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
        Objects.requireNonNull(condition, "condition");
        value(timeout, what, () -> condition.getAsBoolean() ? Optional.of(Boolean.TRUE) : Optional.empty());
    }

    /**
     * Waits until {@code probe} yields a value and returns it.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static <T> T value(Duration timeout, String what, Supplier<Optional<T>> probe) {
        return value(timeout, constant(what), probe);
    }

    /**
     * Waits until {@code probe} yields a value and returns it; {@code what} is asked only on failure.
     *
     * @throws AssertionError with the text of {@code what} when the deadline passes first
     */
    public static <T> T value(Duration timeout, Supplier<String> what, Supplier<Optional<T>> probe) {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(what, "what");
        Objects.requireNonNull(probe, "probe");
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            Optional<T> value = probe.get();
            if (value.isPresent()) {
                return value.get();
            }
            long now = System.nanoTime();
            if (now - deadline > 0) {
                throw new AssertionError("waited " + timeout + " for: " + what.get());
            }
            if (Thread.currentThread().isInterrupted()) {
                throw new AssertionError("interrupted while waiting for: " + what.get());
            }
            LockSupport.parkNanos(now - start < FAST_PHASE_NANOS ? FAST_POLL_NANOS : SLOW_POLL_NANOS);
        }
    }

    /**
     * Waits until the text {@code text} gives contains {@code expected} and returns that text (a log, a
     * process' output); on failure the message shows the last text seen.
     *
     * @throws AssertionError naming {@code expected} and the last text when the deadline passes first
     */
    public static String untilContains(Duration timeout, String expected, Supplier<String> text) {
        Objects.requireNonNull(expected, "expected");
        String[] last = {""};
        return value(timeout, () -> "'" + expected + "' in:\n" + last[0], () -> {
            last[0] = text.get();
            return last[0].contains(expected) ? Optional.of(last[0]) : Optional.empty();
        });
    }

    /**
     * Waits until {@code condition} holds, treating an exception (or a failed assertion) from it as "not
     * yet": for conditions that cannot be asked before the thing under test is up (a server that does
     * not listen yet). On failure the last exception is the cause of the {@link AssertionError}.
     *
     * @throws AssertionError naming {@code what} when the deadline passes first
     */
    public static void untilQuietly(Duration timeout, String what, Condition condition) {
        Objects.requireNonNull(condition, "condition");
        Throwable[] last = {null};
        try {
            until(timeout, () -> what + (last[0] == null ? "" : " (last failure: " + last[0] + ")"), () -> {
                try {
                    boolean holds = condition.holds();
                    last[0] = null;
                    return holds;
                } catch (Exception | AssertionError e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();   // ends the wait at the next check
                    }
                    last[0] = e;
                    return false;
                }
            });
        } catch (AssertionError e) {
            if (last[0] != null) {
                e.initCause(last[0]);
            }
            throw e;
        }
    }

    private static Supplier<String> constant(String what) {
        Objects.requireNonNull(what, "what");
        return () -> what;
    }
}
