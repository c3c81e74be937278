package io.runnerfleet.testing;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerPlatform;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.Subscription;
import java.util.List;
import java.util.Objects;

/**
 * Plays the real runner between an {@link InMemoryBackend} and an {@link InMemoryRegistry}, so fleet
 * code can be tested end to end in memory: a launched instance registers (with its JIT config, or by
 * "running config.sh" with its token and arguments) and comes online; an instance that exits or is
 * removed goes offline; a finished job of an ephemeral runner deregisters it and ends its instance
 * with exit code 0.
 *
 * <pre>{@code
 * FakeRunners runners = FakeRunners.wire(backend, registry, "s1lqc");
 * InstanceInfo info = backend.launch(spec);        // registry now lists the runner as Idle
 * runners.startJob("s1lqc-qemu-1-k4f9z");          // Active
 * runners.finishJob("s1lqc-qemu-1-k4f9z");         // ephemeral: deregistered, instance exited 0
 * }</pre>
 *
 * <p>A registration the registry refuses (an expired token, an unknown JIT config) makes the instance
 * print the error and exit with code 1, as the real runner does. Output lines imitate the real runner's
 * ({@code Listening for Jobs}). Only instances of the wired fleet are played.
 */
public final class FakeRunners implements AutoCloseable {
    private final InMemoryBackend backend;
    private final InMemoryRegistry registry;
    private final String fleet;
    private final Subscription subscription;

    private FakeRunners(InMemoryBackend backend, InMemoryRegistry registry, String fleet) {
        this.backend = backend;
        this.registry = registry;
        this.fleet = fleet;
        backend.onLaunch(this::register);
        this.subscription = backend.events(fleet, this::onInstanceEvent);
    }

    /** Wires {@code backend}'s instances of {@code fleet} to {@code registry}. */
    public static FakeRunners wire(InMemoryBackend backend, InMemoryRegistry registry, String fleet) {
        return new FakeRunners(Objects.requireNonNull(backend, "backend"), Objects.requireNonNull(registry, "registry"),
                Objects.requireNonNull(fleet, "fleet"));
    }

    private void register(LaunchSpec spec) {
        if (!spec.fleet().equals(fleet)) {
            return;
        }
        InstanceInfo instance = backend.instanceOf(spec.runnerName()).orElseThrow();
        try {
            Secret jit = spec.secrets().get("ACTIONS_RUNNER_INPUT_JITCONFIG");
            Secret token = spec.secrets().get("ACTIONS_RUNNER_INPUT_TOKEN");
            if (jit != null) {
                registry.connect(jit);
            } else if (token != null && spec.command().configures()) {
                List<String> args = spec.command().configureArgs();
                String name = argument(args, "--name", spec.runnerName());
                LabelSet custom = LabelSet.parse(argument(args, "--labels", ""));
                LabelSet labels = args.contains("--no-default-labels") ? custom
                        : RunnerPlatform.LINUX_X64.defaultLabels().plus(custom);
                registry.configure(name, labels, token, args.contains("--ephemeral"));
                registry.markOnline(name);
                backend.output(instance.id(), "√ Runner successfully added", "√ Settings Saved.");
            } else {
                throw new RunnerFleetException("Runner is not configured.");
            }
            backend.output(instance.id(), "√ Connected to GitHub", "Listening for Jobs");
        } catch (RunnerFleetException e) {
            backend.output(instance.id(), "An error occurred: " + e.getMessage());
            backend.exit(instance.id(), 1);
        }
    }

    private static String argument(List<String> args, String option, String fallback) {
        int i = args.indexOf(option);
        return i >= 0 && i + 1 < args.size() ? args.get(i + 1) : fallback;
    }

    private void onInstanceEvent(InstanceEvent event) {
        if (event.kind() == InstanceEvent.Kind.EXITED || event.kind() == InstanceEvent.Kind.DESTROYED) {
            registry.runner(event.runnerName()).ifPresent(r -> registry.markOffline(r.name()));
        }
    }

    /** The runner takes a job: Active at GitHub. */
    public void startJob(String runnerName) {
        registry.markBusy(runnerName);
    }

    /**
     * The runner finishes its job: a persistent runner is Idle again; an ephemeral one is deregistered
     * by GitHub and its instance exits with code 0.
     */
    public void finishJob(String runnerName) {
        boolean ephemeral = registry.runner(runnerName).orElseThrow(
                () -> new IllegalArgumentException("no runner named " + runnerName + " is registered")).ephemeral();
        registry.completeJob(runnerName);
        if (ephemeral) {
            backend.instanceOf(runnerName).ifPresent(i -> backend.exit(i.id(), 0));
        }
    }

    /** Stops playing runners for new events (instances already registered stay so). */
    @Override
    public void close() {
        subscription.close();
    }
}
