package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.spi.BuildProgress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildOutputTest {
    @Test
    void stepsAndLinesAreParsedAcrossChunkBoundariesAndNoiseIsNotKept() {
        List<BuildProgress> seen = new ArrayList<>();
        BuildOutput out = new BuildOutput(seen::add);
        out.accept("Step 1/2 : FROM base\n ---> abc\nSte");
        out.accept("p 2/2 : RUN make\n ---> Running in 123\n\u001b[91mcc: error\n\u001b[0mpartial");
        out.finish();
        assertThat(seen).contains(new BuildProgress(1, 2, "FROM base", ""), new BuildProgress(2, 2, "RUN make", ""),
                new BuildProgress(2, 2, "RUN make", "cc: error"), new BuildProgress(2, 2, "RUN make", "partial"));
        assertThat(out.step()).isEqualTo(2);
        assertThat(out.totalSteps()).isEqualTo(2);
        assertThat(out.lastLines()).containsExactly("cc: error", "partial");
    }

    @Test
    void aThrowingListenerDoesNotBreakParsingAndOnlyTheLastLinesAreKept() {
        BuildOutput out = new BuildOutput(p -> {
            throw new IllegalStateException("listener bug");
        });
        out.accept("Step 1/1 : RUN x\n");
        for (int i = 0; i < 50; i++) {
            out.accept("line " + i + "\n");
        }
        assertThat(out.lastLines()).hasSize(BuildOutput.LAST_LINES).endsWith("line 49").startsWith("line 30");
    }
}
