package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.RunnerLifecycle;
import io.runnerfleet.RunnerFleetException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * One runner the fleet manages: its slot (pool and index), its lifecycle and what was last observed of
 * it. Fields are guarded by this object's lock; a claim gives one actor (a provisioning task, a drain, a
 * user operation) the right to act on it, so the reconciler never races them. Worker threads never wait
 * for a claim ({@link #onClaim} queues the work and the holder hands the claim over as it releases it):
 * the task that would release it may be queued on the same bounded pool.
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
    // Chosen to go (scaled down, idled out, finished its job): no longer one of its pool's wanted runners.
    volatile boolean leaving;
    private boolean claimed;
    // Work waiting for the claim (onClaim), handed the claim in turn as each holder releases it.
    private final Deque<Runnable> handOffs = new ArrayDeque<>();
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

    /**
     * Waits for the right to act, on the caller's own thread (a user operation): never call it on a worker,
     * whose wait could hold the very thread the claim's holder is queued for.
     */
    synchronized void claim() throws InterruptedException {
        while (claimed) {
            wait(1000);
        }
        claimed = true;
    }

    /**
     * Runs {@code action} on {@code executor} holding the claim, and releases it after: queued at once when
     * the claim is free, else when its holder releases it (handed straight over, so no thread waits).
     *
     * @return completes when the action has run (with its failure, if any); fails with a
     *     {@link RunnerFleetException} when the executor refused it (shut down), the claim released
     */
    CompletableFuture<Void> onClaim(Executor executor, Runnable action) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable start = () -> dispatch(executor, action, done);
        synchronized (this) {
            if (claimed) {
                handOffs.add(start);
                return done;
            }
            claimed = true;
        }
        start.run();
        return done;
    }

    // Called holding the claim: the task releases it when the action ends.
    private void dispatch(Executor executor, Runnable action, CompletableFuture<Void> done) {
        try {
            executor.execute(() -> {
                Throwable failure = null;
                try {
                    action.run();
                } catch (RuntimeException | Error e) {
                    failure = e;
                } finally {
                    release();
                }
                if (failure == null) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            release();
            done.completeExceptionally(new RunnerFleetException("runner " + name + " could not be acted on: the fleet's"
                    + " worker threads are shut down", e));
        }
    }

    /** Gives up the right to act: to the next queued {@link #onClaim} action if any, else to anyone. */
    void release() {
        Runnable next;
        synchronized (this) {
            touched = marks.getAsLong();
            next = handOffs.poll();
            if (next == null) {
                claimed = false;
                notifyAll();
                return;
            }
        }
        next.run();   // the claim stays taken: it passes to the next action
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

    /** Whether it is one of the runners its pool's wanted count counts: live, and neither leaving nor draining. */
    boolean counts() {
        return live() && !leaving && drain == null;
    }

    List<String> lastLogLines() {
        return state() instanceof RunnerState.Failed f ? f.lastLogLines() : List.of();
    }

    @Override
    public String toString() {
        return name + " " + state();
    }
}
