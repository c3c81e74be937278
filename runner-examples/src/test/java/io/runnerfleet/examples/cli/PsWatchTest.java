package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code ps --watch}: what is printed per look, and its option checks. */
class PsWatchTest {
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05.678Z");

    @Test
    void anUnchangedTableIsNotPrintedAgain() {
        assertThat(PsCommand.watchFrame("T\n", "T\n", true, AT)).isNull();
        assertThat(PsCommand.watchFrame("T\n", "T\n", false, AT)).isNull();
    }

    @Test
    void aTerminalGetsTheScreenClearedAndRedrawn() {
        assertThat(PsCommand.watchFrame("A\n", "B\n", true, AT))
                .isEqualTo("\u001b[H\u001b[2Jrunnerfleet ps --watch  2026-01-02T03:04:05Z\nB\n");
    }

    @Test
    void withoutATerminalEachChangeIsAPlainTimestampedTableWithoutEscapes() {
        assertThat(PsCommand.watchFrame(null, "A\n", false, AT)).isEqualTo("runnerfleet ps --watch  2026-01-02T03:04:05Z\nA\n");
        assertThat(PsCommand.watchFrame("A\n", "B\n", false, AT)).doesNotContain("\u001b")
                .isEqualTo("\nrunnerfleet ps --watch  2026-01-02T03:04:05Z\nB\n");
    }

    @Test
    void watchRefusesJsonWithAUsageError() {
        TestTerminal t = TestTerminal.none();
        int code = RunnerFleetCli.run(new String[] {"ps", "--watch", "--json"}, t,
                Map.of("ORG", "acme", "GH_PAT", "ghp_x", "RUNNER_BOARD_COUNT", "0"), () -> null, Duration.ofSeconds(5));
        assertThat(code).as(t.all()).isEqualTo(ExitCode.USAGE);
        assertThat(t.err.toString()).contains("drop --json");
    }
}
