package io.runnerfleet.testkit.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.testkit.Fault;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The faults the fake injects: the next calls of an operation failing, and outages that fail every call
 * of some operations for a while. Thread-safe on its own, without the {@link Engine}'s monitor.
 */
public final class Faults {
    private final Map<String, Deque<Fault>> faults = new ConcurrentHashMap<>();
    private final List<Outage> outages = new CopyOnWriteArrayList<>();

    Faults() {
    }

    /** The next {@code n} calls of the operation fail with {@code fault}. */
    public void failNext(String operationId, int n, Fault fault) {
        requireOperation(operationId);
        if (n < 1) {
            throw new InvalidSpecException("fail at least one call, got " + n);
        }
        Deque<Fault> q = faults.computeIfAbsent(operationId, k -> new ArrayDeque<>());
        synchronized (q) {
            for (int i = 0; i < n; i++) {
                q.add(fault);
            }
        }
    }

    private static void requireOperation(String operationId) {
        if (!Api.OPERATIONS.contains(operationId) && !RunnerService.OPERATIONS.contains(operationId)
                && !ActionsService.OPERATIONS.contains(operationId)) {
            throw new InvalidSpecException("unknown operation '" + operationId + "': use an operationId of"
                    + " runners-openapi.json such as actions/list-self-hosted-runners-for-org, a runner-side one: "
                    + new java.util.TreeSet<>(RunnerService.OPERATIONS) + ", or an Actions-service one: "
                    + ActionsService.OPERATIONS);
        }
    }

    /**
     * Every call of the operations fails with {@code fault} until {@code duration} has passed on the monotonic
     * clock (an outage is real time, whatever the fake's own clock says); returns when the outage ends.
     */
    public Outage outage(java.util.Collection<String> operationIds, Duration duration, Fault fault) {
        operationIds.forEach(Faults::requireOperation);
        if (duration.isNegative() || duration.isZero()) {
            throw new InvalidSpecException("an outage must last a positive time, got " + duration);
        }
        Outage o = new Outage(java.util.Set.copyOf(operationIds), System.nanoTime() + duration.toNanos(), fault);
        outages.add(o);
        return o;
    }

    /** Ends every outage and drops every fault not served yet. */
    public void clearFaults() {
        outages.clear();
        faults.clear();
    }

    /** A running outage: its operations, when it ends (System.nanoTime) and its fault. */
    public record Outage(java.util.Set<String> operationIds, long endsAtNanos, Fault fault) {
    }

    Optional<Fault> takeFault(String operationId) {
        long now = System.nanoTime();
        for (Outage o : outages) {
            if (now - o.endsAtNanos() >= 0) {
                outages.remove(o);
            } else if (o.operationIds().contains(operationId)) {
                return Optional.of(o.fault());
            }
        }
        Deque<Fault> q = faults.get(operationId);
        if (q == null) {
            return Optional.empty();
        }
        synchronized (q) {
            return Optional.ofNullable(q.poll());
        }
    }
}
