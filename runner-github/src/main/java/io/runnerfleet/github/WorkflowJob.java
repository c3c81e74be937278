package io.runnerfleet.github;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A job of a workflow run, from the jobs API or a {@code workflow_job} webhook: its {@code runs-on}
 * labels tell which runners can take it.
 *
 * <pre>{@code
 * LabelSet wanted = LabelSet.of(job.labels());
 * }</pre>
 *
 * @param id the job's id
 * @param runId its run's id
 * @param name the job's name
 * @param status {@code queued}, {@code in_progress}, {@code completed}, {@code waiting}, ...
 * @param conclusion e.g. {@code success}, {@code null} until completed
 * @param labels the {@code runs-on} labels
 * @param runnerId the runner that took it, {@code null} while queued
 * @param runnerName that runner's name, {@code null} while queued
 * @param runnerGroupId that runner's group, {@code null} while queued
 * @param createdAt when the job was created; may be {@code null} (GitHub's own example omits it)
 * @param startedAt when it started
 * @param completedAt when it completed, {@code null} before
 * @param workflowName the workflow's name, may be {@code null}
 * @param headBranch the branch, may be {@code null}
 * @param htmlUrl the job's page, may be {@code null}
 */
public record WorkflowJob(long id, long runId, String name, String status, String conclusion, List<String> labels,
                          Long runnerId, String runnerName, Long runnerGroupId, Instant createdAt, Instant startedAt,
                          Instant completedAt, String workflowName, String headBranch, String htmlUrl) {
    /** Checks the required parts are present and copies the labels. */
    public WorkflowJob {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        labels = List.copyOf(labels);
    }
}
