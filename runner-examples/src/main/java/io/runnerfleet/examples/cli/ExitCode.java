package io.runnerfleet.examples.cli;

/**
 * The exit codes of {@code runnerfleet}, documented in its help.
 *
 * <pre>{@code
 * 0 ok, 1 failure, 2 usage, 3 configuration, 4 GitHub, 5 Docker, 6 refused (no confirmation)
 * }</pre>
 */
final class ExitCode {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int CONFIGURATION = 3;
    static final int GITHUB = 4;
    static final int DOCKER = 5;
    static final int REFUSED = 6;

    static final String HELP = "Exit codes: 0 ok, 1 failure, 2 usage error, 3 configuration missing or invalid,"
            + " 4 GitHub refused or unreachable, 5 Docker engine unavailable or failed, 6 not confirmed.";

    private ExitCode() {
    }

    /** The code for an exception that ended a command. */
    static int of(Throwable e) {
        if (e instanceof picocli.CommandLine.ParameterException) {
            return USAGE;
        }
        if (e instanceof io.runnerfleet.InvalidSpecException) {
            return CONFIGURATION;
        }
        if (e instanceof io.runnerfleet.RegistrationException) {
            return GITHUB;
        }
        if (e instanceof io.runnerfleet.BackendUnavailableException) {
            return DOCKER;
        }
        if (e instanceof RefusedException) {
            return REFUSED;
        }
        return FAILURE;
    }

    /** A destructive command that was not confirmed. */
    static final class RefusedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedException(String message) {
            super(message);
        }
    }
}
