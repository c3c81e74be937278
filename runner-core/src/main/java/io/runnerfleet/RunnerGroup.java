package io.runnerfleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A runner group and the access rules GitHub applies to it: which repositories may send jobs to its
 * runners, whether public repositories may, and whether only selected workflows may.
 *
 * <pre>{@code
 * RunnerGroup.defaultGroup();                                   // "Default": all private repositories
 * RunnerGroup.named("boards")
 *     .selectedRepositories("acme/firmware", "acme/bsp")        // visibility: selected
 *     .allowPublicRepositories(true)
 *     .selectedWorkflows("acme/firmware/.github/workflows/hil.yml@refs/heads/main");
 * }</pre>
 *
 * <p>Like GitHub, a group (the {@code Default} one included) does not take jobs from public
 * repositories unless {@link #allowPublicRepositories} is set, because a fork's pull request could
 * run code on the runner. Repository names ({@code owner/name}) and group names compare
 * case-insensitively. A group restricted to workflows only accepts a job whose
 * {@link JobRequest#workflow()} is known and listed; a job that does not say its workflow is excluded
 * (the matcher says so), since the rule cannot be checked.
 *
 * @param name the group's name
 * @param visibility which repositories may use it
 * @param selectedRepositories the repositories ({@code owner/name}) for {@link Visibility#SELECTED}
 * @param allowsPublicRepositories whether public repositories may use it
 * @param selectedWorkflows if not empty, the only workflows ({@code owner/repo/path@ref}) that may use it
 */
public record RunnerGroup(String name, Visibility visibility, List<String> selectedRepositories,
                          boolean allowsPublicRepositories, List<String> selectedWorkflows) {

    /** The name of the group every runner joins unless told otherwise. */
    public static final String DEFAULT_NAME = "Default";

    /** Which repositories may use a group (GitHub's "Repository access"). */
    public enum Visibility {
        /** Every repository of the organization. */
        ALL,
        /** Only the selected repositories. */
        SELECTED,
        /** Only private (and internal) repositories. */
        PRIVATE
    }

    /** Validates and copies. */
    public RunnerGroup {
        if (name == null || name.isBlank() || !name.strip().equals(name)) {
            throw new InvalidSpecException("runner group name '" + name + "' must not be blank or padded with whitespace");
        }
        Objects.requireNonNull(visibility, "visibility");
        selectedRepositories = List.copyOf(selectedRepositories);
        selectedRepositories.forEach(r -> JobRequest.validateRepository(r, "runner group '" + name + "'"));
        selectedWorkflows = List.copyOf(selectedWorkflows);
        for (String w : selectedWorkflows) {
            if (w.isBlank() || !w.contains("/")) {
                throw new InvalidSpecException("runner group '" + name + "': workflow '" + w
                        + "' is not owner/repo/path@ref, e.g. 'acme/app/.github/workflows/ci.yml@refs/heads/main'");
            }
        }
        if (visibility == Visibility.SELECTED && selectedRepositories.isEmpty()) {
            throw new InvalidSpecException("runner group '" + name
                    + "' has visibility SELECTED but no repositories; name them with selectedRepositories(...)");
        }
        if (visibility == Visibility.PRIVATE && allowsPublicRepositories) {
            throw new InvalidSpecException("runner group '" + name + "' is for private repositories only; "
                    + "it cannot also allow public ones");
        }
        if (visibility != Visibility.SELECTED && !selectedRepositories.isEmpty()) {
            throw new InvalidSpecException("runner group '" + name + "' lists repositories but has visibility "
                    + visibility + "; selected repositories only apply to visibility SELECTED");
        }
    }

    /** The {@code Default} group: every private repository, no public ones, every workflow. */
    public static RunnerGroup defaultGroup() {
        return named(DEFAULT_NAME);
    }

    /** A group with GitHub's defaults for a new group: every private repository, no public ones, every workflow. */
    public static RunnerGroup named(String name) {
        return new RunnerGroup(name, Visibility.ALL, List.of(), false, List.of());
    }

    /** Whether this is the {@code Default} group. */
    public boolean isDefault() {
        return DEFAULT_NAME.equalsIgnoreCase(name);
    }

    /** Whether this group has the given name, ignoring case. */
    public boolean hasName(String other) {
        return other != null && name.equalsIgnoreCase(other);
    }

    /** The same group, used by only these repositories ({@code owner/name}). */
    public RunnerGroup selectedRepositories(String... repositories) {
        return new RunnerGroup(name, Visibility.SELECTED, List.of(repositories), allowsPublicRepositories, selectedWorkflows);
    }

    /** The same group, used by private repositories only. */
    public RunnerGroup privateRepositoriesOnly() {
        return new RunnerGroup(name, Visibility.PRIVATE, List.of(), false, selectedWorkflows);
    }

    /** The same group, with public repositories allowed or not. */
    public RunnerGroup allowPublicRepositories(boolean allow) {
        return new RunnerGroup(name, visibility, selectedRepositories, allow, selectedWorkflows);
    }

    /** The same group, used only by these workflows ({@code owner/repo/path@ref}). */
    public RunnerGroup selectedWorkflows(String... workflows) {
        return new RunnerGroup(name, visibility, selectedRepositories, allowsPublicRepositories, List.of(workflows));
    }

    /**
     * Why this group's rules keep {@code job} from its runners, or empty when they allow it. Only the
     * repository rules are checked here; labels and the job's targeted group are the matcher's part.
     */
    public Optional<String> exclusion(JobRequest job) {
        List<String> reasons = new ArrayList<>();
        String repo = job.repository();
        if (job.publicRepository() && visibility == Visibility.PRIVATE) {
            reasons.add("runner group '" + name + "' is for private repositories only and "
                    + (repo == null ? "the job's repository" : repo) + " is public");
        } else if (job.publicRepository() && !allowsPublicRepositories) {
            reasons.add("runner group '" + name + "' does not allow public repositories and "
                    + (repo == null ? "the job's repository" : repo) + " is public; enable \"Allow public repositories\" "
                    + "on the group (only if forks cannot run untrusted code on it) or use another group");
        }
        if (visibility == Visibility.SELECTED) {
            if (repo == null) {
                reasons.add("runner group '" + name + "' is limited to " + selectedRepositories
                        + " and the job does not say its repository");
            } else if (selectedRepositories.stream().noneMatch(r -> r.equalsIgnoreCase(repo))) {
                reasons.add("runner group '" + name + "' is limited to " + selectedRepositories + " and " + repo
                        + " is not one of them; add it to the group's repository access");
            }
        }
        if (!selectedWorkflows.isEmpty()) {
            String wf = job.workflow();
            if (wf == null) {
                reasons.add("runner group '" + name + "' is limited to selected workflows and the job does not say its workflow");
            } else if (selectedWorkflows.stream().noneMatch(w -> w.toLowerCase(Locale.ROOT).equals(wf.toLowerCase(Locale.ROOT)))) {
                reasons.add("runner group '" + name + "' is limited to workflows " + selectedWorkflows + " and "
                        + wf + " is not one of them");
            }
        }
        return reasons.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", reasons));
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RunnerGroup[").append(name).append(", ");
        b.append(switch (visibility) {
            case ALL -> "all repositories";
            case SELECTED -> "repositories " + selectedRepositories;
            case PRIVATE -> "private repositories";
        });
        if (allowsPublicRepositories) {
            b.append(", public allowed");
        }
        if (!selectedWorkflows.isEmpty()) {
            b.append(", workflows ").append(selectedWorkflows);
        }
        return b.append(']').toString();
    }
}
