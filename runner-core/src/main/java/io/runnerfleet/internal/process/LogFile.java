package io.runnerfleet.internal.process;

import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/** Reads a process runner's output log: the rotated file, then the current one; optionally follows it. */
final class LogFile implements LogStream {
    private static final long FOLLOW_POLL_MILLIS = 100;

    private final Path log;
    private final List<String> initial;
    private final long initialEnd;
    private final boolean follow;
    private final BooleanSupplier running;
    private volatile boolean closed;

    private LogFile(Path log, List<String> initial, long initialEnd, boolean follow, BooleanSupplier running) {
        this.log = log;
        this.initial = initial;
        this.initialEnd = initialEnd;
        this.follow = follow;
        this.running = running;
    }

    static LogFile open(Path log, LogQuery query, BooleanSupplier running) {
        try {
            List<String> lines = new ArrayList<>();
            Path rotated = log.resolveSibling(log.getFileName() + ".1");
            if (Files.exists(rotated)) {
                lines.addAll(Files.readAllLines(rotated, StandardCharsets.UTF_8));
            }
            long end = 0;
            if (Files.exists(log)) {
                byte[] bytes = Files.readAllBytes(log);
                // Only whole lines: a following reader picks up the rest.
                int lastNewline = lastIndexOf(bytes, (byte) '\n');
                end = lastNewline + 1;
                String text = new String(bytes, 0, (int) end, StandardCharsets.UTF_8);
                if (!text.isEmpty()) {
                    lines.addAll(List.of(text.split("\n", -1)).subList(0, text.split("\n", -1).length - 1));
                }
            }
            lines = since(lines, query.since());
            lines.removeIf(l -> l.startsWith(ProcessRunners.RUN_MARKER));
            if (query.tail() > 0 && lines.size() > query.tail()) {
                lines = new ArrayList<>(lines.subList(lines.size() - query.tail(), lines.size()));
            }
            return new LogFile(log, lines, end, query.follow(), running);
        } catch (IOException e) {
            throw new RunnerFleetException("cannot read the runner log " + log + ": " + e.getMessage(), e);
        }
    }

    // Runs are marked by a start line with their instant: keep the run that was going at `since` and all later ones.
    private static List<String> since(List<String> lines, Instant since) {
        if (since == null) {
            return new ArrayList<>(lines);
        }
        int from = -1;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith(ProcessRunners.RUN_MARKER)) {
                String stamp = line.substring(ProcessRunners.RUN_MARKER.length()).replace(" ---", "").trim();
                Instant started;
                try {
                    started = Instant.parse(stamp);
                } catch (RuntimeException e) {
                    continue;
                }
                if (!started.isAfter(since) || from < 0) {
                    from = i;
                }
                if (started.isAfter(since)) {
                    break;
                }
            }
        }
        return from < 0 ? new ArrayList<>(lines) : new ArrayList<>(lines.subList(from, lines.size()));
    }

    private static int lastIndexOf(byte[] bytes, byte b) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public Stream<String> lines() {
        if (!follow) {
            return initial.stream();
        }
        return StreamSupport.stream(new Follower(), false).onClose(this::close);
    }

    @Override
    public void close() {
        closed = true;
    }

    private final class Follower extends Spliterators.AbstractSpliterator<String> {
        private final ArrayDeque<String> pending = new ArrayDeque<>(initial);
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
        private long position = initialEnd;

        Follower() {
            super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
        }

        @Override
        public boolean tryAdvance(Consumer<? super String> action) {
            while (pending.isEmpty()) {
                if (closed) {
                    return false;
                }
                boolean wasRunning = running.getAsBoolean();
                readMore();
                if (!pending.isEmpty()) {
                    break;
                }
                if (!wasRunning) {
                    return false;
                }
                try {
                    Thread.sleep(FOLLOW_POLL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            action.accept(pending.poll());
            return true;
        }

        private void readMore() {
            try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
                if (file.length() < position) {
                    position = 0; // rotated under us
                }
                file.seek(position);
                byte[] buffer = new byte[8192];
                int n;
                while ((n = file.read(buffer)) > 0) {
                    position += n;
                    for (int i = 0; i < n; i++) {
                        if (buffer[i] == '\n') {
                            String line = partial.toString(StandardCharsets.UTF_8);
                            partial.reset();
                            if (!line.startsWith(ProcessRunners.RUN_MARKER)) {
                                pending.add(line);
                            }
                        } else {
                            partial.write(buffer[i]);
                        }
                    }
                }
            } catch (IOException e) {
                closed = true;
            }
        }
    }
}
