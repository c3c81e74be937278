package io.runnerfleet.docker;

import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RunnerBackend;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One named engine of a {@link MultiEngineBackend}: its backend, its capacity, the instances it holds or is
 * being given, whether it answered last time, and the instances to remove once it answers again.
 *
 * <p>An engine whose calls fail is <em>suspect</em> from the first failure; it is <em>away</em> once it has
 * failed without a single success for {@code awayAfter}. Any success ends both at once.
 */
final class EngineMember {
    final String name;
    final RunnerBackend backend;
    final int capacity;
    final int order;
    // Ids (the engine's own) removed while the engine did not answer: removed for real when it answers again.
    final Set<String> tombstones = ConcurrentHashMap.newKeySet();
    // Image references prepared on this engine.
    final Set<String> prepared = ConcurrentHashMap.newKeySet();
    private final Clock clock;
    private final Duration awayAfter;
    // The instances it holds, by the engine's own id: refreshed by each listing, reported while it is suspect.
    private final Map<String, InstanceInfo> held = new HashMap<>();
    private int launching;
    private Instant failingSince;
    private String failure;

    EngineMember(String name, RunnerBackend backend, int capacity, int order, Clock clock, Duration awayAfter) {
        this.name = name;
        this.backend = backend;
        this.capacity = capacity;
        this.order = order;
        this.clock = clock;
        this.awayAfter = awayAfter;
    }

    /** Instances held plus launches under way: what placement compares. */
    synchronized int load() {
        return held.size() + launching;
    }

    /** What a listing of {@code fleet} found on this engine (the engine's own ids). */
    synchronized void listed(String fleet, Collection<InstanceInfo> found) {
        held.values().removeIf(i -> i.fleet().equals(fleet));
        found.forEach(i -> held.put(i.id(), i));
    }

    /** The instances of {@code fleet} the last listing found, with launches and removals since. */
    synchronized List<InstanceInfo> lastKnown(String fleet) {
        return held.values().stream().filter(i -> i.fleet().equals(fleet)).toList();
    }

    /** Takes a place for one launch, or false when the engine is full. */
    synchronized boolean reserve() {
        if (held.size() + launching >= capacity) {
            return false;
        }
        launching++;
        return true;
    }

    /** Gives the place back; a launched instance ({@code launched} not null) is held from now on. */
    synchronized void release(InstanceInfo launched) {
        launching--;
        if (launched != null) {
            held.put(launched.id(), launched);
        }
    }

    synchronized void removed(String id) {
        held.remove(id);
    }

    /** A call failed because the engine did not answer: suspect from now, away once that lasts {@code awayAfter}. */
    synchronized void failed(RuntimeException e) {
        if (failingSince == null) {
            failingSince = clock.instant();
        }
        failure = e.getMessage();
    }

    /** A call succeeded: neither suspect nor away any more. */
    synchronized void answered() {
        failingSince = null;
        failure = null;
    }

    /** Whether the last call failed (within the grace or beyond it): new launches go elsewhere first. */
    synchronized boolean isSuspect() {
        return failingSince != null;
    }

    /** Whether the engine has failed without a success for at least {@code awayAfter}: its instances are left out. */
    synchronized boolean isAway() {
        return failingSince != null && !clock.instant().isBefore(failingSince.plus(awayAfter));
    }

    /** Why the last call failed, for messages; empty when it answered. */
    synchronized String failure() {
        return failure == null ? "" : failure;
    }

    String capacityText() {
        return capacity == Integer.MAX_VALUE ? "unlimited" : String.valueOf(capacity);
    }

    @Override
    public String toString() {
        return name + "(" + load() + "/" + capacityText() + (isAway() ? ", away" : isSuspect() ? ", suspect" : "") + ")";
    }
}
