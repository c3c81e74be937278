package io.runnerfleet.testkit.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.testkit.internal.Model.App;
import io.runnerfleet.testkit.internal.Model.Bucket;
import io.runnerfleet.testkit.internal.Model.Credential;
import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Installation;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Label;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.Model.ScopedToken;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fake's state and behaviour: organizations, repositories, runners, groups, tokens, apps, jobs
 * and counters, with its {@link Webhooks}, {@link Faults} and {@link ScaleSets}. {@link Api} serves the REST operations and {@link RunnerService}
 * the runner side from it; the public {@code FakeGitHub} is a thin front. All state is guarded by
 * this object's monitor.
 */
public final class Engine {
    static final String[] SYSTEM_LABELS = {"self-hosted", "Linux", "Windows", "macOS", "X86", "X64", "ARM", "ARM64"};
    private static final SecureRandom RANDOM = new SecureRandom();

    final Clock clock;
    final Duration offlineAfter;
    final Duration pollWait;
    final int coreLimit;
    private String base = "http://127.0.0.1";
    Shapes shapes = new Shapes(base);

    final Map<String, Org> orgs = new LinkedHashMap<>();
    final Map<Long, Runner> runners = new LinkedHashMap<>();
    final Map<String, Credential> credentials = new HashMap<>();
    final Map<String, ScopedToken> scopedTokens = new HashMap<>();
    final Map<Long, App> apps = new LinkedHashMap<>();
    final Map<Long, Installation> installations = new LinkedHashMap<>();
    final List<Job> jobs = new ArrayList<>();
    final Map<String, Bucket> anonymousBuckets = new HashMap<>();
    final Map<String, Long> labelIds = new HashMap<>();
    final Deque<Instant> contentCreating = new ArrayDeque<>();
    volatile int contentCreatingLimit = 80;
    private final Map<String, AtomicLong> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> notModified = new ConcurrentHashMap<>();
    private final Webhooks webhooks = new Webhooks(this);
    private final Faults faults = new Faults();
    private final Map<Long, Long> jobSeconds = new HashMap<>();
    private long nextId = 1000;
    private final ScaleSets scaleSets = new ScaleSets(this);

    public Engine(Clock clock, Duration offlineAfter, Duration pollWait, int coreLimit) {
        this.clock = clock;
        this.offlineAfter = offlineAfter;
        this.pollWait = pollWait;
        this.coreLimit = coreLimit;
    }

    /** Content-creating requests a minute before the secondary limit refuses (GitHub: 80). */
    public void contentCreatingLimit(int perMinute) {
        this.contentCreatingLimit = perMinute;
    }

    /** Sets the base URL once the server has its port. */
    public synchronized void base(String base) {
        this.base = base;
        this.shapes = new Shapes(base);
    }

    public synchronized String base() {
        return base;
    }

    /** The Actions-service side: runner scale sets, sessions and their job flow. */
    public ScaleSets scaleSets() {
        return scaleSets;
    }

    /** The webhooks and their deliveries. */
    public Webhooks webhooks() {
        return webhooks;
    }

    /** The faults to inject. */
    public Faults faults() {
        return faults;
    }

    synchronized long nextId() {
        return nextId++;
    }

    Instant now() {
        return clock.instant();
    }

    static String randomToken(int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return sb.toString();
    }

    // ---- scopes -------------------------------------------------------------------------------

    /** The organization {@code login}, created with its {@code Default} runner group when new. */
    public synchronized Scope organization(String login) {
        requireName("organization", login);
        return orgs.computeIfAbsent(login.toLowerCase(Locale.ROOT), k -> {
            Org o = new Org(nextId(), login);
            Group d = new Group(1, "Default", true);
            o.groups.put(1L, d);
            return o;
        });
    }

    /** The repository {@code name} of an organization, created when new. */
    public synchronized Scope repository(Scope org, String name, boolean isPrivate) {
        requireName("repository", name);
        Org o = (Org) org;
        return o.repos.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new Repo(nextId(), o, name, isPrivate));
    }

    private static void requireName(String what, String name) {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,100}")) {
            throw new InvalidSpecException("a " + what + " name must be 1 to 100 letters, digits, '.', '_' or '-', got '"
                    + name + "'");
        }
    }

    Org findOrg(String login) {
        return orgs.get(login.toLowerCase(Locale.ROOT));
    }

    Repo findRepo(String owner, String name) {
        Org o = findOrg(owner);
        return o == null ? null : o.repos.get(name.toLowerCase(Locale.ROOT));
    }

    /** The organization a scope is or belongs to. */
    static Org parentOrg(Scope scope) {
        return scope instanceof Org o ? o : ((Repo) scope).owner;
    }

    Scope findScope(String path) {
        String[] parts = path.replaceAll("^/+|/+$", "").split("/");
        if (parts.length == 1 && !parts[0].isEmpty()) {
            return findOrg(parts[0]);
        }
        if (parts.length == 2) {
            return findRepo(parts[0], parts[1]);
        }
        return null;
    }

    // ---- credentials ----------------------------------------------------------------------------

    /** Registers a token with its grants (classic scopes or {@code permission:level}). */
    public synchronized void issueToken(String token, Instant expiresAt, Set<String> grants) {
        if (token.isBlank() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidSpecException("a token must be non-blank and contain no whitespace");
        }
        credentials.put(token, new Credential(Set.copyOf(grants), expiresAt, null,
                new Bucket(coreLimit, now().plus(Duration.ofHours(1))), false));
    }

    /** Registers a GitHub App and returns nothing; the key verifies its JWTs. */
    public synchronized void registerApp(long appId, String clientId, PublicKey key) {
        if (!"RSA".equals(key.getAlgorithm())) {
            throw new InvalidSpecException("a GitHub App key must be RSA (JWTs are RS256), got " + key.getAlgorithm());
        }
        apps.put(appId, new App(appId, clientId, key, new LinkedHashMap<>()));
    }

    /** Installs an app on an organization; returns the installation id. */
    public synchronized long install(long appId, Scope org, Map<String, String> permissions) {
        App app = apps.get(appId);
        if (app == null) {
            throw new InvalidSpecException("no GitHub App " + appId + " is registered: call registerApp first");
        }
        Installation inst = new Installation(nextId(), app, (Org) org, Map.copyOf(permissions));
        app.installations().put(inst.id(), inst);
        installations.put(inst.id(), inst);
        return inst.id();
    }

    Credential installationToken(Installation inst, String token, Instant expiresAt) {
        Set<String> grants = new LinkedHashSet<>();
        inst.permissions().forEach((p, level) -> grants.add(p + ":" + level));
        Credential c = new Credential(grants, expiresAt, inst.org(), new Bucket(Math.max(coreLimit, 5000),
                now().plus(Duration.ofHours(1))), true);
        credentials.put(token, c);
        return c;
    }

    // ---- runners --------------------------------------------------------------------------------

    boolean online(Runner r) {
        // Idle runners heartbeat by long-polling, busy ones by renewing their job: a runner whose process died
        // does neither, so it goes offline like any other (GitHub: the session is gone).
        return r.connected && r.lastSeen != null && !r.lastSeen.plus(offlineAfter).isBefore(now());
    }

    /**
     * Fails the job of every runner that went offline while running it, as GitHub does once it notices
     * the runner's session is gone ("The runner has received a shutdown signal" / lost communication).
     * The registration stays, offline and no longer busy (an ephemeral one too: GitHub removes those
     * only much later), so its owner may delete it. Called before every request is served.
     */
    synchronized void failLostJobs() {
        for (Runner r : runners.values()) {
            if (r.job != null && !online(r)) {
                Job j = r.job;
                j.status = "completed";
                j.conclusion = "failure";
                j.completedAt = now();
                r.job = null;
                webhooks.deliver(j, "completed");
            }
        }
    }

    String status(Runner r) {
        return online(r) ? "online" : "offline";
    }

    List<Runner> runnersOf(Scope scope) {
        List<Runner> out = new ArrayList<>();
        for (Runner r : runners.values()) {
            if (r.scope == scope) {
                out.add(r);
            }
        }
        return out;
    }

    Runner runnerByName(Scope scope, String name) {
        for (Runner r : runnersOf(scope)) {
            if (r.name.equalsIgnoreCase(name)) {
                return r;
            }
        }
        return null;
    }

    /** Creates a runner record; labels that name a system label become read-only. */
    Runner createRunner(Scope scope, String name, List<String> labels, long groupId, boolean ephemeral) {
        Runner r = new Runner(nextId(), scope, name);
        r.groupId = groupId;
        r.ephemeral = ephemeral;
        setLabels(r, labels, true);
        r.session = randomToken(32);
        runners.put(r.id, r);
        return r;
    }

    /** Replaces the labels; with {@code all} false the read-only labels are kept. */
    void setLabels(Runner r, List<String> names, boolean all) {
        List<Label> kept = new ArrayList<>();
        if (!all) {
            for (Label l : r.labels) {
                if (l.readOnly()) {
                    kept.add(l);
                }
            }
        }
        r.labels.clear();
        r.labels.addAll(kept);
        for (String n : names) {
            addLabel(r, n, all && isSystemLabel(n));
        }
    }

    void addLabel(Runner r, String name, boolean readOnly) {
        for (Label l : r.labels) {
            if (l.name().equalsIgnoreCase(name)) {
                return;
            }
        }
        long id = labelIds.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> nextId());
        r.labels.add(new Label(id, name, readOnly));
    }

    static boolean isSystemLabel(String name) {
        for (String s : SYSTEM_LABELS) {
            if (s.equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }

    /** Labels of a request: trimmed, empty dropped, folded case-insensitively; returns an error or null. */
    static String checkLabels(List<String> labels) {
        if (labels.size() > 100) {
            return "a runner may have at most 100 labels, got " + labels.size();
        }
        for (String l : labels) {
            if (l.length() > 256) {
                return "label '" + l.substring(0, 20) + "...' is longer than 256 characters";
            }
            if (l.contains(",")) {
                return "label '" + l + "' must not contain a comma";
            }
        }
        return null;
    }

    void removeRunner(Runner r) {
        runners.remove(r.id);
        r.connected = false;
        notifyAll();
    }

    /**
     * Tells the listener of runner {@code name} to exit with {@code code} at its next call (a waiting
     * long poll returns at once).
     *
     * @return false when the scope has no runner of that name
     */
    public synchronized boolean exitListener(Scope scope, String name, int code) {
        Runner r = runnerByName(scope, name);
        if (r == null) {
            return false;
        }
        r.pendingExit = code;
        notifyAll();
        return true;
    }

    /** Snapshots of a scope's runners, for the public front. */
    public synchronized List<io.runnerfleet.testkit.FakeRunnerView> runnerViews(Scope scope) {
        failLostJobs();
        List<io.runnerfleet.testkit.FakeRunnerView> out = new ArrayList<>();
        for (Runner r : runnersOf(scope)) {
            List<String> names = new ArrayList<>();
            r.labels.forEach(l -> names.add(l.name()));
            out.add(new io.runnerfleet.testkit.FakeRunnerView(r.id, r.name, r.os, status(r), r.job != null, names,
                    r.groupId, r.ephemeral, r.version));
        }
        return out;
    }

    // ---- jobs -----------------------------------------------------------------------------------

    /** Queues a job on a repository; it goes to a matching runner when one polls. */
    public synchronized long queueJob(Scope repo, List<String> labels, String name, Duration runFor) {
        if (!(repo instanceof Repo r)) {
            throw new InvalidSpecException("jobs run in a repository, not in organization " + repo.fullName()
                    + ": use organization(...).repository(name)");
        }
        if (labels.isEmpty()) {
            throw new InvalidSpecException("a job needs at least one runs-on label, e.g. self-hosted");
        }
        long id = nextId();
        Job j = new Job(id, nextId(), r, labels, name, now());
        jobs.add(j);
        jobSeconds.put(id, Math.max(0, runFor.toSeconds()));
        webhooks.deliver(j, "queued");
        notifyAll();
        return id;
    }

    synchronized long jobSeconds(long jobId) {
        return jobSeconds.getOrDefault(jobId, 0L);
    }

    synchronized Job job(long id) {
        for (Job j : jobs) {
            if (j.id == id) {
                return j;
            }
        }
        return null;
    }

    /**
     * A snapshot of a job for the public front.
     *
     * @param status {@code queued}, {@code in_progress} or {@code completed}
     * @param conclusion {@code success}, {@code failure} or {@code cancelled} once completed, else null
     * @param runnerName the runner that took the job, null while queued
     * @param queuedAt when the job was queued, by the fake's clock
     * @param startedAt when a runner took the job (its message was handed out), by the fake's clock; null while queued
     */
    public record JobState(String status, String conclusion, String runnerName, Instant queuedAt, Instant startedAt) {
    }

    /** The job's state now, or null for an unknown id. */
    public synchronized JobState jobState(long id) {
        failLostJobs();
        Job j = job(id);
        return j == null ? null : new JobState(j.status, j.conclusion, j.runnerName, j.createdAt, j.startedAt);
    }

    /** Whether a runner may take a job: GitHub's rule (all runs-on labels, case-insensitive) plus groups. */
    boolean matches(Runner r, Job j) {
        if (!scaleSets.admits(r, j)) {
            return false;
        }
        if (r.scope instanceof Repo repo) {
            if (repo != j.repo) {
                return false;
            }
        } else {
            Org o = (Org) r.scope;
            if (j.repo.owner != o) {
                return false;
            }
            Group g = o.groups.get(r.groupId);
            if (g == null || (!j.repo.isPrivate && !g.allowsPublicRepositories)) {
                return false;
            }
            if ("selected".equals(g.visibility) && !g.repositoryIds.contains(j.repo.id)) {
                return false;
            }
        }
        for (String wanted : j.labels) {
            boolean found = false;
            for (Label l : r.labels) {
                found |= l.name().equalsIgnoreCase(wanted);
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    Job assign(Runner r) {
        if (r.job != null) {
            return null;
        }
        for (Job j : jobs) {
            if ("queued".equals(j.status) && matches(r, j)) {
                j.status = "in_progress";
                j.startedAt = now();
                j.runner = r;
                j.runnerName = r.name;
                Group g = r.org().groups.get(r.groupId);
                j.runnerGroupId = r.groupId;
                j.runnerGroupName = g == null ? "Default" : g.name;
                r.job = j;
                webhooks.deliver(j, "in_progress");
                return j;
            }
        }
        return null;
    }

    void finish(Runner r, String conclusion) {
        Job j = r.job;
        if (j == null) {
            return;
        }
        j.status = "completed";
        j.conclusion = conclusion;
        j.completedAt = now();
        r.job = null;
        webhooks.deliver(j, "completed");
        if (r.ephemeral) {
            removeRunner(r);
        }
    }

    // ---- counters -------------------------------------------------------------------------------

    void countRequest(String operationId) {
        requests.computeIfAbsent(operationId, k -> new AtomicLong()).incrementAndGet();
    }

    void countNotModified(String operationId) {
        notModified.computeIfAbsent(operationId, k -> new AtomicLong()).incrementAndGet();
    }

    public long requests(String operationId) {
        AtomicLong n = requests.get(operationId);
        return n == null ? 0 : n.get();
    }

    public long notModified(String operationId) {
        AtomicLong n = notModified.get(operationId);
        return n == null ? 0 : n.get();
    }

    public Map<String, Long> requestCounts() {
        Map<String, Long> out = new java.util.TreeMap<>();
        requests.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Stops webhook delivery (after the queued ones) and wakes every long poll. */
    public synchronized void close() {
        webhooks.close();
        scaleSets.close();
        notifyAll();
    }
}
