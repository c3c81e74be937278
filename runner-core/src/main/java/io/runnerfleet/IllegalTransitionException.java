package io.runnerfleet;

/**
 * A runner was asked to change state along an edge the lifecycle's transition table does not have.
 * This is a bug in whatever drove the change (usually the reconciler); the message names the runner,
 * both states, the cause given and the states that were allowed.
 *
 * <pre>{@code
 * try {
 *     lifecycle.transition(new RunnerState.Registering(), "relaunch");
 * } catch (IllegalTransitionException e) {
 *     e.from(); e.to();   // Idle, Registering
 * }
 * }</pre>
 */
public class IllegalTransitionException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final String runner;
    private final String from;
    private final String to;

    /** Creates the exception for {@code runner} going from {@code from} to {@code to} because of {@code cause}. */
    public IllegalTransitionException(String runner, RunnerState from, RunnerState to, String cause) {
        super("runner " + runner + " cannot go from " + from.name() + " to " + to.name() + " (cause: " + cause + "); "
                + (from.terminal() ? from.name() + " is terminal" : "from " + from.name() + " it may go to " + from.successors())
                + ". This is a bug in the code that drives the runner's lifecycle; please report it");
        this.runner = runner;
        this.from = from.name();
        this.to = to.name();
    }

    /** The runner. */
    public String runner() {
        return runner;
    }

    /** The state it was in. */
    public String from() {
        return from;
    }

    /** The state it was asked to go to. */
    public String to() {
        return to;
    }
}
