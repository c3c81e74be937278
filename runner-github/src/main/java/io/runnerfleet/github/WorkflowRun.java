package io.runnerfleet.github;

import java.time.Instant;
import java.util.Objects;

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
 * @param name the workflow's name, may be {@code null}
 * @param status e.g. {@code queued}, {@code in_progress}, {@code completed}
 * @param conclusion e.g. {@code success}, {@code null} while running
 * @param headBranch the branch, may be {@code null}
 * @param headSha the commit
 * @param runAttempt the attempt number, {@code 1} for the first
 * @param createdAt when the run was created
 * @param htmlUrl the run's page
 */
public record WorkflowRun(long id, String name, String status, String conclusion, String headBranch, String headSha,
                          long runAttempt, Instant createdAt, String htmlUrl) {
    /** Checks the required parts are present. */
    public WorkflowRun {
        Objects.requireNonNull(headSha, "headSha");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
