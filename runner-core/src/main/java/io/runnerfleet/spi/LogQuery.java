package io.runnerfleet.spi;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * Which output of an instance to read.
 *
 * @param tail the last N lines only, or 0 for all
 * @param since only lines after this time; all lines if absent
 * @param follow whether to keep streaming new lines until closed
 */
public record LogQuery(int tail, @Nullable Instant since, boolean follow) {
    /** Validates the tail. */
    public LogQuery {
        if (tail < 0) {
            throw new io.runnerfleet.InvalidSpecException("log tail must be 0 (all) or positive, got " + tail);
        }
    }

    /** The last {@code n} lines, not following. */
    public static LogQuery tail(int n) {
        return new LogQuery(n, null, false);
    }

    /** All lines, then follow. */
    public static LogQuery following() {
        return new LogQuery(0, null, true);
    }
}
