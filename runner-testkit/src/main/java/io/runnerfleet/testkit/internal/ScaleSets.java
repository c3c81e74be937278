package io.runnerfleet.testkit.internal;

import static io.runnerfleet.testkit.internal.ServiceError.badRequest;
import static io.runnerfleet.testkit.internal.ServiceError.runtimeType;
import static io.runnerfleet.testkit.internal.ServiceError.sessionNotFound;
import static io.runnerfleet.testkit.internal.ServiceError.setNotFound;
import static io.runnerfleet.testkit.internal.ServiceError.taskType;
import static io.runnerfleet.testkit.internal.ServiceError.unauthorized;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.testkit.FakeScaleSetView;
import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.Model.ScopedToken;
import io.runnerfleet.testkit.internal.ScaleSetModel.Message;
import io.runnerfleet.testkit.internal.ScaleSetModel.ScaleSet;
import io.runnerfleet.testkit.internal.ScaleSetModel.Session;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The Actions-service side of the fake: runner scale sets, their message sessions and queues, the
 * job flow from a queued job to {@code JobCompleted}, and the faults a scale-set listener must heal
 * from. {@link ActionsService} serves it over HTTP. Every field is guarded by the {@link Engine}'s
 * monitor, like the rest of the fake's state.
 *
 * <p>Job flow: a queued job whose runs-on labels are all among a set's labels (and whose repository
 * the set's runner group admits) is offered to the set ({@code JobAvailable}); acquiring it assigns
 * it to the set ({@code JobAssigned}); from then on only a runner registered with a JIT config of that
 * set can take it ({@code JobStarted}), and its end is reported ({@code JobCompleted}). Job messages
 * are made lazily from the jobs' state ({@link ScaleSetJobs#sync}) so the engine needs no callbacks.
 */
public final class ScaleSets {
    static final Duration ADMIN_TOKEN_LIFETIME = Duration.ofHours(1);
    static final Duration QUEUE_TOKEN_LIFETIME = Duration.ofHours(1);
    /** A session nobody polled or refreshed for this long is abandoned: a new one may replace it. */
    static final Duration SESSION_ABANDONED_AFTER = Duration.ofMinutes(2);
    static final int MAX_JOB_MESSAGES = 50;
    static final String ZERO_TIME = "0001-01-01T00:00:00Z";

    private final Engine e;
    private final ServiceTokens tokens = new ServiceTokens();
    private Duration pollTimeout = Duration.ofSeconds(50);
    private boolean closed;
    private int adminGeneration;
    private final Map<Scope, String> tenantKeys = new HashMap<>();
    private final Map<String, Scope> tenants = new HashMap<>();
    private final Map<Long, ScaleSet> sets = new LinkedHashMap<>();
    private final ScaleSetAgents agents;
    private final ScaleSetJobs jobs;
    private long nextSetId = 1;
    private long nextMessageId = 1;

    ScaleSets(Engine engine) {
        this.e = engine;
        this.agents = new ScaleSetAgents(engine);
        this.jobs = new ScaleSetJobs(engine, sets, agents, this::serviceUrl);
    }

    /** The runners (agents) of the scale sets. */
    ScaleSetAgents agents() {
        return agents;
    }

    // ---- settings and faults (public front) -------------------------------------------------------

    /** Sets how long a long poll waits (real time) for a message before answering 202. */
    public void pollTimeout(Duration timeout) {
        synchronized (e) {
            this.pollTimeout = timeout;
        }
    }

    /** Makes every message-queue token issued so far answer 401 (a session refresh issues a good one). */
    public void expireQueueTokens() {
        synchronized (e) {
            for (ScaleSet s : sets.values()) {
                if (s.session != null) {
                    s.session.generation++;
                }
            }
            e.notifyAll();
        }
    }

    /** Makes every admin token issued so far answer 401 (runner-registration issues a good one). */
    public void expireAdminTokens() {
        synchronized (e) {
            adminGeneration++;
        }
    }

    /** Drops every message session, as the broker does when it evicts them; returns how many. */
    public int evictSessions() {
        synchronized (e) {
            int n = 0;
            for (ScaleSet s : sets.values()) {
                if (s.session != null) {
                    s.session = null;
                    n++;
                }
            }
            e.notifyAll();
            return n;
        }
    }

    /**
     * Deletes the scale sets called {@code name} of a scope as GitHub does on its side: sessions end,
     * jobs acquired but not started go back to the queue, idle runners of the sets are unregistered;
     * busy ones finish their job first.
     *
     * @throws InvalidSpecException when the scope has no such scale set
     */
    public void delete(Scope scope, String name) {
        synchronized (e) {
            List<ScaleSet> doomed = new ArrayList<>();
            for (ScaleSet s : sets.values()) {
                if (s.scope == scope && s.name.equalsIgnoreCase(name)) {
                    doomed.add(s);
                }
            }
            if (doomed.isEmpty()) {
                throw new InvalidSpecException(scope.fullName() + " has no runner scale set called '" + name
                        + "'; its scale sets: " + views(scope).stream().map(FakeScaleSetView::name).toList());
            }
            doomed.forEach(s -> remove(s, true));
        }
    }

    /** Snapshots of a scope's scale sets. */
    public List<FakeScaleSetView> views(Scope scope) {
        synchronized (e) {
            e.failLostJobs();
            jobs.sync();
            List<FakeScaleSetView> out = new ArrayList<>();
            for (ScaleSet s : sets.values()) {
                if (s.scope == scope) {
                    out.add(new FakeScaleSetView(s.id, s.name, s.groupId, s.labels,
                            s.session == null ? null : s.session.owner, s.unacked.size(), jobs.statistics(s)));
                }
            }
            return out;
        }
    }

    /** Wakes long polls and hung calls so they answer before the server stops. */
    void close() {
        closed = true;
    }

    boolean closed() {
        return closed;
    }

    // ---- engine hook ------------------------------------------------------------------------------

    /**
     * Whether the scale-set rules let runner {@code r} take job {@code j}: a job a scale set acquired goes
     * only to that set's runners, and a scale-set runner takes only jobs its set acquired.
     */
    boolean admits(Runner r, Job j) {
        return jobs.admits(r, j);
    }

    // ---- tenants and admin tokens ------------------------------------------------------------------

    private String tenantKey(Scope scope) {
        return tenantKeys.computeIfAbsent(scope, s -> {
            String key = Engine.randomToken(20).toLowerCase(Locale.ROOT);
            tenants.put(key, s);
            return key;
        });
    }

    /** {@code {svc}}: the Actions-service base of a scope, with the trailing slash clients expect. */
    String serviceUrl(Scope scope) {
        return e.base() + "/_services/actions/" + tenantKey(scope) + "/";
    }

    /** {@code POST /actions/runner-registration}: the service URL and an admin token for a config URL. */
    Map<String, Object> register(String registrationToken, String configUrl) {
        okhttp3.HttpUrl url = configUrl == null ? null : okhttp3.HttpUrl.parse(configUrl);
        Scope scope = url == null ? null : e.findScope(url.encodedPath());
        ScopedToken t = registrationToken == null ? null : e.scopedTokens.get(registrationToken);
        if (scope == null || t == null || t.remove() || t.scope() != scope || !e.now().isBefore(t.expiresAt())) {
            // GitHub answers NotFound both for an unknown URL and for a token that is wrong, expired or of another scope.
            throw new ServiceError(404, null, "Not Found: no organization or repository at '" + configUrl
                    + "' accepts this registration token (it is wrong, expired, or for another scope)");
        }
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("tenant", tenantKey(scope));
        claims.put("gen", (long) adminGeneration);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("url", serviceUrl(scope));
        m.put("token", tokens.mint(ServiceTokens.ADMIN, e.now(), ADMIN_TOKEN_LIFETIME, claims));
        m.put("token_schema", "OAuthAccessToken");
        m.put("use_v2_flow", false);
        return m;
    }

    /** The scope of tenant {@code key} if {@code bearer} is a valid admin token for it; else 401 (404 for no tenant). */
    Scope admin(String tenant, String bearer) {
        Map<String, Object> claims;
        try {
            claims = tokens.verify(bearer, ServiceTokens.ADMIN, e.now());
        } catch (ServiceTokens.Refused r) {
            throw unauthorized(r.getMessage() + ": call runner-registration for a new admin token");
        }
        if (!Long.valueOf(adminGeneration).equals(claims.get("gen"))) {
            throw unauthorized("the admin token has expired: call runner-registration for a new one");
        }
        if (!tenant.equals(claims.get("tenant"))) {
            throw unauthorized("the admin token was issued for another organization or repository");
        }
        Scope scope = tenants.get(tenant);
        if (scope == null) {
            throw new ServiceError(404, null, "no Actions service tenant " + tenant);
        }
        return scope;
    }

    // ---- runner groups -----------------------------------------------------------------------------

    Map<String, Object> groups(Scope scope, String groupName) {
        Org org = Engine.parentOrg(scope);
        List<Object> value = new ArrayList<>();
        for (Group g : org.groups.values()) {
            boolean visible = !(scope instanceof Repo) || g.isDefault;
            if (visible && (groupName == null || g.name.equalsIgnoreCase(groupName))) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", g.id);
                m.put("name", g.name);
                m.put("size", e.runnersOf(scope).stream().filter(r -> r.groupId == g.id).count());
                m.put("isDefaultGroup", g.isDefault);
                value.add(m);
            }
        }
        return list(value);
    }

    private Group group(Scope scope, long id) {
        Group g = (Engine.parentOrg(scope)).groups.get(id);
        if (g == null || scope instanceof Repo && !g.isDefault) {
            throw new ServiceError(404, runtimeType("RunnerGroupNotFoundException"), "No runner group with id " + id
                    + " exists in " + scope.fullName() + (scope instanceof Repo ? " (a repository has only Default, id 1)" : ""));
        }
        return g;
    }

    // ---- scale sets --------------------------------------------------------------------------------

    ScaleSet set(Scope scope, long id) {
        ScaleSet s = sets.get(id);
        if (s == null || s.scope != scope) {
            throw setNotFound(id);
        }
        return s;
    }

    Map<String, Object> listSets(Scope scope, Long groupId, String name) {
        List<Object> value = new ArrayList<>();
        for (ScaleSet s : sets.values()) {
            if (s.scope == scope && (groupId == null || s.groupId == groupId)
                    && (name == null || s.name.equalsIgnoreCase(name))) {
                value.add(setJson(s));
            }
        }
        return list(value);
    }

    Map<String, Object> create(Scope scope, Map<String, Object> body) {
        Object name = body.get("name");
        if (!(name instanceof String n) || n.isBlank() || n.length() > 100) {
            throw badRequest("\"name\" must be a non-blank string of at most 100 characters, got " + Json.write(name));
        }
        String setName = ((String) name).trim();
        long groupId = body.get("runnerGroupId") instanceof Long g && g > 0 ? g : 1;
        group(scope, groupId);
        List<String> labels = labels(body.get("labels"));
        if (labels.isEmpty()) {
            labels = List.of(setName);
        }
        requireUniqueName(scope, groupId, setName, null);
        ScaleSet s = new ScaleSet(nextSetId++, scope, e.now());
        s.name = setName;
        s.groupId = groupId;
        s.labels = labels;
        settings(s, body.get("RunnerSetting"));
        sets.put(s.id, s);
        e.notifyAll();
        return setJson(s);
    }

    /** A partial update: absent, zero and empty values leave a field unchanged. */
    Map<String, Object> update(Scope scope, long id, Map<String, Object> body) {
        ScaleSet s = set(scope, id);
        String name = body.get("name") instanceof String n && !n.isBlank() ? n.trim() : s.name;
        long groupId = body.get("runnerGroupId") instanceof Long g && g > 0 ? g : s.groupId;
        group(scope, groupId);
        List<String> labels = labels(body.get("labels"));
        requireUniqueName(scope, groupId, name, s);
        s.name = name;
        s.groupId = groupId;
        if (!labels.isEmpty()) {
            s.labels = labels;
        }
        settings(s, body.get("RunnerSetting"));
        e.notifyAll();
        return setJson(s);
    }

    void delete(Scope scope, long id) {
        remove(set(scope, id), false);
    }

    private void remove(ScaleSet s, boolean force) {
        List<Runner> runners = agents.runnersOf(s);
        if (!force) {
            for (Runner r : runners) {
                if (r.job != null) {
                    throw new ServiceError(400, taskType("JobStillRunningException"), "Runner scale set " + s.name
                            + " cannot be deleted while its runner " + r.name + " runs a job; try again when it finished.");
                }
            }
        }
        sets.remove(s.id);
        s.session = null;
        jobs.requeue(s);
        for (Runner r : runners) {
            if (r.job == null) {
                agents.unregister(r);
            }
        }
        e.notifyAll();
    }

    private void requireUniqueName(Scope scope, long groupId, String name, ScaleSet self) {
        for (ScaleSet o : sets.values()) {
            if (o != self && o.scope == scope && o.groupId == groupId && o.name.equalsIgnoreCase(name)) {
                throw new ServiceError(400, runtimeType("RunnerScaleSetExistsException"), "A runner scale set named "
                        + name + " already exists in runner group " + groupId + " (id " + o.id + ").");
            }
        }
    }

    private static List<String> labels(Object labels) {
        if (labels == null) {
            return List.of();
        }
        if (!(labels instanceof List<?> l)) {
            throw badRequest("\"labels\" must be an array of {\"name\",\"type\"} objects, got " + Json.write(labels));
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Map<?, ?> m) || !(m.get("name") instanceof String n) || n.isBlank()) {
                throw badRequest("every label must be an object with a non-blank \"name\", got " + Json.write(o));
            }
            String name = n.trim();
            if (out.stream().noneMatch(name::equalsIgnoreCase)) {
                out.add(name);
            }
        }
        String problem = Engine.checkLabels(out);
        if (problem != null) {
            throw badRequest(problem);
        }
        return out;
    }

    private static void settings(ScaleSet s, Object setting) {
        if (setting instanceof Map<?, ?> m) {
            // Go clients send the whole struct, so false means "not given" rather than "turn off".
            if (Boolean.TRUE.equals(m.get("disableUpdate"))) {
                s.disableUpdate = true;
            }
            if (Boolean.TRUE.equals(m.get("ephemeral"))) {
                s.ephemeral = true;
            }
        } else if (setting != null) {
            throw badRequest("\"RunnerSetting\" must be an object, got " + Json.write(setting));
        }
    }

    Map<String, Object> setJson(ScaleSet s) {
        String base = serviceUrl(s.scope) + "_apis/runtime/runnerscalesets/" + s.id;
        Group g = (Engine.parentOrg(s.scope)).groups.get(s.groupId);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id);
        m.put("name", s.name);
        m.put("runnerGroupId", s.groupId);
        m.put("runnerGroupName", g == null ? "Default" : g.name);
        List<Object> labels = new ArrayList<>();
        for (String l : s.labels) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("type", "System");
            lm.put("name", l);
            labels.add(lm);
        }
        m.put("labels", labels);
        Map<String, Object> setting = new LinkedHashMap<>();
        setting.put("ephemeral", s.ephemeral);
        setting.put("isElastic", true);
        setting.put("disableUpdate", s.disableUpdate);
        m.put("RunnerSetting", setting);
        m.put("createdOn", time(s.createdOn));
        m.put("runnerJitConfigUrl", base + "/generatejitconfig");
        m.put("acquireJobsUrl", base + "/acquirejobs");
        m.put("enabled", true);
        m.put("statistics", jobs.statisticsJson(s));
        return m;
    }

    // ---- sessions ----------------------------------------------------------------------------------

    Map<String, Object> createSession(Scope scope, long id, Map<String, Object> body) {
        ScaleSet s = set(scope, id);
        Object owner = body.get("ownerName");
        if (!(owner instanceof String o) || o.isBlank()) {
            throw badRequest("\"ownerName\" must be a non-blank string, got " + Json.write(owner));
        }
        Session old = s.session;
        if (old != null && !old.lastSeen.plus(SESSION_ABANDONED_AFTER).isBefore(e.now())) {
            throw new ServiceError(409, runtimeType("RunnerScaleSetSessionConflictException"), "The runner scale set "
                    + s.name + " already has an active session (owner " + old.owner + ").");
        }
        s.session = new Session(UUID.randomUUID().toString(), ((String) owner).trim(), s, e.now());
        e.notifyAll(); // a long poll of an abandoned session ends
        return sessionJson(s.session);
    }

    Map<String, Object> refreshSession(Scope scope, long id, String sessionId) {
        Session ses = session(set(scope, id), sessionId);
        ses.lastSeen = e.now();
        return sessionJson(ses);
    }

    void deleteSession(Scope scope, long id, String sessionId) {
        ScaleSet s = set(scope, id);
        session(s, sessionId);
        s.session = null;
        e.notifyAll();
    }

    private static Session session(ScaleSet s, String sessionId) {
        if (s.session == null || !s.session.id.equals(sessionId)) {
            throw sessionNotFound(sessionId);
        }
        return s.session;
    }

    private Map<String, Object> sessionJson(Session ses) {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("scaleSet", ses.set.id);
        claims.put("session", ses.id);
        claims.put("gen", (long) ses.generation);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sessionId", ses.id);
        m.put("ownerName", ses.owner);
        m.put("runnerScaleSet", setJson(ses.set));
        m.put("messageQueueUrl", e.base() + "/_broker/scalesets/message?scaleSetId=" + ses.set.id);
        m.put("messageQueueAccessToken", tokens.mint(ServiceTokens.QUEUE, e.now(), QUEUE_TOKEN_LIFETIME, claims));
        m.put("statistics", jobs.statisticsJson(ses.set));
        return m;
    }

    /**
     * The session a message-queue token belongs to. 401 for a token that is malformed, expired or
     * expired by {@link #expireQueueTokens}; 404 when the set or the session is gone.
     */
    Session queueSession(String bearer, Long scaleSetInUrl) {
        Map<String, Object> claims;
        try {
            claims = tokens.verify(bearer, ServiceTokens.QUEUE, e.now());
        } catch (ServiceTokens.Refused r) {
            throw unauthorized(r.getMessage() + ": refresh the session for a new messageQueueAccessToken");
        }
        long setId = (Long) claims.get("scaleSet");
        if (scaleSetInUrl != null && scaleSetInUrl != setId) {
            throw unauthorized("the message queue token is for scale set " + setId + ", not " + scaleSetInUrl);
        }
        ScaleSet s = sets.get(setId);
        if (s == null) {
            throw setNotFound(setId);
        }
        Session ses = session(s, (String) claims.get("session"));
        if (!Long.valueOf(ses.generation).equals(claims.get("gen"))) {
            throw unauthorized("the message queue token has expired: refresh the session for a new one");
        }
        return ses;
    }

    // ---- long poll, ack, acquire -------------------------------------------------------------------

    /**
     * Holds until the session's queue has a message after {@code lastMessageId} (returned) or the poll
     * timeout passed (null: 202). Revalidates the token each round, so an eviction, deletion or token
     * expiry during the poll ends it with 404 or 401. Called holding the engine's monitor.
     */
    Message poll(String bearer, long lastMessageId) {
        Session ses = queueSession(bearer, null);
        long deadline = System.nanoTime() + pollTimeout.toNanos();
        while (true) {
            ses.lastSeen = e.now();
            e.failLostJobs();
            jobs.sync();
            Message m = next(ses.set, lastMessageId);
            if (m != null) {
                return m;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0 || closed) {
                return null;
            }
            try {
                // Runner and job changes do not all notify, so look again at least every 50 ms.
                e.wait(Math.max(1, Math.min(left, 50)));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                return null;
            }
            ses = queueSession(bearer, null);
        }
    }

    private Message next(ScaleSet s, long lastMessageId) {
        for (Message m : s.unacked.values()) {
            if (m.id() > lastMessageId) {
                return m;
            }
        }
        if (s.pending.isEmpty()) {
            return null;
        }
        List<Map<String, Object>> batch = new ArrayList<>(s.pending.subList(0, Math.min(MAX_JOB_MESSAGES, s.pending.size())));
        s.pending.subList(0, batch.size()).clear();
        Message m = new Message(nextMessageId++, Json.write(batch), jobs.statisticsJson(s));
        s.unacked.put(m.id(), m);
        return m;
    }

    /** Acknowledges a message; acknowledging one that is gone is a no-op. */
    void ack(String bearer, long messageId) {
        queueSession(bearer, null).set.unacked.remove(messageId);
    }

    /** Acquires those of {@code ids} that are still queued and match the set; returns them. */
    List<Long> acquire(String bearer, long setId, List<Long> ids) {
        ScaleSet s = queueSession(bearer, setId).set;
        e.failLostJobs();
        List<Long> got = jobs.acquire(s, ids);
        e.notifyAll(); // runners of the set long-poll for exactly these jobs
        return got;
    }

    /** The Actions service's list shape: {@code {"count": n, "value": [...]}}. */
    static Map<String, Object> list(List<Object> value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", value.size());
        m.put("value", value);
        return m;
    }

    /** The service's timestamp; a missing one is {@link #ZERO_TIME}, as .NET writes it. */
    static String time(Instant t) {
        return t == null ? ZERO_TIME : Shapes.time(t);
    }
}
