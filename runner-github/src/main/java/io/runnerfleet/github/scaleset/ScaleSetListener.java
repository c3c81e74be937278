package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.internal.Checks;
import io.runnerfleet.github.internal.Sleeper;
import io.runnerfleet.spi.JitConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
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

    private final ScaleSetClient client;
    private final ScaleSetSpec spec;
    private final String workFolder;
    private final Duration closeTimeout;
    private final ListenerLoop loop;

    private final Object lifecycle = new Object();
    private volatile boolean started;
    private volatile boolean closed;
    private Thread thread;

    private ScaleSetListener(Builder b) {
        this.client = b.client;
        this.spec = b.spec;
        this.workFolder = b.workFolder;
        this.closeTimeout = b.closeTimeout;
        this.loop = new ListenerLoop(b);
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
            loop.prepare();
            started = true;
            thread = new Thread(loop, "scaleset-listener-" + spec.name());
            thread.setDaemon(true);
            thread.start();
            return this;
        }
    }

    /** The scale set being listened to (its id changes if it is created again). */
    public ScaleSet scaleSet() {
        ScaleSet s = loop.scaleSet();
        if (s == null) {
            throw new IllegalStateException("scale-set listener '" + spec.name() + "' is not started; call start()");
        }
        return s;
    }

    /** The latest statistics heard, empty before the first session opened. */
    public Optional<Statistics> statistics() {
        return Optional.ofNullable(loop.statistics());
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
        loop.stop();
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
        loop.releaseSession();
    }

    /** {@code ScaleSetListener[qemu, set 42, session 9b2f..., last message 17, running]}. */
    @Override
    public String toString() {
        ScaleSetState.Snapshot s = loop.snapshot();
        MessageSession m = loop.session();
        return "ScaleSetListener[" + spec.name() + (s == null ? "" : ", set " + s.scaleSetId())
                + (m == null ? ", no session" : ", session " + m.sessionId())
                + (s == null ? "" : ", last message " + s.lastMessageId())
                + (closed ? ", closed" : started ? ", running" : ", not started") + "]";
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
        // Package-private: ListenerLoop's constructor reads them.
        final ScaleSetClient client;
        final ScaleSetSpec spec;
        Handler handler;
        Consumer<Event> events = e -> { };
        ScaleSetState state;
        String owner;
        IntSupplier maxCapacity = () -> Integer.MAX_VALUE;
        boolean acquireJobs = true;
        boolean resumeLastMessageId = true;
        String workFolder = "";
        Duration minBackoff = Duration.ofSeconds(1);
        Duration maxBackoff = Duration.ofSeconds(60);
        Duration minConflictBackoff = Duration.ofSeconds(30);
        Duration maxConflictBackoff = Duration.ofMinutes(5);
        Duration minPollInterval = Duration.ofSeconds(1);
        Duration closeTimeout = Duration.ofSeconds(10);
        Clock clock = Clock.systemUTC();
        Sleeper sleeper;

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
            this.owner = Checks.owner(owner);
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
            Checks.bounds("backoff", min, max);
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /** Bounds of the backoff while another owner holds the session. */
        public Builder conflictBackoff(Duration min, Duration max) {
            Checks.bounds("conflictBackoff", min, max);
            this.minConflictBackoff = min;
            this.maxConflictBackoff = max;
            return this;
        }

        /** The least time between polls answered "no message", so that a server answering at once is not hammered. */
        public Builder minPollInterval(Duration interval) {
            this.minPollInterval = Checks.notNegative("minPollInterval", interval);
            return this;
        }

        /** How long {@link ScaleSetListener#close()} waits for the thread. */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = Checks.notNegative("closeTimeout", timeout);
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
                state = ScaleSetState.file(FileScaleSetState.defaultPath(client.endpoint(), spec.name()));
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
