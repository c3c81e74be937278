package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildContextTest {
    @TempDir
    Path dir;

    @BeforeEach
    void context() throws IOException {
        Files.writeString(dir.resolve("Dockerfile"), "FROM scratch\n");
        Files.writeString(dir.resolve(".dockerignore"), "*.log\nDockerfile\n");
        Files.writeString(dir.resolve("app.sh"), "echo hi\n");
        Files.writeString(dir.resolve("noise.log"), "noise\n");
        Files.createDirectories(dir.resolve("lib"));
        Files.writeString(dir.resolve("lib/a.txt"), "a\n");
    }

    private RunnerImage.Dockerfile image() {
        return RunnerImage.dockerfile(dir).tag("t:1");
    }

    @Test
    void ignoredFilesAreLeftOutButTheDockerfileAlwaysGoes() {
        BuildContext ctx = BuildContext.scan(image());
        assertThat(ctx.files()).containsExactly(".dockerignore", "Dockerfile", "app.sh", "lib", "lib/a.txt");
        assertThat(ctx.dockerfile()).isEqualTo("Dockerfile");
    }

    @Test
    void theHashIsStableAndChangesWithContentArgsAndTargetButNotWithIgnoredFiles() throws IOException {
        String base = BuildContext.scan(image()).hash(Map.of("A", "1"), null);
        assertThat(BuildContext.scan(image()).hash(Map.of("A", "1"), null)).isEqualTo(base).hasSize(64);

        Files.writeString(dir.resolve("noise.log"), "other noise\n");
        assertThat(BuildContext.scan(image()).hash(Map.of("A", "1"), null)).isEqualTo(base);

        assertThat(BuildContext.scan(image()).hash(Map.of("A", "2"), null)).isNotEqualTo(base);
        assertThat(BuildContext.scan(image()).hash(Map.of("A", "1"), "stage")).isNotEqualTo(base);

        Files.writeString(dir.resolve("lib/a.txt"), "b\n");
        assertThat(BuildContext.scan(image()).hash(Map.of("A", "1"), null)).isNotEqualTo(base);
    }

    @Test
    void theExecutableBitCountsBecauseItChangesTheImage() {
        String before = BuildContext.scan(image()).hash(Map.of(), null);
        assertThat(dir.resolve("app.sh").toFile().setExecutable(true)).isTrue();
        assertThat(BuildContext.scan(image()).hash(Map.of(), null)).isNotEqualTo(before);
    }

    @Test
    void theTarHoldsExactlyTheSentFiles() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BuildContext.scan(image()).writeTar(out);
        List<String> names = new ArrayList<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(out.toByteArray()))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                names.add(e.getName());
            }
        }
        assertThat(names).containsExactly(".dockerignore", "Dockerfile", "app.sh", "lib/", "lib/a.txt");
    }

    @Test
    void missingDockerfileContextOrEscapingPathIsAnInvalidSpec() throws IOException {
        Files.delete(dir.resolve("Dockerfile"));
        assertThatThrownBy(() -> BuildContext.scan(image())).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("no Dockerfile at " + dir.resolve("Dockerfile"));
        assertThatThrownBy(() -> BuildContext.scan(image().dockerfile("../Dockerfile")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("outside its context");
        assertThatThrownBy(() -> BuildContext.scan(RunnerImage.dockerfile(dir.resolve("missing")).tag("t:1")))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("not a directory");
    }
}
