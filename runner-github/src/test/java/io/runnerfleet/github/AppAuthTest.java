package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** GitHub App authentication: the JWT GitHub receives, installation tokens, caching and refresh. */
class AppAuthTest {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static KeyPair keys;

    private MockWebServer server;
    private MutableClock clock;
    private final List<String> jwts = new CopyOnWriteArrayList<>();
    private final List<String> runnerAuth = new CopyOnWriteArrayList<>();
    private final AtomicInteger minted = new AtomicInteger();

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
    }

    static String pkcs8Pem() {
        return pem("PRIVATE KEY", keys.getPrivate().getEncoded());
    }

    /** The PKCS#1 RSAPrivateKey inside the JDK's PKCS#8 encoding: the content of its OCTET STRING. */
    static String pkcs1Pem() {
        byte[] der = keys.getPrivate().getEncoded();
        int i = 0;
        i = skipHeader(der, i); // outer SEQUENCE
        i = skipElement(der, i); // version INTEGER
        i = skipElement(der, i); // AlgorithmIdentifier SEQUENCE
        int contentStart = skipHeader(der, i); // OCTET STRING
        int length = length(der, i);
        return pem("RSA PRIVATE KEY", Arrays.copyOfRange(der, contentStart, contentStart + length));
    }

    private static int skipHeader(byte[] der, int i) {
        int first = der[i + 1] & 0xff;
        return i + 2 + (first < 0x80 ? 0 : first & 0x7f);
    }

    private static int length(byte[] der, int i) {
        int first = der[i + 1] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int n = 0;
        for (int k = 0; k < (first & 0x7f); k++) {
            n = (n << 8) | (der[i + 2 + k] & 0xff);
        }
        return n;
    }

    private static int skipElement(byte[] der, int i) {
        return skipHeader(der, i) + length(der, i);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    @BeforeEach
    void start() {
        clock = MutableClock.at(NOW);
        server = TestSupport.server();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) {
                String path = r.getUrl().encodedPath();
                String auth = r.getHeaders().get("Authorization");
                if (path.equals("/orgs/acme/installation") && r.getMethod().equals("GET")) {
                    jwts.add(auth);
                    return json(200, "{\"id\": 77, \"app_id\": 1}");
                }
                if (path.equals("/app/installations/77/access_tokens") && r.getMethod().equals("POST")) {
                    jwts.add(auth);
                    int n = minted.incrementAndGet();
                    Instant expires = clock.instant().plus(Duration.ofHours(1));
                    return json(201, "{\"token\": \"ghs_installation_" + n + "\", \"expires_at\": \"" + expires + "\"}");
                }
                if (path.equals("/orgs/acme/actions/runners")) {
                    runnerAuth.add(auth);
                    return json(200, Spec.example("runner-paginated"));
                }
                return json(404, "{\"message\":\"Not Found\"}");
            }
        });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private GitHubClient client(GitHubCredentials credentials) {
        return GitHubClient.builder().baseUrl(server.url("/").toString()).credentials(credentials).clock(clock)
                .sleeper(new TestSupport.RecordingSleeper(clock)).build();
    }

    private static JsonNode verifiedClaims(String authorization) throws Exception {
        assertThat(authorization).startsWith("Bearer ");
        String[] parts = authorization.substring("Bearer ".length()).split("\\.");
        assertThat(parts).hasSize(3);
        Signature verifier = Signature.getInstance("SHA256withRSA");
        PublicKey publicKey = keys.getPublic();
        verifier.initVerify(publicKey);
        verifier.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
        assertThat(verifier.verify(Base64.getUrlDecoder().decode(parts[2]))).as("JWT signature").isTrue();
        ObjectMapper m = new ObjectMapper();
        JsonNode header = m.readTree(Base64.getUrlDecoder().decode(parts[0]));
        assertThat(header.path("alg").asText()).isEqualTo("RS256");
        return m.readTree(Base64.getUrlDecoder().decode(parts[1]));
    }

    @Test
    void theJwtIsSignedRs256WithTheAppsKeyAndBoundedLifetime() throws Exception {
        for (String pem : List.of(pkcs1Pem(), pkcs8Pem())) {
            jwts.clear();
            runnerAuth.clear();
            try (GitHubClient c = client(GitHubCredentials.app("Iv23liClientId", Secret.of(pem), 77))) {
                c.runners(RunnerScope.organization("acme")).list();
            }
            assertThat(jwts).hasSize(1);
            JsonNode claims = verifiedClaims(jwts.get(0));
            assertThat(claims.path("iss").asText()).isEqualTo("Iv23liClientId");
            assertThat(claims.path("iat").asLong()).isEqualTo(NOW.getEpochSecond() - 60);
            assertThat(claims.path("exp").asLong() - claims.path("iat").asLong()).isLessThanOrEqualTo(600);
            assertThat(claims.path("exp").asLong()).isGreaterThan(NOW.getEpochSecond());
            assertThat(runnerAuth).allMatch(a -> a.startsWith("Bearer ghs_installation_"));
        }
    }

    @Test
    void theInstallationIsLookedUpForTheOrganization() throws Exception {
        try (GitHubClient c = client(GitHubCredentials.app("12345", Secret.of(pkcs8Pem()),
                RunnerScope.organization("acme")))) {
            c.runners(RunnerScope.organization("acme")).list();
            c.runners(RunnerScope.organization("acme")).list();
        }
        assertThat(jwts).hasSize(2); // one lookup, one token
        assertThat(verifiedClaims(jwts.get(0)).path("iss").asText()).isEqualTo("12345");
        assertThat(minted.get()).isEqualTo(1);
        assertThat(runnerAuth).containsExactly("Bearer ghs_installation_1", "Bearer ghs_installation_1");
    }

    @Test
    void theTokenIsReusedThenRefreshedFiveMinutesBeforeExpiry() {
        try (GitHubClient c = client(GitHubCredentials.app("1", Secret.of(pkcs8Pem()), 77))) {
            RunnerApi api = c.runners(RunnerScope.organization("acme"));
            api.list();
            clock.advance(Duration.ofMinutes(54));
            api.list();
            assertThat(minted.get()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(1).plusSeconds(1)); // 4 min 59 s left: refresh
            api.list();
            assertThat(minted.get()).isEqualTo(2);
        }
        assertThat(runnerAuth).containsExactly("Bearer ghs_installation_1", "Bearer ghs_installation_1",
                "Bearer ghs_installation_2");
    }

    @Test
    void concurrentCallersShareOneRefresh() throws Exception {
        try (GitHubClient c = client(GitHubCredentials.app("1", Secret.of(pkcs1Pem()), 77))) {
            RunnerApi api = c.runners(RunnerScope.organization("acme"));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                futures.add(pool.submit(() -> {
                    go.await();
                    return api.list();
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get(20, TimeUnit.SECONDS);
            }
            pool.shutdown();
        }
        assertThat(minted.get()).isEqualTo(1);
        assertThat(runnerAuth).hasSize(8).allMatch("Bearer ghs_installation_1"::equals);
    }

    @Test
    void aRejectedInstallationTokenIsReplacedOnce() {
        AtomicInteger rejections = new AtomicInteger(1);
        Dispatcher normal = server.getDispatcher();
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
                if (r.getUrl().encodedPath().equals("/orgs/acme/actions/runners") && rejections.getAndDecrement() > 0) {
                    runnerAuth.add(r.getHeaders().get("Authorization"));
                    return json(401, "{\"message\":\"Bad credentials\"}");
                }
                return normal.dispatch(r);
            }
        });
        try (GitHubClient c = client(GitHubCredentials.app("1", Secret.of(pkcs8Pem()), 77))) {
            assertThat(c.runners(RunnerScope.organization("acme")).list()).hasSize(2);
        }
        assertThat(minted.get()).isEqualTo(2);
        assertThat(runnerAuth).containsExactly("Bearer ghs_installation_1", "Bearer ghs_installation_2");
    }

    @Test
    void badKeysAndIdsAreRejectedWithoutQuotingTheKey() {
        String pem = pkcs8Pem();
        String broken = pem.replace("-----END PRIVATE KEY-----", "");
        assertThatThrownBy(() -> GitHubCredentials.app("1", Secret.of(broken), 77))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("END PRIVATE KEY")
                .hasMessageNotContaining(pem.substring(40, 80));
        assertThatThrownBy(() -> GitHubCredentials.app("1", Secret.of("ssh-rsa AAAA"), 77))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("PKCS#1");
        assertThatThrownBy(() -> GitHubCredentials.app(" 1", Secret.of(pem), 77)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> GitHubCredentials.app("1", Secret.of(pem), 0)).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> GitHubCredentials.app("1", Secret.of(pem), RunnerScope.enterprise("e")))
                .isInstanceOf(InvalidSpecException.class);
        assertThat(GitHubCredentials.app("1", Secret.of(pem), 77).toString()).isEqualTo(
                "GitHubCredentials[app 1, installation 77]");
    }

    @Test
    void tokensComeFromTheEnvironment() {
        assertThat(GitHubCredentials.fromEnvironment(java.util.Map.of("GITHUB_TOKEN", "abc")).token().reveal())
                .isEqualTo("abc");
        assertThat(GitHubCredentials.fromEnvironment(java.util.Map.of("GH_PAT", "pat", "GITHUB_TOKEN", "abc"))
                .token().reveal()).isEqualTo("pat");
        assertThatThrownBy(() -> GitHubCredentials.fromEnvironment(java.util.Map.of()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("GH_PAT");
        assertThat(GitHubCredentials.token(Secret.of("sekrit")).toString()).doesNotContain("sekrit");
    }
}
