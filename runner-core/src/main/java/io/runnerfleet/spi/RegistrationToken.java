package io.runnerfleet.spi;

import io.runnerfleet.Secret;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A registration token (for {@code config.sh --token}) and when it expires (GitHub: one hour).
 *
 * @param token the token, never printed
 * @param expiresAt when GitHub stops accepting it
 */
public record RegistrationToken(Secret token, Instant expiresAt) implements RegistrationGrant {
    /** Checks both parts are present. */
    public RegistrationToken {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** Whether the token is still good at {@code now} with at least {@code margin} to spare. */
    public boolean validAt(Instant now, Duration margin) {
        return now.plus(margin).isBefore(expiresAt);
    }
}
