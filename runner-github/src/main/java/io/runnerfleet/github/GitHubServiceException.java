package io.runnerfleet.github;

import io.runnerfleet.RegistrationException;
import io.runnerfleet.github.scaleset.ScaleSetApiException;
import java.util.Optional;

/**
 * GitHub refused a call, answered something unreadable, or did not answer: what its REST API's
 * {@link GitHubApiException} and the Actions service's {@link ScaleSetApiException} have in common, for
 * a caller that handles both alike.
 *
 * <pre>{@code
 * try {
 *     autoscaler.start(fleet);
 * } catch (GitHubServiceException e) {
 *     log.warn("{} (status {}, request {})", e.getMessage(), e.status(), e.requestId().orElse("?"));
 * }
 * }</pre>
 *
 * <p>A status of {@code 0} means no HTTP answer was read at all (the connection failed, timed out or the
 * body was cut off). Messages never contain a token.
 */
public abstract sealed class GitHubServiceException extends RegistrationException
        permits GitHubApiException, ScaleSetApiException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String operation;
    private final String requestId;

    /** For the two subtypes only (the class is sealed). */
    protected GitHubServiceException(String message, Throwable cause, int status, String operation,
                                     String requestId) {
        super(message, cause);
        this.status = status;
        this.operation = operation;
        this.requestId = requestId;
    }

    /** The HTTP status of the answer, or {@code 0} when no answer was read. */
    public int status() {
        return status;
    }

    /** The operation that failed, e.g. {@code create a registration token}. */
    public String operation() {
        return operation;
    }

    /**
     * The id of the request to quote to GitHub support: the {@code x-github-request-id} header (the
     * Actions service's {@code ActivityId}), if one was sent.
     */
    public Optional<String> requestId() {
        return Optional.ofNullable(requestId);
    }
}
