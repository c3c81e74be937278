package io.runnerfleet.spi;

import java.util.stream.Stream;

/**
 * Lines of an instance's output. A following stream blocks for new lines until it is closed (from any
 * thread) or the instance stops.
 */
public interface LogStream extends AutoCloseable {
    /** The lines; consume once. */
    Stream<String> lines();

    /** Stops reading; idempotent. */
    @Override
    void close();
}
