package io.runnerfleet.spi;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A just-in-time runner configuration: the runner is registered already (with {@code runnerId}) and
 * starts with {@code run.sh --jitconfig} without calling {@code config.sh}.
 *
 * <p>Backends do not pass the encoded config to {@code run.sh} (its command line and environment
 * stay readable by every job of the runner's user for the runner's whole life). They write the
 * {@linkplain #files(Secret) files it holds} into the runner's directory instead, exactly what the
 * runner's listener would write from it, and start {@code run.sh} without it:
 *
 * <pre>{@code
 * JitConfig.files(spec.secrets().get("ACTIONS_RUNNER_INPUT_JITCONFIG"))
 *     .forEach((name, base64) -> write(runnerDir.resolve(name), Base64.getDecoder().decode(base64.reveal())));
 * }</pre>
 *
 * @param runnerId the id GitHub gave the runner
 * @param name the runner's name
 * @param encodedConfig the encoded configuration, never printed
 */
public record JitConfig(long runnerId, String name, Secret encodedConfig) implements RegistrationGrant {
    /** Checks every part is present. */
    public JitConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(encodedConfig, "encodedConfig");
    }

    /**
     * The files an encoded JIT config holds, in the real runner's format: base64 of a JSON object
     * mapping file names ({@code .runner}, {@code .credentials}, {@code .credentials_rsaparams}) to
     * base64 file contents. The runner's listener writes them into its root directory before it runs.
     *
     * @param encodedConfig the {@code encoded_jit_config} GitHub answered
     * @return file name to the file's content, base64-encoded (one line); ordered as in the config
     * @throws InvalidSpecException if the config is not in that format, or a name is not a plain file
     *     name starting with '.' (the message never contains the config or a file's content)
     */
    public static Map<String, Secret> files(Secret encodedConfig) {
        Objects.requireNonNull(encodedConfig, "encodedConfig");
        String json;
        try {
            byte[] decoded = Base64.getDecoder().decode(encodedConfig.reveal().strip());
            json = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(decoded)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            throw invalid("it is not base64 of UTF-8 text");
        }
        Map<String, String> entries = new FlatJson(json).object();
        if (entries.isEmpty()) {
            throw invalid("it holds no files");
        }
        Map<String, Secret> files = new LinkedHashMap<>();
        entries.forEach((file, content) -> {
            if (!file.matches("\\.[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")) {
                throw invalid("its file name '" + file + "' is not a plain file name starting with '.'"
                        + " (expected .runner, .credentials, .credentials_rsaparams)");
            }
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(content);
            } catch (IllegalArgumentException e) {
                throw invalid("the content of " + file + " is not base64");
            }
            if (bytes.length == 0) {
                throw invalid("the content of " + file + " is empty");
            }
            files.put(file, Secret.of(Base64.getEncoder().encodeToString(bytes)));
        });
        return Collections.unmodifiableMap(files);
    }

    private static InvalidSpecException invalid(String why) {
        return new InvalidSpecException("the JIT config is not in the runner's format (base64 of a JSON object"
                + " mapping file names to base64 contents): " + why + "; pass encoded_jit_config from"
                + " generate-jitconfig unchanged");
    }

    /** A parser for one JSON object whose values are all strings; nothing else is needed here. */
    private static final class FlatJson {
        private final String s;
        private int i;

        FlatJson(String s) {
            this.s = s;
        }

        Map<String, String> object() {
            Map<String, String> out = new LinkedHashMap<>();
            expect('{');
            if (peek() == '}') {
                i++;
            } else {
                do {
                    String key = string("a file name");
                    expect(':');
                    if (peek() != '"') {
                        throw invalid("the value of " + key + " is not a string");
                    }
                    if (out.put(key, string("a file content")) != null) {
                        throw invalid("it names " + key + " twice");
                    }
                } while (comma());
                expect('}');
            }
            if (peek() != 0) {
                throw invalid("there is text after the JSON object");
            }
            return out;
        }

        private boolean comma() {
            if (peek() == ',') {
                i++;
                return true;
            }
            return false;
        }

        private char peek() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            return i < s.length() ? s.charAt(i) : 0;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw invalid("expected '" + c + "' at character " + i + " of the decoded JSON");
            }
            i++;
        }

        private String string(String what) {
            if (peek() != '"') {
                throw invalid("expected " + what + " (a JSON string) at character " + i + " of the decoded JSON");
            }
            i++;
            StringBuilder b = new StringBuilder();
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '"') {
                    return b.toString();
                }
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                char e = i < s.length() ? s.charAt(i++) : 0;
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) {
                            throw invalid("a \\u escape is cut short");
                        }
                        try {
                            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw invalid("a \\u escape is not hexadecimal");
                        }
                        i += 4;
                    }
                    default -> throw invalid("a string has an unknown escape");
                }
            }
            throw invalid("a string is not closed");
        }
    }
}
