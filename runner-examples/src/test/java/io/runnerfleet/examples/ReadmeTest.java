package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.ProcessBackend;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeGitHub;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's statements about the API hold: its snippets are read from README.md and run against the code. */
class ReadmeTest {
    private static final Path README = Path.of("..", "README.md");

    /** The scaling the README's "A fleet in one statement" gives pool {@code qemu}, e.g. {@code Scaling.fixed(4)}. */
    private static Scaling qemuScaling(String readme) {
        Matcher m = Pattern.compile("RunnerPool\\.builder\\(\"qemu\"\\)[^;]*?\\.scaling\\(Scaling\\.(fixed|onDemand)\\(([0-9, ]+)\\)\\)")
                .matcher(readme);
        assertThat(m.find()).as("README.md builds pool qemu with a scaling").isTrue();
        String[] args = m.group(2).split(",\\s*");
        return m.group(1).equals("fixed") ? Scaling.fixed(Integer.parseInt(args[0]))
                : Scaling.onDemand(Integer.parseInt(args[0]), Integer.parseInt(args[1]));
    }

    /** Every {@code fleet.scale("qemu", n)} of the README. */
    private static List<Integer> qemuScaleCounts(String readme) {
        Matcher m = Pattern.compile("fleet\\.scale\\(\"qemu\", (\\d+)\\)").matcher(readme);
        List<Integer> counts = new ArrayList<>();
        while (m.find()) {
            counts.add(Integer.parseInt(m.group(1)));
        }
        return counts;
    }

    @Test
    void issue17_theReadmesScaleExampleWorksOnThePoolItScales(@TempDir Path temp) throws Exception {
        String readme = Files.readString(README);
        Scaling scaling = qemuScaling(readme);
        List<Integer> counts = qemuScaleCounts(readme);
        assertThat(counts).as("README.md's fleet.scale(\"qemu\", n) examples").isNotEmpty();
        try (FakeGitHub github = FakeGitHub.create().start()) {
            GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url())
                    .webUrl(github.url()).credentials(GitHubCredentials.token(github.newToken("admin:org"))).build();
            ProcessBackend backend = ProcessBackend.builder().distribution(temp.resolve("dist")).root(temp.resolve("runners")).build();
            // Never started: scale() checks the count against the pool and records it, which is all this test needs.
            try (RunnerFleet fleet = RunnerFleet.builder().name("readme").registry(registry).backend(backend)
                    .pool(RunnerPool.builder("qemu").labels("intel").ephemeral(true).scaling(scaling)).build()) {
                for (int count : counts) {
                    fleet.scale("qemu", count);
                }
                // what the README said before issue 17: more than a fixed pool's count is refused
                assertThatThrownBy(() -> fleet.scale("qemu", scaling.max() + 1)).isInstanceOf(InvalidSpecException.class)
                        .hasMessageContaining("0 to " + scaling.max());
            }
        }
    }
}
