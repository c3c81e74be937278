package io.runnerfleet.docker;

import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A fleet's events on Swarm, derived by polling its instances on a daemon thread: a manager has no
 * event stream for task state, and container events stay on each node. It reports a state change
 * between two polls (started, exited with its code, destroyed); an instance that started and exited
 * within one interval is reported as exited. A listener's exception is logged and the polling goes on.
 */
final class TaskPoller implements Subscription, Runnable {
    private final Supplier<List<InstanceInfo>> instances;
    private final Consumer<InstanceEvent> listener;
    private final Clock clock;
    private final Duration interval;
    private final Consumer<TaskPoller> onClose;
    private final Thread thread;
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final Object wake = new Object();
    private Map<String, InstanceInfo> last;

    TaskPoller(String fleet, Supplier<List<InstanceInfo>> instances, Consumer<InstanceEvent> listener, Clock clock,
            Duration interval, Consumer<TaskPoller> onClose) {
        this.instances = instances;
        this.listener = listener;
        this.clock = clock;
        this.interval = interval;
        this.onClose = onClose;
        this.thread = new Thread(this, "runnerfleet-swarm-events-" + fleet);
        this.thread.setDaemon(true);
    }

    /** Takes the first picture (what is there now is not reported) and starts polling. */
    void start() {
        last = poll();
        thread.start();
    }

    @Override
    public void run() {
        while (!stopped.get()) {
            synchronized (wake) {
                try {
                    wake.wait(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (stopped.get()) {
                return;
            }
            Map<String, InstanceInfo> now = poll();
            if (now == null) {
                continue;   // the manager did not answer: compare with the next picture
            }
            if (last != null) {
                compare(last, now);
            }
            last = now;
        }
    }

    private Map<String, InstanceInfo> poll() {
        try {
            Map<String, InstanceInfo> now = new HashMap<>();
            instances.get().forEach(i -> now.put(i.id(), i));
            return now;
        } catch (RuntimeException e) {
            Engine.LOG.debug("polling the swarm's tasks failed: {}", Engine.rootMessage(e));
            return null;
        }
    }

    private void compare(Map<String, InstanceInfo> before, Map<String, InstanceInfo> now) {
        for (InstanceInfo i : now.values()) {
            InstanceInfo was = before.get(i.id());
            InstanceState wasState = was == null ? InstanceState.CREATED : was.state();
            if (i.state() == InstanceState.RUNNING && wasState != InstanceState.RUNNING) {
                emit(i, InstanceEvent.Kind.STARTED, null);
            } else if (i.state() == InstanceState.EXITED && wasState != InstanceState.EXITED) {
                emit(i, InstanceEvent.Kind.EXITED, i.exitCode());
            }
        }
        for (InstanceInfo gone : before.values()) {
            if (!now.containsKey(gone.id())) {
                emit(gone, InstanceEvent.Kind.DESTROYED, null);
            }
        }
    }

    private void emit(InstanceInfo i, InstanceEvent.Kind kind, Integer exitCode) {
        try {
            listener.accept(new InstanceEvent(i.id(), i.runnerName(), kind, exitCode, clock.instant()));
        } catch (RuntimeException e) {
            Engine.LOG.warn("an instance event listener threw {}; events keep coming", e.toString());
        }
    }

    @Override
    public void close() {
        if (stopped.compareAndSet(false, true)) {
            synchronized (wake) {
                wake.notifyAll();
            }
            onClose.accept(this);
        }
    }
}
