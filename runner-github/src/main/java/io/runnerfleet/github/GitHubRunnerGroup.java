package io.runnerfleet.github;

import java.util.List;
import java.util.Objects;

/**
 * An organization's self-hosted runner group.
 *
 * <pre>{@code
 * GitHubRunnerGroup ci = runners.createGroup(RunnerGroupSpec.named("ci").visibility(RunnerGroupSpec.Visibility.SELECTED));
 * }</pre>
 *
 * @param id the group's id ({@code 1} is the {@code Default} group)
 * @param name its name
 * @param visibility {@code all}, {@code selected} or {@code private}
 * @param isDefault whether it is the organization's default group
 * @param inherited whether it is inherited from the enterprise
 * @param allowsPublicRepositories whether public repositories may use its runners
 * @param restrictedToWorkflows whether only {@link #selectedWorkflows()} may use its runners
 * @param selectedWorkflows workflow refs allowed when restricted
 */
public record GitHubRunnerGroup(long id, String name, String visibility, boolean isDefault, boolean inherited,
                          boolean allowsPublicRepositories, boolean restrictedToWorkflows,
                          List<String> selectedWorkflows) {
    /** Checks the parts are present and copies the workflows. */
    public GitHubRunnerGroup {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(visibility, "visibility");
        selectedWorkflows = List.copyOf(selectedWorkflows);
    }
}
