package io.runnerfleet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Decides which runners and pools can take a job by GitHub's rules, which pool to grow for it, and
 * why nobody can.
 *
 * <pre>{@code
 * Matcher matcher = Matcher.of(
 *     Matcher.Candidate.pool("qemu", LabelSet.of("self-hosted", "Linux", "X64", "intel"), RunnerGroup.defaultGroup()),
 *     Matcher.Candidate.pool("phytiumpi", LabelSet.of("self-hosted", "Linux", "ARM64", "phytiumpi"), RunnerGroup.defaultGroup()));
 * MatchResult result = matcher.match(JobRequest.runsOn("self-hosted", "linux", "intel"));
 * result.poolToGrow();     // Optional[pool qemu]
 * result.explain();        // who can take it, or per candidate why not
 * }</pre>
 *
 * <p>The rules: every {@code runs-on} label must be among the candidate's labels, ignoring case (the
 * candidate may have more); a job that targets a runner group only goes to candidates in that group;
 * the candidate's group must admit the job's repository ({@link RunnerGroup#exclusion}).
 *
 * <p>Which pool to grow: among the pools that can take the job, the most specific one, meaning the one
 * with the fewest labels (so a job that any runner could take does not consume a board pool that also
 * matches); ties go to the pool given first. Capacity is not the matcher's concern: leave pools at
 * their maximum out of the candidates. Immutable and thread-safe.
 */
public final class Matcher {
    private final List<Candidate> candidates;

    private Matcher(List<Candidate> candidates) {
        this.candidates = candidates;
    }

    /** A matcher over these pools, in this order (the order breaks ties). */
    public static Matcher forPools(List<RunnerPool> pools) {
        return of(pools.stream().map(RunnerPool::candidate).toList());
    }

    /** A matcher over these candidates, in this order (the order breaks ties). */
    public static Matcher of(Candidate... candidates) {
        return of(List.of(candidates));
    }

    /**
     * A matcher over these candidates, in this order (the order breaks ties).
     *
     * @throws InvalidSpecException if two candidates of the same kind share a name
     */
    public static Matcher of(Collection<Candidate> candidates) {
        List<Candidate> list = List.copyOf(candidates);
        Set<String> seen = new HashSet<>();
        for (Candidate c : list) {
            if (!seen.add(c.kind() + "/" + c.name().toLowerCase(Locale.ROOT))) {
                throw new InvalidSpecException("two candidates are both " + c + "; names must be unique per kind");
            }
        }
        return new Matcher(list);
    }

    /** The candidates, in order. */
    public List<Candidate> candidates() {
        return candidates;
    }

    /** Matches {@code job} against every candidate. */
    public MatchResult match(JobRequest job) {
        Objects.requireNonNull(job, "job");
        List<Candidate> eligible = new ArrayList<>();
        List<MatchResult.Rejection> rejections = new ArrayList<>();
        for (Candidate c : candidates) {
            LabelSet missing = c.labels().missing(job.labels());
            List<String> groupReasons = new ArrayList<>();
            if (job.group() != null && !c.group().hasName(job.group())) {
                groupReasons.add("it is in runner group '" + c.group().name() + "' and the job targets group '" + job.group() + "'");
            }
            c.group().exclusion(job).ifPresent(groupReasons::add);
            if (missing.isEmpty() && groupReasons.isEmpty()) {
                eligible.add(c);
            } else {
                rejections.add(new MatchResult.Rejection(c, missing,
                        groupReasons.isEmpty() ? null : String.join("; ", groupReasons)));
            }
        }
        List<String> warnings = new ArrayList<>();
        if (job.selfHostedOnly()) {
            warnings.add("the job asks for 'self-hosted' alone, so any self-hosted runner of the scope may take it "
                    + "(board runners included); add the labels that say what it needs, e.g. [self-hosted, linux, x64]");
        }
        if (candidates.isEmpty()) {
            warnings.add("there are no runners or pools to match against");
        }
        return new MatchResult(job, eligible, rejections, warnings);
    }

    @Override
    public String toString() {
        return "Matcher" + candidates;
    }

    /**
     * Something that can take jobs: a pool (which the fleet can grow) or a runner.
     *
     * @param kind pool or runner
     * @param name its name
     * @param labels every label it has or will register with, default labels included
     * @param group its runner group
     */
    public record Candidate(Kind kind, String name, LabelSet labels, RunnerGroup group) {
        /** Whether a candidate is a pool or a runner. */
        public enum Kind {
            /** A pool: a template the fleet can start more runners from. */
            POOL,
            /** A runner that exists. */
            RUNNER
        }

        /** Checks the parts are present. */
        public Candidate {
            Objects.requireNonNull(kind, "kind");
            if (name == null || name.isBlank()) {
                throw new InvalidSpecException("a match candidate needs a name");
            }
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(group, "group");
        }

        /** A pool with these effective labels, in this group. */
        public static Candidate pool(String name, LabelSet labels, RunnerGroup group) {
            return new Candidate(Kind.POOL, name, labels, group);
        }

        /** A runner as GitHub lists it, in the group it belongs to. */
        public static Candidate runner(io.runnerfleet.spi.RegisteredRunner runner, RunnerGroup group) {
            return new Candidate(Kind.RUNNER, runner.name(), runner.labels(), group);
        }

        /** A runner with these labels, in this group. */
        public static Candidate runner(String name, LabelSet labels, RunnerGroup group) {
            return new Candidate(Kind.RUNNER, name, labels, group);
        }

        @Override
        public String toString() {
            return (kind == Kind.POOL ? "pool " : "runner ") + name;
        }
    }
}
