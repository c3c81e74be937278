package io.runnerfleet.examples.bench;

import io.runnerfleet.ProcessBackend;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerState;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.Warmth;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunner;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The job-start benchmark (issue 18, item 2): from a job queued at the fake GitHub to a runner taking
 * it, the instant the fake hands the job's message to a runner's poll ({@link FakeJob#startedAt()}).
 * Both ends are read from the fake's clock, so no two clocks are compared.
 *
 * <ul>
 *   <li><b>cold</b>: an ephemeral on-demand pool at 0; the fake posts each {@code workflow_job: queued}
 *       delivery to a {@link WebhookReceiver}, which calls {@code fleet.demand}; the fleet launches a
 *       runner, which registers (JIT), connects and takes the job.
 *   <li><b>warm</b>: an ephemeral on-demand pool kept warm ({@code Warmth.builder().idle(size)}): all its
 *       runners Idle before the first job is queued, each finished runner replaced by a fresh one.
 * </ul>
 * Each is measured one job at a time (the next job is queued once the previous one completed and the
 * pool is back where it started) and as a burst of jobs queued together, on Docker and on host
 * processes ({@link ProcessBackend} running the testkit's fake runner, no container).
 */
final class JobStartBench implements AutoCloseable {
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    /** Where the runners run. */
    enum Backend {
        DOCKER, PROCESS;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Backend parse(String s) {
            for (Backend b : values()) {
                if (b.label().equals(s.trim().toLowerCase(Locale.ROOT))) {
                    return b;
                }
            }
            throw new IllegalArgumentException("unknown job-start backend '" + s + "'; use docker, process or both: docker,process");
        }
    }

    /**
     * One series of job starts, in seconds.
     *
     * @param backend docker or process
     * @param warm whether the runners were Idle before the jobs were queued
     * @param burst whether the jobs were queued together (else one at a time)
     * @param seconds queued to taken, per job
     * @param load the machine before and after the series
     */
    record Series(Backend backend, boolean warm, boolean burst, double[] seconds, MachineLoad.Marks load) {
        double percentile(double p) {
            return Samples.percentile(seconds, p);
        }

        String json() {
            return "{\"backend\": \"" + backend.label() + "\", \"pool\": \"" + (warm ? "warm" : "cold")
                    + "\", \"mode\": \"" + (burst ? "burst" : "one at a time") + "\", " + Samples.jsonMembers(seconds)
                    + ", \"load\": " + load.json() + "}";
        }
    }

    private final Backend kind;
    private final RunnerBackend backend;
    private final RunnerImage image;
    private final Path temp;
    private final String prefix = "js" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
    private int runs;

    JobStartBench(Backend kind) {
        this.kind = kind;
        try {
            temp = Files.createTempDirectory("runnerfleet-jobstart-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the job-start benchmark's temporary directory", e);
        }
        if (kind == Backend.DOCKER) {
            DockerBackend docker = DockerBackend.fromEnvironment();
            backend = docker;
            image = ProvisioningBench.fakeRunnerImage(docker);
            docker.prepare(image, p -> { });
        } else {
            if (!Files.isExecutable(Path.of("/bin/busybox"))) {
                throw new IllegalStateException("the process backend's fake runner needs /bin/busybox"
                        + " (apt-get install busybox-static), or pass --job-start-backends docker");
            }
            backend = ProcessBackend.builder().distribution(FakeRunner.installTo(temp.resolve("dist")))
                    .root(temp.resolve("runners")).build();
            image = RunnerImage.of("fake-runner:host");
        }
    }

    /**
     * Measures {@code jobs} jobs one at a time, then a burst of {@code burst} (0: none), on one fleet:
     * cold (on-demand from 0) or warm (an ephemeral pool keeping {@code burst}, at least one, Idle runners warm).
     */
    List<Series> run(boolean warm, int jobs, int burst) {
        String name = prefix + "r" + (++runs);
        // A fake of its own per fleet: its webhooks cannot be unregistered, and a cold run's must not outlive it.
        try (FakeGitHub github = FakeGitHub.builder()
                .contentCreatingLimit(Benchmarks.WRITES_PER_MINUTE).offlineAfter(Duration.ofSeconds(10)).build()) {
            github.start();
            return run(github, name, warm, jobs, burst);
        }
    }

    private List<Series> run(FakeGitHub github, String name, boolean warm, int jobs, int burst) {
        FakeScope org = github.organization("bench");
        FakeScope repo = org.repository("app");
        Secret pat = github.newToken("admin:org", "repo");
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("bench")).baseUrl(github.url())
                .webUrl(github.url()).credentials(GitHubCredentials.token(pat)).build();
        int size = Math.max(1, burst);
        RunnerPool.Builder pool = RunnerPool.builder("j").image(image).labels("bench");
        if (kind == Backend.PROCESS) {
            pool.env("RUNNER_ALLOW_RUNASROOT", "1"); // the fake runner, like the real one, refuses root otherwise
        }
        pool = warm ? pool.ephemeral(true).scaling(Scaling.onDemand(0, size)).warmth(Warmth.builder().idle(size))
                : pool.ephemeral(true).scaling(Scaling.onDemand(0, size));
        RunnerFleet fleet = RunnerFleet.builder().name(name).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(250)).registrationTimeout(PATIENCE).startTimeout(PATIENCE)
                .drainTimeout(Duration.ofSeconds(30)).pool(pool).build();
        Secret secret = Secret.of(UUID.randomUUID().toString());
        List<Series> out = new ArrayList<>();
        try (WebhookReceiver receiver = WebhookReceiver.builder(secret)
                .onQueued(event -> fleet.demand(event.jobRequest())).build().start()) {
            if (!warm) {
                github.webhook(receiver.uri(), secret);
            }
            fleet.start();
            if (jobs > 0) {
                MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
                double[] s = new double[jobs];
                for (int i = 0; i < jobs; i++) {
                    FakeJob job = github.queueJob(repo, "self-hosted", "bench");
                    settle(org, fleet, name, warm, size, List.of(job), true);
                    s[i] = seconds(job);
                }
                out.add(new Series(kind, warm, false, s, new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO))));
            }
            if (burst > 0) {
                MachineLoad before = MachineLoad.sample(MachineLoad.PROBE);
                List<FakeJob> queued = new ArrayList<>();
                for (int i = 0; i < burst; i++) {
                    queued.add(github.queueJob(repo, "self-hosted", "bench"));
                }
                // The burst is the fleet's last series: only its jobs need to finish. (An on-demand pool grown by
                // several shrinks back as its extra runners idle out, which is not what is measured.)
                settle(org, fleet, name, warm, size, queued, false);
                double[] s = queued.stream().mapToDouble(JobStartBench::seconds).toArray();
                out.add(new Series(kind, warm, true, s, new MachineLoad.Marks(before, MachineLoad.sample(Duration.ZERO))));
            }
            return out;
        } finally {
            fleet.remove();
            List<InstanceInfo> left = backend.instances(name);
            long registered = org.runners().stream().filter(r -> r.name().startsWith(name)).count();
            if (!left.isEmpty() || registered != 0) {
                throw new IllegalStateException("job-start run " + name + " left " + left.size() + " runners and "
                        + registered + " registrations behind on the " + kind.label() + " backend");
            }
        }
    }

    /**
     * Waits until the jobs completed and, with {@code restore}, the pool is back where it started: cold at 0,
     * warm all Idle.
     */
    private void settle(FakeScope org, RunnerFleet fleet, String name, boolean warm, int size, List<FakeJob> jobs,
                        boolean restore) {
        ProvisioningBench.await(jobs.size() + " job(s) completed" + (!restore ? "" : " and the "
                + (warm ? "warm pool Idle" : "pool back at 0")),
                () -> jobs.stream().allMatch(j -> "completed".equals(j.status())) && (!restore || (warm
                        ? fleet.runners().size() == size
                                && fleet.runners().stream().allMatch(r -> r.state() instanceof RunnerState.Idle)
                                && org.runners().stream().filter(r -> r.name().startsWith(name))
                                        .noneMatch(FakeRunnerView::busy)
                        : fleet.runners().isEmpty() && backend.instances(name).isEmpty())));
    }

    private static double seconds(FakeJob job) {
        return Duration.between(job.queuedAt(), job.startedAt()).toNanos() / 1e9;
    }

    /** Prints one row per series, in milliseconds. */
    static void print(List<Series> rows, PrintStream out) {
        out.println();
        out.println("Job start: job queued at the fake GitHub -> a runner takes it (ms)");
        out.printf(Locale.ROOT, "%-8s %-5s %-14s %5s %8s %8s %8s %7s%n", "backend", "pool", "mode", "jobs", "p50", "p99",
                "max", "load1");
        for (Series s : rows) {
            out.printf(Locale.ROOT, "%-8s %-5s %-14s %5d %8.0f %8.0f %8.0f %7.2f%s%n", s.backend().label(),
                    s.warm() ? "warm" : "cold", s.burst() ? "burst" : "one at a time", s.seconds().length,
                    1000 * s.percentile(50), 1000 * s.percentile(99), 1000 * s.percentile(100), s.load().before().one(),
                    s.load().disturbed() ? "  DISTURBED" : "");
        }
        out.println("  cold: ephemeral on-demand pool at 0 grown by webhook -> fleet.demand; warm: an ephemeral pool"
                + " kept warm (Warmth idle = burst), all Idle; DISTURBED: others kept the machine busy before the series");
    }

    @Override
    public void close() {
        try {
            backend.close();
        } finally {
            try (Stream<Path> paths = Files.walk(temp)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p); // a link is deleted, never its target
                }
            } catch (IOException e) {
                System.err.println("bench: could not remove " + temp + ": " + e.getMessage());
            }
        }
    }
}
