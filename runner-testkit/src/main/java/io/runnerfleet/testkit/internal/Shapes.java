package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Label;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the JSON bodies the fake serves. Large objects (workflow runs, jobs, runner downloads) start
 * from the official examples in the bundled OpenAPI description, so the fake serves what GitHub shows.
 */
final class Shapes {
    static final String SPEC_RESOURCE = "/io/runnerfleet/testkit/runners-openapi.json";
    private static volatile Map<String, Object> spec;

    private final String base;

    Shapes(String base) {
        this.base = base;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec() {
        Map<String, Object> s = spec;
        if (s == null) {
            try (InputStream in = Shapes.class.getResourceAsStream(SPEC_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("the testkit jar lacks " + SPEC_RESOURCE);
                }
                s = (Map<String, Object>) Json.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            spec = s;
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    static Object example(String name) {
        Map<String, Object> components = (Map<String, Object>) spec().get("components");
        Map<String, Object> examples = (Map<String, Object>) components.get("examples");
        return Json.copy(((Map<String, Object>) examples.get(name)).get("value"));
    }

    static String time(Instant t) {
        return t == null ? null : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String nodeId(String kind, long id) {
        return Base64.getEncoder().encodeToString((kind + id).getBytes(StandardCharsets.UTF_8));
    }

    Map<String, Object> runner(Runner r, String status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id);
        m.put("runner_group_id", r.groupId);
        m.put("name", r.name);
        m.put("os", r.os);
        m.put("status", status);
        m.put("busy", r.job != null);
        m.put("labels", labels(r.labels));
        m.put("ephemeral", r.ephemeral);
        if (r.version != null) {
            m.put("version", r.version);
        }
        return m;
    }

    static List<Object> labels(List<Label> labels) {
        List<Object> out = new ArrayList<>();
        for (Label l : labels) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", l.id());
            m.put("name", l.name());
            m.put("type", l.readOnly() ? "read-only" : "custom");
            out.add(m);
        }
        return out;
    }

    Map<String, Object> group(Org org, Group g) {
        Map<String, Object> m = new LinkedHashMap<>();
        String url = base + "/orgs/" + org.login + "/actions/runner-groups/" + g.id;
        m.put("id", g.id);
        m.put("name", g.name);
        m.put("visibility", g.visibility);
        m.put("default", g.isDefault);
        if ("selected".equals(g.visibility)) {
            m.put("selected_repositories_url", url + "/repositories");
        }
        m.put("runners_url", url + "/runners");
        m.put("hosted_runners_url", url + "/hosted-runners");
        m.put("inherited", false);
        m.put("allows_public_repositories", g.allowsPublicRepositories);
        m.put("restricted_to_workflows", g.restrictedToWorkflows);
        m.put("selected_workflows", new ArrayList<>(g.selectedWorkflows));
        m.put("workflow_restrictions_read_only", false);
        return m;
    }

    Map<String, Object> owner(Org org) {
        Map<String, Object> m = new LinkedHashMap<>();
        String url = base + "/users/" + org.login;
        m.put("login", org.login);
        m.put("id", org.id);
        m.put("node_id", nodeId("Organization", org.id));
        m.put("avatar_url", base + "/_fake/avatars/" + org.id);
        m.put("gravatar_id", "");
        m.put("url", url);
        m.put("html_url", base + "/" + org.login);
        m.put("followers_url", url + "/followers");
        m.put("following_url", url + "/following{/other_user}");
        m.put("gists_url", url + "/gists{/gist_id}");
        m.put("starred_url", url + "/starred{/owner}{/repo}");
        m.put("subscriptions_url", url + "/subscriptions");
        m.put("organizations_url", url + "/orgs");
        m.put("repos_url", url + "/repos");
        m.put("events_url", url + "/events{/privacy}");
        m.put("received_events_url", url + "/received_events");
        m.put("type", "Organization");
        m.put("site_admin", false);
        return m;
    }

    /** A repository; {@code full} adds the fields of {@code repository} and the webhook repository. */
    Map<String, Object> repository(Repo r, boolean full) {
        Map<String, Object> m = new LinkedHashMap<>();
        String url = base + "/repos/" + r.fullName();
        String html = base + "/" + r.fullName();
        m.put("id", r.id);
        m.put("node_id", nodeId("Repository", r.id));
        m.put("name", r.name);
        m.put("full_name", r.fullName());
        m.put("owner", owner(r.owner));
        m.put("private", r.isPrivate);
        m.put("html_url", html);
        m.put("description", null);
        m.put("fork", false);
        m.put("url", url);
        for (String plain : List.of("forks", "hooks", "events", "teams", "tags", "languages", "stargazers",
                "contributors", "subscribers", "subscription", "merges", "downloads", "deployments")) {
            m.put(plain + "_url", url + "/" + plain);
        }
        String[][] templated = {
            {"archive", "/{archive_format}{/ref}"}, {"assignees", "/assignees{/user}"}, {"blobs", "/git/blobs{/sha}"},
            {"branches", "/branches{/branch}"}, {"collaborators", "/collaborators{/collaborator}"},
            {"comments", "/comments{/number}"}, {"commits", "/commits{/sha}"}, {"compare", "/compare/{base}...{head}"},
            {"contents", "/contents/{+path}"}, {"git_commits", "/git/commits{/sha}"}, {"git_refs", "/git/refs{/sha}"},
            {"git_tags", "/git/tags{/sha}"}, {"issue_comment", "/issues/comments{/number}"},
            {"issue_events", "/issues/events{/number}"}, {"issues", "/issues{/number}"}, {"keys", "/keys{/key_id}"},
            {"labels", "/labels{/name}"}, {"milestones", "/milestones{/number}"},
            {"notifications", "/notifications{?since,all,participating}"}, {"pulls", "/pulls{/number}"},
            {"releases", "/releases{/id}"}, {"statuses", "/statuses/{sha}"}, {"trees", "/git/trees{/sha}"}};
        for (String[] t : templated) {
            m.put(t[0] + "_url", url + t[1]);
        }
        if (full) {
            m.put("clone_url", html + ".git");
            m.put("git_url", html.replaceFirst("^https?", "git") + ".git");
            m.put("ssh_url", "git@127.0.0.1:" + r.fullName() + ".git");
            m.put("svn_url", html);
            m.put("mirror_url", null);
            m.put("homepage", null);
            m.put("language", null);
            m.put("forks", 0);
            m.put("forks_count", 0);
            m.put("stargazers_count", 0);
            m.put("watchers_count", 0);
            m.put("watchers", 0);
            m.put("size", 0);
            m.put("default_branch", "main");
            m.put("open_issues", 0);
            m.put("open_issues_count", 0);
            m.put("has_issues", true);
            m.put("has_projects", false);
            m.put("has_wiki", false);
            m.put("has_pages", false);
            m.put("has_downloads", false);
            m.put("archived", false);
            m.put("disabled", false);
            m.put("license", null);
            m.put("visibility", r.isPrivate ? "private" : "public");
            m.put("pushed_at", "2026-01-01T00:00:00Z");
            m.put("created_at", "2026-01-01T00:00:00Z");
            m.put("updated_at", "2026-01-01T00:00:00Z");
        }
        return m;
    }

    static String headSha(Job j) {
        return String.format("%040x", j.runId * 7919L + 17);
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> workflowRun(Job j) {
        Map<String, Object> paginated = (Map<String, Object>) example("workflow-run-paginated");
        Map<String, Object> m = (Map<String, Object>) ((List<Object>) paginated.get("workflow_runs")).get(0);
        String url = base + "/repos/" + j.repo.fullName() + "/actions/runs/" + j.runId;
        m.put("id", j.runId);
        m.put("name", "CI");
        m.put("node_id", nodeId("WorkflowRun", j.runId));
        m.put("head_branch", "main");
        m.put("head_sha", headSha(j));
        m.put("path", ".github/workflows/ci.yml");
        m.put("display_title", j.name);
        m.put("run_number", j.runId);
        m.put("run_attempt", 1);
        m.put("event", "push");
        m.put("status", j.status);
        m.put("conclusion", j.conclusion);
        m.put("workflow_id", 1);
        m.put("check_suite_id", j.runId);
        m.put("check_suite_node_id", nodeId("CheckSuite", j.runId));
        m.put("url", url);
        m.put("html_url", base + "/" + j.repo.fullName() + "/actions/runs/" + j.runId);
        m.put("pull_requests", new ArrayList<>());
        m.put("created_at", time(j.createdAt));
        m.put("updated_at", time(j.completedAt != null ? j.completedAt : j.startedAt != null ? j.startedAt : j.createdAt));
        m.put("run_started_at", time(j.createdAt));
        m.put("jobs_url", url + "/jobs");
        m.put("logs_url", url + "/logs");
        m.put("check_suite_url", base + "/repos/" + j.repo.fullName() + "/check-suites/" + j.runId);
        m.put("artifacts_url", url + "/artifacts");
        m.put("cancel_url", url + "/cancel");
        m.put("rerun_url", url + "/rerun");
        m.put("previous_attempt_url", null);
        m.put("workflow_url", base + "/repos/" + j.repo.fullName() + "/actions/workflows/1");
        Map<String, Object> commit = (Map<String, Object>) m.get("head_commit");
        if (commit != null) {
            commit.put("id", headSha(j));
            commit.put("tree_id", headSha(j));
            commit.put("timestamp", time(j.createdAt));
        }
        m.put("repository", repository(j.repo, false));
        m.put("head_repository", repository(j.repo, false));
        return m;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> job(Job j) {
        Map<String, Object> paginated = (Map<String, Object>) example("job-paginated");
        Map<String, Object> m = (Map<String, Object>) ((List<Object>) paginated.get("jobs")).get(0);
        fillJob(m, j);
        m.put("run_attempt", 1);
        m.put("check_run_url", base + "/repos/" + j.repo.fullName() + "/check-runs/" + j.id);
        return m;
    }

    /** The job fields shared by the REST job and the webhook's {@code workflow_job}. */
    private void fillJob(Map<String, Object> m, Job j) {
        String repoUrl = base + "/repos/" + j.repo.fullName();
        m.put("id", j.id);
        m.put("run_id", j.runId);
        m.put("run_url", repoUrl + "/actions/runs/" + j.runId);
        m.put("node_id", nodeId("WorkflowJob", j.id));
        m.put("head_sha", headSha(j));
        m.put("url", repoUrl + "/actions/jobs/" + j.id);
        m.put("html_url", base + "/" + j.repo.fullName() + "/actions/runs/" + j.runId + "/job/" + j.id);
        m.put("status", j.status);
        m.put("conclusion", j.conclusion);
        m.put("created_at", time(j.createdAt));
        m.put("started_at", time(j.startedAt != null ? j.startedAt : j.createdAt));
        m.put("completed_at", time(j.completedAt));
        m.put("name", j.name);
        m.put("steps", steps(j));
        m.put("check_run_url", repoUrl + "/check-runs/" + j.id);
        m.put("labels", new ArrayList<>(j.labels));
        m.put("runner_id", j.runner == null ? null : j.runner.id);
        m.put("runner_name", j.runnerName);
        m.put("runner_group_id", j.runnerGroupId);
        m.put("runner_group_name", j.runnerGroupName);
        m.put("workflow_name", "CI");
        m.put("head_branch", "main");
    }

    private static List<Object> steps(Job j) {
        List<Object> steps = new ArrayList<>();
        if (j.startedAt == null) {
            return steps;
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", "Set up job");
        s.put("status", "completed".equals(j.status) ? "completed" : "in_progress");
        s.put("conclusion", "completed".equals(j.status) ? j.conclusion : null);
        s.put("number", 1);
        s.put("started_at", time(j.startedAt));
        s.put("completed_at", time(j.completedAt));
        steps.add(s);
        return steps;
    }

    /** A {@code workflow_job} webhook payload. */
    Map<String, Object> webhook(Job j, String action, Long installationId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", action);
        Map<String, Object> wj = new LinkedHashMap<>();
        fillJob(wj, j);
        wj.put("run_attempt", 1);
        m.put("workflow_job", wj);
        m.put("repository", repository(j.repo, true));
        Map<String, Object> org = new LinkedHashMap<>();
        Org o = j.repo.owner;
        String url = base + "/orgs/" + o.login;
        org.put("login", o.login);
        org.put("id", o.id);
        org.put("node_id", nodeId("Organization", o.id));
        org.put("url", url);
        org.put("repos_url", url + "/repos");
        org.put("events_url", url + "/events");
        org.put("hooks_url", url + "/hooks");
        org.put("issues_url", url + "/issues");
        org.put("members_url", url + "/members{/member}");
        org.put("public_members_url", url + "/public_members{/member}");
        org.put("avatar_url", base + "/_fake/avatars/" + o.id);
        org.put("description", null);
        m.put("organization", org);
        Map<String, Object> sender = owner(o);
        sender.put("type", "User");
        m.put("sender", sender);
        if (installationId != null) {
            Map<String, Object> inst = new LinkedHashMap<>();
            inst.put("id", installationId);
            inst.put("node_id", nodeId("Installation", installationId));
            m.put("installation", inst);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    List<Object> downloads() {
        return (List<Object>) example("runner-application-items");
    }

    static Map<String, Object> error(String message, int status) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("message", message);
        m.put("documentation_url", "https://docs.github.com/rest");
        m.put("status", String.valueOf(status));
        return m;
    }

    static Map<String, Object> validation(String message, List<String> errors) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("message", message);
        m.put("documentation_url", "https://docs.github.com/rest");
        if (!errors.isEmpty()) {
            m.put("errors", new ArrayList<>(errors));
        }
        return m;
    }
}
