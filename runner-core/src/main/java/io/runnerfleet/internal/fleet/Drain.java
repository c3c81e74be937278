package io.runnerfleet.internal.fleet;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * A drain in progress: its runner was busy when asked to go, so each reconcile cycle tries again
 * ({@link Retiring#continueDrain}) until the job ends or the fleet's clock passes the deadline. Between
 * attempts no thread waits for it; whoever asked for it waits on {@link #done}. Changed only by whoever
 * holds the runner's claim.
 */
final class Drain {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    Instant deadline;
    boolean kill;
    boolean deleteVolumes;
    String reason;

    Drain(Instant deadline, boolean kill, boolean deleteVolumes, String reason) {
        this.deadline = deadline;
        this.kill = kill;
        this.deleteVolumes = deleteVolumes;
        this.reason = reason;
    }
}
