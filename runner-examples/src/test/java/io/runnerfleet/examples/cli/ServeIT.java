package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.docker.testing.HostStandIns;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeJob;
import io.runnerfleet.testkit.FakeRunnerImage;
import io.runnerfleet.testkit.FakeRunnerView;
import io.runnerfleet.testkit.FakeScope;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code runnerfleet serve} in a child JVM on the real engine against FakeGitHub: an on-demand pool of
 * ephemeral runners fed by webhooks, and a persistent board runner; last, the generic pool driven by a runner
 * scale set of the fake's Actions service.
 */
@ExtendWith(DockerEngine.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServeIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final Secret WEBHOOK_SECRET = Secret.of("serve-it-webhook-secret");

    private static FakeGitHub github;
    private static FakeScope acme;
    private static FakeScope repo;
    private static Secret pat;
    private static String fleet;
    private static final Map<String, String> env = new HashMap<>();
    private static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final List<Process> children = new CopyOnWriteArrayList<>();
    private static final HostStandIns host = new HostStandIns("ServeIT");

    @TempDir
    static Path dir;

    @BeforeAll
    static void setUp() throws Exception {
        host.group("dialout");
        DockerEngine.busyboxImage();
        try (DockerBackend backend = DockerBackend.fromEnvironment()) {
            backend.prepare(io.runnerfleet.RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner")))
                    .tag(FakeRunnerImage.TAG), p -> { });
        }
        github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(3)).build().start();
        acme = github.organization("acme");
        repo = acme.repository("app");
        pat = github.newToken("admin:org", "repo");
        fleet = "srv" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20), 36);
        env.putAll(Map.of("ORG", "acme", "GH_PAT", pat.reveal(), "RUNNERFLEET_GITHUB_URL", github.url(),
                "RUNNER_NAME_PREFIX", fleet, "RUNNER_IMAGE", FakeRunnerImage.TAG, "RUNNER_LABELS", "intel",
                "RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_LABELS", "phytiumpi",
                "BOARD_RUNNER_DEVICES", "/dev/null:/dev/ttyUSB0"));
        env.putAll(Map.of("RUNNER_SCALING", "on-demand", "RUNNER_MAX", "3", "RUNNER_IDLE_TIMEOUT", "10m",
                "RUNNERFLEET_WEBHOOK_SECRET", WEBHOOK_SECRET.reveal(), "RUNNERFLEET_DRAIN_TIMEOUT", "60s"));
        Files.writeString(dir.resolve(".env"), "# settings come from the environment\n");
    }

    @AfterAll
    static void tearDown() {
        try {
            children.forEach(Process::destroyForcibly);
            TestTerminal t = TestTerminal.none();
            RunnerFleetCli.run(new String[] {"--env-file", dir.resolve(".env").toString(), "purge", "-y"}, t, env,
                    DockerBackend::fromEnvironment, Duration.ofSeconds(60));
            Map<String, String> scaleSetFleet = new HashMap<>(env);
            scaleSetFleet.put("RUNNER_NAME_PREFIX", fleet + "-runner");
            RunnerFleetCli.run(new String[] {"--env-file", dir.resolve(".env").toString(), "purge", "-y"}, t, scaleSetFleet,
                    DockerBackend::fromEnvironment, Duration.ofSeconds(60));
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet);
            DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, fleet + "-runner");
        } finally {
            github.close();
            host.close();
        }
    }

    /** One {@code serve} child JVM and what it printed (into a file: reading a pipe races with the exit). */
    private static final class Serve {
        final Process process;
        final Path log;
        volatile URI endpoint;
        volatile URI webhook;

        Serve(Process process, Path log) {
            this.process = process;
            this.log = log;
        }

        String output() {
            try {
                return Files.readString(log);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        boolean listening() {
            String out = output();
            Matcher m = Pattern.compile("endpoint (http://\\S+/)").matcher(out);
            Matcher w = Pattern.compile("webhook receiver (http://\\S+)").matcher(out);
            if (m.find() && w.find()) {
                endpoint = URI.create(m.group(1));
                webhook = URI.create(w.group(1));
                return true;
            }
            return false;
        }

        HttpResponse<String> get(String path) {
            try {
                return http.send(HttpRequest.newBuilder(endpoint.resolve(path)).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        void awaitReady() {
            await("serve's endpoint", this::listening, this);
            await("/healthz ready", () -> get("/healthz").statusCode() == 200, this);
            github.webhook(webhook, WEBHOOK_SECRET);
        }

        PrometheusText metrics() {
            HttpResponse<String> r = get("/metrics");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
            return PrometheusText.parse(r.body());
        }

        int exit() throws InterruptedException {
            assertThat(process.waitFor(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("serve exited; it printed:\n" + output()).isTrue();
            return process.exitValue();
        }
    }

    private static Serve serve(String... extra) throws IOException {
        return serve(Map.of(), extra);
    }

    private static Serve serve(Map<String, String> overrides, String... extra) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                RunnerFleetCli.class.getName(), "--env-file", dir.resolve(".env").toString(), "serve",
                "--http-port", "0", "--webhook-port", "0"));
        command.addAll(List.of(extra));
        Path log = Files.createTempFile(dir, "serve", ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(overrides);
        Process p = pb.start();
        children.add(p);
        return new Serve(p, log);
    }

    private static void await(String what, BooleanSupplier condition, Serve serve) {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (java.io.UncheckedIOException e) {
                // The endpoint is not listening yet.
            }
            if (!serve.process.isAlive()) {
                throw new AssertionError("serve exited with " + serve.process.exitValue() + " while waiting for " + what
                        + "; it printed:\n" + serve.output());
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("waited " + PATIENCE + " for: " + what + "; serve printed:\n" + serve.output());
            }
            LockSupport.parkNanos(Duration.ofMillis(200).toNanos());
        }
    }

    private static List<String> containers() {
        return DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, fleet).stream().map(c -> c.getId()).sorted().toList();
    }

    private static List<String> registrations() {
        return acme.runners().stream().map(FakeRunnerView::name).filter(n -> n.startsWith(fleet + "-")).sorted().toList();
    }

    private static long count(String status, String pool, String state) {
        return Pattern.compile("\"pool\":\"" + Pattern.quote(pool) + "\",\"state\":\"" + state + "\"").matcher(status).results().count();
    }

    @Test
    @Order(1)
    void healthzTurnsReadyMetricsParseAndEqualTheFleetAndAQueuedJobGrowsTheOnDemandPool() throws Exception {
        Serve serve = serve();
        serve.awaitReady();
        String board = fleet + "-board-1-1";
        assertThat(registrations()).containsExactly(board);
        PrometheusText m = serve.metrics();
        String status = serve.get("/status").body();
        assertThat(m.type("runnerfleet_runners")).isEqualTo("gauge");
        assertThat(m.value("runnerfleet_runners", Map.of("pool", "board-1", "state", "idle")))
                .isEqualTo(count(status, "board-1", "Idle")).isEqualTo(1);
        assertThat(m.value("runnerfleet_runners", Map.of("pool", "runner", "state", "idle"))).isZero();
        assertThat(m.value("runnerfleet_pool_desired", Map.of("pool", "runner"))).isZero();
        assertThat(m.value("runnerfleet_pool_max", Map.of("pool", "runner"))).isEqualTo(3);
        assertThat(m.value("runnerfleet_github_requests_total", Map.of())).isPositive();
        assertThat(status).contains("\"ready\":true", "\"scaling\":\"on-demand\"");

        FakeJob job = github.queueJob(repo, Duration.ofSeconds(1), "self-hosted", "intel");
        await("the job done by an on-demand runner", () -> "completed".equals(job.status()), serve);
        assertThat(job.runnerName()).startsWith(fleet + "-runner-");
        await("the queue time counted", () -> serve.metrics()
                .value("runnerfleet_job_queue_seconds_count", Map.of("pool", "runner")) == 1, serve);
        PrometheusText after = serve.metrics();
        assertThat(after.type("runnerfleet_job_queue_seconds")).isEqualTo("histogram");
        assertThat(after.value("runnerfleet_job_queue_seconds_bucket", Map.of("pool", "runner", "le", "+Inf"))).isEqualTo(1);
        assertThat(after.value("runnerfleet_runner_provisioning_seconds_count", Map.of("pool", "runner"))).isGreaterThanOrEqualTo(1);
        assertThat(serve.output()).contains("pool runner: 0 -> 1 runners").doesNotContain(pat.reveal())
                .doesNotContain(WEBHOOK_SECRET.reveal());

        serve.process.destroy();   // SIGTERM
        assertThat(serve.exit()).as(serve.output()).isZero();
    }

    @Test
    @Order(2)
    void sigtermWhileAJobRunsLetsItFinishExitsZeroAndKeepsOnlyThePersistentRunner() throws Exception {
        Serve serve = serve();
        serve.awaitReady();
        List<String> boardContainer = containers();
        assertThat(boardContainer).hasSize(1);
        FakeJob job = github.queueJob(repo, Duration.ofSeconds(6), "self-hosted", "intel");
        await("the job running", () -> "in_progress".equals(job.status()), serve);
        // the in_progress webhook names the runner: /status shows the job it runs
        await("the job in /status", () -> serve.get("/status").body().contains("\"job\":{\"id\":\"" + job.id() + "\""),
                serve);
        serve.process.destroy();   // SIGTERM while the job runs
        assertThat(serve.exit()).as(serve.output()).isZero();
        assertThat(job.status()).isEqualTo("completed");
        assertThat(job.conclusion()).isEqualTo("success");
        assertThat(registrations()).as("no ghost: only the persistent board runner").containsExactly(fleet + "-board-1-1");
        assertThat(containers()).as("only the persistent runner's container").isEqualTo(boardContainer);
        assertThat(serve.output()).contains("SIGTERM received", "1 persistent runner(s) left running");
    }

    @Test
    @Order(3)
    void afterKillNineTheNextServeAdoptsEverythingAndCreatesNothingTwice() throws Exception {
        Serve first = serve();
        first.awaitReady();
        List<String> before = containers();
        List<String> registered = registrations();
        first.process.destroyForcibly();   // SIGKILL: nothing runs in the child after this
        assertThat(first.exit()).isNotZero();

        Serve second = serve();
        second.awaitReady();
        assertThat(containers()).as("containers adopted, none created").isEqualTo(before);
        assertThat(registrations()).as("registrations adopted").isEqualTo(registered);
        assertThat(second.output()).doesNotContain("-> Provisioning");
        second.process.destroy();
        assertThat(second.exit()).as(second.output()).isZero();
    }

    @Test
    @Order(4)
    void aScaleSetPoolTurnsQueuedJobsIntoRunnersItsMetricsEqualTheServicesStatisticsAndSigtermLeavesNothing() throws Exception {
        String scaleSet = fleet + "-set";
        String setFleet = fleet + "-runner";
        Serve serve = serve(Map.of("RUNNER_SCALING", "scale-set", "RUNNER_SCALE_SET", scaleSet, "RUNNER_IDLE_TIMEOUT", "",
                "RUNNERFLEET_STATE_DIR", dir.resolve("state").toString(), "RUNNERFLEET_KEEP_PERSISTENT", "false"));
        serve.awaitReady();
        String status = serve.get("/status").body();
        assertThat(status).contains("\"scaleSets\":[{\"pool\":\"runner\",\"fleet\":\"" + setFleet + "\",\"name\":\""
                + scaleSet + "\"", "\"session\":\"open\"", "\"scaling\":\"scale-set\"");
        assertThat(acme.scaleSet(scaleSet)).as("the scale set, created by serve").isPresent();
        assertThat(acme.scaleSet(scaleSet).get().labels()).containsExactly(scaleSet, "intel");

        List<FakeJob> jobs = List.of(github.queueJob(repo, Duration.ofSeconds(15), scaleSet),
                github.queueJob(repo, Duration.ofSeconds(15), scaleSet));
        await("both jobs running on scale-set runners", () -> jobs.stream().allMatch(j -> "in_progress".equals(j.status())), serve);
        assertThat(jobs).allMatch(j -> j.runnerName().startsWith(setFleet + "-runner-"));
        await("the scale-set metrics equal the service's statistics while the jobs run",
                () -> scaleSetMetricsEqualTheService(serve, scaleSet, 2), serve);
        await("both jobs done", () -> jobs.stream().allMatch(j -> "completed".equals(j.status())), serve);
        assertThat(jobs).allMatch(j -> "success".equals(j.conclusion()));
        await("the scale-set metrics equal the service's statistics after the jobs",
                () -> scaleSetMetricsEqualTheService(serve, scaleSet, 0), serve);
        PrometheusText m = serve.metrics();
        assertThat(m.type("runnerfleet_scaleset_assigned_jobs")).isEqualTo("gauge");
        assertThat(m.value("runnerfleet_scaleset_messages_total", Map.of("scaleset", scaleSet))).isPositive();
        assertThat(m.value("runnerfleet_scaleset_session_open", Map.of("scaleset", scaleSet))).isEqualTo(1);
        assertThat(m.value("runnerfleet_pool_max", Map.of("fleet", setFleet, "pool", "runner"))).isEqualTo(3);

        serve.process.destroy();   // SIGTERM
        assertThat(serve.exit()).as(serve.output()).isZero();
        assertThat(acme.scaleSet(scaleSet).orElseThrow().sessionOwner()).as("session deleted on stop").isNull();
        assertThat(registrations()).as("no ghost registration").isEmpty();
        assertThat(containers()).as("no container of the fleet").isEmpty();
        assertThat(DockerEngine.containersLabelled(DockerBackend.FLEET_LABEL, setFleet)).as("no scale-set container").isEmpty();
        assertThat(serve.output()).doesNotContain(pat.reveal());
    }

    private static boolean scaleSetMetricsEqualTheService(Serve serve, String scaleSet, int assigned) {
        io.runnerfleet.testkit.FakeScaleSetView.Statistics fake = acme.scaleSet(scaleSet).orElseThrow().statistics();
        PrometheusText m = serve.metrics();
        Map<String, String> tags = Map.of("scaleset", scaleSet);
        return fake.assignedJobs() == assigned
                && m.value("runnerfleet_scaleset_assigned_jobs", tags) == fake.assignedJobs()
                && m.value("runnerfleet_scaleset_available_jobs", tags) == fake.availableJobs()
                && m.value("runnerfleet_scaleset_acquired_jobs", tags) == fake.acquiredJobs()
                && m.value("runnerfleet_scaleset_running_jobs", tags) == fake.runningJobs()
                && m.value("runnerfleet_scaleset_registered_runners", tags) == fake.registeredRunners()
                && m.value("runnerfleet_scaleset_busy_runners", tags) == fake.busyRunners()
                && m.value("runnerfleet_scaleset_idle_runners", tags) == fake.idleRunners();
    }
}
