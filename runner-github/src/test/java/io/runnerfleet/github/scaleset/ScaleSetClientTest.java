package io.runnerfleet.github.scaleset;

import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.ADMIN_TOKEN;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.JIT;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.NOW;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.PAT;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.QUEUE_TOKEN;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.REGISTRATION;
import static io.runnerfleet.github.TestSupport.empty;
import static io.runnerfleet.github.TestSupport.json;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.registrationToken;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.runnerRegistration;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.statistics;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.github.TestSupport;
import io.runnerfleet.testing.MutableClock;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.JitConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okio.Buffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScaleSetClientTest {
    private static final String SCALE_SET = "{\"id\":42,\"name\":\"qemu\",\"runnerGroupId\":1,\"runnerGroupName\":\"Default\","
            + "\"labels\":[{\"type\":\"System\",\"name\":\"qemu\"},{\"type\":\"System\",\"name\":\"intel\"}],"
            + "\"RunnerSetting\":{\"disableUpdate\":true},\"createdOn\":\"0001-01-01T00:00:00Z\",\"unknownField\":7}";

    private MockWebServer server;
    private MutableClock clock;
    private ScaleSetTestSupport.RecordingSleeper sleeper;
    private ScaleSetClient client;
    private final List<String> texts = new ArrayList<>();

    @BeforeEach
    void setUp() {
        server = TestSupport.server();
        clock = MutableClock.at(NOW);
        sleeper = new ScaleSetTestSupport.RecordingSleeper();
        client = ScaleSetTestSupport.client(server, clock, sleeper).build();
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
        for (String text : texts) {
            assertThat(text).doesNotContain(PAT, REGISTRATION, QUEUE_TOKEN, ADMIN_TOKEN, JIT, "doNotLeak");
        }
    }

    private void admin() {
        server.enqueue(registrationToken());
        server.enqueue(runnerRegistration(server));
    }

    private RecordedRequest take() throws InterruptedException {
        return server.takeRequest();
    }

    private void skipAdmin() throws InterruptedException {
        take();
        take();
    }

    private MessageSession session() {
        return new MessageSession("9b2f0c7e-6a1d-4c55-9a43-0d3c2a1e7f10", "host-1", 42,
                server.url("/broker/message?sessionId=abc").toString(), Secret.of(QUEUE_TOKEN), Statistics.EMPTY);
    }

    private <T extends Throwable> T caught(Class<T> type, Runnable call) {
        try {
            call.run();
        } catch (Throwable t) {
            assertThat(t).isInstanceOf(type);
            texts.add(String.valueOf(t));
            for (Throwable s : t.getSuppressed()) {
                texts.add(String.valueOf(s));
            }
            return type.cast(t);
        }
        throw new AssertionError("expected " + type.getSimpleName());
    }

    // ---- endpoints ----

    @Test
    void configUrlsDeriveApiBasesForGithubComGheComAndGhes() {
        ScaleSetEndpoint org = ScaleSetEndpoint.parse("https://github.com/acme/");
        assertThat(org.apiUrl()).isEqualTo("https://api.github.com/");
        assertThat(org.webUrl()).isEqualTo("https://github.com");
        assertThat(org.configUrl()).isEqualTo("https://github.com/acme");
        assertThat(org.scope()).isEqualTo(RunnerScope.organization("acme"));
        assertThat(ScaleSetEndpoint.parse("https://github.com/acme/app").scope())
                .isEqualTo(RunnerScope.repository("acme", "app"));
        assertThat(ScaleSetEndpoint.parse("https://github.com/Enterprises/big").scope())
                .isEqualTo(RunnerScope.enterprise("big"));
        assertThat(ScaleSetEndpoint.parse("https://www.github.com/acme").apiUrl()).isEqualTo("https://api.github.com/");
        assertThat(ScaleSetEndpoint.parse("https://Octo.GHE.com/acme").apiUrl()).isEqualTo("https://api.octo.ghe.com/");
        assertThat(ScaleSetEndpoint.parse("https://ghes.example/acme/app").apiUrl())
                .isEqualTo("https://ghes.example/api/v3/");
        assertThat(ScaleSetEndpoint.parse("http://127.0.0.1:8080/acme").apiUrl())
                .isEqualTo("http://127.0.0.1:8080/api/v3/");
        assertThat(ScaleSetEndpoint.parse("https://github.com/acme", true).apiUrl())
                .isEqualTo("https://github.com/api/v3/");
        assertThatThrownBy(() -> ScaleSetEndpoint.parse("https://github.com/a/b/c"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("3 path segments");
        assertThatThrownBy(() -> ScaleSetEndpoint.parse("https://github.com/"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("0 path segments");
        assertThatThrownBy(() -> ScaleSetEndpoint.parse("ftp://github.com/acme"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("not an http(s) URL");
    }

    @Test
    void aSharedGitHubClientGivesTheConfigUrlOfItsWebUrlAndScope() {
        try (GitHubClient github = GitHubClient.builder().baseUrl("https://ghes.example/api/v3")
                .credentials(io.runnerfleet.github.GitHubCredentials.token(Secret.of(PAT))).build();
             ScaleSetClient c = ScaleSetClient.builder().github(github, RunnerScope.repository("acme", "app")).build()) {
            assertThat(c.endpoint().configUrl()).isEqualTo("https://ghes.example/acme/app");
            assertThat(c.endpoint().apiUrl()).isEqualTo("https://ghes.example/api/v3/");
            assertThat(c).hasToString("ScaleSetClient[https://ghes.example/acme/app]");
        }
    }

    // ---- admin connection ----

    @Test
    void adminConnectionRegistersWithTheRegistrationTokenAndIsReusedUntilShortlyBeforeExp() throws Exception {
        admin();
        server.enqueue(json(200, SCALE_SET));
        server.enqueue(json(200, SCALE_SET));
        client.scaleSet(42);
        client.scaleSet(42);

        RecordedRequest token = take();
        assertThat(token.getMethod()).isEqualTo("POST");
        assertThat(token.getUrl().encodedPath()).isEqualTo("/api/v3/orgs/acme/actions/runners/registration-token");
        assertThat(token.getHeaders().get("Authorization")).isEqualTo("Bearer " + PAT);
        RecordedRequest registration = take();
        assertThat(registration.getUrl().encodedPath()).isEqualTo("/api/v3/actions/runner-registration");
        assertThat(registration.getHeaders().get("Authorization")).isEqualTo("RemoteAuth " + REGISTRATION);
        assertThat(registration.getBody().utf8()).isEqualTo("{\"url\":\"" + server.url("/acme").toString()
                .replaceAll("/$", "") + "\",\"runner_event\":\"register\"}");
        RecordedRequest get = take();
        assertThat(get.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnerscalesets/42");
        assertThat(get.getUrl().queryParameter("api-version")).isEqualTo("6.0-preview");
        assertThat(get.getHeaders().get("Authorization")).isEqualTo("Bearer " + ADMIN_TOKEN);
        assertThat(take().getUrl().encodedPath()).endsWith("/runnerscalesets/42");   // no new registration

        clock.advance(Duration.ofMinutes(59).plusSeconds(1));    // exp is in 59 s: renew first
        admin();
        server.enqueue(json(200, SCALE_SET));
        client.scaleSet(42);
        assertThat(take().getUrl().encodedPath()).endsWith("/registration-token");
        assertThat(take().getUrl().encodedPath()).endsWith("/runner-registration");
        assertThat(take().getUrl().encodedPath()).endsWith("/runnerscalesets/42");
    }

    @Test
    void aRefusedAdminTokenIsRenewedOnceAndTheCallRepeated() throws Exception {
        admin();
        server.enqueue(json(401, "{\"typeName\":\"VssUnauthorizedException\",\"message\":\"expired\"}"));
        admin();
        server.enqueue(json(200, SCALE_SET));
        assertThat(client.scaleSet(42).id()).isEqualTo(42);
        assertThat(server.getRequestCount()).isEqualTo(6);
    }

    @Test
    void runnerRegistrationIsRetriedOn401WhileTheRegistrationTokenPropagates() throws Exception {
        server.enqueue(registrationToken());
        server.enqueue(json(401, "{}"));
        server.enqueue(runnerRegistration(server));
        server.enqueue(json(200, SCALE_SET));
        client.scaleSet(42);
        assertThat(sleeper.waits).hasSize(1);
    }

    @Test
    void byteOrderMarksAreStrippedFromEveryBody() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        server.enqueue(registrationToken());
        server.enqueue(new MockResponse.Builder().code(201).addHeader("Content-Type", "application/json")
                .body(new Buffer().write(bom).writeUtf8("{\"url\":\"" + server.url("/tenant/123/") + "\",\"token\":\""
                        + ADMIN_TOKEN + "\"}")).build());
        server.enqueue(new MockResponse.Builder().code(200).body(new Buffer().write(bom).writeUtf8(SCALE_SET)).build());
        ScaleSet set = client.scaleSet(42);
        assertThat(set.labels()).containsExactly("qemu", "intel");
        assertThat(set.disableUpdate()).isTrue();
        assertThat(set.runnerGroupName()).isEqualTo("Default");
    }

    // ---- runner groups and scale sets ----

    @Test
    void theDefaultGroupIsNeverLookedUpAndOthersAreFoundByName() throws Exception {
        assertThat(client.runnerGroup("Default")).isEqualTo(RunnerGroupRef.DEFAULT);
        assertThat(server.getRequestCount()).isZero();
        admin();
        server.enqueue(json(200, "{\"count\":1,\"value\":[{\"id\":3,\"name\":\"boards\",\"size\":0,\"isDefaultGroup\":false}]}"));
        assertThat(client.runnerGroup("boards")).isEqualTo(new RunnerGroupRef(3, "boards"));
        skipAdmin();
        RecordedRequest r = take();
        assertThat(r.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnergroups/");
        assertThat(r.getUrl().queryParameter("groupName")).isEqualTo("boards");

        server.enqueue(json(200, "{\"count\":0,\"value\":[]}"));
        ScaleSetApiException.NotFound e = caught(ScaleSetApiException.NotFound.class, () -> client.runnerGroup("nope"));
        assertThat(e).hasMessageContaining("no runner group named 'nope'").hasMessageContaining("organization acme");
    }

    @Test
    void scaleSetsAreFoundCreatedUpdatedAndDeleted() throws Exception {
        admin();
        server.enqueue(json(200, "{\"count\":0,\"value\":[" + SCALE_SET + "]}"));    // count 0 wins
        assertThat(client.scaleSet(1, "qemu")).isEmpty();
        server.enqueue(json(200, "{\"count\":1,\"value\":[" + SCALE_SET + "]}"));
        assertThat(client.scaleSet(1, "qemu")).map(ScaleSet::id).contains(42L);
        server.enqueue(json(200, SCALE_SET));
        ScaleSet made = client.createScaleSet(ScaleSetSpec.named("qemu").labels("intel", "qemu"));
        assertThat(made.id()).isEqualTo(42);
        server.enqueue(json(200, SCALE_SET));
        client.updateScaleSet(42, ScaleSetSpec.named("qemu").labels("intel").disableUpdate(false));
        server.enqueue(empty(204));
        client.deleteScaleSet(42);
        server.enqueue(json(404, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetNotFoundException\","
                + "\"message\":\"gone\"}"));
        client.deleteScaleSet(42);    // already gone counts as deleted

        skipAdmin();
        RecordedRequest byName = take();
        assertThat(byName.getUrl().queryParameter("runnerGroupId")).isEqualTo("1");
        assertThat(byName.getUrl().queryParameter("name")).isEqualTo("qemu");
        take();
        RecordedRequest create = take();
        assertThat(create.getMethod()).isEqualTo("POST");
        assertThat(create.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnerscalesets");
        assertThat(create.getBody().utf8()).isEqualTo("{\"name\":\"qemu\",\"runnerGroupId\":1,\"labels\":["
                + "{\"type\":\"System\",\"name\":\"qemu\"},{\"type\":\"System\",\"name\":\"intel\"}],"
                + "\"RunnerSetting\":{\"disableUpdate\":true}}");
        RecordedRequest update = take();
        assertThat(update.getMethod()).isEqualTo("PATCH");
        assertThat(update.getUrl().encodedPath()).endsWith("/runnerscalesets/42");
        assertThat(update.getBody().utf8()).contains("\"RunnerSetting\":{\"disableUpdate\":false}");
        assertThat(take().getMethod()).isEqualTo("DELETE");
    }

    @Test
    void aScaleSetThatIsGoneIsReportedAsScaleSetNotFound() {
        admin();
        server.enqueue(json(404, "{\"typeName\":\"SomethingElse\",\"message\":\"no\"}"));
        caught(ScaleSetApiException.ScaleSetNotFound.class, () -> client.scaleSet(42));
    }

    @Test
    void createAfterAnAmbiguousFailureLooksTheScaleSetUpInsteadOfCreatingATwin() throws Exception {
        admin();
        server.enqueue(json(500, "{\"message\":\"oops\"}"));
        server.enqueue(json(200, "{\"count\":1,\"value\":[" + SCALE_SET + "]}"));
        assertThat(client.createScaleSet(ScaleSetSpec.named("qemu")).id()).isEqualTo(42);
        skipAdmin();
        assertThat(take().getMethod()).isEqualTo("POST");
        assertThat(take().getMethod()).isEqualTo("GET");
        assertThat(server.getRequestCount()).isEqualTo(4);
    }

    // ---- JIT configs and runners ----

    @Test
    void jitConfigsAreGeneratedAndNeverPrinted() throws Exception {
        admin();
        server.enqueue(json(200, "{\"runner\":{\"id\":12,\"name\":\"qemu-1\",\"runnerScaleSetId\":42},"
                + "\"encodedJITConfig\":\"" + JIT + "\"}"));
        JitConfig jit = client.generateJitConfig(42, "qemu-1", "_work");
        assertThat(jit.runnerId()).isEqualTo(12);
        assertThat(jit.name()).isEqualTo("qemu-1");
        assertThat(jit.encodedConfig().reveal()).isEqualTo(JIT);
        texts.add(jit.toString());
        skipAdmin();
        RecordedRequest r = take();
        assertThat(r.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnerscalesets/42/generatejitconfig");
        assertThat(r.getBody().utf8()).isEqualTo("{\"name\":\"qemu-1\",\"workFolder\":\"_work\"}");
        assertThatThrownBy(() -> client.generateJitConfig(42, "bad name", "")).isInstanceOf(InvalidSpecException.class);
    }

    @Test
    void anExistingRunnerNameIsRunnerExists() {
        admin();
        server.enqueue(json(409, "{\"typeName\":\"GitHub.DistributedTask.WebApi.AgentExistsException, GitHub\","
                + "\"message\":\"exists\"}"));
        ScaleSetApiException.RunnerExists e = caught(ScaleSetApiException.RunnerExists.class,
                () -> client.generateJitConfig(42, "qemu-1", ""));
        assertThat(e.runnerName()).isEqualTo("qemu-1");
        assertThat(e.typeName()).hasValueSatisfying(t -> assertThat(t).contains("AgentExistsException"));
        assertThat(e).hasMessageContaining("AgentExistsException").hasMessageContaining("qemu-1");
        assertThat(server.getRequestCount()).isEqualTo(3);    // never retried
    }

    @Test
    void aJitConfigLostWithItsAnswerIsLookedUpByNameDeletedAndAskedForAgain() throws Exception {
        admin();
        server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build());
        server.enqueue(json(200, "{\"count\":1,\"value\":[{\"id\":12,\"name\":\"qemu-1\",\"runnerScaleSetId\":42}]}"));
        server.enqueue(empty(204));
        server.enqueue(json(200, "{\"runner\":{\"id\":13,\"name\":\"qemu-1\",\"runnerScaleSetId\":42},"
                + "\"encodedJITConfig\":\"" + JIT + "\"}"));
        assertThat(client.generateJitConfig(42, "qemu-1", "").runnerId()).isEqualTo(13);
        skipAdmin();
        assertThat(take().getUrl().encodedPath()).endsWith("/generatejitconfig");
        RecordedRequest lookup = take();
        assertThat(lookup.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/distributedtask/pools/0/agents");
        assertThat(lookup.getUrl().queryParameter("agentName")).isEqualTo("qemu-1");
        RecordedRequest delete = take();
        assertThat(delete.getMethod()).isEqualTo("DELETE");
        assertThat(delete.getUrl().encodedPath()).endsWith("/agents/12");
        assertThat(take().getUrl().encodedPath()).endsWith("/generatejitconfig");
    }

    @Test
    void aJitConfigRefusedWith5xxIsAskedForAgainOnlyWhenNoRunnerWasMade() throws Exception {
        admin();
        server.enqueue(json(503, "{\"message\":\"busy\"}"));
        server.enqueue(json(200, "{\"count\":0,\"value\":[]}"));
        server.enqueue(json(200, "{\"runner\":{\"id\":13,\"name\":\"qemu-1\"},\"encodedJITConfig\":\"" + JIT + "\"}"));
        assertThat(client.generateJitConfig(42, "qemu-1", "").runnerId()).isEqualTo(13);
        assertThat(server.getRequestCount()).isEqualTo(5);
    }

    @Test
    void anAmbiguousJitFailureWithARunnerOfAnotherSetIsRunnerExists() {
        admin();
        server.enqueue(json(500, "{}"));
        server.enqueue(json(200, "{\"count\":1,\"value\":[{\"id\":12,\"name\":\"qemu-1\",\"runnerScaleSetId\":7}]}"));
        caught(ScaleSetApiException.RunnerExists.class, () -> client.generateJitConfig(42, "qemu-1", ""));
    }

    @Test
    void runnersAreLookedUpAndDeletedAndABusyRunnerIsRunnerBusy() throws Exception {
        admin();
        server.enqueue(json(200, "{\"count\":1,\"value\":[{\"id\":12,\"name\":\"qemu-1\",\"runnerScaleSetId\":42,"
                + "\"status\":\"online\"}]}"));
        assertThat(client.runner("qemu-1")).contains(new ScaleSetRunner(12, "qemu-1", 42));
        server.enqueue(json(200, "{\"count\":0,\"value\":[]}"));
        assertThat(client.runner("nope")).isEmpty();
        server.enqueue(json(200, "{\"id\":12,\"name\":\"qemu-1\",\"runnerScaleSetId\":42}"));
        assertThat(client.runner(12)).map(ScaleSetRunner::name).contains("qemu-1");
        server.enqueue(json(404, "{\"typeName\":\"AgentNotFoundException\",\"message\":\"no\"}"));
        assertThat(client.runner(13)).isEmpty();
        server.enqueue(empty(204));
        client.deleteRunner(12);
        server.enqueue(json(400, "{\"typeName\":\"GitHub.DistributedTask.WebApi.JobStillRunningException\","
                + "\"message\":\"busy\"}"));
        caught(RunnerBusyException.class, () -> client.deleteRunner(12));
    }

    // ---- sessions, poll, ack, acquire ----

    @Test
    void sessionsAreCreatedRefreshedAndDeleted() throws Exception {
        admin();
        String reply = "{\"sessionId\":\"9b2f0c7e-6a1d-4c55-9a43-0d3c2a1e7f10\",\"ownerName\":\"host-1\","
                + "\"runnerScaleSet\":{\"id\":42,\"name\":\"qemu\"},\"messageQueueUrl\":\"" + server.url("/broker/message")
                + "\",\"messageQueueAccessToken\":\"" + QUEUE_TOKEN + "\",\"statistics\":" + statistics(3) + "}";
        server.enqueue(json(200, reply));
        MessageSession s = client.createSession(42, "host-1");
        assertThat(s.scaleSetId()).isEqualTo(42);
        assertThat(s.statistics().totalAssignedJobs()).isEqualTo(3);
        assertThat(s.queueToken().reveal()).isEqualTo(QUEUE_TOKEN);
        texts.add(s.toString());
        server.enqueue(json(200, reply));
        client.refreshSession(42, s.sessionId());
        server.enqueue(empty(204));
        client.deleteSession(42, s.sessionId());
        server.enqueue(json(400, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetSessionExpiredException\","
                + "\"message\":\"The session identifier is not valid.\"}"));
        client.deleteSession(42, s.sessionId());   // expired counts as deleted

        skipAdmin();
        RecordedRequest create = take();
        assertThat(create.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnerscalesets/42/sessions");
        assertThat(create.getBody().utf8()).isEqualTo(
                "{\"sessionId\":\"00000000-0000-0000-0000-000000000000\",\"ownerName\":\"host-1\"}");
        RecordedRequest refresh = take();
        assertThat(refresh.getMethod()).isEqualTo("PATCH");
        assertThat(refresh.getUrl().encodedPath()).endsWith("/sessions/" + s.sessionId());
        assertThat(take().getMethod()).isEqualTo("DELETE");
    }

    @Test
    void sessionConflictsAndMissingScaleSetsAreTyped() {
        admin();
        server.enqueue(json(409, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetSessionConflictException,"
                + " GitHub.Actions.Runtime.WebApi\",\"message\":\"The actions runner scaleset qemu already has an"
                + " active session.\"}"));
        ScaleSetApiException.SessionConflict c = caught(ScaleSetApiException.SessionConflict.class,
                () -> client.createSession(42, "host-1"));
        assertThat(c).hasMessageContaining("RunnerScaleSetSessionConflictException").hasMessageContaining("already has");
        server.enqueue(json(404, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetNotFoundException\","
                + "\"message\":\"gone\"}"));
        caught(ScaleSetApiException.ScaleSetNotFound.class, () -> client.createSession(42, "host-1"));
        server.enqueue(json(404, "{\"typeName\":\"RunnerAdminException\",\"message\":\"session doesn't exist\"}"));
        caught(ScaleSetApiException.SessionNotFound.class, () -> client.refreshSession(42, "abc"));
        server.enqueue(json(500, "{}"));
        caught(ScaleSetApiException.class, () -> client.createSession(42, "host-1"));   // a POST: not retried
        assertThat(server.getRequestCount()).isEqualTo(6);
    }

    @Test
    void aPollAnswered202IsNoMessageAndCarriesTheQueueHeaders() throws Exception {
        server.enqueue(empty(202));
        assertThat(client.poll(session(), 0, 5)).isEmpty();
        server.enqueue(empty(202));
        client.poll(session(), 17, 0);
        RecordedRequest first = take();
        assertThat(first.getUrl().encodedPath()).isEqualTo("/broker/message");
        assertThat(first.getUrl().queryParameter("sessionId")).isEqualTo("abc");
        assertThat(first.getUrl().queryParameter("lastMessageId")).isNull();
        assertThat(first.getUrl().queryParameter("api-version")).isNull();
        assertThat(first.getHeaders().get("Authorization")).isEqualTo("Bearer " + QUEUE_TOKEN);
        assertThat(first.getHeaders().get("Accept")).isEqualTo("application/json; api-version=6.0-preview");
        assertThat(first.getHeaders().get("X-ScaleSetMaxCapacity")).isEqualTo("5");
        RecordedRequest second = take();
        assertThat(second.getUrl().queryParameter("lastMessageId")).isEqualTo("17");
        assertThat(second.getHeaders().get("X-ScaleSetMaxCapacity")).isEqualTo("0");
    }

    @Test
    void aMessageBodyIsDoubleEncodedJsonOfTypedJobMessages() {
        String base = "\\\"runnerRequestId\\\":5001,\\\"repositoryName\\\":\\\"app\\\",\\\"ownerName\\\":\\\"acme\\\","
                + "\\\"jobId\\\":\\\"8c1e\\\",\\\"jobWorkflowRef\\\":\\\"acme/app/.github/workflows/ci.yml@refs/heads/main\\\","
                + "\\\"jobDisplayName\\\":\\\"build\\\",\\\"workflowRunId\\\":777,\\\"eventName\\\":\\\"push\\\","
                + "\\\"requestLabels\\\":[\\\"qemu\\\"],\\\"queueTime\\\":\\\"2026-05-05T10:00:00Z\\\","
                + "\\\"finishTime\\\":\\\"0001-01-01T00:00:00Z\\\"";
        String body = "[{\\\"messageType\\\":\\\"JobAvailable\\\",\\\"acquireJobUrl\\\":\\\"https://x\\\"," + base + "},"
                + "{\\\"messageType\\\":\\\"JobAssigned\\\"," + base + "},"
                + "{\\\"messageType\\\":\\\"JobStarted\\\",\\\"runnerId\\\":12,\\\"runnerName\\\":\\\"qemu-1\\\"," + base + "},"
                + "{\\\"messageType\\\":\\\"SomethingNew\\\"," + base + "},"
                + "{\\\"messageType\\\":\\\"JobCompleted\\\",\\\"result\\\":\\\"canceled\\\",\\\"runnerId\\\":0,"
                + "\\\"runnerName\\\":\\\"\\\"," + base + "}]";
        server.enqueue(json(200, "{\"messageId\":101,\"messageType\":\"RunnerScaleSetJobMessages\",\"body\":\"" + body
                + "\",\"statistics\":" + statistics(2) + "}"));
        ScaleSetMessage m = client.poll(session(), 0, 5).orElseThrow();
        assertThat(m.messageId()).isEqualTo(101);
        assertThat(m.statistics().totalAssignedJobs()).isEqualTo(2);
        assertThat(m.jobs()).hasSize(4);
        JobMessage.JobAvailable available = (JobMessage.JobAvailable) m.jobs().get(0);
        assertThat(available.acquireJobUrl()).isEqualTo("https://x");
        assertThat(available.job().runnerRequestId()).isEqualTo(5001);
        assertThat(available.job().requestLabels()).containsExactly("qemu");
        assertThat(available.job().queueTime()).contains(Instant.parse("2026-05-05T10:00:00Z"));
        assertThat(available.job().finishTime()).isEmpty();      // Go's zero time is "unset"
        assertThat(available.job().runnerAssignTime()).isEmpty();
        assertThat(m.jobs().get(1)).isInstanceOf(JobMessage.JobAssigned.class);
        JobMessage.JobStarted started = (JobMessage.JobStarted) m.jobs().get(2);
        assertThat(started.runnerName()).isEqualTo("qemu-1");
        assertThat(started.runnerId()).isEqualTo(12);
        JobMessage.JobCompleted completed = (JobMessage.JobCompleted) m.jobs().get(3);
        assertThat(completed.result()).isEqualTo("canceled");
        assertThat(completed.runnerName()).isEmpty();
        assertThat(completed.job().jobWorkflowRef()).endsWith("@refs/heads/main");

        server.enqueue(json(200, "{\"messageId\":102,\"messageType\":\"RunnerScaleSetJobMessages\",\"body\":\"\","
                + "\"statistics\":" + statistics(0) + "}"));
        assertThat(client.poll(session(), 101, 5).orElseThrow().jobs()).isEmpty();
    }

    @Test
    void pollFailuresAreTyped() {
        server.enqueue(empty(401));
        caught(ScaleSetApiException.QueueTokenExpired.class, () -> client.poll(session(), 0, 1));
        server.enqueue(empty(404));
        caught(ScaleSetApiException.SessionNotFound.class, () -> client.poll(session(), 0, 1));
        server.enqueue(json(200, "{\"messageId\":1,\"messageType\":\"SomethingElse\",\"body\":\"\"}"));
        ScaleSetApiException odd = caught(ScaleSetApiException.class, () -> client.poll(session(), 0, 1));
        assertThat(odd).hasMessageContaining("RunnerScaleSetJobMessages");
        server.enqueue(new MockResponse.Builder().code(503).addHeader("Content-Type", "text/plain")
                .addHeader("ActivityId", "act-1").body("broker unavailable").build());
        ScaleSetApiException down = caught(ScaleSetApiException.class, () -> client.poll(session(), 0, 1));
        assertThat(down.status()).isEqualTo(503);
        assertThat(down.maybeApplied()).isTrue();
        assertThat(down.requestId()).contains("act-1");
        assertThat(down).hasMessageContaining("\"broker unavailable\"");
        assertThat(server.getRequestCount()).isEqualTo(4);    // the poll is never retried here
        MessageSession noUrl = new MessageSession("s", "o", 42, "", Secret.of(QUEUE_TOKEN), Statistics.EMPTY);
        caught(ScaleSetApiException.QueueTokenExpired.class, () -> client.poll(noUrl, 0, 1));
        assertThatThrownBy(() -> client.poll(session(), 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aHungPollTimesOutAsStatusZero() {
        try (ScaleSetClient quick = ScaleSetTestSupport.client(server, clock, sleeper)
                .pollTimeout(Duration.ofMillis(200)).build()) {
            server.enqueue(new MockResponse.Builder().onResponseStart(SocketEffect.Stall.INSTANCE).build());
            ScaleSetApiException e = caught(ScaleSetApiException.class, () -> quick.poll(session(), 0, 1));
            assertThat(e.status()).isZero();
            assertThat(e).hasMessageContaining("no complete answer");
        }
    }

    @Test
    void messagesAreAcknowledgedAndJobsAcquiredWithTheQueueToken() throws Exception {
        server.enqueue(empty(204));
        client.acknowledge(session(), 17);
        server.enqueue(empty(401));
        caught(ScaleSetApiException.QueueTokenExpired.class, () -> client.acknowledge(session(), 18));
        admin();
        server.enqueue(json(200, "{\"count\":1,\"value\":[2]}"));
        assertThat(client.acquireJobs(session(), List.of(1L, 2L))).containsExactly(2L);
        assertThat(client.acquireJobs(session(), List.of())).isEmpty();

        RecordedRequest ack = take();
        assertThat(ack.getMethod()).isEqualTo("DELETE");
        assertThat(ack.getUrl().encodedPath()).isEqualTo("/broker/message/17");
        assertThat(ack.getUrl().queryParameter("sessionId")).isEqualTo("abc");
        assertThat(ack.getHeaders().get("Authorization")).isEqualTo("Bearer " + QUEUE_TOKEN);
        take();
        skipAdmin();
        RecordedRequest acquire = take();
        assertThat(acquire.getUrl().encodedPath()).isEqualTo("/tenant/123/_apis/runtime/runnerscalesets/42/acquirejobs");
        assertThat(acquire.getUrl().queryParameter("api-version")).isEqualTo("6.0-preview");
        assertThat(acquire.getHeaders().get("Authorization")).isEqualTo("Bearer " + QUEUE_TOKEN);
        assertThat(acquire.getBody().utf8()).isEqualTo("[1,2]");
    }

    @Test
    void idempotentCallsAreRetriedOn5xxWithJitteredBackoff() {
        admin();
        server.enqueue(json(502, "{}"));
        server.enqueue(json(500, "{}"));
        server.enqueue(json(200, SCALE_SET));
        client.scaleSet(42);
        assertThat(sleeper.waits).hasSize(2);
        assertThat(sleeper.waits.get(0)).isBetween(Duration.ofMillis(50), Duration.ofMillis(100));
        assertThat(sleeper.waits.get(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
        assertThat(Optional.of(server.getRequestCount())).contains(5);
    }

    @Test
    void aGitHubAppInstallationTokenBuysTheRegistrationToken() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\n" + java.util.Base64.getMimeEncoder().encodeToString(
                g.generateKeyPair().getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        String installationToken = "ghs_INSTALLATION_doNotLeak";
        try (ScaleSetClient app = ScaleSetTestSupport.client(server, clock, sleeper)
                .credentials(io.runnerfleet.github.GitHubCredentials.app("Iv23liTest", Secret.of(pem), 7L)).build()) {
            server.enqueue(json(201, "{\"token\":\"" + installationToken + "\",\"expires_at\":\"2026-05-05T11:00:00Z\"}"));
            admin();
            server.enqueue(json(200, SCALE_SET));
            app.scaleSet(42);
            RecordedRequest access = take();
            assertThat(access.getUrl().encodedPath()).isEqualTo("/api/v3/app/installations/7/access_tokens");
            assertThat(access.getHeaders().get("Authorization")).startsWith("Bearer ey");
            RecordedRequest token = take();
            assertThat(token.getUrl().encodedPath()).endsWith("/orgs/acme/actions/runners/registration-token");
            assertThat(token.getHeaders().get("Authorization")).isEqualTo("Bearer " + installationToken);
            assertThat(take().getHeaders().get("Authorization")).isEqualTo("RemoteAuth " + REGISTRATION);
        }
    }

    @Test
    void errorsAndToStringNeverContainTokens() {
        java.util.concurrent.BlockingQueue<Integer> codes = new java.util.concurrent.LinkedBlockingQueue<>();
        server.setDispatcher(new mockwebserver3.Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                String path = r.getUrl().encodedPath();
                if (path.endsWith("/registration-token")) {
                    return registrationToken();
                }
                if (path.endsWith("/runner-registration")) {
                    return runnerRegistration(server);
                }
                Integer code = codes.poll();
                return json(code == null ? 204 : code, "{\"typeName\":\"X\",\"message\":\"m\"}");
            }
        });
        for (int code : new int[] {400, 401, 403, 404, 409, 500}) {
            codes.clear();
            for (int i = 0; i < 5; i++) {
                codes.add(code);
            }
            try {
                client.deleteRunner(1);
            } catch (RuntimeException e) {
                texts.add(e.toString());
                texts.add(String.valueOf(e.getCause()));
            }
        }
        texts.add(client.toString());
        texts.add(session().toString());
        assertThat(texts).hasSizeGreaterThan(8);
    }

    @Test
    void proxyCredentialsFromTheEnvironmentAnswerA407() throws Exception {
        try (MockWebServer proxy = TestSupport.server();
             GitHubClient github = GitHubClient.builder().baseUrl(server.url("/").toString()).clock(clock)
                     .credentials(io.runnerfleet.github.GitHubCredentials.token(Secret.of(PAT))).build()) {
            // Loopback never goes through a proxy: the token and the registration are direct, the service is not.
            server.enqueue(registrationToken());
            server.enqueue(json(201, "{\"url\":\"http://actions.example.invalid/tenant/123/\",\"token\":\""
                    + ADMIN_TOKEN + "\",\"token_schema\":\"OAuthAccessToken\"}"));
            proxy.enqueue(new MockResponse.Builder().code(407).addHeader("Proxy-Authenticate", "Basic realm=\"corp\"")
                    .build());
            proxy.enqueue(json(200, "{\"count\":0,\"value\":[]}"));
            try (ScaleSetClient viaProxy = ScaleSetClient.builder().github(github, RunnerScope.organization("acme"))
                    .clock(clock).sleeper(sleeper)
                    .environment(java.util.Map.of("HTTPS_PROXY", "http://fleet:s3cret@127.0.0.1:" + proxy.getPort()))
                    .build()) {
                assertThat(viaProxy.scaleSet(1, "qemu")).isEmpty();
            }
            assertThat(proxy.takeRequest().getHeaders().get("Proxy-Authorization")).isNull();
            RecordedRequest retried = proxy.takeRequest();
            assertThat(retried.getRequestLine()).contains("http://actions.example.invalid/tenant/123/_apis/runtime/runnerscalesets");
            assertThat(retried.getHeaders().get("Proxy-Authorization")).isEqualTo(okhttp3.Credentials.basic("fleet", "s3cret"));
        }
    }
}
