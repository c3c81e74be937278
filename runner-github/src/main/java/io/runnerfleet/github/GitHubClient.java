package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.internal.HttpSettings;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.github.internal.Sleeper;
import java.net.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import okhttp3.HttpUrl;

/**
 * A connection to GitHub's REST API (api.github.com or a GitHub Enterprise Server), from which the
 * {@link TokenApi} and the {@link RunnerApi} of a scope are taken.
 *
 * <pre>{@code
 * try (GitHubClient github = GitHubClient.builder().credentials(GitHubCredentials.fromEnvironment()).build()) {
 *     RunnerScope acme = RunnerScope.organization("acme");
 *     RegistrationToken token = github.tokens(acme).registrationToken();
 *     github.runners(acme).list().forEach(System.out::println);
 *     System.out.println(github.stats() + " " + github.rateLimit());
 * }
 * }</pre>
 *
 * <p>Every request carries {@code Accept: application/vnd.github+json} and
 * {@code X-GitHub-Api-Version: 2022-11-28}. GETs are conditional: ETags are kept and a
 * {@code 304 Not Modified} is served from the cache (see {@link #stats()}). Rate-limit headers of every
 * answer are kept ({@link #rateLimit()}). At most {@code maxConcurrentRequests} requests are in flight.
 * Retries follow {@link RetrySettings}. The client is thread-safe; close it to release its connections.
 */
public final class GitHubClient implements AutoCloseable {
    private final GitHubHttp http;
    private final String webUrl;

    private GitHubClient(GitHubHttp http, String webUrl) {
        this.http = http;
        this.webUrl = webUrl;
    }

    /** A builder with the defaults listed on {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The token API (registration, remove and just-in-time tokens) of {@code scope}. */
    public TokenApi tokens(RunnerScope scope) {
        return new TokenApi(http, Objects.requireNonNull(scope, "scope"));
    }

    /** The runner API (runners, labels, groups, downloads, runs and jobs) of {@code scope}. */
    public RunnerApi runners(RunnerScope scope) {
        return new RunnerApi(http, Objects.requireNonNull(scope, "scope"));
    }

    /** The web URL runners register with, e.g. {@code https://github.com} or {@code https://ghes.example.com}. */
    public String webUrl() {
        return webUrl;
    }

    /** The API base URL, e.g. {@code https://api.github.com/}. */
    public String baseUrl() {
        return http.base().toString();
    }

    /** The rate-limit bucket of the latest answer that carried {@code x-ratelimit-*} headers. */
    public Optional<RateLimit> rateLimit() {
        return http.lastRateLimit();
    }

    /** The latest state of every bucket seen in answers so far, by resource name. */
    public Map<String, RateLimit> rateLimits() {
        return http.rateLimits();
    }

    /**
     * Asks GitHub for every bucket ({@code GET /rate_limit}, which does not count against the limit).
     */
    public Map<String, RateLimit> fetchRateLimits() {
        String op = "read the rate limits";
        GitHubHttp.Reply reply = http.send(new GitHubHttp.Call("GET", http.url(List.of("rate_limit")), null, op,
                "the authenticated user", GitHubHttp.Retrying.IDEMPOTENT, null));
        return http.read(reply, op, "the authenticated user", o -> {
            Map<String, RateLimit> out = new LinkedHashMap<>();
            Json.object(o.get("resources"), "resources").forEach((name, value) ->
                    out.put(name, Mappers.rateLimit(name, Json.object(value, name))));
            return Map.copyOf(out);
        });
    }

    /** Requests sent, {@code 304} answers and retries so far. */
    public RequestStats stats() {
        return http.stats();
    }

    /** Releases connections and threads; calls in flight may fail. */
    @Override
    public void close() {
        http.close();
    }

    /** {@code GitHubClient[https://api.github.com/, 12 requests, 3 not modified]}. */
    @Override
    public String toString() {
        RequestStats s = stats();
        return "GitHubClient[" + baseUrl() + ", " + s.requests() + " requests, " + s.notModified() + " not modified]";
    }

    /**
     * Builds a {@link GitHubClient}.
     *
     * <p>Defaults: base URL from {@code GITHUB_API_URL} (the variable GitHub Actions sets, e.g.
     * {@code https://ghe.example/api/v3}), else {@code https://api.github.com}; web URL from
     * {@code GITHUB_SERVER_URL}, else derived from the base URL; no credentials (public data only); connect
     * timeout 10 s, read timeout 30 s, whole-call timeout 60 s; proxy from {@code HTTPS_PROXY} /
     * {@code NO_PROXY} when set (with Basic proxy authentication from {@code user:password@} in the URL); 10 concurrent requests; 80 content-creating requests per minute; {@link RetrySettings#defaults()}; the system UTC clock.
     */
    public static final class Builder {
        private String baseUrl;
        private String webUrl;
        private GitHubCredentials credentials;
        private final HttpSettings http = new HttpSettings("runner-fleet", Duration.ofSeconds(30));
        private int maxConcurrentRequests = 10;
        private int maxContentCreatingPerMinute = 80;

        private Builder() {
        }

        /**
         * The API base URL: {@code https://api.github.com}, a GitHub Enterprise Server's
         * {@code https://host/api/v3}, or a test server on {@code http://127.0.0.1:port}. Wins over
         * {@code GITHUB_API_URL}.
         */
        public Builder baseUrl(String url) {
            this.baseUrl = Objects.requireNonNull(url, "url");
            return this;
        }

        /**
         * The web URL runners register with; derived from the base URL when not set
         * ({@code api.github.com} gives {@code https://github.com}, {@code https://host/api/v3} gives {@code https://host}).
         * Wins over {@code GITHUB_SERVER_URL}.
         */
        public Builder webUrl(String url) {
            this.webUrl = Objects.requireNonNull(url, "url");
            return this;
        }

        /** The credentials. */
        public Builder credentials(GitHubCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The connect timeout. */
        public Builder connectTimeout(Duration timeout) {
            http.connectTimeout(timeout);
            return this;
        }

        /** The read (and write) timeout between bytes. */
        public Builder readTimeout(Duration timeout) {
            http.readTimeout(timeout);
            return this;
        }

        /** The timeout of one whole request attempt. */
        public Builder callTimeout(Duration timeout) {
            http.callTimeout(timeout);
            return this;
        }

        /** An explicit proxy ({@link Proxy#NO_PROXY} for none), instead of {@code HTTPS_PROXY}. */
        public Builder proxy(Proxy proxy) {
            http.proxy(proxy);
            return this;
        }

        /** The most requests in flight at once (GitHub's secondary limit is 100 across all clients). */
        public Builder maxConcurrentRequests(int max) {
            if (max < 1 || max > 100) {
                throw new InvalidSpecException("maxConcurrentRequests must be between 1 and 100, got " + max);
            }
            this.maxConcurrentRequests = max;
            return this;
        }

        /**
         * The most content-creating requests (every method but GET) per minute; more wait for a slot.
         * GitHub's secondary limit is 80 per minute.
         */
        public Builder maxContentCreatingPerMinute(int max) {
            if (max < 1 || max > 80) {
                throw new InvalidSpecException("maxContentCreatingPerMinute must be between 1 and 80, got " + max);
            }
            this.maxContentCreatingPerMinute = max;
            return this;
        }

        /** How to retry. */
        public Builder retry(RetrySettings settings) {
            http.retry(settings);
            return this;
        }

        /** The clock for JWTs, token expiry and rate-limit resets. */
        public Builder clock(Clock clock) {
            http.clock(clock);
            return this;
        }

        /** The {@code User-Agent} (GitHub asks for one naming the application). */
        public Builder userAgent(String userAgent) {
            http.userAgent(userAgent);
            return this;
        }

        Builder sleeper(Sleeper sleeper) {
            http.sleeper(sleeper);
            return this;
        }

        Builder environment(Map<String, String> env) {
            http.environment(env);
            return this;
        }

        /** Builds the client. */
        public GitHubClient build() {
            HttpUrl base;
            if (baseUrl != null) {
                base = HttpUrl.parse(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
                if (base == null) {
                    throw new InvalidSpecException("GitHub base URL '" + baseUrl
                            + "' is not an http(s) URL; use https://api.github.com or https://HOST/api/v3");
                }
            } else {
                String fromEnv = fromEnvironment("GITHUB_API_URL", "https://api.github.com or https://HOST/api/v3");
                base = HttpUrl.parse(fromEnv == null ? "https://api.github.com/"
                        : fromEnv.endsWith("/") ? fromEnv : fromEnv + "/");
            }
            String web = webUrl;
            if (web == null) {
                String fromEnv = fromEnvironment("GITHUB_SERVER_URL", "https://github.com or https://HOST");
                web = fromEnv != null ? stripSlash(fromEnv) : deriveWebUrl(base);
            }
            GitHubHttp engine = new GitHubHttp(http.okHttp(), base, http.clock(), http.sleeper(), http.retry(),
                    maxConcurrentRequests, maxContentCreatingPerMinute, credentials, http.userAgent());
            return new GitHubClient(engine, web);
        }

        /** The variable's value when set and not blank, checked to be an absolute http(s) URL; else null. */
        private String fromEnvironment(String name, String example) {
            String value = http.environment().get(name);
            if (value == null || value.isBlank()) {
                return null;
            }
            value = value.strip();
            HttpUrl parsed = HttpUrl.parse(value);
            if (parsed == null) {
                throw new InvalidSpecException("environment variable " + name + "='" + value
                        + "' is not an absolute http(s) URL; set it to " + example + ", or unset it");
            }
            return value;
        }

        private static String stripSlash(String url) {
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }

        private static String deriveWebUrl(HttpUrl base) {
            if (base.host().equals("api.github.com")) {
                return "https://github.com";
            }
            String s = base.toString();
            s = s.substring(0, s.length() - 1);
            return s.endsWith("/api/v3") ? s.substring(0, s.length() - "/api/v3".length()) : s;
        }
    }
}
