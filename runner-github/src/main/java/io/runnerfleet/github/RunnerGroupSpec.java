package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What a runner group should look like, for creating or updating one.
 *
 * <pre>{@code
 * RunnerGroupSpec spec = RunnerGroupSpec.named("boards")
 *     .visibility(RunnerGroupSpec.Visibility.SELECTED)
 *     .selectedRepositoryIds(List.of(32L, 91L))
 *     .allowsPublicRepositories(false);
 * runners.createGroup(spec);
 * }</pre>
 *
 * <p>Defaults: visibility {@code all}, no repositories or runners, public repositories not allowed,
 * not restricted to workflows. On update GitHub requires the name; repository and runner lists are
 * set with the group's own calls, not with update.
 *
 * @param name the group's name
 * @param visibility who may use the group
 * @param selectedRepositoryIds repositories allowed when visibility is {@code selected} (create only)
 * @param runnerIds runners to put into the group (create only)
 * @param allowsPublicRepositories whether public repositories may use its runners
 * @param restrictedToWorkflows whether only {@code selectedWorkflows} may use them
 * @param selectedWorkflows workflow refs such as {@code octo-org/app/.github/workflows/ci.yaml@main}
 */
public record RunnerGroupSpec(String name, Visibility visibility, List<Long> selectedRepositoryIds, List<Long> runnerIds,
                              boolean allowsPublicRepositories, boolean restrictedToWorkflows,
                              List<String> selectedWorkflows) {

    /** Who may use a group's runners. */
    public enum Visibility {
        /** Every repository of the organization. */
        ALL,
        /** Only the selected repositories. */
        SELECTED,
        /** Private repositories only. */
        PRIVATE;

        String json() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Validates the spec and copies the lists. */
    public RunnerGroupSpec {
        if (name == null || name.isBlank()) {
            throw new InvalidSpecException("a runner group needs a name that is not blank");
        }
        Objects.requireNonNull(visibility, "visibility");
        selectedRepositoryIds = List.copyOf(selectedRepositoryIds);
        runnerIds = List.copyOf(runnerIds);
        selectedWorkflows = List.copyOf(selectedWorkflows);
        if (!selectedRepositoryIds.isEmpty() && visibility != Visibility.SELECTED) {
            throw new InvalidSpecException("runner group '" + name + "' lists repositories but has visibility "
                    + visibility.json() + "; use visibility SELECTED");
        }
    }

    /** A group with this name and the defaults. */
    public static RunnerGroupSpec named(String name) {
        return new RunnerGroupSpec(name, Visibility.ALL, List.of(), List.of(), false, false, List.of());
    }

    /** A copy with another visibility. */
    public RunnerGroupSpec visibility(Visibility v) {
        return new RunnerGroupSpec(name, v, v == Visibility.SELECTED ? selectedRepositoryIds : List.of(), runnerIds,
                allowsPublicRepositories, restrictedToWorkflows, selectedWorkflows);
    }

    /** A copy that allows these repositories (visibility {@code selected}). */
    public RunnerGroupSpec selectedRepositoryIds(List<Long> ids) {
        return new RunnerGroupSpec(name, Visibility.SELECTED, ids, runnerIds, allowsPublicRepositories,
                restrictedToWorkflows, selectedWorkflows);
    }

    /** A copy that puts these runners into the group on creation. */
    public RunnerGroupSpec runnerIds(List<Long> ids) {
        return new RunnerGroupSpec(name, visibility, selectedRepositoryIds, ids, allowsPublicRepositories,
                restrictedToWorkflows, selectedWorkflows);
    }

    /** A copy that does or does not allow public repositories. */
    public RunnerGroupSpec allowsPublicRepositories(boolean allow) {
        return new RunnerGroupSpec(name, visibility, selectedRepositoryIds, runnerIds, allow, restrictedToWorkflows,
                selectedWorkflows);
    }

    /** A copy restricted to these workflows (an empty list lifts the restriction). */
    public RunnerGroupSpec selectedWorkflows(List<String> workflows) {
        return new RunnerGroupSpec(name, visibility, selectedRepositoryIds, runnerIds, allowsPublicRepositories,
                !workflows.isEmpty(), workflows);
    }
}
