package io.runnerfleet.github;

import io.runnerfleet.github.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A {@code workflow_job} webhook delivery: a job was queued, started, completed or is waiting.
 *
 * <pre>{@code
 * WorkflowJobWebhook hook = WorkflowJobWebhook.withSecret(Secret.of(System.getenv("WEBHOOK_SECRET")));
 * WorkflowJobEvent event = hook.parse(body, request.getHeader("X-Hub-Signature-256"));
 * if (event.action() == WorkflowJobEvent.Action.QUEUED) fleet.match(JobRequest.runsOn(event.job().labels()));
 * }</pre>
 *
 * @param action what happened
 * @param job the job
 * @param repository the repository's {@code owner/name}
 * @param organization the organization's login, {@code null} for a user's repository
 * @param installationId the GitHub App installation that received it, {@code null} for a repository/org hook
 * @param sender the login of the user who caused it
 */
public record WorkflowJobEvent(Action action, WorkflowJob job, String repository, String organization,
                               Long installationId, String sender) {

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
            return new WorkflowJobEvent(action, job, Json.string(repo, "full_name"), org, installation,
                    Json.string(sender, "login"));
        } catch (Json.MalformedJsonException | NullPointerException e) {
            throw new WebhookException("the workflow_job delivery lacks a required part: " + e.getMessage(), false);
        }
    }
}
