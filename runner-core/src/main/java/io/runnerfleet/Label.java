package io.runnerfleet;

import java.util.Locale;

/**
 * One runner label, validated, compared case-insensitively as GitHub compares {@code runs-on} labels.
 *
 * <pre>{@code
 * Label.of("Linux").equals(Label.of("linux"));   // true
 * Label.of("Linux").value();                      // "Linux": the spelling given is kept for display
 * Label.of("a,b");                                // InvalidSpecException: label 'a,b' contains a comma ...
 * LabelSet.of("self-hosted", "Linux").contains(Label.of("LINUX"));   // true
 * }</pre>
 *
 * <p>Most of the API takes labels as strings and checks them through {@link LabelSet}; this type is
 * for code that keeps single labels (sets or maps keyed by label) and wants
 * GitHub's equality without lower-casing by hand.
 *
 * @param value the label as spelled; validated by {@link LabelSet#validate(String)}
 */
public record Label(String value) implements Comparable<Label> {
    /** Validates the label; a bad one raises {@link InvalidSpecException} that names it. */
    public Label {
        LabelSet.validate(value);
    }

    /** The label {@code value}, validated. */
    public static Label of(String value) {
        return new Label(value);
    }

    /** Whether this label is {@code other}, ignoring case ({@code linux} is {@code Linux}). */
    public boolean matches(String other) {
        return other != null && value.equalsIgnoreCase(other);
    }

    /** Equal when the spellings are equal ignoring case. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Label other && key().equals(other.key());
    }

    @Override
    public int hashCode() {
        return key().hashCode();
    }

    /** Orders case-insensitively, consistent with {@link #equals(Object)}. */
    @Override
    public int compareTo(Label other) {
        return key().compareTo(other.key());
    }

    /** The label as spelled. */
    @Override
    public String toString() {
        return value;
    }

    private String key() {
        return value.toLowerCase(Locale.ROOT);
    }
}
