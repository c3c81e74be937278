package io.runnerfleet.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;
import io.runnerfleet.docker.internal.LineSplitter;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A container's or a service's log as a {@link LogStream}: a queue fed by the engine's log stream, with the
 * engine's timestamps used to honour {@link LogQuery#since()} to the nanosecond and then cut off;
 * {@code lines()} blocks until a line or the end arrives.
 */
final class DockerLogStream implements LogStream {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ResultCallback.Adapter<Frame> callback;
    private final AtomicBoolean ended = new AtomicBoolean();

    /** A container's log. */
    DockerLogStream(Engine engine, String id, LogQuery query) {
        this(engine, "read logs of " + Engine.shortId(id), query.since(), callback -> {
            var cmd = engine.client().logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true)
                    .withFollowStream(query.follow());
            if (query.tail() > 0) {
                cmd.withTail(query.tail());
            } else {
                cmd.withTailAll();
            }
            if (query.since() != null) {
                cmd.withSince((int) Math.max(0, query.since().getEpochSecond()));
            }
            cmd.exec(callback);
        });
    }

    /**
     * A service's log, as the swarm gathers it from the nodes that ran its tasks (through the
     * manager).
     */
    static DockerLogStream ofService(Engine engine, String serviceId, LogQuery query) {
        return new DockerLogStream(engine, "read logs of service " + Engine.shortId(serviceId), query.since(), callback -> {
            var cmd = engine.client().logServiceCmd(serviceId).withStdout(true).withStderr(true).withTimestamps(true)
                    .withFollow(query.follow());
            if (query.tail() > 0) {
                cmd.withTail(query.tail());
            }
            if (query.since() != null) {
                cmd.withSince((int) Math.max(0, query.since().getEpochSecond()));
            }
            cmd.exec(callback);
        });
    }

    /**
     * Reads the frames {@code source} sends to the callback it is given: {@code source} starts one
     * of the engine's timestamped log streams (a container's or a service's) into that callback.
     */
    DockerLogStream(Engine engine, String what, Instant since, Consumer<ResultCallback.Adapter<Frame>> source) {
        LineSplitter out = new LineSplitter(line -> accept(line, since));
        LineSplitter err = new LineSplitter(line -> accept(line, since));
        callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                (frame.getStreamType() == StreamType.STDERR ? err : out).accept(frame.getPayload());
            }

            @Override
            public void onError(Throwable t) {
                end();
            }

            @Override
            public void onComplete() {
                out.finish();
                err.finish();
                end();
            }
        };
        engine.call(what, () -> {
            source.accept(callback);
            return null;
        });
    }

    private void accept(String stamped, Instant since) {
        int space = stamped.indexOf(' ');
        String line = stamped;
        if (space > 0) {
            try {
                Instant at = Instant.parse(stamped.substring(0, space));
                if (since != null && at.isBefore(since)) {
                    return;
                }
                line = stamped.substring(space + 1);
            } catch (DateTimeParseException notStamped) {
                // Keep the line as it is.
            }
        }
        queue.add(line);
    }

    private void end() {
        if (ended.compareAndSet(false, true)) {
            queue.add(END);
        }
    }

    @Override
    public Stream<String> lines() {
        Iterator<String> it = new Iterator<>() {
            private Object next;

            @Override
            public boolean hasNext() {
                if (next == null) {
                    try {
                        next = queue.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        next = END;
                    }
                    if (next == END) {
                        queue.add(END);
                    }
                }
                return next != END;
            }

            @Override
            public String next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                String line = (String) next;
                next = null;
                return line;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false)
                .onClose(this::close);
    }

    @Override
    public void close() {
        Engine.closeQuietly(callback);
        end();
    }
}
