package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EnvFileTest {

    private static Map<String, String> parse(String text) {
        return EnvFile.parse(text, ".env").values();
    }

    // Each of these broke runner.sh's `export $(grep ... | sed 's/^/export /')`.
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "ORG=myorg                               | myorg",
        "ORG=\"myorg\"                           | myorg",
        "ORG='myorg'                             | myorg",
        "export ORG=myorg                        | myorg",
        "ORG=myorg # the org                     | myorg",
        "ORG=\"my org\" # quoted, with a comment | my org",
        "ORG=my org                              | my org",
        "ORG= spaced                             | spaced",
        "ORG = around                            | around",
        "ORG=a*b                                 | a*b",
        "ORG=color#1                             | color#1",
        "ORG='it''s'                             | its",
        "ORG=\"say \\\"hi\\\"\"                  | say \"hi\"",
        "ORG='$HOME stays'                       | $HOME stays",
        "ORG=$HOME                               | $HOME",
        "ORG=                                    | ''",
    })
    void valuesRunnerShGotWrongAreReadAsWritten(String line, String expected) {
        String want = expected.equals("''") ? "" : expected;
        if (line.equals("ORG='it''s'")) {
            assertThatThrownBy(() -> parse(line)).isInstanceOf(InvalidSpecException.class);
            return;
        }
        assertThat(parse(line)).containsExactly(Map.entry("ORG", want));
    }

    @Test
    void commentsBlankLinesAndExportAreNotVariables() {
        Map<String, String> values = parse("""
                # Runner Fleet settings
                
                   # indented comment
                export ORG=acme
                export  GH_PAT=ghp_x # the token
                RUNNER_LABELS=intel,kvm
                BOARD_RUNNER_ENV_1="BAUD=115200;PORT=/dev/ttyUSB0"
                """);
        assertThat(values).containsOnlyKeys("ORG", "GH_PAT", "RUNNER_LABELS", "BOARD_RUNNER_ENV_1")
                .containsEntry("GH_PAT", "ghp_x")
                .containsEntry("BOARD_RUNNER_ENV_1", "BAUD=115200;PORT=/dev/ttyUSB0");
        assertThat(values).doesNotContainKey("export");
    }

    @Test
    void quotedValuesMaySpanLinesAndEscapes() {
        Map<String, String> values = parse("KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nA='x\ny'\nB=\"tab\\there\"\n");
        assertThat(values).containsEntry("KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----")
                .containsEntry("A", "x\ny").containsEntry("B", "tab\there");
    }

    @Test
    void theLastDefinitionWinsAndTheProcessEnvironmentOverridesTheFile() {
        EnvFile file = EnvFile.parse("ORG=first\nORG=second\nREPO=r\n", ".env");
        assertThat(file.values()).containsEntry("ORG", "second");
        assertThat(file.overriddenBy(Map.of("ORG", "from-env"))).containsEntry("ORG", "from-env").containsEntry("REPO", "r");
    }

    @Test
    void malformedLinesNameFileAndLineButNotTheValue() {
        assertThatThrownBy(() -> EnvFile.parse("ORG=ok\nGH_PAT=\"ghp_secret\n", "prod.env"))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("prod.env:2").hasMessageContaining("never closed")
                .hasMessageNotContaining("ghp_secret");
        assertThatThrownBy(() -> EnvFile.parse("ORG=ok\n1BAD=x\n", ".env"))
                .hasMessageContaining(".env:2").hasMessageContaining("'1BAD' is not a variable name");
        assertThatThrownBy(() -> EnvFile.parse("just words\n", ".env"))
                .hasMessageContaining(".env:1").hasMessageContaining("expected KEY=value");
        assertThatThrownBy(() -> EnvFile.parse("A=\"x\" trailing\n", ".env"))
                .hasMessageContaining("unexpected text after the quoted value of A");
    }

    @Test
    void aMissingFileIsEmptyAndToStringShowsNamesOnly(@TempDir Path dir) throws Exception {
        assertThat(EnvFile.load(dir.resolve("absent.env")).values()).isEmpty();
        Path file = Files.writeString(dir.resolve(".env"), "GH_PAT=ghp_secret_value\n");
        EnvFile env = EnvFile.load(file);
        assertThat(env.get("GH_PAT")).contains("ghp_secret_value");
        assertThat(env.toString()).isEqualTo("EnvFile[GH_PAT]");
    }

    @Test
    void issue17_aFileThatIsNotUtf8IsNamedWithTheLineAndOffsetButNotTheValue(@TempDir Path dir) throws Exception {
        Path file = dir.resolve(".env");
        byte[] latin1 = "ORG=acme\nGH_PAT=s\u00e9cret\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        Files.write(file, latin1);
        assertThatThrownBy(() -> EnvFile.load(file)).isInstanceOf(InvalidSpecException.class)
                .hasMessageStartingWith(file + ":2: the byte at offset 17 is not valid UTF-8")
                .hasMessageContaining("must be UTF-8").hasMessageNotContaining("cret");
    }
}
