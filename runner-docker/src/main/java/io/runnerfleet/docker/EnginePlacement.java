package io.runnerfleet.docker;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which engine of a {@link MultiEngineBackend} gets a launch, and launches there. The pool's
 * engines are tried least loaded first (ties in the order they were declared), skipping full ones; an
 * engine whose last call failed (suspect or away) is tried only after those that answered, and an engine
 * that does not answer, or lacks one of the spec's devices, passes the launch on to the next. The
 * device check is the engine's own: it refuses the container when the device is missing on its host.
 * Engines found without a pool's device are tried last next time, so a board pool settles where its
 * board is without probing the others on every launch.
 */
final class EnginePlacement {
    private static final Logger LOG = LoggerFactory.getLogger(MultiEngineBackend.class);

    private final List<EngineMember> engines;
    private final Map<String, List<EngineMember>> pools;
    // Images made ready through the composite, by reference: prepared on an engine the first time it gets a launch.
    private final Map<String, RunnerImage> images = new ConcurrentHashMap<>();
    // Per pool, the engines where one of its devices was missing.
    private final Map<String, Set<String>> lacking = new ConcurrentHashMap<>();

    EnginePlacement(List<EngineMember> engines, Map<String, List<EngineMember>> pools) {
        this.engines = List.copyOf(engines);
        this.pools = Map.copyOf(pools);
    }

    /** The engines {@code pool} may run on, in declared order. */
    List<EngineMember> enginesOf(String pool) {
        return pools.getOrDefault(pool, engines);
    }

    void prepared(String reference, RunnerImage image, EngineMember on) {
        images.put(reference, image);
        on.prepared.add(reference);
    }

    /** Launches {@code spec} on the first engine that takes it; the result carries the engine's own id. */
    Placed launch(LaunchSpec spec) {
        Set<String> lackingHere = lacking.computeIfAbsent(spec.pool(), p -> ConcurrentHashMap.newKeySet());
        List<EngineMember> order = new ArrayList<>(enginesOf(spec.pool()));
        order.sort(Comparator.comparing((EngineMember m) -> lackingHere.contains(m.name))
                .thenComparing(EngineMember::isSuspect).thenComparing(EngineMember::load).thenComparing(m -> m.order));
        List<String> tried = new ArrayList<>();
        boolean waitable = false;
        for (EngineMember m : order) {
            if (!m.reserve()) {
                tried.add(m.name + " is full (" + m.capacityText() + " instances)");
                waitable = true;
                continue;
            }
            InstanceInfo info = null;
            try {
                ensureImage(m, spec.image());
                info = m.backend.launch(spec);
                m.answered();
                lackingHere.remove(m.name);
                return new Placed(m, info);
            } catch (BackendUnavailableException e) {
                m.failed(e);
                tried.add(m.name + " does not answer (" + e.getMessage() + ")");
                waitable = true;
            } catch (RuntimeException e) {
                String missing = missingDevice(e, spec);
                if (missing == null) {
                    throw e;
                }
                lackingHere.add(m.name);
                tried.add(m.name + " has no " + missing);
                LOG.debug("runner {}: engine {} has no device {}", spec.runnerName(), m.name, missing);
            } finally {
                m.release(info);
            }
        }
        String engineNames = order.stream().map(m -> m.name).collect(Collectors.joining(", "));
        if (!waitable && !spec.devices().isEmpty()) {
            throw new InvalidSpecException("runner " + spec.runnerName() + " needs device(s) " + hostPaths(spec)
                    + " but no engine of pool " + spec.pool() + " has them; engines checked: " + String.join("; ", tried)
                    + ". Plug the device in on one of them, or place the pool on the engine whose host has it");
        }
        throw new BackendUnavailableException("runner " + spec.runnerName() + " of pool " + spec.pool()
                + " cannot be placed on any of its engines (" + engineNames + ") now: " + String.join("; ", tried)
                + "; it waits until one answers or has room");
    }

    private void ensureImage(EngineMember m, String reference) {
        RunnerImage image = images.get(reference);
        if (image != null && !m.prepared.contains(reference)) {
            // The engine was away when the image was made ready, or joined since.
            m.backend.prepare(image, p -> { });
            m.prepared.add(reference);
        }
    }

    /**
     * The device a failed launch says is missing, or null when it failed for another reason. A backend that
     * checks devices on its own host names the path in an {@link InvalidSpecException}; an engine checking
     * them names it in its refusal to start the container.
     */
    static String missingDevice(RuntimeException e, LaunchSpec spec) {
        String text = e instanceof DockerEngineException d ? d.engineMessage() + " " + e.getMessage() : e.getMessage();
        if (text == null || !(e instanceof InvalidSpecException || e instanceof DockerEngineException)) {
            return null;
        }
        for (DeviceMapping d : spec.devices()) {
            if (text.contains(d.hostPath())) {
                return d.hostPath();
            }
        }
        return null;
    }

    private static String hostPaths(LaunchSpec spec) {
        return spec.devices().stream().map(DeviceMapping::hostPath).collect(Collectors.joining(", "));
    }

    /** A launch and the engine that took it. */
    record Placed(EngineMember engine, InstanceInfo info) {
    }
}
