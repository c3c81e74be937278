package io.runnerfleet;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A job as the matcher sees it: its {@code runs-on} labels, optionally the runner group it targets,
 * and where it comes from (repository, whether that repository is public, workflow).
 *
 * <pre>{@code
 * JobRequest.runsOn("self-hosted", "linux", "phytiumpi");              // runs-on: [self-hosted, linux, phytiumpi]
 * JobRequest.runsOn("self-hosted");                                    // runs-on: self-hosted
 * JobRequest.runsOnGroup("boards", "phytiumpi")                        // runs-on: { group: boards, labels: [phytiumpi] }
 *     .repository("acme/firmware").publicRepository(true);
 * }</pre>
 *
 * <p>Labels compare case-insensitively. A job must name at least one label unless it targets a group.
 * Unknown origin (no repository) is allowed; group rules that need it then exclude the job and say why.
 *
 * @param labels the {@code runs-on} labels, every one required
 * @param group the runner group the job targets; none means any group
 * @param repository the job's repository as {@code owner/name}, if known
 * @param publicRepository whether that repository is public
 * @param workflow the job's workflow as {@code owner/repo/path@ref}, if known
 */
public record JobRequest(LabelSet labels, @Nullable String group, @Nullable String repository, boolean publicRepository,
                         @Nullable String workflow) {

    /** Validates the request. */
    public JobRequest {
        Objects.requireNonNull(labels, "labels");
        if (group != null && (group.isBlank() || !group.strip().equals(group))) {
            throw new InvalidSpecException("the job's runner group '" + group + "' must not be blank or padded with whitespace");
        }
        if (labels.isEmpty() && group == null) {
            throw new InvalidSpecException("a job must ask for at least one label or a runner group, "
                    + "e.g. JobRequest.runsOn(\"self-hosted\", \"linux\")");
        }
        if (repository != null) {
            validateRepository(repository, "the job");
        }
        if (workflow != null && workflow.isBlank()) {
            workflow = null;
        }
    }

    /** A job whose {@code runs-on} is these labels (one label, or a list). */
    public static JobRequest runsOn(String... labels) {
        return runsOn(List.of(labels));
    }

    /** A job whose {@code runs-on} is these labels. */
    public static JobRequest runsOn(List<String> labels) {
        return new JobRequest(LabelSet.of(labels), null, null, false, null);
    }

    /** A job whose {@code runs-on} is a group, optionally with labels ({@code runs-on: {group: g, labels: [...]}}). */
    public static JobRequest runsOnGroup(String group, String... labels) {
        Objects.requireNonNull(group, "group");
        return new JobRequest(LabelSet.of(labels), group, null, false, null);
    }

    /** The same job, from this repository ({@code owner/name}). */
    public JobRequest repository(String repository) {
        return new JobRequest(labels, group, repository, publicRepository, workflow);
    }

    /** The same job, from a public repository or not. */
    public JobRequest publicRepository(boolean publicRepository) {
        return new JobRequest(labels, group, repository, publicRepository, workflow);
    }

    /** The same job, from this workflow ({@code owner/repo/path@ref}). */
    public JobRequest workflow(String workflow) {
        return new JobRequest(labels, group, repository, publicRepository, workflow);
    }

    /** The same job, targeting this runner group. */
    public JobRequest group(String group) {
        return new JobRequest(labels, group, repository, publicRepository, workflow);
    }

    /** Whether the job asks for {@code self-hosted} and nothing else: any self-hosted runner would do. */
    public boolean selfHostedOnly() {
        return group == null && labels.size() == 1 && labels.contains(RunnerPlatform.SELF_HOSTED);
    }

    static void validateRepository(String repository, String owner) {
        if (repository == null || !repository.matches("[A-Za-z0-9][A-Za-z0-9-]*/[A-Za-z0-9._-]+")) {
            throw new InvalidSpecException(owner + ": repository '" + repository + "' is not owner/name, e.g. 'acme/app'");
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("JobRequest[runs-on ");
        b.append(group == null ? labels.toString() : "{group: " + group + ", labels: " + labels + "}");
        if (repository != null) {
            b.append(", ").append(publicRepository ? "public " : "").append(repository);
        } else if (publicRepository) {
            b.append(", public repository");
        }
        if (workflow != null) {
            b.append(", workflow ").append(workflow);
        }
        return b.append(']').toString();
    }
}
