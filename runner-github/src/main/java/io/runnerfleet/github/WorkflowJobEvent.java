package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.github.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A {@code workflow_job} webhook delivery: a job was queued, started, completed or is waiting.
 *
 * <pre>{@code
 * WorkflowJobWebhook hook = WorkflowJobWebhook.withSecret(Secret.of(System.getenv("WEBHOOK_SECRET")));
 * WorkflowJobEvent event = hook.parse(body, request.getHeader("X-Hub-Signature-256"));
 * if (event.action() == WorkflowJobEvent.Action.QUEUED) fleet.demand(event.jobRequest());
 * }</pre>
 *
 * <p>To receive deliveries over HTTP and grow a fleet for each queued job, use {@link WebhookReceiver}.
 *
 * @param action what happened
 * @param job the job
 * @param repository the repository's {@code owner/name}
 * @param privateRepository whether that repository is private ({@code repository.private}; absent means public,
 *                          the schema's default, which is also the stricter case for runner groups)
 * @param organization the organization's login; absent for a user's repository
 * @param installationId the GitHub App installation that received it; absent for a repository/org hook
 * @param sender the login of the user who caused it
 * @param runnerGroup the runner group of the runner that took the job ({@code workflow_job.runner_group_name}),
 *                    absent while queued
 */
public record WorkflowJobEvent(Action action, WorkflowJob job, String repository, boolean privateRepository,
                               @Nullable String organization, @Nullable Long installationId, String sender,
                               @Nullable String runnerGroup) {

    /** The four {@code action} values GitHub sends. */
    public enum Action {
        /** The job waits for a runner. */
        QUEUED,
        /** A runner took the job. */
        IN_PROGRESS,
        /** The job finished. */
        COMPLETED,
        /** The job waits for an environment's protection rules. */
        WAITING
    }

    /** Checks the parts are present. */
    public WorkflowJobEvent {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(repository, "repository");
    }

    /**
     * The job as core's matcher sees it: its {@code runs-on} labels, the repository, whether that is public,
     * and the runner group when the delivery names one. Pass it to {@code RunnerFleet.demand} or {@code match}.
     *
     * <p>Sharp edge: GitHub names the group only once a runner took the job, so a {@code queued} delivery
     * whose {@code runs-on} is a bare {@code group:} has no labels and no group, and cannot be matched.
     *
     * @throws InvalidSpecException when the job names no labels and no group, or a label or the repository
     *                              is not valid (the message says which)
     */
    public JobRequest jobRequest() {
        if (job.labels().isEmpty() && runnerGroup == null) {
            throw new InvalidSpecException("workflow_job " + job.id() + " (" + job.name() + ") of " + repository
                    + " names no runs-on labels and no runner group, so no pool can be chosen for it;"
                    + " give the job runs-on labels (e.g. runs-on: [self-hosted, linux])");
        }
        try {
            return new JobRequest(LabelSet.of(job.labels()), runnerGroup, repository, !privateRepository, null);
        } catch (InvalidSpecException e) {
            throw new InvalidSpecException("workflow_job " + job.id() + ": " + e.getMessage(), e);
        }
    }

    /** The job as a runner runs it ({@code RunnerFleet.jobStarted}): its id, name, repository, run and start. */
    public RunnerJob runnerJob() {
        return new RunnerJob(Long.toString(job.id()), job.name(), repository, Math.max(0, job.runId()), job.startedAt());
    }

    /**
     * Parses a delivery's body without checking its signature (use {@link WorkflowJobWebhook#parse} for
     * deliveries from the network).
     *
     * @throws WebhookException when the body is not a {@code workflow_job} event
     */
    public static WorkflowJobEvent parse(byte[] body) {
        Objects.requireNonNull(body, "body");
        Map<String, Object> o;
        try {
            o = Json.object(Json.parse(new String(body, StandardCharsets.UTF_8)), "the delivery");
        } catch (Json.MalformedJsonException e) {
            throw new WebhookException("the webhook body is not a JSON object (" + e.getMessage()
                    + "); is the hook's content type application/json?", false);
        }
        try {
            String a = Json.string(o, "action");
            Action action;
            try {
                action = Action.valueOf(a.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new WebhookException("workflow_job action '" + a
                        + "' is not one of queued, in_progress, completed, waiting", false);
            }
            if (!(o.get("workflow_job") instanceof Map<?, ?>)) {
                throw new WebhookException("the webhook body has no workflow_job object; is this a workflow_job"
                        + " delivery (X-GitHub-Event: workflow_job)?", false);
            }
            WorkflowJob job = Mappers.job(Json.object(o.get("workflow_job"), "workflow_job"));
            Map<String, Object> repo = Json.object(o.get("repository"), "repository");
            Map<String, Object> sender = Json.object(o.get("sender"), "sender");
            String org = o.get("organization") instanceof Map<?, ?>
                    ? Json.optString(Json.object(o.get("organization"), "organization"), "login") : null;
            Long installation = o.get("installation") instanceof Map<?, ?>
                    ? Json.optInteger(Json.object(o.get("installation"), "installation"), "id") : null;
            String group = Json.optString(Json.object(o.get("workflow_job"), "workflow_job"), "runner_group_name");
            return new WorkflowJobEvent(action, job, Json.string(repo, "full_name"), Json.bool(repo, "private"), org,
                    installation, Json.string(sender, "login"), group == null || group.isBlank() ? null : group);
        } catch (Json.MalformedJsonException | NullPointerException e) {
            throw new WebhookException("the workflow_job delivery lacks a required part: " + e.getMessage(), false);
        }
    }
}
