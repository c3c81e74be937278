package io.runnerfleet;

import java.util.Collection;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A runner's name, {@code <fleet>-<pool>-<n>}, plus a short random suffix for ephemeral runners
 * ({@code s1lqc-qemu-3-k4f9z}), so a replacement never reuses a name GitHub may still hold.
 *
 * <pre>{@code
 * RunnerName.of("s1lqc", "phytiumpi", 1).toString();                   // "s1lqc-phytiumpi-1"
 * RunnerName.ephemeral("s1lqc", "qemu", 3, random).toString();         // "s1lqc-qemu-3-k4f9z"
 * RunnerName.parse("s1lqc", List.of("qemu", "phytiumpi"), "s1lqc-qemu-3-k4f9z");
 * }</pre>
 *
 * <p>The rule (GitHub accepts names up to 64 characters; the name is also a container name and a
 * volume prefix, so only Docker's safe characters are used): fleet and pool names are 1 to
 * {@value #MAX_PART} lower-case letters, digits and inner dashes, starting with a letter or digit;
 * {@code n} is 1 to {@value Scaling#MAX_RUNNERS}; the suffix is {@value #SUFFIX_LENGTH} lower-case
 * letters or digits. That bounds every name at 60 characters. Since fleet and pool names may contain
 * dashes, {@link #parse} needs the pool names to tell them apart.
 *
 * @param fleet the fleet's name
 * @param pool the pool's name
 * @param index the runner's number in its pool, from 1
 * @param suffix the random suffix of an ephemeral runner, or empty
 */
public record RunnerName(String fleet, String pool, int index, String suffix) {
    /** The longest fleet or pool name. */
    public static final int MAX_PART = 24;
    /** The length of an ephemeral runner's suffix. */
    public static final int SUFFIX_LENGTH = 5;
    /** The longest runner name GitHub accepts. */
    public static final int GITHUB_MAX_LENGTH = 64;

    private static final Pattern PART = Pattern.compile("[a-z0-9](?:[a-z0-9-]*[a-z0-9])?");
    private static final Pattern SUFFIX = Pattern.compile("[a-z0-9]{" + SUFFIX_LENGTH + "}");
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    /** Validates every part. */
    public RunnerName {
        validatePart("fleet", fleet);
        validatePart("pool", pool);
        if (index < 1 || index > Scaling.MAX_RUNNERS) {
            throw new InvalidSpecException("runner number " + index + " of pool '" + pool + "' must be between 1 and "
                    + Scaling.MAX_RUNNERS);
        }
        Objects.requireNonNull(suffix, "suffix");
        if (!suffix.isEmpty() && !SUFFIX.matcher(suffix).matches()) {
            throw new InvalidSpecException("runner name suffix '" + suffix + "' must be " + SUFFIX_LENGTH
                    + " lower-case letters or digits");
        }
    }

    /**
     * Checks a fleet or pool name.
     *
     * @param what {@code "fleet"} or {@code "pool"}, for the message
     * @throws InvalidSpecException naming the value and the rule
     */
    public static String validatePart(String what, String name) {
        if (name == null || name.length() > MAX_PART || !PART.matcher(name).matches()) {
            throw new InvalidSpecException(what + " name '" + name + "' is invalid: use 1 to " + MAX_PART
                    + " lower-case letters, digits and inner dashes, e.g. 'qemu' or 'rk3568-boards'"
                    + " (it becomes part of runner, container and volume names)");
        }
        return name;
    }

    /** The persistent runner {@code <fleet>-<pool>-<index>}. */
    public static RunnerName of(String fleet, String pool, int index) {
        return new RunnerName(fleet, pool, index, "");
    }

    /** An ephemeral runner {@code <fleet>-<pool>-<index>-<suffix>} with a fresh random suffix. */
    public static RunnerName ephemeral(String fleet, String pool, int index, RandomGenerator random) {
        StringBuilder suffix = new StringBuilder(SUFFIX_LENGTH);
        for (int i = 0; i < SUFFIX_LENGTH; i++) {
            suffix.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return new RunnerName(fleet, pool, index, suffix.toString());
    }

    /**
     * Reads a name this fleet would have given one of {@code pools}' runners; empty for any other name
     * (another fleet's runner, a hand-made one). The longest matching pool name wins, so pools
     * {@code a} and {@code a-b} are told apart.
     */
    public static Optional<RunnerName> parse(String fleet, Collection<String> pools, String name) {
        if (name == null || !name.startsWith(fleet + "-")) {
            return Optional.empty();
        }
        String rest = name.substring(fleet.length() + 1);
        return pools.stream()
                .sorted((a, b) -> Integer.compare(b.length(), a.length()))
                .filter(p -> rest.startsWith(p + "-"))
                .map(p -> {
                    Matcher m = Pattern.compile("([1-9][0-9]{0,3})(?:-([a-z0-9]{" + SUFFIX_LENGTH + "}))?")
                            .matcher(rest.substring(p.length() + 1));
                    return m.matches() ? new RunnerName(fleet, p, Integer.parseInt(m.group(1)),
                            m.group(2) == null ? "" : m.group(2)) : null;
                })
                .filter(Objects::nonNull)
                .findFirst();
    }

    /** Whether this is an ephemeral runner's name (it has a suffix). */
    public boolean isEphemeral() {
        return !suffix.isEmpty();
    }

    /** The name as GitHub and the backend know it. */
    @Override
    public String toString() {
        return fleet + "-" + pool + "-" + index + (suffix.isEmpty() ? "" : "-" + suffix);
    }
}
