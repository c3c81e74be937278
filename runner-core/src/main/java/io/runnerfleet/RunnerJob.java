package io.runnerfleet;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The job a runner runs, as a demand source reported it (a {@code workflow_job} webhook, a scale set's
 * {@code JobStarted} message): shown as {@link Runner#job()} while the runner runs it.
 *
 * <pre>{@code
 * fleet.jobStarted("s1lqc-qemu-1", new RunnerJob("29679449", "build (ubuntu)", "acme/widgets", 5913, startedAt));
 * fleet.runner("s1lqc-qemu-1").map(Runner::job);   // Optional[RunnerJob[29679449 build (ubuntu) of acme/widgets]]
 * }</pre>
 *
 * <p>Nothing secret: no token, no log, no environment.
 *
 * @param id GitHub's id of the job: the REST API's and webhooks' number in decimal, or a scale set's job id
 * @param name the job's name as GitHub shows it (may be empty when the source does not say)
 * @param repository the repository's {@code owner/name} (may be empty when the source does not say)
 * @param runId the workflow run's id, or 0 when not known
 * @param startedAt when GitHub says the job started, if it says
 */
public record RunnerJob(String id, String name, String repository, long runId, @Nullable Instant startedAt) {

    /**
     * Checks the parts.
     *
     * @throws InvalidSpecException when the id is blank or the run id negative
     */
    public RunnerJob {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new InvalidSpecException("a RunnerJob needs GitHub's job id; got a blank one (job '" + name
                    + "' of " + repository + ")");
        }
        name = Objects.requireNonNullElse(name, "");
        repository = Objects.requireNonNullElse(repository, "");
        if (runId < 0) {
            throw new InvalidSpecException("job " + id + ": a workflow run id is positive (or 0 when not known),"
                    + " got " + runId);
        }
    }

    /** {@code RunnerJob[29679449 build (ubuntu) of acme/widgets]}. */
    @Override
    public String toString() {
        return "RunnerJob[" + id + (name.isEmpty() ? "" : " " + name) + (repository.isEmpty() ? "" : " of " + repository)
                + "]";
    }
}
