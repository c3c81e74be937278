package io.runnerfleet.testkit;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one runner registration held by {@link FakeGitHub}, as the REST API would show it.
 *
 * <pre>{@code
 * fake.organization("acme").runners().forEach(System.out::println);
 * }</pre>
 *
 * @param id the runner id
 * @param name the runner name
 * @param os the operating system the runner reported ({@code unknown} before it connected)
 * @param status {@code online} or {@code offline}
 * @param busy whether it is running a job
 * @param labels its labels, read-only ones first
 * @param groupId its runner group ({@code 1} is {@code Default})
 * @param ephemeral whether it takes only one job
 * @param version the runner version, known once it connected
 */
public record FakeRunnerView(long id, String name, String os, String status, boolean busy, List<String> labels,
        long groupId, boolean ephemeral, @Nullable String version) {
    /** Copies the labels. */
    public FakeRunnerView {
        labels = List.copyOf(labels);
    }

    /** Whether the runner is online. */
    public boolean online() {
        return "online".equals(status);
    }
}
