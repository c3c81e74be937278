package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registrations of runners whose instance is gone while GitHub still shows them busy: GitHub refuses to
 * delete them until it notices the session is gone (tens of seconds) and fails the job. They are kept here,
 * by id, and deleted on a later cycle from that cycle's own runner list, so they never block the slot
 * (which gets a new instance at once) and cost no extra request. Thread-safe.
 */
final class PendingDeregistrations {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final Map<Long, RegisteredRunner> byId = new ConcurrentHashMap<>();

    void add(RegisteredRunner registration) {
        byId.put(registration.id(), registration);
    }

    boolean isEmpty() {
        return byId.isEmpty();
    }

    boolean contains(RegisteredRunner registration) {
        return byId.containsKey(registration.id());
    }

    /** {@code registered} without the pending ones: they belong to no live runner, whatever their name. */
    Map<String, RegisteredRunner> hide(Map<String, RegisteredRunner> registered) {
        if (byId.isEmpty()) {
            return registered;
        }
        Map<String, RegisteredRunner> out = new HashMap<>(registered);
        out.values().removeIf(this::contains);
        return out;
    }

    /**
     * One pass against a fresh list: forgets the registrations that are gone (deleted, or replaced by
     * {@code config.sh --replace}), deletes those GitHub no longer shows busy, keeps the rest for later.
     *
     * @return the names deleted now
     */
    List<String> settle(Collection<RegisteredRunner> listed, RunnerRegistry registry) {
        if (byId.isEmpty()) {
            return List.of();
        }
        Map<Long, RegisteredRunner> current = new HashMap<>();
        listed.forEach(r -> current.put(r.id(), r));
        List<String> deleted = new java.util.ArrayList<>();
        for (Long id : List.copyOf(byId.keySet())) {
            RegisteredRunner now = current.get(id);
            if (now == null) {
                byId.remove(id);
            } else if (!now.busy()) {
                try {
                    registry.delete(now);
                    byId.remove(id);
                    deleted.add(now.name());
                } catch (RunnerBusyException stillBusy) {
                    // GitHub has not let go yet: the next cycle tries again.
                } catch (RuntimeException e) {
                    LOG.debug("deleting the registration of dead runner {} failed, retried next cycle: {}", now.name(), e.toString());
                }
            }
        }
        return deleted;
    }

    /**
     * Settles against a fresh list every {@code every} until nothing is pending or {@code timeout} passed
     * on the fleet's {@code clock} (one runner list per round: used only while a fleet is removed, on the
     * thread that removes it).
     *
     * @return the registrations still held by GitHub
     */
    List<String> awaitSettled(RunnerRegistry registry, Clock clock, Duration timeout, Duration every) {
        Instant deadline = clock.instant().plus(timeout);
        while (!byId.isEmpty()) {
            try {
                settle(registry.runners(), registry);
            } catch (RuntimeException e) {
                LOG.debug("listing runners to delete dead registrations failed: {}", e.toString());
            }
            if (byId.isEmpty() || clock.instant().isAfter(deadline)) {
                break;
            }
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return names();
    }

    /** The names still pending, for messages. */
    List<String> names() {
        return byId.values().stream().map(r -> r.name() + " (id " + r.id() + ")").sorted().toList();
    }
}
