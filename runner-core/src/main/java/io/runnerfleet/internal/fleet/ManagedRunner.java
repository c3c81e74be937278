package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.RunnerLifecycle;
import java.time.Instant;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One runner the fleet manages: its slot (pool and index), its lifecycle and what was last observed of
 * it. Fields are guarded by this object's lock; {@link #claim()} gives one actor (a provisioning task,
 * a user operation) the right to act on it, so the reconciler never races them.
 */
final class ManagedRunner {
    final PoolPlan pool;
    final int index;
    final RunnerName runnerName;
    // The name as GitHub and the backend know it (runnerName printed), for maps, events and messages.
    final String name;
    final RunnerLifecycle lifecycle;

    String instanceId;
    long githubId;
    Instant launchedAt;
    Instant offlineSince;
    Instant idleSince;
    boolean registeredEventSent;
    boolean online;
    boolean busy;
    String instanceState = "-";
    // The engine holding the instance, where the backend names one (a multi-engine backend); empty otherwise.
    String engine = "";
    int failures;
    // Transient failures in a row (outages of GitHub or the engine): back off, never spend the budget.
    int outages;
    // Set when a runner failed the same way it always will: never retried.
    boolean permanentFailure;
    Instant failedAt;
    // Why the previous runner of this slot failed, for start()'s message while this one is retried.
    String lastError;
    // Adopted from an earlier process while not yet registered: judged by age, not the registration timeout.
    boolean adoptedUnregistered;
    Instant nextAttempt = Instant.MIN;
    boolean userStopped;
    // The instance that said it is listening for jobs (InstanceEvent LISTENING): evidence until GitHub lists it online.
    String listeningInstance;
    // A drain in progress (Retiring): set and cleared by whoever holds the claim.
    volatile Drain drain;
    private boolean claimed;
    private final LongSupplier marks;
    // The fleet's mark (FleetContext.mark) at the last release: observations marked before it are stale for this runner.
    private long touched;

    ManagedRunner(PoolPlan pool, RunnerName runnerName, RunnerLifecycle lifecycle, LongSupplier marks) {
        this.pool = pool;
        this.index = runnerName.index();
        this.runnerName = runnerName;
        this.name = runnerName.toString();
        this.lifecycle = lifecycle;
        this.marks = marks;
        this.touched = marks.getAsLong();
    }

    /** What the {@link StateDerivation} rules need to know of this runner beyond its state, at {@code now}. */
    synchronized StateDerivation.Facts facts(Instant now, boolean stopping) {
        return new StateDerivation.Facts(now, stopping, pool.name(), failures, nextAttempt, launchedAt, offlineSince,
                adoptedUnregistered, failedAt, permanentFailure,
                listeningInstance != null && listeningInstance.equals(instanceId) && !registeredEventSent);
    }

    RunnerState state() {
        return lifecycle.state();
    }

    /** Takes the right to act; false when another actor holds it. */
    synchronized boolean tryClaim() {
        if (claimed) {
            return false;
        }
        claimed = true;
        return true;
    }

    /** Waits (bounded by the caller's patience) for the right to act. */
    synchronized void claim() throws InterruptedException {
        while (claimed) {
            wait(1000);
        }
        claimed = true;
    }

    synchronized void release() {
        touched = marks.getAsLong();
        claimed = false;
        notifyAll();
    }

    /** Whether something acted on this runner after the observation marked {@code mark}. */
    synchronized boolean touchedAfter(long mark) {
        return touched > mark;
    }

    synchronized boolean claimed() {
        return claimed;
    }

    /** Whether a drain is in progress (then a cycle lets {@link Retiring#continueDrain} act instead of the rules). */
    boolean draining() {
        return drain != null;
    }

    boolean live() {
        return !(state() instanceof RunnerState.Removed);
    }

    List<String> lastLogLines() {
        return state() instanceof RunnerState.Failed f ? f.lastLogLines() : List.of();
    }

    @Override
    public String toString() {
        return name + " " + state();
    }
}
