package io.runnerfleet.internal.process;

import io.runnerfleet.spi.InstanceEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Reads each starting runner's output file, from where its run began, until the runner prints its
 * {@code Listening for Jobs} line, then hands a {@link InstanceEvent.Kind#LISTENING} event on and stops
 * reading it; also stops when the process has exited or after {@link #BOUND}. One daemon thread polls every
 * starting runner and stops when none is left, so a running fleet reads nothing.
 */
final class ListeningTail {
    /** How long a starting runner's output is read at most; GitHub's runner list still notices it later. */
    static final Duration BOUND = Duration.ofMinutes(5);
    private static final long POLL_MILLIS = 100;
    private static final int MAX_LINE = 4096;

    private final Clock clock;
    private final BiConsumer<String, InstanceEvent> emit;
    private final Map<String, Tail> tails = new ConcurrentHashMap<>();
    private ScheduledThreadPoolExecutor timer;
    private ScheduledFuture<?> polling;
    private boolean closed;

    /** Hands each event, with its fleet's name, to {@code emit}. */
    ListeningTail(Clock clock, BiConsumer<String, InstanceEvent> emit) {
        this.clock = clock;
        this.emit = emit;
    }

    private static final class Tail {
        final String fleet;
        final Path log;
        final ProcessHandle process;
        final Instant until;
        final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        long offset;

        Tail(String fleet, Path log, ProcessHandle process, long offset, Instant until) {
            this.fleet = fleet;
            this.log = log;
            this.process = process;
            this.offset = offset;
            this.until = until;
        }
    }

    /** Reads runner {@code name}'s {@code log} from {@code offset} while {@code process} runs. */
    synchronized void watch(String name, String fleet, Path log, long offset, ProcessHandle process) {
        if (closed) {
            return;
        }
        tails.put(name, new Tail(fleet, log, process, offset, clock.instant().plus(BOUND)));
        if (timer == null) {
            timer = new ScheduledThreadPoolExecutor(1, r -> {
                Thread thread = new Thread(r, "runnerfleet-process-listening");
                thread.setDaemon(true);
                return thread;
            });
        }
        if (polling == null) {
            polling = timer.scheduleWithFixedDelay(this::poll, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** How many runners' output is being read now. */
    int reading() {
        return tails.size();
    }

    private void poll() {
        for (Map.Entry<String, Tail> e : tails.entrySet()) {
            Tail t = e.getValue();
            boolean alive = t.process.isAlive();   // before reading: what it printed before it exited is read too
            boolean heard = read(t);
            if (heard) {
                emit.accept(t.fleet, new InstanceEvent(e.getKey(), e.getKey(), InstanceEvent.Kind.LISTENING, null, clock.instant()));
            }
            if (heard || !alive || clock.instant().isAfter(t.until)) {
                tails.remove(e.getKey(), t);
            }
        }
        synchronized (this) {
            if (tails.isEmpty() && polling != null) {
                polling.cancel(false);
                polling = null;
            }
        }
    }

    /** Reads what was appended since the last look; true when it holds the line. */
    private static boolean read(Tail t) {
        try (RandomAccessFile f = new RandomAccessFile(t.log.toFile(), "r")) {
            long length = f.length();
            if (length <= t.offset) {
                return false;
            }
            byte[] chunk = new byte[(int) Math.min(length - t.offset, 1 << 20)];
            f.seek(t.offset);
            f.readFully(chunk);
            t.offset += chunk.length;
            for (byte b : chunk) {
                if (b != '\n') {
                    if (t.partial.size() < MAX_LINE) {   // the line is short: an endless one is not it
                        t.partial.write(b);
                    }
                    continue;
                }
                String line = t.partial.toString(StandardCharsets.UTF_8);
                t.partial.reset();
                if (InstanceEvent.saysListening(line)) {
                    return true;
                }
            }
            return false;
        } catch (IOException gone) {
            return false;   // removed with its runner: the exit ends the reading
        }
    }

    /** Stops reading every runner's output. */
    synchronized void close() {
        closed = true;
        tails.clear();
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
