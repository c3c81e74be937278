package io.runnerfleet.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.runnerfleet.docker.internal.LineSplitter;
import io.runnerfleet.spi.InstanceEvent;
import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Follows a just-launched container's log until the runner inside prints its {@code Listening for Jobs}
 * line, then hands a {@link InstanceEvent.Kind#LISTENING} event to the fleet's subscribers and closes the
 * stream. A stream also ends when the container's output does (it exited) or after {@link #BOUND}: a runner
 * holds one only while it starts, never for its life. Best effort: a log that cannot be read (a log driver
 * without reads, an engine gone) only means the fleet waits for GitHub's runner list, as without a watch.
 */
final class ListeningWatch {
    /** How long a starting runner's log is followed at most; GitHub's runner list still notices it later. */
    static final Duration BOUND = Duration.ofMinutes(5);

    private final Engine engine;
    private final Clock clock;
    private final BiConsumer<String, InstanceEvent> deliver;
    private final Set<Closeable> open = ConcurrentHashMap.newKeySet();
    private ScheduledThreadPoolExecutor timer;
    private boolean closed;

    /** A watch that hands each event, with its fleet's name, to {@code deliver}. */
    ListeningWatch(Engine engine, Clock clock, BiConsumer<String, InstanceEvent> deliver) {
        this.engine = engine;
        this.clock = clock;
        this.deliver = deliver;
    }

    /** How many logs are being followed now. */
    int following() {
        return open.size();
    }

    /** Follows container {@code id}'s log (from its start) until the line, its end, or the bound. */
    void watch(String id, String fleet, String runner) {
        ScheduledThreadPoolExecutor t = timer();
        if (t == null) {
            return;
        }
        AtomicBoolean done = new AtomicBoolean();
        AtomicBoolean ended = new AtomicBoolean();
        ScheduledFuture<?>[] bound = new ScheduledFuture<?>[1];
        ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
            private final LineSplitter out = new LineSplitter(this::line);
            private final LineSplitter err = new LineSplitter(this::line);

            private void line(String line) {
                if (InstanceEvent.saysListening(line) && done.compareAndSet(false, true)) {
                    deliver.accept(fleet, new InstanceEvent(id, runner, InstanceEvent.Kind.LISTENING, null, clock.instant()));
                    end();
                }
            }

            @Override
            public void onNext(Frame frame) {
                (frame.getStreamType() == StreamType.STDERR ? err : out).accept(frame.getPayload());
            }

            @Override
            public void onError(Throwable e) {
                Engine.LOG.debug("following the log of runner {} ended: {}", runner, e.toString());
                end();
            }

            @Override
            public void onComplete() {
                end();
            }

            private void end() {
                done.set(true);
                if (!ended.compareAndSet(false, true)) {
                    return;
                }
                Engine.closeQuietly(this);
                open.remove(this);
                synchronized (bound) {
                    if (bound[0] != null) {
                        bound[0].cancel(false);
                    }
                }
            }
        };
        open.add(callback);
        synchronized (bound) {
            bound[0] = t.schedule(() -> callback.onComplete(), BOUND.toMillis(), TimeUnit.MILLISECONDS);
        }
        try {
            engine.client().logContainerCmd(id).withStdOut(true).withStdErr(true).withFollowStream(true).withTailAll()
                    .exec(callback);
        } catch (RuntimeException e) {
            callback.onError(e);
        }
    }

    private synchronized ScheduledThreadPoolExecutor timer() {
        if (closed) {
            return null;
        }
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "runnerfleet-docker-listening");
                thread.setDaemon(true);
                return thread;
            });
            timer.setRemoveOnCancelPolicy(true);
        }
        return timer;
    }

    /** Closes every followed log and the timer. */
    void close() {
        synchronized (this) {
            closed = true;
            if (timer != null) {
                timer.shutdownNow();
            }
        }
        for (Closeable c : Set.copyOf(open)) {
            Engine.closeQuietly(c);
        }
        open.clear();
    }
}
