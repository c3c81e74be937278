package io.runnerfleet.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RegistrationMode;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerTemplate;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegistrationGrant;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerCommand;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Translates a {@link RunnerTemplate} into what GitHub and a backend are given for one runner: the
 * just-in-time configuration request, and the {@link LaunchSpec} with the real runner's command line
 * ({@code config.sh} arguments in token mode; none in JIT mode) and its registration as a secret.
 *
 * <pre>{@code
 * LaunchSpec spec = RunnerLaunch.spec(template, RunnerName.of("s1lqc", "qemu", 1), "s1lqc-runner:1",
 *         registry.registrationUrl(), registry.registrationToken());
 * }</pre>
 *
 * <p>In token mode the command is {@code config.sh --url U --name N [--labels L] --runnergroup G --work W
 * --unattended --replace [--ephemeral] [--disableupdate] [--no-default-labels]} then {@code run.sh}, with
 * the token only in the secret {@code ACTIONS_RUNNER_INPUT_TOKEN}; in JIT mode there is no configure step
 * and the config travels only in the secret {@code ACTIONS_RUNNER_INPUT_JITCONFIG}.
 */
public final class RunnerLaunch {
    private RunnerLaunch() {
    }

    /** The request for a just-in-time configuration of runner {@code name} in runner group {@code runnerGroupId}. */
    public static JitRequest jitRequest(RunnerTemplate template, RunnerName name, long runnerGroupId) {
        return new JitRequest(name.toString(), template.effectiveLabels(), runnerGroupId, template.workDirectory());
    }

    /**
     * The launch spec of runner {@code name} from {@code template}.
     *
     * @param imageReference the reference {@link io.runnerfleet.spi.RunnerBackend#prepare} returned
     * @param registrationUrl the registry's {@code registrationUrl()}
     * @param grant a {@link RegistrationToken} in token mode, a {@link JitConfig} for this runner in JIT mode
     * @throws InvalidSpecException if the grant does not fit the registration mode or the runner
     */
    public static LaunchSpec spec(RunnerTemplate template, RunnerName name, String imageReference, String registrationUrl,
                                  RegistrationGrant grant) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(grant, "grant");
        String runner = name.toString();
        Map<String, String> env = template.env();
        LaunchSpec.Builder spec = LaunchSpec.builder(name.fleet(), name.pool(), runner, imageReference)
                .env(env).volumes(template.volumes()).bindMounts(template.bindMounts()).devices(template.devices())
                .groups(template.groups()).resources(template.resources()).privileged(template.privileged())
                .dockerSocket(template.dockerSocket()).networkMode(template.networkMode()).user(template.user().orElse(null));
        if (!env.containsKey(RunnerTemplate.VERSION_DEPRECATED_EXIT_CODE)) {
            // Without it the listener reports a deprecated runner version as a plain terminated error (exit 0
            // after run-helper), and the fleet could not say that the image needs a newer runner.
            spec.env(RunnerTemplate.VERSION_DEPRECATED_EXIT_CODE, "1");
        }
        if (grant instanceof RegistrationToken token) {
            if (template.registrationMode() != RegistrationMode.TOKEN) {
                throw new InvalidSpecException("runner " + runner + " registers with JIT but was given a registration token; "
                        + "pass registry.jitConfig(template.jitRequest(...))");
            }
            if (registrationUrl == null || !registrationUrl.matches("https?://\\S+")) {
                throw new InvalidSpecException("runner " + runner + ": registration URL '" + registrationUrl
                        + "' is not an http(s) URL such as https://github.com/acme");
            }
            spec.command(new RunnerCommand(configureArgs(template, runner, registrationUrl), List.of()))
                    .secret("ACTIONS_RUNNER_INPUT_TOKEN", token.token());
        } else {
            JitConfig jit = (JitConfig) grant;
            if (template.registrationMode() != RegistrationMode.JIT) {
                throw new InvalidSpecException("runner " + runner + " registers with a token but was given a JIT config; "
                        + "pass registry.registrationToken()");
            }
            if (!jit.name().equals(runner)) {
                throw new InvalidSpecException("the JIT config is for runner " + jit.name() + ", not " + runner);
            }
            spec.command(new RunnerCommand(List.of(), List.of()))
                    .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", jit.encodedConfig());
        }
        return spec.build();
    }

    private static List<String> configureArgs(RunnerTemplate template, String runner, String registrationUrl) {
        List<String> args = new ArrayList<>(List.of("--url", registrationUrl, "--name", runner));
        if (!template.labels().isEmpty()) {
            args.addAll(List.of("--labels", template.labels().toCommaSeparated()));
        }
        args.addAll(List.of("--runnergroup", template.runnerGroup().name(), "--work", template.workDirectory(),
                "--unattended", "--replace"));
        if (template.ephemeral()) {
            args.add("--ephemeral");
        }
        if (template.disableUpdate()) {
            args.add("--disableupdate");
        }
        if (template.noDefaultLabels()) {
            args.add("--no-default-labels");
        }
        return args;
    }
}
