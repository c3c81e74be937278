package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerState;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends one runner and refills its slot when its pool still wants one more runner: a failure (retried with backoff within the failure budget, then
 * Failed), a renewal (a dead, unregistered or failed runner gives way to a new one at once) or a finished
 * ephemeral runner. The work runs on a worker thread that holds the runner's claim and releases it.
 */
final class Replacing {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final FleetContext fx;
    private final Slots slots;
    private final Teardown teardown;

    Replacing(FleetContext fx, Slots slots, Teardown teardown) {
        this.fx = fx;
        this.slots = slots;
        this.teardown = teardown;
    }

    /** Fails a claimed runner from the reconciler thread: the work runs on a worker. */
    void fail(ManagedRunner r, String reason, Failures kind) {
        onWorker(r, () -> failInWorker(r, reason, kind));
    }

    /** Fails a runner on the worker that holds its claim (the caller releases it). */
    void failInWorker(ManagedRunner r, String reason, Failures kind) {
        FleetSettings settings = fx.settings();
        List<String> lines = teardown.lastLogLines(r);
        try {
            teardown.cleanup(r, !r.pool.ephemeral(), false);
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: cleaning up runner {} failed: {}", fx.fleet(), r.name, e.toString());
        }
        int failures;
        int outages;
        synchronized (r) {
            failures = switch (kind) {
                case TRANSIENT -> r.failures;
                case COUNTED -> ++r.failures;
                // An invalid spec (a missing device, a bad image reference) fails the same way every time: no retries.
                case PERMANENT, REFUSED -> Math.max(++r.failures, settings.maxFailures());
            };
            outages = kind == Failures.TRANSIENT ? r.outages + 1 : 0;
        }
        if (failures >= settings.maxFailures()) {
            synchronized (r) {
                r.failedAt = fx.clock().instant();
                r.permanentFailure = kind == Failures.PERMANENT;
            }
            String retry = kind == Failures.PERMANENT ? "" : "; its slot is tried again in " + settings.failedRetry();
            r.lifecycle.transition(new RunnerState.Failed(reason + " (failure " + failures + " of " + settings.maxFailures()
                    + ")", lines), reason + retry);
            return;
        }
        Duration wait = kind == Failures.TRANSIENT ? settings.transientBackoff(outages) : settings.backoff(failures);
        LOG.debug("fleet {}: runner {} failed ({}), retry in {}: {}", fx.fleet(), r.name, kind, wait, reason);
        if (!(r.state() instanceof RunnerState.Removing)) {
            r.lifecycle.transition(new RunnerState.Removing(), kind == Failures.TRANSIENT
                    ? "GitHub or the engine is unavailable (not counted as a failure): " + reason
                    : "failure " + failures + ": " + reason);
        }
        // The pool may have shrunk meanwhile: a retry only when it still wants one more runner.
        r.lifecycle.transition(new RunnerState.Removed(), slots.wantsSuccessor(r) ? "will retry in " + wait
                : "not retried: pool " + r.pool.name() + " holds the runners it wants");
        ManagedRunner next = slots.succeed(r, fx.clock().instant().plus(wait));
        if (next != null) {
            synchronized (next) {
                next.failures = failures;
                next.outages = outages;
                next.lastError = reason;
            }
        }
    }

    /**
     * Removes a runner whose instance is dead, unregistered or failed, and puts a new one in its slot at
     * once (when the pool still wants it), under a new name where the runner kind needs one (ephemeral).
     * Not a failure of the runner.
     */
    void renew(ManagedRunner r, String why) {
        onWorker(r, () -> {
            try {
                r.lifecycle.transition(new RunnerState.Removing(), "replacing: " + why);
                // A persistent runner keeps its volumes: its successor has the same name and reuses them.
                teardown.cleanup(r, !r.pool.ephemeral(), false);
                r.lifecycle.transition(new RunnerState.Removed(), "replaced by a new runner: " + why);
                ManagedRunner next = slots.succeed(r, fx.clock().instant());
                if (next != null) {
                    synchronized (next) {
                        next.outages = r.outages;
                    }
                }
            } catch (RuntimeException e) {
                failInWorker(r, "could not remove the runner it replaces: " + Teardown.describe(e), Failures.of(e));
            }
        });
    }

    /** A runner did its job (an ephemeral runner after its one job): remove it; the next cycle refills if its pool wants. */
    void finish(ManagedRunner r) {
        onWorker(r, () -> {
            try {
                r.lifecycle.transition(new RunnerState.Removing(), "removing the finished runner");
                teardown.cleanup(r, false, false);
                r.lifecycle.transition(new RunnerState.Removed(), "finished runner removed");
                fx.events().onEvent(new FleetEvent.RunnerRemoved(r.name, "ephemeral runner finished its job", fx.clock().instant()));
            } catch (RuntimeException e) {
                failInWorker(r, "could not remove the finished runner: " + Teardown.describe(e), Failures.of(e));
            }
        });
    }

    // The claim passes to the worker, which releases it and asks for a cycle when done.
    private void onWorker(ManagedRunner r, Runnable work) {
        fx.workers().execute(() -> {
            try {
                work.run();
            } finally {
                r.release();
                fx.wake().run();
            }
        });
    }
}
