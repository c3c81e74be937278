package io.runnerfleet.github.internal;

import com.squareup.moshi.JsonAdapter;
import com.squareup.moshi.Moshi;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * JSON through Moshi's generic object model: GitHub's bodies are read into maps and lists and mapped
 * by hand, so a missing optional field or a {@code number} id never breaks parsing.
 */
public final class Json {
    private static final JsonAdapter<Object> ADAPTER = new Moshi.Builder().build().adapter(Object.class);

    private Json() {
    }

    /** Parses a JSON document; a syntax error raises {@link MalformedJsonException}. */
    public static Object parse(String json) {
        try {
            return ADAPTER.fromJson(json);
        } catch (IOException | RuntimeException e) {
            throw new MalformedJsonException(e.getMessage());
        }
    }

    /** Writes maps, lists, strings, numbers and booleans as JSON. */
    public static String write(Object value) {
        return ADAPTER.toJson(value);
    }

    /** A JSON document that does not parse, or a field of the wrong shape. */
    public static final class MalformedJsonException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public MalformedJsonException(String message) {
            super(message);
        }
    }

    /** The object, or an exception naming what was expected. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Object value, String what) {
        if (value instanceof Map<?, ?> map) {
            return (Map<String, Object>) map;
        }
        throw new MalformedJsonException(what + " is not a JSON object");
    }

    /** The array under {@code key}, empty when absent or null. */
    public static List<Object> array(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> list) {
            return new ArrayList<>(list);
        }
        throw new MalformedJsonException("field '" + key + "' is not an array");
    }

    /** A required string field. */
    public static String string(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v instanceof String s) {
            return s;
        }
        throw new MalformedJsonException("field '" + key + "' is missing or not a string");
    }

    /** An optional string field, or {@code null}. */
    public static String optString(Map<String, Object> o, String key) {
        Object v = o.get(key);
        return v instanceof String s ? s : null;
    }

    /** A required integer field (GitHub sends some ids as JSON {@code number}). */
    public static long integer(Map<String, Object> o, String key) {
        Object v = o.get(key);
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw new MalformedJsonException("field '" + key + "' is missing or not a number");
    }

    /** An optional integer field, or {@code null}. */
    public static Long optInteger(Map<String, Object> o, String key) {
        Object v = o.get(key);
        return v instanceof Number n ? n.longValue() : null;
    }

    /** An optional boolean field, {@code false} when absent. */
    public static boolean bool(Map<String, Object> o, String key) {
        return Boolean.TRUE.equals(o.get(key));
    }

    /** An optional ISO-8601 timestamp (with any offset), or {@code null}. */
    public static Instant optInstant(Map<String, Object> o, String key) {
        String s = optString(o, key);
        if (s == null) {
            return null;
        }
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeParseException e) {
            throw new MalformedJsonException("field '" + key + "' is not an ISO-8601 timestamp: " + s);
        }
    }

    /** A required ISO-8601 timestamp. */
    public static Instant instant(Map<String, Object> o, String key) {
        Instant i = optInstant(o, key);
        if (i == null) {
            throw new MalformedJsonException("field '" + key + "' is missing");
        }
        return i;
    }

    /** The strings of an array field. */
    public static List<String> strings(Map<String, Object> o, String key) {
        List<String> out = new ArrayList<>();
        for (Object item : array(o, key)) {
            if (!(item instanceof String s)) {
                throw new MalformedJsonException("field '" + key + "' holds a non-string item");
            }
            out.add(s);
        }
        return List.copyOf(out);
    }
}
