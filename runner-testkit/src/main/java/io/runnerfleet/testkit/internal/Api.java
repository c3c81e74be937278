package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.Fault;
import io.runnerfleet.testkit.internal.Model.Bucket;
import io.runnerfleet.testkit.internal.Model.Credential;
import io.runnerfleet.testkit.internal.Model.Installation;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;

/**
 * Serves GitHub's REST operations (the 40 of {@code runners-openapi.json} plus the two GitHub App
 * calls a client needs) and hands {@code /_fake/} to the {@link RunnerService}. Order per request:
 * route, count, fault, authenticate, primary and secondary limits, permission, handle, ETag.
 */
public final class Api extends Dispatcher {
    private static final String ORG = "/orgs/(?<org>[^/]+)/actions";
    private static final String REPO = "/repos/(?<owner>[^/]+)/(?<repo>[^/]+)/actions";
    private static final String RUNNER = "/runners/(?<runner>[0-9]+)";
    private static final String GROUP = "/runner-groups/(?<group>[0-9]+)";

    /** What an operation needs: a classic scope or a fine-grained / app permission. */
    enum Need {
        NONE(null, null), ORG_RUNNERS("admin:org", "organization_self_hosted_runners"),
        REPO_RUNNERS("repo", "administration"), ACTIONS("repo", "actions"), APP_JWT(null, null);

        final String scope;
        final String permission;

        Need(String scope, String permission) {
            this.scope = scope;
            this.permission = permission;
        }
    }

    record Route(String method, Pattern pattern, String operationId, Need need) {
    }

    private static final List<Route> ROUTES = new ArrayList<>();
    static final Set<String> OPERATIONS = new TreeSet<>();

    private static void route(String method, String regex, String op, Need need) {
        ROUTES.add(new Route(method, Pattern.compile(regex), op, need));
        OPERATIONS.add(op);
    }

    static {
        for (boolean org : new boolean[] {true, false}) {
            String p = org ? ORG : REPO;
            String s = org ? "org" : "repo";
            Need n = org ? Need.ORG_RUNNERS : Need.REPO_RUNNERS;
            route("GET", p + "/runners", "actions/list-self-hosted-runners-for-" + s, n);
            route("GET", p + "/runners/downloads", "actions/list-runner-applications-for-" + s, n);
            route("POST", p + "/runners/generate-jitconfig", "actions/generate-runner-jitconfig-for-" + s, n);
            route("POST", p + "/runners/registration-token", "actions/create-registration-token-for-" + s, n);
            route("POST", p + "/runners/remove-token", "actions/create-remove-token-for-" + s, n);
            route("GET", p + RUNNER, "actions/get-self-hosted-runner-for-" + s, n);
            route("DELETE", p + RUNNER, "actions/delete-self-hosted-runner-from-" + s, n);
            route("GET", p + RUNNER + "/labels", "actions/list-labels-for-self-hosted-runner-for-" + s, n);
            route("POST", p + RUNNER + "/labels", "actions/add-custom-labels-to-self-hosted-runner-for-" + s, n);
            route("PUT", p + RUNNER + "/labels", "actions/set-custom-labels-for-self-hosted-runner-for-" + s, n);
            route("DELETE", p + RUNNER + "/labels", "actions/remove-all-custom-labels-from-self-hosted-runner-for-" + s, n);
            route("DELETE", p + RUNNER + "/labels/(?<label>[^/]+)",
                    "actions/remove-custom-label-from-self-hosted-runner-for-" + s, n);
        }
        Need g = Need.ORG_RUNNERS;
        route("GET", ORG + "/runner-groups", "actions/list-self-hosted-runner-groups-for-org", g);
        route("POST", ORG + "/runner-groups", "actions/create-self-hosted-runner-group-for-org", g);
        route("GET", ORG + GROUP, "actions/get-self-hosted-runner-group-for-org", g);
        route("PATCH", ORG + GROUP, "actions/update-self-hosted-runner-group-for-org", g);
        route("DELETE", ORG + GROUP, "actions/delete-self-hosted-runner-group-from-org", g);
        route("GET", ORG + GROUP + "/repositories", "actions/list-repo-access-to-self-hosted-runner-group-in-org", g);
        route("PUT", ORG + GROUP + "/repositories", "actions/set-repo-access-to-self-hosted-runner-group-in-org", g);
        route("PUT", ORG + GROUP + "/repositories/(?<repoid>[0-9]+)",
                "actions/add-repo-access-to-self-hosted-runner-group-in-org", g);
        route("DELETE", ORG + GROUP + "/repositories/(?<repoid>[0-9]+)",
                "actions/remove-repo-access-to-self-hosted-runner-group-in-org", g);
        route("GET", ORG + GROUP + "/runners", "actions/list-self-hosted-runners-in-group-for-org", g);
        route("PUT", ORG + GROUP + "/runners", "actions/set-self-hosted-runners-in-group-for-org", g);
        route("PUT", ORG + GROUP + RUNNER, "actions/add-self-hosted-runner-to-group-for-org", g);
        route("DELETE", ORG + GROUP + RUNNER, "actions/remove-self-hosted-runner-from-group-for-org", g);
        route("GET", "/rate_limit", "rate-limit/get", Need.NONE);
        route("GET", REPO + "/runs", "actions/list-workflow-runs-for-repo", Need.ACTIONS);
        route("GET", REPO + "/runs/(?<run>[0-9]+)/jobs", "actions/list-jobs-for-workflow-run", Need.ACTIONS);
        route("GET", "/orgs/(?<org>[^/]+)/installation", "apps/get-org-installation", Need.APP_JWT);
        route("POST", "/app/installations/(?<inst>[0-9]+)/access_tokens", "apps/create-installation-access-token",
                Need.APP_JWT);
    }

    /** Versions GitHub accepts; a request without the header gets 2022-11-28. */
    static final List<String> SUPPORTED_VERSIONS = List.of("2022-11-28", "2026-03-10");

    private final Engine e;
    private final RunnerService runnerService;
    private final ActionsService actionsService;
    private final RestHandlers handlers;
    private final AtomicInteger inFlight = new AtomicInteger();

    public Api(Engine engine) {
        this.e = engine;
        this.runnerService = new RunnerService(engine);
        this.actionsService = new ActionsService(engine);
        this.handlers = new RestHandlers(engine);
    }

    /** A parsed request. */
    record Req(String method, HttpUrl url, okhttp3.Headers headers, String body, Matcher path) {
        String param(String name) {
            return path.group(name);
        }

        String query(String name) {
            return url.queryParameter(name);
        }
    }

    /** A reply before the common headers are added. */
    record Reply(int status, Object body, Map<String, String> headers) {
        static Reply of(int status, Object body) {
            return new Reply(status, body, new LinkedHashMap<>());
        }
    }

    /** A failure a handler raises; becomes a GitHub error body. */
    static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Reply reply;

        Failure(int status, String message) {
            super(message, null, false, false);
            this.reply = Reply.of(status, Shapes.error(message, status));
        }

        Failure(Reply reply) {
            super(String.valueOf(reply.status()), null, false, false);
            this.reply = reply;
        }

        static Failure validation(String message, String... errors) {
            return new Failure(Reply.of(422, Shapes.validation(message, List.of(errors))));
        }
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        if (path.startsWith("/_fake/")) {
            return runnerService.dispatch(request);
        }
        if (ActionsService.handles(path)) {
            return actionsService.dispatch(request);
        }
        String body = request.getBody() == null ? "" : request.getBody().string(StandardCharsets.UTF_8);
        e.failLostJobs();
        for (Route r : ROUTES) {
            Matcher m = r.pattern().matcher(path);
            if (m.matches() && r.method().equals(request.getMethod())) {
                inFlight.incrementAndGet();
                try {
                    return serve(r, new Req(request.getMethod(), request.getUrl(), request.getHeaders(), body, m));
                } finally {
                    inFlight.decrementAndGet();
                }
            }
        }
        return finish(Reply.of(404, Shapes.error("Not Found", 404)), null, null);
    }

    private MockResponse serve(Route route, Req q) {
        String op = route.operationId();
        e.countRequest(op);
        Fault fault = e.faults().takeFault(op).orElse(null);
        long delayMillis = 0;
        if (fault instanceof Fault.Drop) {
            return new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build();
        }
        if (fault instanceof Fault.Delay d) {
            delayMillis = d.delay().toMillis();
        }
        Credential cred = null;
        Reply reply;
        synchronized (e) {
            try {
                String version = q.headers().get("X-GitHub-Api-Version");
                if (version != null && !SUPPORTED_VERSIONS.contains(version.trim())) {
                    throw new Failure(400, "Unsupported 'X-GitHub-Api-Version' header: '" + version
                            + "'. The supported versions are " + SUPPORTED_VERSIONS);
                }
                cred = authenticate(route, q);
                if (fault instanceof Fault.Status s) {
                    throw new Failure(s.code(), s.code() >= 500 ? "Server Error" : "Injected failure");
                }
                if (fault instanceof Fault.SecondaryLimit s) {
                    throw secondaryLimit(s.retryAfter());
                }
                if (route.need() != Need.NONE && route.need() != Need.APP_JWT) {
                    checkPrimaryLimit(cred);
                    checkSecondaryLimit(q);
                    authorize(route, q, cred);
                }
                reply = handle(op, q);
            } catch (Failure f) {
                reply = f.reply;
            } catch (Json.MalformedJsonException ex) {
                reply = Reply.of(400, Shapes.error("Problems parsing JSON", 400));
            } catch (NumberFormatException ex) {
                reply = Reply.of(404, Shapes.error("Not Found", 404)); // an id too large to exist
            }
            return finish(reply, q, cred, op, delayMillis);
        }
    }

    private MockResponse finish(Reply reply, Req q, Credential cred) {
        return finish(reply, q, cred, null, 0);
    }

    /** Adds ETag (answering 304 when it matches), rate-limit headers and the JSON body; charges the bucket. */
    private MockResponse finish(Reply reply, Req q, Credential cred, String op, long delayMillis) {
        MockResponse.Builder b = new MockResponse.Builder().code(reply.status());
        String json = reply.body() == null ? null : Json.write(reply.body());
        boolean charge = cred != null && !"rate-limit/get".equals(op);
        if (q != null && "GET".equals(q.method()) && reply.status() == 200 && json != null) {
            String etag = "W/\"" + sha256(json).substring(0, 40) + "\"";
            b.setHeader("ETag", etag);
            String inm = q.headers().get("If-None-Match");
            if (inm != null && List.of(inm.split("\\s*,\\s*")).contains(etag)) {
                b.code(304);
                json = null;
                // An authorized 304 does not count against the primary limit.
                charge = false;
                if (op != null) {
                    e.countNotModified(op);
                }
            }
        }
        Bucket bucket = cred != null ? cred.bucket : anonymousBucket();
        if (charge && bucket.used < bucket.limit) {
            bucket.used++;
        }
        b.setHeader("x-ratelimit-limit", bucket.limit);
        b.setHeader("x-ratelimit-remaining", Math.max(0, bucket.limit - bucket.used));
        b.setHeader("x-ratelimit-used", bucket.used);
        b.setHeader("x-ratelimit-reset", bucket.resetAt.getEpochSecond());
        b.setHeader("x-ratelimit-resource", "core");
        b.setHeader("X-GitHub-Api-Version-Selected", "2022-11-28");
        b.setHeader("X-GitHub-Request-Id", Long.toHexString(e.nextId()).toUpperCase(Locale.ROOT));
        reply.headers().forEach(b::setHeader);
        if (json != null) {
            b.setHeader("Content-Type", "application/json; charset=utf-8");
            b.body(json);
        }
        if (delayMillis > 0) {
            b.headersDelay(delayMillis, TimeUnit.MILLISECONDS);
        }
        return b.build();
    }

    private Bucket anonymousBucket() {
        Bucket b = e.anonymousBuckets.computeIfAbsent("127.0.0.1", k -> new Bucket(60, e.now().plus(Duration.ofHours(1))));
        refill(b);
        return b;
    }

    private void refill(Bucket b) {
        if (!e.now().isBefore(b.resetAt)) {
            b.used = 0;
            b.resetAt = e.now().plus(Duration.ofHours(1));
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    // ---- authentication, limits, permissions ------------------------------------------------------

    private Credential authenticate(Route route, Req q) {
        String header = q.headers().get("Authorization");
        if (header == null || header.isBlank()) {
            if (route.need() == Need.NONE) {
                return null;
            }
            throw new Failure(401, "Requires authentication");
        }
        String[] parts = header.trim().split("\\s+", 2);
        if (parts.length != 2 || !(parts[0].equalsIgnoreCase("Bearer") || parts[0].equalsIgnoreCase("token"))) {
            throw new Failure(401, "Bad credentials");
        }
        String token = parts[1];
        if (route.need() == Need.APP_JWT) {
            return null; // verified by the handler, which knows which app to check against
        }
        Credential c = e.credentials.get(token);
        if (c == null && route.need() == Need.NONE) {
            return null;
        }
        if (c == null) {
            if (token.chars().filter(ch -> ch == '.').count() == 2) {
                throw new Failure(403, "A JSON web token could not be decoded: use an installation token for this endpoint");
            }
            throw new Failure(401, "Bad credentials");
        }
        if (c.expiresAt != null && !e.now().isBefore(c.expiresAt)) {
            throw new Failure(401, "Bad credentials");
        }
        refill(c.bucket);
        return c;
    }

    private void checkPrimaryLimit(Credential c) {
        if (c.bucket.used >= c.bucket.limit) {
            Reply r = Reply.of(403, Shapes.error("API rate limit exceeded for user ID 1. If you reach out to GitHub"
                    + " Support for help, please include the request ID.", 403));
            throw new Failure(r);
        }
    }

    private void checkSecondaryLimit(Req q) {
        if (inFlight.get() > 100) {
            throw secondaryLimit(null);
        }
        if (!"GET".equals(q.method())) {
            Instant now = e.now();
            while (!e.contentCreating.isEmpty() && !e.contentCreating.peekFirst().isAfter(now.minusSeconds(60))) {
                e.contentCreating.pollFirst();
            }
            if (e.contentCreating.size() >= e.contentCreatingLimit) {
                throw secondaryLimit(null);
            }
            e.contentCreating.addLast(now);
        }
    }

    private static Failure secondaryLimit(Duration retryAfter) {
        Reply r = Reply.of(403, Shapes.error("You have exceeded a secondary rate limit. Please wait a few minutes"
                + " before you try again.", 403));
        if (retryAfter != null) {
            r.headers().put("retry-after", String.valueOf(Math.max(0, retryAfter.toSeconds())));
        }
        return new Failure(r);
    }

    private void authorize(Route route, Req q, Credential c) {
        Need need = route.need();
        boolean read = "GET".equals(q.method());
        boolean ok = c.grants.contains(need.scope) && !c.installation
                || c.grants.contains(need.permission + ":write")
                || read && c.grants.contains(need.permission + ":read");
        if (c.onlyOrg != null) {
            String org = route.pattern().pattern().contains("(?<org>") ? q.param("org") : q.param("owner");
            ok &= c.onlyOrg.login.equalsIgnoreCase(org);
        }
        if (!ok) {
            Reply r = Reply.of(403, Shapes.error("Resource not accessible by "
                    + (c.installation ? "integration" : "personal access token"), 403));
            r.headers().put("X-Accepted-GitHub-Permissions", need.permission + "=" + (read ? "read" : "write"));
            r.headers().put("X-Accepted-OAuth-Scopes", need.scope);
            r.headers().put("X-OAuth-Scopes", String.join(", ", new TreeSet<>(c.grants)));
            throw new Failure(r);
        }
    }

    // ---- handlers --------------------------------------------------------------------------------

    private Reply handle(String op, Req q) {
        if (op.equals("rate-limit/get")) {
            return rateLimit(q);
        }
        if (op.startsWith("apps/")) {
            return app(op, q);
        }
        return handlers.handle(op, q);
    }

    private Reply rateLimit(Req q) {
        Credential c = null;
        String header = q.headers().get("Authorization");
        if (header != null) {
            String[] parts = header.trim().split("\\s+", 2);
            c = parts.length == 2 ? e.credentials.get(parts[1]) : null;
        }
        Bucket core = c != null ? c.bucket : anonymousBucket();
        Map<String, Object> resources = new LinkedHashMap<>();
        resources.put("core", bucket(core.limit, core.used, core.resetAt));
        Instant minute = e.now().plusSeconds(60);
        resources.put("search", bucket(30, 0, minute));
        resources.put("graphql", bucket(5000, 0, e.now().plusSeconds(3600)));
        resources.put("integration_manifest", bucket(5000, 0, e.now().plusSeconds(3600)));
        resources.put("actions_runner_registration", bucket(10000, 0, e.now().plusSeconds(3600)));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("resources", resources);
        m.put("rate", bucket(core.limit, core.used, core.resetAt));
        return Reply.of(200, m);
    }

    private static Map<String, Object> bucket(int limit, int used, Instant reset) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("limit", limit);
        m.put("remaining", Math.max(0, limit - used));
        m.put("reset", reset.getEpochSecond());
        m.put("used", used);
        return m;
    }

    // ---- GitHub App ------------------------------------------------------------------------------

    private Reply app(String op, Req q) {
        String jwt = q.headers().get("Authorization").trim().split("\\s+", 2)[1];
        Model.App app = Jwt.verify(jwt, e.apps, e.now());
        if (op.equals("apps/get-org-installation")) {
            for (Installation inst : app.installations().values()) {
                if (inst.org().login.equalsIgnoreCase(q.param("org"))) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", inst.id());
                    m.put("app_id", app.id());
                    m.put("target_type", "Organization");
                    m.put("account", e.shapes.owner(inst.org()));
                    m.put("permissions", new LinkedHashMap<>(inst.permissions()));
                    return Reply.of(200, m);
                }
            }
            throw new Failure(404, "Not Found");
        }
        Installation inst = app.installations().get(Long.parseLong(q.param("inst")));
        if (inst == null) {
            throw new Failure(404, "Not Found");
        }
        String token = "ghs_" + Engine.randomToken(36);
        Instant expires = e.now().plus(Duration.ofHours(1));
        e.installationToken(inst, token, expires);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("expires_at", Shapes.time(expires));
        m.put("permissions", new LinkedHashMap<>(inst.permissions()));
        m.put("repository_selection", "all");
        return Reply.of(201, m);
    }
}
