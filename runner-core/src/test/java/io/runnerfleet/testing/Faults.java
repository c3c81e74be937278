package io.runnerfleet.testing;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Failure injection for the in-memory fakes: per operation, the next N calls fail with a given
 * exception, and every call can be made slow by an injectable delay. Also counts calls, so tests can
 * check a budget ("one runner list per reconcile").
 *
 * <pre>{@code
 * registry.faults().failNext(InMemoryRegistry.Operation.JIT_CONFIG, 2,
 *         () -> new RegistrationException("injected: GitHub answered 502"));
 * backend.faults().delay(InMemoryBackend.Operation.LAUNCH, Duration.ofSeconds(5));   // uses the fake's Sleeper
 * }</pre>
 *
 * <p>Thread-safe. A delay is spent through the fake's {@link Sleeper}, which tests usually make
 * advance a {@link MutableClock} instead of sleeping.
 *
 * @param <O> the fake's operation enum
 */
public final class Faults<O extends Enum<O>> {
    private final Map<O, Deque<Supplier<? extends RuntimeException>>> failures;
    private final Map<O, Duration> delays;
    private final Map<O, Integer> calls;
    private final Sleeper sleeper;

    Faults(Class<O> operations, Sleeper sleeper) {
        this.failures = new EnumMap<>(operations);
        this.delays = new EnumMap<>(operations);
        this.calls = new EnumMap<>(operations);
        this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    }

    /** The next {@code times} calls of {@code operation} throw what {@code failure} supplies (queued after earlier ones). */
    public synchronized Faults<O> failNext(O operation, int times, Supplier<? extends RuntimeException> failure) {
        if (times < 1) {
            throw new IllegalArgumentException("times must be positive, got " + times);
        }
        Objects.requireNonNull(failure, "failure");
        Deque<Supplier<? extends RuntimeException>> queue = failures.computeIfAbsent(operation, o -> new ArrayDeque<>());
        for (int i = 0; i < times; i++) {
            queue.addLast(failure);
        }
        return this;
    }

    /** Every later call of {@code operation} first waits {@code delay} through the sleeper; {@link Duration#ZERO} clears it. */
    public synchronized Faults<O> delay(O operation, Duration delay) {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative, got " + delay);
        }
        if (delay.isZero()) {
            delays.remove(operation);
        } else {
            delays.put(operation, delay);
        }
        return this;
    }

    /** Drops every pending failure and delay (call counts stay). */
    public synchronized void clear() {
        failures.clear();
        delays.clear();
    }

    /** How many times {@code operation} was called, failed calls included. */
    public synchronized int calls(O operation) {
        return calls.getOrDefault(operation, 0);
    }

    /**
     * Called by a fake at the start of every operation: counts it, spends its delay, then throws the
     * next injected failure if one is queued.
     */
    void enter(O operation) {
        Duration delay;
        Supplier<? extends RuntimeException> failure;
        synchronized (this) {
            calls.merge(operation, 1, Integer::sum);
            delay = delays.get(operation);
            Deque<Supplier<? extends RuntimeException>> queue = failures.get(operation);
            failure = queue == null ? null : queue.pollFirst();
        }
        if (delay != null) {
            try {
                sleeper.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during an injected delay of " + operation, e);
            }
        }
        if (failure != null) {
            throw failure.get();
        }
    }

    /** How a fake spends an injected delay: really sleeping, or advancing a {@link MutableClock}. */
    @FunctionalInterface
    public interface Sleeper {
        /** Spends {@code duration}. */
        void sleep(Duration duration) throws InterruptedException;

        /** Sleeps for real (for tests that exercise timeouts on other threads). */
        static Sleeper real() {
            return d -> java.util.concurrent.TimeUnit.NANOSECONDS.sleep(d.toNanos());
        }

        /** Advances {@code clock} instead of waiting. */
        static Sleeper advancing(MutableClock clock) {
            return clock::advance;
        }
    }
}
