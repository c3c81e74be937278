package io.runnerfleet.examples.bench;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.InstanceInfo;
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
import java.util.concurrent.ExecutionException;
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
 * three references measured in the same run:
 * <ul>
 *   <li>the container floor: the same containers launched in parallel through the backend, no GitHub;
 *   <li>the runner floor: the same N runners started in parallel straight through docker-java, each
 *       handed a registration token minted beforehand over stdin (as the library's backend hands it),
 *       running {@code config.sh} then {@code run.sh}, until all N are online at the fake GitHub; so
 *       fleet / runner floor is what the library adds (minting, reconciling, noticing online);
 *   <li>the {@code runner.sh} flow as its {@code init} runs it: {@code compose up -d} starts every service
 *       container at once with {@code restart: unless-stopped} and a named volume over the runner's home;
 *       they exit "not configured" and Docker restarts them with its growing back-off; then per runner in
 *       turn a throw-away container checks for {@code .runner} and another runs {@code config.sh}; each
 *       service container comes online on its next restart.
 * </ul>
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
    private final DirectDocker docker = new DirectDocker();
    private int runs;

    ProvisioningBench() {
        github = FakeGitHub.builder()
                .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(10)).build();
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

    /**
     * Seconds from the first create to all {@code n} runners online at the fake: the runners started in
     * parallel straight through docker-java, each given the same pre-minted registration token on stdin.
     */
    double runnerFloor(int n) {
        String name = nextName();
        GitHubRegistry registry = registry();
        Secret token = registry.registrationToken().token(); // minted before the clock starts: the floor has it
        String url = registry.registrationUrl();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<?>> started = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 1; i <= n; i++) {
                String runner = name + "-" + i;
                started.add(pool.submit(() -> {
                    String id = docker.create(new DirectDocker.Spec(name, runner, imageRef, configureThenRun(url, runner),
                            null, null, false, true));
                    docker.startWithStdin(id, token.reveal() + "\n");
                }));
            }
            for (Future<?> f : started) {
                f.get();
            }
            await(n + " runners online", () -> online(name) == n);
            return (System.nanoTime() - t0) / 1e9;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the runner floor could not start " + n + " runners: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted starting the runner floor", e);
        } finally {
            pool.shutdownNow();
            cleanUp(name, registry);
        }
    }

    /**
     * The script of a floor runner: like the library's hand-over, only {@code config.sh} ever holds the
     * token (read from stdin in a subshell); the shell that becomes {@code run.sh} never exports it.
     */
    private static String configureThenRun(String url, String runner) {
        return "IFS= read -r t || exit 1; exec 0</dev/null; (ACTIONS_RUNNER_INPUT_TOKEN=\"$t\"; export ACTIONS_RUNNER_INPUT_TOKEN;"
                + " exec ./config.sh " + String.join(" ", configArgs(url, runner)) + ") || exit; unset t; exec ./run.sh";
    }

    /** The library's {@code config.sh} arguments for a persistent runner of this benchmark's pool. */
    private static List<String> configArgs(String url, String runner) {
        return List.of("--url", url, "--name", runner, "--labels", "bench", "--runnergroup", "Default", "--work", "_work",
                "--unattended", "--replace");
    }

    /** How many runners of run {@code name} are online at the fake. */
    private long online(String name) {
        return org.runners().stream().filter(r -> r.name().startsWith(name + "-") && r.online()).count();
    }

    /**
     * Seconds for {@code n} runners through runner.sh's {@code init}: every service container started at
     * once with a restart policy, then per runner in turn a check container and a {@code config.sh}
     * container on the runner's volume, until every service container came online after a restart.
     */
    double runnerSh(int n) {
        String name = nextName();
        GitHubRegistry registry = registry();
        Secret token = registry.registrationToken().token(); // runner.sh caches one token for the whole run
        String url = registry.registrationUrl();
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            long t0 = System.nanoTime();
            // compose up -d: volumes, then the service containers in parallel; run.sh finds no configuration
            // and exits, and restart: unless-stopped brings it back after Docker's back-off.
            List<Future<?>> up = new ArrayList<>();
            for (int i = 1; i <= n; i++) {
                String runner = name + "-" + i;
                up.add(pool.submit(() -> {
                    docker.createVolume(runner + "-data", name);
                    docker.start(docker.create(new DirectDocker.Spec(name, runner, imageRef, "exec ./run.sh",
                            runner + "-data", HOME, true, false)));
                }));
            }
            for (Future<?> f : up) {
                f.get();
            }
            for (int i = 1; i <= n; i++) {
                String runner = name + "-" + i;
                // "Registered?": a throw-away container looks for .runner and .credentials in the volume.
                String check = docker.create(new DirectDocker.Spec(name, runner + "-check", imageRef,
                        "test -f .runner && test -f .credentials", runner + "-data", HOME, false, false));
                docker.start(check);
                await(runner + " check container exited", () -> docker.exited(check));
                boolean configured = docker.exitCode(check) == 0;
                docker.remove(check);
                if (configured) {
                    continue;
                }
                // config.sh alone in a second throw-away container writes .runner and .credentials into the volume.
                String config = docker.create(new DirectDocker.Spec(name, runner + "-config", imageRef,
                        "IFS= read -r t || exit 1; exec 0</dev/null; ACTIONS_RUNNER_INPUT_TOKEN=\"$t\";"
                                + " export ACTIONS_RUNNER_INPUT_TOKEN; exec ./config.sh " + String.join(" ", configArgs(url, runner)),
                        runner + "-data", HOME, false, true));
                docker.startWithStdin(config, token.reveal() + "\n");
                await(runner + " config.sh container exited", () -> docker.exited(config));
                if (docker.exitCode(config) != 0) {
                    throw new IllegalStateException("config.sh of " + runner + " exited with " + docker.exitCode(config));
                }
                docker.remove(config);
            }
            // Each service container comes online at its next restart, whenever the back-off lets it.
            await(n + " runners online", () -> online(name) == n);
            return (System.nanoTime() - t0) / 1e9;
        } catch (ExecutionException e) {
            throw new IllegalStateException("the runner.sh emulation could not start " + n + " containers: " + e.getCause(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in the runner.sh emulation", e);
        } finally {
            pool.shutdownNow();
            cleanUp(name, registry);
        }
    }

    /** Removes run {@code name}'s containers, volumes and registrations, then checks nothing is left. */
    private void cleanUp(String name, GitHubRegistry registry) {
        docker.removeFleet(name);
        for (RegisteredRunner r : registry.runners()) {
            if (r.name().startsWith(name + "-")) {
                registry.delete(r);
            }
        }
        requireClean(name);
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
        docker.close();
        backend.close();
        github.close();
    }
}
