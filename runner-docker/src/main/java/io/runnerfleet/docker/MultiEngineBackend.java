package io.runnerfleet.docker;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RunnerBackend} spanning several named engines: each pool is placed on the engines it may use,
 * generic pools spread over them least loaded first within per-engine capacities, and a board pool lands
 * on the engine whose host has its device.
 *
 * <pre>{@code
 * RunnerBackend engines = MultiEngineBackend.builder()
 *     .engine("local", DockerBackend.fromEnvironment())
 *     .engine("lab-b", DockerBackend.builder().dockerHost("tcp://lab-b:2376").tlsVerify(true)
 *             .certPath(Path.of("/etc/runnerfleet/lab-b")).localDevices(false).build())
 *     .capacity("local", 4)
 *     .pool("phytiumpi", "lab-b")                 // the board is plugged into lab-b
 *     .awayAfter(Duration.ofMinutes(1))           // lab-b's runners are replaced after a minute without answer
 *     .build();
 * RunnerFleet.builder().name("s1lqc").backend(engines)...
 * }</pre>
 *
 * <p>Instance ids are the engine's own id, {@code @}, and the engine's name ({@code 3f2a1c9d4e5f...@lab-b}),
 * so every call goes to the engine that holds the instance, also in a new JVM adopting what an earlier one
 * launched; {@link InstanceInfo#engine()} names the engine. A launch tries the pool's engines least loaded
 * first (declaration order breaks ties), skipping full ones and passing on when an engine does not answer
 * or refuses a device it lacks; the device is checked by each engine on its own host. When no engine has
 * the device the launch fails with an {@link InvalidSpecException} naming every engine checked; when
 * engines are away or full it raises {@link BackendUnavailableException} and the fleet retries later.
 *
 * <p>An engine that stops answering is first <em>suspect</em>: for a grace period ({@link Builder#awayAfter},
 * default 30 s) {@link #instances} keeps reporting what its last listing found (with the launches and
 * removals made through this backend since), so a slow listing or a dropped connection does not make the
 * fleet start duplicates elsewhere; new launches try the engines that answer first. One success ends the
 * suspicion. An engine that failed every call for the whole grace is <em>away</em>: its instances drop
 * out of {@link #instances}, so the fleet replaces them; generic runners come back on the other engines,
 * board runners wait until their engine answers again. The grace is a time, not a count of failures,
 * because how often the engine is called depends on the fleet's intervals and on launches and removals;
 * a time means the same on every fleet. An engine never listed in this JVM has nothing to keep reporting
 * (a new JVM adopting runners while one engine hiccups does not see its instances until it answers).
 *
 * <p>Removing an instance of an engine that does not answer (suspect or away) is recorded and done when
 * the engine answers again, before it is listed or given a launch, so a runner never has two instances.
 * If a new JVM still finds two instances of one runner (the record was lost with the old JVM), the older
 * one is removed.
 *
 * <p>Defaults: every pool may use every engine; capacity unlimited; away after 30 s; the UTC system clock.
 * Thread-safe. The backend owns the engines' backends: {@link #close()} closes them (never their containers).
 */
public final class MultiEngineBackend implements RunnerBackend {
    /** How long an engine fails every call before it counts as away, unless {@link Builder#awayAfter} says otherwise. */
    public static final Duration DEFAULT_AWAY_AFTER = Duration.ofSeconds(30);

    private static final Logger LOG = LoggerFactory.getLogger(MultiEngineBackend.class);

    private final Map<String, EngineMember> engines;
    private final EnginePlacement placement;
    private final Duration awayAfter;
    private final Set<FanOut> subscriptions = ConcurrentHashMap.newKeySet();

    private MultiEngineBackend(Map<String, EngineMember> engines, EnginePlacement placement, Duration awayAfter) {
        this.engines = engines;
        this.placement = placement;
        this.awayAfter = awayAfter;
    }

    /** A builder; at least one engine is needed. */
    public static Builder builder() {
        return new Builder();
    }

    /** The engines' names in declared order. */
    public List<String> engineNames() {
        return List.copyOf(engines.keySet());
    }

    /** The engines {@code pool} may run on, in declared order (every engine unless the builder placed the pool). */
    public List<String> enginesOf(String pool) {
        return placement.enginesOf(pool).stream().map(m -> m.name).toList();
    }

    /** How long an engine may fail every call before it counts as away and its runners are replaced. */
    public Duration awayAfter() {
        return awayAfter;
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        Objects.requireNonNull(image, "image");
        String reference = null;
        List<String> away = new ArrayList<>();
        for (EngineMember m : engines.values()) {
            try {
                String ref = m.backend.prepare(image, progress);
                reference = reference == null ? ref : reference;
                placement.prepared(ref, image, m);
                m.answered();
            } catch (BackendUnavailableException e) {
                m.failed(e);
                away.add(m.name + " (" + e.getMessage() + ")");
            }
        }
        if (reference == null) {
            throw new BackendUnavailableException("image " + image + " could not be made ready: no engine answers: "
                    + String.join("; ", away));
        }
        if (!away.isEmpty()) {
            LOG.info("image {} is ready; engines away, prepared when they answer: {}", reference, String.join("; ", away));
        }
        return reference;
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        Objects.requireNonNull(spec, "spec");
        for (EngineMember m : placement.enginesOf(spec.pool())) {
            try {
                flushRemovals(m);
            } catch (BackendUnavailableException e) {
                m.failed(e);   // still not answering: placement tries it last
            }
        }
        EnginePlacement.Placed placed = placement.launch(spec);
        return qualify(placed.info(), placed.engine());
    }

    @Override
    public void start(String instanceId) {
        Route r = route(instanceId);
        if (r != null) {
            r.engine.backend.start(r.id);
        }
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        Route r = route(instanceId);
        if (r != null) {
            r.engine.backend.stop(r.id, grace);
        }
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        Route r = route(instanceId);
        if (r == null) {
            return;
        }
        try {
            r.engine.backend.remove(r.id, keepVolumes);
        } catch (BackendUnavailableException e) {
            r.engine.failed(e);
            r.engine.tombstones.add(r.id);
            LOG.info("engine {} does not answer: instance {} is removed when it answers again", r.engine.name, instanceId);
        }
        r.engine.removed(r.id);
    }

    @Override
    public void removeVolumes(String fleet) {
        for (EngineMember m : engines.values()) {
            try {
                m.backend.removeVolumes(fleet);
            } catch (BackendUnavailableException e) {
                m.failed(e);
                LOG.info("engine {} does not answer: the volumes of fleet {} stay there", m.name, fleet);
            }
        }
    }

    /**
     * Every instance of {@code fleet} on the engines that answer, plus the last known instances of a suspect
     * engine (one that has not answered for less than {@link Builder#awayAfter}); an away engine is left out
     * (its runners are replaced elsewhere or wait for it).
     *
     * @throws BackendUnavailableException when no engine answers
     */
    @Override
    public List<InstanceInfo> instances(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        List<InstanceInfo> all = new ArrayList<>();
        List<String> failing = new ArrayList<>();
        for (EngineMember m : engines.values()) {
            try {
                flushRemovals(m);
                List<InstanceInfo> listed = m.backend.instances(fleet);
                m.listed(fleet, listed);
                if (m.isAway()) {
                    LOG.info("engine {} answers again", m.name);
                }
                m.answered();
                subscriptions.forEach(s -> s.join(m));
                listed.forEach(i -> all.add(qualify(i, m)));
            } catch (BackendUnavailableException e) {
                boolean wasSuspect = m.isSuspect();
                boolean wasAway = m.isAway();
                m.failed(e);
                failing.add(m.name + " (" + e.getMessage() + ")");
                if (m.isAway()) {
                    if (!wasAway) {
                        LOG.warn("engine {} has not answered for {}; its runners are replaced or wait: {}", m.name,
                                awayAfter, e.getMessage());
                    }
                } else {
                    // A hiccup: report what was there, or the fleet would start every one of them again elsewhere.
                    if (!wasSuspect) {
                        LOG.info("engine {} does not answer; its runners are kept for up to {}: {}", m.name, awayAfter,
                                e.getMessage());
                    }
                    m.lastKnown(fleet).forEach(i -> all.add(qualify(i, m)));
                }
            }
        }
        if (failing.size() == engines.size()) {
            throw new BackendUnavailableException("no engine answers: " + String.join("; ", failing));
        }
        return List.copyOf(withoutDuplicates(all));
    }

    // Two instances of one runner can only be left by a JVM that lost its removal record: keep the newest.
    private List<InstanceInfo> withoutDuplicates(List<InstanceInfo> all) {
        Map<String, List<InstanceInfo>> byRunner = all.stream().collect(Collectors.groupingBy(InstanceInfo::runnerName,
                LinkedHashMap::new, Collectors.toList()));
        List<InstanceInfo> kept = new ArrayList<>();
        for (List<InstanceInfo> same : byRunner.values()) {
            same.sort(Comparator.comparing((InstanceInfo i) -> i.startedAt() == null ? Instant.MIN : i.startedAt()).reversed());
            kept.add(same.get(0));
            for (InstanceInfo older : same.subList(1, same.size())) {
                LOG.warn("runner {} has instances on engines {} and {}: removing the older one ({})", older.runnerName(),
                        same.get(0).engine(), older.engine(), older.shortId());
                remove(older.id(), false);
            }
        }
        kept.sort(Comparator.comparing(InstanceInfo::name).thenComparing(InstanceInfo::engine));
        return kept;
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        Route r = route(instanceId);
        if (r == null) {
            throw new InvalidSpecException("instance id '" + instanceId + "' names no engine of " + this
                    + "; ids look like <id>@<engine>");
        }
        return r.engine.backend.logs(r.id, query);
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(listener, "listener");
        FanOut fan = new FanOut(fleet, listener);
        subscriptions.add(fan);
        engines.values().forEach(fan::join);
        return fan::close;
    }

    @Override
    public void close() {
        subscriptions.forEach(FanOut::close);
        for (EngineMember m : engines.values()) {
            try {
                m.backend.close();
            } catch (RuntimeException e) {
                LOG.debug("closing engine {} failed: {}", m.name, e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "MultiEngineBackend" + engines.values();
    }

    private void flushRemovals(EngineMember m) {
        for (String id : List.copyOf(m.tombstones)) {
            try {
                m.backend.remove(id, false);
                LOG.info("engine {} answers again: removed instance {} of a runner replaced meanwhile", m.name, id);
            } catch (BackendUnavailableException stillAway) {
                throw stillAway;
            } catch (RuntimeException e) {
                // The engine answered but refused: keeping the record would fail every listing from now on.
                LOG.warn("engine {} refused to remove instance {} of a runner replaced meanwhile: {}", m.name, id, e.getMessage());
            }
            m.tombstones.remove(id);
        }
    }

    private static InstanceInfo qualify(InstanceInfo info, EngineMember m) {
        return info.onEngine(info.id() + "@" + m.name, m.name);
    }

    // The engine and its own id, or null for an id this backend never gave out (acting on it is a no-op).
    private Route route(String instanceId) {
        Objects.requireNonNull(instanceId, "instanceId");
        int at = instanceId.lastIndexOf('@');
        EngineMember m = at < 0 ? null : engines.get(instanceId.substring(at + 1));
        return m == null ? null : new Route(m, instanceId.substring(0, at));
    }

    private record Route(EngineMember engine, String id) {
    }

    /** One {@link #events} subscription: a subscription per engine, joined late for engines that were away. */
    private final class FanOut {
        private final String fleet;
        private final Consumer<InstanceEvent> listener;
        private final Map<String, Subscription> joined = new ConcurrentHashMap<>();
        private volatile boolean closed;

        FanOut(String fleet, Consumer<InstanceEvent> listener) {
            this.fleet = fleet;
            this.listener = listener;
        }

        synchronized void join(EngineMember m) {
            if (closed || joined.containsKey(m.name)) {
                return;
            }
            try {
                joined.put(m.name, m.backend.events(fleet, e -> listener.accept(new InstanceEvent(
                        e.instanceId() + "@" + m.name, e.runnerName(), e.kind(), e.exitCode(), e.at()))));
            } catch (BackendUnavailableException e) {
                m.failed(e);   // joined when the engine answers a listing again
            }
        }

        synchronized void close() {
            if (!closed) {
                closed = true;
                subscriptions.remove(this);
                joined.values().forEach(Subscription::close);
            }
        }
    }

    /**
     * Builds a {@link MultiEngineBackend}.
     *
     * <p>Names are lower-case letters, digits, {@code -} and {@code _} (at most 63). A pool not named in
     * {@link #pool} may use every engine.
     */
    public static final class Builder {
        private final Map<String, RunnerBackend> backends = new LinkedHashMap<>();
        private final Map<String, Integer> capacities = new LinkedHashMap<>();
        private final Map<String, List<String>> pools = new LinkedHashMap<>();
        private Duration awayAfter = DEFAULT_AWAY_AFTER;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Adds an engine under {@code name}; the composite owns {@code backend} from now on. */
        public Builder engine(String name, RunnerBackend backend) {
            checkName(name, "engine");
            Objects.requireNonNull(backend, "backend");
            if (backends.containsKey(name)) {
                throw new InvalidSpecException("engine '" + name + "' is named twice; give each engine its own name");
            }
            backends.put(name, backend);
            return this;
        }

        /** At most {@code max} instances (of any fleet) on engine {@code name}; default unlimited. */
        public Builder capacity(String name, int max) {
            if (max < 1) {
                throw new InvalidSpecException("capacity of engine '" + name + "' must be at least 1, not " + max);
            }
            capacities.put(name, max);
            return this;
        }

        /** Places {@code pool} on these engines only (a board pool: the engines whose hosts may have its board). */
        public Builder pool(String pool, String... engineNames) {
            Objects.requireNonNull(pool, "pool");
            if (engineNames.length == 0) {
                throw new InvalidSpecException("pool '" + pool + "' is placed on no engine; name at least one");
            }
            pools.put(pool, List.of(engineNames));
            return this;
        }

        /**
         * How long an engine must fail every call before it counts as away and its runners are replaced;
         * default 30 s ({@link #DEFAULT_AWAY_AFTER}). Until then it is suspect: its last known instances are
         * still listed and new launches go to the other engines first. Zero counts an engine away at its
         * first failure.
         *
         * @throws InvalidSpecException when negative
         */
        public Builder awayAfter(Duration awayAfter) {
            Objects.requireNonNull(awayAfter, "awayAfter");
            if (awayAfter.isNegative()) {
                throw new InvalidSpecException("awayAfter of the multi-engine backend must be zero or positive, not "
                        + awayAfter + "; it is how long an engine may fail before its runners are replaced, e.g. 30 s");
            }
            this.awayAfter = awayAfter;
            return this;
        }

        /** The clock that times how long an engine has not answered; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Builds the backend; connects to nothing more than the engines' backends already did.
         *
         * @throws InvalidSpecException without engines, or when a capacity or a pool names an unknown engine
         */
        public MultiEngineBackend build() {
            if (backends.isEmpty()) {
                throw new InvalidSpecException("a multi-engine backend needs at least one engine; add one with engine(name, backend)");
            }
            Map<String, EngineMember> members = new LinkedHashMap<>();
            int order = 0;
            for (var e : backends.entrySet()) {
                members.put(e.getKey(), new EngineMember(e.getKey(), e.getValue(),
                        capacities.getOrDefault(e.getKey(), Integer.MAX_VALUE), order++, clock, awayAfter));
            }
            capacities.keySet().forEach(n -> known(members, n, "capacity"));
            Map<String, List<EngineMember>> placed = new LinkedHashMap<>();
            pools.forEach((pool, names) -> placed.put(pool, names.stream().distinct()
                    .map(n -> known(members, n, "pool " + pool)).toList()));
            return new MultiEngineBackend(members, new EnginePlacement(List.copyOf(members.values()), placed), awayAfter);
        }

        private static EngineMember known(Map<String, EngineMember> members, String name, String what) {
            EngineMember m = members.get(name);
            if (m == null) {
                throw new InvalidSpecException(what + " names engine '" + name + "', which is not declared; the engines are "
                        + members.keySet() + " (declare it with engine(name, backend))");
            }
            return m;
        }

        private static void checkName(String name, String what) {
            if (name == null || !name.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
                throw new InvalidSpecException(what + " name '" + name + "' is not valid: use lower-case letters, digits,"
                        + " '-' and '_', starting with a letter or digit (at most 63)");
            }
        }
    }
}
