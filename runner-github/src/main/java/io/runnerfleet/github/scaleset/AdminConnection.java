package io.runnerfleet.github.scaleset;

import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.spi.RegistrationToken;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import okhttp3.HttpUrl;

/**
 * The admin connection to the Actions service: a registration token (through {@link GitHubClient}, so a
 * PAT or a GitHub App installation token), exchanged at {@code actions/runner-registration} for the
 * service's URL and an admin JWT, renewed {@link #REFRESH_EARLY} before the JWT's {@code exp}.
 */
final class AdminConnection {
    /** Renew this long before {@code exp}, so that no call carries a token that dies in flight. */
    static final Duration REFRESH_EARLY = Duration.ofSeconds(60);
    /** A token without a readable {@code exp} is used this long; a 401 renews it earlier. */
    static final Duration UNKNOWN_LIFETIME = Duration.ofMinutes(5);

    /** The service's base URL and the admin token to call it with. */
    record Connection(HttpUrl actionsUrl, Secret token, Instant expiresAt) {
        @Override
        public String toString() {
            return "Connection[" + actionsUrl.host() + ", expires " + expiresAt + "]";
        }
    }

    private final GitHubClient github;
    private final ScaleSetEndpoint endpoint;
    private final ActionsHttp http;
    private final Clock clock;
    private Connection current;

    AdminConnection(GitHubClient github, ScaleSetEndpoint endpoint, ActionsHttp http, Clock clock) {
        this.github = github;
        this.endpoint = endpoint;
        this.http = http;
        this.clock = clock;
    }

    // Synchronized: concurrent callers wait for one registration instead of each making their own.
    synchronized Connection get() {
        if (current == null || !clock.instant().plus(REFRESH_EARLY).isBefore(current.expiresAt())) {
            current = register();
        }
        return current;
    }

    /** Drops {@code stale} (refused with 401) so that the next call registers again. */
    synchronized void invalidate(Connection stale) {
        if (current == stale) {
            current = null;
        }
    }

    /** An admin call with the admin token; a 401 renews the connection once, as the refusal means nothing was done. */
    ActionsHttp.Reply send(String method, List<String> path, Map<String, String> query, Object body, String op,
                           ActionsHttp.Retrying retrying, ActionsHttp.Meaning meaning, String runnerName) {
        for (int attempt = 1; ; attempt++) {
            Connection c = get();
            try {
                return http.send(new ActionsHttp.Call(method, url(c, path, query), body,
                        () -> "Bearer " + c.token().reveal(), op, retrying, meaning, Map.of(), false, runnerName));
            } catch (ScaleSetApiException.Unauthorized e) {
                if (attempt > 1 || e.status() != 401) {
                    throw e;
                }
                invalidate(c);
            }
        }
    }

    /** The service URL of {@code path} (registering first if needed). */
    HttpUrl url(List<String> path, Map<String, String> query) {
        return url(get(), path, query);
    }

    /** The service URL of {@code path}, with {@code api-version} added unless the base has one. */
    private static HttpUrl url(Connection c, List<String> path, Map<String, String> query) {
        HttpUrl.Builder b = c.actionsUrl().newBuilder();
        for (String segment : path) {
            b.addPathSegment(segment);
        }
        query.forEach(b::setQueryParameter);
        if (c.actionsUrl().queryParameter("api-version") == null) {
            b.setQueryParameter("api-version", ScaleSetClient.API_VERSION);
        }
        return b.build();
    }

    private Connection register() {
        RegistrationToken registration = github.tokens(endpoint.scope()).registrationToken();
        HttpUrl url = HttpUrl.get(endpoint.apiUrl()).newBuilder().addPathSegment("actions")
                .addPathSegment("runner-registration").build();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("url", endpoint.configUrl());
        body.put("runner_event", "register");
        String op = "open the admin connection for " + endpoint.configUrl();
        ActionsHttp.Reply reply = http.send(new ActionsHttp.Call("POST", url, body,
                () -> "RemoteAuth " + registration.token().reveal(), op, ActionsHttp.Retrying.REGISTRATION,
                ActionsHttp.Meaning.ADMIN));
        return Wire.read(reply, op, o -> {
            String service = Json.string(o, "url");
            String token = Json.string(o, "token");
            HttpUrl actions = HttpUrl.parse(service);
            if (actions == null || token.isBlank()) {
                throw new Json.MalformedJsonException("'url' is not an http(s) URL or 'token' is empty");
            }
            Instant now = clock.instant();
            Instant exp = Wire.jwtExpiry(token).orElse(now.plus(UNKNOWN_LIFETIME));
            return new Connection(actions, Secret.of(token), exp);
        });
    }
}
