package io.runnerfleet.github;

import io.runnerfleet.LabelSet;
import io.runnerfleet.spi.RegisteredRunner;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A self-hosted runner as GitHub's REST API describes it, with every field the runner API returns.
 *
 * <pre>{@code
 * for (GitHubRunner r : runners.list()) {
 *     System.out.println(r.name() + " " + r.status() + (r.busy() ? " busy" : ""));
 * }
 * }</pre>
 *
 * @param id GitHub's id of the runner
 * @param name the runner's name
 * @param os the operating system GitHub reports (a free string, e.g. {@code linux})
 * @param status GitHub's status string, {@code online} or {@code offline} today (not an enum in the API)
 * @param busy whether it runs a job
 * @param labels its labels, read-only and custom
 * @param ephemeral whether it takes one job only
 * @param runnerGroupId its runner group, {@code 0} when GitHub did not say
 * @param version the runner software version, known once the runner connected
 */
public record GitHubRunner(long id, String name, String os, String status, boolean busy, List<RunnerLabel> labels,
                           boolean ephemeral, long runnerGroupId, @Nullable String version) {
    /** Checks the parts are present and copies the labels. */
    public GitHubRunner {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(status, "status");
        os = os == null ? "" : os;
        labels = List.copyOf(labels);
    }

    /** Whether GitHub reports the runner {@code online}. */
    public boolean online() {
        return "online".equalsIgnoreCase(status);
    }

    /** The label names, in GitHub's order. */
    public LabelSet labelSet() {
        return LabelSet.of(labels.stream().map(RunnerLabel::name).toList());
    }

    /** This runner as core's registry SPI sees it. */
    public RegisteredRunner toRegisteredRunner() {
        return new RegisteredRunner(id, name, os, online(), busy, labelSet(), ephemeral);
    }
}
