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
                "--window", "1", "--memory-runners", "3", "--out", dir.toString());
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
