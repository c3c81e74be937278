package io.runnerfleet.spi;

/** A running subscription (to instance events); closing it stops delivery. Idempotent. */
@FunctionalInterface
public interface Subscription extends AutoCloseable {
    @Override
    void close();
}
