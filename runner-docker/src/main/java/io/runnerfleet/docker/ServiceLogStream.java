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
 * A service's log, as the swarm gathers it from the node that runs its task, as a {@link LogStream}:
 * a queue fed by the manager's stream, with its timestamps used to honour {@link LogQuery#since()}
 * and then cut off; {@code lines()} blocks until a line or the end arrives.
 */
final class ServiceLogStream implements LogStream {
    private static final Object END = new Object();
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final ResultCallback.Adapter<Frame> callback;
    private final AtomicBoolean ended = new AtomicBoolean();

    ServiceLogStream(Engine engine, String serviceId, LogQuery query) {
        Instant since = query.since();
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
        var cmd = engine.client().logServiceCmd(serviceId).withStdout(true).withStderr(true).withTimestamps(true)
                .withFollow(query.follow());
        if (query.tail() > 0) {
            cmd.withTail(query.tail());
        }
        if (since != null) {
            cmd.withSince((int) Math.max(0, since.getEpochSecond()));
        }
        engine.call("read logs of service " + Engine.shortId(serviceId), () -> cmd.exec(callback));
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
