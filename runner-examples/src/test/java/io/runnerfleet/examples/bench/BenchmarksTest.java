package io.runnerfleet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerCommand;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the benchmark code paths with tiny sizes so they cannot rot; asserts no timings. */
class BenchmarksTest {

    @Test
    void optionsParseWithDefaultsAndOverrides() {
        Benchmarks.Options d = Benchmarks.Options.parse();
        assertThat(d.reps()).isEqualTo(3);
        assertThat(d.sizes()).containsExactly(1, 5, 10, 20);
        assertThat(d.apiSizes()).containsExactly(10, 100, 500);
        assertThat(d.docker()).isTrue();

        Benchmarks.Options o = Benchmarks.Options.parse("--reps", "1", "--sizes", "2,4", "--skip-docker", "--window", "3",
                "--out", "x/y");
        assertThat(o.reps()).isEqualTo(1);
        assertThat(o.sizes()).containsExactly(2, 4);
        assertThat(o.docker()).isFalse();
        assertThat(o.window()).isEqualTo(Duration.ofSeconds(3));
        assertThat(o.out()).isEqualTo(Path.of("x/y"));
    }

    @Test
    void badOptionsAreNamedWithTheFix() {
        assertThatThrownBy(() -> Benchmarks.Options.parse("--repz", "3")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--repz").hasMessageContaining("--reps N");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--reps", "0")).hasMessageContaining("--reps")
                .hasMessageContaining("positive whole number").hasMessageContaining("'0'");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--sizes", "1,x")).hasMessageContaining("'x'");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--sizes")).hasMessageContaining("needs a value");
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Benchmarks.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(Benchmarks.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
        assertThat(Benchmarks.median(new double[] {7})).isEqualTo(7);
    }

    @Test
    void apiCostAndMemoryRunOnTheFakeAndLeaveNothingBehind(@TempDir Path dir) throws Exception {
        Benchmarks.Options o = Benchmarks.Options.parse("--skip-docker", "--api-sizes", "2", "--cycles", "2",
                "--window", "1", "--memory-runners", "3", "--job-start-jobs", "0", "--burst", "0", "--out", dir.toString());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Benchmarks.Results r = Benchmarks.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));

        assertThat(r.provisioning()).isEmpty();
        FakeFleetBench.ApiCost cost = r.api().get(0);
        assertThat(cost.runners()).isEqualTo(2);
        // every reconcile cycle lists the runners once; the fake answers 304 when nothing changed
        assertThat(cost.requestsPerCycle()).isGreaterThanOrEqualTo(1);
        assertThat(cost.notModifiedPerCycle()).isLessThanOrEqualTo(cost.requestsPerCycle());
        assertThat(cost.tokensAtStart()).isEqualTo(1);
        assertThat(cost.startRequests()).containsKey("actions/create-registration-token-for-org");
        assertThat(r.memory().runners()).isEqualTo(3);
        assertThat(r.memory().heapAfterMb()).isPositive();
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("GitHub API cost").contains("Memory: 3-runner");

        Path file = Benchmarks.write(r);
        String json = Files.readString(file);
        assertThat(json).contains("\"runners\": 2").contains("\"requestsPerCycle\"").contains("\"memory\": {");
        assertThat(dir.resolve("latest.json")).hasContent(json);
    }

    @Test
    void webhookOptionsDefaultAndParse() {
        Benchmarks.Options d = Benchmarks.Options.parse();
        assertThat(d.webhookJobs()).isEqualTo(40);
        assertThat(d.provisioning()).isTrue();
        Benchmarks.Options o = Benchmarks.Options.parse("--webhook-jobs", "5", "--skip-provisioning");
        assertThat(o.webhookJobs()).isEqualTo(5);
        assertThat(o.provisioning()).isFalse();
        assertThat(Benchmarks.Options.parse("--webhook-jobs", "0").webhookJobs()).isZero();
        assertThatThrownBy(() -> Benchmarks.Options.parse("--webhook-jobs", "-1")).hasMessageContaining("--webhook-jobs")
                .hasMessageContaining("'-1'");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--webhook-jobs")).hasMessageContaining("needs a value");
    }

    @Test
    void percentilesAreNearestRank() {
        double[] hundred = new double[100];
        for (int i = 0; i < 100; i++) {
            hundred[99 - i] = i + 1;   // 100 .. 1, unsorted on purpose
        }
        assertThat(Samples.percentile(hundred, 50)).isEqualTo(50);
        assertThat(Samples.percentile(hundred, 90)).isEqualTo(90);
        assertThat(Samples.percentile(hundred, 99)).isEqualTo(99);
        assertThat(Samples.percentile(hundred, 100)).isEqualTo(100);
        double[] forty = new double[40];
        for (int i = 0; i < 40; i++) {
            forty[i] = i;
        }
        // with 40 samples the p99 is the largest: one slow launch shows
        assertThat(Samples.percentile(forty, 99)).isEqualTo(39);
        assertThat(Samples.percentile(forty, 50)).isEqualTo(19);
        assertThat(Samples.percentile(new double[] {0.3}, 1)).isEqualTo(0.3);
        assertThatThrownBy(() -> Samples.percentile(new double[0], 50))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no samples");
        assertThatThrownBy(() -> Samples.percentile(forty, 0)).hasMessageContaining("(0, 100]");
        assertThatThrownBy(() -> Samples.percentile(forty, 101)).hasMessageContaining("(0, 100]");
    }

    @Test
    void webhookResultsPrintAndGoIntoTheJson(@TempDir Path dir) throws Exception {
        WebhookLatencyBench.Latency l = new WebhookLatencyBench.Latency(new double[] {0.2, 0.4, 1.5},
                new double[] {0.01, 0.02, 0.03});
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        WebhookLatencyBench.print(l, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("Webhook to container").contains("1500")
                .contains("NOT met");
        assertThat(Benchmarks.webhookJson(l)).contains("\"jobs\": 3").contains("\"p99Seconds\": 1.500")
                .contains("\"p50Seconds\": 0.400").contains("\"toDemandSeconds\": [0.010, 0.020, 0.030]");
        assertThat(Benchmarks.webhookJson(null)).isEqualTo("null");

        // --skip-docker skips the webhook section too: nothing measured, "webhook": null in the JSON
        Benchmarks.Options o = Benchmarks.Options.parse("--skip-docker", "--skip-api", "--memory-runners", "1",
                "--webhook-jobs", "3", "--job-start-jobs", "0", "--burst", "0", "--out", dir.toString());
        Benchmarks.Results r = Benchmarks.run(o, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
        assertThat(r.webhook()).isNull();
        assertThat(Files.readString(Benchmarks.write(r))).contains("\"webhook\": null");
    }

    @Test
    void scaleSetOptionsDefaultAndParse() {
        Benchmarks.Options d = Benchmarks.Options.parse();
        assertThat(d.scaleSet()).isTrue();
        assertThat(d.scaleSetJobs()).isEqualTo(40);
        assertThat(d.scaleSetBurst()).isEqualTo(20);
        assertThat(d.scaleSetIdle()).isEqualTo(Duration.ofSeconds(120));

        Benchmarks.Options o = Benchmarks.Options.parse("--scale-set-jobs", "3", "--scale-set-burst", "0",
                "--scale-set-idle", "30");
        assertThat(o.scaleSetJobs()).isEqualTo(3);
        assertThat(o.scaleSetBurst()).isZero();
        assertThat(o.scaleSetIdle()).isEqualTo(Duration.ofSeconds(30));
        assertThat(Benchmarks.Options.parse("--skip-scale-set").scaleSet()).isFalse();

        assertThatThrownBy(() -> Benchmarks.Options.parse("--scale-set-idle", "0")).hasMessageContaining("--scale-set-idle")
                .hasMessageContaining("'0'");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--scale-set-jobs")).hasMessageContaining("needs a value");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--scale-set")).hasMessageContaining("--skip-scale-set")
                .hasMessageContaining("--scale-set-burst N");
    }

    @Test
    void scaleSetResultsPrintAndGoIntoTheJson(@TempDir Path dir) throws Exception {
        ScaleSetLatencyBench.Result r = new ScaleSetLatencyBench.Result(new double[] {0.2, 0.4, 1.5},
                new double[] {0.5, 0.7}, 0.5, Duration.ofSeconds(60),
                new java.util.TreeMap<>(java.util.Map.of("actions-service/get-message", 2L)), 0);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ScaleSetLatencyBench.print(r, new PrintStream(buf, true, StandardCharsets.UTF_8));
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("Scale set to container").contains("1500")
                .contains("burst fully started in 700 ms").contains("1.40x").contains("120 requests/hour");
        assertThat(r.json()).contains("\"cold\": {\"jobs\": 3").contains("\"p99Seconds\": 1.500")
                .contains("\"burstFloorSeconds\": 0.500").contains("\"idleRequestsPerHour\": 120.000")
                .contains("\"idleRequests\": {\"actions-service/get-message\": 2}");
        assertThat(new ScaleSetLatencyBench.Result(new double[] {0.3}, new double[0], Double.NaN, Duration.ofSeconds(1),
                java.util.Map.of(), 0).json()).contains("\"burst\": null").contains("\"burstFloorSeconds\": null");

        // --skip-docker skips the scale-set section too: "scaleSet": null in the JSON
        Benchmarks.Options o = Benchmarks.Options.parse("--skip-docker", "--skip-api", "--skip-memory",
                "--scale-set-jobs", "3", "--job-start-jobs", "0", "--burst", "0", "--out", dir.toString());
        Benchmarks.Results results = Benchmarks.run(o, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8));
        assertThat(results.scaleSet()).isNull();
        assertThat(Files.readString(Benchmarks.write(results))).contains("\"scaleSet\": null");
    }

    @Test
    void jobStartAndFloorOptionsDefaultAndParse() {
        Benchmarks.Options d = Benchmarks.Options.parse();
        assertThat(d.jobStartJobs()).isEqualTo(20);
        assertThat(d.burst()).isEqualTo(20);
        assertThat(d.runnerSh()).isTrue();
        assertThat(d.cli()).isTrue();
        assertThat(d.runnerfleet()).isEqualTo(Path.of("scripts", "runnerfleet"));
        assertThat(d.jobStartOn()).containsExactly(JobStartBench.Backend.DOCKER, JobStartBench.Backend.PROCESS);

        Benchmarks.Options o = Benchmarks.Options.parse("--job-start-jobs", "3", "--burst", "0", "--job-start-backends",
                "process", "--skip-runner-sh", "--skip-cli", "--runnerfleet", "x/rf");
        assertThat(o.jobStartJobs()).isEqualTo(3);
        assertThat(o.burst()).isZero();
        assertThat(o.jobStartOn()).containsExactly(JobStartBench.Backend.PROCESS);
        assertThat(o.runnerSh()).isFalse();
        assertThat(o.cli()).isFalse();
        assertThat(o.runnerfleet()).isEqualTo(Path.of("x/rf"));
        // no engine: docker drops out of the job-start backends, the process backend stays
        assertThat(Benchmarks.Options.parse("--skip-docker").jobStartOn()).containsExactly(JobStartBench.Backend.PROCESS);
        assertThat(Benchmarks.Options.parse("--job-start-jobs", "0", "--burst", "0").jobStartOn()).isEmpty();

        assertThatThrownBy(() -> Benchmarks.Options.parse("--job-start-backends", "docker,vm"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'vm'")
                .hasMessageContaining("docker,process");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--burst", "-2")).hasMessageContaining("--burst")
                .hasMessageContaining("'-2'");
        assertThatThrownBy(() -> Benchmarks.Options.parse("--job-start-backends")).hasMessageContaining("needs a value")
                .hasMessageContaining("docker,process");
    }

    @Test
    void jobStartOnHostProcessesMeasuresColdAndWarmAndRecordsTheLoad(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")),
                "skipped: the fake runner needs /bin/busybox for its applets (apt-get install busybox-static)");
        Benchmarks.Options o = Benchmarks.Options.parse("--skip-docker", "--skip-api", "--skip-memory",
                "--job-start-jobs", "1", "--burst", "2", "--job-start-backends", "process", "--out", dir.toString());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Benchmarks.Results r = Benchmarks.run(o, new PrintStream(buf, true, StandardCharsets.UTF_8));

        assertThat(r.jobStart()).extracting(s -> (s.warm() ? "warm " : "cold ") + (s.burst() ? "burst" : "single")
                + " " + s.seconds().length).containsExactly("cold single 1", "cold burst 2", "warm single 1", "warm burst 2");
        assertThat(r.jobStart()).allSatisfy(s -> {
            assertThat(s.backend()).isEqualTo(JobStartBench.Backend.PROCESS);
            assertThat(java.util.Arrays.stream(s.seconds()).min().orElseThrow()).isNotNegative();
            assertThat(s.load().before().cores()).isPositive();
        });
        assertThat(r.loads()).containsKey("jobStart");
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("Job start").contains("process  cold")
                .contains("machine: load");
        String json = Files.readString(Benchmarks.write(r));
        assertThat(json).contains("\"jobStart\": [").contains("\"pool\": \"warm\"").contains("\"mode\": \"burst\"")
                .contains("\"load1\": ").contains("\"disturbed\": ");
    }

    @Test
    void machineLoadIsDisturbedWhenOthersKeepTheProcessorsBusy() {
        assertThat(new MachineLoad(0.3, 0.2, 0.1, 0.05, 2).disturbed()).isFalse();
        assertThat(new MachineLoad(0.3, 0.2, 0.1, 0.6, 2).disturbed()).as("busy during the idle probe").isTrue();
        assertThat(new MachineLoad(5, 4, 3, Double.NaN, 2).disturbed()).as("load above the core count").isTrue();
        MachineLoad.Marks marks = new MachineLoad.Marks(new MachineLoad(5, 4, 3, 0.9, 2), new MachineLoad(6, 4, 3, Double.NaN, 2));
        assertThat(marks.json()).contains("\"load1\": 5.00").contains("\"busy\": null").contains("\"disturbed\": true");
        assertThat(marks.line()).contains("DISTURBED").contains("90 %");
        MachineLoad now = MachineLoad.sample(Duration.ofMillis(20));
        assertThat(now.cores()).isPositive();
    }

    @Test
    void theSimulatedBackendRefusesJitSpecsByName() {
        try (SimulatedRunnerBackend backend = new SimulatedRunnerBackend("http://127.0.0.1:9")) {
            LaunchSpec jit = LaunchSpec.builder("f", "p", "f-p-1", "img").command(new RunnerCommand(List.of(), List.of()))
                    .secret("ACTIONS_RUNNER_INPUT_JITCONFIG", Secret.of("jit-secret-value")).build();
            assertThatThrownBy(() -> backend.launch(jit)).isInstanceOf(InvalidSpecException.class)
                    .hasMessageContaining("f-p-1").hasMessageContaining("registration-token mode")
                    .hasMessageNotContaining("jit-secret-value");
        }
    }
}
