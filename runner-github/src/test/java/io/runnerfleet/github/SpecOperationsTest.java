package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.LabelSet;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.testing.MutableClock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Walks the contract: every operation of runners-openapi.json is called through the token or runner
 * API, and the request is checked against the spec (method, path, query, headers, body schema) while
 * the server answers with the spec's own example.
 */
class SpecOperationsTest {
    private static final String ORG = "octo-org";
    private static final String REPO = "octo-repo";
    private static final Map<String, String> PATH_VALUES = Map.of("org", ORG, "owner", ORG, "repo", REPO,
            "runner_id", "42", "runner_group_id", "7", "repository_id", "99", "name", "gpu", "run_id", "30433642");

    /** How to reach one operation, and the query it must send. */
    private record Case(Function<Apis, Object> call, Map<String, String> query) {
    }

    private record Apis(GitHubClient client, TokenApi orgTokens, RunnerApi org, TokenApi repoTokens, RunnerApi repo) {
    }

    private static final Map<String, String> PAGED = Map.of("per_page", "100");

    private static Map<String, Case> table() {
        JitRequest jit = new JitRequest("New runner", LabelSet.of("self-hosted", "X64", "macOS", "no-gpu"), 1, "_work");
        RunnerGroupSpec create = RunnerGroupSpec.named("Expensive hardware runners")
                .selectedRepositoryIds(List.of(32L, 91L)).runnerIds(List.of(9L, 2L));
        RunnerGroupSpec update = RunnerGroupSpec.named("Expensive hardware runners")
                .visibility(RunnerGroupSpec.Visibility.PRIVATE).selectedWorkflows(List.of(
                        "octo-org/octo-repo/.github/workflows/deploy.yaml@main"));
        Map<String, Case> t = new LinkedHashMap<>();
        t.put("actions/list-self-hosted-runner-groups-for-org", new Case(a -> a.org().groups(), PAGED));
        t.put("actions/create-self-hosted-runner-group-for-org", new Case(a -> a.org().createGroup(create), Map.of()));
        t.put("actions/get-self-hosted-runner-group-for-org", new Case(a -> a.org().group(7), Map.of()));
        t.put("actions/update-self-hosted-runner-group-for-org", new Case(a -> a.org().updateGroup(7, update), Map.of()));
        t.put("actions/delete-self-hosted-runner-group-from-org", new Case(a -> run(() -> a.org().deleteGroup(7)), Map.of()));
        t.put("actions/list-repo-access-to-self-hosted-runner-group-in-org",
                new Case(a -> a.org().groupRepositories(7), PAGED));
        t.put("actions/set-repo-access-to-self-hosted-runner-group-in-org",
                new Case(a -> run(() -> a.org().setGroupRepositories(7, List.of(32L, 91L))), Map.of()));
        t.put("actions/add-repo-access-to-self-hosted-runner-group-in-org",
                new Case(a -> run(() -> a.org().addGroupRepository(7, 99)), Map.of()));
        t.put("actions/remove-repo-access-to-self-hosted-runner-group-in-org",
                new Case(a -> run(() -> a.org().removeGroupRepository(7, 99)), Map.of()));
        t.put("actions/list-self-hosted-runners-in-group-for-org", new Case(a -> a.org().groupRunners(7), PAGED));
        t.put("actions/set-self-hosted-runners-in-group-for-org",
                new Case(a -> run(() -> a.org().setGroupRunners(7, List.of(9L, 2L))), Map.of()));
        t.put("actions/add-self-hosted-runner-to-group-for-org",
                new Case(a -> run(() -> a.org().addGroupRunner(7, 42)), Map.of()));
        t.put("actions/remove-self-hosted-runner-from-group-for-org",
                new Case(a -> run(() -> a.org().removeGroupRunner(7, 42)), Map.of()));
        t.put("actions/list-self-hosted-runners-for-org", new Case(a -> a.org().list(), PAGED));
        t.put("actions/list-runner-applications-for-org", new Case(a -> a.org().downloads(), Map.of()));
        t.put("actions/generate-runner-jitconfig-for-org", new Case(a -> a.orgTokens().jitConfig(jit), Map.of()));
        t.put("actions/create-registration-token-for-org", new Case(a -> a.orgTokens().registrationToken(), Map.of()));
        t.put("actions/create-remove-token-for-org", new Case(a -> a.orgTokens().removeToken(), Map.of()));
        t.put("actions/get-self-hosted-runner-for-org", new Case(a -> a.org().get(42), Map.of()));
        t.put("actions/delete-self-hosted-runner-from-org", new Case(a -> run(() -> a.org().delete(42)), Map.of()));
        t.put("actions/list-labels-for-self-hosted-runner-for-org", new Case(a -> a.org().labels(42), Map.of()));
        t.put("actions/add-custom-labels-to-self-hosted-runner-for-org",
                new Case(a -> a.org().addLabels(42, List.of("gpu", "accelerated")), Map.of()));
        t.put("actions/set-custom-labels-for-self-hosted-runner-for-org",
                new Case(a -> a.org().setLabels(42, List.of("gpu", "accelerated")), Map.of()));
        t.put("actions/remove-all-custom-labels-from-self-hosted-runner-for-org",
                new Case(a -> a.org().removeAllCustomLabels(42), Map.of()));
        t.put("actions/remove-custom-label-from-self-hosted-runner-for-org",
                new Case(a -> a.org().removeLabel(42, "gpu"), Map.of()));
        t.put("rate-limit/get", new Case(a -> a.client().fetchRateLimits(), Map.of()));
        t.put("actions/list-self-hosted-runners-for-repo", new Case(a -> a.repo().list(), PAGED));
        t.put("actions/list-runner-applications-for-repo", new Case(a -> a.repo().downloads(), Map.of()));
        t.put("actions/generate-runner-jitconfig-for-repo", new Case(a -> a.repoTokens().jitConfig(jit), Map.of()));
        t.put("actions/create-registration-token-for-repo", new Case(a -> a.repoTokens().registrationToken(), Map.of()));
        t.put("actions/create-remove-token-for-repo", new Case(a -> a.repoTokens().removeToken(), Map.of()));
        t.put("actions/get-self-hosted-runner-for-repo", new Case(a -> a.repo().get(42), Map.of()));
        t.put("actions/delete-self-hosted-runner-from-repo", new Case(a -> run(() -> a.repo().delete(42)), Map.of()));
        t.put("actions/list-labels-for-self-hosted-runner-for-repo", new Case(a -> a.repo().labels(42), Map.of()));
        t.put("actions/add-custom-labels-to-self-hosted-runner-for-repo",
                new Case(a -> a.repo().addLabels(42, List.of("gpu", "accelerated")), Map.of()));
        t.put("actions/set-custom-labels-for-self-hosted-runner-for-repo",
                new Case(a -> a.repo().setLabels(42, List.of()), Map.of()));
        t.put("actions/remove-all-custom-labels-from-self-hosted-runner-for-repo",
                new Case(a -> a.repo().removeAllCustomLabels(42), Map.of()));
        t.put("actions/remove-custom-label-from-self-hosted-runner-for-repo",
                new Case(a -> a.repo().removeLabel(42, "gpu"), Map.of()));
        t.put("actions/list-workflow-runs-for-repo",
                new Case(a -> a.repo().workflowRuns("queued"), Map.of("status", "queued", "per_page", "100")));
        t.put("actions/list-jobs-for-workflow-run",
                new Case(a -> a.repo().jobs(30433642), Map.of("filter", "latest", "per_page", "100")));
        return t;
    }

    private static Object run(Runnable r) {
        r.run();
        return "done";
    }

    private MockWebServer server;
    private GitHubClient client;
    private Apis apis;

    @BeforeEach
    void start() {
        server = TestSupport.server();
        MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
        client = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock)).build();
        RunnerScope org = RunnerScope.organization(ORG);
        RunnerScope repo = RunnerScope.repository(ORG, REPO);
        apis = new Apis(client, client.tokens(org), client.runners(org), client.tokens(repo), client.runners(repo));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void everyOperationOfTheSpecIsReachable() {
        assertThat(Spec.operations()).hasSize(40);
        assertThat(table().keySet()).containsExactlyInAnyOrderElementsOf(Spec.operations().keySet());
    }

    @Test
    void theRequestSchemaCheckIsLive() {
        Spec.Operation add = Spec.operation("actions/add-custom-labels-to-self-hosted-runner-for-org");
        Spec.assertValidRequestBody(add, "{\"labels\":[\"gpu\"]}");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Spec.assertValidRequestBody(add, "{\"labels\":[]}"))
                .isInstanceOf(AssertionError.class);
        Spec.Operation jit = Spec.operation("actions/generate-runner-jitconfig-for-repo");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Spec.assertValidRequestBody(jit,
                "{\"name\":\"x\",\"labels\":[\"a\"]}")).isInstanceOf(AssertionError.class);
    }

    @TestFactory
    Stream<DynamicTest> eachOperationSendsWhatTheSpecDescribes() {
        return table().entrySet().stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () -> {
            Spec.Operation op = Spec.operation(e.getKey());
            String example = op.successExample();
            MockResponse response = example == null ? TestSupport.empty(op.successStatus())
                    : TestSupport.json(op.successStatus(), example);
            server.enqueue(response);

            Object result = e.getValue().call().apply(apis);
            assertThat(result).isNotNull();

            RecordedRequest request = server.takeRequest();
            HttpUrl url = request.getUrl();
            assertThat(request.getMethod()).isEqualTo(op.method());
            assertThat(url.encodedPath()).isEqualTo(expectedPath(op.pathTemplate()));
            Map<String, String> query = new TreeMap<>();
            for (String name : url.queryParameterNames()) {
                query.put(name, url.queryParameter(name));
            }
            assertThat(query).isEqualTo(new TreeMap<>(e.getValue().query()));
            assertThat(request.getHeaders().get("Accept")).isEqualTo("application/vnd.github+json");
            assertThat(request.getHeaders().get("X-GitHub-Api-Version")).isEqualTo("2022-11-28");
            assertThat(request.getHeaders().get("Authorization")).isEqualTo("Bearer " + TOKEN);
            assertThat(request.getHeaders().get("User-Agent")).isNotBlank();
            String body = request.getBody() == null ? "" : request.getBody().utf8();
            if (op.requestSchema() != null) {
                assertThat(request.getHeaders().get("Content-Type")).startsWith("application/json");
                Spec.assertValidRequestBody(op, body);
            } else {
                assertThat(body).as("%s sends no body", op.id()).isEmpty();
            }
        }));
    }

    private static String expectedPath(String template) {
        String path = template;
        for (Map.Entry<String, String> v : PATH_VALUES.entrySet()) {
            path = path.replace("{" + v.getKey() + "}", v.getValue());
        }
        assertThat(path).doesNotContain("{");
        return path;
    }
}
