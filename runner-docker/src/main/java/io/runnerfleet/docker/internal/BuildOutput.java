package io.runnerfleet.docker.internal;

import io.runnerfleet.spi.BuildProgress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns the engine's build output ({@code Step 2/5 : RUN ...} headers and output chunks) into
 * {@link BuildProgress} lines and remembers the current step and the last lines for a failure message.
 */
public final class BuildOutput {
    /** How many output lines a failure message carries. */
    public static final int LAST_LINES = 20;
    private static final Pattern STEP = Pattern.compile("^Step (\\d+)/(\\d+) : (.*)$");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*[A-Za-z]");
    // The engine's own bookkeeping between steps, not output of the user's commands.
    private static final Pattern NOISE = Pattern.compile("^( ---> .*|Removing intermediate container .*)$");

    private final Consumer<BuildProgress> listener;
    private final Deque<String> last = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private int step;
    private int total;
    private String instruction = "";

    /** Forwards progress to {@code listener}; a listener's exception is ignored so it cannot break a build. */
    public BuildOutput(Consumer<BuildProgress> listener) {
        this.listener = listener == null ? p -> { } : listener;
    }

    /** Feeds one chunk of output (may hold several lines or part of one). */
    public synchronized void accept(String chunk) {
        if (chunk == null || chunk.isEmpty()) {
            return;
        }
        partial.append(chunk);
        int nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
            String line = partial.substring(0, nl);
            partial.delete(0, nl + 1);
            line(line.endsWith("\r") ? line.substring(0, line.length() - 1) : line);
        }
    }

    /** Flushes a trailing partial line. */
    public synchronized void finish() {
        if (partial.length() > 0) {
            String rest = partial.toString();
            partial.setLength(0);
            line(rest);
        }
    }

    private void line(String raw) {
        String line = ANSI.matcher(raw).replaceAll("");
        Matcher m = STEP.matcher(line);
        if (m.matches()) {
            step = Integer.parseInt(m.group(1));
            total = Integer.parseInt(m.group(2));
            instruction = m.group(3);
            last.clear();
            emit(new BuildProgress(step, total, instruction, ""));
            return;
        }
        if (line.isBlank()) {
            return;
        }
        if (!NOISE.matcher(line).matches()) {
            last.addLast(line);
        }
        while (last.size() > LAST_LINES) {
            last.removeFirst();
        }
        emit(new BuildProgress(step, total, instruction, line));
    }

    private void emit(BuildProgress p) {
        try {
            listener.accept(p);
        } catch (RuntimeException ignored) {
            // A listener's bug must not fail or stall the build.
        }
    }

    /** The current step (0 before the first). */
    public synchronized int step() {
        return step;
    }

    /** The number of steps (0 before the first). */
    public synchronized int totalSteps() {
        return total;
    }

    /** The current instruction. */
    public synchronized String instruction() {
        return instruction;
    }

    /** The current step's last output lines (engine bookkeeping left out), oldest first. */
    public synchronized List<String> lastLines() {
        return new ArrayList<>(last);
    }
}
