package io.runnerfleet.docker.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DockerIgnoreTest {
    @Test
    void globsMatchWithinOneSegmentAndDirectoriesExcludeTheirContent() {
        DockerIgnore ignore = DockerIgnore.parse("# comment\n*.log\nbuild/\n/secrets\ndocs/*.md\n");
        assertThat(ignore.excludes("a.log")).isTrue();
        assertThat(ignore.excludes("sub/a.log")).as("* does not cross /").isFalse();
        assertThat(ignore.excludes("build/out/x.bin")).isTrue();
        assertThat(ignore.excludes("secrets/key")).isTrue();
        assertThat(ignore.excludes("docs/a.md")).isTrue();
        assertThat(ignore.excludes("docs/deep/a.md")).isFalse();
        assertThat(ignore.excludes("Dockerfile")).isFalse();
    }

    @Test
    void doubleStarCrossesDirectoriesAndLaterExceptionsWin() {
        DockerIgnore ignore = DockerIgnore.parse("**/*.tmp\n*.md\n!README.md\n");
        assertThat(ignore.excludes("x.tmp")).isTrue();
        assertThat(ignore.excludes("a/b/c/x.tmp")).isTrue();
        assertThat(ignore.excludes("NOTES.md")).isTrue();
        assertThat(ignore.excludes("README.md")).isFalse();
    }

    @Test
    void questionMarksClassesAndCleanedPaths() {
        DockerIgnore ignore = DockerIgnore.parse("file?.txt\n[ab]*.bin\n./cache/../tmp\n");
        assertThat(ignore.excludes("file1.txt")).isTrue();
        assertThat(ignore.excludes("file10.txt")).isFalse();
        assertThat(ignore.excludes("a1.bin")).isTrue();
        assertThat(ignore.excludes("c1.bin")).isFalse();
        assertThat(ignore.excludes("tmp/x")).isTrue();
        assertThat(ignore.excludes("./tmp")).isTrue();
    }

    @Test
    void regexCharactersInNamesAreLiteral() {
        DockerIgnore ignore = DockerIgnore.parse("a+b(1).txt\n");
        assertThat(ignore.excludes("a+b(1).txt")).isTrue();
        assertThat(ignore.excludes("aab(1).txt")).isFalse();
        assertThat(DockerIgnore.none().excludes("anything")).isFalse();
    }
}
