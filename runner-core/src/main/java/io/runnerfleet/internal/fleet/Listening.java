package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.InstanceEvent;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A runner's own word that it is online: a backend's {@link InstanceEvent.Kind#LISTENING} makes the runner
 * Idle at once by the {@link StateDerivation#heard} rule, on the event's thread, not after the next runner
 * list (nor behind a cycle waiting on a slow one). The list still confirms it.
 */
final class Listening {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final FleetContext fx;
    private final Slots slots;
    private final ScheduledExecutorService loop;
    private final BooleanSupplier closed;
    private final BooleanSupplier stopping;

    Listening(FleetContext fx, Slots slots, ScheduledExecutorService loop, BooleanSupplier closed, BooleanSupplier stopping) {
        this.fx = fx;
        this.slots = slots;
        this.loop = loop;
        this.closed = closed;
        this.stopping = stopping;
    }

    /** The runner of {@code event} said it is listening: remember which instance said so, and apply the rule. */
    void heard(InstanceEvent event) {
        ManagedRunner r = slots.byName(event.runnerName());
        if (r == null) {
            return;
        }
        synchronized (r) {
            r.listeningInstance = event.instanceId();
        }
        apply(r);
    }

    /**
     * Applies the listening rule under the runner's claim. The launch that printed the line may still hold the
     * claim: then again a poll interval later (a cycle would too, but only once a list answers), for as long as
     * the runner is on its way to Idle.
     */
    private void apply(ManagedRunner r) {
        if (closed.getAsBoolean()
                || !(r.state() instanceof RunnerState.Provisioning || r.state() instanceof RunnerState.Registering)) {
            return;
        }
        if (!r.tryClaim()) {
            loop.schedule(() -> apply(r), fx.settings().pollInterval().toMillis(), TimeUnit.MILLISECONDS);
            return;
        }
        try {
            StateDerivation.Decision d = StateDerivation.heard(r.state(), r.facts(fx.clock().instant(), stopping.getAsBoolean()));
            d.steps().forEach(s -> r.lifecycle.transition(s.to(), s.cause()));
        } catch (RuntimeException e) {
            LOG.warn("fleet {}: runner {}: {}", fx.fleet(), r.name, e.toString());
        } finally {
            r.release();
        }
    }
}
