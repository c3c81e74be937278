package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * GitHub (or another registry) refused or failed to issue a registration, list or delete runners: wrong credentials, missing permission, a name conflict. Nothing half-created is left behind when it is thrown.
 */
public class RegistrationException extends RunnerFleetException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message that names what failed and how to fix it. */
    public RegistrationException(String message) {
        super(message);
    }

    /** Creates the exception with a message and the underlying cause. */
    public RegistrationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * Whether the registry refused for good: bad credentials (401), a missing permission (403), an
     * organization or repository that does not exist for these credentials (404). The same request fails
     * the same way until someone fixes the cause, so a fleet fails the runner at once with this message
     * (and tries its slot again only after the failed-retry wait) instead of backing off as for an outage.
     * False here, for failures that pass (5xx, timeouts, rate limits); a registry's subclass overrides it.
     */
    public boolean permanent() {
        return false;
    }
}
