package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Labels compare case-insensitively, keep their first spelling and order, and are validated. */
class LabelSetTest {

    @Test
    void duplicatesFoldIgnoringCaseAndTheFirstSpellingIsKept() {
        LabelSet labels = LabelSet.of("self-hosted", "Linux", "LINUX", "X64", "linux");
        assertThat(labels.asList()).containsExactly("self-hosted", "Linux", "X64");
        assertThat(labels).hasToString("[self-hosted, Linux, X64]");
        assertThat(labels.size()).isEqualTo(3);
    }

    @Test
    void equalityIgnoresCaseAndOrder() {
        assertThat(LabelSet.of("Linux", "X64")).isEqualTo(LabelSet.of("x64", "linux"))
                .hasSameHashCodeAs(LabelSet.of("x64", "linux"));
        assertThat(LabelSet.of("Linux")).isNotEqualTo(LabelSet.of("Linux", "X64"));
    }

    @Test
    void missingAndPlusKeepTheirOperandsSpelling() {
        LabelSet runner = LabelSet.of("self-hosted", "Linux", "X64");
        assertThat(runner.missing(LabelSet.of("SELF-HOSTED", "gpu", "Cuda")).asList()).containsExactly("gpu", "Cuda");
        assertThat(runner.missing(LabelSet.of("linux")).isEmpty()).isTrue();
        assertThat(runner.plus("intel", "linux").asList()).containsExactly("self-hosted", "Linux", "X64", "intel");
        assertThat(runner.contains("x64")).isTrue();
        assertThat(runner.contains((String) null)).isFalse();
        assertThat(runner.containsAll(LabelSet.empty())).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"'intel, kvm ,,gpu' | intel,kvm,gpu", "' ' | ''", "'a,A' | a"})
    void parseReadsTheRunnersCommaSeparatedForm(String text, String expected) {
        assertThat(LabelSet.parse(text).toCommaSeparated()).isEqualTo(expected);
    }

    @Test
    void atMostOneHundredLabels() {
        List<String> hundred = IntStream.rangeClosed(1, 100).mapToObj(i -> "l" + i).toList();
        assertThat(LabelSet.of(hundred).size()).isEqualTo(100);
        List<String> more = IntStream.rangeClosed(1, 101).mapToObj(i -> "l" + i).toList();
        assertThatThrownBy(() -> LabelSet.of(more)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("101");
        assertThatThrownBy(() -> LabelSet.of(hundred).plus("extra")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("at most 100");
    }

    @Test
    void labelsOfTwoHundredFiftySixCharactersAreTheLongest() {
        assertThat(LabelSet.of("x".repeat(256)).size()).isEqualTo(1);
        assertThatThrownBy(() -> LabelSet.of("y".repeat(257))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("257 characters").hasMessageContaining("256");
    }

    @Test
    void nullLabelIsRefused() {
        assertThatThrownBy(() -> LabelSet.validate(null)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("null");
    }
}
