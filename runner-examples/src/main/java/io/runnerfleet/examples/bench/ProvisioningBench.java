package io.runnerfleet.examples.bench;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.testkit.BusyboxBaseImage;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The provisioning benchmark on the local Docker engine: a fleet's {@code start()} to all-Idle against
 * two references measured in the same run, the floor (the same containers launched in parallel
 * through the backend, no GitHub) and the {@code runner.sh} flow (per runner in turn: a throw-away
 * container checking for {@code .runner}, a throw-away container running {@code config.sh}, then the
 * service container, all sharing one named volume as the seed's compose file does).
 */
final class ProvisioningBench implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    private static final String HOME = "/home/runner";

    private final FakeGitHub github;
    private final FakeScope org;
    private final Secret pat;
    private final DockerBackend backend;
    private final RunnerImage image;
    private final String imageRef;
    private final String prefix = "bench" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    private int runs;

    ProvisioningBench() {
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(10)).build();
        github.start();
        org = github.organization("bench");
        pat = github.newToken("admin:org", "repo");
        backend = DockerBackend.fromEnvironment();
        image = fakeRunnerImage(backend);
        imageRef = backend.prepare(image, p -> { });
    }

    /** Builds the busybox base image on {@code backend} and returns the fake runner image built on it. */
    static RunnerImage fakeRunnerImage(DockerBackend backend) {
        try {
            backend.prepare(RunnerImage.dockerfile(BusyboxBaseImage.writeContext(Files.createTempDirectory("bench-base")))
                    .tag(BusyboxBaseImage.TAG), p -> { });
            return RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("bench-runner")))
                    .tag(FakeRunnerImage.TAG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the benchmark's image contexts to a temporary directory", e);
        }
    }

    private GitHubRegistry registry() {
        return GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url()).webUrl(github.url())
                .credentials(GitHubCredentials.token(pat)).build();
    }

    private String nextName() {
        return prefix + "r" + (++runs);
    }

    /**
     * One fleet start, in seconds from {@code start()}: to the last runner's container started (its
     * {@code InstanceLaunched} event, the point the floor also stops at) and to every runner Idle.
     */
    record FleetTiming(double containersStarted, double allIdle) {
    }

    /** Times {@code start()} of a fleet of {@code n}; the fleet is removed afterwards. */
    FleetTiming fleet(int n) {
        String name = nextName();
        AtomicLong lastLaunch = new AtomicLong();
        RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry()).backend(backend)
                .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(30))
                .listener(e -> {
                    if (e instanceof FleetEvent.InstanceLaunched) {
                        lastLaunch.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                })
                .pool(RunnerPool.builder("p").image(image).labels("bench").scaling(Scaling.fixed(n))).build();
        try {
            long t0 = System.nanoTime();
            fleet.start();
            long idle = System.nanoTime();
            return new FleetTiming((lastLaunch.get() - t0) / 1e9, (idle - t0) / 1e9);
        } finally {
            fleet.remove();
            requireClean(name);
        }
    }

    /** Seconds to create and start {@code n} containers of the same image in parallel, no GitHub. */
    double floor(int n) {
        String name = nextName();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<String> ids = new ArrayList<>();
        try {
            List<Future<InstanceInfo>> launched = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 1; i <= n; i++) {
                // run.sh of an unconfigured runner: the container starts and soon exits, like the seed's.
                LaunchSpec spec = LaunchSpec.builder(name, "floor", name + "-" + i, imageRef)
                        .command(new RunnerCommand(List.of(), List.of())).build();
                launched.add(pool.submit(() -> backend.launch(spec)));
            }
            for (Future<InstanceInfo> f : launched) {
                ids.add(f.get().id());
            }
            return (System.nanoTime() - t0) / 1e9;
        } catch (Exception e) {
            throw new IllegalStateException("the floor benchmark could not launch " + n + " containers: " + e, e);
        } finally {
            pool.shutdownNow();
            for (InstanceInfo i : backend.instances(name)) {
                backend.remove(i.id(), false);
            }
            requireClean(name);
        }
    }

    /** Seconds for {@code n} runners through runner.sh's sequential three-container flow. */
    double runnerSh(int n) {
        String name = nextName();
        GitHubRegistry registry = registry();
        Secret token = registry.registrationToken().token(); // runner.sh caches one token for the whole run
        try {
            long t0 = System.nanoTime();
            for (int i = 1; i <= n; i++) {
                String runner = name + "-" + i;
                // 1. "Registered?": a throw-away container looks for .runner in the shared volume and exits.
                String check = backend.launch(spec(name, runner, new RunnerCommand(List.of(), List.of()))
                        .build()).id();
                await(runner + " check container exited", () -> exited(name, check));
                backend.remove(check, true);
                // 2. config.sh in a second throw-away container, writing .runner into the volume.
                List<String> args = List.of("--url", registry.registrationUrl(), "--name", runner, "--labels", "bench",
                        "--runnergroup", "Default", "--unattended", "--replace");
                String config = backend.launch(spec(name, runner, new RunnerCommand(args, List.of()))
                        .secret("ACTIONS_RUNNER_INPUT_TOKEN", token).build()).id();
                // Our command line runs run.sh after config.sh: its first connect means .runner and
                // .credentials are written (the registration alone appears before the files do).
                long connects = github.requests("runner/connect");
                await(runner + " configured", () -> github.requests("runner/connect") > connects);
                backend.remove(config, true);
                // 3. the service container, whose run.sh finds the configuration and connects.
                long before = github.requests("runner/connect");
                backend.launch(spec(name, runner, new RunnerCommand(List.of(), List.of())).build());
                await(runner + " online", () -> github.requests("runner/connect") > before
                        && org.runner(runner).map(r -> r.online()).orElse(false));
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            for (InstanceInfo i : backend.instances(name)) {
                backend.remove(i.id(), false);
            }
            for (RegisteredRunner r : registry.runners()) {
                if (r.name().startsWith(name + "-")) {
                    registry.delete(r);
                }
            }
            requireClean(name);
        }
    }

    private LaunchSpec.Builder spec(String fleet, String runner, RunnerCommand command) {
        return LaunchSpec.builder(fleet, "runnersh", runner, imageRef).command(command)
                .volumes(List.of(new VolumeMount("home", HOME)));
    }

    private boolean exited(String fleet, String id) {
        return backend.instance(fleet, id).map(i -> i.state() == InstanceState.EXITED).orElse(true);
    }

    /** Waits for {@code condition}, polling every 20 ms, at most {@link #PATIENCE}. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("benchmark waited " + PATIENCE + " for: " + what,
                        new TimeoutException(what));
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    private void requireClean(String name) {
        requireClean(backend, org, name);
    }

    /** Throws when the run {@code name} left containers or registrations behind. */
    static void requireClean(DockerBackend backend, FakeScope org, String name) {
        List<InstanceInfo> left = backend.instances(name);
        long registered = org.runners().stream().filter(r -> r.name().startsWith(name)).count();
        if (!left.isEmpty() || registered != 0) {
            throw new IllegalStateException("benchmark run " + name + " left " + left.size() + " containers and "
                    + registered + " registrations behind; remove containers labelled " + DockerBackend.FLEET_LABEL
                    + "=" + name);
        }
    }

    @Override
    public void close() {
        backend.close();
        github.close();
    }
}
