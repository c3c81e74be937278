package io.runnerfleet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An ordered set of runner labels, compared case-insensitively as GitHub does.
 *
 * <pre>{@code
 * LabelSet labels = LabelSet.of("self-hosted", "Linux", "X64", "intel");
 * labels.containsAll(LabelSet.of("linux", "intel"));   // true: case-insensitive subset
 * labels.toString();                                     // "[self-hosted, Linux, X64, intel]"
 * }</pre>
 *
 * <p>The first spelling of a label is kept for display; duplicates that differ only in case fold
 * into one. Labels are validated: not blank, no commas, no surrounding whitespace, at most
 * {@value #MAX_LABEL_LENGTH} characters, at most {@value #MAX_LABELS} labels; a bad label raises
 * {@link InvalidSpecException} naming it.
 */
public final class LabelSet implements Iterable<String> {
    /** GitHub rejects labels longer than this. */
    public static final int MAX_LABEL_LENGTH = 256;
    /** GitHub accepts at most this many labels on one runner. */
    public static final int MAX_LABELS = 100;

    private static final LabelSet EMPTY = new LabelSet(new LinkedHashMap<>());

    // key: lower-cased label, value: display spelling
    private final Map<String, String> labels;

    private LabelSet(LinkedHashMap<String, String> labels) {
        this.labels = java.util.Collections.unmodifiableMap(labels);
    }

    /** The empty label set. */
    public static LabelSet empty() {
        return EMPTY;
    }

    /** A label set of the given labels, in order, duplicates folded case-insensitively. */
    public static LabelSet of(String... labels) {
        return of(List.of(labels));
    }

    /** A label set of the given labels, in order, duplicates folded case-insensitively. */
    public static LabelSet of(Collection<String> labels) {
        LinkedHashMap<String, String> map = new LinkedHashMap<>();
        for (String label : labels) {
            validate(label);
            map.putIfAbsent(key(label), label);
        }
        if (map.size() > MAX_LABELS) {
            throw new InvalidSpecException("too many labels: " + map.size() + " given, GitHub accepts at most "
                    + MAX_LABELS + " per runner");
        }
        return map.isEmpty() ? EMPTY : new LabelSet(map);
    }

    /**
     * Parses a comma-separated list as the runner's {@code --labels} does: entries are trimmed and
     * empty entries dropped.
     */
    public static LabelSet parse(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return EMPTY;
        }
        List<String> parts = new ArrayList<>();
        for (String part : commaSeparated.split(",")) {
            String trimmed = part.trim();
            if (!trimmed.isEmpty()) {
                parts.add(trimmed);
            }
        }
        return of(parts);
    }

    /** Checks one label, throwing {@link InvalidSpecException} that names it when it is not valid. */
    public static String validate(String label) {
        if (label == null) {
            throw new InvalidSpecException("a label must not be null");
        }
        if (label.isBlank()) {
            throw new InvalidSpecException("a label must not be blank: '" + label + "'");
        }
        if (label.contains(",")) {
            throw new InvalidSpecException("label '" + label
                    + "' contains a comma; give each label separately (commas separate labels on the runner's command line)");
        }
        if (!label.strip().equals(label)) {
            throw new InvalidSpecException("label '" + label + "' has surrounding whitespace; use '" + label.strip() + "'");
        }
        if (label.length() > MAX_LABEL_LENGTH) {
            throw new InvalidSpecException("label '" + label.substring(0, 32) + "...' is " + label.length()
                    + " characters long; GitHub accepts at most " + MAX_LABEL_LENGTH);
        }
        return label;
    }

    private static String key(String label) {
        return label.toLowerCase(Locale.ROOT);
    }

    /** Whether this set holds the label, ignoring case. */
    public boolean contains(String label) {
        return label != null && labels.containsKey(key(label));
    }

    /** Whether this set holds the label, ignoring case. */
    public boolean contains(Label label) {
        return label != null && contains(label.value());
    }

    /** Whether this set holds every label of {@code other}, ignoring case (GitHub's runs-on rule). */
    public boolean containsAll(LabelSet other) {
        return labels.keySet().containsAll(other.labels.keySet());
    }

    /** The labels of {@code required} this set lacks, in {@code required}'s order and spelling. */
    public LabelSet missing(LabelSet required) {
        LinkedHashMap<String, String> map = new LinkedHashMap<>();
        required.labels.forEach((k, v) -> {
            if (!labels.containsKey(k)) {
                map.put(k, v);
            }
        });
        return map.isEmpty() ? EMPTY : new LabelSet(map);
    }

    /** This set followed by the labels of {@code other} it does not hold yet. */
    public LabelSet plus(LabelSet other) {
        LinkedHashMap<String, String> map = new LinkedHashMap<>(labels);
        other.labels.forEach(map::putIfAbsent);
        if (map.size() > MAX_LABELS) {
            throw new InvalidSpecException("too many labels: " + map.size() + ", GitHub accepts at most " + MAX_LABELS);
        }
        return new LabelSet(map);
    }

    /** This set followed by the given labels it does not hold yet. */
    public LabelSet plus(String... more) {
        return plus(of(more));
    }

    /** How many labels this set holds. */
    public int size() {
        return labels.size();
    }

    /** Whether this set is empty. */
    public boolean isEmpty() {
        return labels.isEmpty();
    }

    /** The labels in display order and spelling. */
    public List<String> asList() {
        return List.copyOf(labels.values());
    }

    /** The labels as {@link Label} values, in display order and spelling. */
    public List<Label> labels() {
        return labels.values().stream().map(Label::new).toList();
    }

    /** The labels joined by commas, as the runner's {@code --labels} takes them. */
    public String toCommaSeparated() {
        return String.join(",", labels.values());
    }

    @Override
    public Iterator<String> iterator() {
        return labels.values().iterator();
    }

    /** Equal when both hold the same labels ignoring case and order. */
    @Override
    public boolean equals(Object o) {
        return o instanceof LabelSet other && labels.keySet().equals(other.labels.keySet());
    }

    @Override
    public int hashCode() {
        return labels.keySet().hashCode();
    }

    @Override
    public String toString() {
        return labels.values().toString();
    }
}
