package io.runnerfleet.github;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.github.internal.Jwt;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The {@code Authorization} header of one client: the PAT as is, or a GitHub App installation token
 * fetched with the App's JWT, cached and refreshed {@link #REFRESH_EARLY} before it expires.
 */
final class Authorizer {
    /** Refresh this long before {@code expires_at}, so no request carries a token that dies in flight. */
    static final Duration REFRESH_EARLY = Duration.ofMinutes(5);

    private final GitHubCredentials credentials;
    private final Clock clock;
    private Secret installationToken;
    private Instant expiresAt;
    private Long installationId;

    Authorizer(GitHubCredentials credentials, Clock clock) {
        this.credentials = credentials;
        this.clock = clock;
        this.installationId = credentials.installationId();
    }

    String header(GitHubHttp http) {
        Secret token = credentials.isApp() ? installationToken(http) : credentials.token();
        return "Bearer " + token.reveal();
    }

    // Synchronized: concurrent callers wait for the one refresh instead of each minting a token.
    private synchronized Secret installationToken(GitHubHttp http) {
        Instant now = clock.instant();
        if (installationToken != null && now.isBefore(expiresAt.minus(REFRESH_EARLY))) {
            return installationToken;
        }
        String jwt = "Bearer " + Jwt.appJwt(credentials.appId(), credentials.appKey(), now);
        String who = "GitHub App " + credentials.appId();
        if (installationId == null) {
            RunnerScope of = credentials.installationOf();
            GitHubHttp.Reply reply = http.send(new GitHubHttp.Call("GET", http.url(installationPath(of)), null,
                    "look up the GitHub App installation", of + " (" + who + ")", GitHubHttp.Retrying.IDEMPOTENT, jwt));
            installationId = readOrFail(http, reply, "look up the GitHub App installation", of.toString(),
                    o -> Json.integer(o, "id"));
        }
        String scope = who + " installation " + installationId;
        GitHubHttp.Reply reply = http.send(new GitHubHttp.Call("POST",
                http.url(List.of("app", "installations", installationId.toString(), "access_tokens")), null,
                "create an installation access token", scope, GitHubHttp.Retrying.UNSENT_ONLY, jwt));
        Secret token = readOrFail(http, reply, "create an installation access token", scope,
                x -> Secret.of(Json.string(x, "token")));
        Instant expires = readOrFail(http, reply, "create an installation access token", scope,
                x -> Json.instant(x, "expires_at"));
        installationToken = token;
        expiresAt = expires;
        return installationToken;
    }

    /** Drops a cached installation token; {@code false} for a PAT, which cannot be renewed. */
    synchronized boolean invalidate() {
        if (!credentials.isApp()) {
            return false;
        }
        installationToken = null;
        expiresAt = null;
        return true;
    }

    private static List<String> installationPath(RunnerScope of) {
        return of.kind() == RunnerScope.Kind.REPOSITORY
                ? List.of("repos", of.owner(), of.repository(), "installation")
                : List.of("orgs", of.owner(), "installation");
    }

    private static <T> T readOrFail(GitHubHttp http, GitHubHttp.Reply reply, String op, String scope,
                                    java.util.function.Function<Map<String, Object>, T> read) {
        try {
            return read.apply(http.parsed(reply, op, scope));
        } catch (Json.MalformedJsonException e) {
            throw http.malformed(reply.status(), op, scope, e);
        }
    }
}
