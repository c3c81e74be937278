package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetTimeoutException;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes runners out of service on purpose: drains the runners beyond a pool's new count, drains every
 * runner when the fleet shuts down or is removed, and stops or starts one runner on request. Drains
 * deregister first and re-check busy, so a running job is never killed unless asked.
 */
final class Retiring {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.fleet");

    private final FleetContext fx;
    private final Slots slots;
    private final Teardown teardown;
    private final PendingDeregistrations deadRegistrations;
    private final Cycles cycles;
    private volatile boolean stopping;
    private volatile boolean killAll;

    Retiring(FleetContext fx, Slots slots, Teardown teardown, PendingDeregistrations deadRegistrations, Cycles cycles) {
        this.fx = fx;
        this.slots = slots;
        this.teardown = teardown;
        this.deadRegistrations = deadRegistrations;
        this.cycles = cycles;
    }

    /** Whether the fleet is shutting down (no more launches, adoption or scaling). */
    boolean stopping() {
        return stopping;
    }

    /** Makes drains in progress kill running jobs instead of waiting for them (from the next cycle on). */
    void escalateToKill() {
        killAll = true;
        fx.wake().run();
    }

    /**
     * Drains the runners of {@code plan} beyond its first {@code count}, cheapest to lose first (see
     * {@link Slots#chooseExtra}), each on a worker once its claim is free.
     */
    void retireExtra(PoolPlan plan, int count) {
        for (ManagedRunner r : slots.chooseExtra(plan, count)) {
            retireChosen(r, "pool " + plan.name() + " scaled down to " + count);
        }
    }

    /** Drains one runner already chosen to go ({@link ManagedRunner#leaving}), on a worker once its claim is free. */
    void retireChosen(ManagedRunner r, String reason) {
        onClaim(r, () ->
                // A retired runner's slot is gone: so are its volumes (nothing of the same name reuses them).
                retire(r, false, true, reason).exceptionally(e -> {
                    LOG.info("fleet {}: runner {} stays until its job ends: {}", fx.fleet(), r.name, cause(e).getMessage());
                    return null;
                }));
    }

    /**
     * Starts draining and removing one claimed runner: deregister first, re-check busy, then delete the
     * instance. With {@code kill}, a running job is killed. A busy runner stays Draining and is tried
     * again on each cycle, within the drain timeout.
     *
     * @return completes when the runner is removed; fails with {@link FleetTimeoutException} when it was
     *     still busy after the drain timeout (it is left running), or with what else went wrong
     */
    CompletableFuture<Void> retire(ManagedRunner r, boolean kill, boolean deleteVolumes, String reason) {
        RunnerState s = r.state();
        if (!r.live()) {
            return CompletableFuture.completedFuture(null);
        }
        if (s instanceof RunnerState.Requested) {
            r.lifecycle.transition(new RunnerState.Removed(), reason);
            return CompletableFuture.completedFuture(null);
        }
        if (s instanceof RunnerState.Idle || s instanceof RunnerState.Active) {
            r.lifecycle.transition(new RunnerState.Draining(), reason);
        }
        Instant deadline = fx.clock().instant().plus(fx.settings().drainTimeout());
        Drain d = r.drain;
        if (d == null) {
            d = new Drain(deadline, kill, deleteVolumes, reason);
            r.drain = d;
        } else {
            // Asked again while draining (a scale-down, then the fleet's removal): one drain, the stronger terms.
            d.deadline = deadline.isAfter(d.deadline) ? deadline : d.deadline;
            d.kill |= kill;
            d.deleteVolumes |= deleteVolumes;
            d.reason = reason;
        }
        attempt(r, d);
        return d.done;
    }

    /** Tries a drain in progress again, on a worker that takes over {@code r}'s claim. */
    void continueDrain(ManagedRunner r) {
        fx.workers().execute(() -> {
            try {
                Drain d = r.drain;
                if (d != null) {
                    attempt(r, d);
                }
            } finally {
                r.release();
                // A cycle at once only when the drain ended: a runner still busy is tried again at the polling
                // rate, not in a loop of cycles (each one a runner list at GitHub) until its job ends.
                if (r.drain == null) {
                    fx.wake().run();
                }
            }
        });
    }

    private void attempt(ManagedRunner r, Drain d) {
        try {
            if (!(r.state() instanceof RunnerState.Draining) && !(r.state() instanceof RunnerState.Removing)) {
                r.lifecycle.transition(new RunnerState.Removing(), d.reason);
            }
            // shutdownNow() during a drain turns the wait into a kill.
            teardown.cleanup(r, !d.deleteVolumes, d.kill || killAll);
            if (!(r.state() instanceof RunnerState.Removing)) {
                r.lifecycle.transition(new RunnerState.Removing(), d.reason);
            }
            r.lifecycle.transition(new RunnerState.Removed(), d.reason);
            fx.events().onEvent(new FleetEvent.RunnerRemoved(r.name, d.reason, fx.clock().instant()));
            end(r, d, null);
        } catch (RunnerBusyException busy) {
            if (fx.clock().instant().isAfter(d.deadline)) {
                end(r, d, new FleetTimeoutException("runner " + r.name + " of fleet " + fx.fleet() + " was still running a job"
                        + " after the drain timeout " + fx.settings().drainTimeout() + "; it was left running (use the ...Now"
                        + " variant to kill it)"));
            }
            // else: the next cycle tries again
        } catch (RegistrationException e) {
            // A passing refusal (a rate limit, GitHub's 5xx) is tried again on the next cycle within the deadline:
            // a fleet removed during a secondary rate limit must not give up on the runners it has not reached yet.
            if (e.permanent() || fx.clock().instant().isAfter(d.deadline)) {
                end(r, d, e);
            } else {
                LOG.debug("fleet {}: deregistering {} failed, trying again on the next cycle: {}", fx.fleet(), r.name,
                        e.getMessage());
            }
        } catch (RuntimeException e) {
            end(r, d, e);
        }
    }

    private static void end(ManagedRunner r, Drain d, RuntimeException failure) {
        r.drain = null;
        if (failure == null) {
            d.done.complete(null);
        } else {
            d.done.completeExceptionally(failure);
        }
    }

    /** Ends every drain in progress (the fleet is closing): whoever waits for one is told, nothing is left waiting. */
    void abandonDrains() {
        for (ManagedRunner r : slots.all()) {
            Drain d = r.drain;
            if (d != null) {
                end(r, d, new RunnerFleetException("fleet " + fx.fleet() + " was closed while runner " + r.name
                        + " was draining; it was left running"));
            }
        }
    }

    /** Drains every runner (in parallel, bounded) and waits for all; returns the runners left behind. */
    List<String> retireAll(boolean kill, boolean deleteVolumes, String reason) {
        stopping = true;
        killAll |= kill;
        List<CompletableFuture<Void>> done = new ArrayList<>();
        List<String> left = Collections.synchronizedList(new ArrayList<>());
        for (ManagedRunner r : slots.all()) {
            CompletableFuture<CompletableFuture<Void>> claimed = new CompletableFuture<>();
            onClaim(r, () -> {
                try {
                    if (r.state() instanceof RunnerState.Failed) {
                        r.lifecycle.transition(new RunnerState.Removing(), reason);
                        teardown.cleanup(r, !deleteVolumes, kill);
                        r.lifecycle.transition(new RunnerState.Removed(), reason);
                        claimed.complete(CompletableFuture.completedFuture(null));
                    } else {
                        claimed.complete(retire(r, kill, deleteVolumes, reason));
                    }
                } catch (RuntimeException e) {
                    claimed.complete(CompletableFuture.failedFuture(e));
                }
            }).exceptionally(refused -> {
                claimed.complete(CompletableFuture.failedFuture(cause(refused)));
                return null;
            });
            done.add(claimed.thenCompose(f -> f).exceptionally(e -> {
                left.add(r.name + ": " + cause(e).getMessage());
                return null;
            }));
        }
        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).join();
        sweep(kill, deleteVolumes, left);
        awaitDeadRegistrations(left);
        return List.copyOf(left);
    }

    private static Throwable cause(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    // Whatever an earlier fleet left that no slot adopted, and ghosts of our prefix.
    private void sweep(boolean kill, boolean deleteVolumes, List<String> left) {
        try {
            Map<String, RegisteredRunner> registrations = new HashMap<>();
            fx.registry().runners().forEach(reg -> registrations.put(Slots.key(reg.name()), reg));
            for (InstanceInfo inst : fx.backend().instances(fx.fleet())) {
                RegisteredRunner reg = registrations.get(Slots.key(inst.runnerName()));
                if (kill || reg == null || !reg.busy()) {
                    fx.backend().remove(inst.id(), !deleteVolumes);
                }
            }
            for (RegisteredRunner reg : registrations.values()) {
                if (!reg.busy() && !deadRegistrations.contains(reg)
                        && RunnerName.parse(fx.fleet(), slots.pools().keySet(), reg.name()).isPresent()) {
                    fx.registry().delete(reg);
                }
            }
            if (deleteVolumes) {
                fx.backend().removeVolumes(fx.fleet());   // of runners retired or lost earlier, whose instance is gone
            }
        } catch (RuntimeException e) {
            left.add("final sweep: " + e.getMessage());
        }
    }

    // Registrations of dead or killed runners go when GitHub lets go of them (it fails their jobs once it
    // notices the sessions are gone): waited for within the drain timeout.
    private void awaitDeadRegistrations(List<String> left) {
        List<String> held = deadRegistrations.awaitSettled(fx.registry(), fx.clock(), fx.settings().drainTimeout(),
                Duration.ofMillis(Math.min(1000, fx.settings().pollInterval().toMillis())));
        if (!held.isEmpty()) {
            left.add("GitHub still shows " + String.join(", ", held) + " busy after " + fx.settings().drainTimeout()
                    + " although its instance is gone; remove the fleet again once GitHub has failed the job");
        }
    }

    /** Stops one runner's instance, keeping its registration; a running job finishes first (within the drain timeout). */
    void stopRunner(String name, Duration grace) {
        ManagedRunner r = slots.require(name);
        requireClaim(r, () -> {
            RunnerState s = r.state();
            if (s instanceof RunnerState.Stopped) {
                return;
            }
            if (s instanceof RunnerState.Active) {
                r.lifecycle.transition(new RunnerState.Draining(), "stop requested while running a job");
                // Each cycle refreshes what GitHub says; this (the caller's) thread waits for it to say the job ended.
                boolean idle = cycles.await(fx.clock().instant().plus(fx.settings().drainTimeout()), "runner " + name
                        + " to finish its job", () -> !Optional.ofNullable(slots.registration(r.name)).map(RegisteredRunner::busy).orElse(false));
                if (!idle) {
                    throw new FleetTimeoutException("runner " + name + " still runs a job after " + fx.settings().drainTimeout());
                }
            }
            if (!(r.state() instanceof RunnerState.Idle) && !(r.state() instanceof RunnerState.Draining)
                    && !(r.state() instanceof RunnerState.Offline)) {
                throw new RunnerFleetException("runner " + name + " is " + r.state() + " and cannot be stopped now");
            }
            if (r.instanceId != null) {
                fx.backend().stop(r.instanceId, grace);
            }
            r.userStopped = true;
            r.lifecycle.transition(new RunnerState.Stopped(), "stopped on request");
        });
    }

    /** Starts a stopped runner's instance again. */
    void startRunner(String name) {
        ManagedRunner r = slots.require(name);
        requireClaim(r, () -> {
            if (!(r.state() instanceof RunnerState.Stopped)) {
                return;
            }
            r.userStopped = false;
            r.lifecycle.transition(new RunnerState.Provisioning(), "start requested");
            if (r.instanceId != null && fx.backend().instance(fx.fleet(), r.instanceId).isPresent()) {
                fx.backend().start(r.instanceId);
                synchronized (r) {
                    r.launchedAt = fx.clock().instant();
                }
                r.lifecycle.transition(new RunnerState.Registering(), "instance started again");
            } else {
                r.lifecycle.transition(new RunnerState.Failed("its instance is gone"), "instance gone");
            }
        });
        fx.wake().run();
    }

    private void requireClaim(ManagedRunner r, Runnable action) {
        if (!withClaim(r, action)) {
            throw new RunnerFleetException("interrupted waiting for runner " + r.name);
        }
    }

    /**
     * Waits for the right to act on {@code r} on the caller's own thread (never a worker's), runs
     * {@code action}, then releases the claim and asks for a cycle. Returns false, with the thread's
     * interrupt kept, when interrupted while waiting.
     */
    private boolean withClaim(ManagedRunner r, Runnable action) {
        try {
            r.claim();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        try {
            action.run();
        } finally {
            r.release();
            fx.wake().run();
        }
        return true;
    }

    /**
     * Runs {@code action} on a worker once {@code r}'s claim is free, then releases it and asks for a cycle.
     * No worker waits for the claim: its holder may be a task queued behind on the same bounded pool.
     */
    private CompletableFuture<Void> onClaim(ManagedRunner r, Runnable action) {
        return r.onClaim(fx.workers(), action).whenComplete((ok, failure) -> fx.wake().run());
    }
}
