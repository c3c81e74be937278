package io.runnerfleet.testkit.internal;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

/**
 * A {@link RunnerRegistry} that talks to a FakeGitHub over its REST API, so the fake's counters,
 * faults, rate limits and permissions apply to it exactly as to a real client.
 */
public final class HttpRegistry implements RunnerRegistry {
    private static final Pattern NEXT = Pattern.compile("<([^>]+)>;\\s*rel=\"next\"");
    private final String apiBase;
    private final String scopePath;
    private final String scopeName;
    private final String registrationUrl;
    private final Secret token;
    private final OkHttpClient client;

    /**
     * A registry for {@code scope} of the fake at {@code apiBase}, authenticating with {@code token}.
     * The client must not retry on connection failure, so an injected drop is seen once.
     */
    public HttpRegistry(OkHttpClient client, String apiBase, Scope scope, Secret token) {
        this.client = client;
        this.apiBase = apiBase;
        this.scopePath = (scope.isOrganization() ? "/orgs" : "/repos") + scope.path() + "/actions/runners";
        this.scopeName = (scope.isOrganization() ? "organization " : "repository ") + scope.fullName();
        this.registrationUrl = apiBase + scope.path();
        this.token = token;
    }

    private record Answer(int status, String body, String link) {
    }

    @Override
    public String scope() {
        return scopeName;
    }

    @Override
    public String registrationUrl() {
        return registrationUrl;
    }

    @Override
    @SuppressWarnings("unchecked")
    public RegistrationToken registrationToken() {
        Answer a = send("POST", apiBase + scopePath + "/registration-token", "", "create a registration token");
        expect(a, 201, "create a registration token");
        Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
        return new RegistrationToken(Secret.of((String) m.get("token")),
                OffsetDateTime.parse((String) m.get("expires_at")).toInstant());
    }

    @Override
    @SuppressWarnings("unchecked")
    public JitConfig jitConfig(JitRequest request) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", request.name());
        body.put("runner_group_id", request.runnerGroupId());
        body.put("labels", request.labels().asList());
        body.put("work_folder", request.workFolder());
        String what = "generate a JIT config for runner " + request.name();
        Answer a = send("POST", apiBase + scopePath + "/generate-jitconfig", Json.write(body), what);
        if (a.status() == 409) {
            throw new RunnerNameConflictException(request.name(), "cannot " + what + " in " + scopeName
                    + ": a runner with that name exists already; delete it or choose another name");
        }
        expect(a, 201, what);
        Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
        Map<String, Object> runner = (Map<String, Object>) m.get("runner");
        return new JitConfig(((Number) runner.get("id")).longValue(), (String) runner.get("name"),
                Secret.of((String) m.get("encoded_jit_config")));
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<RegisteredRunner> runners() {
        List<RegisteredRunner> out = new ArrayList<>();
        String url = apiBase + scopePath + "?per_page=100";
        while (url != null) {
            Answer a = send("GET", url, null, "list runners");
            expect(a, 200, "list runners");
            Map<String, Object> m = (Map<String, Object>) Json.parse(a.body());
            for (Object o : (List<Object>) m.get("runners")) {
                Map<String, Object> r = (Map<String, Object>) o;
                List<String> labels = new ArrayList<>();
                for (Object l : (List<Object>) r.get("labels")) {
                    labels.add((String) ((Map<String, Object>) l).get("name"));
                }
                out.add(new RegisteredRunner(((Number) r.get("id")).longValue(), (String) r.get("name"),
                        (String) r.get("os"), "online".equals(r.get("status")), Boolean.TRUE.equals(r.get("busy")),
                        LabelSet.of(labels), Boolean.TRUE.equals(r.get("ephemeral"))));
            }
            Matcher next = a.link() == null ? null : NEXT.matcher(a.link());
            url = next != null && next.find() ? next.group(1) : null;
        }
        return out;
    }

    @Override
    public void delete(RegisteredRunner runner) {
        String what = "delete runner " + runner.name();
        Answer a = send("DELETE", apiBase + scopePath + "/" + runner.id(), null, what);
        if (a.status() == 404 || a.status() == 204) {
            return;
        }
        if (a.status() == 422) {
            throw new RunnerBusyException(runner.name(), "cannot " + what + " in " + scopeName
                    + ": it is running a job; wait for the job or drain the runner first");
        }
        expect(a, 204, what);
    }

    private void expect(Answer a, int status, String what) {
        if (a.status() != status) {
            throw new RegistrationException("cannot " + what + " in " + scopeName + ": the fake GitHub answered "
                    + a.status() + " " + message(a.body()) + " (expected " + status + ")");
        }
    }

    @SuppressWarnings("unchecked")
    private static String message(String body) {
        try {
            Object v = Json.parse(body);
            return v instanceof Map<?, ?> m && m.get("message") != null ? "'" + m.get("message") + "'" : "";
        } catch (RuntimeException e) {
            return "";
        }
    }

    private Answer send(String method, String url, String json, String what) {
        RequestBody body = json == null ? null : RequestBody.create(json, MediaType.get("application/json"));
        if (body == null && "POST".equals(method)) {
            body = RequestBody.create(new byte[0], null);
        }
        Request request = new Request.Builder().url(url).method(method, body)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .header("Authorization", "Bearer " + token.reveal())
                .build();
        try (Response r = client.newCall(request).execute()) {
            return new Answer(r.code(), r.body().string(), r.header("Link"));
        } catch (IOException e) {
            throw new RegistrationException("cannot " + what + " in " + scopeName + ": the fake GitHub at " + apiBase
                    + " did not answer (" + e.getClass().getSimpleName() + "); is it started?", e);
        }
    }

    @Override
    public String toString() {
        return "FakeGitHub registry[" + scopeName + ", " + apiBase + "]";
    }
}
