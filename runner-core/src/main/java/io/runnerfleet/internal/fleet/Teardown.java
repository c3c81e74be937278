package io.runnerfleet.internal.fleet;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes one runner apart: deregisters it at GitHub, then removes its instance (deregister before
 * destroy, and a running job is never killed unless asked). Runs on worker threads holding the
 * runner's claim.
 */
final class Teardown {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");
    private static final int LOG_LINES_ON_FAILURE = 20;
    private static final Duration KILL_GRACE = Duration.ofSeconds(10);

    private final FleetContext fx;
    private final Slots slots;
    private final PendingDeregistrations deadRegistrations;

    Teardown(FleetContext fx, Slots slots, PendingDeregistrations deadRegistrations) {
        this.fx = fx;
        this.slots = slots;
        this.deadRegistrations = deadRegistrations;
    }

    /**
     * Deregisters (unless busy: a job is never killed here unless {@code kill}) and removes the instance.
     *
     * @throws RunnerBusyException when the runner is busy and not killed
     */
    void cleanup(ManagedRunner r, boolean keepVolumes, boolean kill) {
        String instanceId = r.instanceId;
        if (instanceId == null) {
            instanceId = fx.backend().instance(fx.fleet(), r.name).map(InstanceInfo::id).orElse(null);
        }
        if (kill && instanceId != null) {
            // Killing on purpose: the instance goes first. A stop signal lets the runner cancel its job and go
            // offline, so GitHub lets go of the registration; the grace bounds how long that may take.
            fx.backend().stop(instanceId, KILL_GRACE);
            fx.backend().remove(instanceId, keepVolumes);
            synchronized (r) {
                r.instanceId = null;
                r.engine = "";
            }
            instanceId = null;
        }
        RegisteredRunner reg = slots.registration(r.name);
        if (reg != null && reg.busy() && !kill && runs(instanceId)) {
            throw new RunnerBusyException(r.name, "runner " + r.name + " is running a job; it is left alone until the job ends");
        }
        if (reg != null) {
            deregister(r, reg, instanceId, kill);
        }
        if (instanceId != null) {
            fx.backend().remove(instanceId, keepVolumes);
        }
        synchronized (r) {
            r.instanceId = null;
            r.engine = "";
            r.githubId = 0;
            r.registeredEventSent = false;
        }
    }

    /**
     * Deregisters before the instance is destroyed. A job that started since the last look makes GitHub
     * refuse (422): that surfaces as RunnerBusyException and a live instance is left alone to finish it.
     * The registration of a dead (or just killed) instance is another matter: its job is lost anyway and
     * GitHub lets go once it notices the session is gone, so it is deleted on a later cycle instead.
     */
    private void deregister(ManagedRunner r, RegisteredRunner reg, String instanceId, boolean kill) {
        try {
            fx.registry().delete(reg);
        } catch (RunnerBusyException busy) {
            if (!kill && runs(instanceId)) {
                throw busy;
            }
            deadRegistrations.add(reg);
        }
        slots.forgetRegistration(r.name);
    }

    /** Whether the instance exists and runs (a fresh look: only asked when a job might be at stake). */
    private boolean runs(String instanceId) {
        return instanceId != null && fx.backend().instance(fx.fleet(), instanceId).map(InstanceInfo::running).orElse(false);
    }

    /** Deletes the JIT registration of a runner whose launch failed, so it does not stay as a ghost. */
    void deregisterQuietly(String name, long id) {
        try {
            fx.registry().delete(new RegisteredRunner(id, name, "", false, false, LabelSet.empty(), true));
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: could not deregister {} after a failed launch: {}", fx.fleet(), name, e.toString());
        }
    }

    /** The last lines of the runner's output, for a failure; empty when there is no instance or no log. */
    List<String> lastLogLines(ManagedRunner r) {
        String id = r.instanceId;
        if (id == null) {
            return List.of();
        }
        try (LogStream logs = fx.backend().logs(id, LogQuery.tail(LOG_LINES_ON_FAILURE))) {
            return logs.lines().toList();
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    static String describe(RuntimeException e) {
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return e instanceof RunnerFleetException ? what : e.getClass().getSimpleName() + ": " + what;
    }
}
