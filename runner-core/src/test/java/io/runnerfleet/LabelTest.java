package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A single label: GitHub's case-insensitive equality, its spelling kept, the same validation as a set. */
class LabelTest {

    @Test
    void equalityAndOrderIgnoreCaseAndTheSpellingIsKept() {
        Label linux = Label.of("Linux");
        assertThat(linux).isEqualTo(Label.of("linux")).hasSameHashCodeAs(Label.of("LINUX"));
        assertThat(linux).isNotEqualTo(Label.of("Linux2"));
        assertThat(linux.value()).isEqualTo("Linux");
        assertThat(linux).hasToString("Linux");
        assertThat(linux.compareTo(Label.of("LINUX"))).isZero();
        assertThat(new TreeSet<>(Set.of(Label.of("x64"), Label.of("Intel"), Label.of("ARM"))))
                .extracting(Label::value).containsExactly("ARM", "Intel", "x64");
        assertThat(linux.matches("lInUx")).isTrue();
        assertThat(linux.matches(null)).isFalse();
    }

    @Test
    void aLabelSetAnswersForLabelsAndListsThem() {
        LabelSet set = LabelSet.of("self-hosted", "Linux", "phytiumpi");
        assertThat(set.contains(Label.of("PHYTIUMPI"))).isTrue();
        assertThat(set.contains(Label.of("intel"))).isFalse();
        assertThat(set.contains((Label) null)).isFalse();
        assertThat(set.labels()).containsExactly(Label.of("self-hosted"), Label.of("linux"), Label.of("phytiumpi"));
        assertThat(set.labels()).extracting(Label::value).containsExactly("self-hosted", "Linux", "phytiumpi");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "a,b", " intel", "intel "})
    void badLabelsAreRejectedByName(String bad) {
        assertThatThrownBy(() -> Label.of(bad)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'" + bad + "'");
    }

    @Test
    void nullAndOverlongLabelsAreRejected() {
        assertThatThrownBy(() -> Label.of(null)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> Label.of("z".repeat(257))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("257").hasMessageContaining("256");
    }
}
