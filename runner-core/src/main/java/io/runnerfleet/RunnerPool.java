package io.runnerfleet;

import java.util.Objects;

/**
 * A named group of alike runners: a {@link RunnerTemplate} plus a {@link Scaling} policy. Generic pools
 * and board pools (devices, groups, board labels) are the same thing.
 *
 * <pre>{@code
 * RunnerPool qemu = RunnerPool.builder("qemu")
 *     .image(RunnerImage.dockerfile(Path.of("runner-image")).tag("s1lqc-runner:1"))
 *     .labels("intel")
 *     .devices("/dev/kvm")
 *     .ephemeral(true)
 *     .scaling(Scaling.fixed(4))
 *     .build();
 * qemu.candidate();     // for the Matcher: pool qemu with [self-hosted, Linux, X64, intel]
 * }</pre>
 *
 * <p>The builder has every {@link RunnerTemplate.AbstractBuilder} setter with the same defaults, plus
 * {@link Builder#scaling} (default {@code Scaling.fixed(1)}) and {@link Builder#template} to start from
 * an existing template. The name follows {@link RunnerName#validatePart}. Immutable.
 */
public final class RunnerPool {
    private final String name;
    private final RunnerTemplate template;
    private final Scaling scaling;

    private RunnerPool(String name, RunnerTemplate template, Scaling scaling) {
        this.name = name;
        this.template = template;
        this.scaling = scaling;
    }

    /**
     * A builder for the pool {@code name}.
     *
     * @throws InvalidSpecException if the name is not 1 to 24 lower-case letters, digits and inner dashes
     */
    public static Builder builder(String name) {
        return new Builder(RunnerName.validatePart("pool", name));
    }

    /** The pool's name. */
    public String name() {
        return name;
    }

    /** What its runners look like. */
    public RunnerTemplate template() {
        return template;
    }

    /** How many runners it keeps. */
    public Scaling scaling() {
        return scaling;
    }

    /** The same pool with another template (a new image, say). */
    public RunnerPool withTemplate(RunnerTemplate template) {
        return new RunnerPool(name, Objects.requireNonNull(template, "template"), scaling);
    }

    /** The same pool with another scaling policy. */
    public RunnerPool withScaling(Scaling scaling) {
        return new RunnerPool(name, template, Objects.requireNonNull(scaling, "scaling"));
    }

    /** This pool as a {@link Matcher} candidate: its effective labels and runner group. */
    public Matcher.Candidate candidate() {
        return Matcher.Candidate.pool(name, template.effectiveLabels(), template.runnerGroup());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RunnerPool p && p.name.equals(name) && p.template.equals(template) && p.scaling.equals(scaling);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, template, scaling);
    }

    @Override
    public String toString() {
        return "RunnerPool[" + name + ", " + scaling + ", " + template + "]";
    }

    /** Builds a {@link RunnerPool}: every template setter, plus scaling. */
    public static final class Builder extends RunnerTemplate.AbstractBuilder<Builder> {
        private final String name;
        private Scaling scaling = Scaling.fixed(1);

        private Builder(String name) {
            this.name = name;
        }

        /** Starts from {@code template}'s settings (replacing any set so far). */
        public Builder template(RunnerTemplate template) {
            copy(Objects.requireNonNull(template, "template"));
            return this;
        }

        /** How many runners the pool keeps; default {@code Scaling.fixed(1)}. */
        public Builder scaling(Scaling scaling) {
            this.scaling = Objects.requireNonNull(scaling, "scaling");
            return this;
        }

        /**
         * Builds the pool.
         *
         * @throws InvalidSpecException naming the pool when a rule that spans fields is broken, e.g. more than
         *         {@value LabelSet#MAX_LABELS} labels counting the default ones
         */
        public RunnerPool build() {
            try {
                return new RunnerPool(name, buildTemplate(), scaling);
            } catch (InvalidSpecException e) {
                throw new InvalidSpecException("pool '" + name + "': " + e.getMessage(), e);
            }
        }
    }
}
