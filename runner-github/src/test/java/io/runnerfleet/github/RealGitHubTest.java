package io.runnerfleet.github;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.spi.RegistrationToken;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * Opt-in read-mostly check against the real api.github.com: runs only when {@code RUNNERFLEET_IT_PAT} and
 * {@code RUNNERFLEET_IT_ORG} are set (the build machines cannot reach GitHub, so it is skipped there). Its own
 * variable, not {@code GH_PAT}: the build keeps the machine's GitHub variables away from the other tests.
 * It lists runners, reads the rate limit and issues one registration token; it registers nothing.
 */
@EnabledIfEnvironmentVariable(named = "RUNNERFLEET_IT_PAT", matches = ".+")
@EnabledIfEnvironmentVariable(named = "RUNNERFLEET_IT_ORG", matches = ".+")
class RealGitHubTest {
    @Test
    void readsRunnersAndIssuesARegistrationToken() {
        try (GitHubRegistry registry = GitHubRegistry.organization(System.getenv("RUNNERFLEET_IT_ORG"),
                GitHubCredentials.token(io.runnerfleet.Secret.of(System.getenv("RUNNERFLEET_IT_PAT"))))) {
            assertThat(registry.runners()).isNotNull();
            RegistrationToken token = registry.registrationToken();
            assertThat(token.expiresAt()).isAfter(Instant.now());
            assertThat(registry.client().fetchRateLimits()).containsKey("core");
            assertThat(registry.client().rateLimit()).isPresent();
        }
    }
}
