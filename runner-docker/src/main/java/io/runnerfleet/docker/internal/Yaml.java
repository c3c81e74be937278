package io.runnerfleet.docker.internal;

/**
 * YAML scalar quoting for generated files: every key and value is written as a double-quoted
 * scalar with escapes, so no value can end its line, open a mapping or inject a key.
 */
public final class Yaml {
    private Yaml() {
    }

    /** The value as a double-quoted YAML scalar. */
    public static String quote(String value) {
        StringBuilder b = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\0' -> b.append("\\0");
                case '\u0085' -> b.append("\\N");
                case '\u2028' -> b.append("\\L");
                case '\u2029' -> b.append("\\P");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\ufeff') {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** A one-line flow sequence of quoted scalars, e.g. {@code ["a", "b"]}. */
    public static String flow(java.util.List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                b.append(", ");
            }
            b.append(quote(values.get(i)));
        }
        return b.append(']').toString();
    }
}
