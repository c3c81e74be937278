package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {
    @Test
    void linesSplitAnywhereEvenInsideAUtf8CharacterAreReassembled() {
        List<String> lines = new ArrayList<>();
        LineSplitter s = new LineSplitter(lines::add);
        byte[] all = "grüße\r\nzwei\ndrei".getBytes(StandardCharsets.UTF_8);
        s.accept(Arrays.copyOfRange(all, 0, 3)); // splits the two bytes of ü
        s.accept(Arrays.copyOfRange(all, 3, all.length));
        s.finish();
        assertThat(lines).containsExactly("grüße", "zwei", "drei");
    }
}
