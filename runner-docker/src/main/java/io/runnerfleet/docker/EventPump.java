package io.runnerfleet.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import io.runnerfleet.spi.InstanceEvent;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Reads the engine's event stream for one fleet on its own daemon thread and reconnects (from
 * the last event seen) when the stream drops; events are deduplicated by their time.
 */
final class EventPump implements Runnable {
    private final Engine engine;
    private final String fleet;
    private final Consumer<InstanceEvent> listener;
    private final Clock clock;
    private final Duration reconnectDelay;
    private final Set<EventPump> running;
    private final Thread thread;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicReference<Closeable> current = new AtomicReference<>();
    private final Object wake = new Object();
    private volatile long lastNanos;

    /** A pump that, once started, is in {@code running} until it is closed. */
    EventPump(Engine engine, String fleet, Consumer<InstanceEvent> listener, Clock clock, Duration reconnectDelay,
            Set<EventPump> running) {
        this.engine = engine;
        this.fleet = fleet;
        this.listener = listener;
        this.clock = clock;
        this.reconnectDelay = reconnectDelay;
        this.running = running;
        Instant now = clock.instant();
        this.lastNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - 1;
        this.thread = new Thread(this, "runnerfleet-docker-events-" + fleet);
        this.thread.setDaemon(true);
    }

    void start() {
        running.add(this);
        thread.start();
    }

    @Override
    public void run() {
        while (!stopped.get()) {
            CountDownLatch ended = new CountDownLatch(1);
            ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
                @Override
                public void onNext(Event event) {
                    deliver(event);
                }

                @Override
                public void onError(Throwable t) {
                    ended.countDown();
                }

                @Override
                public void onComplete() {
                    ended.countDown();
                }
            };
            try {
                long sinceSeconds = lastNanos / 1_000_000_000L;
                current.set(callback);
                if (stopped.get()) {
                    break;
                }
                engine.client().eventsCmd()
                        .withEventTypeFilter(EventType.CONTAINER)
                        .withEventFilter("start", "die", "oom", "destroy")
                        .withLabelFilter(Map.of(Ownership.FLEET_LABEL, fleet))
                        .withSince(String.valueOf(sinceSeconds))
                        .exec(callback);
                ended.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                Engine.LOG.debug("event stream of fleet {} failed: {}", fleet, e.toString());
            } finally {
                Engine.closeQuietly(callback);
            }
            if (!stopped.get()) {
                synchronized (wake) {
                    try {
                        wake.wait(reconnectDelay.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    private void deliver(Event event) {
        Long nanos = event.getTimeNano();
        if (nanos != null) {
            if (nanos <= lastNanos) {
                return; // seen before a reconnect
            }
            lastNanos = nanos;
        }
        Map<String, String> attributes = event.getActor() == null || event.getActor().getAttributes() == null
                ? Map.of() : event.getActor().getAttributes();
        if (!fleet.equals(attributes.get(Ownership.FLEET_LABEL))) {
            return;
        }
        String action = event.getAction() != null ? event.getAction() : event.getStatus();
        InstanceEvent.Kind kind = switch (action == null ? "" : action) {
            case "start" -> InstanceEvent.Kind.STARTED;
            case "die" -> InstanceEvent.Kind.EXITED;
            case "oom" -> InstanceEvent.Kind.OOM_KILLED;
            case "destroy" -> InstanceEvent.Kind.DESTROYED;
            default -> null;
        };
        if (kind == null) {
            return;
        }
        Integer exitCode = null;
        if (kind == InstanceEvent.Kind.EXITED && attributes.get("exitCode") != null) {
            try {
                exitCode = Integer.parseInt(attributes.get("exitCode"));
            } catch (NumberFormatException ignored) {
                // Leave it unknown.
            }
        }
        Instant at = nanos != null ? Instant.ofEpochSecond(0, nanos) : clock.instant();
        String id = event.getActor() != null && event.getActor().getId() != null ? event.getActor().getId() : event.getId();
        try {
            listener.accept(new InstanceEvent(id, attributes.get(Ownership.RUNNER_LABEL), kind, exitCode, at));
        } catch (RuntimeException e) {
            Engine.LOG.warn("an instance event listener of fleet {} failed: {}", fleet, e.toString());
        }
    }

    /** Hands {@code event}, found elsewhere than in the engine's stream, to this pump's listener if it is {@code fleet}'s. */
    void relay(String fleet, InstanceEvent event) {
        if (!this.fleet.equals(fleet) || stopped.get()) {
            return;
        }
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            Engine.LOG.warn("an instance event listener of fleet {} failed: {}", fleet, e.toString());
        }
    }

    void close() {
        if (stopped.compareAndSet(false, true)) {
            Engine.closeQuietly(current.get());
            synchronized (wake) {
                wake.notifyAll();
            }
            running.remove(this);
        }
    }
}
