package io.runnerfleet.docker.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Reassembles lines from byte chunks that may split a line (or a UTF-8 character) anywhere. */
public final class LineSplitter {
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private final Consumer<String> sink;

    /** Sends each complete line, without its line break, to {@code sink}. */
    public LineSplitter(Consumer<String> sink) {
        this.sink = sink;
    }

    /** Feeds a chunk. */
    public synchronized void accept(byte[] chunk) {
        for (byte b : chunk) {
            if (b == '\n') {
                emit();
            } else {
                pending.write(b);
            }
        }
    }

    /** Sends a trailing partial line, if any. */
    public synchronized void finish() {
        if (pending.size() > 0) {
            emit();
        }
    }

    private void emit() {
        String line = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        sink.accept(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
    }
}
