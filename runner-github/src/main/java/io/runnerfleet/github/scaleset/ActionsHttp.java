package io.runnerfleet.github.scaleset;

import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.github.RetrySettings;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.github.internal.Sleeper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP engine of the scale-set client: headers, BOM stripping, bounded retries with jittered backoff,
 * and the mapping of the Actions service's {@code {"typeName","message"}} errors onto
 * {@link ScaleSetApiException}. URLs are logged by path only: a queue URL's query is not ours to print.
 */
final class ActionsHttp {
    private static final Logger LOG = LoggerFactory.getLogger(ActionsHttp.class);
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final int MAX_ERROR_TEXT = 300;

    /** When a request may be sent again. */
    enum Retrying {
        /** GET, DELETE, session refresh: on 5xx, 429, I/O failures and timeouts. */
        IDEMPOTENT,
        /** Runner registration: as {@link #IDEMPOTENT}, and on 401/403 while a new registration token propagates. */
        REGISTRATION,
        /** POST: only when it provably never reached the service (connection refused, unknown host). */
        UNSENT_ONLY,
        /** Never: the caller decides (JIT configs, the long poll). */
        NEVER
    }

    /** What a 401, 404 or 409 means for this call. */
    enum Meaning {
        /** An admin call: 401 is a refused admin token. */
        ADMIN,
        /** An admin call on a scale set: 404 means the set is gone. */
        SCALE_SET,
        /** Creating a session: 404 means the set is gone, 409 that another owner holds the session. */
        SESSION_CREATE,
        /** Refreshing or deleting a session: 404 means the session is gone. */
        SESSION,
        /** A call with the queue token: 401 means it expired, 404 that the session is gone. */
        QUEUE
    }

    /** One call; {@code authorization} is asked for on every attempt, so a refreshed token is used. */
    record Call(String method, HttpUrl url, Object body, Supplier<String> authorization, String operation,
                Retrying retrying, Meaning meaning, Map<String, String> headers, boolean longPoll, String runnerName) {
        Call(String method, HttpUrl url, Object body, Supplier<String> authorization, String operation,
             Retrying retrying, Meaning meaning) {
            this(method, url, body, authorization, operation, retrying, meaning, Map.of(), false, null);
        }

        /** Method, path and operation; never the authorization or the query. */
        @Override
        public String toString() {
            return method + " " + url.encodedPath() + " (" + operation + ")";
        }
    }

    /** A successful answer: the status and the body without a byte-order mark, {@code null} when empty. */
    record Reply(int status, String text) {
        Object json(String operation) {
            if (text == null || text.isBlank()) {
                return null;
            }
            return Json.parse(text);
        }
    }

    /** Ends a retry loop early or schedules another attempt. */
    private static final class Retry extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient RuntimeException failure;
        final transient Duration wait;

        Retry(RuntimeException failure, Duration wait) {
            super(null, null, false, false);
            this.failure = failure;
            this.wait = wait;
        }
    }

    private final OkHttpClient ok;
    private final OkHttpClient poll;
    private final Sleeper sleeper;
    private final RetrySettings retry;
    private final String userAgent;
    private final Map<Thread, okhttp3.Call> inFlight = new ConcurrentHashMap<>();

    ActionsHttp(OkHttpClient ok, Duration pollTimeout, Sleeper sleeper, RetrySettings retry, String userAgent) {
        this.ok = ok;
        // The service holds a poll for about 50 s: only a longer silence is a hang.
        this.poll = ok.newBuilder().readTimeout(pollTimeout).callTimeout(pollTimeout.plusSeconds(10)).build();
        this.sleeper = sleeper;
        this.retry = retry;
        this.userAgent = userAgent;
    }

    RetrySettings retry() {
        return retry;
    }

    Sleeper sleeper() {
        return sleeper;
    }

    /** Sends the call, retrying as its {@link Retrying} allows. */
    Reply send(Call call) {
        for (int attempt = 1; ; attempt++) {
            try {
                return attempt(call, attempt);
            } catch (Retry r) {
                if (attempt >= retry.maxAttempts()) {
                    throw r.failure;
                }
                LOG.debug("retrying '{}' in {} after: {}", call.operation(), r.wait, r.failure.getMessage());
                sleeper.sleep(r.wait);
            }
        }
    }

    /** Cancels the call {@code thread} is blocked in, if any (closing a listener mid-poll). */
    void cancel(Thread thread) {
        okhttp3.Call c = inFlight.get(thread);
        if (c != null) {
            c.cancel();
        }
    }

    private Reply attempt(Call call, int attempt) {
        Request.Builder rb = new Request.Builder().url(call.url()).header("User-Agent", userAgent);
        String authorization = call.authorization() == null ? null : call.authorization().get();
        if (authorization != null) {
            rb.header("Authorization", authorization);
        }
        rb.header("Accept", "application/json");
        call.headers().forEach(rb::header);
        RequestBody body = null;
        if (call.body() != null) {
            body = RequestBody.create(Json.write(call.body()), JSON);
        } else if (!call.method().equals("GET") && !call.method().equals("DELETE")) {
            body = RequestBody.create(new byte[0], JSON);
        }
        rb.method(call.method(), body);

        int status;
        String text;
        okhttp3.Headers headers;
        okhttp3.Call http = (call.longPoll() ? poll : ok).newCall(rb.build());
        Thread self = Thread.currentThread();
        inFlight.put(self, http);
        try (Response response = http.execute()) {
            status = response.code();
            headers = response.headers();
            text = decode(response.body().bytes());
        } catch (IOException e) {
            boolean unsent = e instanceof ConnectException || e instanceof UnknownHostException
                    || e instanceof NoRouteToHostException;
            ScaleSetApiException failure = new ScaleSetApiException(
                    new ScaleSetApiException.Details(0, call.operation(), null, null, !unsent),
                    "could not " + call.operation() + ": no complete answer from " + call.url().host() + " ("
                            + describe(e) + (http.isCanceled() ? ", canceled" : "")
                            + "); check the network, proxy and timeouts", e);
            if (!http.isCanceled() && (call.retrying() == Retrying.IDEMPOTENT
                    || call.retrying() == Retrying.REGISTRATION
                    || (call.retrying() == Retrying.UNSENT_ONLY && unsent))) {
                throw new Retry(failure, backoff(attempt));
            }
            throw failure;
        } finally {
            inFlight.remove(self, http);
        }
        LOG.debug("{} {} -> {}", call.method(), call.url().encodedPath(), status);
        if (status >= 200 && status < 300) {
            return new Reply(status, text.isEmpty() ? null : text);
        }
        RuntimeException failure = failure(call, status, headers, text);
        boolean serverError = status >= 500 && status != 501;
        boolean again = switch (call.retrying()) {
            case IDEMPOTENT -> serverError || status == 429;
            case REGISTRATION -> serverError || status == 429 || status == 401 || status == 403;
            case UNSENT_ONLY -> status == 429;   // a 429 was refused before anything was done
            case NEVER -> false;
        };
        if (again) {
            Duration wait = backoff(attempt);
            String retryAfter = headers.get("Retry-After");
            if ((status == 429 || status == 503) && retryAfter != null && retryAfter.strip().matches("\\d{1,6}")) {
                Duration asked = Duration.ofSeconds(Long.parseLong(retryAfter.strip()));
                wait = asked.compareTo(retry.maxBackoff()) > 0 ? retry.maxBackoff() : asked;
            }
            throw new Retry(failure, wait);
        }
        throw failure;
    }

    /** UTF-8 text without a leading byte-order mark, which the Actions service puts before some bodies. */
    static String decode(byte[] bytes) {
        int from = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB
                && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
        return new String(Arrays.copyOfRange(bytes, from, bytes.length), StandardCharsets.UTF_8);
    }

    private Duration backoff(int attempt) {
        return jittered(retry.initialBackoff(), retry.maxBackoff(), attempt);
    }

    /** {@code initial * 2^(attempt-1)}, capped, with equal jitter (half fixed, half random). */
    static Duration jittered(Duration initial, Duration max, int attempt) {
        long ms = Math.min(max.toMillis(), initial.toMillis() << Math.min(Math.max(attempt - 1, 0), 20));
        long jittered = ms / 2 + (ms > 1 ? ThreadLocalRandom.current().nextLong(ms / 2 + 1) : 0);
        return Duration.ofMillis(jittered);
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Maps an error answer: by the service's exception type first, then by status and the call's meaning. */
    private static RuntimeException failure(Call call, int status, okhttp3.Headers headers, String text) {
        String typeName = null;
        String message = null;
        String contentType = headers.get("Content-Type");
        if (contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/plain")) {
            message = text.strip();
        } else if (!text.isBlank()) {
            try {
                if (Json.parse(text) instanceof Map<?, ?> m) {
                    typeName = m.get("typeName") instanceof String s ? s : null;
                    message = m.get("message") instanceof String s ? s : null;
                }
            } catch (Json.MalformedJsonException e) {
                // An HTML error page from a proxy: the status alone says enough.
            }
        }
        if (message != null && message.length() > MAX_ERROR_TEXT) {
            message = message.substring(0, MAX_ERROR_TEXT) + "...";
        }
        String requestId = headers.get("ActivityId") != null ? headers.get("ActivityId")
                : headers.get("X-GitHub-Request-Id");
        ScaleSetApiException.Details d = new ScaleSetApiException.Details(status, call.operation(), typeName,
                requestId, status >= 500);
        String type = typeName == null ? "" : typeName;
        if (type.contains("AgentExistsException")) {
            return new ScaleSetApiException.RunnerExists(d, text(d, message, "a runner named '" + call.runnerName()
                    + "' is registered already; delete it or choose another name"), call.runnerName());
        }
        if (type.contains("JobStillRunningException")) {
            RunnerBusyException busy = new RunnerBusyException(String.valueOf(call.runnerName()), text(d, message,
                    "the runner is running a job; remove it after the job completes"));
            busy.initCause(new ScaleSetApiException(d, text(d, message, null), null));
            return busy;
        }
        if (type.contains("RunnerScaleSetNotFoundException")) {
            return new ScaleSetApiException.ScaleSetNotFound(d, text(d, message,
                    "the scale set was deleted on GitHub's side; create it again"));
        }
        if (type.contains("SessionConflictException")) {
            return new ScaleSetApiException.SessionConflict(d, text(d, message, CONFLICT_HINT));
        }
        if (type.contains("SessionExpiredException") || type.contains("SessionNotFoundException")) {
            return new ScaleSetApiException.SessionNotFound(d, text(d, message, "open a new session"));
        }
        Meaning meaning = call.meaning();
        return switch (status) {
            case 401 -> meaning == Meaning.QUEUE
                    ? new ScaleSetApiException.QueueTokenExpired(d, text(d, message,
                            "the message-queue token expired; refresh the session"))
                    : new ScaleSetApiException.Unauthorized(d, text(d, message,
                            "the admin token was refused; check the credentials (a PAT needs admin:org, or repo for"
                                    + " repository scale sets; an App needs 'Self-hosted runners: write')"));
            case 403 -> new ScaleSetApiException.Unauthorized(d, text(d, message,
                    "the credentials lack a permission for runner scale sets"));
            case 404 -> switch (meaning) {
                case SCALE_SET, SESSION_CREATE -> new ScaleSetApiException.ScaleSetNotFound(d, text(d, message,
                        "the scale set was deleted on GitHub's side; create it again"));
                case SESSION, QUEUE -> new ScaleSetApiException.SessionNotFound(d, text(d, message,
                        "the session expired or was evicted; open a new one"));
                case ADMIN -> new ScaleSetApiException.NotFound(d, text(d, message, null));
            };
            case 409 -> meaning == Meaning.SESSION_CREATE
                    ? new ScaleSetApiException.SessionConflict(d, text(d, message, CONFLICT_HINT))
                    : new ScaleSetApiException.Conflict(d, text(d, message, null));
            default -> new ScaleSetApiException(d, text(d, message,
                    status >= 500 ? "the Actions service had a server error; retry later" : null), null);
        };
    }

    private static final String CONFLICT_HINT = "another listener holds the scale set's session; stop it, or wait"
            + " until its session expires";

    private static String text(ScaleSetApiException.Details d, String message, String hint) {
        StringBuilder b = new StringBuilder("the Actions service refused to ").append(d.operation()).append(": ")
                .append(d.status());
        if (d.typeName() != null) {
            String t = d.typeName();
            int comma = t.indexOf(',');
            t = comma > 0 ? t.substring(0, comma) : t;
            b.append(' ').append(t.substring(t.lastIndexOf('.') + 1));
        }
        if (message != null && !message.isEmpty()) {
            b.append(" \"").append(message).append('"');
        }
        if (hint != null) {
            b.append("; ").append(hint);
        }
        if (d.requestId() != null) {
            b.append(" [request ").append(d.requestId()).append(']');
        }
        return b.toString();
    }
}
