package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.RetrySettings;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.internal.Checks;
import io.runnerfleet.github.internal.HttpSettings;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.github.internal.Sleeper;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.RegisteredRunner;
import java.net.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;

/**
 * A client of GitHub's runner scale-set protocol: the admin connection, runner groups, scale sets,
 * just-in-time runner configs, runners, message sessions, the long poll, acknowledgements and job
 * acquisition. {@link ScaleSetListener} runs the protocol's loop on top of it.
 *
 * <pre>{@code
 * try (ScaleSetClient scaleSets = ScaleSetClient.builder()
 *         .configUrl("https://github.com/acme")                     // or .github(client, scope)
 *         .credentials(GitHubCredentials.fromEnvironment())
 *         .build()) {
 *     ScaleSet set = scaleSets.createScaleSet(ScaleSetSpec.named("qemu").labels("intel"));
 *     JitConfig jit = scaleSets.generateJitConfig(set.id(), "qemu-1a2b3c4d", "_work");
 *     MessageSession session = scaleSets.createSession(set.id(), "host-1");
 *     scaleSets.poll(session, 0, 4).ifPresent(m -> scaleSets.acknowledge(session, m.messageId()));
 *     scaleSets.deleteSession(set.id(), session.sessionId());
 * }
 * }</pre>
 *
 * <p><b>Auth.</b> A registration token (PAT or GitHub App, through {@link GitHubClient}) is exchanged
 * for the Actions service's URL and an admin token, renewed a minute before its {@code exp} and once
 * after a 401. Queue calls (poll, acknowledge, acquire) use the session's queue token; a 401 there is
 * {@link ScaleSetApiException.QueueTokenExpired}: refresh the session.
 *
 * <p><b>Retries</b> follow {@link RetrySettings}: GETs, DELETEs and PATCHes are retried on 5xx, 429,
 * I/O failures and timeouts with jittered exponential backoff; POSTs only when they provably never left
 * (or on 429). Creating a scale set after an ambiguous failure looks it up by name before trying again.
 * {@link #generateJitConfig} is never repeated blindly: after an ambiguous failure it looks the runner
 * up by name, deletes the half-made registration (its config was lost with the answer) and asks again.
 * The long poll is never retried here: the caller backs off.
 *
 * <p><b>Errors</b> are {@link ScaleSetApiException} subtypes (the registration token's refusals are
 * {@link io.runnerfleet.github.GitHubApiException}); deleting a busy runner raises
 * {@link RunnerBusyException}. Byte-order marks before bodies are skipped, unknown JSON fields ignored.
 * Tokens and JIT configs never appear in messages, logs or {@code toString()}. Thread-safe; close it to
 * release its connections (and the {@link GitHubClient} it built itself).
 */
public final class ScaleSetClient implements AutoCloseable {
    static final String API_VERSION = "6.0-preview";
    private static final Pattern RUNNER_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final ScaleSetEndpoint endpoint;
    private final GitHubClient github;
    private final boolean ownsGithub;
    private final ActionsHttp http;
    private final AdminConnection admin;
    private final MessageQueue queue;
    private final OkHttpClient ok;

    private ScaleSetClient(ScaleSetEndpoint endpoint, GitHubClient github, boolean ownsGithub, ActionsHttp http,
                           OkHttpClient ok, Clock clock) {
        this.endpoint = endpoint;
        this.github = github;
        this.ownsGithub = ownsGithub;
        this.http = http;
        this.ok = ok;
        this.admin = new AdminConnection(github, endpoint, http, clock);
        this.queue = new MessageQueue(http);
    }

    /** A builder with the defaults listed on {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** Where the scale sets live: the config URL, web URL, API base and scope. */
    public ScaleSetEndpoint endpoint() {
        return endpoint;
    }

    // ---- runner groups ----

    /**
     * The runner group named {@code name}; {@code default} (any case) is {@link RunnerGroupRef#DEFAULT}
     * without a request.
     *
     * @throws ScaleSetApiException.NotFound when no group has that name
     */
    public RunnerGroupRef runnerGroup(String name) {
        Objects.requireNonNull(name, "name");
        if (name.equalsIgnoreCase("default")) {
            return RunnerGroupRef.DEFAULT;
        }
        String op = "look up runner group '" + name + "' in " + endpoint.scope();
        // GitHub's own client sends the trailing slash; the service accepts both.
        ActionsHttp.Reply reply = admin.send("GET", List.of("_apis", "runtime", "runnergroups", ""),
                Map.of("groupName", name), null, op, ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.ADMIN, null);
        List<RunnerGroupRef> groups = Wire.list(reply, op, o -> new RunnerGroupRef(Json.integer(o, "id"),
                Json.string(o, "name")));
        if (groups.isEmpty()) {
            throw new ScaleSetApiException.NotFound(Wire.details(reply.status(), op), "no runner group named '" + name
                    + "' in " + endpoint.scope() + "; create it in the organization's settings or use \"default\"");
        }
        if (groups.size() > 1) {
            throw new ScaleSetApiException(Wire.details(reply.status(), op), "the Actions service answered "
                    + groups.size() + " runner groups named '" + name + "'; expected one", null);
        }
        return groups.get(0);
    }

    // ---- scale sets ----

    /** The scale set named {@code name} in the group, or empty. */
    public Optional<ScaleSet> scaleSet(long runnerGroupId, String name) {
        Objects.requireNonNull(name, "name");
        String op = "look up scale set '" + name + "' in runner group " + runnerGroupId;
        ActionsHttp.Reply reply = admin.send("GET", List.of("_apis", "runtime", "runnerscalesets"),
                Map.of("runnerGroupId", Long.toString(runnerGroupId), "name", name), null, op,
                ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.ADMIN, null);
        List<ScaleSet> sets = Wire.list(reply, op, Wire::scaleSet);
        if (sets.size() > 1) {
            throw new ScaleSetApiException(Wire.details(reply.status(), op), "the Actions service answered "
                    + sets.size() + " scale sets named '" + name + "' in one group; expected at most one", null);
        }
        return sets.stream().findFirst();
    }

    /**
     * The scale set with this id.
     *
     * @throws ScaleSetApiException.ScaleSetNotFound when it does not exist (any more)
     */
    public ScaleSet scaleSet(long scaleSetId) {
        String op = "get scale set " + scaleSetId;
        ActionsHttp.Reply reply = admin.send("GET", scaleSetPath(scaleSetId), Map.of(), null, op,
                ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.SCALE_SET, null);
        if (reply.text() == null || reply.text().strip().equals("null")) {
            throw new ScaleSetApiException.ScaleSetNotFound(Wire.details(reply.status(), op),
                    "scale set " + scaleSetId + " does not exist; create it again");
        }
        return Wire.read(reply, op, Wire::scaleSet);
    }

    /**
     * Creates a scale set in the spec's group (looked up by name unless it is {@code default}). After an
     * ambiguous failure the set is looked up by name before another attempt, so none is created twice.
     *
     * @throws ScaleSetApiException when the service refuses, e.g. with 400 for a name that exists
     */
    public ScaleSet createScaleSet(ScaleSetSpec spec) {
        Objects.requireNonNull(spec, "spec");
        RunnerGroupRef group = runnerGroup(spec.runnerGroup());
        String op = "create scale set '" + spec.name() + "' in runner group '" + group.name() + "'";
        Map<String, Object> body = Wire.scaleSetBody(spec, group.id());
        for (int attempt = 1; ; attempt++) {
            try {
                ActionsHttp.Reply reply = admin.send("POST", List.of("_apis", "runtime", "runnerscalesets"), Map.of(), body,
                        op, ActionsHttp.Retrying.UNSENT_ONLY, ActionsHttp.Meaning.ADMIN, null);
                return Wire.read(reply, op, Wire::scaleSet);
            } catch (ScaleSetApiException e) {
                if (!e.maybeApplied() || attempt >= http.retry().maxAttempts()) {
                    throw e;
                }
                http.sleeper().sleep(ActionsHttp.jittered(http.retry().initialBackoff(), http.retry().maxBackoff(),
                        attempt));
                Optional<ScaleSet> made = scaleSet(group.id(), spec.name());
                if (made.isPresent()) {
                    return made.get();
                }
            }
        }
    }

    /** Sets the scale set's name, group, labels and update policy to the spec's ({@code PATCH}). */
    public ScaleSet updateScaleSet(long scaleSetId, ScaleSetSpec spec) {
        Objects.requireNonNull(spec, "spec");
        RunnerGroupRef group = runnerGroup(spec.runnerGroup());
        String op = "update scale set " + scaleSetId + " ('" + spec.name() + "')";
        ActionsHttp.Reply reply = admin.send("PATCH", scaleSetPath(scaleSetId), Map.of(), Wire.scaleSetBody(spec, group.id()),
                op, ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.SCALE_SET, null);
        return Wire.read(reply, op, Wire::scaleSet);
    }

    /**
     * Deletes a scale set; one that does not exist counts as deleted. GitHub refuses while a runner of the
     * set runs a job.
     */
    public void deleteScaleSet(long scaleSetId) {
        try {
            admin.send("DELETE", scaleSetPath(scaleSetId), Map.of(), null, "delete scale set " + scaleSetId,
                    ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.SCALE_SET, null);
        } catch (ScaleSetApiException.ScaleSetNotFound gone) {
            // Already gone: what the caller wanted.
        }
    }

    // ---- runners ----

    /**
     * Registers a runner in the scale set and returns its just-in-time config (start it with
     * {@code ACTIONS_RUNNER_INPUT_JITCONFIG} or the files of {@link JitConfig#files}).
     *
     * <p>Never repeated blindly: after an ambiguous failure (no answer, or 5xx) the runner is looked up by
     * name; if it was registered in this set its config was lost with the answer, so it is deleted (it
     * never ran) and the config is asked for again, up to {@link RetrySettings#maxAttempts()} times.
     *
     * @param workFolder the runner's work folder, e.g. {@code _work}; empty or absent for the runner's default
     * @throws ScaleSetApiException.RunnerExists when a runner of this name exists and was not made by this call
     */
    public JitConfig generateJitConfig(long scaleSetId, String runnerName, @Nullable String workFolder) {
        if (runnerName == null || !RUNNER_NAME.matcher(runnerName).matches()) {
            throw new InvalidSpecException("runner name '" + runnerName
                    + "' is not valid: use 1 to 64 letters, digits, '.', '_' or '-'");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", runnerName);
        body.put("workFolder", Objects.requireNonNullElse(workFolder, ""));
        String op = "generate a just-in-time config for runner '" + runnerName + "' in scale set " + scaleSetId;
        for (int attempt = 1; ; attempt++) {
            ActionsHttp.Reply reply;
            try {
                reply = admin.send("POST", append(scaleSetPath(scaleSetId), "generatejitconfig"), Map.of(), body, op,
                        ActionsHttp.Retrying.NEVER, ActionsHttp.Meaning.SCALE_SET, runnerName);
            } catch (ScaleSetApiException e) {
                if (!e.maybeApplied() && e.status() != 429 || attempt >= http.retry().maxAttempts()) {
                    throw e;
                }
                http.sleeper().sleep(ActionsHttp.jittered(http.retry().initialBackoff(), http.retry().maxBackoff(),
                        attempt));
                Optional<ScaleSetRunner> made;
                try {
                    made = runner(runnerName);
                } catch (RuntimeException lookup) {
                    e.addSuppressed(lookup);
                    throw e;
                }
                if (made.isPresent()) {
                    ScaleSetRunner r = made.get();
                    if (r.scaleSetId() != 0 && r.scaleSetId() != scaleSetId) {
                        throw new ScaleSetApiException.RunnerExists(Wire.details(409, op), "runner '" + runnerName
                                + "' exists in scale set " + r.scaleSetId() + ", not " + scaleSetId
                                + "; choose another name", runnerName);
                    }
                    deleteRunner(r.id());
                }
                continue;
            }
            return Wire.read(reply, op, o -> {
                Map<String, Object> runner = Json.object(o.get("runner"), "runner");
                return new JitConfig(Json.integer(runner, "id"), Json.string(runner, "name"),
                        Secret.of(Json.string(o, "encodedJITConfig")));
            });
        }
    }

    /** The runner with exactly this name, or empty. */
    public Optional<ScaleSetRunner> runner(String name) {
        Objects.requireNonNull(name, "name");
        String op = "look up runner '" + name + "'";
        ActionsHttp.Reply reply = admin.send("GET", agents(), Map.of("agentName", name), null, op,
                ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.ADMIN, name);
        List<ScaleSetRunner> found = Wire.list(reply, op, Wire::runner);
        if (found.size() > 1) {
            throw new ScaleSetApiException(Wire.details(reply.status(), op), "the Actions service answered "
                    + found.size() + " runners named '" + name + "'; expected at most one", null);
        }
        return found.stream().findFirst();
    }

    /**
     * Every runner registered in the scope (one request, {@code GET agents}), with its status as the
     * service reports it; for {@link ScaleSetRegistry}, which asks only while a runner's state is unknown.
     */
    List<Agent> listAgents() {
        String op = "list the runners of " + endpoint.scope();
        ActionsHttp.Reply reply = admin.send("GET", agents(), Map.of(), null, op, ActionsHttp.Retrying.IDEMPOTENT,
                ActionsHttp.Meaning.ADMIN, null);
        return Wire.list(reply, op, Wire::agent);
    }

    /** A runner as the agents list shows it: its registration, and the scale set it belongs to (0: none). */
    record Agent(RegisteredRunner runner, long scaleSetId) {
    }

    /** The runner with this id, or empty. */
    public Optional<ScaleSetRunner> runner(long runnerId) {
        String op = "get runner " + runnerId;
        try {
            ActionsHttp.Reply reply = admin.send("GET", append(agents(), Long.toString(runnerId)), Map.of(), null, op,
                    ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.ADMIN, null);
            return reply.text() == null ? Optional.empty() : Optional.of(Wire.read(reply, op, Wire::runner));
        } catch (ScaleSetApiException.NotFound e) {
            return Optional.empty();
        }
    }

    /**
     * Deregisters a runner; one that does not exist counts as removed (the service answers 204 for both).
     *
     * @throws RunnerBusyException when the runner is running a job
     */
    public void deleteRunner(long runnerId) {
        try {
            admin.send("DELETE", append(agents(), Long.toString(runnerId)), Map.of(), null, "delete runner " + runnerId,
                    ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.ADMIN, "runner " + runnerId);
        } catch (ScaleSetApiException.NotFound gone) {
            // Already gone.
        }
    }

    // ---- sessions and messages ----

    /**
     * Opens the scale set's message session.
     *
     * @param owner who holds it (shown on GitHub), e.g. the host name
     * @throws ScaleSetApiException.SessionConflict when another owner holds the set's session
     * @throws ScaleSetApiException.ScaleSetNotFound when the set was deleted
     */
    public MessageSession createSession(long scaleSetId, String owner) {
        if (owner == null || owner.isBlank()) {
            throw new InvalidSpecException("the session owner must not be blank; use e.g. the host name");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("sessionId", "00000000-0000-0000-0000-000000000000");
        body.put("ownerName", owner);
        String op = "create a message session for scale set " + scaleSetId;
        ActionsHttp.Reply reply = admin.send("POST", append(scaleSetPath(scaleSetId), "sessions"), Map.of(), body, op,
                ActionsHttp.Retrying.UNSENT_ONLY, ActionsHttp.Meaning.SESSION_CREATE, null);
        return Wire.read(reply, op, o -> Wire.session(o, scaleSetId));
    }

    /**
     * Refreshes a session: a new queue token (and possibly a new queue URL) for the same session id.
     *
     * @throws ScaleSetApiException.SessionNotFound when the session expired or was evicted
     */
    public MessageSession refreshSession(long scaleSetId, String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        String op = "refresh message session " + sessionId + " of scale set " + scaleSetId;
        ActionsHttp.Reply reply = admin.send("PATCH", List.of("_apis", "runtime", "runnerscalesets",
                Long.toString(scaleSetId), "sessions", sessionId), Map.of(), null, op,
                ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.SESSION, null);
        return Wire.read(reply, op, o -> Wire.session(o, scaleSetId));
    }

    /** Deletes a session; one that is gone or expired counts as deleted. */
    public void deleteSession(long scaleSetId, String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        try {
            admin.send("DELETE", List.of("_apis", "runtime", "runnerscalesets", Long.toString(scaleSetId), "sessions",
                    sessionId), Map.of(), null, "delete message session " + sessionId + " of scale set " + scaleSetId,
                    ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.SESSION, null);
        } catch (ScaleSetApiException.NotFound gone) {
            // Expired or evicted: nothing left to delete.
        }
    }

    /**
     * Long-polls the session's queue: a message, or empty when none came within the service's hold (about
     * 50 s, answered 202). Not retried; unacknowledged messages come again.
     *
     * @param lastMessageId the id of the last acknowledged message, {@code 0} for none
     * @param maxCapacity how many more runners the caller can start ({@code X-ScaleSetMaxCapacity})
     * @throws ScaleSetApiException.QueueTokenExpired on 401, or when the session has no usable queue URL:
     *     refresh the session
     * @throws ScaleSetApiException.SessionNotFound on 404: open a new session
     */
    public Optional<ScaleSetMessage> poll(MessageSession session, long lastMessageId, int maxCapacity) {
        return queue.poll(session, lastMessageId, maxCapacity);
    }

    /**
     * Acknowledges (deletes) a message so that it is not delivered again.
     *
     * @throws ScaleSetApiException.QueueTokenExpired on 401: refresh the session and acknowledge again
     */
    public void acknowledge(MessageSession session, long messageId) {
        queue.acknowledge(session, messageId);
    }

    /**
     * Acquires available jobs for the session's scale set (with the queue token); returns the
     * {@code runnerRequestId}s the set actually got.
     *
     * @throws ScaleSetApiException.QueueTokenExpired on 401: refresh the session and try again
     */
    public List<Long> acquireJobs(MessageSession session, List<Long> runnerRequestIds) {
        Objects.requireNonNull(session, "session");
        List<Long> ids = List.copyOf(runnerRequestIds);
        if (ids.isEmpty()) {
            return List.of();
        }
        return queue.acquireJobs(session, ids,
                admin.url(append(scaleSetPath(session.scaleSetId()), "acquirejobs"), Map.of()));
    }

    /** Cancels the call {@code thread} is blocked in (a listener closing mid-poll). */
    void cancel(Thread thread) {
        http.cancel(thread);
    }

    /** Releases connections and threads, and closes the {@link GitHubClient} when this client built it. */
    @Override
    public void close() {
        ok.dispatcher().executorService().shutdown();
        ok.connectionPool().evictAll();
        if (ownsGithub) {
            github.close();
        }
    }

    /** {@code ScaleSetClient[https://github.com/acme]}. */
    @Override
    public String toString() {
        return "ScaleSetClient[" + endpoint.configUrl() + "]";
    }

    // ---- plumbing ----

    private static List<String> scaleSetPath(long id) {
        return List.of("_apis", "runtime", "runnerscalesets", Long.toString(id));
    }

    private static List<String> agents() {
        return List.of("_apis", "distributedtask", "pools", "0", "agents");
    }

    private static List<String> append(List<String> path, String segment) {
        List<String> out = new ArrayList<>(path);
        out.add(segment);
        return out;
    }

    /**
     * Builds a {@link ScaleSetClient}.
     *
     * <p>Either {@link #github(GitHubClient, RunnerScope)} (a client you own and close, e.g. the fleet's
     * registry's) or {@link #configUrl(String)} plus {@link #credentials(GitHubCredentials)} (the builder
     * makes a {@link GitHubClient} for the URL's API and closes it with this client). Defaults: connect
     * timeout 10 s, whole-call timeout 60 s for admin calls, 90 s read timeout on the long poll (the
     * service holds it about 50 s, so silence beyond that is a hang); {@link RetrySettings#defaults()};
     * proxy from {@code HTTPS_PROXY} / {@code NO_PROXY}; the system UTC clock; User-Agent
     * {@code runner-fleet-scaleset}.
     */
    public static final class Builder {
        private GitHubClient github;
        private ScaleSetEndpoint endpoint;
        private GitHubCredentials credentials;
        private final HttpSettings http = new HttpSettings("runner-fleet-scaleset", null);
        private Duration pollTimeout = Duration.ofSeconds(90);

        private Builder() {
        }

        /**
         * Uses {@code github} (its credentials, API base and web URL) for {@code scope}; the config URL is
         * {@code scope.registrationUrl(github.webUrl())}. The client is not closed by this one.
         */
        public Builder github(GitHubClient github, RunnerScope scope) {
            this.github = Objects.requireNonNull(github, "github");
            Objects.requireNonNull(scope, "scope");
            this.endpoint = new ScaleSetEndpoint(scope.registrationUrl(github.webUrl()), github.webUrl(),
                    github.baseUrl().endsWith("/") ? github.baseUrl() : github.baseUrl() + "/", scope);
            return this;
        }

        /** The config URL, e.g. {@code https://github.com/acme} (see {@link ScaleSetEndpoint#parse(String)}). */
        public Builder configUrl(String configUrl) {
            return endpoint(ScaleSetEndpoint.parse(configUrl));
        }

        /** An endpoint parsed beforehand, e.g. with {@link ScaleSetEndpoint#parse(String, boolean)}. */
        public Builder endpoint(ScaleSetEndpoint endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            this.github = null;
            return this;
        }

        /** The credentials, with {@link #configUrl(String)}. */
        public Builder credentials(GitHubCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            return this;
        }

        /** The connect timeout. */
        public Builder connectTimeout(Duration timeout) {
            http.connectTimeout(timeout);
            return this;
        }

        /** The timeout of one admin call attempt. */
        public Builder callTimeout(Duration timeout) {
            http.callTimeout(timeout);
            return this;
        }

        /** How long a long poll may stay silent before it counts as a hang; keep it above 50 s in production. */
        public Builder pollTimeout(Duration timeout) {
            this.pollTimeout = Checks.positive("pollTimeout", timeout);
            return this;
        }

        /** How to retry (also used for the {@link GitHubClient} this builder makes). */
        public Builder retry(RetrySettings settings) {
            http.retry(settings);
            return this;
        }

        /** The clock for token expiry. */
        public Builder clock(Clock clock) {
            http.clock(clock);
            return this;
        }

        /** An explicit proxy ({@link Proxy#NO_PROXY} for none), instead of {@code HTTPS_PROXY}. */
        public Builder proxy(Proxy proxy) {
            http.proxy(proxy);
            return this;
        }

        /** The {@code User-Agent}. */
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

        /**
         * Builds the client; nothing is sent yet.
         *
         * @throws InvalidSpecException when neither a GitHub client nor a config URL with credentials was given
         */
        public ScaleSetClient build() {
            if (endpoint == null) {
                throw new InvalidSpecException("a scale-set client needs .github(client, scope) or"
                        + " .configUrl(url) with .credentials(...)");
            }
            boolean owns = github == null;
            if (owns && credentials == null) {
                throw new InvalidSpecException("a scale-set client for " + endpoint.configUrl()
                        + " needs .credentials(GitHubCredentials.fromEnvironment()) or a PAT / GitHub App");
            }
            OkHttpClient client = http.okHttp();
            GitHubClient gh = github;
            if (owns) {
                GitHubClient.Builder b = GitHubClient.builder().baseUrl(endpoint.apiUrl()).webUrl(endpoint.webUrl())
                        .credentials(credentials).clock(http.clock()).retry(http.retry()).userAgent(http.userAgent());
                if (http.proxy() != null) {
                    b.proxy(http.proxy());
                }
                gh = b.build();
            }
            ActionsHttp actions = new ActionsHttp(client, pollTimeout, http.sleeper(), http.retry(), http.userAgent());
            return new ScaleSetClient(endpoint, gh, owns, actions, client, http.clock());
        }
    }
}
