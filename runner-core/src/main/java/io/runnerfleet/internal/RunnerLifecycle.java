package io.runnerfleet.internal;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetListener;
import io.runnerfleet.IllegalTransitionException;
import io.runnerfleet.RunnerState;
import java.time.Clock;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place a runner's state changes: holds the current {@link RunnerState}, checks each change
 * against the transition table and emits {@link FleetEvent.StateChanged} with a time from the injected
 * clock.
 *
 * <pre>{@code
 * RunnerLifecycle lifecycle = new RunnerLifecycle("s1lqc-qemu-1", clock, events::add);
 * lifecycle.transition(new RunnerState.Provisioning(), "start requested");
 * }</pre>
 *
 * <p>Thread-safe: changes are serialized, and the event is emitted after the change, on the calling
 * thread, while holding this lifecycle's lock (so listeners see one runner's changes in order). A
 * listener that throws is logged; the change stands.
 */
public final class RunnerLifecycle {
    private static final Logger LOG = LoggerFactory.getLogger(RunnerLifecycle.class);

    private final String runner;
    private final Clock clock;
    private final FleetListener listener;
    private RunnerState state;

    /** A lifecycle for {@code runner}, starting at {@link RunnerState.Requested}. */
    public RunnerLifecycle(String runner, Clock clock, FleetListener listener) {
        this(runner, new RunnerState.Requested(), clock, listener);
    }

    /**
     * A lifecycle for a runner adopted from an earlier process, starting at the state derived from what
     * the backend and GitHub report. Starting is not a change: no event is emitted.
     */
    public RunnerLifecycle(String runner, RunnerState initial, Clock clock, FleetListener listener) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.state = Objects.requireNonNull(initial, "initial");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** The runner's name. */
    public String runner() {
        return runner;
    }

    /** The current state. */
    public synchronized RunnerState state() {
        return state;
    }

    /**
     * Moves to {@code next} and emits the change.
     *
     * @return the event emitted
     * @throws IllegalTransitionException if the table has no edge from the current state to {@code next}
     */
    public synchronized FleetEvent.StateChanged transition(RunnerState next, String cause) {
        Objects.requireNonNull(next, "next");
        if (cause == null || cause.isBlank()) {
            throw new IllegalArgumentException("a state change of " + runner + " needs a cause");
        }
        if (!state.canGoTo(next)) {
            throw new IllegalTransitionException(runner, state, next, cause);
        }
        FleetEvent.StateChanged event = new FleetEvent.StateChanged(runner, state, next, cause, clock.instant());
        state = next;
        try {
            listener.onEvent(event);
        } catch (RuntimeException e) {
            LOG.warn("a fleet listener failed on {}", event, e);
        }
        return event;
    }

    /** Moves to {@code next} if the table allows it; returns whether it did. */
    public synchronized boolean tryTransition(RunnerState next, String cause) {
        if (!state.canGoTo(next)) {
            return false;
        }
        transition(next, cause);
        return true;
    }

    @Override
    public synchronized String toString() {
        return "RunnerLifecycle[" + runner + ", " + state.name() + "]";
    }
}
