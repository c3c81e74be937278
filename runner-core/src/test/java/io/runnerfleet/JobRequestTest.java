package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Building jobs and runner groups, and the errors for bad ones. */
class JobRequestTest {

    @Test
    void runsOnAsOneLabelAListOrAGroup() {
        assertThat(JobRequest.runsOn("self-hosted").labels()).isEqualTo(LabelSet.of("self-hosted"));
        assertThat(JobRequest.runsOn(List.of("self-hosted", "linux")).labels().asList()).containsExactly("self-hosted", "linux");
        JobRequest grouped = JobRequest.runsOnGroup("boards", "phytiumpi");
        assertThat(grouped.group()).isEqualTo("boards");
        assertThat(grouped).hasToString("JobRequest[runs-on {group: boards, labels: [phytiumpi]}]");
        assertThat(JobRequest.runsOnGroup("boards").labels().isEmpty()).isTrue();
    }

    @Test
    void originIsCarriedAndPrinted() {
        JobRequest job = JobRequest.runsOn("linux").repository("acme/site").publicRepository(true).workflow("acme/site/.github/workflows/ci.yml@main");
        assertThat(job).hasToString("JobRequest[runs-on [linux], public acme/site, workflow acme/site/.github/workflows/ci.yml@main]");
        assertThat(job.selfHostedOnly()).isFalse();
    }

    @Test
    void aJobNeedsALabelOrAGroup() {
        assertThatThrownBy(() -> JobRequest.runsOn()).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("at least one label or a runner group");
    }

    @ParameterizedTest
    @ValueSource(strings = {"acme", "acme/", "/app", "acme/app/x", "ac me/app"})
    void badRepositoriesAreNamed(String repo) {
        assertThatThrownBy(() -> JobRequest.runsOn("linux").repository(repo)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'" + repo + "'").hasMessageContaining("owner/name");
    }

    @Test
    void badLabelsAreNamed() {
        assertThatThrownBy(() -> JobRequest.runsOn("self-hosted", "linux,x64")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'linux,x64'").hasMessageContaining("comma");
        assertThatThrownBy(() -> JobRequest.runsOn(" linux")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("whitespace");
        assertThatThrownBy(() -> JobRequest.runsOn("")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> JobRequest.runsOn("x".repeat(257))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("257 characters");
    }

    @Test
    void groupRulesAreValidated() {
        assertThatThrownBy(() -> new RunnerGroup("g", RunnerGroup.Visibility.SELECTED, List.of(), false, List.of()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'g'").hasMessageContaining("no repositories");
        assertThatThrownBy(() -> new RunnerGroup("g", RunnerGroup.Visibility.ALL, List.of("acme/a"), false, List.of()))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("visibility ALL");
        assertThatThrownBy(() -> RunnerGroup.named(" g")).isInstanceOf(InvalidSpecException.class);
        assertThatThrownBy(() -> RunnerGroup.named("g").selectedRepositories("nope")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("runner group 'g'").hasMessageContaining("'nope'");
        assertThatThrownBy(() -> RunnerGroup.named("g").selectedWorkflows("ci.yml")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'ci.yml'");
    }

    @Test
    void defaultGroupIsTheOneGitHubCreates() {
        RunnerGroup d = RunnerGroup.defaultGroup();
        assertThat(d.isDefault()).isTrue();
        assertThat(d.visibility()).isEqualTo(RunnerGroup.Visibility.ALL);
        assertThat(d.allowsPublicRepositories()).isFalse();
        assertThat(d).hasToString("RunnerGroup[Default, all repositories]");
        assertThat(RunnerGroup.named("b").selectedRepositories("acme/a").allowPublicRepositories(true))
                .hasToString("RunnerGroup[b, repositories [acme/a], public allowed]");
    }
}
