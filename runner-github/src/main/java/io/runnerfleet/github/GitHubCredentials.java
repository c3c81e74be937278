package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Pem;
import java.security.PrivateKey;
import java.util.Map;
import java.util.Objects;

/**
 * How a {@link GitHubClient} authenticates: a personal access token, or a GitHub App installation.
 *
 * <pre>{@code
 * GitHubCredentials pat = GitHubCredentials.fromEnvironment();              // GH_PAT, else GITHUB_TOKEN
 * GitHubCredentials app = GitHubCredentials.app("Iv23liAbCdEf", Secret.of(pem), 4242L);
 * GitHubCredentials lookedUp = GitHubCredentials.app("123456", Secret.of(pem), RunnerScope.organization("acme"));
 * }</pre>
 *
 * <p>For an App, the JWT is signed RS256 with the JDK (issued 60 s in the past, valid 10 minutes), the
 * installation token is fetched on first use, cached per client and refreshed 5 minutes before its
 * {@code expires_at}, once even under concurrent callers. The private key may be PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}, as GitHub downloads it) or PKCS#8 ({@code BEGIN PRIVATE KEY}); it is
 * parsed here, so a bad key fails at once. A token's length or format is never assumed.
 * {@code toString()} never shows a token or key.
 */
public final class GitHubCredentials {
    private final Secret token;
    private final String appId;
    private final PrivateKey appKey;
    private final Long installationId;
    private final RunnerScope installationOf;

    private GitHubCredentials(Secret token, String appId, PrivateKey appKey, Long installationId,
                              RunnerScope installationOf) {
        this.token = token;
        this.appId = appId;
        this.appKey = appKey;
        this.installationId = installationId;
        this.installationOf = installationOf;
    }

    /** A personal access token (classic or fine-grained) or any other bearer token. */
    public static GitHubCredentials token(Secret token) {
        return new GitHubCredentials(Objects.requireNonNull(token, "token"), null, null, null, null);
    }

    /**
     * The token in {@code GH_PAT}, else {@code GITHUB_TOKEN}.
     *
     * @throws InvalidSpecException when neither variable is set
     */
    public static GitHubCredentials fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static GitHubCredentials fromEnvironment(Map<String, String> env) {
        for (String name : new String[] {"GH_PAT", "GITHUB_TOKEN"}) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                return token(Secret.of(value.strip()));
            }
        }
        throw new InvalidSpecException("no GitHub token in the environment: set GH_PAT (or GITHUB_TOKEN) to a token"
                + " with admin:org (organization runners) or repo (repository runners) scope");
    }

    /**
     * A GitHub App installation with a known id.
     *
     * @param appId the App ID or, preferably, the Client ID (the JWT's {@code iss})
     * @param privateKeyPem the App's private key in PEM form
     * @param installationId the installation's id (from the App's settings or a webhook's {@code installation.id})
     */
    public static GitHubCredentials app(String appId, Secret privateKeyPem, long installationId) {
        if (installationId < 1) {
            throw new InvalidSpecException("GitHub App installation id must be positive, got " + installationId);
        }
        return new GitHubCredentials(null, checkAppId(appId), parse(privateKeyPem), installationId, null);
    }

    /**
     * A GitHub App whose installation id is looked up (with the App's JWT) for an organization or
     * repository: {@code GET /orgs/{org}/installation} or {@code GET /repos/{owner}/{repo}/installation}.
     */
    public static GitHubCredentials app(String appId, Secret privateKeyPem, RunnerScope installationOf) {
        Objects.requireNonNull(installationOf, "installationOf");
        if (installationOf.kind() == RunnerScope.Kind.ENTERPRISE) {
            throw new InvalidSpecException("cannot look up a GitHub App installation for " + installationOf
                    + ": give the installation id with app(appId, key, installationId)");
        }
        return new GitHubCredentials(null, checkAppId(appId), parse(privateKeyPem), null, installationOf);
    }

    private static String checkAppId(String appId) {
        if (appId == null || appId.isBlank() || !appId.strip().equals(appId)) {
            throw new InvalidSpecException("GitHub App id '" + appId + "' is blank or has surrounding whitespace;"
                    + " give the App ID (digits) or the Client ID (Iv...)");
        }
        return appId;
    }

    private static PrivateKey parse(Secret pem) {
        Objects.requireNonNull(pem, "privateKeyPem");
        try {
            return Pem.rsaPrivateKey(pem.reveal());
        } catch (IllegalArgumentException e) {
            throw new InvalidSpecException("GitHub App private key rejected: " + e.getMessage());
        }
    }

    boolean isApp() {
        return appKey != null;
    }

    Secret token() {
        return token;
    }

    String appId() {
        return appId;
    }

    PrivateKey appKey() {
        return appKey;
    }

    Long installationId() {
        return installationId;
    }

    RunnerScope installationOf() {
        return installationOf;
    }

    /** {@code GitHubCredentials[token ****]} or {@code GitHubCredentials[app 123, installation 42]}. */
    @Override
    public String toString() {
        if (!isApp()) {
            return "GitHubCredentials[token ****]";
        }
        return "GitHubCredentials[app " + appId + ", installation "
                + (installationId != null ? installationId.toString() : "of " + installationOf) + "]";
    }
}
