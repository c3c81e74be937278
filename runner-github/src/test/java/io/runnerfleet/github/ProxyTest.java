package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.Secret;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.util.Map;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;

/** Requests go through an explicit proxy or the one {@code HTTPS_PROXY} names (a local server plays it). */
class ProxyTest {
    @Test
    void explicitProxyReceivesTheRequest() throws Exception {
        try (MockWebServer proxy = TestSupport.server()) {
            proxy.enqueue(json(200, Spec.example("runner")));
            try (GitHubClient client = GitHubClient.builder().baseUrl("http://github.example.invalid/api/v3")
                    .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN)))
                    .proxy(new Proxy(Proxy.Type.HTTP, new InetSocketAddress("127.0.0.1", proxy.getPort()))).build()) {
                assertThat(client.runners(RunnerScope.organization("acme")).get(23).name()).isEqualTo("MBP");
            }
            RecordedRequest r = proxy.takeRequest();
            assertThat(r.getRequestLine()).contains("http://github.example.invalid/api/v3/orgs/acme/actions/runners/23");
            assertThat(r.getHeaders().get("Authorization")).isEqualTo("Bearer " + TestSupport.TOKEN);
        }
    }

    @Test
    void environmentProxyIsUsedUnlessNoProxyMatches() throws Exception {
        try (MockWebServer proxy = TestSupport.server()) {
            proxy.enqueue(json(200, Spec.example("runner")));
            Map<String, String> env = Map.of("HTTPS_PROXY", "http://127.0.0.1:" + proxy.getPort(), "NO_PROXY", "localhost");
            try (GitHubClient client = GitHubClient.builder().baseUrl("http://github.example.invalid")
                    .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN))).environment(env).build()) {
                client.runners(RunnerScope.organization("acme")).get(23);
            }
            assertThat(proxy.takeRequest().getRequestLine()).contains("http://github.example.invalid/orgs/acme");
        }
    }

    @Test
    void proxyCredentialsFromTheUrlAnswerA407() throws Exception {
        try (MockWebServer proxy = TestSupport.server()) {
            proxy.enqueue(new mockwebserver3.MockResponse.Builder().code(407)
                    .addHeader("Proxy-Authenticate", "Basic realm=\"corp\"").build());
            proxy.enqueue(json(200, Spec.example("runner")));
            Map<String, String> env = Map.of("HTTPS_PROXY", "http://fleet:s3cret@127.0.0.1:" + proxy.getPort());
            try (GitHubClient client = GitHubClient.builder().baseUrl("http://github.example.invalid")
                    .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN))).environment(env).build()) {
                assertThat(client.runners(RunnerScope.organization("acme")).get(23).name()).isEqualTo("MBP");
            }
            assertThat(proxy.takeRequest().getHeaders().get("Proxy-Authorization")).isNull();
            assertThat(proxy.takeRequest().getHeaders().get("Proxy-Authorization"))
                    .isEqualTo(okhttp3.Credentials.basic("fleet", "s3cret"));
        }
    }
}
