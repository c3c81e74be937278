package io.runnerfleet.github;

import io.runnerfleet.github.internal.Sleeper;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Core's {@link RunnerRegistry} on GitHub: one scope, one {@link GitHubClient}.
 *
 * <pre>{@code
 * RunnerRegistry registry = GitHubRegistry.organization("acme", GitHubCredentials.fromEnvironment());
 * RegistrationToken token = registry.registrationToken();     // reused until 5 minutes before expiry
 * registry.runners().forEach(r -> System.out.println(r.name() + " " + r.displayStatus()));
 *
 * GitHubRegistry local = GitHubRegistry.builder(RunnerScope.repository("acme", "app"))
 *     .baseUrl("http://127.0.0.1:8080").credentials(GitHubCredentials.token(Secret.of("t"))).build();
 * }</pre>
 *
 * <p>Registration tokens are cached and reused until {@link #TOKEN_REUSE_MARGIN} before they expire
 * (GitHub issues them for an hour), which keeps a steady fleet's request budget small. Deleting a
 * runner that is gone is not an error; deleting a busy one raises {@link io.runnerfleet.RunnerBusyException}.
 * Thread-safe. Close it to release the client it made (a client passed to the builder stays open).
 */
public final class GitHubRegistry implements RunnerRegistry, AutoCloseable {
    /** A cached registration token is replaced when less than this is left of its life. */
    public static final Duration TOKEN_REUSE_MARGIN = Duration.ofMinutes(5);

    private final GitHubClient client;
    private final boolean ownsClient;
    private final RunnerScope scope;
    private final TokenApi tokens;
    private final RunnerApi runners;
    private final Clock clock;
    private RegistrationToken cachedToken;

    private GitHubRegistry(GitHubClient client, boolean ownsClient, RunnerScope scope, Clock clock) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.scope = scope;
        this.tokens = client.tokens(scope);
        this.runners = client.runners(scope);
        this.clock = clock;
    }

    /**
     * The registry of an organization's runners on api.github.com, or on the host named by the
     * {@code GITHUB_API_URL} environment variable (web URL from {@code GITHUB_SERVER_URL}) when set: a
     * GitHub Enterprise Server or a test fake. A malformed value throws {@link io.runnerfleet.InvalidSpecException}.
     */
    public static GitHubRegistry organization(String org, GitHubCredentials credentials) {
        return builder(RunnerScope.organization(org)).credentials(credentials).build();
    }

    /**
     * The registry of a repository's runners on api.github.com, or on the host named by the
     * {@code GITHUB_API_URL} environment variable (web URL from {@code GITHUB_SERVER_URL}) when set: a
     * GitHub Enterprise Server or a test fake. A malformed value throws {@link io.runnerfleet.InvalidSpecException}.
     */
    public static GitHubRegistry repository(String owner, String name, GitHubCredentials credentials) {
        return builder(RunnerScope.repository(owner, name)).credentials(credentials).build();
    }

    /**
     * The registry of an enterprise's runners on api.github.com, or on the host named by the
     * {@code GITHUB_API_URL} environment variable (web URL from {@code GITHUB_SERVER_URL}) when set: a
     * GitHub Enterprise Server or a test fake. A malformed value throws {@link io.runnerfleet.InvalidSpecException}.
     */
    public static GitHubRegistry enterprise(String slug, GitHubCredentials credentials) {
        return builder(RunnerScope.enterprise(slug)).credentials(credentials).build();
    }

    /** A builder for a registry of {@code scope}, for other hosts, clients or settings. */
    public static Builder builder(RunnerScope scope) {
        return new Builder(Objects.requireNonNull(scope, "scope"));
    }

    /** The client behind this registry, for the full token and runner APIs. */
    public GitHubClient client() {
        return client;
    }

    /** The runner API of this registry's scope. */
    public RunnerApi runnerApi() {
        return runners;
    }

    /** The token API of this registry's scope. */
    public TokenApi tokenApi() {
        return tokens;
    }

    @Override
    public String scope() {
        return scope.toString();
    }

    @Override
    public String registrationUrl() {
        return scope.registrationUrl(client.webUrl());
    }

    @Override
    public synchronized RegistrationToken registrationToken() {
        if (cachedToken == null || !cachedToken.validAt(clock.instant(), TOKEN_REUSE_MARGIN)) {
            cachedToken = tokens.registrationToken();
        }
        return cachedToken;
    }

    @Override
    public JitConfig jitConfig(JitRequest request) {
        return tokens.jitConfig(request);
    }

    /**
     * The id of an organization's runner group, looked up by name (case-insensitively) in the group
     * list; {@code Default} is id 1 everywhere without a request. Repositories only have
     * {@code Default}; enterprise groups are not looked up here.
     *
     * @throws io.runnerfleet.RegistrationException naming the group and the groups that exist
     */
    @Override
    public long runnerGroupId(String groupName) {
        Objects.requireNonNull(groupName, "groupName");
        if (io.runnerfleet.RunnerGroup.DEFAULT_NAME.equalsIgnoreCase(groupName)
                || scope.kind() != RunnerScope.Kind.ORGANIZATION) {
            return RunnerRegistry.super.runnerGroupId(groupName);
        }
        List<GitHubRunnerGroup> groups = runners.groups();
        return groups.stream().filter(g -> g.name().equalsIgnoreCase(groupName)).mapToLong(GitHubRunnerGroup::id)
                .findFirst().orElseThrow(() -> new io.runnerfleet.RegistrationException("runner group '" + groupName
                        + "' does not exist in " + scope + "; the groups are "
                        + groups.stream().map(GitHubRunnerGroup::name).toList()
                        + " (create it with runnerApi().createGroup(RunnerGroupSpec.named(...)))"));
    }

    @Override
    public List<RegisteredRunner> runners() {
        return runners.list().stream().map(GitHubRunner::toRegisteredRunner).toList();
    }

    @Override
    public void delete(RegisteredRunner runner) {
        Objects.requireNonNull(runner, "runner");
        try {
            runners.delete(runner.id());
        } catch (GitHubApiException.NotFound gone) {
            // Idempotent by contract: the runner is already deregistered.
        } catch (io.runnerfleet.RunnerBusyException busy) {
            io.runnerfleet.RunnerBusyException named = new io.runnerfleet.RunnerBusyException(runner.name(),
                    "runner '" + runner.name() + "' (id " + runner.id() + ") in " + scope
                            + " is running a job and cannot be deregistered; drain it first");
            named.initCause(busy);
            throw named;
        }
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    /** {@code GitHubRegistry[organization acme at https://api.github.com/]}. */
    @Override
    public String toString() {
        return "GitHubRegistry[" + scope + " at " + client.baseUrl() + "]";
    }

    /**
     * Builds a {@link GitHubRegistry}. Either give a {@link #client(GitHubClient)} (shared, not closed by the
     * registry) or the settings for a client of its own (base URL from {@code GITHUB_API_URL}, else
     * {@code https://api.github.com}; web URL from {@code GITHUB_SERVER_URL}, else derived; the other
     * defaults of {@link GitHubClient.Builder}). Explicit {@link #baseUrl}/{@link #webUrl} calls win over
     * the environment.
     */
    public static final class Builder {
        private final RunnerScope scope;
        private final GitHubClient.Builder clientBuilder = GitHubClient.builder();
        private GitHubClient client;
        private Clock clock = Clock.systemUTC();

        private Builder(RunnerScope scope) {
            this.scope = scope;
        }

        /** Uses an existing client; the registry will not close it. */
        public Builder client(GitHubClient client) {
            this.client = Objects.requireNonNull(client, "client");
            return this;
        }

        /** The API base URL of the registry's own client. */
        public Builder baseUrl(String url) {
            clientBuilder.baseUrl(url);
            return this;
        }

        /** The web URL runners register with, when it cannot be derived from the base URL. */
        public Builder webUrl(String url) {
            clientBuilder.webUrl(url);
            return this;
        }

        /** The credentials of the registry's own client. */
        public Builder credentials(GitHubCredentials credentials) {
            clientBuilder.credentials(credentials);
            return this;
        }

        /** Retry settings of the registry's own client. */
        public Builder retry(RetrySettings settings) {
            clientBuilder.retry(settings);
            return this;
        }

        /** The clock for token reuse (and for the registry's own client). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            clientBuilder.clock(clock);
            return this;
        }

        Builder sleeper(Sleeper sleeper) {
            clientBuilder.sleeper(sleeper);
            return this;
        }

        /** The environment the registry's own client reads (proxy and host variables); tests inject one. */
        Builder environment(Map<String, String> env) {
            clientBuilder.environment(env);
            return this;
        }

        /** Builds the registry. */
        public GitHubRegistry build() {
            return client != null ? new GitHubRegistry(client, false, scope, clock)
                    : new GitHubRegistry(clientBuilder.build(), true, scope, clock);
        }
    }
}
