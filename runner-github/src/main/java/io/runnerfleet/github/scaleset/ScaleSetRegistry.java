package io.runnerfleet.github.scaleset;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerName;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A fleet's {@link RunnerRegistry} backed by one runner scale set: just-in-time configs come from the
 * scale set, and the runners it lists are the set's. Made by {@link ScaleSetAutoscaler#registry()}.
 *
 * <p><b>What GitHub costs.</b> The fleet asks for the runner list every reconcile cycle; this registry
 * answers from what it knows (the JIT configs it issued, {@code JobStarted} and {@code JobCompleted}
 * messages, deletions) and lists the scope's runners only while one of its runners has not been seen
 * online yet (at most once per {@code listInterval}), after the scale set was created again, and once
 * per {@code refreshInterval} to catch changes made by hand. An idle fleet therefore lists nothing.
 *
 * <p><b>The plan.</b> It also decides how many runners the fleet's pool should hold (see {@link #plan}) and
 * refuses a JIT config that would make more runners than the scale set needs (a runner the fleet started
 * in the moment between a job's end and the next plan: it is tried again later, or dropped when the
 * pool shrinks).
 */
final class ScaleSetRegistry implements RunnerRegistry {
    /** How long a runner whose job completed is still counted in the plan if no removal is heard. */
    static final Duration COMPLETING_EXPIRY = Duration.ofMinutes(5);
    /** How long a runner that started a job may be missing from lists before it is forgotten without its JobCompleted. */
    static final Duration COMPLETION_GRACE = Duration.ofSeconds(30);

    private final ScaleSetClient client;
    private final String scaleSetName;
    private final Supplier<ScaleSet> scaleSet;
    private final LongSupplier nanoTime;
    private final Duration listInterval;
    private final Duration refreshInterval;
    private final Runnable changed;

    // Guarded by this.
    private final Map<String, Entry> runners = new LinkedHashMap<>();
    private final Map<String, Integer> inFlight = new LinkedHashMap<>();
    private final Map<String, Long> completing = new LinkedHashMap<>();
    private final Set<Long> scaleSetIds = new HashSet<>();
    private volatile String fleet;
    private volatile String pool;
    private int wanted;
    // The pool's Warmth (ScaleSetAutoscaler#warmed): idle runners on top of the jobs, and a floor in all.
    private int warmIdle;
    private int warmFloor;
    private boolean listed;
    private boolean listNow;
    private boolean listNowAfterRecreate;
    private long lastList;
    private long lists;

    /** What is known of one runner registered through the scale set. */
    private static final class Entry {
        final String name;
        long id;
        String os = "";
        LabelSet labels;
        boolean online;
        boolean busy;
        // A JobStarted was heard: busy until its JobCompleted, whatever an older list says.
        boolean started;
        // When a list first missed a runner that started a job (0: it did not); see list().
        long missingSince;
        final long since;

        Entry(String name, long id, LabelSet labels, long since) {
            this.name = name;
            this.id = id;
            this.labels = labels;
            this.since = since;
        }

        RegisteredRunner view() {
            return new RegisteredRunner(id, name, os, online, busy, labels, true);
        }
    }

    ScaleSetRegistry(ScaleSetClient client, String scaleSetName, Supplier<ScaleSet> scaleSet, LongSupplier nanoTime,
                     Duration listInterval, Duration refreshInterval, Runnable changed) {
        this.client = client;
        this.scaleSetName = scaleSetName;
        this.scaleSet = scaleSet;
        this.nanoTime = nanoTime;
        this.listInterval = listInterval;
        this.refreshInterval = refreshInterval;
        this.changed = changed;
    }

    /** Binds the registry to the fleet's pool, whose runner names carry the slot numbers the plan uses. */
    synchronized void bind(String fleet, String pool, int initialWanted) {
        this.fleet = fleet;
        this.pool = pool;
        this.wanted = initialWanted;
    }

    // ---- RunnerRegistry -------------------------------------------------------------------------------

    @Override
    public String scope() {
        return "scale set " + scaleSetName + " of " + client.endpoint().scope();
    }

    @Override
    public String registrationUrl() {
        return client.endpoint().configUrl();
    }

    /** Refused: scale-set runners register just in time. */
    @Override
    public RegistrationToken registrationToken() {
        throw new RegistrationException("runners of " + scope() + " register just in time only, with a JIT config"
                + " of the scale set; build the pool with .ephemeral(true) (ephemeral runners register just in time by"
                + " default) and without registrationMode(TOKEN)");
    }

    /**
     * A JIT config of the scale set for the named runner, unless the scale set needs no more runners right
     * now; then a {@link RegistrationException} that the fleet treats like a short outage (the runner is
     * tried again after a backoff, or dropped when the pool shrinks).
     */
    @Override
    public JitConfig jitConfig(JitRequest request) {
        ScaleSet set = set();
        String key = key(request.name());
        int index = index(request.name());
        synchronized (this) {
            int held = held();
            if (held >= target()) {
                throw new RegistrationException(scope() + " needs no runner in slot " + index + " now (" + target()
                        + " wanted, " + held + " registered); " + request.name() + " waits until a job needs it");
            }
            inFlight.put(key, index);
        }
        JitConfig jit = null;
        try {
            jit = client.generateJitConfig(set.id(), request.name(), request.workFolder());
            return jit;
        } catch (ScaleSetApiException.RunnerExists e) {
            throw new RunnerNameConflictException(request.name(), e.getMessage());
        } catch (ScaleSetApiException.ScaleSetNotFound e) {
            listSoon();
            throw e;
        } finally {
            synchronized (this) {
                inFlight.remove(key);
                if (jit != null) {
                    Entry entry = new Entry(jit.name(), jit.runnerId(), LabelSet.of(set.labels()), nanoTime.getAsLong());
                    runners.put(key, entry);
                }
            }
        }
    }

    /** The scale set's group: a scale set's runners always join it, whatever the pool names. */
    @Override
    public long runnerGroupId(String groupName) {
        long id = set().runnerGroupId();
        return id > 0 ? id : 1;
    }

    /** The scale set's runners, from what this registry knows, listing them only when something is unknown. */
    @Override
    public List<RegisteredRunner> runners() {
        if (needsList()) {
            list();
        }
        synchronized (this) {
            return runners.values().stream().map(Entry::view).toList();
        }
    }

    /** Deregisters the runner (refused while it runs a job) and forgets it. */
    @Override
    public void delete(RegisteredRunner runner) {
        client.deleteRunner(runner.id());
        synchronized (this) {
            runners.remove(key(runner.name()));
        }
        changed.run();
    }

    // ---- what the scale set says ------------------------------------------------------------------

    /** {@code JobStarted}: the runner is online and busy from now on. */
    void started(String runnerName, long runnerId) {
        if (runnerName.isEmpty()) {
            return;
        }
        synchronized (this) {
            if (completing.containsKey(key(runnerName))) {
                return; // a redelivered message about a job that already ended
            }
            Entry e = runners.computeIfAbsent(key(runnerName), k -> new Entry(runnerName, runnerId,
                    LabelSet.of(set().labels()), nanoTime.getAsLong()));
            if (e.id == 0) {
                e.id = runnerId;
            }
            e.started = true;
            e.online = true;
            e.busy = true;
        }
        changed.run();
    }

    /**
     * {@code JobCompleted}: GitHub has removed the ephemeral runner's registration. Its slot stays occupied
     * until the fleet removes the runner ({@link #removed}), so that the plan never drains it on the way out.
     */
    void completed(String runnerName) {
        if (runnerName.isEmpty()) {
            return;
        }
        synchronized (this) {
            runners.remove(key(runnerName));
            completing.put(key(runnerName), nanoTime.getAsLong());
        }
        changed.run();
    }

    /**
     * A job completed (ran, or was canceled before a runner took it): one job fewer is assigned. The
     * statistics that follow in the same message say so too; counting it now keeps the gap between the
     * two from letting a runner register for a job that no longer needs one.
     */
    synchronized void jobEnded() {
        wanted = Math.max(0, wanted - 1);
    }

    /** The fleet removed a runner: its slot is free. */
    void removed(String runnerName) {
        boolean had;
        synchronized (this) {
            had = completing.remove(key(runnerName)) != null;
        }
        if (had) {
            changed.run();
        }
    }

    /** The scale set now needs {@code wanted} runners (from its statistics). */
    void wanted(int wanted) {
        synchronized (this) {
            this.wanted = wanted;
        }
    }

    /** Lists the runners at the next {@link #runners()} (a call said the scale set was gone). */
    synchronized void listSoon() {
        listNow = true;
    }

    /** The scale set was created again: its idle runners went with the old one, and its jobs' completions too. */
    synchronized void recreated() {
        listNow = true;
        listNowAfterRecreate = true;
    }

    /** How many times the scope's runners were listed. */
    synchronized long lists() {
        return lists;
    }

    /** Lists the runners now (at start, so that a restarted fleet plans with what GitHub holds). */
    void list() {
        long start = nanoTime.getAsLong();
        ScaleSet set = set();
        List<ScaleSetClient.Agent> agents = client.listAgents();
        synchronized (this) {
            lists++;
            listed = true;
            listNow = false;
            lastList = start;
            scaleSetIds.add(set.id());
            Set<String> seen = new HashSet<>();
            for (ScaleSetClient.Agent a : agents) {
                String k = key(a.runner().name());
                if (!scaleSetIds.contains(a.scaleSetId()) && !runners.containsKey(k)) {
                    continue;   // another scale set's runner, or one registered by hand
                }
                if (completing.containsKey(k)) {
                    continue;   // its job ended after this list was taken
                }
                seen.add(k);
                RegisteredRunner r = a.runner();
                Entry e = runners.computeIfAbsent(k, x -> new Entry(r.name(), r.id(), r.labels(), start));
                e.id = r.id();
                e.os = r.os();
                e.labels = r.labels().isEmpty() ? e.labels : r.labels();
                e.online = r.online() || e.started;
                e.busy = r.busy() || e.started;
            }
            // Registered before this list was asked for and missing from it: GitHub deleted it. A runner that
            // started a job goes when its JobCompleted comes (the statistics of the same message count the job
            // out): dropping it earlier would let a new runner register for a job that no longer needs one.
            // After the set was deleted no JobCompleted comes, so it goes after a grace period.
            boolean recreated = listNowAfterRecreate;
            listNowAfterRecreate = false;
            runners.values().removeIf(e -> {
                if (seen.contains(key(e.name)) || e.since - start >= 0) {
                    e.missingSince = 0;
                    return false;
                }
                if (!e.started || recreated) {
                    return true;
                }
                if (e.missingSince == 0) {
                    e.missingSince = start;
                }
                return start - e.missingSince > COMPLETION_GRACE.toNanos();
            });
        }
        changed.run();
    }

    private synchronized boolean needsList() {
        long now = nanoTime.getAsLong();
        if (!listed || listNow) {
            return true;
        }
        if (now - lastList >= refreshInterval.toNanos()) {
            return true;
        }
        boolean unknown = runners.values().stream().anyMatch(e -> !e.online && !e.busy);
        return unknown && now - lastList >= listInterval.toNanos();
    }

    /** The scale set, known once the autoscaler started its listener. */
    private ScaleSet set() {
        try {
            return scaleSet.get();
        } catch (IllegalStateException notStarted) {
            throw new RegistrationException(scope() + " is not known yet: call ScaleSetAutoscaler.start(fleet),"
                    + " which starts the fleet, instead of fleet.start()");
        }
    }

    // ---- the plan -------------------------------------------------------------------------------------

    /**
     * How many runners the pool should hold: what the scale set wants, plus the runners whose job completed
     * and that the fleet has not removed yet (at most {@code max}). The fleet counts such a runner until its
     * next cycle sees it finish; a count without it would make the fleet drain an idle runner in its place.
     * Once the fleet removes it ({@link #removed}) the plan drops by one again.
     */
    int plan(int max) {
        synchronized (this) {
            long now = nanoTime.getAsLong();
            completing.values().removeIf(t -> now - t > COMPLETING_EXPIRY.toNanos());
            return (int) Math.min(max, (long) target() + completing.size());
        }
    }

    /**
     * The pool's warmth: {@code idle} runners kept ready on top of those the scale set's jobs want, and never
     * fewer than {@code floor} in all (the fleet's warm target, which holds the pool's size while it stays warm).
     */
    synchronized void warm(int idle, int floor) {
        this.warmIdle = Math.max(0, idle);
        this.warmFloor = Math.max(0, floor);
    }

    /** How many runners the plan aims at: the scale set's count plus the warm idle ones, at least the warm floor. */
    private int target() {
        return Math.max(wanted + warmIdle, warmFloor);
    }

    /** Runners registered or being registered, of this fleet's pool. */
    private int held() {
        int n = inFlight.size();
        for (Entry e : runners.values()) {
            if (index(e.name) > 0) {
                n++;
            }
        }
        return n;
    }

    /** The slot number in the fleet's runner name, or 0 for a runner of no slot of this pool. */
    private int index(String name) {
        String f = fleet;
        String p = pool;
        if (f == null) {
            return 0;
        }
        Optional<RunnerName> parsed = RunnerName.parse(f, List.of(p), name);
        return parsed.map(RunnerName::index).orElse(0);
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        synchronized (this) {
            return "ScaleSetRegistry[" + scope() + ", " + runners.size() + " runners, " + wanted + " wanted by jobs, "
                    + target() + " planned]";
        }
    }
}
