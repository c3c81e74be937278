package io.runnerfleet.github;

import static io.runnerfleet.github.TestSupport.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link GitHubRegistry} as core's {@code RunnerRegistry}. */
class GitHubRegistryTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
    private MockWebServer server;
    private MutableClock clock;
    private GitHubRegistry registry;

    @BeforeEach
    void start() {
        server = TestSupport.server();
        clock = MutableClock.at(NOW);
        registry = GitHubRegistry.builder(RunnerScope.organization("acme"))
                .baseUrl(server.url("/").toString())
                .credentials(GitHubCredentials.token(Secret.of(TestSupport.TOKEN)))
                .clock(clock)
                .sleeper(new TestSupport.RecordingSleeper(clock))
                .build();
    }

    @AfterEach
    void stop() {
        registry.close();
        server.close();
    }

    @Test
    void describesItsScopeAndRegistrationUrl() {
        assertThat(registry.scope()).isEqualTo("organization acme");
        assertThat(registry.registrationUrl()).isEqualTo(server.url("/acme").toString());
        assertThat(registry.toString()).contains("organization acme");
        try (GitHubRegistry dotcom = GitHubRegistry.repository("acme", "app", GitHubCredentials.token(Secret.of("x")))) {
            assertThat(dotcom.registrationUrl()).isEqualTo("https://github.com/acme/app");
        }
    }

    @Test
    void registrationTokensAreReusedUntilFiveMinutesBeforeExpiry() {
        Instant expires = NOW.plus(Duration.ofHours(1));
        server.enqueue(json(201, "{\"token\":\"AAA\",\"expires_at\":\"" + expires + "\"}"));
        server.enqueue(json(201, "{\"token\":\"BBB\",\"expires_at\":\"" + expires.plus(Duration.ofHours(1)) + "\"}"));
        RegistrationToken first = registry.registrationToken();
        clock.advance(Duration.ofMinutes(54));
        assertThat(registry.registrationToken()).isSameAs(first);
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        assertThat(registry.registrationToken().token().reveal()).isEqualTo("BBB");
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void runnersAreMappedToTheSpi() {
        server.enqueue(json(200, Spec.example("runner-paginated")));
        assertThat(registry.runners()).extracting(RegisteredRunner::name, RegisteredRunner::displayStatus)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("linux_runner", "Active"),
                        org.assertj.core.groups.Tuple.tuple("mac_runner", "Offline"));
    }

    @Test
    void deleteIsIdempotentAndBusyRunnersAreNamed() throws Exception {
        RegisteredRunner runner = new RegisteredRunner(21, "acme-qemu-1", "linux", true, true, LabelSet.of("x"), false);
        server.enqueue(new MockResponse.Builder().code(204).build());
        registry.delete(runner);
        server.enqueue(json(404, "{\"message\":\"Not Found\"}"));
        registry.delete(runner);
        server.enqueue(json(422, "{\"message\":\"Bad request - Runner is still running a job\",\"documentation_url\":\"d\"}"));
        assertThatThrownBy(() -> registry.delete(runner)).isInstanceOfSatisfying(RunnerBusyException.class,
                e -> assertThat(e.runnerName()).isEqualTo("acme-qemu-1"));
        assertThat(server.takeRequest().getTarget()).isEqualTo("/orgs/acme/actions/runners/21");
    }

    @Test
    void runnerGroupsAreResolvedByName() {
        assertThat(registry.runnerGroupId("default")).isEqualTo(1);
        assertThat(server.getRequestCount()).isZero();
        server.enqueue(json(200, Spec.example("runner-groups-org")));
        assertThat(registry.runnerGroupId("Expensive-Hardware")).isEqualTo(3);
        server.enqueue(json(200, Spec.example("runner-groups-org")));
        assertThatThrownBy(() -> registry.runnerGroupId("gpu")).isInstanceOf(io.runnerfleet.RegistrationException.class)
                .hasMessageContaining("'gpu'").hasMessageContaining("octo-runner-group");
        try (GitHubRegistry repo = GitHubRegistry.builder(RunnerScope.repository("acme", "app"))
                .baseUrl(server.url("/").toString()).build()) {
            assertThatThrownBy(() -> repo.runnerGroupId("gpu")).isInstanceOf(io.runnerfleet.RegistrationException.class);
        }
        assertThat(server.getRequestCount()).isEqualTo(2);
    }

    @Test
    void aSharedClientStaysOpen() {
        try (GitHubClient shared = TestSupport.client(server, clock, new TestSupport.RecordingSleeper(clock)).build()) {
            GitHubRegistry a = GitHubRegistry.builder(RunnerScope.organization("a")).client(shared).build();
            a.close();
            server.enqueue(json(200, Spec.example("runner")));
            assertThat(shared.runners(RunnerScope.organization("a")).get(23).name()).isEqualTo("MBP");
            assertThat(a.client()).isSameAs(shared);
        }
    }
}
