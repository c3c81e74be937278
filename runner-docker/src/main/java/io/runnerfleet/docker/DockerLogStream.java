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
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A container's log as a {@link LogStream}: a queue fed by the engine's log stream, with the
 * engine's timestamps used to honour {@link LogQuery#since()} to the nanosecond and then cut off;
 * {@code lines()} blocks until a line or the end arrives.
 */
final class DockerLogStream implements LogStream {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ResultCallback.Adapter<Frame> callback;
    private final AtomicBoolean ended = new AtomicBoolean();

    DockerLogStream(Engine engine, String id, LogQuery query) {
        Instant since = query.since();
        LineSplitter out = new LineSplitter(line -> accept(line, since));
        LineSplitter err = new LineSplitter(line -> accept(line, since));
        callback = new ResultCallback.Adapter<>() {
            @Override
            public void onNext(Frame frame) {
                if (frame.getStreamType() == StreamType.STDERR) {
                    err.accept(frame.getPayload());
                } else {
                    out.accept(frame.getPayload());
                }
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
        var cmd = engine.client().logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true)
                .withFollowStream(query.follow());
        if (query.tail() > 0) {
            cmd.withTail(query.tail());
        } else {
            cmd.withTailAll();
        }
        if (since != null) {
            cmd.withSince((int) Math.max(0, since.getEpochSecond()));
        }
        engine.call("read logs of " + Engine.shortId(id), () -> cmd.exec(callback));
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
