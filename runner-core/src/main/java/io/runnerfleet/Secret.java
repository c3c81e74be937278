package io.runnerfleet;

import java.util.Objects;

/**
 * A secret value (a token, a JIT config, a key) that never prints.
 *
 * <pre>{@code
 * Secret token = Secret.of(System.getenv("GH_PAT"));
 * token.toString();   // "Secret[****]"
 * token.reveal();     // the value, for the one place that must send it
 * }</pre>
 *
 * <p>{@code toString()} is always redacted; {@code equals} compares the values in constant time.
 * Call {@link #reveal()} only where the value leaves the process for its owner (an HTTP header, a
 * runner's stdin), never to build a message.
 */
public final class Secret {
    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    /**
     * Wraps a secret value.
     *
     * @throws IllegalArgumentException if the value is null or blank (the message never contains it)
     */
    public static Secret of(String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("a secret must not be null or blank");
        }
        return new Secret(value);
    }

    /** The value itself: send it, never print it. */
    public String reveal() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other
                && java.security.MessageDigest.isEqual(
                        value.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        other.value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Override
    public int hashCode() {
        return Objects.hash(Secret.class);
    }

    @Override
    public String toString() {
        return "Secret[****]";
    }
}
