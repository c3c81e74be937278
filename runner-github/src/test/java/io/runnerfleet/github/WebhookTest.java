package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.Secret;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/** {@code workflow_job} deliveries: parsing all four actions and checking X-Hub-Signature-256. */
class WebhookTest {
    private static final Secret SECRET = Secret.of("It's a Secret to Everybody");
    private final WorkflowJobWebhook hook = WorkflowJobWebhook.withSecret(SECRET);

    static byte[] delivery(String action) {
        boolean queued = action.equals("queued") || action.equals("waiting");
        String runner = queued ? "\"runner_id\": null, \"runner_name\": null, \"runner_group_id\": null, \"runner_group_name\": null"
                : "\"runner_id\": 12, \"runner_name\": \"s1lqc-qemu-1\", \"runner_group_id\": 1, \"runner_group_name\": \"Default\"";
        String json = """
                {"action": "%s",
                 "workflow_job": {"id": 2832853555, "run_id": 940463255, "run_attempt": 1,
                   "run_url": "https://api.github.com/repos/octo-org/example-workflow/actions/runs/940463255",
                   "node_id": "MDg6Q2hlY2tSdW4yODMyODUzNT55", "head_sha": "e3103f8eb03e1ad7f2331c5446b23c070fc54055",
                   "url": "https://api.github.com/repos/octo-org/example-workflow/actions/jobs/2832853555",
                   "html_url": "https://github.com/octo-org/example-workflow/runs/2832853555",
                   "status": "%s", "conclusion": %s, "created_at": "2021-06-15T19:22:22Z",
                   "started_at": "2021-06-15T19:22:27Z", "completed_at": %s, "name": "Test workflow",
                   "steps": [], "check_run_url": "https://api.github.com/repos/octo-org/example-workflow/check-runs/2832853555",
                   "labels": ["self-hosted", "linux", "phytiumpi"], %s,
                   "workflow_name": "CI", "head_branch": "main"},
                 "repository": {"id": 376034443, "name": "example-workflow", "full_name": "octo-org/example-workflow"},
                 "organization": {"login": "octo-org", "id": 33435682},
                 "installation": {"id": 4242, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMTY0NjQ4"},
                 "sender": {"login": "octocat", "id": 1}}
                """.formatted(action, action, action.equals("completed") ? "\"success\"" : "null",
                action.equals("completed") ? "\"2021-06-15T19:22:50Z\"" : "null", runner);
        return json.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(WorkflowJobEvent.Action.class)
    void everyActionParses(WorkflowJobEvent.Action action) {
        String name = action.name().toLowerCase();
        byte[] body = delivery(name);
        WorkflowJobEvent event = hook.parse(body, hook.sign(body));
        assertThat(event.action()).isEqualTo(action);
        assertThat(event.repository()).isEqualTo("octo-org/example-workflow");
        assertThat(event.organization()).isEqualTo("octo-org");
        assertThat(event.installationId()).isEqualTo(4242L);
        assertThat(event.sender()).isEqualTo("octocat");
        // The test delivery's job satisfies the official schema of this action's workflow_job.
        com.fasterxml.jackson.databind.JsonNode jobSchema = Spec.read("workflow-job-webhook.schema.json")
                .path("$defs").path("webhook-workflow-job-" + name.replace('_', '-')).path("properties")
                .path("workflow_job");
        assertThat(jobSchema.isMissingNode()).isFalse();
        com.fasterxml.jackson.databind.node.ObjectNode jobNode;
        try {
            jobNode = (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(body).path("workflow_job");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertThat(Spec.problems(jobSchema, jobNode.toString())).isEmpty();
        jobNode.remove("run_url");
        assertThat(Spec.problems(jobSchema, jobNode.toString())).as("the schema check is live").isNotEmpty();
        WorkflowJob job = event.job();
        assertThat(job.id()).isEqualTo(2832853555L);
        assertThat(job.runId()).isEqualTo(940463255L);
        assertThat(job.status()).isEqualTo(name);
        assertThat(job.labels()).containsExactly("self-hosted", "linux", "phytiumpi");
        assertThat(job.createdAt()).isEqualTo(Instant.parse("2021-06-15T19:22:22Z"));
        if (action == WorkflowJobEvent.Action.QUEUED || action == WorkflowJobEvent.Action.WAITING) {
            assertThat(job.runnerId()).isNull();
            assertThat(job.runnerName()).isNull();
        } else {
            assertThat(job.runnerName()).isEqualTo("s1lqc-qemu-1");
        }
        if (action == WorkflowJobEvent.Action.COMPLETED) {
            assertThat(job.conclusion()).isEqualTo("success");
            assertThat(job.completedAt()).isEqualTo(Instant.parse("2021-06-15T19:22:50Z"));
        }
    }

    @Test
    void signatureMatchesGitHubsPublishedExample() {
        // GitHub's documentation example: secret "It's a Secret to Everybody", payload "Hello, World!".
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertThat(hook.sign(body)).isEqualTo(expected);
        hook.verify(body, expected);
    }

    @Test
    void missingMalformedAndWrongSignaturesAreRejected() {
        byte[] body = delivery("queued");
        String good = hook.sign(body);
        assertThatThrownBy(() -> hook.parse(body, null)).isInstanceOfSatisfying(WebhookException.class,
                e -> assertThat(e.signatureProblem()).isTrue()).hasMessageContaining("no X-Hub-Signature-256");
        assertThatThrownBy(() -> hook.parse(body, "sha1=abc")).isInstanceOf(WebhookException.class)
                .hasMessageContaining("malformed");
        assertThatThrownBy(() -> hook.parse(body, "sha256=" + "zz".repeat(32))).isInstanceOf(WebhookException.class)
                .hasMessageContaining("not hex");
        String flipped = good.substring(0, good.length() - 1) + (good.endsWith("0") ? "1" : "0");
        assertThatThrownBy(() -> hook.parse(body, flipped)).isInstanceOf(WebhookException.class)
                .hasMessageContaining("does not match");
        byte[] tampered = body.clone();
        tampered[tampered.length - 3] ^= 1;
        assertThatThrownBy(() -> hook.parse(tampered, good)).isInstanceOf(WebhookException.class);
        assertThatThrownBy(() -> WorkflowJobWebhook.withSecret(Secret.of("other")).verify(body, good))
                .isInstanceOf(WebhookException.class);
        assertThat(hook.toString()).doesNotContain("Secret to Everybody");
    }

    @Test
    void malformedBodiesAreRejectedWithClearMessages() {
        assertThatThrownBy(() -> WorkflowJobEvent.parse("not json".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOfSatisfying(WebhookException.class, e -> assertThat(e.signatureProblem()).isFalse())
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> WorkflowJobEvent.parse(new String(delivery("queued"), StandardCharsets.UTF_8)
                .replace("\"action\": \"queued\"", "\"action\": \"requested\"").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(WebhookException.class).hasMessageContaining("'requested'");
        assertThatThrownBy(() -> WorkflowJobEvent.parse("{\"action\":\"queued\",\"repository\":{}}"
                .getBytes(StandardCharsets.UTF_8))).isInstanceOf(WebhookException.class)
                .hasMessageContaining("workflow_job");
        assertThatThrownBy(() -> WorkflowJobEvent.parse(new String(delivery("queued"), StandardCharsets.UTF_8)
                .replace("\"full_name\"", "\"fullname\"").getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(WebhookException.class).hasMessageContaining("full_name");
    }
}
