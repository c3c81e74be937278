package io.runnerfleet.github.scaleset;

import io.runnerfleet.github.GitHubServiceException;
import java.io.Serializable;
import java.util.Optional;

/**
 * GitHub's Actions service refused a scale-set call, answered something unreadable, or did not answer.
 * Carries the HTTP status ({@code 0}: no answer was read), the operation, the service's exception
 * {@link #typeName()} and a correlation id to quote to GitHub support.
 *
 * <pre>{@code
 * try {
 *     scaleSets.createSession(set.id(), "host-1");
 * } catch (ScaleSetApiException.SessionConflict e) {
 *     // another listener owns the set: back off, never delete its session
 * }
 * }</pre>
 *
 * <p>The nested subtypes say what the caller can do. The service's exceptions are recognised by a
 * substring of their (assembly-qualified) type name, because their status codes are not documented:
 * {@code AgentExistsException} is {@link RunnerExists}, {@code RunnerScaleSetNotFoundException}
 * {@link ScaleSetNotFound}, {@code ...SessionConflictException} {@link SessionConflict},
 * {@code ...SessionExpiredException} {@link SessionNotFound}. {@code JobStillRunningException} becomes
 * core's {@link io.runnerfleet.RunnerBusyException} instead. Messages never contain a token or a JIT config.
 */
public non-sealed class ScaleSetApiException extends GitHubServiceException {
    private static final long serialVersionUID = 1L;

    // What GitHubServiceException does not keep: the service's type name, and whether it may have applied.
    private final Details details;

    ScaleSetApiException(Details d, String message, Throwable cause) {
        super(message, cause, d.status(), d.operation(), d.requestId());
        this.details = d;
    }

    /** The service's exception type name, e.g. {@code GitHub.Actions.Runtime.WebApi.AgentExistsException}. */
    public Optional<String> typeName() {
        return Optional.ofNullable(details.typeName());
    }

    /**
     * Whether the request may have taken effect although it failed: it was sent but no answer was read, or
     * the service answered 5xx. A non-idempotent call (creating a runner or a scale set) must then be
     * checked, not blindly repeated.
     */
    public boolean maybeApplied() {
        return details.maybeApplied();
    }

    /** The facts every failure carries; built by the HTTP layer. */
    record Details(int status, String operation, String typeName, String requestId, boolean maybeApplied)
            implements Serializable {
    }

    /** 401 or 403 on an admin call: the credentials or registration were refused. */
    public static final class Unauthorized extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;

        Unauthorized(Details d, String message) {
            super(d, message, null);
        }
    }

    /** 401 on a queue call (poll, acknowledge, acquire): refresh the session and try again. */
    public static final class QueueTokenExpired extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;

        QueueTokenExpired(Details d, String message) {
            super(d, message, null);
        }
    }

    /** 404: the object does not exist (any more). */
    public static class NotFound extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;

        NotFound(Details d, String message) {
            super(d, message, null);
        }
    }

    /** The scale set does not exist (any more): it was deleted on GitHub's side. */
    public static final class ScaleSetNotFound extends NotFound {
        private static final long serialVersionUID = 1L;

        ScaleSetNotFound(Details d, String message) {
            super(d, message);
        }
    }

    /** The message session expired or was evicted: open a new one. */
    public static final class SessionNotFound extends NotFound {
        private static final long serialVersionUID = 1L;

        SessionNotFound(Details d, String message) {
            super(d, message);
        }
    }

    /** Another owner holds the scale set's only session: back off; never delete another owner's session. */
    public static final class SessionConflict extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;

        SessionConflict(Details d, String message) {
            super(d, message, null);
        }
    }

    /** A runner with the requested name is registered already. */
    public static final class RunnerExists extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;
        private final String runnerName;

        RunnerExists(Details d, String message, String runnerName) {
            super(d, message, null);
            this.runnerName = runnerName;
        }

        /** The name that exists. */
        public String runnerName() {
            return runnerName;
        }
    }

    /** 409 for a reason other than a session conflict. */
    public static final class Conflict extends ScaleSetApiException {
        private static final long serialVersionUID = 1L;

        Conflict(Details d, String message) {
            super(d, message, null);
        }
    }
}
