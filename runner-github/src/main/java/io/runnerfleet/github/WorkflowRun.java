package io.runnerfleet.github;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A workflow run of a repository, for finding queued work.
 *
 * <pre>{@code
 * for (WorkflowRun run : runners.workflowRuns("queued")) {
 *     runners.jobs(run.id()).forEach(job -> System.out.println(job.labels()));
 * }
 * }</pre>
 *
 * @param id the run's id
 * @param name the workflow's name
 * @param status e.g. {@code queued}, {@code in_progress}, {@code completed} (absent when GitHub omits it)
 * @param conclusion e.g. {@code success}, once completed
 * @param headBranch the branch
 * @param headSha the commit
 * @param runAttempt the attempt number, {@code 1} for the first
 * @param createdAt when the run was created
 * @param htmlUrl the run's page (absent when GitHub omits it)
 */
public record WorkflowRun(long id, @Nullable String name, @Nullable String status, @Nullable String conclusion,
                          @Nullable String headBranch, String headSha, long runAttempt, Instant createdAt,
                          @Nullable String htmlUrl) {
    /** Checks the required parts are present. */
    public WorkflowRun {
        Objects.requireNonNull(headSha, "headSha");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
