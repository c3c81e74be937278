package io.runnerfleet.testkit;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.testkit.internal.Api;
import io.runnerfleet.testkit.internal.Engine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import mockwebserver3.MockWebServer;

/**
 * A stateful GitHub emulator for runner fleets: the 40 self-hosted-runner operations of GitHub's REST
 * API (checked against the official OpenAPI description), tokens, GitHub Apps, rate limits, ETags,
 * pagination, jobs and {@code workflow_job} webhooks, plus the small runner-side service the fake
 * runner ({@link FakeRunner}) registers with. Served on {@code 127.0.0.1} (or the builder's
 * {@link Builder#bindAddress bind address}) on a free port.
 *
 * <pre>{@code
 * try (FakeGitHub fake = FakeGitHub.create().start()) {
 *     FakeScope acme = fake.organization("acme");
 *     Secret pat = fake.newToken("admin:org", "repo");
 *     // point a client at fake.url() with "Authorization: Bearer " + pat.reveal()
 *     // and a runner at: config.sh --url acme.url() --token <registration token> ...
 *     FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted", "linux");
 * }
 * }</pre>
 *
 * <p>It also serves the Actions service of runner scale sets, as strict as the reference clients
 * need: {@code POST /actions/runner-registration} (also under {@code /api/v3}) takes a registration
 * token and returns the service URL (on this server) and an admin JWT; a listener then creates a
 * scale set, a session, and long-polls its {@code messageQueueUrl}. A job queued with
 * {@link #queueJob} whose runs-on labels are all among a scale set's labels reaches it as
 * {@code JobAvailable}; once acquired only a runner started with that set's JIT config takes it.
 * A scale set has one session: a second create answers 409 until the first is deleted, evicted, or
 * left without a poll or refresh for 2 minutes (by the fake's clock). Unacknowledged messages are
 * delivered again (also to the next session) until acknowledged.
 *
 * <pre>{@code
 * FakeGitHub fake = FakeGitHub.builder().pollTimeout(Duration.ofMillis(200)).build().start();
 * // ... a listener under test holds a session on scale set "linux" of acme ...
 * fake.expireQueueTokens();                              // its next poll gets 401
 * fake.evictSessions();                                  // ... or 404: it must open a new session
 * fake.organization("acme").deleteScaleSet("linux");     // ... or the set is gone: create it again
 * fake.failNext("actions-service/get-message", 3, Fault.status(503));
 * fake.failNext("actions-service/get-message", 1, Fault.delay(Duration.ofMinutes(5)));  // a hanging broker
 * }</pre>
 *
 * <p>Sharp edges: state lives only in memory and is per instance. Tokens expire by the injected
 * {@link Clock} ({@link FakeClock} in tests); the runner side's long poll waits real time
 * ({@link Builder#pollWait}), and so does the Actions-service long poll ({@link Builder#pollTimeout}).
 * Operation ids for {@link #failNext} and the counters are the {@code operationId}s of the spec, e.g.
 * {@code actions/list-self-hosted-runners-for-org}, or an Actions-service one (see {@link #requests}).
 * Thread-safe.
 */
public final class FakeGitHub implements AutoCloseable {
    private final Engine engine;
    private final MockWebServer server = new MockWebServer();
    private final InetAddress bindAddress;
    private boolean started;
    private okhttp3.OkHttpClient client;
    private boolean closed;

    private FakeGitHub(Builder b) {
        this.engine = new Engine(b.clock, b.offlineAfter, b.pollWait, b.rateLimit);
        engine.contentCreatingLimit(b.contentCreatingLimit);
        this.bindAddress = b.bindAddress;
        engine.scaleSets().pollTimeout(b.pollTimeout);
        server.setDispatcher(new Api(engine));
        server.setServerSocketFactory(new io.runnerfleet.testkit.internal.NoDelayServerSockets());
    }

    /** A fake with the defaults of {@link Builder}. */
    public static FakeGitHub create() {
        return builder().build();
    }

    /**
     * A builder. Defaults: system UTC clock, runners offline 5 s after their last heartbeat, a 1 s
     * runner-side long poll, a 50 s Actions-service long poll, 5000 requests per hour per token,
     * served on {@code 127.0.0.1}.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures a {@link FakeGitHub}. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Duration offlineAfter = Duration.ofSeconds(5);
        private Duration pollWait = Duration.ofSeconds(1);
        private Duration pollTimeout = Duration.ofSeconds(50);
        private int rateLimit = 5000;
        private int contentCreatingLimit = 80;
        private InetAddress bindAddress = InetAddress.getLoopbackAddress();

        private Builder() {
        }

        /**
         * The local IPv4 address to listen on, and to put in every URL the fake hands out; default
         * {@code 127.0.0.1}. Set it to an address of this machine that runners elsewhere reach, e.g.
         * the host's end of a test rig's network (runners in other network namespaces cannot reach
         * the machine's loopback).
         *
         * @throws InvalidSpecException if {@code address} is not an IPv4 literal
         */
        public Builder bindAddress(String address) {
            Objects.requireNonNull(address, "address");
            if (!address.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new InvalidSpecException("bind address '" + address + "' is not an IPv4 address such as 127.0.0.1");
            }
            try {
                this.bindAddress = InetAddress.getByName(address);   // a literal: no lookup
            } catch (IOException e) {
                throw new InvalidSpecException("bind address '" + address + "' is not an IPv4 address such as 127.0.0.1", e);
            }
            return this;
        }

        /** The clock for token expiry, heartbeats and rate-limit windows. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How long after its last heartbeat a connected runner is shown offline; default 5 s. Idle runners
         * heartbeat with each long poll, busy ones by renewing their job every second. A runner that goes
         * offline while running a job (its process died) loses it: the job completes with conclusion
         * {@code failure} and the registration stays, offline and not busy, for its owner to delete. Real
         * GitHub takes some tens of seconds to notice; the short default keeps tests fast, and a test that
         * moves a {@link FakeClock} by more than this while runners work should set it longer.
         */
        public Builder offlineAfter(Duration offlineAfter) {
            this.offlineAfter = positive(offlineAfter, "offlineAfter");
            return this;
        }

        /** How long the runner side's job poll waits (real time) before answering "no job". */
        public Builder pollWait(Duration pollWait) {
            this.pollWait = positive(pollWait, "pollWait");
            return this;
        }

        /**
         * How long the Actions service's long poll ({@code GET messageQueueUrl}) waits (real time) for a
         * message before answering 202; default 50 s, as GitHub's broker. Tests set it short.
         */
        public Builder pollTimeout(Duration pollTimeout) {
            this.pollTimeout = positive(pollTimeout, "pollTimeout");
            return this;
        }

        /** The primary rate limit per token and hour. */
        public Builder rateLimit(int requestsPerHour) {
            if (requestsPerHour < 1) {
                throw new InvalidSpecException("rateLimit must be at least 1, got " + requestsPerHour);
            }
            this.rateLimit = requestsPerHour;
            return this;
        }

        /**
         * GitHub's secondary limit on content-creating requests (POST, PATCH, PUT, DELETE) per minute, counted
         * over every token; default 80, as GitHub. A benchmark that measures something else while many clients
         * create and delete runners raises it; tests of the client's pacing keep the default.
         */
        public Builder contentCreatingLimit(int perMinute) {
            if (perMinute < 1) {
                throw new InvalidSpecException("contentCreatingLimit must be at least 1 request a minute, got " + perMinute);
            }
            this.contentCreatingLimit = perMinute;
            return this;
        }

        private static Duration positive(Duration d, String name) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || d.isZero()) {
                throw new InvalidSpecException(name + " must be positive, got " + d);
            }
            return d;
        }

        /** A fake that is not started yet. */
        public FakeGitHub build() {
            return new FakeGitHub(this);
        }
    }

    /** Starts serving on the bind address (default 127.0.0.1) on a free port; idempotent. Returns this. */
    public synchronized FakeGitHub start() {
        if (closed) {
            throw new IllegalStateException("this FakeGitHub is closed: create a new one");
        }
        if (!started) {
            String host = bindAddress.getHostAddress();
            try {
                server.start(bindAddress, 0);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start FakeGitHub on " + host
                        + (bindAddress.isLoopbackAddress() ? "" : " (is it an address of this machine?)"), e);
            }
            engine.base("http://" + host + ":" + server.getPort());
            started = true;
        }
        return this;
    }

    /** The API base URL to give a client ({@code http://127.0.0.1:<port>} by default, no trailing slash). */
    public String url() {
        requireStarted();
        return engine.base();
    }

    /** The organization {@code login}, created (with its {@code Default} runner group, id 1) when new. */
    public FakeScope organization(String login) {
        return new FakeScope(this, engine, engine.organization(login));
    }

    /**
     * Registers a personal access token with grants: classic scopes ({@code admin:org}, {@code repo})
     * or fine-grained permissions ({@code organization_self_hosted_runners:write},
     * {@code administration:read}, {@code actions:read}). Returns it.
     */
    public Secret issueToken(Secret token, String... grants) {
        engine.issueToken(token.reveal(), null, new LinkedHashSet<>(Arrays.asList(grants)));
        return token;
    }

    /** Like {@link #issueToken(Secret, String...)} for a token given as text. */
    public Secret issueToken(String token, String... grants) {
        return issueToken(Secret.of(token), grants);
    }

    /** Issues a new random personal access token with these grants. */
    public Secret newToken(String... grants) {
        return issueToken(Secret.of("ghp_" + randomSuffix()), grants);
    }

    /** Issues a token that stops working at {@code expiresAt} (by the fake's clock) with 401 Bad credentials. */
    public Secret issueExpiringToken(Instant expiresAt, String... grants) {
        Secret token = Secret.of("ghp_" + randomSuffix());
        engine.issueToken(token.reveal(), Objects.requireNonNull(expiresAt, "expiresAt"),
                new LinkedHashSet<>(Arrays.asList(grants)));
        return token;
    }

    private static String randomSuffix() {
        return Long.toHexString(Double.doubleToLongBits(Math.random())) + Long.toHexString(System.nanoTime());
    }

    /**
     * Registers a GitHub App whose RS256 JWTs ({@code iss} = app id or {@code clientId}) are verified
     * against {@code publicKey}; install it with {@link #installApp}.
     */
    public void registerApp(long appId, String clientId, PublicKey publicKey) {
        engine.registerApp(appId, clientId, Objects.requireNonNull(publicKey, "publicKey"));
    }

    /**
     * Installs a registered app on an organization with permissions such as
     * {@code Map.of("organization_self_hosted_runners", "write")}; returns the installation id that
     * {@code POST /app/installations/{id}/access_tokens} takes.
     */
    public long installApp(long appId, FakeScope organization, Map<String, String> permissions) {
        if (!organization.isOrganization()) {
            throw new InvalidSpecException("apps are installed on organizations, not on " + organization.name());
        }
        return engine.install(appId, organization.state(), permissions);
    }

    /**
     * Queues a job (one job per workflow run) on a repository; an online, idle runner whose labels
     * contain all {@code runsOn} labels (case-insensitive) and whose group admits the repository takes it.
     */
    public FakeJob queueJob(FakeScope repository, String... runsOn) {
        return queueJob(repository, Duration.ZERO, runsOn);
    }

    /** Like {@link #queueJob(FakeScope, String...)}; the fake runner spends {@code runFor} (whole seconds) on it. */
    public FakeJob queueJob(FakeScope repository, Duration runFor, String... runsOn) {
        long id = engine.queueJob(repository.state(), List.of(runsOn), "build", runFor);
        return new FakeJob(engine, id);
    }

    /**
     * A {@link RunnerRegistry} for a scope that calls this fake's REST API with {@code token}, so the
     * fake's counters, faults, limits and permissions apply to it. For tests of code that takes a
     * registry (fleets, backends) without {@code runner-github}.
     */
    public RunnerRegistry registry(FakeScope scope, Secret token) {
        return new io.runnerfleet.testkit.internal.HttpRegistry(client(), base(), scope.state(),
                Objects.requireNonNull(token, "token"));
    }

    /** Registers a webhook URL that receives HMAC-SHA256-signed {@code workflow_job} deliveries. */
    public void webhook(URI url, Secret secret) {
        engine.webhooks().add(Objects.requireNonNull(url, "url"), Objects.requireNonNull(secret, "secret"));
    }

    /** The webhook deliveries sent so far, oldest first. */
    public List<WebhookDelivery> deliveries() {
        return engine.webhooks().deliveries();
    }

    /**
     * Makes the next {@code n} calls of an operation fail with {@code fault}.
     *
     * @throws InvalidSpecException for an unknown operation id or {@code n < 1}
     */
    public void failNext(String operationId, int n, Fault fault) {
        engine.faults().failNext(operationId, n, Objects.requireNonNull(fault, "fault"));
    }

    /**
     * An outage: every call of the given operations fails with {@code fault} for {@code duration} of real time
     * (measured on the monotonic clock, not the fake's {@link Builder#clock clock}), then they answer again.
     * Returns at once; the outage runs out by itself, or ends early with {@link #clearFaults()}.
     *
     * <pre>{@code
     * fake.outage(Duration.ofSeconds(60), Fault.status(503),
     *         "actions/create-registration-token-for-org", "actions/generate-runner-jitconfig-for-org");
     * }</pre>
     *
     * @throws InvalidSpecException for an unknown operation id or a duration that is not positive
     */
    public void outage(Duration duration, Fault fault, String... operationIds) {
        Objects.requireNonNull(duration, "duration");
        engine.faults().outage(List.of(operationIds), duration, Objects.requireNonNull(fault, "fault"));
    }

    /** Ends every {@link #outage} now and drops every {@link #failNext} fault not served yet. */
    public void clearFaults() {
        engine.faults().clearFaults();
    }

    /**
     * How many requests an operation received. Runner-side calls count as {@code runner/configure},
     * {@code runner/connect}, {@code runner/poll}, {@code runner/finish}, {@code runner/disconnect} and
     * {@code runner/remove}. Actions-service calls count as {@code actions-service/} plus
     * {@code runner-registration}, {@code get-runner-groups}, {@code list-runner-scale-sets},
     * {@code get-runner-scale-set}, {@code create-runner-scale-set}, {@code update-runner-scale-set},
     * {@code delete-runner-scale-set}, {@code generate-jit-config}, {@code list-runners},
     * {@code get-runner}, {@code remove-runner}, {@code create-session}, {@code refresh-session},
     * {@code delete-session}, {@code get-message} (the long poll), {@code delete-message} (the ack) and
     * {@code acquire-jobs}. {@link #failNext} takes those names too; on Actions-service calls a status
     * fault answers with the exception that call would raise (409 on {@code create-session} is a
     * session conflict, 404 a missing scale set or session), a 5xx with a {@code text/plain} body, and
     * a {@link Fault.Delay} holds the call (a hanging broker) until it passes or the fake closes.
     */
    public long requests(String operationId) {
        return engine.requests(operationId);
    }

    /** How many of an operation's requests were answered 304 Not Modified. */
    public long notModified(String operationId) {
        return engine.notModified(operationId);
    }

    /**
     * Makes every message-queue token of the Actions service issued so far answer 401, as when it
     * expires: the listener must refresh its session ({@code PATCH} the session) and poll again.
     */
    public void expireQueueTokens() {
        engine.scaleSets().expireQueueTokens();
    }

    /**
     * Makes every admin token of the Actions service issued so far answer 401: the client must call
     * {@code runner-registration} again. (Tokens also expire by the clock, one hour after issue.)
     */
    public void expireAdminTokens() {
        engine.scaleSets().expireAdminTokens();
    }

    /**
     * Drops every open scale-set message session, as GitHub's broker does when it evicts them: polls,
     * acks, acquires and refreshes of those sessions answer 404, and a new session may be created.
     * Unacknowledged messages stay with their scale set and reach the next session. Returns how many
     * sessions were dropped.
     */
    public int evictSessions() {
        return engine.scaleSets().evictSessions();
    }

    /** Every operation's request count, by operation id. */
    public Map<String, Long> requestCounts() {
        return engine.requestCounts();
    }

    /** Stops the server; idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (client != null) {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
        engine.close();
        server.close();
    }

    // One client for every registry of this fake; no retries, so injected faults are seen as they are.
    private synchronized okhttp3.OkHttpClient client() {
        if (client == null) {
            client = new okhttp3.OkHttpClient.Builder().retryOnConnectionFailure(false)
                    .readTimeout(java.time.Duration.ofSeconds(30)).build();
        }
        return client;
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("FakeGitHub is not started: call start() first");
        }
    }

    String base() {
        requireStarted();
        return engine.base();
    }

    @Override
    public String toString() {
        return "FakeGitHub[" + (started ? engine.base() : "not started") + (closed ? ", closed" : "") + "]";
    }
}
