package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Raw calls of the scale-set protocol against a {@link FakeGitHub}, the way a listener makes them, for tests. */
final class ActionsClient {
    final Http http;
    final String svc;
    String admin;
    private final FakeGitHub fake;

    /** Registers with a fresh registration token of {@code scope} and keeps {@code {svc}} and the admin token. */
    ActionsClient(FakeGitHub fake, FakeScope scope, Http rest) {
        this.fake = fake;
        this.http = new Http(fake.url());
        String path = scope.isOrganization() ? "/orgs/" + scope.name() : "/repos/" + scope.name();
        String token = json(rest.send("POST", path + "/actions/runners/registration-token", null)).get("token").asText();
        Http.Resp r = http.send("POST", "/api/v3/actions/runner-registration",
                "{\"url\":\"" + scope.url() + "\",\"runner_event\":\"register\"}", "Authorization", "RemoteAuth " + token);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode reply = json(r);
        this.svc = reply.get("url").asText();
        this.admin = reply.get("token").asText();
    }

    static JsonNode json(Http.Resp r) {
        try {
            return SpecValidator.MAPPER.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(r.status() + " " + r.body(), e);
        }
    }

    /** The claims of a JWT, not verified. */
    static JsonNode claims(String jwt) {
        String[] parts = jwt.split("\\.");
        assertThat(parts).as("a JWT has three parts").hasSize(3);
        try {
            return SpecValidator.MAPPER.readTree(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    /** An admin call: {@code {svc}} joined with {@code path}, {@code api-version} added. */
    Http.Resp call(String method, String path, String json) {
        String url = svc + path + (path.contains("?") ? "&" : "?") + "api-version=6.0-preview";
        return http.send(method, url, json, "Authorization", "Bearer " + admin);
    }

    long createSet(String name, String... labels) {
        StringBuilder ls = new StringBuilder();
        for (String l : labels) {
            ls.append(ls.length() == 0 ? "" : ",").append("{\"type\":\"System\",\"name\":\"").append(l).append("\"}");
        }
        Http.Resp r = call("POST", "_apis/runtime/runnerscalesets", "{\"name\":\"" + name
                + "\",\"runnerGroupId\":1,\"labels\":[" + ls + "],\"RunnerSetting\":{\"disableUpdate\":true},"
                + "\"createdOn\":\"0001-01-01T00:00:00Z\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return json(r).get("id").asLong();
    }

    /** A session: its reply. */
    JsonNode createSession(long setId, String owner) {
        Http.Resp r = call("POST", "_apis/runtime/runnerscalesets/" + setId + "/sessions",
                "{\"sessionId\":\"00000000-0000-0000-0000-000000000000\",\"ownerName\":\"" + owner + "\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    /** The long poll with the session's queue URL and token. */
    static Http.Resp poll(Http http, JsonNode session, long lastMessageId) {
        String url = session.get("messageQueueUrl").asText() + (lastMessageId > 0 ? "&lastMessageId=" + lastMessageId : "");
        return http.send("GET", url, null, "Authorization", "Bearer " + session.get("messageQueueAccessToken").asText(),
                "Accept", "application/json; api-version=6.0-preview", "X-ScaleSetMaxCapacity", "10");
    }

    Http.Resp poll(JsonNode session, long lastMessageId) {
        return poll(http, session, lastMessageId);
    }

    Http.Resp ack(JsonNode session, long messageId) {
        String q = session.get("messageQueueUrl").asText();
        int at = q.indexOf('?');
        String url = q.substring(0, at) + "/" + messageId + q.substring(at);
        return http.send("DELETE", url, null, "Authorization", "Bearer " + session.get("messageQueueAccessToken").asText());
    }

    Http.Resp acquire(JsonNode session, long setId, String idsJson) {
        return http.send("POST", svc + "_apis/runtime/runnerscalesets/" + setId + "/acquirejobs?api-version=6.0-preview",
                idsJson, "Authorization", "Bearer " + session.get("messageQueueAccessToken").asText());
    }

    /** A JIT config of a set: the reply. */
    JsonNode jit(long setId, String name) {
        Http.Resp r = call("POST", "_apis/runtime/runnerscalesets/" + setId + "/generatejitconfig",
                "{\"name\":\"" + name + "\",\"workFolder\":\"\"}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return json(r);
    }

    /** The job messages in a 200 message's double-encoded body. */
    static JsonNode jobs(Http.Resp message) {
        assertThat(message.status()).as(message.body()).isEqualTo(200);
        JsonNode m = json(message);
        assertThat(m.get("messageType").asText()).isEqualTo("RunnerScaleSetJobMessages");
        try {
            return SpecValidator.MAPPER.readTree(m.get("body").asText());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    FakeGitHub fake() {
        return fake;
    }
}
