package io.runnerfleet.github;

import java.io.Serializable;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * GitHub answered a request with an error, or with a body that could not be read. Carries what
 * GitHub said: the HTTP status, its message, {@code documentation_url} and {@code x-github-request-id}
 * (quote it when asking GitHub support), plus the scope and operation that failed.
 *
 * <pre>{@code
 * try {
 *     runners.delete(42);
 * } catch (GitHubApiException.NotFound e) {
 *     // already gone
 * } catch (GitHubApiException e) {
 *     log.warn("{} (request {})", e.getMessage(), e.requestId().orElse("?"));
 * }
 * }</pre>
 *
 * <p>The nested subtypes say what the caller can do: {@link Unauthorized} (fix the credentials),
 * {@link Forbidden} (grant {@link Forbidden#acceptedPermissions()}), {@link NotFound},
 * {@link Conflict}, {@link ValidationFailed} and {@link RateLimited} (wait until
 * {@link RateLimited#resetAt()}). A status of {@code 0} means no HTTP answer was read at all (the
 * connection failed, timed out or the body was cut off). Messages never contain a token.
 */
public non-sealed class GitHubApiException extends GitHubServiceException {
    private static final long serialVersionUID = 1L;

    // What GitHubServiceException does not keep: scope, GitHub's message and documentation URL.
    private final Details details;

    GitHubApiException(Details d, String message, Throwable cause) {
        super(message, cause, d.status(), d.operation(), d.requestId());
        this.details = d;
    }

    /** The scope the operation addressed, e.g. {@code organization acme}. */
    public String scope() {
        return details.scope();
    }

    /** GitHub's {@code message}, if the body had one. */
    public Optional<String> githubMessage() {
        return Optional.ofNullable(details.githubMessage());
    }

    /** GitHub's {@code documentation_url}, if the body had one. */
    public Optional<String> documentationUrl() {
        return Optional.ofNullable(details.documentationUrl());
    }

    /** The facts every GitHub error carries; built by the HTTP layer. */
    record Details(int status, String operation, String scope, String githubMessage, String documentationUrl,
                   String requestId) implements Serializable {
    }

    /** 401: the token is missing, wrong, revoked or expired. */
    public static final class Unauthorized extends GitHubApiException {
        private static final long serialVersionUID = 1L;

        Unauthorized(Details d, String message) {
            super(d, message, null);
        }

        /** True: the same request fails the same way until the cause is fixed. */
        @Override
        public boolean permanent() {
            return true;
        }
    }

    /** 403 (not a rate limit): the credentials lack a permission; GitHub may say which one. */
    public static final class Forbidden extends GitHubApiException {
        private static final long serialVersionUID = 1L;
        private final String acceptedPermissions;

        Forbidden(Details d, String message, String acceptedPermissions) {
            super(d, message, null);
            this.acceptedPermissions = acceptedPermissions;
        }

        /** True: the same request fails the same way until the permission is granted. */
        @Override
        public boolean permanent() {
            return true;
        }

        /** GitHub's {@code x-accepted-github-permissions} header, e.g. {@code administration=write}. */
        public Optional<String> acceptedPermissions() {
            return Optional.ofNullable(acceptedPermissions);
        }
    }

    /** 404: the scope, runner, group or label does not exist, or the credentials may not see it. */
    public static final class NotFound extends GitHubApiException {
        private static final long serialVersionUID = 1L;

        NotFound(Details d, String message) {
            super(d, message, null);
        }

        /** True: the same request fails the same way until the cause is fixed. */
        @Override
        public boolean permanent() {
            return true;
        }
    }

    /** 409: the request conflicts with GitHub's state (for example a runner name that exists). */
    public static final class Conflict extends GitHubApiException {
        private static final long serialVersionUID = 1L;

        Conflict(Details d, String message) {
            super(d, message, null);
        }
    }

    /** 422: GitHub rejected the request's content; {@link #errors()} lists its reasons. */
    public static final class ValidationFailed extends GitHubApiException {
        private static final long serialVersionUID = 1L;
        private final List<String> errors;

        ValidationFailed(Details d, String message, List<String> errors) {
            super(d, message, null);
            this.errors = List.copyOf(errors);
        }

        /** The {@code errors} GitHub listed, possibly empty. */
        public List<String> errors() {
            return errors;
        }
    }

    /**
     * 403 or 429 because a primary or secondary rate limit was hit and waiting for it was longer
     * than the client's bound ({@link RetrySettings#maxRateLimitWait()}) or retries ran out. With
     * status {@code 0} the request was not sent at all: an earlier answer asked the client to send
     * nothing before {@link #resetAt()}. Either way, call again after {@link #resetAt()}.
     */
    public static final class RateLimited extends GitHubApiException {
        private static final long serialVersionUID = 1L;
        private final Instant resetAt;
        private final boolean secondary;

        RateLimited(Details d, String message, Instant resetAt, boolean secondary) {
            super(d, message, null);
            this.resetAt = resetAt;
            this.secondary = secondary;
        }

        /** When GitHub accepts requests again (from {@code x-ratelimit-reset} or {@code retry-after}). */
        public Instant resetAt() {
            return resetAt;
        }

        /** Whether this was a secondary (abuse) limit rather than the hourly quota. */
        public boolean secondary() {
            return secondary;
        }
    }
}
