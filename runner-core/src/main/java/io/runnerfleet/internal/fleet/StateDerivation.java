package io.runnerfleet.internal.fleet;

import io.runnerfleet.RunnerExit;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Instant;
import java.util.List;

/**
 * The lifecycle rules of one runner in one place: from its current state, what was observed of it (its
 * instance, as the backend reports it, and its registration, as GitHub reports it) and a few remembered
 * facts, the state changes to make and the one action to take. A pure function: the reconciler applies a
 * {@link Decision}, adoption asks {@link #adopted} which state a found runner starts in, and the loop asks
 * {@link #converging} how often to look.
 *
 * <pre>{@code
 * Decision d = StateDerivation.decide(r.state(), new Observation(instance, registration, ephemeral), facts, settings);
 * d.steps().forEach(step -> lifecycle.transition(step.to(), step.cause()));
 * }</pre>
 *
 * <p>Rules, by current state (every step is an edge of the transition table):
 * <ul>
 *   <li>Requested: launch once the backoff has passed; while the fleet shuts down, Removed.</li>
 *   <li>Registering: online means Idle (Active when busy); so does the runner's own word that it is
 *       listening for jobs (a {@code LISTENING} instance event, see {@link #heard}), with GitHub's list as the
 *       confirmation; an ephemeral runner that exited 0 took a short job between two looks (Active,
 *       Completed, finish); a vanished or exited instance fails (a deprecated runner version for good); an
 *       adopted runner unregistered past the adoption grace is renewed; one not online within the
 *       registration timeout fails as an orphan.</li>
 *   <li>Idle, Active: online follows busy; a runner Idle on its own word alone waits for GitHub's list to
 *       show it online and, when the list has not within the registration timeout, goes Offline and fails as
 *       an orphan; an ephemeral runner whose instance exited 0 is Completed; an instance gone or stopped
 *       means Offline, then a failure when its exit code's action is FAIL, else a replacement; a deleted
 *       registration means Offline and, for a persistent runner, a replacement (an ephemeral one is
 *       deregistered by GitHub a moment before it exits 0); offline at GitHub means Offline.</li>
 *   <li>Offline: back online means Idle / Active; a finished ephemeral runner on its way out is waited for
 *       (within the registration timeout); past that, or with the instance down or the registration gone,
 *       an ephemeral exit 0 is Completed, an exit whose action is FAIL fails, anything else is replaced.</li>
 *   <li>Completed: finish (remove it). Failed: the slot is tried again after {@link FleetSettings#failedRetry()},
 *       unless the failure is permanent or the fleet shuts down.</li>
 *   <li>Provisioning, Draining, Stopped, Removing, Removed: nothing; the task or operation holding the
 *       runner acts.</li>
 * </ul>
 * A replacement relaunches a persistent runner in place (Provisioning) and renews an ephemeral one (a new
 * runner, with a new name, in its slot).
 */
final class StateDerivation {
    private StateDerivation() {
    }

    /**
     * What was observed of one runner in one cycle.
     *
     * @param instance its instance, or null when the backend has none
     * @param registration its registration, or null when GitHub has none
     * @param ephemeral whether the runner is ephemeral
     */
    record Observation(InstanceInfo instance, RegisteredRunner registration, boolean ephemeral) {
        boolean running() {
            return instance != null && instance.running();
        }

        boolean online() {
            return registration != null && registration.online();
        }

        boolean busy() {
            return registration != null && registration.busy();
        }

        /** An ephemeral runner whose instance ended with 0: it did its one job. */
        boolean finished() {
            return ephemeral && instance != null && !instance.running() && Integer.valueOf(0).equals(instance.exitCode());
        }

        /** The instance exited with a code whose {@link RunnerExit#action()} is FAIL (not worth a plain restart). */
        boolean exitSaysFail() {
            return instance != null && !instance.running() && instance.exitCode() != null
                    && RunnerExit.of(instance.exitCode()).action() == RunnerExit.Action.FAIL;
        }
    }

    /**
     * What the fleet remembers of one runner, beyond its state.
     *
     * @param now the time of the observation
     * @param stopping whether the fleet is shutting down
     * @param pool the runner's pool, for causes
     * @param failures failures of this slot so far
     * @param nextAttempt not launched before this
     * @param launchedAt when its instance was launched (or adopted), or null
     * @param offlineSince when it went Offline, or null
     * @param adoptedUnregistered adopted from an earlier process while not yet registered
     * @param failedAt when it became Failed, or null
     * @param permanentFailure whether it failed the same way it always will
     * @param listening its current instance said it is listening for jobs, and GitHub has not listed it online yet
     */
    record Facts(Instant now, boolean stopping, String pool, int failures, Instant nextAttempt, Instant launchedAt,
                 Instant offlineSince, boolean adoptedUnregistered, Instant failedAt, boolean permanentFailure,
                 boolean listening) {
    }

    /**
     * One state change.
     *
     * @param to the state to go to
     * @param cause why, for the {@code StateChanged} event
     */
    record Step(RunnerState to, String cause) {
    }

    /** What the reconciler does after the steps. */
    enum Action {
        /** Nothing this cycle. */
        NONE,
        /** Online at GitHub: reset the failure count and idle clock, tell that it registered. */
        ONLINE,
        /** Launch the runner (from Requested). */
        LAUNCH,
        /** Launch a persistent runner again in place, after removing what is left of it. */
        RELAUNCH,
        /** Remove the runner and put a new one in its slot at once (not a failure). */
        RENEW,
        /** Remove it as failed: retried with backoff, or Failed once the budget is spent. */
        FAIL,
        /** It did its job: remove it. */
        FINISH
    }

    /**
     * The rules' answer for one runner.
     *
     * @param steps the state changes, in order (often none)
     * @param action what to do next
     * @param reason why (the failure's or the replacement's reason), or null
     * @param failure how a {@link Action#FAIL} counts, or null
     */
    record Decision(List<Step> steps, Action action, String reason, Failures failure) {
        static final Decision NONE = new Decision(List.of(), Action.NONE, null, null);

        Decision {
            steps = List.copyOf(steps);
        }

        private Decision then(Decision next) {
            List<Step> all = new java.util.ArrayList<>(steps);
            all.addAll(next.steps);
            return new Decision(all, next.action, next.reason, next.failure);
        }
    }

    /** The decision for a runner in {@code current}, given the observation and what is remembered of it. */
    static Decision decide(RunnerState current, Observation o, Facts f, FleetSettings settings) {
        if (current instanceof RunnerState.Requested) {
            if (f.stopping()) {
                return steps(step(new RunnerState.Removed(), "fleet is shutting down"));
            }
            if (f.now().isBefore(f.nextAttempt())) {
                return Decision.NONE;
            }
            return new Decision(List.of(step(new RunnerState.Provisioning(), f.failures() == 0 ? "wanted by pool " + f.pool()
                    : "retry " + (f.failures() + 1) + " after " + f.failures() + " failure(s)")), Action.LAUNCH, null, null);
        }
        if (current instanceof RunnerState.Registering) {
            return registering(o, f, settings);
        }
        if (current instanceof RunnerState.Idle || current instanceof RunnerState.Active) {
            return online(current, o, f, settings);
        }
        if (current instanceof RunnerState.Offline) {
            return offline(o, f, settings);
        }
        if (current instanceof RunnerState.Completed) {
            return act(Action.FINISH, null);
        }
        if (current instanceof RunnerState.Failed && !f.stopping() && !f.permanentFailure() && f.failedAt() != null
                && f.now().isAfter(f.failedAt().plus(settings.failedRetry()))) {
            return act(Action.RENEW, "trying the failed runner's slot again after " + settings.failedRetry());
        }
        return Decision.NONE;
    }

    private static Decision registering(Observation o, Facts f, FleetSettings settings) {
        InstanceInfo inst = o.instance();
        if (o.online()) {
            return becomeOnline(new RunnerState.Registering(), o, "online at GitHub");
        }
        if (inst == null) {
            return fail("its instance disappeared before the runner registered", Failures.COUNTED);
        }
        if (o.finished()) {
            // A short job fits between two observations: the runner connected, ran it and exited 0.
            return new Decision(List.of(step(new RunnerState.Active(), "took a job before it was seen online"),
                    step(new RunnerState.Completed(), "ephemeral runner finished its job")), Action.FINISH, null, null);
        }
        if (!o.running()) {
            return failOnExit(inst, " before the runner registered");
        }
        if (f.listening()) {
            return heard(new RunnerState.Registering(), f);
        }
        if (f.adoptedUnregistered() && f.now().isAfter(f.launchedAt().plus(settings.adoptionGrace()))) {
            return act(Action.RENEW, "adopted unregistered after " + settings.adoptionGrace() + ": the process that"
                    + " launched it is gone, so its registration may never be handed over");
        }
        if (f.launchedAt() != null && f.now().isAfter(f.launchedAt().plus(settings.registrationTimeout()))) {
            return fail("the runner did not come online at GitHub within " + settings.registrationTimeout()
                    + " (orphan instance)", Failures.COUNTED);
        }
        return Decision.NONE;
    }

    private static Decision online(RunnerState current, Observation o, Facts f, FleetSettings settings) {
        InstanceInfo inst = o.instance();
        if (!o.running()) {
            if (o.finished()) {
                return completed();
            }
            Decision offline = steps(step(new RunnerState.Offline(), inst == null ? "its instance disappeared"
                    : "its instance exited with code " + inst.exitCode()));
            return offline.then(o.exitSaysFail() ? failOnExit(inst, "") : replace(o, "instance not running"));
        }
        if (f.listening() && !o.online()) {
            // Idle on its own word: the list is late, not a sign of loss, until the registration timeout says the
            // runner never reached GitHub (a ghost that prints the line but holds no session must not stay Idle).
            if (f.launchedAt() != null && f.now().isAfter(f.launchedAt().plus(settings.registrationTimeout()))) {
                String why = "the runner said it was listening for jobs but GitHub did not list it online within "
                        + settings.registrationTimeout() + " (orphan instance)";
                return steps(step(new RunnerState.Offline(), why)).then(fail(why, Failures.COUNTED));
            }
            return Decision.NONE;
        }
        if (o.registration() == null) {
            Decision offline = steps(step(new RunnerState.Offline(), "its registration was deleted at GitHub"));
            // GitHub deletes an ephemeral runner's registration when its job ends, a moment before the
            // process exits 0: wait for that exit (Offline, bounded) instead of replacing it.
            return o.ephemeral() ? offline : offline.then(replace(o, "registration deleted at GitHub"));
        }
        if (!o.online()) {
            return steps(step(new RunnerState.Offline(), "offline at GitHub"));
        }
        return becomeOnline(current, o, o.busy() ? "took a job" : "finished its job");
    }

    private static Decision offline(Observation o, Facts f, FleetSettings settings) {
        InstanceInfo inst = o.instance();
        boolean running = o.running();
        if (running && o.online()) {
            return becomeOnline(new RunnerState.Offline(), o, "back online at GitHub");
        }
        boolean overdue = f.offlineSince() == null || f.now().isAfter(f.offlineSince().plus(settings.registrationTimeout()));
        if (running && o.registration() == null && o.ephemeral() && !overdue) {
            return Decision.NONE;   // a finished ephemeral runner on its way out (see online())
        }
        if (!running || o.registration() == null || overdue) {
            if (o.finished()) {
                return completed();
            }
            if (o.exitSaysFail()) {
                return failOnExit(inst, "");
            }
            return replace(o, !running ? "instance not running" : o.registration() == null ? "registration gone"
                    : "offline for longer than " + settings.registrationTimeout());
        }
        return Decision.NONE;
    }

    /**
     * The decision when a runner's instance says it is listening for jobs ({@link Facts#listening()}): a
     * Registering runner is Idle at once, without waiting for GitHub's list, which confirms it later
     * ({@link Action#ONLINE}, when the registration's id becomes known) or, by {@link #online}'s rule, never.
     */
    static Decision heard(RunnerState current, Facts f) {
        if (current instanceof RunnerState.Registering && f.listening()) {
            return steps(step(new RunnerState.Idle(), "listening for jobs (its instance says so; GitHub's list confirms)"));
        }
        return Decision.NONE;
    }

    /** The state a runner found by adoption starts in; {@code o} has an instance. */
    static RunnerState adopted(Observation o) {
        if (o.running() && o.online()) {
            return o.busy() ? new RunnerState.Active() : new RunnerState.Idle();
        }
        return o.running() ? new RunnerState.Registering() : new RunnerState.Offline();
    }

    /**
     * Whether a runner in {@code state} is on its way somewhere (being created, registering, offline,
     * draining, finishing or being removed): the fleet then looks at the converging rate.
     */
    static boolean converging(RunnerState state) {
        return state instanceof RunnerState.Requested || state instanceof RunnerState.Provisioning
                || state instanceof RunnerState.Registering || state instanceof RunnerState.Offline
                || state instanceof RunnerState.Draining || state instanceof RunnerState.Completed
                || state instanceof RunnerState.Removing;
    }

    private static Decision becomeOnline(RunnerState current, Observation o, String cause) {
        RunnerState want = o.busy() ? new RunnerState.Active() : new RunnerState.Idle();
        List<Step> steps = current.getClass().equals(want.getClass()) ? List.of() : List.of(step(want, cause));
        return new Decision(steps, Action.ONLINE, null, null);
    }

    private static Decision completed() {
        return new Decision(List.of(step(new RunnerState.Completed(), "ephemeral runner finished its job")),
                Action.FINISH, null, null);
    }

    /** One job per ephemeral runner: a new one, with a new name, takes the slot; a persistent one relaunches. */
    private static Decision replace(Observation o, String why) {
        if (o.ephemeral()) {
            return act(Action.RENEW, why);
        }
        return new Decision(List.of(step(new RunnerState.Provisioning(), "replacing: " + why)), Action.RELAUNCH, why, null);
    }

    /**
     * A failure of a runner whose instance exited: retried with backoff up to the failure budget, except a
     * deprecated runner version, which fails the same way every time (the image needs a newer runner).
     */
    private static Decision failOnExit(InstanceInfo inst, String when) {
        int code = inst.exitCode() == null ? -1 : inst.exitCode();
        String reason = "its instance exited with " + RunnerExit.describe(code) + when
                + (Boolean.TRUE.equals(inst.oomKilled()) ? " (killed for memory)" : "");
        return fail(reason, RunnerExit.of(code) == RunnerExit.VERSION_DEPRECATED ? Failures.PERMANENT : Failures.COUNTED);
    }

    private static Decision fail(String reason, Failures kind) {
        return new Decision(List.of(), Action.FAIL, reason, kind);
    }

    private static Decision act(Action action, String reason) {
        return new Decision(List.of(), action, reason, null);
    }

    private static Decision steps(Step... steps) {
        return new Decision(List.of(steps), Action.NONE, null, null);
    }

    private static Step step(RunnerState to, String cause) {
        return new Step(to, cause);
    }
}
