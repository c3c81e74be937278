package io.runnerfleet.github.scaleset;

import io.runnerfleet.github.internal.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol loop a {@link ScaleSetListener} runs on its thread: it holds the session, polls, hands
 * messages to the handler, acknowledges them and heals what GitHub's side breaks (see the listener's
 * Javadoc for the rules). The listener owns the thread and the lifecycle; this class owns the state.
 */
final class ListenerLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleSetListener.class);

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
    private final ScaleSetProvisioner provisioner;
    private final ScaleSetListener.Handler handler;
    private final Consumer<ScaleSetListener.Event> events;
    private final ScaleSetState state;
    private final String owner;
    private final IntSupplier maxCapacity;
    private final boolean acquireJobs;
    private final boolean resumeLastMessageId;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Duration minConflictBackoff;
    private final Duration maxConflictBackoff;
    private final Duration minPollInterval;
    private final Clock clock;
    private final Sleeper sleeper;
    private final Object wake = new Object();
    private volatile boolean closed;

    // Written by prepare() before the thread starts, then by the listener thread only.
    private volatile ScaleSet scaleSet;
    private volatile MessageSession session;
    private volatile ScaleSetState.Snapshot snapshot;
    private volatile Statistics statistics;
    private boolean needsRefresh;

    ListenerLoop(ScaleSetListener.Builder b) {
        this.client = b.client;
        this.spec = b.spec;
        this.provisioner = new ScaleSetProvisioner(b.client, b.spec);
        this.handler = b.handler;
        this.events = b.events;
        this.state = b.state;
        this.owner = b.owner;
        this.maxCapacity = b.maxCapacity;
        this.acquireJobs = b.acquireJobs;
        this.resumeLastMessageId = b.resumeLastMessageId;
        this.minBackoff = b.minBackoff;
        this.maxBackoff = b.maxBackoff;
        this.minConflictBackoff = b.minConflictBackoff;
        this.maxConflictBackoff = b.maxConflictBackoff;
        this.minPollInterval = b.minPollInterval;
        this.clock = b.clock;
        this.sleeper = b.sleeper != null ? b.sleeper : this::pauseUntilClosed;
    }

    /** The scale set, or {@code null} before {@link #prepare()}. */
    ScaleSet scaleSet() {
        return scaleSet;
    }

    Statistics statistics() {
        return statistics;
    }

    MessageSession session() {
        return session;
    }

    ScaleSetState.Snapshot snapshot() {
        return snapshot;
    }

    /** Ends the loop: it stops after the call in flight, and a pause ends at once. */
    void stop() {
        closed = true;
        synchronized (wake) {
            wake.notifyAll();
        }
    }

    /** After the loop stopped: deletes the session (a failure is logged, it expires on its own) and forgets it. */
    void releaseSession() {
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

    // ---- start ----

    /** Finds, creates or updates the scale set and loads the state; on the caller's thread, before {@link #run()}. */
    void prepare() {
        ScaleSetState.Snapshot stored = state.load();
        if (!stored.scaleSetName().equals(spec.name())) {
            stored = ScaleSetState.Snapshot.EMPTY;
        }
        ScaleSetProvisioner.Provisioned found = provisioner.ensure(stored.scaleSetId());
        ScaleSet set = found.set();
        if (found.created() && stored.scaleSetId() > 0) {
            emit(new ScaleSetListener.Event.ScaleSetRecreated(spec.name(), stored.scaleSetId(), set.id()));
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

    @Override
    public void run() {
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
                    emit(new ScaleSetListener.Event.HandlerFailed(spec.name(), h.messageId, String.valueOf(h.getCause()), wait));
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
                    emit(new ScaleSetListener.Event.SessionLost(spec.name(), lost == null ? "" : lost.sessionId(), e.getMessage()));
                    if (++quickFixes > 1) {
                        pause(ActionsHttp.jittered(minBackoff, maxBackoff, ++failures));
                    }
                } else if (e instanceof ScaleSetApiException.SessionConflict) {
                    Duration wait = ActionsHttp.jittered(minConflictBackoff, maxConflictBackoff, ++conflicts);
                    LOG.warn("scale set '{}' has a session of another owner; trying again in {}", spec.name(), wait);
                    emit(new ScaleSetListener.Event.SessionConflict(spec.name(), snapshot.scaleSetId(), e.getMessage(), wait));
                    pause(wait);
                } else if (e instanceof ScaleSetApiException.ScaleSetNotFound) {
                    session = null;
                    needsRefresh = false;
                    if (!recreateScaleSet()) {
                        Duration wait = ActionsHttp.jittered(minBackoff, maxBackoff, ++failures);
                        emit(new ScaleSetListener.Event.Disconnected(spec.name(), e.getMessage(), wait));
                        pause(wait);
                    }
                } else {
                    Duration wait = ActionsHttp.jittered(minBackoff, maxBackoff, ++failures);
                    LOG.debug("scale set '{}': {}; trying again in {}", spec.name(), e.getMessage(), wait);
                    emit(new ScaleSetListener.Event.Disconnected(spec.name(), e.getMessage(), wait));
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
        emit(new ScaleSetListener.Event.SessionOpened(spec.name(), setId, opened.sessionId(), resumed));
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
        Optional<ScaleSet> made = provisioner.recreate(old);
        if (made.isEmpty()) {
            return false;
        }
        ScaleSet created = made.get();
        scaleSet = created;
        save(new ScaleSetState.Snapshot(spec.name(), created.id(), Optional.empty(), 0));
        LOG.warn("scale set '{}' was deleted on GitHub's side; created it again (id {} -> {})", spec.name(), old,
                created.id());
        emit(new ScaleSetListener.Event.ScaleSetRecreated(spec.name(), old, created.id()));
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

    private void emit(ScaleSetListener.Event e) {
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
}
