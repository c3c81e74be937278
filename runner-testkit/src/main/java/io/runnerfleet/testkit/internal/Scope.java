package io.runnerfleet.testkit.internal;

/**
 * Where runners register and jobs run in the fake: an organization or one of its repositories. The
 * public {@code FakeScope} wraps one. The engine keeps one object per scope, so identity is equality;
 * its state is guarded by the {@link Engine}'s monitor like the rest of the model.
 */
public sealed interface Scope permits Model.Org, Model.Repo {

    /** {@code acme} for an organization, {@code acme/widgets} for a repository. */
    String fullName();

    /** Whether this is an organization (else a repository). */
    boolean isOrganization();

    /** The scope's path below the base URL, what {@code config.sh --url} ends with: {@code /acme} or {@code /acme/widgets}. */
    default String path() {
        return "/" + fullName();
    }
}
