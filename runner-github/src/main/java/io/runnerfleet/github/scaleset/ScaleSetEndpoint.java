package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.RunnerScope;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import okhttp3.HttpUrl;

/**
 * Where a scale set lives, derived from its GitHub config URL: the scope, the web URL runners register
 * with and the REST API base.
 *
 * <pre>{@code
 * ScaleSetEndpoint.parse("https://github.com/acme").apiUrl();            // https://api.github.com/
 * ScaleSetEndpoint.parse("https://octo.ghe.com/acme/app").apiUrl();      // https://api.octo.ghe.com/
 * ScaleSetEndpoint.parse("https://ghes.example/enterprises/big").apiUrl(); // https://ghes.example/api/v3/
 * }</pre>
 *
 * <p>One path segment is an organization, {@code enterprises/<slug>} an enterprise, any other two
 * segments a repository. {@code github.com}, {@code www.github.com}, {@code github.localhost} and
 * {@code *.ghe.com} (compared case-insensitively) are hosted: their API is {@code https://api.<host>/}.
 * Every other host is a GitHub Enterprise Server with its API under {@code /api/v3/}; a local test server
 * on {@code http://127.0.0.1:port} is therefore reached there too. {@link #parse(String, boolean)} forces
 * the GHES form (what {@code GITHUB_ACTIONS_FORCE_GHES} does for GitHub's own client).
 *
 * @param configUrl the config URL without surrounding slashes, e.g. {@code https://github.com/acme}
 * @param webUrl the web URL, e.g. {@code https://github.com}
 * @param apiUrl the REST API base with a trailing slash, e.g. {@code https://api.github.com/}
 * @param scope the organization, enterprise or repository
 */
public record ScaleSetEndpoint(String configUrl, String webUrl, String apiUrl, RunnerScope scope) {
    /** Checks every part is present. */
    public ScaleSetEndpoint {
        Objects.requireNonNull(configUrl, "configUrl");
        Objects.requireNonNull(webUrl, "webUrl");
        Objects.requireNonNull(apiUrl, "apiUrl");
        Objects.requireNonNull(scope, "scope");
    }

    /**
     * Parses a config URL such as {@code https://github.com/acme}.
     *
     * @throws InvalidSpecException when it is not an http(s) URL with an organization, enterprise or
     *     repository path
     */
    public static ScaleSetEndpoint parse(String configUrl) {
        return parse(configUrl, false);
    }

    /**
     * Parses a config URL; with {@code forceGhes} every host, even {@code github.com}, gets the
     * {@code /api/v3/} API base.
     */
    public static ScaleSetEndpoint parse(String configUrl, boolean forceGhes) {
        Objects.requireNonNull(configUrl, "configUrl");
        HttpUrl url = HttpUrl.parse(configUrl.strip());
        if (url == null) {
            throw new InvalidSpecException("GitHub config URL '" + configUrl + "' is not an http(s) URL; use e.g."
                    + " https://github.com/ORG, https://github.com/OWNER/REPO or https://HOST/enterprises/SLUG");
        }
        List<String> parts = new ArrayList<>();
        for (String s : url.pathSegments()) {
            if (!s.isEmpty()) {
                parts.add(s);
            }
        }
        if (parts.isEmpty() || parts.size() > 2) {
            throw new InvalidSpecException("GitHub config URL '" + configUrl + "' has " + parts.size()
                    + " path segments; expected ORG, OWNER/REPO or enterprises/SLUG");
        }
        RunnerScope scope;
        try {
            scope = parts.size() == 1 ? RunnerScope.organization(parts.get(0))
                    : parts.get(0).equalsIgnoreCase("enterprises") ? RunnerScope.enterprise(parts.get(1))
                    : RunnerScope.repository(parts.get(0), parts.get(1));
        } catch (InvalidSpecException e) {
            throw new InvalidSpecException("GitHub config URL '" + configUrl + "': " + e.getMessage());
        }
        String origin = url.scheme() + "://" + url.host() + (url.port() == HttpUrl.defaultPort(url.scheme()) ? ""
                : ":" + url.port());
        String host = url.host().toLowerCase(Locale.ROOT);
        String api;
        if (!forceGhes && isHosted(host)) {
            api = url.scheme() + "://api." + (host.equals("www.github.com") ? "github.com" : host)
                    + (url.port() == HttpUrl.defaultPort(url.scheme()) ? "" : ":" + url.port()) + "/";
        } else {
            api = origin + "/api/v3/";
        }
        return new ScaleSetEndpoint(origin + "/" + String.join("/", parts), origin, api, scope);
    }

    /** Whether GitHub hosts this host itself (github.com, GHE.com) rather than a GitHub Enterprise Server. */
    static boolean isHosted(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        return h.equals("github.com") || h.equals("www.github.com") || h.equals("github.localhost")
                || h.endsWith(".ghe.com");
    }
}
