package io.runnerfleet.github;

import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.github.internal.LinkHeader;
import io.runnerfleet.github.internal.Sleeper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntFunction;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP engine behind {@link GitHubClient}: headers, auth, the concurrency cap, retries, rate-limit
 * bookkeeping, the ETag cache and error mapping. One per client, thread-safe.
 */
final class GitHubHttp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GitHubHttp.class);
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    static final String API_VERSION = "2022-11-28";
    private static final int MAX_PAGES = 1000;
    private static final int MAX_CACHED = 512;

    /** When a request may be sent again. */
    enum Retrying {
        /** GET, PUT, DELETE: on 5xx, I/O failures, timeouts and rate limits. */
        IDEMPOTENT,
        /** POST, PATCH: only when it provably never reached GitHub, or GitHub refused it for a rate limit. */
        UNSENT_ONLY,
        /** Never (just-in-time configs): the caller decides. */
        NEVER
    }

    /** One API call. {@code authorization} overrides the client's credentials (App JWT calls). */
    record Call(String method, HttpUrl url, Object body, String operation, String scope, Retrying retrying,
                String authorization) {
        Call {
            if (retrying == Retrying.IDEMPOTENT && (method.equals("POST") || method.equals("PATCH"))) {
                retrying = Retrying.UNSENT_ONLY;
            }
        }

        /** Method, URL and operation; never the authorization. */
        @Override
        public String toString() {
            return method + " " + url.encodedPath() + " (" + operation + " for " + scope + ")";
        }
    }

    /** A successful answer; {@code json} is {@code null} for an empty body. */
    record Reply(int status, Object json, String link) {
        Map<String, Object> object(String what) {
            return Json.object(json, what);
        }
    }

    private record Cached(String etag, String body, String link) {
    }

    /** A failure that may be retried after {@code wait}; unwrapped to {@code failure} when retries end. */
    static final class RetryableFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient RuntimeException failure;
        final transient Duration wait;

        RetryableFailure(RuntimeException failure, Duration wait) {
            super(null, null, false, false);
            this.failure = failure;
            this.wait = wait;
        }
    }

    private final OkHttpClient ok;
    private final HttpUrl base;
    private final Clock clock;
    private final Sleeper sleeper;
    private final RetrySettings retry;
    private final Semaphore permits;
    private final Authorizer authorizer;
    private final String userAgent;
    private final RateLimitGate limits;
    private final LongAdder requests = new LongAdder();
    private final LongAdder notModified = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final Map<String, Cached> etags = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(16, 0.75f, true) {
                private static final long serialVersionUID = 1L;

                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
                    return size() > MAX_CACHED;
                }
            });

    GitHubHttp(OkHttpClient ok, HttpUrl base, Clock clock, Sleeper sleeper, RetrySettings retry, int maxConcurrent,
               int maxContentCreatingPerMinute, GitHubCredentials credentials, String userAgent) {
        this.limits = new RateLimitGate(clock, sleeper, retry, maxContentCreatingPerMinute);
        this.ok = ok;
        this.base = base;
        this.clock = clock;
        this.sleeper = sleeper;
        this.retry = retry;
        this.permits = new Semaphore(maxConcurrent, true);
        this.authorizer = credentials == null ? null : new Authorizer(credentials, clock);
        this.userAgent = userAgent;
    }

    Clock clock() {
        return clock;
    }

    HttpUrl base() {
        return base;
    }

    /** The URL of {@code segments} under the base URL (which may carry a path, as GHES's {@code /api/v3}). */
    HttpUrl url(List<String> segments, Map<String, String> query) {
        HttpUrl.Builder b = base.newBuilder();
        for (String s : segments) {
            b.addPathSegment(s);
        }
        query.forEach(b::addQueryParameter);
        return b.build();
    }

    HttpUrl url(List<String> segments) {
        return url(segments, Map.of());
    }

    RequestStats stats() {
        return new RequestStats(requests.sum(), notModified.sum(), retries.sum());
    }

    Optional<RateLimit> lastRateLimit() {
        return limits.last();
    }

    Map<String, RateLimit> rateLimits() {
        return limits.all();
    }

    /** Sends the call, retrying as its {@link Retrying} allows. */
    Reply send(Call call) {
        RateLimitGate.WaitBudget budget = limits.budget();
        return retrying(call.operation(), attempt -> attempt(call, attempt, budget));
    }

    /** Every item of a paginated list: {@code per_page=100}, following {@code Link: rel="next"}. */
    List<Map<String, Object>> pages(HttpUrl first, String arrayKey, String operation, String scope) {
        List<Map<String, Object>> items = new ArrayList<>();
        HttpUrl url = first.newBuilder().setQueryParameter("per_page", "100").build();
        for (int page = 0; url != null; page++) {
            if (page == MAX_PAGES) {
                throw error(new GitHubApiException.Details(0, operation, scope, null, null, null),
                        "GitHub kept sending Link rel=\"next\" after " + MAX_PAGES + " pages; giving up", null);
            }
            Reply reply = send(new Call("GET", url, null, operation, scope, Retrying.IDEMPOTENT, null));
            Map<String, Object> o = parsed(reply, operation, scope);
            for (Object item : Json.array(o, arrayKey)) {
                items.add(Json.object(item, arrayKey + " item"));
            }
            String next = LinkHeader.find(reply.link(), "next");
            url = next == null ? null : HttpUrl.parse(next);
        }
        return items;
    }

    /** The reply's JSON object, or a {@link GitHubApiException} naming the operation when it has another shape. */
    Map<String, Object> parsed(Reply reply, String operation, String scope) {
        try {
            return reply.object("the response");
        } catch (Json.MalformedJsonException e) {
            throw malformed(reply.status(), operation, scope, e);
        }
    }

    /** Maps the reply's JSON object, turning a wrong shape into a {@link GitHubApiException}. */
    <T> T read(Reply reply, String operation, String scope, java.util.function.Function<Map<String, Object>, T> f) {
        try {
            return f.apply(parsed(reply, operation, scope));
        } catch (Json.MalformedJsonException | NullPointerException | IllegalArgumentException e) {
            throw malformed(reply.status(), operation, scope, e);
        }
    }

    /** Maps every item, turning a wrong shape into a {@link GitHubApiException}. */
    <T> List<T> readAll(List<Map<String, Object>> items, String operation, String scope,
                        java.util.function.Function<Map<String, Object>, T> f) {
        List<T> out = new ArrayList<>(items.size());
        try {
            for (Map<String, Object> item : items) {
                out.add(f.apply(item));
            }
        } catch (Json.MalformedJsonException | NullPointerException | IllegalArgumentException e) {
            throw malformed(200, operation, scope, e);
        }
        return List.copyOf(out);
    }

    GitHubApiException malformed(int status, String operation, String scope, RuntimeException cause) {
        return error(new GitHubApiException.Details(status, operation, scope, null, null, null),
                "GitHub answered " + status + " to " + operation + " for " + scope
                        + " but the body is not what the API describes (" + cause.getMessage()
                        + "); retry later, or report it if it persists", null);
    }

    private <T> T retrying(String name, IntFunction<T> attempt) {
        AtomicInteger attempts = new AtomicInteger();
        RetryConfig config = RetryConfig.custom()
                .maxAttempts(retry.maxAttempts())
                .retryOnException(t -> t instanceof RetryableFailure)
                .intervalBiFunction((Integer n, io.github.resilience4j.core.functions.Either<Throwable, Object> e) -> {
                    RetryableFailure f = (RetryableFailure) e.getLeft();
                    LOG.debug("retrying '{}' in {} after: {}", name, f.wait, f.failure.getMessage());
                    retries.increment();
                    sleeper.sleep(f.wait);
                    return 0L;
                })
                .build();
        Retry r = Retry.of(name, config);
        try {
            return Retry.decorateCheckedSupplier(r, () -> attempt.apply(attempts.incrementAndGet())).get();
        } catch (RetryableFailure f) {
            throw f.failure;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private Duration backoff(int attempt) {
        long initial = retry.initialBackoff().toMillis();
        long ms = Math.min(retry.maxBackoff().toMillis(), initial << Math.min(attempt - 1, 20));
        // Equal jitter (half fixed, half random) keeps many clients from retrying in lockstep.
        long jittered = ms / 2 + (ms > 1 ? ThreadLocalRandom.current().nextLong(ms / 2 + 1) : 0);
        return Duration.ofMillis(jittered);
    }

    private String authorizationFor(Call call) {
        if (call.authorization() != null) {
            return call.authorization();
        }
        // Never send GitHub credentials to another host (a download mirror, a foreign Link URL).
        if (authorizer == null || !call.url().host().equals(base.host()) || call.url().port() != base.port()) {
            return null;
        }
        return authorizer.header(this);
    }

    private Reply attempt(Call call, int attempt, RateLimitGate.WaitBudget budget) {
        limits.holdBack(call, budget);
        String authorization = authorizationFor(call);
        Request.Builder rb = new Request.Builder().url(call.url())
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", API_VERSION)
                .header("User-Agent", userAgent);
        if (authorization != null) {
            rb.header("Authorization", authorization);
        }
        String key = call.url().toString();
        Cached cached = call.method().equals("GET") ? etags.get(key) : null;
        if (cached != null) {
            rb.header("If-None-Match", cached.etag());
        }
        RequestBody body = null;
        if (call.body() != null) {
            body = RequestBody.create(Json.write(call.body()), JSON);
        } else if (!call.method().equals("GET") && !call.method().equals("DELETE")) {
            body = RequestBody.create(new byte[0], null);
        }
        rb.method(call.method(), body);

        int status;
        String text;
        okhttp3.Headers headers;
        RateLimitGate.Write write = call.method().equals("GET") ? null : limits.paceContentCreation();
        acquire(call);   // interrupted: the write stays counted from when it was queued, which errs on the safe side
        try {
            requests.increment();
            try (Response response = ok.newCall(rb.build()).execute()) {
                status = response.code();
                headers = response.headers();
                text = response.body().string();
            }
        } catch (IOException e) {
            boolean unsent = e instanceof ConnectException || e instanceof UnknownHostException
                    || e instanceof NoRouteToHostException;
            GitHubApiException failure = error(new GitHubApiException.Details(0, call.operation(), call.scope(), null,
                            null, null),
                    "no complete answer from GitHub at " + base.host() + " (" + describe(e)
                            + "); check the network, proxy and timeouts", e);
            if (call.retrying() == Retrying.IDEMPOTENT || (call.retrying() == Retrying.UNSENT_ONLY && unsent)) {
                throw new RetryableFailure(failure, backoff(attempt));
            }
            throw failure;
        } finally {
            permits.release();
            if (write != null) {
                write.done();
            }
        }
        limits.record(headers);
        LOG.debug("{} {} -> {}", call.method(), call.url().encodedPath(), status);
        if ((status >= 200 && status < 300) || status == 304) {
            limits.lifted();
        }

        if (status == 304 && cached != null) {
            notModified.increment();
            return new Reply(200, parseBody(cached.body(), 200, call), cached.link());
        }
        if (status >= 200 && status < 300) {
            String link = headers.get("Link");
            String etag = headers.get("ETag");
            if (call.method().equals("GET") && etag != null) {
                etags.put(key, new Cached(etag, text, link));
            }
            return new Reply(status, parseBody(text, status, call), link);
        }
        RuntimeException failure = failureFor(call, attempt, budget, status, headers, text);
        if (status == 401 && attempt == 1 && call.authorization() == null && authorizer != null
                && authorizer.invalidate() && call.retrying() != Retrying.NEVER) {
            // An installation token can be revoked or expire early; mint a new one and try once more.
            throw new RetryableFailure(failure, Duration.ZERO);
        }
        throw failure;
    }

    private void acquire(Call call) {
        try {
            permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw error(new GitHubApiException.Details(0, call.operation(), call.scope(), null, null, null),
                    "interrupted while waiting for a free connection slot", e);
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    private Object parseBody(String text, int status, Call call) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Json.parse(text);
        } catch (Json.MalformedJsonException e) {
            throw malformed(status, call.operation(), call.scope(), e);
        }
    }

    private RuntimeException failureFor(Call call, int attempt, RateLimitGate.WaitBudget budget, int status,
                                        okhttp3.Headers headers, String text) {
        Map<String, Object> body = Map.of();
        try {
            Object parsed = text.isBlank() ? null : Json.parse(text);
            if (parsed instanceof Map<?, ?>) {
                body = Json.object(parsed, "error");
            }
        } catch (Json.MalformedJsonException e) {
            // An error page that is not JSON (a proxy's HTML, a cut body): report the status alone.
        }
        String message = Json.optString(body, "message");
        GitHubApiException.Details d = new GitHubApiException.Details(status, call.operation(), call.scope(), message,
                Json.optString(body, "documentation_url"), headers.get("x-github-request-id"));

        if (status == 403 || status == 429) {
            RuntimeException limited = limits.refused(call, budget, d, headers, message);
            if (limited != null) {
                return limited;
            }
        }
        return switch (status) {
            case 401 -> new GitHubApiException.Unauthorized(d, text(d,
                    "the credentials were rejected: the token is missing, wrong, revoked or expired; check GH_PAT or the App's key"));
            case 403 -> {
                String accepted = headers.get("x-accepted-github-permissions");
                yield new GitHubApiException.Forbidden(d, text(d, "the credentials lack a permission"
                        + (accepted != null ? " (GitHub accepts: " + accepted + ")" : "")
                        + "; organization runners need admin:org (classic PAT), 'Self-hosted runners: write'"
                        + " (fine-grained) or organization_self_hosted_runners (App); repository runners need repo,"
                        + " 'Administration: write' or administration"), accepted);
            }
            case 404 -> new GitHubApiException.NotFound(d, text(d, "check that " + call.scope()
                    + " and the object exist and that the credentials may see them (GitHub answers 404 for both)"));
            case 409 -> new GitHubApiException.Conflict(d, text(d, null));
            case 422 -> new GitHubApiException.ValidationFailed(d, text(d, null), errors(body));
            default -> {
                GitHubApiException e = error(d, text(d, status >= 500 ? "GitHub had a server error; retry later" : null),
                        null);
                yield status >= 500 && call.retrying() == Retrying.IDEMPOTENT
                        ? new RetryableFailure(e, backoff(attempt)) : e;
            }
        };
    }

    private static List<String> errors(Map<String, Object> body) {
        List<String> out = new ArrayList<>();
        for (Object o : Json.array(body, "errors")) {
            if (o instanceof String s) {
                out.add(s);
            } else if (o instanceof Map<?, ?> m && m.get("message") instanceof String s) {
                out.add(s);
            } else if (o instanceof Map<?, ?> m) {
                out.add(String.valueOf(m.get("code")) + " " + m.get("field"));
            }
        }
        return out;
    }

    static String text(GitHubApiException.Details d, String hint) {
        StringBuilder b = new StringBuilder();
        b.append("GitHub refused to ").append(d.operation()).append(" for ").append(d.scope()).append(": ")
                .append(d.status());
        if (d.githubMessage() != null) {
            b.append(" \"").append(d.githubMessage()).append('"');
        }
        if (hint != null) {
            b.append("; ").append(hint);
        }
        if (d.requestId() != null) {
            b.append(" [request ").append(d.requestId()).append(']');
        }
        if (d.documentationUrl() != null) {
            b.append(" (see ").append(d.documentationUrl()).append(')');
        }
        return b.toString();
    }

    static GitHubApiException error(GitHubApiException.Details d, String message, Throwable cause) {
        if (d.status() == 0) {
            return new GitHubApiException(d, "could not " + d.operation() + " for " + d.scope() + ": " + message, cause);
        }
        return new GitHubApiException(d, message, cause);
    }

    /**
     * Downloads {@code url} to {@code target}, verifying the SHA-256 when given. The file appears only
     * when complete and verified. GitHub credentials are not sent (another host); {@code bearer} is.
     */
    Path download(HttpUrl url, String bearer, Path target, String sha256, String operation, String scope) {
        return retrying(operation, attempt -> {
            Request.Builder rb = new Request.Builder().url(url).header("User-Agent", userAgent);
            if (bearer != null) {
                rb.header("Authorization", "Bearer " + bearer);
            }
            GitHubApiException.Details unreached = new GitHubApiException.Details(0, operation, scope, null, null, null);
            Path dir = target.toAbsolutePath().getParent();
            Path tmp = null;
            acquire(new Call("GET", url, null, operation, scope, Retrying.IDEMPOTENT, null));
            try {
                requests.increment();
                // A runner archive is large: bound the gaps between bytes (read timeout), not the whole transfer.
                OkHttpClient unbounded = ok.newBuilder().callTimeout(Duration.ZERO).build();
                try (Response response = unbounded.newCall(rb.build()).execute()) {
                    if (!response.isSuccessful()) {
                        GitHubApiException e = error(new GitHubApiException.Details(response.code(), operation, scope,
                                null, null, response.header("x-github-request-id")),
                                "the download of " + url.host() + url.encodedPath() + " answered " + response.code(), null);
                        throw response.code() >= 500 ? new RetryableFailure(e, backoff(attempt)) : e;
                    }
                    Files.createDirectories(dir);
                    tmp = Files.createTempFile(dir, ".download-", ".part");
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    try (InputStream in = response.body().byteStream(); OutputStream out = Files.newOutputStream(tmp)) {
                        byte[] buffer = new byte[64 * 1024];
                        for (int n; (n = in.read(buffer)) > 0; ) {
                            digest.update(buffer, 0, n);
                            out.write(buffer, 0, n);
                        }
                    }
                    String actual = HexFormat.of().formatHex(digest.digest());
                    if (sha256 != null && !actual.equalsIgnoreCase(sha256.trim())) {
                        throw error(new GitHubApiException.Details(response.code(), operation, scope, null, null, null),
                                "the download of " + url.encodedPath() + " has SHA-256 " + actual + " but GitHub lists "
                                        + sha256 + "; the file was not written to " + target, null);
                    }
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    tmp = null;
                    return target;
                }
            } catch (IOException e) {
                throw new RetryableFailure(error(unreached, "the download of " + url.encodedPath()
                        + " failed (" + describe(e) + ")", e), backoff(attempt));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("the JDK has no SHA-256", e);
            } finally {
                permits.release();
                if (tmp != null) {
                    try {
                        Files.deleteIfExists(tmp);
                    } catch (IOException ignored) {
                        // Best effort: a left-over .part file holds no secret.
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        ok.dispatcher().executorService().shutdown();
        ok.connectionPool().evictAll();
    }
}
