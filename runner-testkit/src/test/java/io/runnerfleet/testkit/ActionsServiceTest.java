package io.runnerfleet.testkit;

import static io.runnerfleet.testkit.ActionsClient.claims;
import static io.runnerfleet.testkit.ActionsClient.jobs;
import static io.runnerfleet.testkit.ActionsClient.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.runnerfleet.testing.Await;
import io.runnerfleet.InvalidSpecException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Actions-service side of FakeGitHub (runner scale sets), call by call, over raw HTTP. */
class ActionsServiceTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private FakeClock clock;
    private FakeGitHub fake;
    private FakeScope acme;
    private FakeScope widgets;
    private Http rest;
    private ActionsClient client;

    @BeforeEach
    void start() {
        clock = FakeClock.at(Instant.parse("2026-06-01T10:00:00Z"));
        fake = FakeGitHub.builder().clock(clock).pollWait(Duration.ofMillis(200)).pollTimeout(Duration.ofMillis(200))
                .build().start();
        acme = fake.organization("acme");
        widgets = acme.repository("widgets");
        rest = new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal());
        client = new ActionsClient(fake, acme, rest);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private String registrationToken() {
        return json(rest.send("POST", "/orgs/acme/actions/runners/registration-token", null)).get("token").asText();
    }

    private Http.Resp register(String path, String url, String authorization) {
        return new Http(fake.url()).send("POST", path, "{\"url\":\"" + url + "\",\"runner_event\":\"register\"}",
                "Authorization", authorization);
    }

    private static String typeName(Http.Resp r) {
        return json(r).get("typeName").asText();
    }

    // ---- runner-registration and admin tokens ------------------------------------------------------

    @Test
    void runnerRegistrationReturnsTheServiceOnThisServerAndAnAdminJwtWithExp() {
        for (String path : new String[] {"/api/v3/actions/runner-registration", "/actions/runner-registration"}) {
            Http.Resp r = register(path, acme.url(), "RemoteAuth " + registrationToken());
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonNode reply = json(r);
            assertThat(reply.get("url").asText()).startsWith(fake.url() + "/").endsWith("/");
            assertThat(reply.get("token_schema").asText()).isEqualTo("OAuthAccessToken");
            assertThat(reply.get("use_v2_flow").asBoolean()).isFalse();
            JsonNode claims = claims(reply.get("token").asText());
            assertThat(claims.get("exp").asLong()).isEqualTo(clock.instant().plus(Duration.ofHours(1)).getEpochSecond());
        }
        assertThat(fake.requests("actions-service/runner-registration")).isEqualTo(3); // with the client's own
    }

    @Test
    void runnerRegistrationRefusesAnotherSchemeAWrongTokenAndAnotherScope() {
        String token = registrationToken();
        assertThat(register("/actions/runner-registration", acme.url(), "Bearer " + token).status()).isEqualTo(401);
        assertThat(register("/actions/runner-registration", acme.url(), "RemoteAuth nope").status()).isEqualTo(404);
        assertThat(register("/actions/runner-registration", widgets.url(), "RemoteAuth " + token).status())
                .as("an org token is not a repository's").isEqualTo(404);
        assertThat(register("/actions/runner-registration", fake.url() + "/enterprises/big", "RemoteAuth " + token)
                .status()).isEqualTo(404);
        String remove = json(rest.send("POST", "/orgs/acme/actions/runners/remove-token", null)).get("token").asText();
        assertThat(register("/actions/runner-registration", acme.url(), "RemoteAuth " + remove).status()).isEqualTo(404);
        clock.advance(Duration.ofMinutes(61));
        assertThat(register("/actions/runner-registration", acme.url(), "RemoteAuth " + token).status())
                .as("expired registration token").isEqualTo(404);
    }

    @Test
    void adminTokenIsEnforcedItsExpByTheClockExpireAdminTokensAndItsTenant() {
        assertThat(client.call("GET", "_apis/runtime/runnerscalesets", null).status()).isEqualTo(200);
        Http.Resp noVersion = client.http.send("GET", client.svc + "_apis/runtime/runnerscalesets", null,
                "Authorization", "Bearer " + client.admin);
        assertThat(noVersion.status()).isEqualTo(400);
        assertThat(json(noVersion).get("message").asText()).contains("api-version");

        ActionsClient repoClient = new ActionsClient(fake, widgets, rest);
        String acmeToken = client.admin;
        client.admin = repoClient.admin;
        assertThat(client.call("GET", "_apis/runtime/runnerscalesets", null).status())
                .as("a token of another tenant").isEqualTo(401);
        client.admin = acmeToken;
        assertThat(client.http.send("GET", client.svc + "_apis/runtime/runnerscalesets?api-version=6.0-preview", null)
                .status()).as("no token").isEqualTo(401);

        clock.advance(Duration.ofMinutes(59));
        assertThat(client.call("GET", "_apis/runtime/runnerscalesets", null).status()).isEqualTo(200);
        clock.advance(Duration.ofMinutes(1));
        Http.Resp expired = client.call("GET", "_apis/runtime/runnerscalesets", null);
        assertThat(expired.status()).isEqualTo(401);
        assertThat(typeName(expired)).contains("VssUnauthorizedException");

        ActionsClient fresh = new ActionsClient(fake, acme, rest);
        assertThat(fresh.call("GET", "_apis/runtime/runnerscalesets", null).status()).isEqualTo(200);
        fake.expireAdminTokens();
        assertThat(fresh.call("GET", "_apis/runtime/runnerscalesets", null).status()).isEqualTo(401);
        assertThat(new ActionsClient(fake, acme, rest).call("GET", "_apis/runtime/runnerscalesets", null).status())
                .isEqualTo(200);
    }

    // ---- runner groups, scale sets, agents ---------------------------------------------------------

    @Test
    void runnerGroupsAreFoundByName() {
        JsonNode found = json(client.call("GET", "_apis/runtime/runnergroups/?groupName=Default", null));
        assertThat(found.get("count").asInt()).isEqualTo(1);
        assertThat(found.get("value").get(0).get("id").asLong()).isEqualTo(1);
        assertThat(found.get("value").get(0).get("isDefaultGroup").asBoolean()).isTrue();
        assertThat(json(client.call("GET", "_apis/runtime/runnergroups?groupName=gpu", null)).get("count").asInt())
                .isZero();
    }

    @Test
    void scaleSetsAreCreatedFoundUpdatedAndDeleted() {
        Http.Resp created = client.call("POST", "_apis/runtime/runnerscalesets",
                "{\"name\":\"linux\",\"runnerGroupId\":1,\"RunnerSetting\":{\"disableUpdate\":true},"
                        + "\"createdOn\":\"0001-01-01T00:00:00Z\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        JsonNode set = json(created);
        long id = set.get("id").asLong();
        assertThat(set.get("labels").get(0).get("name").asText()).as("no labels: the name").isEqualTo("linux");
        assertThat(set.get("RunnerSetting").get("disableUpdate").asBoolean()).isTrue();
        assertThat(set.get("runnerGroupName").asText()).isEqualTo("Default");
        assertThat(set.get("statistics").get("totalAssignedJobs").asInt()).isZero();

        // Paths joined loosely still reach it.
        assertThat(client.call("GET", "/_apis//runtime/runnerscalesets/" + id + "/", null).status()).isEqualTo(200);
        JsonNode byName = json(client.call("GET", "_apis/runtime/runnerscalesets?runnerGroupId=1&name=linux", null));
        assertThat(byName.get("count").asInt()).isEqualTo(1);
        assertThat(byName.get("value").get(0).get("id").asLong()).isEqualTo(id);

        Http.Resp duplicate = client.call("POST", "_apis/runtime/runnerscalesets", "{\"name\":\"LINUX\",\"runnerGroupId\":1}");
        assertThat(duplicate.status()).isEqualTo(400);
        assertThat(typeName(duplicate)).contains("RunnerScaleSetExistsException");
        Http.Resp noGroup = client.call("POST", "_apis/runtime/runnerscalesets", "{\"name\":\"x\",\"runnerGroupId\":7}");
        assertThat(noGroup.status()).isEqualTo(404);
        assertThat(client.call("POST", "_apis/runtime/runnerscalesets", "{\"name\":\"\"}").status()).isEqualTo(400);
        assertThat(client.call("POST", "_apis/runtime/runnerscalesets", "not json").status()).isEqualTo(400);

        Http.Resp renamed = client.call("PATCH", "_apis/runtime/runnerscalesets/" + id,
                "{\"name\":\"linux-2\",\"RunnerSetting\":{},\"createdOn\":\"0001-01-01T00:00:00Z\"}");
        assertThat(renamed.status()).as(renamed.body()).isEqualTo(200);
        assertThat(json(renamed).get("name").asText()).isEqualTo("linux-2");
        assertThat(json(renamed).get("labels").get(0).get("name").asText()).as("labels unchanged").isEqualTo("linux");
        assertThat(json(renamed).get("RunnerSetting").get("disableUpdate").asBoolean()).isTrue();
        assertThat(acme.scaleSet("linux-2")).isPresent();

        assertThat(client.call("DELETE", "_apis/runtime/runnerscalesets/" + id, null).status()).isEqualTo(204);
        Http.Resp gone = client.call("GET", "_apis/runtime/runnerscalesets/" + id, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(typeName(gone)).contains("RunnerScaleSetNotFoundException");
        assertThat(json(client.call("GET", "_apis/runtime/runnerscalesets?name=linux-2", null)).get("count").asInt())
                .isZero();
        assertThat(client.call("DELETE", "_apis/runtime/runnerscalesets/" + id, null).status()).isEqualTo(404);
    }

    @Test
    void jitConfigRegistersARunnerOfTheSetWithTheRunnersThreeFiles() throws Exception {
        long set = client.createSet("linux", "linux", "gpu");
        JsonNode jit = client.jit(set, "runner-1a2b3c4d");
        JsonNode runner = jit.get("runner");
        assertThat(runner.get("name").asText()).isEqualTo("runner-1a2b3c4d");
        assertThat(runner.get("runnerScaleSetId").asLong()).isEqualTo(set);
        String encoded = jit.get("encodedJITConfig").asText();
        JsonNode dotRunner = SpecValidator.MAPPER.readTree(SpecConformanceTest.decodeJitFile(encoded, ".runner"));
        assertThat(dotRunner.get("agentId").asLong()).isEqualTo(runner.get("id").asLong());
        assertThat(dotRunner.get("agentName").asText()).isEqualTo("runner-1a2b3c4d");
        assertThat(dotRunner.get("ephemeral").asBoolean()).isTrue();
        assertThat(SpecConformanceTest.decodeJitFile(encoded, ".credentials")).contains("\"scheme\"");
        JsonNode rsa = SpecValidator.MAPPER.readTree(SpecConformanceTest.decodeJitFile(encoded, ".credentials_rsaparams"));
        assertThat(rsa.fieldNames()).toIterable().containsExactly("d", "dp", "dq", "exponent", "inverseQ", "modulus", "p", "q");
        assertThat(acme.runner("runner-1a2b3c4d").orElseThrow().labels()).containsExactly("linux", "gpu");

        Http.Resp again = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/generatejitconfig",
                "{\"name\":\"runner-1a2b3c4d\",\"workFolder\":\"\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(typeName(again)).contains("AgentExistsException");
        assertThat(client.call("POST", "_apis/runtime/runnerscalesets/99/generatejitconfig", "{\"name\":\"x\"}").status())
                .isEqualTo(404);
        assertThat(client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/generatejitconfig",
                "{\"name\":\"bad name\"}").status()).isEqualTo(400);
        assertThat(acme.scaleSet("linux").orElseThrow().statistics().registeredRunners()).isEqualTo(1);
    }

    @Test
    void agentsAreListedByNameFetchedAndRemovedIdempotently() {
        long set = client.createSet("linux");
        long id = client.jit(set, "r1").get("runner").get("id").asLong();
        JsonNode byName = json(client.call("GET", "_apis/distributedtask/pools/0/agents?agentName=r1", null));
        assertThat(byName.get("count").asInt()).isEqualTo(1);
        assertThat(byName.get("value").get(0).get("runnerScaleSetId").asLong()).isEqualTo(set);
        assertThat(json(client.call("GET", "_apis/distributedtask/pools/0/agents/" + id, null)).get("status").asText())
                .isEqualTo("offline");
        assertThat(client.call("DELETE", "_apis/distributedtask/pools/0/agents/" + id, null).status()).isEqualTo(204);
        assertThat(client.call("DELETE", "_apis/distributedtask/pools/0/agents/" + id, null).status()).isEqualTo(204);
        Http.Resp gone = client.call("GET", "_apis/distributedtask/pools/0/agents/" + id, null);
        assertThat(gone.status()).isEqualTo(404);
        assertThat(typeName(gone)).contains("AgentNotFoundException");
        assertThat(acme.runner("r1")).isEmpty();
    }

    // ---- sessions ----------------------------------------------------------------------------------

    @Test
    void sessionRepliesCarryTheSetAnAbsoluteQueueUrlAQueueJwtAndStatistics() {
        long set = client.createSet("linux");
        JsonNode session = client.createSession(set, "host-1");
        assertThat(session.get("sessionId").asText()).hasSize(36);
        assertThat(session.get("ownerName").asText()).isEqualTo("host-1");
        assertThat(session.get("runnerScaleSet").get("id").asLong()).isEqualTo(set);
        assertThat(session.get("messageQueueUrl").asText()).startsWith(fake.url() + "/");
        assertThat(claims(session.get("messageQueueAccessToken").asText()).get("exp").asLong())
                .isEqualTo(clock.instant().plus(Duration.ofHours(1)).getEpochSecond());
        assertThat(session.get("statistics").get("totalAvailableJobs").asInt()).isZero();
        assertThat(acme.scaleSet("linux").orElseThrow().sessionOwner()).isEqualTo("host-1");

        String path = "_apis/runtime/runnerscalesets/" + set + "/sessions/" + session.get("sessionId").asText();
        clock.advance(Duration.ofMinutes(1));
        Http.Resp refreshed = client.call("PATCH", path, null);
        assertThat(refreshed.status()).as(refreshed.body()).isEqualTo(200);
        assertThat(json(refreshed).get("sessionId").asText()).isEqualTo(session.get("sessionId").asText());
        assertThat(json(refreshed).get("runnerScaleSet").get("id").asLong()).isEqualTo(set);
        assertThat(json(refreshed).get("statistics").isObject()).isTrue();
        assertThat(json(refreshed).get("messageQueueAccessToken").asText())
                .isNotEqualTo(session.get("messageQueueAccessToken").asText());

        assertThat(client.call("DELETE", path, null).status()).isEqualTo(204);
        assertThat(client.call("DELETE", path, null).status()).isEqualTo(404);
        assertThat(client.call("PATCH", path, null).status()).isEqualTo(404);
        assertThat(acme.scaleSet("linux").orElseThrow().sessionOwner()).isNull();
        Http.Resp noOwner = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/sessions", "{}");
        assertThat(noOwner.status()).isEqualTo(400);
        assertThat(client.call("POST", "_apis/runtime/runnerscalesets/77/sessions", "{\"ownerName\":\"h\"}").status())
                .isEqualTo(404);
    }

    @Test
    void aSecondSessionIsAConflictUntilTheFirstIsDeletedOrAbandoned() {
        long set = client.createSet("linux");
        JsonNode first = client.createSession(set, "host-1");
        Http.Resp second = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/sessions", "{\"ownerName\":\"host-2\"}");
        assertThat(second.status()).isEqualTo(409);
        assertThat(typeName(second)).contains("RunnerScaleSetSessionConflictException");
        assertThat(json(second).get("message").asText()).contains("linux", "active session");

        clock.advance(Duration.ofMinutes(3)); // nobody polled or refreshed the first: abandoned
        JsonNode third = client.createSession(set, "host-2");
        assertThat(third.get("sessionId").asText()).isNotEqualTo(first.get("sessionId").asText());
        Http.Resp oldPoll = client.poll(first, 0);
        assertThat(oldPoll.status()).isEqualTo(404);
        assertThat(typeName(oldPoll)).contains("SessionNotFound");
    }

    // ---- long poll, redelivery, tokens ---------------------------------------------------------------

    @Test
    void theLongPollAnswers202WhenNothingCameAndNeedsItsQueryAndCapacity() {
        JsonNode session = client.createSession(client.createSet("linux"), "host-1");
        Http.Resp none = client.poll(session, 0);
        assertThat(none.status()).isEqualTo(202);
        assertThat(none.body()).isEmpty();

        String token = "Bearer " + session.get("messageQueueAccessToken").asText();
        String url = session.get("messageQueueUrl").asText();
        assertThat(client.http.send("GET", url, null, "Authorization", token).status())
                .as("no X-ScaleSetMaxCapacity").isEqualTo(400);
        assertThat(client.http.send("GET", url.substring(0, url.indexOf('?')), null, "Authorization", token,
                "X-ScaleSetMaxCapacity", "1").status()).as("query dropped").isEqualTo(400);
        assertThat(client.http.send("GET", url, null, "Authorization", "Bearer " + client.admin,
                "X-ScaleSetMaxCapacity", "1").status()).as("admin token").isEqualTo(401);
    }

    @Test
    void theLongPollBlocksUntilAJobComes() {
        fake.close();
        fake = FakeGitHub.builder().clock(clock).pollTimeout(Duration.ofSeconds(30)).build().start();
        acme = fake.organization("acme");
        widgets = acme.repository("widgets");
        rest = new Http(fake.url()).token(fake.newToken("admin:org", "repo").reveal());
        client = new ActionsClient(fake, acme, rest);
        JsonNode session = client.createSession(client.createSet("linux"), "host-1");

        CompletableFuture<Http.Resp> poll = CompletableFuture.supplyAsync(() -> client.poll(session, 0));
        Await.until(WAIT, "the poll reaches the fake", () -> fake.requests("actions-service/get-message") == 1);
        assertThat(poll).as("nothing queued yet: the poll holds").isNotDone();
        FakeJob job = fake.queueJob(widgets, "linux");
        JsonNode messages = jobs(poll.join());
        assertThat(messages.get(0).get("messageType").asText()).isEqualTo("JobAvailable");
        assertThat(messages.get(0).get("runnerRequestId").asLong()).isEqualTo(job.id());
    }

    @Test
    void unacknowledgedMessagesComeAgainAndLastMessageIdSkipsThem() {
        long set = client.createSet("linux");
        JsonNode session = client.createSession(set, "host-1");
        fake.queueJob(widgets, "linux");
        Http.Resp first = client.poll(session, 0);
        long id = json(first).get("messageId").asLong();
        assertThat(json(first).get("statistics").get("totalAvailableJobs").asInt()).isEqualTo(1);
        assertThat(json(client.poll(session, 0)).get("messageId").asLong()).as("not acked: again").isEqualTo(id);
        assertThat(client.poll(session, id).status()).as("after lastMessageId nothing new").isEqualTo(202);
        assertThat(acme.scaleSet("linux").orElseThrow().unacknowledgedMessages()).isEqualTo(1);

        // A new session (the listener restarted) starts at 0 and gets it again.
        fake.evictSessions();
        JsonNode next = client.createSession(set, "host-1");
        assertThat(json(client.poll(next, 0)).get("messageId").asLong()).isEqualTo(id);
        assertThat(client.ack(next, id).status()).isEqualTo(204);
        assertThat(client.ack(next, id).status()).as("acking twice is harmless").isEqualTo(204);
        assertThat(client.poll(next, 0).status()).isEqualTo(202);
    }

    @Test
    void anExpiredQueueTokenIs401UntilTheSessionIsRefreshed() {
        long set = client.createSet("linux");
        JsonNode session = client.createSession(set, "host-1");
        fake.expireQueueTokens();
        assertThat(client.poll(session, 0).status()).isEqualTo(401);
        assertThat(client.ack(session, 1).status()).isEqualTo(401);
        assertThat(client.acquire(session, set, "[1]").status()).isEqualTo(401);
        JsonNode refreshed = json(client.call("PATCH", "_apis/runtime/runnerscalesets/" + set + "/sessions/"
                + session.get("sessionId").asText(), null));
        assertThat(client.poll(refreshed, 0).status()).isEqualTo(202);

        clock.advance(Duration.ofHours(1)); // exp passes by the fake's clock
        assertThat(client.poll(refreshed, 0).status()).isEqualTo(401);
        Http.Resp forged = ActionsClient.poll(client.http, SpecValidator.MAPPER.createObjectNode()
                .put("messageQueueUrl", refreshed.get("messageQueueUrl").asText())
                .put("messageQueueAccessToken", "e30.e30.c2ln"), 0);
        assertThat(forged.status()).isEqualTo(401);
    }

    @Test
    void anEvictedSessionIs404AndANewOneOpens() {
        long set = client.createSet("linux");
        JsonNode session = client.createSession(set, "host-1");
        assertThat(fake.evictSessions()).isEqualTo(1);
        Http.Resp poll = client.poll(session, 0);
        assertThat(poll.status()).isEqualTo(404);
        assertThat(typeName(poll)).contains("SessionNotFound");
        assertThat(client.call("PATCH", "_apis/runtime/runnerscalesets/" + set + "/sessions/"
                + session.get("sessionId").asText(), null).status()).isEqualTo(404);
        assertThat(client.poll(client.createSession(set, "host-1"), 0).status()).isEqualTo(202);
    }

    @Test
    void aScaleSetDeletedOnGitHubsSideIs404UntilCreatedAgain() {
        long set = client.createSet("linux", "linux", "gpu");
        JsonNode session = client.createSession(set, "host-1");
        client.jit(set, "idle-1");
        acme.deleteScaleSet("linux");
        assertThat(acme.scaleSets()).isEmpty();
        assertThat(acme.runner("idle-1")).as("its idle runners are unregistered").isEmpty();
        Http.Resp poll = client.poll(session, 0);
        assertThat(poll.status()).isEqualTo(404);
        assertThat(typeName(poll)).contains("RunnerScaleSetNotFoundException");
        Http.Resp create = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/sessions", "{\"ownerName\":\"h\"}");
        assertThat(typeName(create)).contains("RunnerScaleSetNotFoundException");
        long again = client.createSet("linux", "linux", "gpu");
        assertThat(again).isNotEqualTo(set);
        assertThat(acme.scaleSet("linux").orElseThrow().labels()).containsExactly("linux", "gpu");
        assertThatThrownBy(() -> acme.deleteScaleSet("nope")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("nope").hasMessageContaining("linux");
    }

    // ---- job flow -----------------------------------------------------------------------------------

    @Test
    void aJobGoesAvailableAssignedStartedCompletedWithStatistics() throws Exception {
        long set = client.createSet("linux", "linux", "gpu");
        JsonNode session = client.createSession(set, "host-1");
        // A plain runner with the same labels never gets a job the set acquired.
        Http.Resp plain = rest.send("POST", "/orgs/acme/actions/runners/generate-jitconfig",
                "{\"name\":\"plain\",\"runner_group_id\":1,\"labels\":[\"linux\",\"gpu\"]}");
        FakeRunnerSession other = FakeRunnerSession.fromJitConfig(fake, json(plain).get("encoded_jit_config").asText());

        fake.queueJob(widgets, "windows"); // matches nothing
        FakeJob job = fake.queueJob(widgets, "LINUX", "gpu");
        Http.Resp m1 = client.poll(session, 0);
        JsonNode available = jobs(m1).get(0);
        assertThat(jobs(m1)).hasSize(1);
        assertThat(available.get("messageType").asText()).isEqualTo("JobAvailable");
        assertThat(available.get("runnerRequestId").asLong()).isEqualTo(job.id());
        assertThat(available.get("repositoryName").asText()).isEqualTo("widgets");
        assertThat(available.get("ownerName").asText()).isEqualTo("acme");
        assertThat(available.get("jobId").isTextual()).isTrue();
        assertThat(available.get("requestLabels")).hasSize(2);
        assertThat(available.get("acquireJobUrl").asText()).contains("/acquirejobs");
        assertThat(available.get("finishTime").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertThat(json(m1).get("statistics").get("totalAvailableJobs").asInt()).isEqualTo(1);
        client.ack(session, json(m1).get("messageId").asLong());

        Http.Resp withAdmin = client.http.send("POST", client.svc + "_apis/runtime/runnerscalesets/" + set
                + "/acquirejobs?api-version=6.0-preview", "[" + job.id() + "]", "Authorization", "Bearer " + client.admin);
        assertThat(withAdmin.status()).as("acquirejobs takes the queue token").isEqualTo(401);
        Http.Resp acquired = client.acquire(session, set, "[" + job.id() + ", 424242]");
        assertThat(acquired.status()).as(acquired.body()).isEqualTo(200);
        assertThat(json(acquired).get("count").asInt()).isEqualTo(1);
        assertThat(json(acquired).get("value").get(0).asLong()).isEqualTo(job.id());
        assertThat(json(client.acquire(session, set, "[" + job.id() + "]")).get("count").asInt())
                .as("acquired once").isZero();
        assertThat(client.acquire(session, set, "{}").status()).isEqualTo(400);

        Http.Resp m2 = client.poll(session, json(m1).get("messageId").asLong());
        assertThat(jobs(m2).get(0).get("messageType").asText()).isEqualTo("JobAssigned");
        JsonNode stats = json(m2).get("statistics");
        assertThat(stats.get("totalAvailableJobs").asInt()).isZero();
        assertThat(stats.get("totalAssignedJobs").asInt()).isEqualTo(1);
        assertThat(stats.get("totalAcquiredJobs").asInt()).isEqualTo(1);
        client.ack(session, json(m2).get("messageId").asLong());

        other.connect();
        assertThat(other.poll()).as("a runner outside the set").contains("result=none");
        FakeRunnerSession runner = FakeRunnerSession.fromJitConfig(fake, client.jit(set, "runner-1").get("encodedJITConfig").asText());
        runner.connect();
        assertThat(runner.poll()).contains("result=job", "job=" + job.id());
        Http.Resp m3 = client.poll(session, json(m2).get("messageId").asLong());
        JsonNode started = jobs(m3).get(0);
        assertThat(started.get("messageType").asText()).isEqualTo("JobStarted");
        assertThat(started.get("runnerName").asText()).isEqualTo("runner-1");
        assertThat(started.get("runnerId").asLong()).isEqualTo(acme.runner("runner-1").orElseThrow().id());
        stats = json(m3).get("statistics");
        assertThat(stats.get("totalRunningJobs").asInt()).isEqualTo(1);
        assertThat(stats.get("totalAssignedJobs").asInt()).isEqualTo(1);
        assertThat(stats.get("totalBusyRunners").asInt()).isEqualTo(1);
        assertThat(stats.get("totalRegisteredRunners").asInt()).isEqualTo(1);
        client.ack(session, json(m3).get("messageId").asLong());

        runner.finish(job.id());
        Http.Resp m4 = client.poll(session, json(m3).get("messageId").asLong());
        JsonNode completed = jobs(m4).get(0);
        assertThat(completed.get("messageType").asText()).isEqualTo("JobCompleted");
        assertThat(completed.get("result").asText()).isEqualTo("succeeded");
        assertThat(completed.get("runnerName").asText()).isEqualTo("runner-1");
        assertThat(json(m4).get("statistics").get("totalAssignedJobs").asInt()).isZero();
        assertThat(json(m4).get("statistics").get("totalRegisteredRunners").asInt()).as("ephemeral: gone").isZero();
        assertThat(job.status()).isEqualTo("completed");
        assertThat(job.runnerName()).isEqualTo("runner-1");
    }

    @Test
    void aScaleSetDeletedBeforeARunnerStartedRequeuesItsAcquiredJobs() {
        long set = client.createSet("linux");
        JsonNode session = client.createSession(set, "host-1");
        FakeJob job = fake.queueJob(widgets, "linux");
        client.poll(session, 0);
        client.acquire(session, set, "[" + job.id() + "]");
        assertThat(acme.scaleSet("linux").orElseThrow().statistics().assignedJobs()).isEqualTo(1);
        acme.deleteScaleSet("linux");
        long again = client.createSet("linux");
        JsonNode next = client.createSession(again, "host-1");
        assertThat(next.get("statistics").get("totalAvailableJobs").asInt()).isEqualTo(1);
        JsonNode offered = jobs(client.poll(next, 0)).get(0);
        assertThat(offered.get("messageType").asText()).isEqualTo("JobAvailable");
        assertThat(offered.get("runnerRequestId").asLong()).isEqualTo(job.id());
    }

    // ---- injected faults ----------------------------------------------------------------------------

    @Test
    void failNextOnActionsServiceCallsAnswersTheirExceptions() {
        long set = client.createSet("linux");
        fake.failNext("actions-service/create-session", 1, Fault.status(409));
        Http.Resp conflict = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/sessions", "{\"ownerName\":\"h\"}");
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(typeName(conflict)).contains("RunnerScaleSetSessionConflictException");
        assertThat(acme.scaleSet("linux").orElseThrow().sessionOwner()).as("state unchanged").isNull();

        JsonNode session = client.createSession(set, "host-1");
        fake.failNext("actions-service/get-message", 2, Fault.status(503));
        Http.Resp burst = client.poll(session, 0);
        assertThat(burst.status()).isEqualTo(503);
        assertThat(burst.header("Content-Type")).startsWith("text/plain");
        assertThat(client.poll(session, 0).status()).isEqualTo(503);
        assertThat(client.poll(session, 0).status()).isEqualTo(202);
        assertThat(fake.requests("actions-service/get-message")).isEqualTo(3);

        fake.failNext("actions-service/get-runner-scale-set", 1, Fault.status(404));
        assertThat(typeName(client.call("GET", "_apis/runtime/runnerscalesets/" + set, null)))
                .contains("RunnerScaleSetNotFoundException");
        fake.failNext("actions-service/generate-jit-config", 1, Fault.secondaryLimit(Duration.ofSeconds(7)));
        Http.Resp limited = client.call("POST", "_apis/runtime/runnerscalesets/" + set + "/generatejitconfig", "{\"name\":\"r\"}");
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isEqualTo("7");

        assertThatThrownBy(() -> fake.failNext("actions-service/nope", 1, Fault.status(500)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("actions-service/get-message");
    }

    @Test
    void aHangingBrokerHoldsThePollUntilTheFakeCloses() {
        JsonNode session = client.createSession(client.createSet("linux"), "host-1");
        fake.failNext("actions-service/get-message", 1, Fault.delay(Duration.ofMinutes(10)));
        CompletableFuture<Integer> poll = CompletableFuture.supplyAsync(() -> {
            try {
                return client.poll(session, 0).status();
            } catch (RuntimeException e) {
                return -1; // the server went away
            }
        });
        Await.until(WAIT, "the poll reaches the fake", () -> fake.requests("actions-service/get-message") == 1);
        assertThat(poll).isNotDone();
        fake.close();
        Await.until(WAIT, "the held poll ends once the fake closes", poll::isDone);
    }
}
