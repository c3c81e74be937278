package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runner names: {@code <fleet>-<pool>-<n>[-suffix]}, within what GitHub accepts. */
class RunnerNameTest {

    @Test
    void persistentAndEphemeralNames() {
        assertThat(RunnerName.of("s1lqc", "phytiumpi", 1)).hasToString("s1lqc-phytiumpi-1");
        RunnerName a = RunnerName.ephemeral("s1lqc", "qemu", 3, new Random(7));
        RunnerName b = RunnerName.ephemeral("s1lqc", "qemu", 3, new Random(7));
        assertThat(a.toString()).matches("s1lqc-qemu-3-[a-z0-9]{5}");
        assertThat(a).isEqualTo(b);
        assertThat(a.isEphemeral()).isTrue();
        assertThat(RunnerName.ephemeral("s1lqc", "qemu", 3, new Random(8))).isNotEqualTo(a);
    }

    @Test
    void theLongestPossibleNameFitsGitHubsLimit() {
        String part = "a".repeat(RunnerName.MAX_PART);
        RunnerName longest = RunnerName.ephemeral(part, part, Scaling.MAX_RUNNERS, new Random(1));
        assertThat(longest.toString().length()).isLessThanOrEqualTo(RunnerName.GITHUB_MAX_LENGTH);
    }

    @ParameterizedTest
    @CsvSource({"S1LQC, qemu, 1, fleet name 'S1LQC'", "s1lqc, qemu_x, 1, pool name 'qemu_x'", "s1lqc, qemu, 0, runner number 0",
            "s1lqc, qemu, 10000, runner number 10000", "-s, qemu, 1, fleet name '-s'"})
    void invalidPartsAreNamed(String fleet, String pool, int index, String message) {
        assertThatThrownBy(() -> RunnerName.of(fleet, pool, index)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining(message);
    }

    @Test
    void badSuffixIsRefused() {
        assertThatThrownBy(() -> new RunnerName("f", "p", 1, "ABCDE")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'ABCDE'");
    }

    @ParameterizedTest(name = "{0} -> pool {1}, #{2}, suffix {3}")
    @CsvSource({"s1lqc-qemu-3, qemu, 3, ''", "s1lqc-qemu-3-k4f9z, qemu, 3, k4f9z", "s1lqc-a-b-12, a-b, 12, ''",
            "s1lqc-a-7, a, 7, ''", "s1lqc-a-b-c-1, '', 0, ''", "other-qemu-1, '', 0, ''", "s1lqc-qemu-01, '', 0, ''",
            "s1lqc-qemu-1-toolong, '', 0, ''", "s1lqc-qemu, '', 0, ''", "s1lqc-x-b-1, '', 0, ''"})
    void parseTellsThisFleetsRunnersApart(String name, String pool, int index, String suffix) {
        var parsed = RunnerName.parse("s1lqc", List.of("a", "a-b", "qemu"), name);
        if (pool.isEmpty()) {
            assertThat(parsed).isEmpty();
        } else {
            assertThat(parsed).contains(new RunnerName("s1lqc", pool, index, suffix));
            assertThat(parsed.orElseThrow()).hasToString(name);
        }
    }
}
