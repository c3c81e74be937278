package io.runnerfleet.docker;

import io.runnerfleet.spi.RunnerBackend;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One named engine of a {@link MultiEngineBackend}: its backend, its capacity, how many instances it holds
 * or is being given, whether it answered last time, and the instances to remove once it answers again.
 */
final class EngineMember {
    final String name;
    final RunnerBackend backend;
    final int capacity;
    final int order;
    // Ids (the engine's own) removed while the engine was away: removed for real when it answers again.
    final Set<String> tombstones = ConcurrentHashMap.newKeySet();
    // Image references prepared on this engine.
    final Set<String> prepared = ConcurrentHashMap.newKeySet();
    // The engine's own ids of the instances it holds, with their fleets: refreshed by each listing.
    private final Map<String, String> held = new HashMap<>();
    private int launching;
    private volatile String awayReason;

    EngineMember(String name, RunnerBackend backend, int capacity, int order) {
        this.name = name;
        this.backend = backend;
        this.capacity = capacity;
        this.order = order;
    }

    /** Instances held plus launches under way: what placement compares. */
    synchronized int load() {
        return held.size() + launching;
    }

    /** What a listing of {@code fleet} found on this engine. */
    synchronized void listed(String fleet, Collection<String> ids) {
        held.values().removeIf(fleet::equals);
        ids.forEach(id -> held.put(id, fleet));
    }

    /** Takes a place for one launch, or false when the engine is full. */
    synchronized boolean reserve() {
        if (held.size() + launching >= capacity) {
            return false;
        }
        launching++;
        return true;
    }

    /** Gives the place back; a launched instance ({@code id} not null) is held from now on. */
    synchronized void release(String id, String fleet) {
        launching--;
        if (id != null) {
            held.put(id, fleet);
        }
    }

    synchronized void removed(String id) {
        held.remove(id);
    }

    void away(RuntimeException e) {
        awayReason = e.getMessage();
    }

    void answered() {
        awayReason = null;
    }

    boolean isAway() {
        return awayReason != null;
    }

    /** Why the engine is away, for messages; empty when it answered last time. */
    String awayReason() {
        String r = awayReason;
        return r == null ? "" : r;
    }

    String capacityText() {
        return capacity == Integer.MAX_VALUE ? "unlimited" : String.valueOf(capacity);
    }

    @Override
    public String toString() {
        return name + "(" + load() + "/" + capacityText() + (isAway() ? ", away" : "") + ")";
    }
}
