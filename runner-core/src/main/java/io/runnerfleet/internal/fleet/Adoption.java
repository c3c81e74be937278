package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one cycle does with runners of this fleet that no slot holds: takes over those an earlier fleet
 * of this name left (by ownership label and GitHub name) into wanted slots, removes instances no slot
 * wants, and deletes ghosts (registered at GitHub, offline, no instance). Runs on the reconciler thread;
 * removals of strays go to workers.
 */
final class Adoption {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final FleetContext fx;
    private final Slots slots;

    Adoption(FleetContext fx, Slots slots) {
        this.fx = fx;
        this.slots = slots;
    }

    /** Takes over runners an earlier fleet of this name left, then removes the instances no slot wants. */
    void adopt(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered, Instant now, long observedAt) {
        // Removals older than this observation are settled: what it saw of those runners is real.
        slots.settleRemovals(observedAt);
        Map<String, String> names = new LinkedHashMap<>();
        instances.values().forEach(i -> names.put(Slots.key(i.runnerName()), i.runnerName()));
        registered.values().forEach(r -> names.putIfAbsent(Slots.key(r.name()), r.name()));
        List<String> poolNames = new ArrayList<>(slots.pools().keySet());
        // Lowest slots first: a pool with room for fewer runners than it finds keeps runner 1, not whichever the
        // engine listed first (persistent runners keep their names; the extras are the highest).
        List<Map.Entry<String, String>> byIndex = new ArrayList<>(names.entrySet());
        byIndex.sort(java.util.Comparator.comparingInt(e -> RunnerName.parse(fx.fleet(), poolNames, e.getValue())
                .map(RunnerName::index).orElse(Integer.MAX_VALUE)));
        for (Map.Entry<String, String> e : byIndex) {
            if (slots.byName(e.getValue()) != null || slots.removedSince(e.getValue())) {
                continue; // ours already, or removed after this observation was taken (it saw the runner going)
            }
            Optional<RunnerName> maybe = RunnerName.parse(fx.fleet(), poolNames, e.getValue());
            if (maybe.isEmpty()) {
                continue; // another fleet whose name starts like ours, or a hand-made runner: not ours to touch
            }
            RunnerName parsed = maybe.get();
            PoolPlan pool = slots.pool(parsed.pool());
            InstanceInfo inst = instances.get(e.getKey());
            RegisteredRunner reg = registered.get(e.getKey());
            if (inst == null) {
                continue; // left for removeGhosts (registration without instance)
            }
            RunnerState state = StateDerivation.adopted(new StateDerivation.Observation(inst, reg, pool.ephemeral()));
            ManagedRunner r = slots.adopt(pool, parsed, state, found -> {
                found.instanceId = inst.id();
                found.engine = inst.engine();
                found.launchedAt = inst.startedAt() != null ? inst.startedAt() : now;
                found.offlineSince = state instanceof RunnerState.Offline ? now : null;
                found.adoptedUnregistered = state instanceof RunnerState.Registering;
                found.registeredEventSent = reg != null;
            });
            if (r != null) {
                LOG.info("fleet {}: adopted runner {} ({})", fx.fleet(), r.name, state);
            }
            // else: the slot is taken or not wanted; removeStrays below
        }
        removeStrays(instances, registered);
    }

    // Instances of ours that no slot wants (excess after scaling down, pools that no longer exist) go.
    private void removeStrays(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered) {
        for (InstanceInfo inst : instances.values()) {
            if (slots.byName(inst.runnerName()) != null || slots.removedSince(inst.runnerName())) {
                continue;
            }
            RegisteredRunner reg = registered.get(Slots.key(inst.runnerName()));
            if (reg != null && reg.busy()) {
                continue; // never kill a job: it goes when the job ends
            }
            fx.workers().execute(() -> {
                try {
                    if (reg != null) {
                        fx.registry().delete(reg);
                    }
                    fx.backend().remove(inst.id(), false);
                    fx.events().onEvent(new FleetEvent.RunnerRemoved(inst.runnerName(), "not wanted by any pool of fleet "
                            + fx.fleet(), fx.clock().instant()));
                } catch (RuntimeException ex) {
                    LOG.warn("fleet {}: removing unwanted runner {} failed: {}", fx.fleet(), inst.runnerName(), ex.toString());
                }
            });
        }
    }

    /** Deletes registrations of this fleet that are offline, not busy, and have no instance and no runner acting on them. */
    void removeGhosts(Map<String, InstanceInfo> instances, Map<String, RegisteredRunner> registered) {
        for (RegisteredRunner reg : registered.values()) {
            if (reg.online() || reg.busy() || instances.containsKey(Slots.key(reg.name()))) {
                continue;
            }
            ManagedRunner r = slots.byName(reg.name());
            if (r != null && (r.claimed() || r.state() instanceof RunnerState.Provisioning)) {
                continue; // being created right now: its instance is on the way
            }
            if (r != null && r.live() && !(r.state() instanceof RunnerState.Requested)
                    && !(r.state() instanceof RunnerState.Failed)) {
                continue; // the runner's own step handles it
            }
            if (RunnerName.parse(fx.fleet(), slots.pools().keySet(), reg.name()).isEmpty()) {
                continue;
            }
            try {
                fx.registry().delete(reg);
                fx.events().onEvent(new FleetEvent.RunnerRemoved(reg.name(), "ghost: registered at GitHub, offline, no instance",
                        fx.clock().instant()));
            } catch (RuntimeException e) {
                LOG.warn("fleet {}: removing ghost {} failed: {}", fx.fleet(), reg.name(), e.toString());
            }
        }
    }
}
