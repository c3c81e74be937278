package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.tck.RunnerRegistryContract;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

/**
 * Core's registry contract against {@link GitHubRegistry}, backed by a small stateful GitHub on
 * 127.0.0.1 that serves the token, JIT, list and delete operations with pagination and ETags.
 */
class GitHubRegistryContractTest extends RunnerRegistryContract {
    private FakeRunners github;
    private MockWebServer server;
    private GitHubRegistry opened;

    @Override
    protected RunnerRegistry createRegistry() {
        github = new FakeRunners();
        server = TestSupport.server();
        server.setDispatcher(github);
        opened = GitHubRegistry.builder(RunnerScope.organization("acme"))
                .baseUrl(server.url("/").toString())
                .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN)))
                .build();
        return opened;
    }

    @Override
    protected void markBusy(RegisteredRunner runner) {
        github.markBusy(runner.id());
    }

    @Override
    protected void afterCleanup() {
        opened.close();
        server.close();
    }

    /**
     * GitHub's runner endpoints for one organization, in memory. Pages hold two runners so that the
     * client's Link-following is exercised; list answers carry an ETag and honour If-None-Match.
     */
    static final class FakeRunners extends Dispatcher {
        private static final Pattern RUNNER = Pattern.compile("/orgs/acme/actions/runners/(\\d+)");
        private static final int PAGE = 2;
        private final Map<Long, Map<String, Object>> runners = new LinkedHashMap<>();
        private long nextId = 100;

        synchronized void markBusy(long id) {
            Map<String, Object> r = runners.get(id);
            r.put("busy", true);
            r.put("status", "online");
        }

        @Override
        public synchronized MockResponse dispatch(RecordedRequest request) {
            if (!("Bearer " + TestSupport.TOKEN).equals(request.getHeaders().get("Authorization"))) {
                return json(401, "{\"message\":\"Bad credentials\",\"documentation_url\":\"https://docs.github.com/rest\"}");
            }
            String path = request.getUrl().encodedPath();
            String method = request.getMethod();
            if (method.equals("POST") && path.equals("/orgs/acme/actions/runners/registration-token")) {
                return json(201, "{\"token\":\"" + UUID.randomUUID().toString().replace("-", "").toUpperCase()
                        + "\",\"expires_at\":\"" + Instant.now().plus(Duration.ofHours(1)) + "\"}");
            }
            if (method.equals("POST") && path.equals("/orgs/acme/actions/runners/generate-jitconfig")) {
                return jit(request);
            }
            if (method.equals("GET") && path.equals("/orgs/acme/actions/runners")) {
                return list(request);
            }
            Matcher m = RUNNER.matcher(path);
            if (method.equals("DELETE") && m.matches()) {
                Map<String, Object> r = runners.get(Long.parseLong(m.group(1)));
                if (r == null) {
                    return json(404, "{\"message\":\"Not Found\",\"documentation_url\":\"https://docs.github.com/rest\"}");
                }
                if (Boolean.TRUE.equals(r.get("busy"))) {
                    return json(422, "{\"message\":\"Bad request - Runner \\\"" + r.get("name")
                            + "\\\" is still running a job\\\"\",\"documentation_url\":\"https://docs.github.com/rest\"}");
                }
                runners.remove(Long.parseLong(m.group(1)));
                return new MockResponse.Builder().code(204).build();
            }
            return json(404, "{\"message\":\"Not Found\"}");
        }

        private MockResponse jit(RecordedRequest request) {
            Map<String, Object> body = Json.object(Json.parse(request.getBody().utf8()), "body");
            String name = Json.string(body, "name");
            if (runners.values().stream().anyMatch(r -> r.get("name").equals(name))) {
                return json(409, "{\"message\":\"Already exists - A runner with the name " + name
                        + " already exists.\",\"documentation_url\":\"https://docs.github.com/rest\"}");
            }
            List<Object> labels = new ArrayList<>();
            long labelId = 1;
            for (String label : Json.strings(body, "labels")) {
                labels.add(Map.of("id", labelId++, "name", label, "type", "custom"));
            }
            long id = nextId++;
            Map<String, Object> runner = new LinkedHashMap<>();
            runner.put("id", id);
            runner.put("name", name);
            runner.put("os", "unknown");
            runner.put("status", "offline");
            runner.put("busy", false);
            runner.put("ephemeral", true);
            runner.put("runner_group_id", Json.integer(body, "runner_group_id"));
            runner.put("labels", labels);
            runners.put(id, runner);
            String encoded = Base64.getEncoder().encodeToString(("jit-" + id + "-" + UUID.randomUUID())
                    .getBytes(StandardCharsets.UTF_8));
            return json(201, Json.write(Map.of("runner", runner, "encoded_jit_config", encoded)));
        }

        private MockResponse list(RecordedRequest request) {
            HttpUrl url = request.getUrl();
            int page = url.queryParameter("page") == null ? 1 : Integer.parseInt(url.queryParameter("page"));
            List<Map<String, Object>> all = new ArrayList<>(runners.values());
            int from = Math.min(all.size(), (page - 1) * PAGE);
            List<Map<String, Object>> slice = all.subList(from, Math.min(all.size(), from + PAGE));
            String body = Json.write(Map.of("total_count", all.size(), "runners", slice));
            String etag = "W/\"" + Integer.toHexString(body.hashCode()) + "\"";
            if (etag.equals(request.getHeaders().get("If-None-Match"))) {
                return new MockResponse.Builder().code(304).addHeader("ETag", etag).build();
            }
            MockResponse.Builder b = new MockResponse.Builder(json(200, body)).addHeader("ETag", etag);
            if (from + PAGE < all.size()) {
                b.addHeader("Link", "<" + url.newBuilder().setQueryParameter("page", String.valueOf(page + 1)).build()
                        + ">; rel=\"next\"");
            }
            return b.build();
        }
    }
}
