package io.runnerfleet.github;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Maps GitHub's JSON objects onto this package's records. */
final class Mappers {
    private Mappers() {
    }

    static GitHubRunner runner(Map<String, Object> o) {
        List<RunnerLabel> labels = new ArrayList<>();
        for (Object l : Json.array(o, "labels")) {
            labels.add(label(Json.object(l, "label")));
        }
        Long group = Json.optInteger(o, "runner_group_id");
        return new GitHubRunner(Json.integer(o, "id"), Json.string(o, "name"), Json.optString(o, "os"),
                Json.string(o, "status"), Json.bool(o, "busy"), labels, Json.bool(o, "ephemeral"),
                group == null ? 0 : group, Json.optString(o, "version"));
    }

    static RunnerLabel label(Map<String, Object> o) {
        Long id = Json.optInteger(o, "id");
        return new RunnerLabel(id == null ? 0 : id, Json.string(o, "name"), "read-only".equals(Json.optString(o, "type")));
    }

    static GitHubRunnerGroup group(Map<String, Object> o) {
        return new GitHubRunnerGroup(Json.integer(o, "id"), Json.string(o, "name"), Json.string(o, "visibility"),
                Json.bool(o, "default"), Json.bool(o, "inherited"), Json.bool(o, "allows_public_repositories"),
                Json.bool(o, "restricted_to_workflows"), Json.strings(o, "selected_workflows"));
    }

    static GitHubRepository repository(Map<String, Object> o) {
        return new GitHubRepository(Json.integer(o, "id"), Json.string(o, "name"), Json.string(o, "full_name"),
                Json.bool(o, "private"));
    }

    static RunnerApplication application(Map<String, Object> o) {
        String token = Json.optString(o, "temp_download_token");
        return new RunnerApplication(Json.string(o, "os"), Json.string(o, "architecture"),
                Json.string(o, "download_url"), Json.string(o, "filename"),
                Optional.ofNullable(Json.optString(o, "sha256_checksum")),
                token == null || token.isBlank() ? Optional.empty() : Optional.of(Secret.of(token)));
    }

    static WorkflowRun run(Map<String, Object> o) {
        Long attempt = Json.optInteger(o, "run_attempt");
        return new WorkflowRun(Json.integer(o, "id"), Json.optString(o, "name"), Json.optString(o, "status"),
                Json.optString(o, "conclusion"), Json.optString(o, "head_branch"), Json.string(o, "head_sha"),
                attempt == null ? 1 : attempt, Json.instant(o, "created_at"), Json.optString(o, "html_url"));
    }

    static WorkflowJob job(Map<String, Object> o) {
        return new WorkflowJob(Json.integer(o, "id"), Json.integer(o, "run_id"), Json.string(o, "name"),
                Json.string(o, "status"), Json.optString(o, "conclusion"), Json.strings(o, "labels"),
                Json.optInteger(o, "runner_id"), Json.optString(o, "runner_name"), Json.optInteger(o, "runner_group_id"),
                Json.optInstant(o, "created_at"), Json.optInstant(o, "started_at"), Json.optInstant(o, "completed_at"),
                Json.optString(o, "workflow_name"), Json.optString(o, "head_branch"), Json.optString(o, "html_url"));
    }

    static RateLimit rateLimit(String resource, Map<String, Object> o) {
        return new RateLimit(resource, Json.integer(o, "limit"), Json.integer(o, "remaining"), Json.integer(o, "used"),
                java.time.Instant.ofEpochSecond(Json.integer(o, "reset")));
    }
}
