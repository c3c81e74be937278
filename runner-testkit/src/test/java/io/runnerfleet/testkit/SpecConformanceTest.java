package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Walks every operation of the official OpenAPI subset and every status code it declares, and
 * validates each response the fake serves against the spec's schema for that status, so the fake
 * cannot drift from GitHub.
 */
class SpecConformanceTest {
    private static final SpecValidator SPEC = new SpecValidator();
    private final Set<String> exercised = new TreeSet<>();
    private final List<String> problems = new ArrayList<>();
    private FakeGitHub fake;
    private Http http;

    @BeforeEach
    void start() {
        fake = FakeGitHub.create().start();
        fake.organization("acme").repository("widgets");
        fake.organization("acme").repository("gadgets");
        http = new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal());
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private Http.Resp call(String op, int expected, String method, String path, String json, String... headers) {
        Http.Resp r = http.send(method, path, json, headers);
        assertThat(r.status()).as("%s %s %s -> %s", op, method, path, r.body()).isEqualTo(expected);
        problems.addAll(SPEC.problems(op, r.status(), r.body()));
        exercised.add(op + " " + r.status());
        assertThat(r.header("x-ratelimit-limit")).as("rate-limit headers on %s", op).isNotNull();
        assertThat(r.header("x-ratelimit-remaining")).isNotNull();
        assertThat(r.header("x-ratelimit-reset")).isNotNull();
        assertThat(r.header("x-ratelimit-used")).isNotNull();
        if ("GET".equals(method) && r.status() == 200) {
            assertThat(r.header("ETag")).as("ETag on GET %s", path).startsWith("W/\"");
        }
        return r;
    }

    private static JsonNode json(Http.Resp r) {
        try {
            return SpecValidator.MAPPER.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void everyOperationAndDeclaredStatusServesWhatTheSpecSays() throws Exception {
        walkRunners("org", "/orgs/acme/actions");
        walkRunners("repo", "/repos/acme/widgets/actions");
        walkGroups();
        walkRunsAndRateLimit();

        Set<String> declared = new TreeSet<>();
        SPEC.operations.keySet().forEach(op -> SPEC.declared(op).forEach(s -> declared.add(op + " " + s)));
        assertThat(SPEC.operations).hasSize(40);
        assertThat(exercised).as("every declared (operation, status) is exercised").containsAll(declared);
        assertThat(problems).as("schema violations").isEmpty();
    }

    @Test
    void theValidatorRejectsBodiesThatBreakTheSpec() {
        assertThat(SPEC.problems("actions/get-self-hosted-runner-for-org", 200,
                "{\"name\":\"r\",\"os\":\"linux\",\"status\":\"online\",\"busy\":false,\"labels\":[]}"))
                .anyMatch(p -> p.contains("id"));
        assertThat(SPEC.problems("actions/list-labels-for-self-hosted-runner-for-org", 200,
                "{\"total_count\":1,\"labels\":[{\"name\":\"x\",\"type\":\"system\"}]}"))
                .anyMatch(p -> p.contains("type"));
        assertThat(SPEC.problems("actions/delete-self-hosted-runner-from-org", 500, "")).isNotEmpty();
        assertThat(SPEC.problems("actions/list-jobs-for-workflow-run", 200,
                "{\"total_count\":1,\"jobs\":[{\"id\":1}]}")).anyMatch(p -> p.contains("created_at"));
    }

    private void walkRunners(String s, String p) throws Exception {
        JsonNode reg = json(call("actions/create-registration-token-for-" + s, 201, "POST", p + "/runners/registration-token", null));
        assertThat(reg.get("expires_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d)");
        call("actions/create-remove-token-for-" + s, 201, "POST", p + "/runners/remove-token", null);

        String jitBody = "{\"name\":\"jit-1\",\"runner_group_id\":1,\"labels\":[\"self-hosted\",\"gpu\"]}";
        JsonNode jit = json(call("actions/generate-runner-jitconfig-for-" + s, 201, "POST", p + "/runners/generate-jitconfig", jitBody));
        long id = jit.get("runner").get("id").asLong();
        call("actions/generate-runner-jitconfig-for-" + s, 409, "POST", p + "/runners/generate-jitconfig", jitBody);
        call("actions/generate-runner-jitconfig-for-" + s, 422, "POST", p + "/runners/generate-jitconfig", "{\"name\":\"x\"}");
        call("actions/generate-runner-jitconfig-for-" + s, 404, "POST", p + "/runners/generate-jitconfig",
                "{\"name\":\"jit-2\",\"runner_group_id\":999,\"labels\":[\"a\"]}");

        JsonNode list = json(call("actions/list-self-hosted-runners-for-" + s, 200, "GET", p + "/runners", null));
        assertThat(list.get("total_count").asInt()).isEqualTo(1);
        call("actions/list-runner-applications-for-" + s, 200, "GET", p + "/runners/downloads", null);
        call("actions/get-self-hosted-runner-for-" + s, 200, "GET", p + "/runners/" + id, null);

        String r = p + "/runners/" + id + "/labels";
        String missing = p + "/runners/999999/labels";
        call("actions/list-labels-for-self-hosted-runner-for-" + s, 200, "GET", r, null);
        call("actions/list-labels-for-self-hosted-runner-for-" + s, 404, "GET", missing, null);
        call("actions/add-custom-labels-to-self-hosted-runner-for-" + s, 200, "POST", r, "{\"labels\":[\"extra\"]}");
        call("actions/add-custom-labels-to-self-hosted-runner-for-" + s, 404, "POST", missing, "{\"labels\":[\"extra\"]}");
        call("actions/add-custom-labels-to-self-hosted-runner-for-" + s, 422, "POST", r, "{\"labels\":[]}");
        JsonNode set = json(call("actions/set-custom-labels-for-self-hosted-runner-for-" + s, 200, "PUT", r, "{\"labels\":[\"a\",\"b\"]}"));
        assertThat(set.get("labels").findValuesAsText("name")).containsExactly("self-hosted", "a", "b");
        call("actions/set-custom-labels-for-self-hosted-runner-for-" + s, 404, "PUT", missing, "{\"labels\":[]}");
        call("actions/set-custom-labels-for-self-hosted-runner-for-" + s, 422, "PUT", r, "{\"labels\":\"a\"}");
        JsonNode afterRemove = json(call("actions/remove-custom-label-from-self-hosted-runner-for-" + s, 200, "DELETE", r + "/a", null));
        assertThat(afterRemove.get("labels").findValuesAsText("name")).containsExactly("self-hosted", "b");
        call("actions/remove-custom-label-from-self-hosted-runner-for-" + s, 404, "DELETE", r + "/nope", null);
        call("actions/remove-custom-label-from-self-hosted-runner-for-" + s, 422, "DELETE", r + "/self-hosted", null);
        JsonNode readOnly = json(call("actions/remove-all-custom-labels-from-self-hosted-runner-for-" + s, 200, "DELETE", r, null));
        assertThat(readOnly.get("labels").findValuesAsText("type")).containsOnly("read-only");
        call("actions/remove-all-custom-labels-from-self-hosted-runner-for-" + s, 404, "DELETE", missing, null);

        // A busy runner cannot be deleted (422); once its job is done it can (204).
        FakeScope widgets = fake.organization("acme").repository("widgets");
        FakeJob job = fake.queueJob(widgets, "self-hosted");
        FakeRunnerSession session = FakeRunnerSession.fromJitConfig(fake, jit.get("encoded_jit_config").asText());
        assertThat(session.connect()).contains("result=ok");
        assertThat(session.poll()).contains("result=job");
        assertThat(job.status()).isEqualTo("in_progress");
        call("actions/delete-self-hosted-runner-from-" + s, 422, "DELETE", p + "/runners/" + id, null);
        JsonNode second = json(call("actions/generate-runner-jitconfig-for-" + s, 201, "POST", p + "/runners/generate-jitconfig",
                "{\"name\":\"jit-2\",\"runner_group_id\":1,\"labels\":[\"x\"]}"));
        call("actions/delete-self-hosted-runner-from-" + s, 204, "DELETE", p + "/runners/" + second.get("runner").get("id").asLong(), null);
        session.finish(job.id());
        assertThat(job.status()).isEqualTo("completed");
    }

    private void walkGroups() throws Exception {
        String g = "/orgs/acme/actions/runner-groups";
        call("actions/list-self-hosted-runner-groups-for-org", 200, "GET", g, null);
        JsonNode created = json(call("actions/create-self-hosted-runner-group-for-org", 201, "POST", g,
                "{\"name\":\"boards\",\"visibility\":\"selected\"}"));
        long gid = created.get("id").asLong();
        assertThat(gid).isGreaterThan(1);
        call("actions/get-self-hosted-runner-group-for-org", 200, "GET", g + "/" + gid, null);
        call("actions/update-self-hosted-runner-group-for-org", 200, "PATCH", g + "/" + gid,
                "{\"name\":\"boards-2\",\"allows_public_repositories\":false}");
        long widgets = json(http.get("/orgs/acme/actions/runner-groups/1")).isNull() ? 0 : repoId("widgets");
        long gadgets = repoId("gadgets");
        call("actions/set-repo-access-to-self-hosted-runner-group-in-org", 204, "PUT", g + "/" + gid + "/repositories",
                "{\"selected_repository_ids\":[" + widgets + "]}");
        call("actions/add-repo-access-to-self-hosted-runner-group-in-org", 204, "PUT", g + "/" + gid + "/repositories/" + gadgets, null);
        JsonNode repos = json(call("actions/list-repo-access-to-self-hosted-runner-group-in-org", 200, "GET", g + "/" + gid + "/repositories", null));
        assertThat(repos.get("total_count").asInt()).isEqualTo(2);
        call("actions/remove-repo-access-to-self-hosted-runner-group-in-org", 204, "DELETE", g + "/" + gid + "/repositories/" + gadgets, null);

        JsonNode jit = json(http.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"grouped\",\"runner_group_id\":1,\"labels\":[\"x\"]}"));
        long rid = jit.get("runner").get("id").asLong();
        call("actions/set-self-hosted-runners-in-group-for-org", 204, "PUT", g + "/" + gid + "/runners", "{\"runners\":[" + rid + "]}");
        JsonNode members = json(call("actions/list-self-hosted-runners-in-group-for-org", 200, "GET", g + "/" + gid + "/runners", null));
        assertThat(members.get("runners")).extracting(n -> n.get("name").asText()).containsExactly("grouped");
        call("actions/remove-self-hosted-runner-from-group-for-org", 204, "DELETE", g + "/" + gid + "/runners/" + rid, null);
        call("actions/add-self-hosted-runner-to-group-for-org", 204, "PUT", g + "/" + gid + "/runners/" + rid, null);
        call("actions/delete-self-hosted-runner-group-from-org", 204, "DELETE", g + "/" + gid, null);
        assertThat(fake.organization("acme").runner("grouped").orElseThrow().groupId()).isEqualTo(1);
    }

    private long repoId(String name) {
        // The repository id is visible through a workflow run's repository object.
        FakeJob job = fake.queueJob(fake.organization("acme").repository(name), "never-matches-" + name);
        JsonNode runs = json(http.get("/repos/acme/" + name + "/actions/runs"));
        assertThat(job.status()).isEqualTo("queued");
        return runs.get("workflow_runs").get(0).get("repository").get("id").asLong();
    }

    private void walkRunsAndRateLimit() {
        FakeJob job = fake.queueJob(fake.organization("acme").repository("widgets"), "self-hosted", "linux");
        JsonNode runs = json(call("actions/list-workflow-runs-for-repo", 200, "GET", "/repos/acme/widgets/actions/runs?status=queued", null));
        long runId = runs.get("workflow_runs").get(0).get("id").asLong();
        JsonNode jobs = json(call("actions/list-jobs-for-workflow-run", 200, "GET",
                "/repos/acme/widgets/actions/runs/" + runId + "/jobs", null));
        assertThat(jobs.get("jobs").get(0).get("id").asLong()).isEqualTo(job.id());
        assertThat(jobs.get("jobs").get(0).get("created_at").asText()).isNotBlank();

        Http.Resp first = call("rate-limit/get", 200, "GET", "/rate_limit", null);
        call("rate-limit/get", 304, "GET", "/rate_limit", null, "If-None-Match", first.header("ETag"));
        fake.failNext("rate-limit/get", 1, Fault.status(404));
        call("rate-limit/get", 404, "GET", "/rate_limit", null);
    }

    /** Decodes a JIT config the way the fake runner does. */
    static String decodeJitFile(String encoded, String file) throws Exception {
        JsonNode files = SpecValidator.MAPPER.readTree(Base64.getDecoder().decode(encoded));
        return new String(Base64.getDecoder().decode(files.get(file).asText()), StandardCharsets.UTF_8);
    }
}
