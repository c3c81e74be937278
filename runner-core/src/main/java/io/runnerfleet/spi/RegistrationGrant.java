package io.runnerfleet.spi;

/**
 * What a runner needs to register: a {@link RegistrationToken} (for {@code config.sh --token}) or a
 * {@link JitConfig} (for {@code run.sh --jitconfig}). Both hold their secret as a
 * {@link io.runnerfleet.Secret} that never prints.
 *
 * <pre>{@code
 * RegistrationGrant grant = template.registrationMode() == RegistrationMode.JIT
 *         ? registry.jitConfig(template.jitRequest(name, groupId))
 *         : registry.registrationToken();
 * }</pre>
 */
public sealed interface RegistrationGrant permits RegistrationToken, JitConfig {
}
