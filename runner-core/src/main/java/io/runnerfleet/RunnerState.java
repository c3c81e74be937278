package io.runnerfleet;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The lifecycle state of one runner the fleet manages, derived from what the backend reports of its
 * instance and what GitHub reports of its registration.
 *
 * <pre>{@code
 * RunnerState state = new RunnerState.Failed("registration timed out after PT2M");
 * String text = state instanceof RunnerState.Failed failed ? "failed: " + failed.reason() : state.name();
 * new RunnerState.Idle().canGoTo(new RunnerState.Active());   // true: the transition table allows it
 * }</pre>
 *
 * <p>States change only through the transition table ({@link #canGoTo}, {@link #successors}); an
 * illegal change is a bug and raises {@link IllegalTransitionException}. The table is DESIGN §3's, plus
 * these edges that real runners need:
 * <ul>
 *   <li>{@code Idle -> Completed}: an ephemeral runner ran its whole job between two observations, so
 *       it was never seen Active;</li>
 *   <li>{@code Offline -> Completed}: an ephemeral runner's exit (code 0, registration gone) was first
 *       seen as a lost connection;</li>
 *   <li>{@code Active -> Removing}: {@code removeNow} kills the running job on purpose;</li>
 *   <li>{@code Draining -> Completed}: an ephemeral runner asked to drain finished its job and exited;</li>
 *   <li>{@code Offline -> Stopped}: stopping the fleet while a persistent runner is offline keeps its
 *       registration, like stopping an Idle one.</li>
 * </ul>
 * States are compared by kind and content: two {@code Idle()} are equal. {@code toString()} is the
 * name ({@code Idle}), plus the reason for {@code Failed}.
 */
public sealed interface RunnerState {

    /** The state's name as shown in tables: {@code Idle}, {@code Failed}, ... */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Whether the transition table allows going from this state to {@code next}. */
    default boolean canGoTo(RunnerState next) {
        return TransitionTable.allows(getClass(), Objects.requireNonNull(next, "next").getClass());
    }

    /** The names of the states this one may go to, in lifecycle order. */
    default List<String> successors() {
        return TransitionTable.successors(getClass());
    }

    /** Whether no state follows this one ({@link Removed}). */
    default boolean terminal() {
        return successors().isEmpty();
    }

    /** Wanted, nothing created yet. */
    record Requested() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** The image is being made ready and the instance created and started. */
    record Provisioning() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** The instance runs and its registration (token or JIT config) is issued; not online at GitHub yet. */
    record Registering() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Online and not busy (GitHub: Idle). */
    record Idle() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Online and running a job (GitHub: Active). */
    record Active() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Registered but not connected, or its instance died (GitHub: Offline). */
    record Offline() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Asked to stop: takes no new job; a running job may finish. */
    record Draining() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** The instance was stopped on purpose; the registration is kept. */
    record Stopped() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** An ephemeral runner finished its one job. */
    record Completed() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Being deregistered at GitHub, then its instance deleted. */
    record Removing() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /** Gone from GitHub and from the backend; terminal. */
    record Removed() implements RunnerState {
        @Override
        public String toString() {
            return name();
        }
    }

    /**
     * Given up on after the retry budget.
     *
     * @param reason why, for people (never a secret)
     * @param lastLogLines the instance's last output lines (at most {@value #MAX_LOG_LINES}, already redacted)
     */
    record Failed(String reason, List<String> lastLogLines) implements RunnerState {
        /** How many log lines a failure keeps. */
        public static final int MAX_LOG_LINES = 50;

        /** Checks the reason and keeps the last {@value #MAX_LOG_LINES} lines. */
        public Failed {
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("a Failed state needs a reason");
            }
            List<String> lines = new ArrayList<>(lastLogLines);
            lastLogLines = List.copyOf(lines.subList(Math.max(0, lines.size() - MAX_LOG_LINES), lines.size()));
        }

        /** A failure without log lines. */
        public Failed(String reason) {
            this(reason, List.of());
        }

        @Override
        public String toString() {
            return "Failed[" + reason + (lastLogLines.isEmpty() ? "" : ", " + lastLogLines.size() + " log lines") + "]";
        }
    }
}
