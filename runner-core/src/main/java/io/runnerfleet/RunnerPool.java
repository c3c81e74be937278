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
 * {@link Builder#scaling} (default {@code Scaling.fixed(1)}), {@link Builder#warmth} (default
 * {@link Warmth#NONE}: runners ready before jobs ask, see {@link Warmth}) and {@link Builder#template} to
 * start from an existing template. The name follows {@link RunnerName#validatePart}. Immutable.
 */
public final class RunnerPool {
    private final String name;
    private final RunnerTemplate template;
    private final Scaling scaling;
    private final Warmth warmth;

    private RunnerPool(String name, RunnerTemplate template, Scaling scaling, Warmth warmth) {
        checkWarmth(name, scaling, warmth);
        this.name = name;
        this.template = template;
        this.scaling = scaling;
        this.warmth = warmth;
    }

    // What a warmth means depends on the scaling; refused here so that a pool never holds a pair the fleet
    // would have to reinterpret.
    private static void checkWarmth(String name, Scaling scaling, Warmth warmth) {
        String pool = "pool '" + name + "' (" + scaling + ", " + warmth + "): ";
        if (scaling instanceof Scaling.Fixed) {
            if (warmth.idle() != 0 || warmth.overProvision() != 1.0 || !warmth.stayWarm().isZero()) {
                throw new InvalidSpecException(pool + "a fixed pool keeps its count ready already; idle, overProvision"
                        + " and stayWarm apply to on-demand pools only (use Scaling.onDemand, or schedules to change the"
                        + " fixed count by time of day)");
            }
            return;
        }
        int most = Math.max(warmth.idle(), warmth.schedules().stream().mapToInt(WarmSchedule::runners).max().orElse(0));
        if (most > scaling.max()) {
            throw new InvalidSpecException(pool + "keeps up to " + most + " idle runners but the pool has at most "
                    + scaling.max() + "; lower the idle minimum or raise the pool's max");
        }
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

    /** Which runners it keeps ready before jobs ask ({@link Warmth#NONE} unless set). */
    public Warmth warmth() {
        return warmth;
    }

    /** The same pool with another template (a new image, say). */
    public RunnerPool withTemplate(RunnerTemplate template) {
        return new RunnerPool(name, Objects.requireNonNull(template, "template"), scaling, warmth);
    }

    /**
     * The same pool with another scaling policy.
     *
     * @throws InvalidSpecException when the pool's warmth does not fit the new policy
     */
    public RunnerPool withScaling(Scaling scaling) {
        return new RunnerPool(name, template, Objects.requireNonNull(scaling, "scaling"), warmth);
    }

    /**
     * The same pool kept warm another way.
     *
     * @throws InvalidSpecException when the warmth does not fit the pool's scaling (see {@link Builder#warmth})
     */
    public RunnerPool withWarmth(Warmth warmth) {
        return new RunnerPool(name, template, scaling, Objects.requireNonNull(warmth, "warmth"));
    }

    /** This pool as a {@link Matcher} candidate: its effective labels and runner group. */
    public Matcher.Candidate candidate() {
        return Matcher.Candidate.pool(name, template.effectiveLabels(), template.runnerGroup());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RunnerPool p && p.name.equals(name) && p.template.equals(template) && p.scaling.equals(scaling)
                && p.warmth.equals(warmth);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, template, scaling, warmth);
    }

    @Override
    public String toString() {
        return "RunnerPool[" + name + ", " + scaling + (warmth.isNone() ? "" : ", " + warmth) + ", " + template + "]";
    }

    /** Builds a {@link RunnerPool}: every template setter, plus scaling. */
    public static final class Builder extends RunnerTemplate.AbstractBuilder<Builder> {
        private final String name;
        private Scaling scaling = Scaling.fixed(1);
        private Warmth warmth = Warmth.NONE;

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
         * Which runners the pool keeps ready before jobs ask; default {@link Warmth#NONE}. Checked against the
         * scaling at {@link #build()}: an idle minimum (or a schedule's) above the pool's max is refused, and a
         * fixed pool takes schedules only.
         */
        public Builder warmth(Warmth warmth) {
            this.warmth = Objects.requireNonNull(warmth, "warmth");
            return this;
        }

        /** {@link #warmth(Warmth)} from its builder. */
        public Builder warmth(Warmth.Builder warmth) {
            return warmth(Objects.requireNonNull(warmth, "warmth").build());
        }

        /**
         * Builds the pool.
         *
         * @throws InvalidSpecException naming the pool when a rule that spans fields is broken, e.g. more than
         *         {@value LabelSet#MAX_LABELS} labels counting the default ones, or a warmth that does not fit the scaling
         */
        public RunnerPool build() {
            RunnerTemplate template;
            try {
                template = buildTemplate();
            } catch (InvalidSpecException e) {
                throw new InvalidSpecException("pool '" + name + "': " + e.getMessage(), e);
            }
            return new RunnerPool(name, template, scaling, warmth);   // names the pool itself
        }
    }
}
