package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetListener;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerState;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job each runner runs, as demand sources report it (webhooks, scale-set messages), for
 * {@link io.runnerfleet.Runner#job()}. A job ends when its source says so, or when the runner's lifecycle
 * shows it cannot be running one any more (heard as a {@link FleetEvent.StateChanged} on the event thread).
 * Emits {@link FleetEvent.JobStarted} and exactly one {@link FleetEvent.JobEnded} for it. Thread-safe.
 */
final class RunningJobs implements FleetListener {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    // runner: the name as the fleet spells it, for events.
    // active: the runner was seen Active while running this job, so a later Idle means the job is over.
    private record Entry(String runner, RunnerJob job, Instant since, boolean active) {
        Entry seenActive() {
            return new Entry(runner, job, since, true);
        }
    }

    private final FleetContext fx;
    private final Slots slots;
    // By lower-case runner name.
    private final Map<String, Entry> running = new HashMap<>();
    // The job each runner ended last: webhooks arrive out of order, so an in_progress after its completed is stale.
    private final Map<String, String> lastEnded = new HashMap<>();

    RunningJobs(FleetContext fx, Slots slots) {
        this.fx = fx;
        this.slots = slots;
    }

    /** {@code runner} started {@code job}; a runner not of this fleet is ignored (webhooks report every runner). */
    synchronized void started(String runner, RunnerJob job) {
        Objects.requireNonNull(runner, "runner");
        Objects.requireNonNull(job, "job");
        ManagedRunner r = slots.byName(runner);
        if (r == null) {
            LOG.debug("fleet {}: job {} started on runner {}, not one of this fleet's; ignored", fx.fleet(), job.id(), runner);
            return;
        }
        String key = Slots.key(r.name);
        Entry now = running.get(key);
        if (now != null && now.job().id().equals(job.id()) || job.id().equals(lastEnded.get(key))) {
            return;   // told twice, or told of the start after the end
        }
        Instant at = fx.clock().instant();
        if (now != null) {
            end(key, now, "another job started", at);
        }
        running.put(key, new Entry(r.name, job, at, r.state() instanceof RunnerState.Active));
        fx.events().onEvent(new FleetEvent.JobStarted(r.name, job, at));
    }

    /** {@code runner} finished the job {@code jobId}; another runner's or another job's end is ignored. */
    synchronized void ended(String runner, String jobId) {
        Objects.requireNonNull(runner, "runner");
        Objects.requireNonNull(jobId, "jobId");
        String key = Slots.key(runner);
        Entry now = running.get(key);
        if (now == null || !now.job().id().equals(jobId)) {
            LOG.debug("fleet {}: job {} ended on runner {}, which this fleet does not know to run it; ignored",
                    fx.fleet(), jobId, runner);
            if (slots.byName(runner) != null) {
                lastEnded.put(key, jobId);   // ended before its start was heard: a late start is stale
            }
            return;
        }
        end(key, now, "job completed", fx.clock().instant());
    }

    /** The job {@code runner} runs, or null. */
    synchronized @Nullable RunnerJob job(String runner) {
        Entry e = running.get(Slots.key(runner));
        return e == null ? null : e.job();
    }

    private void end(String key, Entry entry, String reason, Instant at) {
        running.remove(key);
        lastEnded.put(key, entry.job().id());
        fx.events().onEvent(new FleetEvent.JobEnded(entry.runner(), entry.job(), Duration.between(entry.since(), at), reason, at));
    }

    /** A runner that can no longer run its job ends it: Idle (but just online), Completed, Stopped, Failed, Removed. */
    @Override
    public synchronized void onEvent(FleetEvent event) {
        if (!(event instanceof FleetEvent.StateChanged c)) {
            return;
        }
        RunnerState to = c.to();
        String key = Slots.key(c.runner());
        Entry entry = running.get(key);
        if (entry != null && to instanceof RunnerState.Active) {
            running.put(key, entry.seenActive());
            return;
        }
        // Idle ends only a job its runner was seen running: a job reported just after the runner went Idle (the
        // event reaching this listener late) is the next one, not over.
        boolean ends = to instanceof RunnerState.Idle && !(c.from() instanceof RunnerState.Registering)
                && entry != null && entry.active()
                || to instanceof RunnerState.Completed || to instanceof RunnerState.Stopped
                || to instanceof RunnerState.Failed || to instanceof RunnerState.Removed;
        // This listener runs on the event thread, after the change: a job heard of since is the next one.
        if (ends && entry != null && !entry.since().isAfter(c.at())) {
            end(key, entry, "runner " + to.name(), fx.clock().instant());
        }
        if (to instanceof RunnerState.Removed) {
            lastEnded.remove(key);
        }
    }
}
