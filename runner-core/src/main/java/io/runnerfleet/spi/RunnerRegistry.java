package io.runnerfleet.spi;

import java.util.List;

/**
 * The GitHub side of a fleet: what a runner needs to register, which runners are registered, and
 * deregistration. One registry serves one scope (a repository, an organization or an enterprise).
 *
 * <p>Implementations are blocking and thread-safe. {@link #delete} is idempotent: deleting a runner
 * that is already gone is not an error. Failures raise {@link io.runnerfleet.RegistrationException}
 * (or its subtypes) with messages that name the scope and the operation, never a token.
 */
public interface RunnerRegistry {

    /** A short description of the scope for messages and tables, e.g. {@code organization acme}. */
    String scope();

    /** The URL a runner registers with ({@code config.sh --url}), e.g. {@code https://github.com/acme}. */
    String registrationUrl();

    /**
     * A registration token for {@code config.sh --token}. Callers may reuse it for many runners until
     * shortly before {@link RegistrationToken#expiresAt()}.
     */
    RegistrationToken registrationToken();

    /**
     * A just-in-time configuration for one named runner ({@code run.sh --jitconfig}). Never retried
     * blindly: a name that already exists raises {@link RunnerNameConflictException}.
     */
    JitConfig jitConfig(JitRequest request);

    /**
     * The id of the runner group named {@code groupName}, for {@link JitRequest#runnerGroupId()}. The
     * default knows only {@code Default} (id 1, the same in every scope); registries that can list
     * groups override it.
     *
     * @throws io.runnerfleet.RegistrationException if the group is unknown in this scope
     */
    default long runnerGroupId(String groupName) {
        if (io.runnerfleet.RunnerGroup.DEFAULT_NAME.equalsIgnoreCase(groupName)) {
            return 1;
        }
        throw new io.runnerfleet.RegistrationException("runner group '" + groupName + "' cannot be resolved in " + scope()
                + ": this registry only knows the Default group; use runnerGroup(\"Default\") or a registry that lists groups");
    }

    /** Every runner registered in the scope (all pages), as GitHub sees them now. */
    List<RegisteredRunner> runners();

    /**
     * Removes a registration. Idempotent: a runner that is already gone is not an error.
     *
     * @throws io.runnerfleet.RunnerBusyException if the runner is running a job
     */
    void delete(RegisteredRunner runner);
}
