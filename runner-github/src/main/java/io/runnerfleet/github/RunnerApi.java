package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.github.internal.Json;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import okhttp3.HttpUrl;

/**
 * The self-hosted runners of one scope: list, inspect, delete and label them, manage the
 * organization's runner groups, download the runner application, and find queued work.
 *
 * <pre>{@code
 * RunnerApi runners = github.runners(RunnerScope.organization("acme"));
 * for (GitHubRunner r : runners.list()) {                       // every page, 100 per page
 *     if (!r.online() && r.name().startsWith("s1lqc-")) runners.delete(r.id());
 * }
 * runners.addLabels(42, List.of("gpu"));
 * GitHubRunnerGroup boards = runners.createGroup(RunnerGroupSpec.named("boards"));
 * }</pre>
 *
 * <p>Lists follow every {@code Link: rel="next"} page. Runner groups exist for organizations only
 * here; calling a group method on another scope raises {@link InvalidSpecException}. Workflow runs and
 * jobs exist for repositories only. Failures raise {@link GitHubApiException} (or a nested subtype);
 * deleting a runner that runs a job raises {@link RunnerBusyException}. Obtain it from
 * {@link GitHubClient#runners(RunnerScope)}; thread-safe.
 */
public final class RunnerApi {
    private final GitHubHttp http;
    private final RunnerScope scope;
    private final String where;

    RunnerApi(GitHubHttp http, RunnerScope scope) {
        this.http = http;
        this.scope = scope;
        this.where = scope.toString();
    }

    /** The scope of these runners. */
    public RunnerScope scope() {
        return scope;
    }

    // ---- runners ----

    /** Every runner of the scope (all pages). */
    public List<GitHubRunner> list() {
        return listRunners(http.url(path("actions", "runners")), "list runners");
    }

    /** The runners with exactly this name (GitHub's {@code name} filter). */
    public List<GitHubRunner> list(String name) {
        Objects.requireNonNull(name, "name");
        return listRunners(http.url(path("actions", "runners"), Map.of("name", name)), "list runners named '" + name + "'");
    }

    private List<GitHubRunner> listRunners(HttpUrl url, String op) {
        return http.readAll(http.pages(url, "runners", op, where), op, where, Mappers::runner);
    }

    /** One runner by id. */
    public GitHubRunner get(long runnerId) {
        String op = "get runner " + runnerId;
        return http.read(call("GET", op, null, path("actions", "runners", id(runnerId))), op, where, Mappers::runner);
    }

    /**
     * Deregisters a runner.
     *
     * @throws RunnerBusyException when GitHub answers 422 because the runner is running a job
     * @throws GitHubApiException.NotFound when no such runner exists
     */
    public void delete(long runnerId) {
        String op = "delete runner " + runnerId;
        try {
            call("DELETE", op, null, path("actions", "runners", id(runnerId)));
        } catch (GitHubApiException.ValidationFailed e) {
            RunnerBusyException busy = new RunnerBusyException(String.valueOf(runnerId), "runner " + runnerId + " in "
                    + where + " cannot be deleted, most likely because it is running a job; wait for the job or"
                    + " cancel it, then retry (" + e.getMessage() + ")");
            busy.initCause(e);
            throw busy;
        }
    }

    // ---- labels ----

    /** Every label of a runner. */
    public List<RunnerLabel> labels(long runnerId) {
        return labelCall("GET", "list the labels of runner " + runnerId, runnerId, null);
    }

    /** Adds custom labels (1 to 100); returns all labels afterwards. */
    public List<RunnerLabel> addLabels(long runnerId, Collection<String> labels) {
        List<String> list = checked(labels, 1);
        return labelCall("POST", "add labels " + list + " to runner " + runnerId, runnerId, Map.of("labels", list));
    }

    /** Replaces every custom label (0 to 100; none removes them all); returns all labels afterwards. */
    public List<RunnerLabel> setLabels(long runnerId, Collection<String> labels) {
        List<String> list = checked(labels, 0);
        return labelCall("PUT", "set labels " + list + " on runner " + runnerId, runnerId, Map.of("labels", list));
    }

    /** Removes every custom label; returns the read-only labels left. */
    public List<RunnerLabel> removeAllCustomLabels(long runnerId) {
        return labelCall("DELETE", "remove the custom labels of runner " + runnerId, runnerId, null);
    }

    /**
     * Removes one custom label; returns the labels left.
     *
     * @throws GitHubApiException.NotFound when the runner does not carry that custom label
     */
    public List<RunnerLabel> removeLabel(long runnerId, String label) {
        LabelSet.validate(label);
        String op = "remove label '" + label + "' from runner " + runnerId;
        List<String> p = path("actions", "runners", id(runnerId), "labels", label);
        return http.read(call("DELETE", op, null, p), op, where, this::labelsOf);
    }

    private List<RunnerLabel> labelCall(String method, String op, long runnerId, Object body) {
        return http.read(call(method, op, body, path("actions", "runners", id(runnerId), "labels")), op, where,
                this::labelsOf);
    }

    private List<RunnerLabel> labelsOf(Map<String, Object> o) {
        List<RunnerLabel> out = new ArrayList<>();
        for (Object l : Json.array(o, "labels")) {
            out.add(Mappers.label(Json.object(l, "label")));
        }
        return List.copyOf(out);
    }

    private static List<String> checked(Collection<String> labels, int min) {
        Objects.requireNonNull(labels, "labels");
        List<String> list = new ArrayList<>();
        LabelSet.of(labels).forEach(list::add);
        if (list.size() < min) {
            throw new InvalidSpecException("give at least " + min + " label; GitHub rejects an empty list here");
        }
        return List.copyOf(list);
    }

    // ---- runner application downloads ----

    /** The runner application packages GitHub offers for this scope. */
    public List<RunnerApplication> downloads() {
        String op = "list runner application downloads";
        GitHubHttp.Reply reply = call("GET", op, null, path("actions", "runners", "downloads"));
        List<Map<String, Object>> items = new ArrayList<>();
        if (!(reply.json() instanceof List<?> list)) {
            throw http.malformed(reply.status(), op, where, new Json.MalformedJsonException("the response is not an array"));
        }
        for (Object item : list) {
            items.add(Json.object(item, "runner application"));
        }
        return http.readAll(items, op, where, Mappers::application);
    }

    /**
     * Downloads a runner application to {@code target}, verifying its SHA-256 against GitHub's checksum.
     * The file appears only once complete and verified; a mismatch raises {@link GitHubApiException}.
     *
     * @throws InvalidSpecException when GitHub listed no checksum (use {@link #download(RunnerApplication, Path, String)})
     */
    public Path download(RunnerApplication application, Path target) {
        String sha = application.sha256Checksum().orElseThrow(() -> new InvalidSpecException("GitHub lists no SHA-256"
                + " for " + application.filename() + "; pass the expected checksum to download(application, target, sha256)"));
        return download(application, target, sha);
    }

    /** Downloads a runner application to {@code target}, verifying it against {@code sha256} (hex). */
    public Path download(RunnerApplication application, Path target, String sha256) {
        Objects.requireNonNull(target, "target");
        if (sha256 == null || !sha256.trim().matches("[0-9a-fA-F]{64}")) {
            throw new InvalidSpecException("expected SHA-256 for " + application.filename()
                    + " must be 64 hex digits, got '" + sha256 + "'");
        }
        HttpUrl url = HttpUrl.parse(application.downloadUrl());
        if (url == null) {
            throw new InvalidSpecException("download URL of " + application.filename() + " is not an http(s) URL: "
                    + application.downloadUrl());
        }
        return http.download(url, application.tempDownloadToken().map(s -> s.reveal()).orElse(null), target, sha256,
                "download " + application.filename(), where);
    }

    // ---- runner groups (organizations) ----

    /** Every runner group of the organization. */
    public List<GitHubRunnerGroup> groups() {
        String op = "list runner groups";
        return http.readAll(http.pages(http.url(groupPath()), "runner_groups", op, where), op, where, Mappers::group);
    }

    /** The runner groups a repository of the organization may use. */
    public List<GitHubRunnerGroup> groupsVisibleTo(String repository) {
        Objects.requireNonNull(repository, "repository");
        String op = "list runner groups visible to " + repository;
        HttpUrl url = http.url(groupPath(), Map.of("visible_to_repository", repository));
        return http.readAll(http.pages(url, "runner_groups", op, where), op, where, Mappers::group);
    }

    /** One runner group. */
    public GitHubRunnerGroup group(long groupId) {
        String op = "get runner group " + groupId;
        return http.read(call("GET", op, null, groupPath(id(groupId))), op, where, Mappers::group);
    }

    /** Creates a runner group. */
    public GitHubRunnerGroup createGroup(RunnerGroupSpec spec) {
        Map<String, Object> body = groupBody(spec);
        if (!spec.selectedRepositoryIds().isEmpty()) {
            body.put("selected_repository_ids", spec.selectedRepositoryIds());
        }
        if (!spec.runnerIds().isEmpty()) {
            body.put("runners", spec.runnerIds());
        }
        String op = "create runner group '" + spec.name() + "'";
        return http.read(call("POST", op, body, groupPath()), op, where, Mappers::group);
    }

    /** Updates a runner group's name, visibility and restrictions (not its repositories or runners). */
    public GitHubRunnerGroup updateGroup(long groupId, RunnerGroupSpec spec) {
        String op = "update runner group " + groupId;
        return http.read(call("PATCH", op, groupBody(spec), groupPath(id(groupId))), op, where, Mappers::group);
    }

    private static Map<String, Object> groupBody(RunnerGroupSpec spec) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", spec.name());
        body.put("visibility", spec.visibility().json());
        body.put("allows_public_repositories", spec.allowsPublicRepositories());
        body.put("restricted_to_workflows", spec.restrictedToWorkflows());
        if (spec.restrictedToWorkflows()) {
            body.put("selected_workflows", spec.selectedWorkflows());
        }
        return body;
    }

    /** Deletes a runner group; its runners move to the default group. */
    public void deleteGroup(long groupId) {
        call("DELETE", "delete runner group " + groupId, null, groupPath(id(groupId)));
    }

    /** The repositories allowed to use a group with visibility {@code selected}. */
    public List<GitHubRepository> groupRepositories(long groupId) {
        String op = "list the repositories of runner group " + groupId;
        return http.readAll(http.pages(http.url(groupPath(id(groupId), "repositories")), "repositories", op, where),
                op, where, Mappers::repository);
    }

    /** Replaces the repositories allowed to use a group. */
    public void setGroupRepositories(long groupId, Collection<Long> repositoryIds) {
        call("PUT", "set the repositories of runner group " + groupId,
                Map.of("selected_repository_ids", List.copyOf(repositoryIds)), groupPath(id(groupId), "repositories"));
    }

    /** Allows one more repository to use a group. */
    public void addGroupRepository(long groupId, long repositoryId) {
        groupMember(true, groupId, "repositories", "repository", repositoryId);
    }

    /** Stops a repository from using a group. */
    public void removeGroupRepository(long groupId, long repositoryId) {
        groupMember(false, groupId, "repositories", "repository", repositoryId);
    }

    /** The runners in a group (all pages). */
    public List<GitHubRunner> groupRunners(long groupId) {
        return listRunners(http.url(groupPath(id(groupId), "runners")), "list the runners of runner group " + groupId);
    }

    /** Replaces the runners in a group. */
    public void setGroupRunners(long groupId, Collection<Long> runnerIds) {
        call("PUT", "set the runners of runner group " + groupId, Map.of("runners", List.copyOf(runnerIds)),
                groupPath(id(groupId), "runners"));
    }

    /** Moves a runner into a group. */
    public void addGroupRunner(long groupId, long runnerId) {
        groupMember(true, groupId, "runners", "runner", runnerId);
    }

    /** Removes a runner from a group (it returns to the default group). */
    public void removeGroupRunner(long groupId, long runnerId) {
        groupMember(false, groupId, "runners", "runner", runnerId);
    }

    /** Adds ({@code PUT}) or removes ({@code DELETE}) one of a group's {@code members}: repositories or runners. */
    private void groupMember(boolean add, long groupId, String members, String noun, long memberId) {
        String op = add ? "add " + noun + " " + memberId + " to runner group " + groupId
                : "remove " + noun + " " + memberId + " from runner group " + groupId;
        call(add ? "PUT" : "DELETE", op, null, groupPath(id(groupId), members, id(memberId)));
    }

    // ---- workflow runs and jobs (repositories) ----

    /** The repository's workflow runs with this status (e.g. {@code queued}), all pages (GitHub caps at 1000). */
    public List<WorkflowRun> workflowRuns(String status) {
        requireRepository("list workflow runs");
        if (status == null || status.isBlank()) {
            throw new InvalidSpecException("give a workflow run status such as 'queued'");
        }
        String op = "list " + status + " workflow runs";
        HttpUrl url = http.url(path("actions", "runs"), Map.of("status", status));
        return http.readAll(http.pages(url, "workflow_runs", op, where), op, where, Mappers::run);
    }

    /**
     * The repository's runs with this status, all pages, each item mapped by {@code mapper}; for callers in this
     * package that need fields {@link WorkflowRun} does not carry (the repository's visibility, its owner).
     * Leaves out the pull requests of each run, which nobody here reads.
     */
    <T> List<T> workflowRuns(String status, java.util.function.Function<Map<String, Object>, T> mapper) {
        requireRepository("list workflow runs");
        String op = "list " + status + " workflow runs";
        Map<String, String> query = new LinkedHashMap<>();
        query.put("status", status);
        query.put("exclude_pull_requests", "true");
        HttpUrl url = http.url(path("actions", "runs"), query);
        return http.readAll(http.pages(url, "workflow_runs", op, where), op, where, mapper);
    }

    /** The jobs of a run (latest attempt), all pages. */
    public List<WorkflowJob> jobs(long runId) {
        requireRepository("list jobs");
        String op = "list the jobs of workflow run " + runId;
        HttpUrl url = http.url(path("actions", "runs", id(runId), "jobs"), Map.of("filter", "latest"));
        return http.readAll(http.pages(url, "jobs", op, where), op, where, Mappers::job);
    }

    private void requireRepository(String what) {
        if (scope.kind() != RunnerScope.Kind.REPOSITORY) {
            throw new InvalidSpecException("cannot " + what + " for " + scope + ": workflow runs belong to a repository;"
                    + " use RunnerScope.repository(owner, name)");
        }
    }

    // ---- plumbing ----

    private GitHubHttp.Reply call(String method, String op, Object body, List<String> segments) {
        return http.send(new GitHubHttp.Call(method, http.url(segments), body, op, where,
                GitHubHttp.Retrying.IDEMPOTENT, null));
    }

    private List<String> path(String... more) {
        List<String> s = new ArrayList<>(scope.segments());
        s.addAll(List.of(more));
        return s;
    }

    private List<String> groupPath(String... more) {
        if (scope.kind() != RunnerScope.Kind.ORGANIZATION) {
            throw new InvalidSpecException("runner groups are managed per organization, not for " + scope
                    + "; use RunnerScope.organization(org)");
        }
        List<String> s = path("actions", "runner-groups");
        s.addAll(List.of(more));
        return s;
    }

    private static String id(long id) {
        if (id < 1) {
            throw new InvalidSpecException("GitHub ids are positive, got " + id);
        }
        return Long.toString(id);
    }

    /** {@code RunnerApi[organization acme]}. */
    @Override
    public String toString() {
        return "RunnerApi[" + scope + "]";
    }
}
