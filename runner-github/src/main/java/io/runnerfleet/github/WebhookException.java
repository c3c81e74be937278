package io.runnerfleet.github;

import io.runnerfleet.RunnerFleetException;

/**
 * A webhook delivery was rejected: its {@code X-Hub-Signature-256} is missing, malformed or wrong, or
 * its body is not a {@code workflow_job} event. Answer such a delivery with 400 (bad body) or 401
 * (bad signature); {@link #signatureProblem()} tells which.
 */
public final class WebhookException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;
    private final boolean signatureProblem;

    WebhookException(String message, boolean signatureProblem) {
        super(message);
        this.signatureProblem = signatureProblem;
    }

    /** Whether the signature (rather than the body) was at fault. */
    public boolean signatureProblem() {
        return signatureProblem;
    }
}
