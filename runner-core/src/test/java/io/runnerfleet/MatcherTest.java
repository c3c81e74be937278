package io.runnerfleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.Matcher.Candidate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** GitHub's documented runs-on rules, table by table. */
class MatcherTest {
    private static final LabelSet DEFAULTS = RunnerPlatform.LINUX_X64.defaultLabels();

    private static LabelSet labels(String spaceSeparated) {
        return spaceSeparated.isBlank() ? LabelSet.empty() : LabelSet.of(List.of(spaceSeparated.trim().split("\\s+")));
    }

    @ParameterizedTest(name = "runs-on [{0}] vs runner [{1}] -> matches {2}, lacks [{3}]")
    @CsvSource(delimiter = '|', textBlock = """
            linux                          | self-hosted Linux X64            | true  |
            self-hosted linux x64          | self-hosted Linux X64            | true  |
            SELF-HOSTED LINUX              | self-hosted Linux X64            | true  |
            self-hosted                    | self-hosted Linux X64 intel kvm  | true  |
            self-hosted linux intel        | self-hosted Linux X64 intel      | true  |
            self-hosted linux intel        | self-hosted Linux X64            | false | intel
            self-hosted linux gpu cuda     | self-hosted Linux X64            | false | gpu cuda
            self-hosted linux arm64        | self-hosted Linux X64            | false | arm64
            ubuntu-latest                  | self-hosted Linux X64            | false | ubuntu-latest
            self-hosted linux              | intel                            | false | self-hosted linux
            intel                          | intel                            | true  |
            Intel                          | INTEL                            | true  |
            """)
    void labelsMustAllBePresentIgnoringCase(String job, String runner, boolean matches, String lacks) {
        MatchResult result = Matcher.of(Candidate.runner("r", labels(runner), RunnerGroup.defaultGroup()))
                .match(JobRequest.runsOn(labels(job).asList()));
        assertThat(result.matched()).isEqualTo(matches);
        if (!matches) {
            assertThat(result.rejections()).singleElement().satisfies(r -> {
                assertThat(r.missingLabels().asList()).containsExactlyElementsOf(labels(lacks == null ? "" : lacks).asList());
                assertThat(r.groupReason()).isNull();
            });
        }
    }

    @ParameterizedTest(name = "{0}/{1}: default labels [{2}]")
    @CsvSource({
            "LINUX, X64, self-hosted Linux X64",
            "LINUX, ARM64, self-hosted Linux ARM64",
            "LINUX, ARM, self-hosted Linux ARM",
            "WINDOWS, X64, self-hosted Windows X64",
            "MACOS, ARM64, self-hosted macOS ARM64"})
    void defaultLabelsAreSelfHostedOsAndArchitecture(RunnerPlatform.Os os, RunnerPlatform.Architecture arch, String expected) {
        assertThat(RunnerPlatform.of(os, arch).defaultLabels().asList()).containsExactlyElementsOf(labels(expected).asList());
    }

    @ParameterizedTest(name = "os.name {0}, os.arch {1} -> {2}")
    @CsvSource({"Linux, amd64, Linux/X64", "Linux, aarch64, Linux/ARM64", "Mac OS X, aarch64, macOS/ARM64",
            "Windows 11, x86, Windows/X86", "Linux, arm, Linux/ARM"})
    void platformIsReadFromJavaProperties(String osName, String osArch, String expected) {
        assertThat(RunnerPlatform.parse(osName, osArch)).hasToString(expected);
    }

    @Test
    void unsupportedPlatformIsNamed() {
        assertThatThrownBy(() -> RunnerPlatform.parse("FreeBSD", "amd64")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("FreeBSD");
        assertThatThrownBy(() -> RunnerPlatform.parse("Linux", "riscv64")).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("riscv64");
    }

    @Test
    void noDefaultLabelsRunnerOnlyTakesJobsNamingItsOwnLabels() {
        Matcher matcher = Matcher.of(Candidate.runner("bare", LabelSet.of("phytiumpi"), RunnerGroup.defaultGroup()));
        assertThat(matcher.match(JobRequest.runsOn("phytiumpi")).matched()).isTrue();
        assertThat(matcher.match(JobRequest.runsOn("self-hosted", "phytiumpi")).rejections())
                .singleElement().satisfies(r -> assertThat(r.reason()).isEqualTo("runner bare lacks [self-hosted]"));
    }

    // ---- groups ----

    private static MatchResult matchInGroup(RunnerGroup group, JobRequest job) {
        return Matcher.of(Candidate.runner("r", DEFAULTS, group)).match(job);
    }

    @Test
    void defaultGroupRefusesPublicRepositoriesAndSaysHowToAllowThem() {
        MatchResult result = matchInGroup(RunnerGroup.defaultGroup(),
                JobRequest.runsOn("self-hosted", "linux").repository("acme/site").publicRepository(true));
        assertThat(result.matched()).isFalse();
        assertThat(result.rejections()).singleElement().satisfies(r -> {
            assertThat(r.missingLabels().isEmpty()).isTrue();
            assertThat(r.reason()).contains("runner group 'Default'", "acme/site is public", "Allow public repositories");
        });
    }

    @Test
    void groupThatAllowsPublicRepositoriesTakesTheirJobs() {
        assertThat(matchInGroup(RunnerGroup.defaultGroup().allowPublicRepositories(true),
                JobRequest.runsOn("self-hosted").repository("acme/site").publicRepository(true)).matched()).isTrue();
    }

    @Test
    void privateRepositoriesUseTheDefaultGroup() {
        assertThat(matchInGroup(RunnerGroup.defaultGroup(), JobRequest.runsOn("linux").repository("acme/app")).matched()).isTrue();
    }

    @ParameterizedTest(name = "selected [acme/firmware]: job from {0} -> {1}")
    @CsvSource({"acme/firmware, true", "ACME/Firmware, true", "acme/web, false"})
    void selectedRepositoriesOnly(String repo, boolean matches) {
        MatchResult result = matchInGroup(RunnerGroup.named("boards").selectedRepositories("acme/firmware"),
                JobRequest.runsOn("linux").repository(repo));
        assertThat(result.matched()).isEqualTo(matches);
        if (!matches) {
            assertThat(result.rejections().get(0).reason()).contains("limited to [acme/firmware]", repo, "is not one of them");
        }
    }

    @Test
    void selectedRepositoriesExcludeAJobOfUnknownRepository() {
        assertThat(matchInGroup(RunnerGroup.named("boards").selectedRepositories("acme/firmware"), JobRequest.runsOn("linux"))
                .rejections().get(0).reason()).contains("does not say its repository");
    }

    @Test
    void privateVisibilityRefusesPublicRepositories() {
        RunnerGroup group = RunnerGroup.named("internal").privateRepositoriesOnly();
        assertThat(matchInGroup(group, JobRequest.runsOn("linux").repository("acme/app")).matched()).isTrue();
        assertThat(matchInGroup(group, JobRequest.runsOn("linux").repository("acme/site").publicRepository(true))
                .rejections().get(0).reason()).contains("private repositories only");
        assertThatThrownBy(() -> group.allowPublicRepositories(true)).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("internal");
    }

    @Test
    void selectedWorkflowsOnly() {
        String hil = "acme/firmware/.github/workflows/hil.yml@refs/heads/main";
        RunnerGroup group = RunnerGroup.named("hil").selectedWorkflows(hil);
        assertThat(matchInGroup(group, JobRequest.runsOn("linux").workflow(hil)).matched()).isTrue();
        assertThat(matchInGroup(group, JobRequest.runsOn("linux").workflow("acme/firmware/.github/workflows/pr.yml@refs/heads/x"))
                .rejections().get(0).reason()).contains("limited to workflows", "pr.yml");
        assertThat(matchInGroup(group, JobRequest.runsOn("linux")).rejections().get(0).reason())
                .contains("does not say its workflow");
    }

    @Test
    void jobTargetingAGroupOnlyGoesToThatGroup() {
        Matcher matcher = Matcher.of(
                Candidate.pool("generic", DEFAULTS, RunnerGroup.defaultGroup()),
                Candidate.pool("boards", DEFAULTS.plus("phytiumpi"), RunnerGroup.named("Boards")));
        MatchResult result = matcher.match(JobRequest.runsOnGroup("boards"));
        assertThat(result.eligible()).extracting(Candidate::name).containsExactly("boards");
        assertThat(result.rejections()).singleElement().satisfies(r ->
                assertThat(r.reason()).isEqualTo("pool generic: it is in runner group 'Default' and the job targets group 'boards'"));
        assertThat(matcher.match(JobRequest.runsOnGroup("boards", "intel")).rejections()).hasSize(2);
    }

    @Test
    void labelAndGroupReasonsAreBothReported() {
        MatchResult result = matchInGroup(RunnerGroup.defaultGroup(),
                JobRequest.runsOn("self-hosted", "gpu").repository("acme/site").publicRepository(true));
        assertThat(result.rejections().get(0).reason()).startsWith("runner r lacks [gpu]; runner group 'Default'");
    }

    // ---- a real fleet: a generic pool and board pools ----

    private static final Matcher FLEET = Matcher.of(
            Candidate.pool("qemu", DEFAULTS.plus("intel"), RunnerGroup.defaultGroup()),
            Candidate.pool("phytiumpi", RunnerPlatform.of(RunnerPlatform.Os.LINUX, RunnerPlatform.Architecture.ARM64)
                    .defaultLabels().plus("phytiumpi"), RunnerGroup.defaultGroup()),
            Candidate.pool("roc", RunnerPlatform.of(RunnerPlatform.Os.LINUX, RunnerPlatform.Architecture.ARM64)
                    .defaultLabels().plus("roc-rk3568-pc"), RunnerGroup.defaultGroup()),
            Candidate.pool("generic", DEFAULTS, RunnerGroup.defaultGroup()),
            Candidate.runner("s1lqc-qemu-1", DEFAULTS.plus("intel"), RunnerGroup.defaultGroup()));

    @ParameterizedTest(name = "runs-on [{0}] -> eligible [{1}], grow {2}")
    @CsvSource(delimiter = '|', textBlock = """
            self-hosted linux intel      | qemu s1lqc-qemu-1                          | qemu
            self-hosted linux phytiumpi  | phytiumpi                                  | phytiumpi
            self-hosted Linux ARM64      | phytiumpi roc                              | phytiumpi
            self-hosted linux            | qemu phytiumpi roc generic s1lqc-qemu-1    | generic
            self-hosted linux x64        | qemu generic s1lqc-qemu-1                  | generic
            self-hosted linux riscv64    |                                            |
            """)
    void boardAndGenericPools(String job, String eligible, String grow) {
        MatchResult result = FLEET.match(JobRequest.runsOn(labels(job).asList()));
        assertThat(result.eligible()).extracting(Candidate::name)
                .containsExactlyElementsOf(eligible == null ? List.of() : List.of(eligible.trim().split("\\s+")));
        assertThat(result.poolToGrow().map(Candidate::name).orElse(null)).isEqualTo(grow);
        assertThat(result.rejections()).hasSize(5 - result.eligible().size());
    }

    @Test
    void intelJobExplainsWhatEachBoardPoolLacks() {
        MatchResult result = FLEET.match(JobRequest.runsOn("self-hosted", "linux", "intel"));
        assertThat(result.rejections()).extracting(MatchResult.Rejection::reason).containsExactly(
                "pool phytiumpi lacks [intel]", "pool roc lacks [intel]", "pool generic lacks [intel]");
        assertThat(result.runners()).extracting(Candidate::name).containsExactly("s1lqc-qemu-1");
        assertThat(result.explain()).startsWith("2 can take JobRequest[runs-on [self-hosted, linux, intel]]").endsWith("grow pool qemu");
    }

    @Test
    void nobodyExplainsPerCandidate() {
        MatchResult result = FLEET.match(JobRequest.runsOn("self-hosted", "linux", "riscv64"));
        assertThat(result.matched()).isFalse();
        assertThat(result.explain()).startsWith("nobody can take").contains("\n  - pool qemu lacks [riscv64]")
                .contains("\n  - runner s1lqc-qemu-1 lacks [riscv64]");
        assertThat(result).hasToString("MatchResult[JobRequest[runs-on [self-hosted, linux, riscv64]] -> nobody, 5 rejected]");
    }

    @Test
    void tieOnSpecificityGoesToThePoolGivenFirst() {
        Matcher ab = Matcher.of(Candidate.pool("a", DEFAULTS.plus("x"), RunnerGroup.defaultGroup()),
                Candidate.pool("b", DEFAULTS.plus("y"), RunnerGroup.defaultGroup()));
        Matcher ba = Matcher.of(ab.candidates().get(1), ab.candidates().get(0));
        assertThat(ab.match(JobRequest.runsOn("linux")).poolToGrow().orElseThrow().name()).isEqualTo("a");
        assertThat(ba.match(JobRequest.runsOn("linux")).poolToGrow().orElseThrow().name()).isEqualTo("b");
    }

    @Test
    void selfHostedAloneIsWarnedAbout() {
        assertThat(FLEET.match(JobRequest.runsOn("self-hosted")).warnings()).singleElement().asString()
                .contains("'self-hosted' alone");
        assertThat(FLEET.match(JobRequest.runsOn("Self-Hosted")).explain()).contains("warning: the job asks for 'self-hosted' alone");
        assertThat(FLEET.match(JobRequest.runsOn("self-hosted", "linux")).warnings()).isEmpty();
    }

    @Test
    void noCandidatesIsWarnedAbout() {
        assertThat(Matcher.of().match(JobRequest.runsOn("linux")).warnings()).containsExactly("there are no runners or pools to match against");
    }

    @Test
    void candidateNamesAreUniquePerKind() {
        assertThatThrownBy(() -> Matcher.of(Candidate.pool("qemu", DEFAULTS, RunnerGroup.defaultGroup()),
                Candidate.pool("QEMU", DEFAULTS, RunnerGroup.defaultGroup())))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("pool QEMU");
        Matcher.of(Candidate.pool("qemu", DEFAULTS, RunnerGroup.defaultGroup()),
                Candidate.runner("qemu", DEFAULTS, RunnerGroup.defaultGroup()));
    }

    @Test
    void poolsAndRegisteredRunnersBecomeCandidates() {
        RunnerPool qemu = RunnerPool.builder("qemu").labels("intel").ephemeral(true).build();
        RunnerPool board = RunnerPool.builder("phytiumpi").labels("phytiumpi").build();
        MatchResult result = Matcher.forPools(List.of(qemu, board)).match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi"));
        assertThat(result.poolToGrow().map(Candidate::name)).contains("phytiumpi");
        var registered = new io.runnerfleet.spi.RegisteredRunner(9, "s1lqc-phytiumpi-1", "Linux", true, false,
                LabelSet.of("self-hosted", "Linux", "X64", "phytiumpi"), false);
        assertThat(Matcher.of(Candidate.runner(registered, RunnerGroup.defaultGroup())).match(JobRequest.runsOn("phytiumpi"))
                .runners()).extracting(Candidate::name).containsExactly("s1lqc-phytiumpi-1");
    }
}
