package io.runnerfleet.docker;

import io.runnerfleet.RunnerFleetException;

/**
 * A container (or volume) with the name a runner needs exists already. When it lacks Runner Fleet's
 * ownership labels ({@link #foreign()}) the backend never touches it: rename or remove it yourself,
 * or choose another fleet or runner name. When it is the fleet's own, remove it (or start it) first.
 *
 * <pre>{@code
 * try {
 *     backend.launch(spec);
 * } catch (ContainerConflictException e) {
 *     if (e.foreign()) { ... } // someone else's container: leave it alone
 * }
 * }</pre>
 */
public class ContainerConflictException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final String name;
    private final boolean foreign;

    /** Creates the exception for the conflicting name. */
    public ContainerConflictException(String name, boolean foreign, String message) {
        super(message);
        this.name = name;
        this.foreign = foreign;
    }

    /** The conflicting container or volume name. */
    public String name() {
        return name;
    }

    /** Whether the existing object lacks Runner Fleet's ownership labels. */
    public boolean foreign() {
        return foreign;
    }
}
