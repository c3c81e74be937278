package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The runner listener's exit codes, as inputs to the lifecycle. */
class RunnerExitTest {

    @ParameterizedTest(name = "exit {0} -> {1}, {2}")
    @CsvSource({"0, SUCCESS, FINISH", "1, TERMINATED, FAIL", "2, RETRYABLE, RESTART", "3, UPDATING, RESTART",
            "4, RUN_ONCE_UPDATING, RESTART", "5, SESSION_CONFLICT, FAIL", "6, CONFIG_REFRESHED, RESTART",
            "7, VERSION_DEPRECATED, FAIL", "137, SIGNALLED, RESTART", "143, SIGNALLED, RESTART", "8, UNKNOWN, FAIL",
            "255, UNKNOWN, FAIL", "-1, UNKNOWN, FAIL", "128, UNKNOWN, FAIL"})
    void codesMapToMeaningAndAction(int code, RunnerExit expected, RunnerExit.Action action) {
        assertThat(RunnerExit.of(code)).isEqualTo(expected);
        assertThat(RunnerExit.of(code).action()).isEqualTo(action);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2   | exit code 2 (retryable error)",
            "137 | exit code 137 (killed by signal 9, SIGKILL (out of memory?))",
            "143 | exit code 143 (killed by signal 15, SIGTERM)",
            "130 | exit code 130 (killed by signal 2)",
            "42  | exit code 42 (unknown exit code)"})
    void describeNamesTheCodeAndItsMeaning(int code, String text) {
        assertThat(RunnerExit.describe(code)).isEqualTo(text);
    }
}
