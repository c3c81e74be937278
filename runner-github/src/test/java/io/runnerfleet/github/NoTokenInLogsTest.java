package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.TOKEN;
import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.testing.MutableClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

/**
 * Runs successes, failures and retries with debug logging on and checks that neither the PAT nor
 * any token GitHub issued appears in log output, exception messages or {@code toString()}.
 */
class NoTokenInLogsTest {
    private static final String REGISTRATION = "AABBCCDDREGISTRATIONTOKEN123";
    private static final String JIT = "ZW5jb2RlZC1qaXQtY29uZmln";

    @Test
    void noTokenAppearsInLogsMessagesOrToString() throws Exception {
        PrintStream originalErr = System.err;
        PrintStream originalOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
        List<String> texts = new ArrayList<>();
        System.setErr(capture);
        System.setOut(capture);
        try (MockWebServer server = TestSupport.server()) {
            MutableClock clock = MutableClock.at(Instant.parse("2026-01-01T00:00:00Z"));
            try (GitHubClient client = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock)).build()) {
                org.slf4j.LoggerFactory.getLogger(GitHubHttp.class).debug("debug logging is on");
                TokenApi tokens = client.tokens(RunnerScope.organization("acme"));
                RunnerApi runners = client.runners(RunnerScope.organization("acme"));

                server.enqueue(json(201, "{\"token\":\"" + REGISTRATION + "\",\"expires_at\":\"2026-01-01T01:00:00Z\"}"));
                RegistrationToken token = tokens.registrationToken();
                texts.add(token.toString());
                server.enqueue(json(201, Spec.example("runner-jitconfig").replace(
                        Spec.example("runner-jitconfig").replaceAll(".*\"encoded_jit_config\": ?\"([^\"]*)\".*", "$1"), JIT)));
                JitConfig jit = tokens.jitConfig(new JitRequest("r1", LabelSet.of("linux"), 1, null));
                texts.add(jit.toString());
                server.enqueue(json(500, "{\"message\":\"oops\"}"));
                server.enqueue(json(200, Spec.example("runner-paginated")));
                texts.add(runners.list().toString());
                for (int code : new int[] {401, 403, 404, 409, 422}) {
                    server.enqueue(json(code, "{\"message\":\"nope\",\"documentation_url\":\"https://docs\"}"));
                    try {
                        runners.get(7);
                    } catch (RuntimeException e) {
                        texts.add(e.toString());
                    }
                }
                server.enqueue(new MockResponse.Builder().code(200).body("{broken").build());
                try {
                    runners.get(7);
                } catch (RuntimeException e) {
                    texts.add(e.toString());
                }
                texts.add(client.toString());
                texts.add(GitHubCredentials.token(Secret.of(TOKEN)).toString());
            }
        } finally {
            System.setErr(originalErr);
            System.setOut(originalOut);
        }
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertThat(logs).as("debug output was captured").contains("debug logging is on").contains("/orgs/acme");
        for (String secret : List.of(TOKEN, REGISTRATION, JIT)) {
            assertThat(logs).doesNotContain(secret);
            assertThat(texts).noneMatch(t -> t.contains(secret));
        }
        assertThat(texts).hasSizeGreaterThan(8);
    }

    @Test
    void noAppKeyJwtOrInstallationTokenAppearsInLogsOrMessages() throws Exception {
        java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        byte[] der = g.generateKeyPair().getPrivate().getEncoded();
        String base64 = java.util.Base64.getEncoder().encodeToString(der);
        String pem = "-----BEGIN PRIVATE KEY-----\n" + base64 + "\n-----END PRIVATE KEY-----\n";
        String installationToken = "ghs_1234_eyJhbGciOiJub25lIn0.stateless.installation.token";
        List<String> jwts = new java.util.concurrent.CopyOnWriteArrayList<>();
        PrintStream originalErr = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        List<String> texts = new ArrayList<>();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (MockWebServer server = TestSupport.server()) {
            server.setDispatcher(new mockwebserver3.Dispatcher() {
                @Override
                public MockResponse dispatch(mockwebserver3.RecordedRequest r) {
                    if (r.getUrl().encodedPath().startsWith("/app/installations/")) {
                        jwts.add(r.getHeaders().get("Authorization").substring("Bearer ".length()));
                        return json(201, "{\"token\":\"" + installationToken + "\",\"expires_at\":\"2099-01-01T00:00:00Z\"}");
                    }
                    return json(403, "{\"message\":\"Resource not accessible by integration\"}");
                }
            });
            GitHubCredentials app = GitHubCredentials.app("Iv1.abc", Secret.of(pem), 99);
            texts.add(app.toString());
            try (GitHubClient client = GitHubClient.builder().baseUrl(server.url("/").toString()).credentials(app)
                    .build()) {
                try {
                    client.runners(RunnerScope.organization("acme")).list();
                } catch (GitHubApiException e) {
                    texts.add(e.toString());
                }
                texts.add(client.toString());
            }
        } finally {
            System.setErr(originalErr);
        }
        assertThat(jwts).hasSize(1);
        String logs = captured.toString(StandardCharsets.UTF_8);
        assertThat(logs).contains("/orgs/acme");
        for (String secret : List.of(installationToken, jwts.get(0), jwts.get(0).split("\\.")[2],
                base64.substring(100, 160))) {
            assertThat(logs).doesNotContain(secret);
            assertThat(texts).noneMatch(t -> t.contains(secret));
        }
    }
}
