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

    /**
     * Whether a variable or setting of this name probably holds a secret, so its value must not print:
     * the name, split at {@code _}, {@code -} and {@code .}, has a part containing {@code TOKEN},
     * {@code SECRET}, {@code PASSWORD}, {@code PASSWD}, {@code PASSPHRASE}, {@code KEY},
     * {@code CREDENTIAL}, {@code AUTH}, {@code PRIVATE}, {@code COOKIE} or {@code SESSION}, or a part
     * that is exactly {@code PAT} or {@code PWD} (so {@code GH_PAT} is secret and {@code PATH} is not).
     * Case does not matter. Over-redacting is the safe side.
     */
    public static boolean looksSecret(String name) {
        if (name == null) {
            return false;
        }
        for (String part : name.toUpperCase(java.util.Locale.ROOT).split("[_.-]")) {
            if (part.equals("PAT") || part.equals("PWD")) {
                return true;
            }
            for (String word : SECRET_WORDS) {
                if (part.contains(word)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static final java.util.List<String> SECRET_WORDS = java.util.List.of("TOKEN", "SECRET", "PASSWORD",
            "PASSWD", "PASSPHRASE", "KEY", "CREDENTIAL", "AUTH", "PRIVATE", "COOKIE", "SESSION");

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
