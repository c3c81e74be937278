package io.runnerfleet;

/**
 * How a runner registers with GitHub.
 *
 * <pre>{@code
 * RunnerPool.builder("qemu").ephemeral(true);                                      // JIT, the default for ephemeral runners
 * RunnerPool.builder("qemu").ephemeral(true).registrationMode(RegistrationMode.TOKEN);
 * }</pre>
 *
 * <p>Just-in-time runners are single-use: {@link #JIT} requires an ephemeral runner. Persistent runners
 * use {@link #TOKEN}.
 */
public enum RegistrationMode {
    /**
     * The fleet asks GitHub for a just-in-time configuration for the named runner and starts
     * {@code run.sh} with it; no {@code config.sh} step, no registration token in the runner.
     */
    JIT,
    /**
     * The runner runs {@code config.sh --token ... --unattended --replace} with a registration token,
     * then {@code run.sh}.
     */
    TOKEN
}
