package io.runnerfleet.github.scaleset;

import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.spi.RegisteredRunner;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The Actions service's JSON, mapped by hand onto this package's records. Unknown fields are ignored;
 * missing optional ones read as empty or zero.
 */
final class Wire {
    /** Go's zero {@code time.Time}: the service's way of saying "unset". */
    private static final Instant GO_ZERO = Instant.parse("0001-01-01T00:00:00Z");

    private Wire() {
    }

    /** The facts of a failure that is not an HTTP error: the reply's status (or 0) and the operation. */
    static ScaleSetApiException.Details details(int status, String op) {
        return new ScaleSetApiException.Details(status, op, null, null, false);
    }

    /** Maps the reply's JSON object; a wrong shape becomes a {@link ScaleSetApiException} naming the operation. */
    static <T> T read(ActionsHttp.Reply reply, String op, Function<Map<String, Object>, T> f) {
        try {
            return f.apply(Json.object(reply.json(op), "the response"));
        } catch (Json.MalformedJsonException | NullPointerException | IllegalArgumentException e) {
            throw new ScaleSetApiException(details(reply.status(), op), "the Actions service answered "
                    + reply.status() + " to " + op + " but the body is not what the protocol describes ("
                    + e.getMessage() + "); retry later, or report it if it persists", null);
        }
    }

    /** The items of a {@code {"count","value":[...]}} list; a count of 0 means none, whatever the value holds. */
    static <T> List<T> list(ActionsHttp.Reply reply, String op, Function<Map<String, Object>, T> f) {
        return read(reply, op, o -> {
            Long count = Json.optInteger(o, "count");
            if (count != null && count == 0) {
                return List.of();
            }
            List<T> out = new ArrayList<>();
            for (Object item : Json.array(o, "value")) {
                out.add(f.apply(Json.object(item, "item")));
            }
            return List.copyOf(out);
        });
    }

    /** The body that creates or updates a scale set as the spec describes, in runner group {@code groupId}. */
    static Map<String, Object> scaleSetBody(ScaleSetSpec spec, long groupId) {
        List<Object> labels = new ArrayList<>();
        for (String l : spec.effectiveLabels()) {
            Map<String, Object> label = new LinkedHashMap<>();
            label.put("type", "System");
            label.put("name", l);
            labels.add(label);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", spec.name());
        body.put("runnerGroupId", groupId);
        body.put("labels", labels);
        body.put("RunnerSetting", Map.of("disableUpdate", spec.disableUpdate()));
        return body;
    }

    static Statistics statistics(Object value) {
        if (value == null) {
            return Statistics.EMPTY;
        }
        Map<String, Object> o = Json.object(value, "statistics");
        return new Statistics(num(o, "totalAvailableJobs"), num(o, "totalAcquiredJobs"), num(o, "totalAssignedJobs"),
                num(o, "totalRunningJobs"), num(o, "totalRegisteredRunners"), num(o, "totalBusyRunners"),
                num(o, "totalIdleRunners"));
    }

    static ScaleSet scaleSet(Map<String, Object> o) {
        List<String> labels = new ArrayList<>();
        for (Object l : Json.array(o, "labels")) {
            labels.add(Json.string(Json.object(l, "label"), "name"));
        }
        Object setting = o.get("RunnerSetting");
        boolean disableUpdate = setting instanceof Map<?, ?> && Json.bool(Json.object(setting, "RunnerSetting"),
                "disableUpdate");
        return new ScaleSet(Json.integer(o, "id"), Json.string(o, "name"), num(o, "runnerGroupId"),
                str(o, "runnerGroupName"), labels, disableUpdate);
    }

    static ScaleSetRunner runner(Map<String, Object> o) {
        return new ScaleSetRunner(Json.integer(o, "id"), Json.string(o, "name"), num(o, "runnerScaleSetId"));
    }

    /** An agent with the fields GitHub's service sends beyond the reference client's three. */
    static ScaleSetClient.Agent agent(Map<String, Object> o) {
        List<String> labels = new ArrayList<>();
        if (o.get("labels") instanceof List<?> list) {
            for (Object item : list) {
                if (item instanceof Map<?, ?> m && m.get("name") instanceof String n && !n.isBlank()) {
                    labels.add(n.strip());
                }
            }
        }
        RegisteredRunner runner = new RegisteredRunner(Json.integer(o, "id"), Json.string(o, "name"), str(o, "os"),
                "online".equalsIgnoreCase(str(o, "status")), Json.bool(o, "busy"), LabelSet.of(labels),
                Json.bool(o, "ephemeral"));
        return new ScaleSetClient.Agent(runner, num(o, "runnerScaleSetId"));
    }

    static MessageSession session(Map<String, Object> o, long scaleSetId) {
        Object set = o.get("runnerScaleSet");
        long id = set instanceof Map<?, ?> ? num(Json.object(set, "runnerScaleSet"), "id") : 0;
        return new MessageSession(Json.string(o, "sessionId"), str(o, "ownerName"), id > 0 ? id : scaleSetId,
                str(o, "messageQueueUrl"), Secret.of(Json.string(o, "messageQueueAccessToken")),
                statistics(o.get("statistics")));
    }

    /** The envelope, and the job messages double-encoded as a JSON string in its {@code body}. */
    static ScaleSetMessage message(Map<String, Object> o) {
        String type = Json.optString(o, "messageType");
        if (!"RunnerScaleSetJobMessages".equals(type)) {
            throw new Json.MalformedJsonException("messageType is '" + type + "', expected 'RunnerScaleSetJobMessages'");
        }
        List<JobMessage> jobs = new ArrayList<>();
        String body = Json.optString(o, "body");
        if (body != null && !body.isBlank()) {
            Object parsed = Json.parse(ActionsHttp.decode(body.getBytes(StandardCharsets.UTF_8)));
            if (!(parsed instanceof List<?> list)) {
                throw new Json.MalformedJsonException("the message body is not a JSON array");
            }
            for (Object item : list) {
                JobMessage job = job(Json.object(item, "job message"));
                if (job != null) {
                    jobs.add(job);
                }
            }
        }
        return new ScaleSetMessage(Json.integer(o, "messageId"), statistics(o.get("statistics")), jobs);
    }

    /** One job message, or {@code null} for a type this client does not know (ignored, as GitHub's client does). */
    static JobMessage job(Map<String, Object> o) {
        String type = str(o, "messageType");
        JobMessage.Job job = new JobMessage.Job(num(o, "runnerRequestId"), Json.optString(o, "repositoryName"),
                Json.optString(o, "ownerName"), jobId(o), Json.optString(o, "jobWorkflowRef"),
                Json.optString(o, "jobDisplayName"), num(o, "workflowRunId"), Json.optString(o, "eventName"),
                Json.strings(o, "requestLabels"), time(o, "queueTime"), time(o, "scaleSetAssignTime"),
                time(o, "runnerAssignTime"), time(o, "finishTime"));
        return switch (type) {
            case "JobAvailable" -> new JobMessage.JobAvailable(job, Json.optString(o, "acquireJobUrl"));
            case "JobAssigned" -> new JobMessage.JobAssigned(job);
            case "JobStarted" -> new JobMessage.JobStarted(job, num(o, "runnerId"), Json.optString(o, "runnerName"));
            case "JobCompleted" -> new JobMessage.JobCompleted(job, Json.optString(o, "result"), num(o, "runnerId"),
                    Json.optString(o, "runnerName"));
            default -> null;
        };
    }

    /** {@code jobId} is a string today; older services sent a number. */
    private static String jobId(Map<String, Object> o) {
        Object v = o.get("jobId");
        if (v instanceof Number n) {
            return Long.toString(n.longValue());
        }
        return v instanceof String s ? s : "";
    }

    static Optional<Instant> time(Map<String, Object> o, String key) {
        String s = Json.optString(o, key);
        if (s == null || s.isBlank()) {
            return Optional.empty();
        }
        try {
            Instant t = OffsetDateTime.parse(s).toInstant();
            return t.equals(GO_ZERO) ? Optional.empty() : Optional.of(t);
        } catch (DateTimeParseException e) {
            throw new Json.MalformedJsonException("field '" + key + "' is not an RFC 3339 time: " + s);
        }
    }

    /**
     * The {@code exp} claim of a JWT, read without verifying the signature (the token is the service's,
     * handed to us over TLS); empty when the token is not a JWT or has no {@code exp}.
     */
    static Optional<Instant> jwtExpiry(String token) {
        String[] parts = token.split("\\.");
        if (parts.length < 2) {
            return Optional.empty();
        }
        try {
            String payload = new String(Base64.getUrlDecoder().decode(parts[1].replace('+', '-').replace('/', '_')
                    .replace("=", "")), StandardCharsets.UTF_8);
            if (Json.parse(payload) instanceof Map<?, ?> m && m.get("exp") instanceof Number n) {
                return Optional.of(Instant.ofEpochSecond(n.longValue()));
            }
        } catch (IllegalArgumentException | Json.MalformedJsonException e) {
            // Not base64 or not JSON: treated as a token of unknown lifetime.
        }
        return Optional.empty();
    }

    private static long num(Map<String, Object> o, String key) {
        Long v = Json.optInteger(o, key);
        return v == null ? 0 : v;
    }

    private static String str(Map<String, Object> o, String key) {
        String v = Json.optString(o, key);
        return v == null ? "" : v;
    }
}
