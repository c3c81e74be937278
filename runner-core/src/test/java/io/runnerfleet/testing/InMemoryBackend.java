package io.runnerfleet.testing;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link RunnerBackend} held in memory: instances are records in a map, "running" means nothing
 * more than a state, and tests play the instance's part through hooks (its process exits, it is
 * OOM-killed, it writes output, it vanishes behind the fleet's back).
 *
 * <pre>{@code
 * MutableClock clock = MutableClock.standard();
 * InMemoryBackend backend = InMemoryBackend.builder().clock(clock).sleeper(Faults.Sleeper.advancing(clock)).build();
 * InstanceInfo info = backend.launch(spec);
 * backend.output(info.id(), "Listening for Jobs");
 * backend.exit(info.id(), 2);                       // EXITED event with exit code 2
 * backend.lose(info.id());                          // gone without an event, as if removed by hand
 * backend.faults().failNext(InMemoryBackend.Operation.LAUNCH, 1,
 *         () -> new BackendUnavailableException("injected: engine down"));
 * }</pre>
 *
 * <p>Thread-safe. Events are delivered synchronously on the thread that caused them, after the
 * change is visible, in order; a listener that throws is logged and does not stop delivery to others.
 * {@link #stop} makes a running instance exit with code 143 (SIGTERM). Every launched spec is kept
 * (with its secrets, for assertions) in {@link #launched()}.
 */
public final class InMemoryBackend implements RunnerBackend {
    /** The operations failures and delays can be injected into. */
    public enum Operation { PREPARE, LAUNCH, START, STOP, REMOVE, INSTANCES, LOGS, EVENTS }

    /** The exit code of an instance stopped with SIGTERM. */
    public static final int STOPPED_EXIT_CODE = 143;
    /** The exit code of an instance killed for memory (SIGKILL). */
    public static final int OOM_EXIT_CODE = 137;

    private static final Logger LOG = LoggerFactory.getLogger(InMemoryBackend.class);

    private final Clock clock;
    private final Faults<Operation> faults;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final List<LaunchSpec> launched = new ArrayList<>();
    private final Set<String> prepared = new LinkedHashSet<>();
    private final Map<String, String> volumes = new LinkedHashMap<>();   // volume name -> owning fleet
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final List<Consumer<LaunchSpec>> launchHooks = new CopyOnWriteArrayList<>();
    private long nextId = 1;

    private record Listener(String fleet, Consumer<InstanceEvent> consumer) {
    }

    private static final class Instance {
        final String id;
        final LaunchSpec spec;
        final List<Line> output = new ArrayList<>();
        InstanceState state = InstanceState.RUNNING;
        Integer exitCode;
        boolean oomKilled;
        Instant startedAt;
        Instant finishedAt;

        Instance(String id, LaunchSpec spec) {
            this.id = id;
            this.spec = spec;
        }

        InstanceInfo info() {
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("io.runnerfleet.fleet", spec.fleet());
            labels.put("io.runnerfleet.pool", spec.pool());
            labels.put("io.runnerfleet.runner", spec.runnerName());
            labels.put("io.runnerfleet.spec-hash", spec.specHash());
            return new InstanceInfo(id, spec.runnerName(), spec.fleet(), spec.pool(), spec.runnerName(),
                    spec.specHash(), state, exitCode, oomKilled, startedAt, finishedAt, labels);
        }
    }

    private record Line(Instant at, String text) {
    }

    private InMemoryBackend(Builder b) {
        this.clock = b.clock;
        this.faults = new Faults<>(Operation.class, b.sleeper);
    }

    /** A builder; defaults: the system UTC clock, delays really sleep. */
    public static Builder builder() {
        return new Builder();
    }

    /** Failure injection and call counts. */
    public Faults<Operation> faults() {
        return faults;
    }

    /** Runs {@code hook} after every successful launch (e.g. to connect the runner at an {@link InMemoryRegistry}). */
    public InMemoryBackend onLaunch(Consumer<LaunchSpec> hook) {
        launchHooks.add(Objects.requireNonNull(hook, "hook"));
        return this;
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        Objects.requireNonNull(image, "image");
        faults.enter(Operation.PREPARE);
        String reference = image.reference();
        if (image instanceof RunnerImage.Dockerfile dockerfile) {
            progress.accept(new BuildProgress(1, 1, "FROM (in memory) " + dockerfile.context(), ""));
        }
        synchronized (this) {
            prepared.add(reference);
        }
        return reference;
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        Objects.requireNonNull(spec, "spec");
        faults.enter(Operation.LAUNCH);
        InstanceInfo info;
        synchronized (this) {
            for (Instance other : instances.values()) {
                if (other.spec.runnerName().equals(spec.runnerName())) {
                    throw new InvalidSpecException("an instance for runner '" + spec.runnerName()
                            + "' exists already (" + other.id + ", " + other.state + "); remove it before launching again");
                }
            }
            Instance instance = new Instance(String.format("mem%09d", nextId++), spec);
            instance.startedAt = clock.instant();
            instances.put(instance.id, instance);
            launched.add(spec);
            for (VolumeMount v : spec.volumes()) {
                volumes.put(spec.runnerName() + "-" + v.name(), spec.fleet());
            }
            info = instance.info();
        }
        publish(spec.fleet(), new InstanceEvent(info.id(), spec.runnerName(), InstanceEvent.Kind.STARTED, null, info.startedAt()));
        launchHooks.forEach(h -> h.accept(spec));
        return info;
    }

    @Override
    public void start(String instanceId) {
        faults.enter(Operation.START);
        InstanceEvent event = null;
        String fleet = null;
        synchronized (this) {
            Instance instance = instances.get(instanceId);
            if (instance != null && instance.state != InstanceState.RUNNING) {
                if (instance.state == InstanceState.DEAD) {
                    throw new InvalidSpecException("instance " + instanceId + " is dead and cannot start again; remove it");
                }
                instance.state = InstanceState.RUNNING;
                instance.exitCode = null;
                instance.oomKilled = false;
                instance.startedAt = clock.instant();
                fleet = instance.spec.fleet();
                event = new InstanceEvent(instanceId, instance.spec.runnerName(), InstanceEvent.Kind.STARTED, null, instance.startedAt);
            }
        }
        if (event != null) {
            publish(fleet, event);
        }
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        Objects.requireNonNull(grace, "grace");
        faults.enter(Operation.STOP);
        terminate(instanceId, STOPPED_EXIT_CODE, false);
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        faults.enter(Operation.REMOVE);
        InstanceEvent event;
        Instance instance;
        synchronized (this) {
            instance = instances.remove(instanceId);
            if (instance == null) {
                return;
            }
            instance.state = InstanceState.DEAD;
            if (!keepVolumes) {
                for (VolumeMount v : instance.spec.volumes()) {
                    volumes.remove(instance.spec.runnerName() + "-" + v.name());
                }
            }
            event = new InstanceEvent(instanceId, instance.spec.runnerName(), InstanceEvent.Kind.DESTROYED, null, clock.instant());
            notifyAll();   // ends following log streams
        }
        publish(instance.spec.fleet(), event);
    }

    @Override
    public synchronized void removeVolumes(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        Set<String> used = new LinkedHashSet<>();
        for (Instance i : instances.values()) {
            i.spec.volumes().forEach(v -> used.add(i.spec.runnerName() + "-" + v.name()));
        }
        volumes.entrySet().removeIf(e -> e.getValue().equals(fleet) && !used.contains(e.getKey()));
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        faults.enter(Operation.INSTANCES);
        synchronized (this) {
            return instances.values().stream().filter(i -> i.spec.fleet().equals(fleet)).map(Instance::info).toList();
        }
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        Objects.requireNonNull(query, "query");
        faults.enter(Operation.LOGS);
        synchronized (this) {
            Instance instance = instances.get(instanceId);
            if (instance == null) {
                return new FollowingLog(null, 0, List.of());
            }
            List<String> lines = new ArrayList<>();
            for (Line line : instance.output) {
                if (query.since() == null || line.at().isAfter(query.since())) {
                    lines.add(line.text());
                }
            }
            if (query.tail() > 0 && lines.size() > query.tail()) {
                lines = new ArrayList<>(lines.subList(lines.size() - query.tail(), lines.size()));
            }
            return new FollowingLog(query.follow() ? instance : null, instance.output.size(), lines);
        }
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(listener, "listener");
        faults.enter(Operation.EVENTS);
        Listener l = new Listener(fleet, listener);
        listeners.add(l);
        return () -> listeners.remove(l);
    }

    @Override
    public void close() {
        listeners.clear();
    }

    // ---- the instance's side ----

    /** The instance's main process exits with {@code exitCode}: EXITED event. No-op when not running. */
    public void exit(String instanceId, int exitCode) {
        terminate(instanceId, exitCode, false);
    }

    /** The kernel kills the instance for memory: OOM_KILLED then EXITED (137) events. No-op when not running. */
    public void oomKill(String instanceId) {
        terminate(instanceId, OOM_EXIT_CODE, true);
    }

    /** The runner inside says it is connected and listening for jobs: a LISTENING event. No-op when not running. */
    public void listening(String instanceId) {
        InstanceEvent event;
        String fleet;
        synchronized (this) {
            Instance instance = instances.get(instanceId);
            if (instance == null || instance.state != InstanceState.RUNNING) {
                return;
            }
            fleet = instance.spec.fleet();
            event = new InstanceEvent(instanceId, instance.spec.runnerName(), InstanceEvent.Kind.LISTENING, null, clock.instant());
        }
        publish(fleet, event);
    }

    /** The instance vanishes without an event, as if someone removed it behind the fleet's back. */
    public synchronized void lose(String instanceId) {
        if (instances.remove(instanceId) == null) {
            throw new IllegalArgumentException("no instance " + instanceId + "; known: " + instances.keySet());
        }
        notifyAll();
    }

    /** The instance writes these lines to its output. */
    public synchronized void output(String instanceId, String... lines) {
        Instance instance = instances.get(instanceId);
        if (instance == null) {
            throw new IllegalArgumentException("no instance " + instanceId + "; known: " + instances.keySet());
        }
        for (String line : lines) {
            instance.output.add(new Line(clock.instant(), line));
        }
        notifyAll();
    }

    /** The instance of runner {@code runnerName}, if any (test-side: no fault injection, no call counted). */
    public synchronized java.util.Optional<InstanceInfo> instanceOf(String runnerName) {
        return instances.values().stream().filter(i -> i.spec.runnerName().equals(runnerName)).map(Instance::info).findFirst();
    }

    /** Every spec launched so far, in order, secrets included (test-side only). */
    public synchronized List<LaunchSpec> launched() {
        return List.copyOf(launched);
    }

    /** The image references prepared so far. */
    public synchronized Set<String> prepared() {
        return Set.copyOf(prepared);
    }

    /** The volumes that exist (named {@code <runner>-<volume>}). */
    public synchronized Set<String> volumes() {
        return Set.copyOf(volumes.keySet());
    }

    private void terminate(String instanceId, int exitCode, boolean oom) {
        List<InstanceEvent> events = new ArrayList<>();
        String fleet;
        synchronized (this) {
            Instance instance = instances.get(instanceId);
            if (instance == null || instance.state != InstanceState.RUNNING) {
                return;
            }
            Instant now = clock.instant();
            instance.state = InstanceState.EXITED;
            instance.exitCode = exitCode;
            instance.oomKilled = oom;
            instance.finishedAt = now;
            fleet = instance.spec.fleet();
            if (oom) {
                events.add(new InstanceEvent(instanceId, instance.spec.runnerName(), InstanceEvent.Kind.OOM_KILLED, null, now));
            }
            events.add(new InstanceEvent(instanceId, instance.spec.runnerName(), InstanceEvent.Kind.EXITED, exitCode, now));
            notifyAll();
        }
        events.forEach(e -> publish(fleet, e));
    }

    private void publish(String fleet, InstanceEvent event) {
        for (Listener l : listeners) {
            if (l.fleet().equals(fleet)) {
                try {
                    l.consumer().accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("instance event listener failed on {} {}", event.kind(), event.instanceId(), e);
                }
            }
        }
    }

    /** Lines already read, then (when following) new lines until closed or the instance stops running. */
    private final class FollowingLog implements LogStream, Iterator<String> {
        private final Instance instance;
        private final List<String> initial;
        private int initialIndex;
        private int nextOutputIndex;
        private boolean closed;
        private String pending;

        FollowingLog(Instance instance, int outputSeen, List<String> initial) {
            this.instance = instance;
            this.nextOutputIndex = outputSeen;
            this.initial = initial;
        }

        @Override
        public Stream<String> lines() {
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false);
        }

        @Override
        public void close() {
            synchronized (InMemoryBackend.this) {
                closed = true;
                InMemoryBackend.this.notifyAll();
            }
        }

        @Override
        public boolean hasNext() {
            if (pending != null) {
                return true;
            }
            if (initialIndex < initial.size()) {
                pending = initial.get(initialIndex++);
                return true;
            }
            if (instance == null) {
                return false;
            }
            synchronized (InMemoryBackend.this) {
                while (true) {
                    if (closed) {
                        return false;
                    }
                    if (nextOutputIndex < instance.output.size()) {
                        pending = instance.output.get(nextOutputIndex++).text();
                        return true;
                    }
                    if (instance.state != InstanceState.RUNNING || !instances.containsKey(instance.id)) {
                        return false;
                    }
                    try {
                        InMemoryBackend.this.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
            }
        }

        @Override
        public String next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            String line = pending;
            pending = null;
            return line;
        }
    }

    @Override
    public synchronized String toString() {
        return "InMemoryBackend[" + instances.size() + " instances]";
    }

    /** Builds an {@link InMemoryBackend}. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private Faults.Sleeper sleeper = Faults.Sleeper.real();

        private Builder() {
        }

        /** The clock instance times come from; default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How injected delays are spent; default really sleeping. */
        public Builder sleeper(Faults.Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        /** Builds the backend. */
        public InMemoryBackend build() {
            return new InMemoryBackend(this);
        }
    }
}
