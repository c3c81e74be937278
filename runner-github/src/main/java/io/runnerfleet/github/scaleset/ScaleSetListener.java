package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.internal.Sleeper;
import io.runnerfleet.spi.JitConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one scale set listening on its own daemon thread, and heals what GitHub's side breaks: it makes
 * sure the scale set exists, holds its message session, long-polls, acquires available jobs, hands every
 * message to a {@link Handler} and acknowledges it only after the handler returned.
 *
 * <pre>{@code
 * try (ScaleSetListener listener = ScaleSetListener.builder(scaleSets, ScaleSetSpec.named("qemu").labels("intel"))
 *         .stateFile(Path.of("/var/lib/fleet/qemu.scaleset.json"))
 *         .maxCapacity(() -> pool.free())
 *         .handler(stats -> pool.scaleTo((int) stats.totalAssignedJobs()))
 *         .events(e -> log.info("{}", e))
 *         .build().start()) {
 *     JitConfig jit = listener.generateJitConfig("qemu-1a2b3c4d");     // one per runner to start
 * }
 * }</pre>
 *
 * <p><b>Healing.</b>
 * <ul>
 * <li>A 401 on the poll (the queue token expired) refreshes the session and polls again.</li>
 * <li>A session GitHub evicted (404, or an expired-session error) is replaced by a new one
 *     ({@link Event.SessionLost}, then {@link Event.SessionOpened}).</li>
 * <li>A session held by another owner (409) is never deleted or fought over: the listener waits
 *     {@code conflictBackoff} (growing, jittered) and tries again, reporting {@link Event.SessionConflict}
 *     each time.</li>
 * <li>A scale set deleted on GitHub's side (confirmed with a lookup by id) is created again with the same
 *     name, labels and group ({@link Event.ScaleSetRecreated}); message ids start again from 0.</li>
 * <li>5xx answers, connection failures and hangs (a poll silent for longer than the client's poll
 *     timeout) back off exponentially with jitter between {@code backoff} bounds ({@link Event.Disconnected});
 *     a success resets it. Nothing loops without waiting: a poll answered "no message" sooner than
 *     {@code minPollInterval} waits out the rest.</li>
 * </ul>
 *
 * <p><b>Delivery.</b> For each message: available jobs are acquired (unless {@code acquireJobs(false)}),
 * then the handler sees each job message in order and then the statistics, then the message is
 * acknowledged, then its id is saved as {@code lastMessageId}. A handler that throws, or a failed
 * acquisition, leaves the message unacknowledged so that it comes again after a backoff
 * ({@link Event.HandlerFailed}). Delivery is therefore at least once: a crash between the handler and
 * the acknowledgement repeats the message, so handle jobs idempotently (by runner name or request id).
 *
 * <p><b>State.</b> The scale set's id, the session's id and {@code lastMessageId} are saved in a
 * {@link ScaleSetState} (no token is saved). After a restart the listener resumes the stored session
 * by refreshing it (so it does not collide with its own earlier session) and polls from the stored
 * {@code lastMessageId}; with the acknowledgement made before the id is saved, an acknowledged message
 * is never delivered again and an unacknowledged one always is. Whether message ids survive a new
 * session is not documented by GitHub; the listener keeps {@code lastMessageId} across sessions of the
 * same set ({@code resumeLastMessageId(false)} always starts at 0 after a restart, as GitHub's own
 * listener does) and resets it when the set is created anew.
 *
 * <p><b>Lifecycle.</b> {@link #start()} finds, creates or updates the scale set synchronously (so bad
 * credentials or a missing runner group throw there) and then starts the thread, named
 * {@code scaleset-listener-<name>}; it is idempotent. {@link #close()} stops the thread (cancelling a
 * poll in flight), waits for it up to {@code closeTimeout} and deletes the session; it never deletes
 * the scale set. The handler and the event consumer run on the listener's thread; an exception from the
 * event consumer is logged and ignored.
 */
public final class ScaleSetListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleSetListener.class);

    /**
     * Receives what the scale set hears. Methods run on the listener's thread, one at a time; a method that
     * throws leaves the message unacknowledged, so it is delivered again.
     */
    @FunctionalInterface
    public interface Handler {
        /** The set's statistics: when a session opens, and after the job messages of every message. */
        void onStatistics(Statistics statistics);

        /** A job the set acquired (or may acquire, with {@code acquireJobs(false)}). */
        default void onJobAvailable(JobMessage.JobAvailable job) {
        }

        /** A job assigned to the set, waiting for a runner. */
        default void onJobAssigned(JobMessage.JobAssigned job) {
        }

        /** A runner of the set started a job. */
        default void onJobStarted(JobMessage.JobStarted job) {
        }

        /** A job finished, or was canceled before a runner took it. */
        default void onJobCompleted(JobMessage.JobCompleted job) {
        }
    }

    /** What the listener did to stay connected; no event carries a token. */
    public sealed interface Event {
        /** The scale set's name. */
        String scaleSetName();

        /** A session is open; {@code resumed} when a stored session was refreshed rather than created. */
        record SessionOpened(String scaleSetName, long scaleSetId, String sessionId, boolean resumed)
                implements Event {
        }

        /** The session expired or was evicted on GitHub's side; a new one is opened next. */
        record SessionLost(String scaleSetName, String sessionId, String reason) implements Event {
        }

        /** Another owner holds the set's session; the listener tries again after {@code retryIn}. */
        record SessionConflict(String scaleSetName, long scaleSetId, String reason, Duration retryIn)
                implements Event {
        }

        /** The scale set was deleted on GitHub's side and created again under a new id. */
        record ScaleSetRecreated(String scaleSetName, long oldId, long newId) implements Event {
        }

        /** A call failed (5xx, timeout, refused); the listener tries again after {@code retryIn}. */
        record Disconnected(String scaleSetName, String reason, Duration retryIn) implements Event {
        }

        /** The handler threw on a message, which stays unacknowledged and comes again after {@code retryIn}. */
        record HandlerFailed(String scaleSetName, long messageId, String reason, Duration retryIn) implements Event {
        }
    }

    /** Wraps a handler's exception so that it is told apart from the service's failures. */
    private static final class HandlerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long messageId;

        HandlerFailure(long messageId, RuntimeException cause) {
            super(cause);
            this.messageId = messageId;
        }
    }

    private final ScaleSetClient client;
    private final ScaleSetSpec spec;
    private final Handler handler;
    private final Consumer<Event> events;
    private final ScaleSetState state;
    private final String owner;
    private final IntSupplier maxCapacity;
    private final boolean acquireJobs;
    private final boolean resumeLastMessageId;
    private final String workFolder;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Duration minConflictBackoff;
    private final Duration maxConflictBackoff;
    private final Duration minPollInterval;
    private final Duration closeTimeout;
    private final Clock clock;
    private final Sleeper sleeper;

    private final Object lifecycle = new Object();
    private final Object wake = new Object();
    private volatile boolean started;
    private volatile boolean closed;
    private Thread thread;

    // Written by start() before the thread starts, then by the listener thread only.
    private volatile ScaleSet scaleSet;
    private volatile MessageSession session;
    private volatile ScaleSetState.Snapshot snapshot;
    private volatile Statistics statistics;
    private boolean needsRefresh;

    private ScaleSetListener(Builder b) {
        this.client = b.client;
        this.spec = b.spec;
        this.handler = b.handler;
        this.events = b.events;
        this.state = b.state;
        this.owner = b.owner;
        this.maxCapacity = b.maxCapacity;
        this.acquireJobs = b.acquireJobs;
        this.resumeLastMessageId = b.resumeLastMessageId;
        this.workFolder = b.workFolder;
        this.minBackoff = b.minBackoff;
        this.maxBackoff = b.maxBackoff;
        this.minConflictBackoff = b.minConflictBackoff;
        this.maxConflictBackoff = b.maxConflictBackoff;
        this.minPollInterval = b.minPollInterval;
        this.closeTimeout = b.closeTimeout;
        this.clock = b.clock;
        this.sleeper = b.sleeper != null ? b.sleeper : this::pauseUntilClosed;
    }

    /** A builder for a listener of the scale set {@code spec} describes, using {@code client}. */
    public static Builder builder(ScaleSetClient client, ScaleSetSpec spec) {
        return new Builder(client, spec);
    }

    /**
     * Finds the scale set (by the stored id, else by name), creates it when missing or updates its labels
     * and group when they differ from the spec, then starts listening. Idempotent.
     *
     * @return this listener
     * @throws ScaleSetApiException or {@link io.runnerfleet.github.GitHubApiException} when GitHub refuses
     * @throws IllegalStateException after {@link #close()}
     */
    public ScaleSetListener start() {
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("scale-set listener '" + spec.name()
                        + "' is closed; build a new one");
            }
            if (started) {
                return this;
            }
            prepare();
            started = true;
            thread = new Thread(this::run, "scaleset-listener-" + spec.name());
            thread.setDaemon(true);
            thread.start();
            return this;
        }
    }

    /** The scale set being listened to (its id changes if it is created again). */
    public ScaleSet scaleSet() {
        ScaleSet s = scaleSet;
        if (s == null) {
            throw new IllegalStateException("scale-set listener '" + spec.name() + "' is not started; call start()");
        }
        return s;
    }

    /** The latest statistics heard, empty before the first session opened. */
    public Optional<Statistics> statistics() {
        return Optional.ofNullable(statistics);
    }

    /** Whether the listener's thread is running. */
    public boolean running() {
        Thread t = thread;
        return t != null && t.isAlive() && !closed;
    }

    /**
     * Registers a runner named {@code runnerName} in the scale set and returns its just-in-time config
     * (see {@link ScaleSetClient#generateJitConfig}, which never repeats the request blindly).
     */
    public JitConfig generateJitConfig(String runnerName) {
        return client.generateJitConfig(scaleSet().id(), runnerName, workFolder);
    }

    /**
     * Stops the thread, cancelling a poll in flight, waits for it up to the close timeout, then deletes the
     * session (a failure to delete is logged: the session expires on its own). Idempotent; the scale set
     * is left in place.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        synchronized (wake) {
            wake.notifyAll();
        }
        if (t != null) {
            client.cancel(t);
            try {
                t.join(closeTimeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (t.isAlive()) {
                LOG.warn("scale-set listener '{}' did not stop within {} (the handler is still running);"
                        + " deleting its session anyway", spec.name(), closeTimeout);
            }
        }
        MessageSession s = session;
        session = null;
        if (s != null) {
            try {
                client.deleteSession(s.scaleSetId(), s.sessionId());
            } catch (RuntimeException e) {
                LOG.warn("could not delete the message session of scale set '{}' ({}); it expires on its own",
                        spec.name(), e.getMessage());
            }
        }
        ScaleSetState.Snapshot snap = snapshot;
        if (snap != null && snap.sessionId().isPresent()) {
            save(snap.withSession(null));
        }
    }

    /** {@code ScaleSetListener[qemu, set 42, session 9b2f..., last message 17, running]}. */
    @Override
    public String toString() {
        ScaleSetState.Snapshot s = snapshot;
        MessageSession m = session;
        return "ScaleSetListener[" + spec.name() + (s == null ? "" : ", set " + s.scaleSetId())
                + (m == null ? ", no session" : ", session " + m.sessionId())
                + (s == null ? "" : ", last message " + s.lastMessageId())
                + (closed ? ", closed" : started ? ", running" : ", not started") + "]";
    }

    // ---- start ----

    private void prepare() {
        ScaleSetState.Snapshot stored = state.load();
        if (!stored.scaleSetName().equals(spec.name())) {
            stored = ScaleSetState.Snapshot.EMPTY;
        }
        RunnerGroupRef group = client.runnerGroup(spec.runnerGroup());
        ScaleSet set = null;
        if (stored.scaleSetId() > 0) {
            try {
                set = client.scaleSet(stored.scaleSetId());
                if (!set.name().equals(spec.name())) {
                    set = null;
                }
            } catch (ScaleSetApiException.ScaleSetNotFound gone) {
                // Deleted while we were away: found by name or created below.
            }
        }
        if (set == null) {
            set = client.scaleSet(group.id(), spec.name()).orElse(null);
        }
        if (set == null) {
            set = client.createScaleSet(spec);
            LOG.info("created scale set '{}' (id {}) in runner group '{}'", spec.name(), set.id(), group.name());
            if (stored.scaleSetId() > 0) {
                emit(new Event.ScaleSetRecreated(spec.name(), stored.scaleSetId(), set.id()));
            }
        } else if (!spec.matches(set, group.id())) {
            try {
                set = client.updateScaleSet(set.id(), spec);
            } catch (ScaleSetApiException e) {
                LOG.warn("scale set '{}' (id {}) has labels {} in group {}, the spec asks for {} in '{}', and the"
                        + " update was refused; listening with the labels it has ({})", spec.name(), set.id(),
                        set.labels(), set.runnerGroupId(), spec.effectiveLabels(), group.name(), e.getMessage());
            }
        }
        ScaleSetState.Snapshot snap = set.id() == stored.scaleSetId()
                ? stored : new ScaleSetState.Snapshot(spec.name(), set.id(), Optional.empty(), 0);
        if (!resumeLastMessageId) {
            snap = snap.withLastMessageId(0);
        }
        scaleSet = set;
        save(snap);
    }

    // ---- the loop ----

    private void run() {
        int failures = 0;
        int conflicts = 0;
        int quickFixes = 0;
        while (!closed) {
            try {
                if (session == null) {
                    openSession();
                } else if (needsRefresh) {
                    session = client.refreshSession(session.scaleSetId(), session.sessionId());
                    needsRefresh = false;
                }
                Instant polled = clock.instant();
                Optional<ScaleSetMessage> message = client.poll(session, snapshot.lastMessageId(),
                        Math.max(0, maxCapacity.getAsInt()));
                failures = 0;
                conflicts = 0;
                quickFixes = 0;
                if (message.isPresent()) {
                    handle(message.get());
                } else {
                    Duration elapsed = Duration.between(polled, clock.instant());
                    if (elapsed.compareTo(minPollInterval) < 0) {
                        pause(minPollInterval.minus(elapsed));
                    }
                }
            } catch (RuntimeException e) {
                if (closed) {
                    break;
                }
                if (e instanceof HandlerFailure h) {
                    Duration wait = ActionsHttp.jittered(minBackoff, maxBackoff, ++failures);
                    emit(new Event.HandlerFailed(spec.name(), h.messageId, String.valueOf(h.getCause()), wait));
                    pause(wait);
                } else if (e instanceof ScaleSetApiException.QueueTokenExpired) {
                    // Refreshing is the cure; only a refresh that does not help waits.
                    needsRefresh = true;
                    if (++quickFixes > 1) {
                        pause(ActionsHttp.jittered(minBackoff, maxBackoff, ++failures));
                    }
                } else if (e instanceof ScaleSetApiException.SessionNotFound) {
                    MessageSession lost = session;
                    session = null;
                    needsRefresh = false;
                    save(snapshot.withSession(null));
                    emit(new Event.SessionLost(spec.name(), lost == null ? "" : lost.sessionId(), e.getMessage()));
                    if (++quickFixes > 1) {
                        pause(ActionsHttp.jittered(minBackoff, maxBackoff, ++failures));
                    }
                } else if (e instanceof ScaleSetApiException.SessionConflict) {
                    Duration wait = ActionsHttp.jittered(minConflictBackoff, maxConflictBackoff, ++conflicts);
                    LOG.warn("scale set '{}' has a session of another owner; trying again in {}", spec.name(), wait);
                    emit(new Event.SessionConflict(spec.name(), snapshot.scaleSetId(), e.getMessage(), wait));
                    pause(wait);
                } else if (e instanceof ScaleSetApiException.ScaleSetNotFound) {
                    session = null;
                    needsRefresh = false;
                    if (!recreateScaleSet()) {
                        Duration wait = ActionsHttp.jittered(minBackoff, maxBackoff, ++failures);
                        emit(new Event.Disconnected(spec.name(), e.getMessage(), wait));
                        pause(wait);
                    }
                } else {
                    Duration wait = ActionsHttp.jittered(minBackoff, maxBackoff, ++failures);
                    LOG.debug("scale set '{}': {}; trying again in {}", spec.name(), e.getMessage(), wait);
                    emit(new Event.Disconnected(spec.name(), e.getMessage(), wait));
                    pause(wait);
                }
            }
        }
    }

    /** Resumes the stored session by refreshing it, else creates one. */
    private void openSession() {
        long setId = snapshot.scaleSetId();
        Optional<String> stored = snapshot.sessionId();
        MessageSession opened = null;
        if (stored.isPresent()) {
            try {
                opened = client.refreshSession(setId, stored.get());
            } catch (ScaleSetApiException.NotFound gone) {
                save(snapshot.withSession(null));
            } catch (ScaleSetApiException e) {
                if (e.status() != 400) {
                    throw e;
                }
                // An expired session is refused with 400 by some services: open a new one.
                save(snapshot.withSession(null));
            }
        }
        boolean resumed = opened != null;
        if (opened == null) {
            opened = client.createSession(setId, owner);
        }
        session = opened;
        needsRefresh = false;
        save(snapshot.withSession(opened.sessionId()));
        LOG.info("scale set '{}' (id {}): {} message session {}", spec.name(), setId,
                resumed ? "resumed" : "opened", opened.sessionId());
        emit(new Event.SessionOpened(spec.name(), setId, opened.sessionId(), resumed));
        statistics = opened.statistics();
        try {
            handler.onStatistics(opened.statistics());
        } catch (RuntimeException e) {
            throw new HandlerFailure(0, e);
        }
    }

    /**
     * Creates the scale set again when a lookup by id confirms it is gone; {@code false} when it still
     * exists (the 404 meant something else) or could not be created.
     */
    private boolean recreateScaleSet() {
        long old = snapshot.scaleSetId();
        try {
            client.scaleSet(old);
            return false;
        } catch (ScaleSetApiException.ScaleSetNotFound confirmed) {
            // Gone indeed.
        } catch (RuntimeException e) {
            return false;
        }
        ScaleSet created;
        try {
            created = client.createScaleSet(spec);
        } catch (RuntimeException e) {
            // Someone (another listener of the same name) may have created it already.
            try {
                created = client.scaleSet(client.runnerGroup(spec.runnerGroup()).id(), spec.name()).orElse(null);
            } catch (RuntimeException lookup) {
                created = null;
            }
            if (created == null) {
                return false;
            }
        }
        scaleSet = created;
        save(new ScaleSetState.Snapshot(spec.name(), created.id(), Optional.empty(), 0));
        LOG.warn("scale set '{}' was deleted on GitHub's side; created it again (id {} -> {})", spec.name(), old,
                created.id());
        emit(new Event.ScaleSetRecreated(spec.name(), old, created.id()));
        return true;
    }

    private void handle(ScaleSetMessage message) {
        List<Long> available = new ArrayList<>();
        for (JobMessage job : message.jobs()) {
            if (job instanceof JobMessage.JobAvailable a) {
                available.add(a.job().runnerRequestId());
            }
        }
        if (acquireJobs && !available.isEmpty()) {
            withFreshToken(() -> client.acquireJobs(session, available));
        }
        try {
            for (JobMessage job : message.jobs()) {
                if (job instanceof JobMessage.JobAvailable a) {
                    handler.onJobAvailable(a);
                } else if (job instanceof JobMessage.JobAssigned a) {
                    handler.onJobAssigned(a);
                } else if (job instanceof JobMessage.JobStarted st) {
                    handler.onJobStarted(st);
                } else if (job instanceof JobMessage.JobCompleted c) {
                    handler.onJobCompleted(c);
                }
            }
            handler.onStatistics(message.statistics());
        } catch (RuntimeException e) {
            throw new HandlerFailure(message.messageId(), e);
        }
        statistics = message.statistics();
        withFreshToken(() -> {
            client.acknowledge(session, message.messageId());
            return null;
        });
        save(snapshot.withLastMessageId(message.messageId()));
    }

    /** Runs a queue call, refreshing the session once if its token expired. */
    private <T> T withFreshToken(java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (ScaleSetApiException.QueueTokenExpired e) {
            session = client.refreshSession(session.scaleSetId(), session.sessionId());
            return call.get();
        }
    }

    private void save(ScaleSetState.Snapshot s) {
        snapshot = s;
        state.save(s);
    }

    private void emit(Event e) {
        try {
            events.accept(e);
        } catch (RuntimeException failure) {
            LOG.warn("the event consumer of scale-set listener '{}' threw on {}: {}", spec.name(), e, failure.toString());
        }
    }

    private void pause(Duration d) {
        if (!closed && !d.isNegative() && !d.isZero()) {
            sleeper.sleep(d);
        }
    }

    /** The default wait: ends early when the listener closes. */
    private void pauseUntilClosed(Duration d) {
        long end = System.nanoTime() + d.toNanos();
        synchronized (wake) {
            for (long left = d.toNanos(); left > 0 && !closed; left = end - System.nanoTime()) {
                try {
                    wake.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Builds a {@link ScaleSetListener}.
     *
     * <p>Defaults: no events; state in {@code ~/.runner-fleet/scalesets/<host>-<scope>-<name>.json}; owner
     * the host name; max capacity {@link Integer#MAX_VALUE} (what GitHub's controller sends when unbounded);
     * available jobs acquired; {@code lastMessageId} resumed after a restart; work folder {@code ""} (the
     * runner's default, {@code _work}); backoff 1 s doubling to 60 s with jitter; conflict backoff 30 s
     * doubling to 5 minutes; at least 1 s between polls answered "no message"; close timeout 10 s.
     */
    public static final class Builder {
        private final ScaleSetClient client;
        private final ScaleSetSpec spec;
        private Handler handler;
        private Consumer<Event> events = e -> { };
        private ScaleSetState state;
        private String owner;
        private IntSupplier maxCapacity = () -> Integer.MAX_VALUE;
        private boolean acquireJobs = true;
        private boolean resumeLastMessageId = true;
        private String workFolder = "";
        private Duration minBackoff = Duration.ofSeconds(1);
        private Duration maxBackoff = Duration.ofSeconds(60);
        private Duration minConflictBackoff = Duration.ofSeconds(30);
        private Duration maxConflictBackoff = Duration.ofMinutes(5);
        private Duration minPollInterval = Duration.ofSeconds(1);
        private Duration closeTimeout = Duration.ofSeconds(10);
        private Clock clock = Clock.systemUTC();
        private Sleeper sleeper;

        private Builder(ScaleSetClient client, ScaleSetSpec spec) {
            this.client = Objects.requireNonNull(client, "client");
            this.spec = Objects.requireNonNull(spec, "spec");
        }

        /** Who receives messages and statistics (required). */
        public Builder handler(Handler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /** Who hears what the listener did to stay connected. */
        public Builder events(Consumer<Event> events) {
            this.events = Objects.requireNonNull(events, "events");
            return this;
        }

        /** Where the scale set id, session id and {@code lastMessageId} are kept. */
        public Builder state(ScaleSetState state) {
            this.state = Objects.requireNonNull(state, "state");
            return this;
        }

        /** Keeps the state in this file ({@link ScaleSetState#file(Path)}). */
        public Builder stateFile(Path file) {
            return state(ScaleSetState.file(file));
        }

        /** The session owner GitHub shows. */
        public Builder owner(String owner) {
            if (owner == null || owner.isBlank()) {
                throw new InvalidSpecException("the session owner must not be blank");
            }
            this.owner = owner;
            return this;
        }

        /** How many more runners the fleet can start, asked before every poll ({@code X-ScaleSetMaxCapacity}). */
        public Builder maxCapacity(IntSupplier capacity) {
            this.maxCapacity = Objects.requireNonNull(capacity, "capacity");
            return this;
        }

        /** A fixed capacity. */
        public Builder maxCapacity(int capacity) {
            if (capacity < 0) {
                throw new InvalidSpecException("max capacity must not be negative, got " + capacity);
            }
            return maxCapacity(() -> capacity);
        }

        /** Whether to acquire available jobs before handing them on (GitHub Enterprise Server needs it). */
        public Builder acquireJobs(boolean acquire) {
            this.acquireJobs = acquire;
            return this;
        }

        /**
         * Whether a restarted listener polls from the stored {@code lastMessageId} (default) or from 0,
         * which may deliver unacknowledged older messages again.
         */
        public Builder resumeLastMessageId(boolean resume) {
            this.resumeLastMessageId = resume;
            return this;
        }

        /** The work folder of runners made with {@link ScaleSetListener#generateJitConfig(String)}. */
        public Builder workFolder(String folder) {
            this.workFolder = Objects.requireNonNull(folder, "folder");
            return this;
        }

        /** Bounds of the jittered exponential backoff after failures (5xx, hangs, handler errors). */
        public Builder backoff(Duration min, Duration max) {
            checkBounds("backoff", min, max);
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /** Bounds of the backoff while another owner holds the session. */
        public Builder conflictBackoff(Duration min, Duration max) {
            checkBounds("conflictBackoff", min, max);
            this.minConflictBackoff = min;
            this.maxConflictBackoff = max;
            return this;
        }

        /** The least time between polls answered "no message", so that a server answering at once is not hammered. */
        public Builder minPollInterval(Duration interval) {
            if (interval == null || interval.isNegative()) {
                throw new InvalidSpecException("minPollInterval must not be negative, got " + interval);
            }
            this.minPollInterval = interval;
            return this;
        }

        /** How long {@link ScaleSetListener#close()} waits for the thread. */
        public Builder closeTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new InvalidSpecException("closeTimeout must not be negative, got " + timeout);
            }
            this.closeTimeout = timeout;
            return this;
        }

        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        Builder sleeper(Sleeper sleeper) {
            this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
            return this;
        }

        private static void checkBounds(String what, Duration min, Duration max) {
            if (min == null || max == null || min.isNegative() || max.compareTo(min) < 0) {
                throw new InvalidSpecException(what + " must satisfy 0 <= min <= max, got " + min + " and " + max);
            }
        }

        /**
         * Builds the listener; nothing is sent before {@link ScaleSetListener#start()}.
         *
         * @throws InvalidSpecException when no handler was given
         */
        public ScaleSetListener build() {
            if (handler == null) {
                throw new InvalidSpecException("scale-set listener '" + spec.name()
                        + "' needs a .handler(...) to receive statistics and job messages");
            }
            if (owner == null) {
                owner = hostName();
            }
            if (state == null) {
                ScaleSetEndpoint e = client.endpoint();
                String file = (e.webUrl().replaceFirst("^https?://", "") + "-" + e.scope().owner()
                        + (e.scope().repository() == null ? "" : "-" + e.scope().repository()) + "-" + spec.name())
                        .replaceAll("[^A-Za-z0-9._-]", "_") + ".json";
                state = ScaleSetState.file(Path.of(System.getProperty("user.home"), ".runner-fleet", "scalesets",
                        file));
            }
            return new ScaleSetListener(this);
        }

        private static String hostName() {
            try {
                String h = InetAddress.getLocalHost().getHostName();
                return h == null || h.isBlank() ? "runner-fleet" : h;
            } catch (java.io.IOException e) {
                return "runner-fleet";
            }
        }
    }
}
