package io.runnerfleet.spi;

import io.runnerfleet.Secret;
import java.util.Objects;

/**
 * A just-in-time runner configuration: the runner is registered already (with {@code runnerId}) and
 * starts with {@code run.sh --jitconfig} without calling {@code config.sh}.
 *
 * @param runnerId the id GitHub gave the runner
 * @param name the runner's name
 * @param encodedConfig the encoded configuration, never printed
 */
public record JitConfig(long runnerId, String name, Secret encodedConfig) implements RegistrationGrant {
    /** Checks every part is present. */
    public JitConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(encodedConfig, "encodedConfig");
    }
}
