package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a scale set should look like: its name, runner group, labels and update policy. Immutable;
 * derive variants with the {@code with}-style methods.
 *
 * <pre>{@code
 * ScaleSetSpec spec = ScaleSetSpec.named("qemu").labels("intel", "kvm").runnerGroup("boards");
 * spec.effectiveLabels();    // [qemu, intel, kvm]
 * }</pre>
 *
 * <p>Defaults: group {@code default} (id 1, never looked up), no extra labels, {@code disableUpdate}
 * true (runners are ephemeral; an update would only slow their start). The name is always the first
 * label and duplicates are dropped, as GitHub's controller does. On GitHub Enterprise Server before 3.18
 * extra labels may be silently dropped by the server.
 *
 * @param name the scale set's name: 1 to 100 letters, digits, {@code .}, {@code _} or {@code -}
 * @param runnerGroup the runner group's name
 * @param labels extra labels after the name
 * @param disableUpdate whether runners skip self-updates
 */
public record ScaleSetSpec(String name, String runnerGroup, List<String> labels, boolean disableUpdate) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    /** Validates the name, group and labels. */
    public ScaleSetSpec {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new InvalidSpecException("scale set name '" + name
                    + "' is not valid: use 1 to 100 letters, digits, '.', '_' or '-'");
        }
        if (runnerGroup == null || runnerGroup.isBlank()) {
            throw new InvalidSpecException("scale set '" + name + "': the runner group name must not be blank;"
                    + " use \"default\" for the default group");
        }
        labels = List.copyOf(labels);
        for (String l : labels) {
            if (l == null || l.isBlank() || !l.strip().equals(l)) {
                throw new InvalidSpecException("scale set '" + name + "': label '" + l
                        + "' is blank or has surrounding whitespace");
            }
        }
    }

    /** A spec for {@code name} with the defaults listed above. */
    public static ScaleSetSpec named(String name) {
        return new ScaleSetSpec(name, "default", List.of(), true);
    }

    /** A copy with these extra labels (replacing earlier ones). */
    public ScaleSetSpec labels(String... labels) {
        return labels(List.of(labels));
    }

    /** A copy with these extra labels (replacing earlier ones). */
    public ScaleSetSpec labels(List<String> labels) {
        return new ScaleSetSpec(name, runnerGroup, labels, disableUpdate);
    }

    /** A copy in another runner group. */
    public ScaleSetSpec runnerGroup(String group) {
        return new ScaleSetSpec(name, group, labels, disableUpdate);
    }

    /** A copy with another update policy. */
    public ScaleSetSpec disableUpdate(boolean disable) {
        return new ScaleSetSpec(name, runnerGroup, labels, disable);
    }

    /** Whether the group is the default group (the name {@code default}, any case). */
    public boolean defaultGroup() {
        return runnerGroup.equalsIgnoreCase("default");
    }

    /** The labels GitHub gets: the name first, then the extra labels, without duplicates. */
    public List<String> effectiveLabels() {
        Set<String> out = new LinkedHashSet<>();
        out.add(name);
        out.addAll(labels);
        return List.copyOf(new ArrayList<>(out));
    }

    /** Whether {@code set} has this spec's name, labels (in any order) and, when known, group. */
    boolean matches(ScaleSet set, long groupId) {
        return set.name().equals(name) && Set.copyOf(set.labels()).equals(Set.copyOf(effectiveLabels()))
                && set.runnerGroupId() == groupId;
    }
}
