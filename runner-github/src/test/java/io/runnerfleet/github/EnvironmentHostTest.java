package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import java.util.Map;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.Test;

/** {@code GITHUB_API_URL} and {@code GITHUB_SERVER_URL} pick the host when the builder is not told. */
class EnvironmentHostTest {
    private static GitHubClient client(Map<String, String> env) {
        return GitHubClient.builder().environment(env).build();
    }

    @Test
    void withoutVariablesTheHostIsGitHubDotCom() {
        try (GitHubClient c = client(Map.of())) {
            assertThat(c.baseUrl()).isEqualTo("https://api.github.com/");
            assertThat(c.webUrl()).isEqualTo("https://github.com");
        }
    }

    @Test
    void apiUrlVariableSetsTheBaseAndTheDerivedWebUrl() {
        try (GitHubClient c = client(Map.of("GITHUB_API_URL", "https://ghe.example/api/v3"))) {
            assertThat(c.baseUrl()).isEqualTo("https://ghe.example/api/v3/");
            assertThat(c.webUrl()).isEqualTo("https://ghe.example");
        }
    }

    @Test
    void serverUrlVariableSetsTheWebUrl() {
        try (GitHubClient c = client(Map.of("GITHUB_API_URL", "http://127.0.0.1:8080",
                "GITHUB_SERVER_URL", "http://127.0.0.1:9090/"))) {
            assertThat(c.baseUrl()).isEqualTo("http://127.0.0.1:8080/");
            assertThat(c.webUrl()).isEqualTo("http://127.0.0.1:9090");
        }
    }

    @Test
    void blankVariablesAreIgnored() {
        try (GitHubClient c = client(Map.of("GITHUB_API_URL", "  ", "GITHUB_SERVER_URL", ""))) {
            assertThat(c.baseUrl()).isEqualTo("https://api.github.com/");
            assertThat(c.webUrl()).isEqualTo("https://github.com");
        }
    }

    @Test
    void explicitCallsWinOverTheEnvironment() {
        Map<String, String> env = Map.of("GITHUB_API_URL", "https://ghe.example/api/v3",
                "GITHUB_SERVER_URL", "https://ghe.example");
        try (GitHubClient c = GitHubClient.builder().environment(env).baseUrl("http://127.0.0.1:1/api/v3")
                .webUrl("http://127.0.0.1:2").build()) {
            assertThat(c.baseUrl()).isEqualTo("http://127.0.0.1:1/api/v3/");
            assertThat(c.webUrl()).isEqualTo("http://127.0.0.1:2");
        }
        // An explicit base URL does not stop GITHUB_SERVER_URL from naming the web host.
        try (GitHubClient c = GitHubClient.builder().environment(env).baseUrl("http://127.0.0.1:1/api/v3").build()) {
            assertThat(c.webUrl()).isEqualTo("https://ghe.example");
        }
    }

    @Test
    void malformedApiUrlNamesTheVariableAndItsValue() {
        assertThatThrownBy(() -> client(Map.of("GITHUB_API_URL", "ghe.example/api/v3")))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("GITHUB_API_URL")
                .hasMessageContaining("'ghe.example/api/v3'")
                .hasMessageContaining("https://HOST/api/v3");
    }

    @Test
    void nonHttpServerUrlNamesTheVariableAndItsValue() {
        assertThatThrownBy(() -> client(Map.of("GITHUB_SERVER_URL", "ftp://ghe.example")))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("GITHUB_SERVER_URL")
                .hasMessageContaining("'ftp://ghe.example'")
                .hasMessageContaining("absolute http(s) URL");
    }

    @Test
    void malformedVariableIsIgnoredWhenTheBuilderIsTold() {
        try (GitHubClient c = GitHubClient.builder().environment(Map.of("GITHUB_API_URL", "not a url"))
                .baseUrl("http://127.0.0.1:1").build()) {
            assertThat(c.baseUrl()).isEqualTo("http://127.0.0.1:1/");
        }
    }

    @Test
    void registryBuilderSendsRequestsToTheHostFromTheEnvironment() throws Exception {
        try (MockWebServer server = TestSupport.server()) {
            server.enqueue(json(200, Spec.example("runner")));
            String api = "http://127.0.0.1:" + server.getPort() + "/api/v3";
            try (GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("acme"))
                    .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN)))
                    .environment(Map.of("GITHUB_API_URL", api, "GITHUB_SERVER_URL", "http://ghe.example.invalid"))
                    .build()) {
                assertThat(registry.runnerApi().get(23).name()).isEqualTo("MBP");
                assertThat(registry.registrationUrl()).isEqualTo("http://ghe.example.invalid/acme");
                assertThat(registry.toString()).contains(api);
            }
            assertThat(server.takeRequest().getRequestLine()).contains("/api/v3/orgs/acme/actions/runners/23");
        }
    }

    @Test
    void registryBuilderRejectsAMalformedVariable() {
        assertThatThrownBy(() -> GitHubRegistry.builder(RunnerScope.repository("acme", "app"))
                .environment(Map.of("GITHUB_API_URL", "api.github.com")).build())
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("GITHUB_API_URL='api.github.com'");
    }
}
