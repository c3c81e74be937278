package io.runnerfleet.examples.cli;

/**
 * The one JSON string encoder of the command line's outputs ({@code ps --json}, {@code serve}'s status page):
 * {@code Json.quote("a\"b")} is {@code "a\"b"} with its quotes. The tool writes JSON by hand, so every string
 * it puts into one goes through here.
 */
final class Json {
    private Json() {
    }

    /** {@code s} as a JSON string literal: quotes, backslashes and control characters escaped. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
