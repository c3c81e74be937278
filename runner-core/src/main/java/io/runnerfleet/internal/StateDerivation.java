package io.runnerfleet.internal;

import io.runnerfleet.RunnerExit;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import java.util.Optional;

/**
 * Derives the next lifecycle state of a runner from the two observed axes (DESIGN §3): its instance,
 * as the backend reports it, and its registration, as GitHub reports it. A pure function: it proposes
 * at most one step, always along an edge of the transition table, and leaves the actions (restart,
 * replace, remove, the retry budget) to the reconciler.
 *
 * <pre>{@code
 * StateDerivation.next(lifecycle.state(), new StateDerivation.Observation(instance, registration, ephemeral))
 *     .ifPresent(step -> lifecycle.transition(step.to(), step.cause()));
 * }</pre>
 *
 * <p>Rules, by current state:
 * <ul>
 *   <li>Provisioning: a running instance means Registering.</li>
 *   <li>Registering: online means Idle (Active when busy); an instance that exited with a code whose
 *       {@link RunnerExit#action()} is FAIL means Failed.</li>
 *   <li>Idle, Active: online follows busy (Idle / Active); an ephemeral runner whose instance exited
 *       with 0 is Completed; otherwise an instance that is gone or not running, or a registration that
 *       is gone or offline, means Offline.</li>
 *   <li>Offline: back online means Idle / Active; an ephemeral runner whose instance exited with 0 is
 *       Completed; an exit whose action is FAIL means Failed.</li>
 *   <li>Draining: an ephemeral runner whose instance exited with 0 is Completed; a stopped instance
 *       means Stopped.</li>
 *   <li>Removing: neither instance nor registration left means Removed.</li>
 *   <li>Requested, Stopped, Completed, Removed, Failed: nothing; the reconciler acts.</li>
 * </ul>
 */
public final class StateDerivation {
    private StateDerivation() {
    }

    /**
     * What was observed of one runner.
     *
     * @param instance its instance, or null when the backend has none
     * @param registration its registration, or null when GitHub has none
     * @param ephemeral whether the runner is ephemeral
     */
    public record Observation(InstanceInfo instance, RegisteredRunner registration, boolean ephemeral) {
        boolean running() {
            return instance != null && instance.running();
        }

        boolean online() {
            return registration != null && registration.online();
        }

        boolean exited() {
            return instance != null && !instance.running() && instance.exitCode() != null;
        }

        RunnerExit exit() {
            return RunnerExit.of(instance.exitCode());
        }

        boolean completed() {
            return ephemeral && exited() && exit() == RunnerExit.SUCCESS;
        }

        String exitCause() {
            return "instance exited with " + RunnerExit.describe(instance.exitCode())
                    + (instance.oomKilled() ? ", killed for memory" : "");
        }
    }

    /**
     * One proposed step.
     *
     * @param to the state to go to
     * @param cause why, for the {@code StateChanged} event
     */
    public record Step(RunnerState to, String cause) {
    }

    /** The step the observation calls for from {@code current}, or empty when the state stands. */
    public static Optional<Step> next(RunnerState current, Observation o) {
        Step step = null;
        if (current instanceof RunnerState.Provisioning) {
            if (o.running()) {
                step = new Step(new RunnerState.Registering(), "instance running");
            }
        } else if (current instanceof RunnerState.Registering) {
            if (o.online()) {
                step = onlineStep(o);
            } else if (o.exited() && o.exit().action() == RunnerExit.Action.FAIL) {
                step = new Step(new RunnerState.Failed(o.exitCause() + " before the runner came online"), o.exitCause());
            }
        } else if (current instanceof RunnerState.Idle || current instanceof RunnerState.Active) {
            if (o.completed()) {
                step = new Step(new RunnerState.Completed(), o.exitCause() + " after its job");
            } else if (o.instance() == null) {
                step = new Step(new RunnerState.Offline(), "instance gone");
            } else if (!o.running()) {
                step = new Step(new RunnerState.Offline(), o.exited() ? o.exitCause() : "instance " + o.instance().state());
            } else if (o.registration() == null) {
                step = new Step(new RunnerState.Offline(), "registration gone at GitHub");
            } else if (!o.online()) {
                step = new Step(new RunnerState.Offline(), "GitHub reports the runner offline");
            } else {
                step = onlineStep(o);
            }
        } else if (current instanceof RunnerState.Offline) {
            if (o.completed()) {
                step = new Step(new RunnerState.Completed(), o.exitCause() + " after its job");
            } else if (o.running() && o.online()) {
                step = onlineStep(o);
            } else if (o.exited() && o.exit().action() == RunnerExit.Action.FAIL) {
                step = new Step(new RunnerState.Failed(o.exitCause()), o.exitCause());
            }
        } else if (current instanceof RunnerState.Draining) {
            if (o.completed()) {
                step = new Step(new RunnerState.Completed(), o.exitCause() + " after its job");
            } else if (o.instance() != null && !o.running()) {
                step = new Step(new RunnerState.Stopped(), "instance stopped while draining");
            }
        } else if (current instanceof RunnerState.Removing) {
            if (o.instance() == null && o.registration() == null) {
                step = new Step(new RunnerState.Removed(), "instance and registration gone");
            }
        }
        if (step == null || step.to().getClass() == current.getClass()) {
            return Optional.empty();
        }
        return Optional.of(step);
    }

    private static Step onlineStep(Observation o) {
        return o.registration().busy()
                ? new Step(new RunnerState.Active(), "GitHub reports the runner busy")
                : new Step(new RunnerState.Idle(), "GitHub reports the runner online and idle");
    }
}
