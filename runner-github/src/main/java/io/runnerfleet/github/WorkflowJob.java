package io.runnerfleet.github;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

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
 * @param conclusion e.g. {@code success}, once completed
 * @param labels the {@code runs-on} labels
 * @param runnerId the runner that took it, once one did
 * @param runnerName that runner's name
 * @param runnerGroupId that runner's group
 * @param createdAt when the job was created (GitHub's own example omits it)
 * @param startedAt when it started (absent when GitHub omits it)
 * @param completedAt when it completed, once it did
 * @param workflowName the workflow's name
 * @param headBranch the branch
 * @param htmlUrl the job's page
 */
public record WorkflowJob(long id, long runId, String name, String status, @Nullable String conclusion,
                          List<String> labels, @Nullable Long runnerId, @Nullable String runnerName,
                          @Nullable Long runnerGroupId, @Nullable Instant createdAt, @Nullable Instant startedAt,
                          @Nullable Instant completedAt, @Nullable String workflowName, @Nullable String headBranch,
                          @Nullable String htmlUrl) {
    /** Checks the required parts are present and copies the labels. */
    public WorkflowJob {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        labels = List.copyOf(labels);
    }
}
