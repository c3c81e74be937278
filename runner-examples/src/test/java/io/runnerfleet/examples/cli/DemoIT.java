package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.testing.DockerEngine;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code runnerfleet demo} runs to completion on the real engine and leaves nothing behind. */
@ExtendWith(DockerEngine.class)
class DemoIT {
    @Test
    void theDemoRunsToCompletionAndCleansUp() {
        DockerEngine.busyboxImage();
        TestTerminal t = TestTerminal.none();
        // The demo's own 60 s bound fails it when too slow; how fast it is belongs to the benchmarks, not here.
        int code = RunnerFleetCli.run(new String[] {"demo"}, t, Map.of(), DockerBackend::fromEnvironment, Duration.ofSeconds(60));
        String out = t.out.toString();
        assertThat(code).as(t.all()).isZero();
        assertThat(out).contains("Active").contains("was replaced").contains("nobody can take").contains("riscv-board")
                .contains("== done");
        Matcher m = Pattern.compile("fleet (demo[a-z0-9]+):").matcher(out);
        assertThat(m.find()).isTrue();
        DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, m.group(1));
    }
}
