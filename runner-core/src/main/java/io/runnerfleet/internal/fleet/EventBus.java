package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetListener;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers a fleet's events to its listeners on one daemon thread the fleet owns, in the order they
 * happened; a listener that throws is logged and the others still get the event.
 */
public final class EventBus implements FleetListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");
    private final List<FleetListener> listeners = new CopyOnWriteArrayList<>();
    private final ExecutorService thread;

    public EventBus(String fleet, List<FleetListener> initial) {
        listeners.addAll(initial);
        thread = Executors.newSingleThreadExecutor(Threads.named("runnerfleet-" + fleet + "-events"));
    }

    public void add(FleetListener listener) {
        listeners.add(listener);
    }

    public void remove(FleetListener listener) {
        listeners.remove(listener);
    }

    @Override
    public void onEvent(FleetEvent event) {
        try {
            thread.execute(() -> deliver(event));
        } catch (RejectedExecutionException e) {
            deliver(event); // closing: deliver on the caller's thread rather than lose it
        }
    }

    private void deliver(FleetEvent event) {
        for (FleetListener l : listeners) {
            try {
                l.onEvent(event);
            } catch (RuntimeException e) {
                LOG.warn("fleet listener {} failed on {}: {}", l, event.getClass().getSimpleName(), e.toString());
            }
        }
    }

    /** Delivers what is queued (bounded), then stops the thread. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
