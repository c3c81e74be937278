package io.runnerfleet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The answer of {@link Matcher#match}: who can take a job, which pool to grow for it, and, per
 * candidate that cannot, why.
 *
 * <pre>{@code
 * MatchResult result = matcher.match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi"));
 * if (!result.matched()) {
 *     System.out.println(result.explain());   // "nobody can take ...:  - pool qemu lacks [phytiumpi] ..."
 * }
 * }</pre>
 *
 * @param job the job
 * @param eligible the candidates that can take it, in the matcher's order
 * @param rejections the candidates that cannot, each with its reasons, in the matcher's order
 * @param warnings advice about the job itself (such as asking for {@code self-hosted} alone)
 */
public record MatchResult(JobRequest job, List<Matcher.Candidate> eligible, List<Rejection> rejections,
                          List<String> warnings) {

    /**
     * Why one candidate cannot take the job.
     *
     * @param candidate the candidate
     * @param missingLabels the job's labels it lacks, in the job's spelling (empty when labels are not the problem)
     * @param groupReason why its runner group keeps the job away (absent when the group is not the problem)
     */
    public record Rejection(Matcher.Candidate candidate, LabelSet missingLabels, @Nullable String groupReason) {
        /** Checks the parts. */
        public Rejection {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(missingLabels, "missingLabels");
            if (missingLabels.isEmpty() && groupReason == null) {
                throw new IllegalArgumentException("a rejection of " + candidate + " needs a reason");
            }
        }

        /** One sentence: {@code pool qemu lacks [phytiumpi]; runner group 'Default' does not allow ...}. */
        public String reason() {
            StringBuilder b = new StringBuilder(candidate.toString());
            if (!missingLabels.isEmpty()) {
                b.append(" lacks ").append(missingLabels);
            }
            if (groupReason != null) {
                b.append(missingLabels.isEmpty() ? ": " : "; ").append(groupReason);
            }
            return b.toString();
        }
    }

    /** Copies the lists. */
    public MatchResult {
        Objects.requireNonNull(job, "job");
        eligible = List.copyOf(eligible);
        rejections = List.copyOf(rejections);
        warnings = List.copyOf(warnings);
    }

    /** Whether any candidate can take the job. */
    public boolean matched() {
        return !eligible.isEmpty();
    }

    /** The runners that can take the job. */
    public List<Matcher.Candidate> runners() {
        return eligible.stream().filter(c -> c.kind() == Matcher.Candidate.Kind.RUNNER).toList();
    }

    /** The pools that can take the job. */
    public List<Matcher.Candidate> pools() {
        return eligible.stream().filter(c -> c.kind() == Matcher.Candidate.Kind.POOL).toList();
    }

    /**
     * The pool to grow for this job: the eligible pool with the fewest labels, the first one given on a
     * tie; empty when no pool can take it.
     */
    public Optional<Matcher.Candidate> poolToGrow() {
        Matcher.Candidate best = null;
        for (Matcher.Candidate c : pools()) {
            if (best == null || c.labels().size() < best.labels().size()) {
                best = c;
            }
        }
        return Optional.ofNullable(best);
    }

    /** A multi-line explanation for people: who can take the job, or why nobody can, then the warnings. */
    public String explain() {
        StringBuilder b = new StringBuilder();
        if (matched()) {
            b.append(eligible.size()).append(" can take ").append(job).append(": ")
                    .append(eligible.stream().map(Object::toString).toList());
            poolToGrow().ifPresent(p -> b.append("; grow ").append(p));
        } else {
            b.append("nobody can take ").append(job).append(':');
            for (Rejection r : rejections) {
                b.append("\n  - ").append(r.reason());
            }
        }
        for (String w : warnings) {
            b.append("\n  warning: ").append(w);
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return matched()
                ? "MatchResult[" + job + " -> " + eligible + "]"
                : "MatchResult[" + job + " -> nobody, " + rejections.size() + " rejected]";
    }
}
