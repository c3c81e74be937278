package io.runnerfleet.github;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code X-GitHub-Delivery} ids and workflow job ids a {@link WebhookReceiver} handed on recently, so
 * that a redelivery (same delivery id) or the same job under a new delivery id is passed on once; behind a
 * {@link JobDeduplicator}, which a {@link QueuedJobSweeper} may share (it records job ids only). Holds at
 * most {@code maxEntries} of each kind, none older than {@code window}; the oldest go first. Thread-safe:
 * the check and the record are one atomic step.
 */
final class RecentDeliveries {
    /** What {@link #record} found. */
    enum Verdict {
        /** Neither the delivery nor the job was seen: hand it on. */
        NEW,
        /** This delivery id was handed on before. */
        SAME_DELIVERY,
        /** Another delivery of this job was handed on before. */
        SAME_JOB
    }

    private final int maxEntries;
    private final Duration window;
    private final Clock clock;
    // Insertion order is age order, so expiry and eviction both take from the head.
    private final LinkedHashMap<String, Instant> deliveries = new LinkedHashMap<>();
    private final LinkedHashMap<Long, Instant> jobs = new LinkedHashMap<>();

    RecentDeliveries(int maxEntries, Duration window, Clock clock) {
        this.maxEntries = maxEntries;
        this.window = window;
        this.clock = clock;
    }

    /** Checks and records {@code deliveryId} (may be {@code null}: not sent) and {@code jobId} at once. */
    synchronized Verdict record(String deliveryId, long jobId) {
        Instant now = clock.instant();
        expire(deliveries, now);
        expire(jobs, now);
        if (deliveryId != null) {
            if (deliveries.containsKey(deliveryId)) {
                return Verdict.SAME_DELIVERY;
            }
            put(deliveries, deliveryId, now);
        }
        if (jobs.containsKey(jobId)) {
            return Verdict.SAME_JOB;
        }
        put(jobs, jobId, now);
        return Verdict.NEW;
    }

    /**
     * Checks and records {@code deliveryId} alone (may be {@code null}: not sent, then always new); for
     * deliveries whose job was recorded before (a job's {@code in_progress} after its {@code queued}).
     *
     * @return whether it is new
     */
    synchronized boolean recordDelivery(String deliveryId) {
        if (deliveryId == null) {
            return true;
        }
        expire(deliveries, clock.instant());
        if (deliveries.containsKey(deliveryId)) {
            return false;
        }
        put(deliveries, deliveryId, clock.instant());
        return true;
    }

    /** Forgets a delivery recorded by {@link #recordDelivery} but not handled. */
    synchronized void forgetDelivery(String deliveryId) {
        if (deliveryId != null) {
            deliveries.remove(deliveryId);
        }
    }

    /** Forgets a delivery that was recorded as {@link Verdict#NEW} but not handled, so a redelivery may retry it. */
    synchronized void forget(String deliveryId, long jobId) {
        if (deliveryId != null) {
            deliveries.remove(deliveryId);
        }
        jobs.remove(jobId);
    }

    private <K> void expire(LinkedHashMap<K, Instant> seen, Instant now) {
        Instant oldest = now.minus(window);
        for (Iterator<Map.Entry<K, Instant>> it = seen.entrySet().iterator(); it.hasNext(); ) {
            if (it.next().getValue().isAfter(oldest)) {
                return;
            }
            it.remove();
        }
    }

    private <K> void put(LinkedHashMap<K, Instant> seen, K key, Instant now) {
        seen.put(key, now);
        if (seen.size() > maxEntries) {
            Iterator<K> eldest = seen.keySet().iterator();
            eldest.next();
            eldest.remove();
        }
    }
}
