package io.runnerfleet.examples.cli;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.MatchResult;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.testkit.BusyboxBaseImage;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * {@code runnerfleet demo}: a whole fleet on the local Docker engine against an embedded fake GitHub,
 * from Idle through Active back to Idle, an ephemeral runner replaced, and {@code match} explaining a
 * job nobody can take; everything it created is removed, also on failure or Ctrl-C.
 *
 * <pre>{@code
 * scripts/demo.sh            # starts the engine, builds, then runs: runnerfleet demo
 * }</pre>
 *
 * <p>Sharp edge: it needs a Docker engine; without one it says how to start one and exits with 5.
 */
@Command(name = "demo", description = "Run a fleet of 3 generic runners and 1 ephemeral board runner against an embedded fake GitHub, then clean up.")
final class DemoCommand implements Callable<Integer> {
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @ParentCommand
    RunnerFleetCli cli;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = cli.terminal.out();
        RunnerBackend backend;
        try {
            backend = cli.backends.get();
            backend.instances("runnerfleet-demo-probe");
        } catch (BackendUnavailableException | IllegalStateException e) {
            cli.terminal.err().println("runnerfleet demo needs a Docker engine and none answers (" + e.getMessage() + ").\n"
                    + "Start one with: bash scripts/docker-engine.sh   (or: sudo systemctl start docker), then run the demo again.");
            return ExitCode.DOCKER;
        }
        String name = "demo" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        try (backend; FakeGitHub github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(3)).build()) {
            github.start();
            FakeScope acme = github.organization("acme");
            Secret pat = github.newToken("admin:org", "repo");
            out.println("== 1. an embedded fake GitHub at " + github.url() + " with organization acme");
            out.println("== 2. building the demo runner images (a few seconds the first time)");
            out.flush();
            RunnerImage image = images(backend);
            GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url())
                    .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
            RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry).backend(backend)
                    .pollInterval(Duration.ofMillis(250)).reconcileInterval(Duration.ofSeconds(1))
                    .registrationTimeout(PATIENCE).drainTimeout(Duration.ofSeconds(20)).startTimeout(PATIENCE)
                    .pool(RunnerPool.builder("generic").image(image).labels("intel").scaling(Scaling.fixed(3)))
                    .pool(RunnerPool.builder("phytiumpi").image(image).labels("phytiumpi").ephemeral(true)
                            .devices("/dev/null:/dev/ttyUSB0").env("BOARD_COMM_UART_BAUD", "115200").scaling(Scaling.fixed(1)))
                    .listener(e -> {
                        if (System.getenv("RUNNERFLEET_DEMO_EVENTS") != null) {
                            cli.terminal.err().println("   event: " + e);
                        }
                    })
                    .build();
            Thread cleanup = new Thread(() -> removeQuietly(fleet), "runnerfleet-demo-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            try {
                out.println("== 3. fleet " + name + ": 3 generic runners (intel) and 1 ephemeral board runner (phytiumpi, /dev/ttyUSB0)");
                out.flush();
                fleet.start();
                out.print(fleet.status().table());
                Runner board = fleet.runners().stream().filter(r -> r.pool().equals("phytiumpi")).findFirst().orElseThrow();

                out.println("== 4. queueing 2 generic jobs and 1 board job");
                out.flush();
                FakeJob a = github.queueJob(acme.repository("firmware"), Duration.ofSeconds(3), "self-hosted", "linux", "intel");
                FakeJob b = github.queueJob(acme.repository("firmware"), Duration.ofSeconds(3), "self-hosted", "linux", "intel");
                FakeJob c = github.queueJob(acme.repository("firmware"), Duration.ofSeconds(1), "self-hosted", "linux", "phytiumpi");
                await("a runner Active", () -> fleet.runners().stream().anyMatch(r -> r.state() instanceof RunnerState.Active));
                out.print(fleet.status().table());
                await("the jobs completed", () -> List.of(a, b, c).stream().allMatch(j -> "completed".equals(j.status())));
                out.println("== 5. jobs done: " + a.runnerName() + ", " + b.runnerName() + ", " + c.runnerName());
                out.flush();
                await("every runner Idle, the board runner replaced", () -> allIdle(fleet, 4)
                        && fleet.runners().stream().noneMatch(r -> r.instanceId().equals(board.instanceId())));
                Runner replacement = fleet.runners().stream().filter(r -> r.pool().equals("phytiumpi")).findFirst().orElseThrow();
                out.println("== 6. the ephemeral board runner " + board.name() + " (container " + board.shortInstanceId()
                        + ") took one job and was replaced: " + replacement.name() + " in a fresh container "
                        + replacement.shortInstanceId());
                out.print(fleet.status().table());

                out.println("== 7. runnerfleet match --runs-on self-hosted,linux,riscv-board");
                MatchResult nobody = fleet.match(JobRequest.runsOn("self-hosted", "linux", "riscv-board"));
                out.println(nobody.explain());
                out.println("== 8. removing everything the demo created");
                out.flush();
                fleet.remove();
                out.println("== done: no container, volume or registration left (GitHub shows " + acme.runners().size() + " runners)");
                out.flush();
                return ExitCode.OK;
            } finally {
                removeQuietly(fleet);
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException e) {
                    // already shutting down: the hook runs the same cleanup
                }
            }
        }
    }

    private static void removeQuietly(RunnerFleet fleet) {
        try {
            fleet.removeNow();
        } catch (RuntimeException e) {
            System.err.println("runnerfleet demo: cleanup incomplete: " + e.getMessage());
        }
    }

    static RunnerImage images(RunnerBackend backend) {
        try {
            Path base = BusyboxBaseImage.writeContext(Files.createTempDirectory("runnerfleet-demo-base"));
            backend.prepare(RunnerImage.dockerfile(base).tag(BusyboxBaseImage.TAG), p -> { });
            Path fake = FakeRunnerImage.writeContext(Files.createTempDirectory("runnerfleet-demo-runner"));
            RunnerImage image = RunnerImage.dockerfile(fake).tag(FakeRunnerImage.TAG);
            backend.prepare(image, p -> { });
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the demo image contexts: " + e.getMessage(), e);
        }
    }

    private static boolean allIdle(RunnerFleet fleet, int count) {
        List<Runner> runners = fleet.runners();
        return runners.size() == count && runners.stream().allMatch(r -> r.state() instanceof RunnerState.Idle);
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new io.runnerfleet.FleetTimeoutException("demo: waited " + PATIENCE + " for " + what
                        + "; set RUNNERFLEET_DEMO_EVENTS=1 to see the fleet's events");
            }
            LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
        }
    }
}
