package io.runnerfleet.github.scaleset;

import io.runnerfleet.RunnerJob;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a scale set hears about a job: it is available (and must be acquired), assigned to the set,
 * started on a runner, or completed.
 *
 * <pre>{@code
 * if (job instanceof JobMessage.JobStarted s) {
 *     markBusy(s.runnerName());
 * } else if (job instanceof JobMessage.JobCompleted c) {
 *     remove(c.runnerName());
 * }
 * }</pre>
 *
 * <p>The same job may be reported more than once (a message is redelivered until acknowledged, and a
 * {@code canceled} completion can repeat), so handle each by its {@link Job#runnerRequestId()} or runner
 * name idempotently.
 */
public sealed interface JobMessage {
    /** The facts every job message carries. */
    Job job();

    /**
     * The facts every job message carries. Times GitHub left unset (its zero date) are empty.
     *
     * @param runnerRequestId the id to acquire the job with
     * @param repositoryName the repository's name without its owner
     * @param ownerName the repository's owner
     * @param jobId the job's id (a string)
     * @param jobWorkflowRef e.g. {@code acme/app/.github/workflows/ci.yml@refs/heads/main}
     * @param jobDisplayName the job's name as shown on GitHub
     * @param workflowRunId the workflow run's id
     * @param eventName the event that started the run, e.g. {@code push}
     * @param requestLabels the job's {@code runs-on} labels
     * @param queueTime when the job was queued
     * @param scaleSetAssignTime when it was assigned to the set
     * @param runnerAssignTime when it was assigned to a runner
     * @param finishTime when it finished
     */
    record Job(long runnerRequestId, String repositoryName, String ownerName, String jobId, String jobWorkflowRef,
               String jobDisplayName, long workflowRunId, String eventName, List<String> requestLabels,
               Optional<Instant> queueTime, Optional<Instant> scaleSetAssignTime, Optional<Instant> runnerAssignTime,
               Optional<Instant> finishTime) {
        /** Checks the parts; absent strings are empty. */
        public Job {
            repositoryName = Objects.requireNonNullElse(repositoryName, "");
            ownerName = Objects.requireNonNullElse(ownerName, "");
            jobId = Objects.requireNonNullElse(jobId, "");
            jobWorkflowRef = Objects.requireNonNullElse(jobWorkflowRef, "");
            jobDisplayName = Objects.requireNonNullElse(jobDisplayName, "");
            eventName = Objects.requireNonNullElse(eventName, "");
            requestLabels = List.copyOf(requestLabels);
            Objects.requireNonNull(queueTime, "queueTime");
            Objects.requireNonNull(scaleSetAssignTime, "scaleSetAssignTime");
            Objects.requireNonNull(runnerAssignTime, "runnerAssignTime");
            Objects.requireNonNull(finishTime, "finishTime");
        }

        /**
         * The job as a runner runs it ({@code RunnerFleet.jobStarted}): the job id (the runner request's id when
         * GitHub sent none), display name, {@code owner/name}, run id and the time it was assigned to the runner.
         */
        public RunnerJob runnerJob() {
            String repository = ownerName.isEmpty() || repositoryName.isEmpty() ? repositoryName
                    : ownerName + "/" + repositoryName;
            return new RunnerJob(jobId.isBlank() ? Long.toString(runnerRequestId) : jobId, jobDisplayName, repository,
                    Math.max(0, workflowRunId), runnerAssignTime.orElse(null));
        }
    }

    /**
     * A job the set may take; it is the set's only after it is acquired
     * ({@link ScaleSetClient#acquireJobs}), which {@link ScaleSetListener} does before handing it on.
     *
     * @param job the job
     * @param acquireJobUrl the URL GitHub named for acquiring it (informational)
     */
    record JobAvailable(Job job, String acquireJobUrl) implements JobMessage {
        /** Checks the parts. */
        public JobAvailable {
            Objects.requireNonNull(job, "job");
            acquireJobUrl = Objects.requireNonNullElse(acquireJobUrl, "");
        }
    }

    /** The job is assigned to the set and waits for a runner. @param job the job */
    record JobAssigned(Job job) implements JobMessage {
        /** Checks the parts. */
        public JobAssigned {
            Objects.requireNonNull(job, "job");
        }
    }

    /**
     * A runner of the set started the job.
     *
     * @param job the job
     * @param runnerId the runner's id
     * @param runnerName the runner's name (the name its JIT config was generated for)
     */
    record JobStarted(Job job, long runnerId, String runnerName) implements JobMessage {
        /** Checks the parts. */
        public JobStarted {
            Objects.requireNonNull(job, "job");
            runnerName = Objects.requireNonNullElse(runnerName, "");
        }
    }

    /**
     * The job finished, or was canceled before a runner took it (then {@code runnerName} is empty).
     *
     * @param job the job
     * @param result e.g. {@code succeeded}, {@code failed} or {@code canceled}
     * @param runnerId the runner's id, {@code 0} when none ran it
     * @param runnerName the runner's name, empty when none ran it
     */
    record JobCompleted(Job job, String result, long runnerId, String runnerName) implements JobMessage {
        /** Checks the parts. */
        public JobCompleted {
            Objects.requireNonNull(job, "job");
            result = Objects.requireNonNullElse(result, "");
            runnerName = Objects.requireNonNullElse(runnerName, "");
        }
    }
}
