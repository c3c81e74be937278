package io.runnerfleet.examples.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: no Prometheus client ships
 * one. Rejects (with the line number) malformed names, labels, escapes and values, a {@code TYPE} after its
 * samples or given twice, a family's samples split apart, duplicate series, and histograms whose buckets are
 * not cumulative or whose {@code _count} differs from the {@code +Inf} bucket.
 */
final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample line. */
    record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, String> types = new HashMap<>();
    private final List<Sample> samples = new ArrayList<>();

    private PrometheusText() {
    }

    static PrometheusText parse(String text) {
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line feed");
        }
        PrometheusText p = new PrometheusText();
        Set<String> finished = new HashSet<>();
        Set<String> seen = new HashSet<>();
        String current = null;
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length - 1; n++) {
            String line = lines[n];
            String where = "line " + (n + 1) + " '" + line + "'";
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" ", 4);
                if (parts.length >= 3 && (parts[1].equals("TYPE") || parts[1].equals("HELP"))) {
                    require(NAME.matcher(parts[2]).matches(), where + ": bad metric name");
                    if (parts[1].equals("TYPE")) {
                        require(parts.length == 4 && TYPES.contains(parts[3]), where + ": unknown type");
                        require(!p.types.containsKey(parts[2]), where + ": second TYPE for " + parts[2]);
                        require(!seen.contains(parts[2]), where + ": TYPE after samples of " + parts[2]);
                        p.types.put(parts[2], parts[3]);
                    } else if (parts.length == 4) {
                        unescape(parts[3], false, where);
                    }
                }
                continue;
            }
            Sample s = p.sample(line, where);
            String family = p.family(s.name());
            if (!family.equals(current)) {
                require(!finished.contains(family), where + ": samples of " + family + " are not together");
                if (current != null) {
                    finished.add(current);
                }
                current = family;
            }
            seen.add(family);
            String key = s.name() + new TreeMap<>(s.labels());
            require(seen.add(key), where + ": duplicate series " + key);
            p.samples.add(s);
        }
        p.checkHistograms();
        return p;
    }

    private Sample sample(String line, String where) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        require(NAME.matcher(name).matches(), where + ": bad metric name '" + name + "'");
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                require(eq > i, where + ": label without '='");
                String label = line.substring(i, eq);
                require(LABEL.matcher(label).matches(), where + ": bad label name '" + label + "'");
                require(line.charAt(eq + 1) == '"', where + ": label value not quoted");
                StringBuilder v = new StringBuilder();
                int j = eq + 2;
                for (; line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char e = line.charAt(++j);
                        require(e == '\\' || e == '"' || e == 'n', where + ": bad escape \\" + e);
                        v.append(e == 'n' ? '\n' : e);
                    } else {
                        v.append(c);
                    }
                }
                require(labels.put(label, v.toString()) == null, where + ": label " + label + " twice");
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                }
            }
            i++;
        }
        require(i < line.length() && line.charAt(i) == ' ', where + ": no space before the value");
        String[] rest = line.substring(i + 1).split(" ");
        require(rest.length == 1 || rest.length == 2, where + ": expected a value and an optional timestamp");
        if (rest.length == 2) {
            require(rest[1].matches("-?\\d+"), where + ": bad timestamp");
        }
        return new Sample(name, labels, value(rest[0], where));
    }

    private static double value(String v, String where) {
        switch (v) {
            case "NaN":
                return Double.NaN;
            case "+Inf":
                return Double.POSITIVE_INFINITY;
            case "-Inf":
                return Double.NEGATIVE_INFINITY;
            default:
                require(v.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?"), where + ": bad value '" + v + "'");
                return Double.parseDouble(v);
        }
    }

    private static String unescape(String s, boolean quotes, String where) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                require(i + 1 < s.length(), where + ": dangling backslash");
                char e = s.charAt(++i);
                require(e == '\\' || e == 'n' || (quotes && e == '"'), where + ": bad escape \\" + e);
                b.append(e == 'n' ? '\n' : e);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** The family a sample belongs to: its own TYPE, or the histogram / summary / counter its suffix names. */
    private String family(String name) {
        if (types.containsKey(name)) {
            return name;
        }
        for (String suffix : List.of("_bucket", "_sum", "_count", "_created", "_total")) {
            if (name.endsWith(suffix)) {
                String base = name.substring(0, name.length() - suffix.length());
                String type = types.get(base);
                if (type != null && !type.equals("gauge")) {
                    return base;
                }
            }
        }
        return name;
    }

    private void checkHistograms() {
        for (Map.Entry<String, String> t : types.entrySet()) {
            if (!t.getValue().equals("histogram")) {
                continue;
            }
            String name = t.getKey();
            Map<Map<String, String>, TreeMap<Double, Double>> buckets = new HashMap<>();
            for (Sample s : samples) {
                if (s.name().equals(name + "_bucket")) {
                    Map<String, String> series = new TreeMap<>(s.labels());
                    String le = series.remove("le");
                    require(le != null, name + "_bucket without le");
                    buckets.computeIfAbsent(series, k -> new TreeMap<>()).put(value(le, name), s.value());
                }
            }
            buckets.forEach((series, b) -> {
                double last = 0;
                for (double v : b.values()) {
                    require(v >= last, name + series + ": buckets are not cumulative " + b);
                    last = v;
                }
                require(b.containsKey(Double.POSITIVE_INFINITY), name + series + ": no +Inf bucket");
                double count = value(name + "_count", series);
                require(count == b.get(Double.POSITIVE_INFINITY), name + series + ": _count " + count
                        + " differs from the +Inf bucket " + b.get(Double.POSITIVE_INFINITY));
            });
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("not Prometheus text format: " + message);
        }
    }

    /** The type a family was declared with, or null. */
    String type(String family) {
        return types.get(family);
    }

    /** The value of the one sample with this name whose labels include {@code labels}; fails when not exactly one. */
    double value(String name, Map<String, String> labels) {
        List<Sample> found = samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one sample " + name + labels + ", found " + found);
        }
        return found.get(0).value();
    }

    /** Every sample. */
    List<Sample> samples() {
        return List.copyOf(samples);
    }
}
