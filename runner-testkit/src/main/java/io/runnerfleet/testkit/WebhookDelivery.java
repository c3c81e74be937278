package io.runnerfleet.testkit;

import java.util.Map;

/**
 * One webhook delivery {@link FakeGitHub} sent (or tried to send) to a registered URL.
 *
 * <pre>{@code
 * fake.webhook(URI.create(receiver), Secret.of("s3cret"));
 * fake.queueJob(repo, "self-hosted");
 * WebhookDelivery d = fake.deliveries().get(0);   // action() == "queued"
 * }</pre>
 *
 * @param event the {@code X-GitHub-Event} header ({@code workflow_job})
 * @param action the payload's {@code action}
 * @param headers the headers sent, including {@code X-Hub-Signature-256}
 * @param body the JSON body
 * @param responseCode the receiver's HTTP status, or -1 when it could not be reached
 */
public record WebhookDelivery(String event, String action, Map<String, String> headers, String body, int responseCode) {
    /** Copies the headers. */
    public WebhookDelivery {
        headers = Map.copyOf(headers);
    }
}
