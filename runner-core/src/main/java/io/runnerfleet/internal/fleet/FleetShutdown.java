package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a fleet's life for {@link io.runnerfleet.RunnerFleet}: a shutdown draining on a thread of its own, a
 * removal on the caller's thread, waiting for either, and refusing a start once either began. Thread-safe: one
 * lock orders a start against the first shutdown or removal.
 */
public final class FleetShutdown {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final String fleet;
    private final Reconciler reconciler;
    private final Duration drainTimeout;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private boolean started;           // guarded by this
    private boolean removed;           // guarded by this
    private volatile Thread thread;

    /** For the fleet {@code fleet}, whose runners {@code reconciler} retires. */
    public FleetShutdown(String fleet, Reconciler reconciler, Duration drainTimeout) {
        this.fleet = fleet;
        this.reconciler = reconciler;
        this.drainTimeout = drainTimeout;
    }

    /** Runs {@code start} unless a shutdown or removal began, holding the lock so neither begins meanwhile. */
    public synchronized void whileOpen(Runnable start) {
        if (started) {
            throw new IllegalStateException("fleet " + fleet + " is shut down; build a new one");
        }
        start.run();
    }

    /** Begins draining every runner on a thread of its own; a second call can only turn it into a kill. */
    public synchronized void begin(boolean kill, boolean deleteVolumes) {
        if (started) {
            if (kill) {
                reconciler.escalateToKill();
            }
            return;
        }
        started = true;
        Thread t = new Thread(() -> {
            try {
                List<String> left = reconciler.retireAll(kill, deleteVolumes, deleteVolumes ? "fleet removed" : "fleet shut down");
                if (!left.isEmpty()) {
                    LOG.warn("fleet {}: the shutdown left {}", fleet, String.join("; ", left));
                }
            } catch (RuntimeException e) {
                LOG.warn("fleet {}: the shutdown failed: {}", fleet, e.toString());
            } finally {
                terminated.countDown();
            }
        }, "runnerfleet-" + fleet + "-shutdown");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /**
     * Removes every runner on the calling thread (after a shutdown in progress, which it waits for); nothing
     * the second time.
     *
     * @return whether this call removed the fleet (the caller then closes it)
     * @throws FleetTimeoutException naming what was left; the fleet stays open so a kill can finish the job
     */
    public boolean remove(boolean kill) {
        synchronized (this) {
            if (removed) {
                return false;
            }
            if (reconciler.closed()) {
                throw new IllegalStateException("fleet " + fleet + " is closed and its runners were left running; build"
                        + " a fleet with the same name and pools to adopt them, then remove() that one");
            }
            if (started && kill) {
                reconciler.escalateToKill();
            }
            started = true;
        }
        // A shutdown already draining is waited for; then one more pass removes what it kept (volumes, busy runners).
        awaitThread();
        List<String> left = reconciler.retireAll(kill, true, "fleet removed");
        terminated.countDown();
        if (!left.isEmpty()) {
            throw new FleetTimeoutException("fleet " + fleet + " could not remove everything: " + String.join("; ", left));
        }
        synchronized (this) {
            removed = true;
        }
        return true;
    }

    /** Waits for a shutdown or removal to finish; true when it did within {@code timeout}. */
    public boolean await(Duration timeout) {
        try {
            return terminated.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits for a shutdown thread, if one runs, bounded by the drain timeout and a minute. */
    public void awaitThread() {
        if (thread != null) {
            await(drainTimeout.plus(Duration.ofMinutes(1)));
        }
    }
}
