package io.runnerfleet.github.scaleset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScaleSetStateTest {
    @TempDir
    Path dir;

    @Test
    void aMissingFileIsAnEmptySnapshot() {
        assertThat(ScaleSetState.file(dir.resolve("none.json")).load()).isEqualTo(ScaleSetState.Snapshot.EMPTY);
    }

    @Test
    void aSnapshotIsSavedAtomicallyOwnerOnlyAndLoadedBack() throws Exception {
        Path file = dir.resolve("sub/qemu.json");
        ScaleSetState state = ScaleSetState.file(file);
        ScaleSetState.Snapshot s = new ScaleSetState.Snapshot("qemu", 42, Optional.of("9b2f"), 17);
        state.save(s);
        state.save(s.withLastMessageId(18));
        assertThat(ScaleSetState.file(file).load()).isEqualTo(s.withLastMessageId(18));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (var files = Files.list(file.getParent())) {
            assertThat(files).containsExactly(file);
        }
        state.save(s.withSession(null));
        assertThat(state.load().sessionId()).isEmpty();
        assertThat(state.toString()).contains(file.toString());
    }

    @Test
    void aCorruptFileIsNamedInTheError() throws Exception {
        Path file = dir.resolve("bad.json");
        Files.writeString(file, "{not json");
        assertThatThrownBy(() -> ScaleSetState.file(file).load()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("delete it");
        Files.writeString(file, "{\"version\":9}");
        assertThatThrownBy(() -> ScaleSetState.file(file).load()).hasMessageContaining("version");
    }

    @Test
    void inMemoryStateKeepsTheLastSnapshot() {
        ScaleSetState state = ScaleSetState.inMemory();
        ScaleSetState.Snapshot s = new ScaleSetState.Snapshot("qemu", 1, Optional.empty(), 2);
        state.save(s);
        assertThat(state.load()).isEqualTo(s);
    }
}
