package io.runnerfleet.examples;

import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code .env} file, parsed the way people write them (unlike the seed's {@code runner.sh}, which
 * broke on spaces, inline comments and quotes).
 *
 * <pre>{@code
 * EnvFile file = EnvFile.load(Path.of(".env"));                 // missing file: empty
 * Map<String, String> settings = file.overriddenBy(System.getenv()); // the process environment wins
 * }</pre>
 *
 * <p>Rules: blank lines and lines starting with {@code #} are skipped; an {@code export } prefix is
 * allowed; {@code KEY=value} with optional spaces around {@code =}; an unquoted value ends at
 * {@code " #"} (an inline comment) and is trimmed; {@code "double"} quotes allow {@code \"},
 * {@code \\}, {@code \n}, {@code \t} and {@code \$} escapes and may span lines; {@code 'single'}
 * quotes are literal and may span lines. Nothing is expanded ({@code $HOME} stays as written) and
 * nothing is globbed. The last definition of a key wins. A malformed line, or a byte that is not UTF-8,
 * raises {@link InvalidSpecException} naming the file and line, never the value.
 */
public final class EnvFile {
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    private final Map<String, String> values;

    private EnvFile(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** Reads a file; a missing file is an empty {@code EnvFile}. */
    public static EnvFile load(Path file) {
        if (!Files.exists(file)) {
            return new EnvFile(new LinkedHashMap<>());
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e, e);
        }
        return parse(decode(bytes, file.toString()), file.toString());
    }

    /** The text of a UTF-8 file; a malformed byte is an error naming the file, line and byte offset. */
    private static String decode(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            // Not the byte itself: the line may hold a secret.
            throw new InvalidSpecException(source + ":" + line + ": the byte at offset " + offset + " is not valid UTF-8;"
                    + " the file must be UTF-8 (re-save it as UTF-8, e.g. with iconv -f LATIN1 -t UTF-8)");
        }
        return out.flip().toString();
    }

    /** Parses text; {@code source} names it in error messages. */
    public static EnvFile parse(String text, String source) {
        Map<String, String> values = new LinkedHashMap<>();
        Parser p = new Parser(text.replace("\r\n", "\n"), source);
        while (p.more()) {
            p.entry(values);
        }
        return new EnvFile(values);
    }

    /** A duration written {@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601 ({@code PT90S}); empty when malformed. */
    public static Optional<Duration> duration(String text) {
        Matcher m = DURATION.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            return Optional.of(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        try {
            return Optional.of(Duration.parse(text.strip().toUpperCase(Locale.ROOT)));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** Every key and value, in file order. */
    public Map<String, String> values() {
        return values;
    }

    /** One value, if defined. */
    public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    /** This file's values with {@code environment}'s on top (the process environment overrides the file). */
    public Map<String, String> overriddenBy(Map<String, String> environment) {
        Map<String, String> merged = new LinkedHashMap<>(values);
        merged.putAll(environment);
        return merged;
    }

    /** Names only: values may be secrets. */
    @Override
    public String toString() {
        return "EnvFile" + values.keySet();
    }

    private static final class Parser {
        private final String s;
        private final String source;
        private int i;
        private int line = 1;

        Parser(String s, String source) {
            this.s = s;
            this.source = source;
        }

        boolean more() {
            skipBlankAndCommentLines();
            return i < s.length();
        }

        private void skipBlankAndCommentLines() {
            while (i < s.length()) {
                int start = i;
                skipSpaces();
                if (i < s.length() && s.charAt(i) == '#') {
                    skipToEndOfLine();
                } else if (i < s.length() && s.charAt(i) == '\n') {
                    i++;
                    line++;
                } else if (i >= s.length()) {
                    return;
                } else {
                    i = start;
                    skipSpaces();
                    return;
                }
            }
        }

        void entry(Map<String, String> values) {
            int entryLine = line;
            String key = word();
            if (key.equals("export") && i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                skipSpaces();
                key = word();
            }
            if (!key.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw error(entryLine, "'" + key + "' is not a variable name (letters, digits and '_', not starting with a digit)");
            }
            skipSpaces();
            if (i >= s.length() || s.charAt(i) != '=') {
                throw error(entryLine, "expected KEY=value after '" + key + "'");
            }
            i++;
            skipSpaces();
            String value;
            if (i < s.length() && s.charAt(i) == '"') {
                value = doubleQuoted(key, entryLine);
                restOfLineMustBeEmpty(key);
            } else if (i < s.length() && s.charAt(i) == '\'') {
                value = singleQuoted(key, entryLine);
                restOfLineMustBeEmpty(key);
            } else {
                value = unquoted();
            }
            values.put(key, value);
        }

        private String word() {
            int start = i;
            while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != '=') {
                i++;
            }
            return s.substring(start, i);
        }

        private String unquoted() {
            StringBuilder b = new StringBuilder();
            while (i < s.length() && s.charAt(i) != '\n') {
                char c = s.charAt(i);
                if (c == '#' && (b.length() == 0 || Character.isWhitespace(b.charAt(b.length() - 1)))) {
                    skipToEndOfLine();
                    return b.toString().strip();
                }
                b.append(c);
                i++;
            }
            return b.toString().strip();
        }

        private String doubleQuoted(String key, int entryLine) {
            i++;
            StringBuilder b = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c == '\n') {
                    line++;
                }
                if (c == '\\' && i < s.length()) {
                    char n = s.charAt(i++);
                    switch (n) {
                        case 'n' -> b.append('\n');
                        case 't' -> b.append('\t');
                        case '"', '\\', '$', '`' -> b.append(n);
                        case '\n' -> line++;
                        default -> b.append('\\').append(n);
                    }
                } else {
                    b.append(c);
                }
            }
            throw error(entryLine, "the double-quoted value of " + key + " is never closed");
        }

        private String singleQuoted(String key, int entryLine) {
            int end = s.indexOf('\'', i + 1);
            if (end < 0) {
                throw error(entryLine, "the single-quoted value of " + key + " is never closed");
            }
            String value = s.substring(i + 1, end);
            line += (int) value.chars().filter(c -> c == '\n').count();
            i = end + 1;
            return value;
        }

        private void restOfLineMustBeEmpty(String key) {
            skipSpaces();
            if (i < s.length() && s.charAt(i) == '#') {
                skipToEndOfLine();
            } else if (i < s.length() && s.charAt(i) != '\n') {
                throw error(line, "unexpected text after the quoted value of " + key + "; quote the whole value");
            }
        }

        private void skipSpaces() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
        }

        private void skipToEndOfLine() {
            while (i < s.length() && s.charAt(i) != '\n') {
                i++;
            }
        }

        private InvalidSpecException error(int at, String what) {
            return new InvalidSpecException(source + ":" + at + ": " + what);
        }
    }
}
