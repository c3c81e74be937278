package io.runnerfleet.github;

import java.util.Objects;

/**
 * A repository as GitHub lists it in a runner group's access list.
 *
 * <pre>{@code
 * runners.groupRepositories(2).forEach(r -> System.out.println(r.fullName()));
 * }</pre>
 *
 * @param id the repository's id
 * @param name its name
 * @param fullName {@code owner/name}
 * @param isPrivate whether it is private
 */
public record GitHubRepository(long id, String name, String fullName, boolean isPrivate) {
    /** Checks the names are present. */
    public GitHubRepository {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fullName, "fullName");
    }
}
