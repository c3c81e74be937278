package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.Secret;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunnerShSettingsTest {

    @Test
    void defaultsMatchRunnerSh() {
        RunnerShSettings s = RunnerShSettings.from(Map.of("ORG", "acme"), "host1");
        assertThat(s.organization()).isEqualTo("acme");
        assertThat(s.repository()).isEmpty();
        assertThat(s.namePrefix()).isEqualTo("host1-acme");
        assertThat(s.image()).isEqualTo(RunnerShSettings.DEFAULT_IMAGE);
        assertThat(s.runnerGroup()).isEqualTo("Default");
        assertThat(s.labels()).isEqualTo(LabelSet.of("intel"));
        assertThat(s.boards()).hasSize(2);
        assertThat(s.boards().get(0).labels()).isEqualTo(LabelSet.of("board"));
        assertThat(s.boards().get(0).groups()).containsExactly("dialout");
        assertThat(s.boards().get(0).devices()).contains("/dev/kvm", "/dev/loop-control");
        assertThat(s.githubUrl()).isEqualTo("https://api.github.com");
        assertThat(s.disableAutoUpdate()).isFalse();
        assertThat(s.pat()).isEmpty();
    }

    @Test
    void perBoardOverridesWinAndMayBeEmpty() {
        RunnerShSettings s = RunnerShSettings.from(Map.of(
                "ORG", "acme", "REPO", "axvisor", "RUNNER_BOARD_COUNT", "3",
                "BOARD_RUNNER_LABELS", "board,arm",
                "BOARD_RUNNER_LABELS_2", "phytiumpi",
                "BOARD_RUNNER_DEVICES", "/dev/ttyUSB0",
                "BOARD_RUNNER_DEVICES_3", "",
                "BOARD_RUNNER_ENV_2", "BOARD_COMM_UART_BAUD=115200; PORT=/dev/ttyUSB0",
                "BOARD_RUNNER_VOLUMES_2", "/opt/images:/images:ro;cache:/cache"), "h");
        assertThat(s.namePrefix()).isEqualTo("h-acme-axvisor");
        assertThat(s.boards()).extracting(RunnerShSettings.Board::labels)
                .containsExactly(LabelSet.of("board", "arm"), LabelSet.of("phytiumpi"), LabelSet.of("board", "arm"));
        assertThat(s.boards().get(0).devices()).containsExactly("/dev/ttyUSB0");
        assertThat(s.boards().get(2).devices()).isEmpty();
        assertThat(s.boards().get(1).env()).containsExactly(Map.entry("BOARD_COMM_UART_BAUD", "115200"),
                Map.entry("PORT", "/dev/ttyUSB0"));
        assertThat(s.boards().get(1).volumes()).containsExactly("/opt/images:/images:ro", "cache:/cache");
    }

    @Test
    void prefixLosesItsTrailingDashAndLegacyBoardCountIsRead() {
        RunnerShSettings s = RunnerShSettings.from(Map.of("ORG", "o", "RUNNER_NAME_PREFIX", "lab-", "RUNNER_BOARD", "0"), "h");
        assertThat(s.namePrefix()).isEqualTo("lab");
        assertThat(s.boards()).isEmpty();
    }

    @Test
    void disableAutoUpdateAcceptsTheUsualTruthyWords() {
        for (String yes : new String[] {"1", "true", "TRUE", "yes", "on"}) {
            assertThat(RunnerShSettings.from(Map.of("DISABLE_AUTO_UPDATE", yes), "h").disableAutoUpdate()).as(yes).isTrue();
        }
        assertThat(RunnerShSettings.from(Map.of("DISABLE_AUTO_UPDATE", "0"), "h").disableAutoUpdate()).isFalse();
    }

    @Test
    void secretsAreTypedAndNeverPrinted() {
        RunnerShSettings s = RunnerShSettings.from(Map.of("ORG", "acme", "GH_PAT", "ghp_abcdef123",
                "GH_APP_ID", "42", "GH_APP_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nxyz\n-----END RSA PRIVATE KEY-----",
                "HTTPS_PROXY", "http://127.0.0.1:3128"), "h");
        assertThat(s.pat()).contains(Secret.of("ghp_abcdef123"));
        assertThat(s.app()).hasValueSatisfying(app -> assertThat(app.appId()).isEqualTo("42"));
        assertThat(s.proxy()).containsExactly(Map.entry("HTTPS_PROXY", "http://127.0.0.1:3128"));
        assertThat(s.toString()).doesNotContain("ghp_abcdef123").doesNotContain("xyz").contains("pat ****");
    }

    @Test
    void badValuesNameTheVariable() {
        assertThatThrownBy(() -> RunnerShSettings.from(Map.of("RUNNER_BOARD_COUNT", "two"), "h"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNER_BOARD_COUNT").hasMessageContaining("'two'");
        assertThatThrownBy(() -> RunnerShSettings.from(Map.of("RUNNER_BOARD_COUNT", "1", "BOARD_RUNNER_ENV_1", "novalue"), "h"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("BOARD_RUNNER_ENV_1").hasMessageContaining("KEY=VALUE");
        assertThat(RunnerShSettings.from(Map.of("RUNNER_LABELS", "intel, ,kvm ,"), "h").labels())
                .as("empty entries are dropped and entries trimmed, as the runner's --labels does")
                .isEqualTo(LabelSet.of("intel", "kvm"));
        assertThatThrownBy(() -> RunnerShSettings.from(Map.of("GH_APP_ID", "42"), "h"))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("GH_APP_PRIVATE_KEY");
    }

    @Test
    void issue17_aListVariableOfOnlyEmptyEntriesIsRefusedNamingTheVariable() {
        for (Map.Entry<String, String> bad : Map.of("RUNNER_LABELS", " , ,", "BOARD_RUNNER_LABELS_1", ",",
                "BOARD_RUNNER_DEVICES", " ,", "BOARD_RUNNER_GROUP_ADD_1", ",,", "BOARD_RUNNER_VOLUMES_1", " ; ",
                "BOARD_RUNNER_ENV", ";;").entrySet()) {
            assertThatThrownBy(() -> RunnerShSettings.from(Map.of("RUNNER_BOARD_COUNT", "1", bad.getKey(), bad.getValue()), "h"))
                    .as(bad.getKey()).isInstanceOf(InvalidSpecException.class)
                    .hasMessageStartingWith(bad.getKey() + " has only empty entries after splitting");
        }
        RunnerShSettings none = RunnerShSettings.from(Map.of("RUNNER_BOARD_COUNT", "1", "RUNNER_LABELS", "",
                "BOARD_RUNNER_DEVICES_1", "", "BOARD_RUNNER_GROUP_ADD_1", ""), "h");
        assertThat(none.labels().isEmpty()).as("an empty value still means none").isTrue();
        assertThat(none.boards().get(0).devices()).isEmpty();
        assertThat(none.boards().get(0).groups()).isEmpty();
    }
}
