package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.internal.Api.Failure;
import io.runnerfleet.testkit.internal.Api.Reply;
import io.runnerfleet.testkit.internal.Api.Req;
import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Label;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.Model.ScopedToken;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import okhttp3.HttpUrl;

/**
 * The handlers of {@link Api}'s REST operations on runners, runner groups and workflow runs, called
 * once the request is authenticated, within its limits and permitted; they raise {@link Failure}.
 */
final class RestHandlers {
    private final Engine e;

    RestHandlers(Engine engine) {
        this.e = engine;
    }

    /** Runs the operation {@code op} (an operationId of {@code runners-openapi.json}) on the scope in the path. */
    Reply handle(String op, Req q) {
        Scope scope = scope(q);
        String name = op.substring(op.indexOf('/') + 1).replaceAll("-(for|from|in|to)-(org|repo)$", "");
        return switch (name) {
            case "list-self-hosted-runners" -> listRunners(q, scope);
            case "list-runner-applications" -> Reply.of(200, e.shapes.downloads());
            case "generate-runner-jitconfig" -> jitConfig(q, scope);
            case "create-registration-token" -> scopedToken(scope, false);
            case "create-remove-token" -> scopedToken(scope, true);
            case "get-self-hosted-runner" -> Reply.of(200, e.shapes.runner(runner(q, scope), e.status(runner(q, scope))));
            case "delete-self-hosted-runner" -> deleteRunner(q, scope);
            case "list-labels-for-self-hosted-runner" -> labels(runner(q, scope));
            case "add-custom-labels-to-self-hosted-runner" -> {
                Runner r = runner(q, scope);
                for (String l : labelsBody(q, 1)) {
                    e.addLabel(r, l, false);
                }
                yield labels(r);
            }
            case "set-custom-labels-for-self-hosted-runner" -> {
                Runner r = runner(q, scope);
                List<String> ls = labelsBody(q, 0);
                e.setLabels(r, ls, false);
                yield labels(r);
            }
            case "remove-all-custom-labels-from-self-hosted-runner" -> {
                Runner r = runner(q, scope);
                e.setLabels(r, List.of(), false);
                yield labels(r);
            }
            case "remove-custom-label-from-self-hosted-runner" -> {
                Runner r = runner(q, scope);
                String label = HttpUrl.parse("http://x/" + q.param("label")).pathSegments().get(0);
                Label found = null;
                for (Label l : r.labels) {
                    if (l.name().equalsIgnoreCase(label)) {
                        found = l;
                    }
                }
                if (found == null || found.readOnly()) {
                    if (found != null) {
                        throw Failure.validation("Validation Failed", "label '" + label + "' is read-only");
                    }
                    throw new Failure(404, "Not Found: runner " + r.name + " has no custom label '" + label + "'");
                }
                r.labels.remove(found);
                yield labels(r);
            }
            case "list-self-hosted-runner-groups" -> listGroups(q, (Org) scope);
            case "create-self-hosted-runner-group" -> createGroup(q, (Org) scope);
            case "get-self-hosted-runner-group" -> Reply.of(200, e.shapes.group((Org) scope, group(q, (Org) scope)));
            case "update-self-hosted-runner-group" -> updateGroup(q, (Org) scope);
            case "delete-self-hosted-runner-group" -> deleteGroup(q, (Org) scope);
            case "list-repo-access-to-self-hosted-runner-group" -> listGroupRepos(q, (Org) scope);
            case "set-repo-access-to-self-hosted-runner-group" -> {
                Group g = group(q, (Org) scope);
                List<Long> ids = longs(body(q), "selected_repository_ids");
                for (long id : ids) {
                    repoById((Org) scope, id);
                }
                g.repositoryIds.clear();
                g.repositoryIds.addAll(ids);
                yield Reply.of(204, null);
            }
            case "add-repo-access-to-self-hosted-runner-group" -> {
                Group g = group(q, (Org) scope);
                g.repositoryIds.add(repoById((Org) scope, Long.parseLong(q.param("repoid"))).id);
                yield Reply.of(204, null);
            }
            case "remove-repo-access-to-self-hosted-runner-group" -> {
                group(q, (Org) scope).repositoryIds.remove(Long.parseLong(q.param("repoid")));
                yield Reply.of(204, null);
            }
            case "list-self-hosted-runners-in-group" -> {
                Group g = group(q, (Org) scope);
                List<Object> out = new ArrayList<>();
                for (Runner r : e.runnersOf(scope)) {
                    if (r.groupId == g.id) {
                        out.add(e.shapes.runner(r, e.status(r)));
                    }
                }
                yield page(q, out, "runners");
            }
            case "set-self-hosted-runners-in-group" -> {
                Group g = group(q, (Org) scope);
                List<Runner> members = new ArrayList<>();
                for (long id : longs(body(q), "runners")) {
                    members.add(runnerById(scope, id));
                }
                for (Runner r : e.runnersOf(scope)) {
                    if (r.groupId == g.id && !members.contains(r)) {
                        r.groupId = 1;
                    }
                }
                members.forEach(r -> r.groupId = g.id);
                yield Reply.of(204, null);
            }
            case "add-self-hosted-runner-to-group" -> {
                Group g = group(q, (Org) scope);
                runner(q, scope).groupId = g.id;
                yield Reply.of(204, null);
            }
            case "remove-self-hosted-runner-from-group" -> {
                Group g = group(q, (Org) scope);
                Runner r = runner(q, scope);
                if (r.groupId == g.id) {
                    r.groupId = 1;
                }
                yield Reply.of(204, null);
            }
            case "list-workflow-runs" -> listRuns(q, (Repo) scope);
            case "list-jobs-for-workflow-run" -> listJobs(q, (Repo) scope);
            default -> throw new IllegalStateException("no handler for " + op);
        };
    }

    private Scope scope(Req q) {
        if (q.path().pattern().pattern().contains("(?<org>")) {
            Org o = e.findOrg(q.param("org"));
            if (o == null) {
                throw new Failure(404, "Not Found");
            }
            return o;
        }
        Repo r = e.findRepo(q.param("owner"), q.param("repo"));
        if (r == null) {
            throw new Failure(404, "Not Found");
        }
        return r;
    }

    private Runner runner(Req q, Scope scope) {
        return runnerById(scope, Long.parseLong(q.param("runner")));
    }

    private Runner runnerById(Scope scope, long id) {
        Runner r = e.runners.get(id);
        if (r == null || r.scope != scope) {
            throw new Failure(404, "Not Found");
        }
        return r;
    }

    private Group group(Req q, Org org) {
        Group g = org.groups.get(Long.parseLong(q.param("group")));
        if (g == null) {
            throw new Failure(404, "Not Found");
        }
        return g;
    }

    private static Repo repoById(Org org, long id) {
        for (Repo r : org.repos.values()) {
            if (r.id == id) {
                return r;
            }
        }
        throw new Failure(404, "Not Found: organization " + org.login + " has no repository with id " + id);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> body(Req q) {
        Object v = Json.parse(q.body().isBlank() ? null : q.body());
        if (!(v instanceof Map)) {
            throw new Failure(400, "Problems parsing JSON");
        }
        return (Map<String, Object>) v;
    }

    private static List<Long> longs(Map<String, Object> body, String field) {
        Object v = body.get(field);
        if (!(v instanceof List<?> l)) {
            throw Failure.validation("Invalid request.", "\"" + field + "\" wasn't supplied or is not an array of integers.");
        }
        List<Long> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof Long n)) {
                throw Failure.validation("Invalid request.", "\"" + field + "\" must contain only integers, got " + o);
            }
            out.add(n);
        }
        return out;
    }

    private static List<String> labelsBody(Req q, int min) {
        Object v = body(q).get("labels");
        if (!(v instanceof List<?> l) || l.size() < min || l.size() > 100) {
            throw Failure.validation("Invalid request.",
                    "\"labels\" must be an array of " + min + " to 100 strings.");
        }
        List<String> out = new ArrayList<>();
        for (Object o : l) {
            if (!(o instanceof String s) || s.isBlank()) {
                throw Failure.validation("Invalid request.", "\"labels\" must contain only non-blank strings, got " + o);
            }
            out.add(s.trim());
        }
        String problem = Engine.checkLabels(out);
        if (problem != null) {
            throw Failure.validation("Validation Failed", problem);
        }
        return out;
    }

    private Reply labels(Runner r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_count", r.labels.size());
        m.put("labels", Shapes.labels(r.labels));
        return Reply.of(200, m);
    }

    /** Pages a list: per_page defaults to 30 and is clamped to 1..100; adds an RFC 8288 Link header. */
    private Reply page(Req q, List<Object> all, String field) {
        int perPage = intParam(q, "per_page", 30);
        perPage = Math.max(1, Math.min(100, perPage));
        int page = Math.max(1, intParam(q, "page", 1));
        int from = Math.min(all.size(), (page - 1) * perPage);
        int to = Math.min(all.size(), from + perPage);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_count", all.size());
        m.put(field, new ArrayList<>(all.subList(from, to)));
        Reply r = Reply.of(200, m);
        int last = Math.max(1, (all.size() + perPage - 1) / perPage);
        List<String> links = new ArrayList<>();
        if (page < last) {
            links.add(link(q, page + 1, perPage, "next"));
            links.add(link(q, last, perPage, "last"));
        }
        if (page > 1) {
            links.add(link(q, 1, perPage, "first"));
            links.add(link(q, Math.min(page - 1, last), perPage, "prev"));
        }
        if (!links.isEmpty()) {
            r.headers().put("Link", String.join(", ", links));
        }
        return r;
    }

    private static String link(Req q, int page, int perPage, String rel) {
        HttpUrl u = q.url().newBuilder().setQueryParameter("per_page", String.valueOf(perPage))
                .setQueryParameter("page", String.valueOf(page)).build();
        return "<" + u + ">; rel=\"" + rel + "\"";
    }

    private static int intParam(Req q, String name, int dflt) {
        String v = q.query(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException ex) {
            throw Failure.validation("Invalid request.", "\"" + name + "\" must be an integer, got '" + v + "'");
        }
    }

    private Reply listRunners(Req q, Scope scope) {
        String filter = q.query("name");
        List<Object> out = new ArrayList<>();
        for (Runner r : e.runnersOf(scope)) {
            if (filter == null || r.name.equals(filter)) {
                out.add(e.shapes.runner(r, e.status(r)));
            }
        }
        return page(q, out, "runners");
    }

    static final DateTimeFormatter EXPIRES = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private Reply scopedToken(Scope scope, boolean remove) {
        String token = Engine.randomToken(29);
        Instant expires = e.now().plus(Duration.ofHours(1));
        e.scopedTokens.put(token, new ScopedToken(scope, expires, remove));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("token", token);
        m.put("expires_at", EXPIRES.format(expires.atOffset(ZoneOffset.UTC)));
        return Reply.of(201, m);
    }

    private Reply jitConfig(Req q, Scope scope) {
        Map<String, Object> body = body(q);
        List<String> errors = new ArrayList<>();
        Object name = body.get("name");
        Object group = body.get("runner_group_id");
        Object labels = body.get("labels");
        if (!(name instanceof String s) || s.isBlank()) {
            errors.add("\"name\" wasn't supplied or is not a string.");
        }
        if (!(group instanceof Long)) {
            errors.add("\"runner_group_id\" wasn't supplied or is not an integer.");
        }
        List<String> labelList = new ArrayList<>();
        if (!(labels instanceof List<?> l) || l.isEmpty() || l.size() > 100) {
            errors.add("\"labels\" must be an array of 1 to 100 strings.");
        } else {
            for (Object o : l) {
                if (o instanceof String s && !s.isBlank()) {
                    labelList.add(s.trim());
                } else {
                    errors.add("\"labels\" must contain only non-blank strings.");
                }
            }
        }
        Object work = body.getOrDefault("work_folder", "_work");
        if (!(work instanceof String)) {
            errors.add("\"work_folder\" must be a string.");
        }
        if (!errors.isEmpty()) {
            throw Failure.validation("Invalid request.", errors.toArray(String[]::new));
        }
        String problem = Engine.checkLabels(labelList);
        if (problem != null) {
            throw Failure.validation("Validation Failed", problem);
        }
        Org org = Engine.parentOrg(scope);
        long groupId = (Long) group;
        if (!org.groups.containsKey(groupId) || scope instanceof Repo && groupId != 1) {
            throw new Failure(404, "Not Found: no runner group " + groupId + " in " + scope.fullName());
        }
        String runnerName = ((String) name).trim();
        if (e.runnerByName(scope, runnerName) != null) {
            throw new Failure(409, "Already exists - A runner with the name " + runnerName + " already exists.");
        }
        Runner r = e.createRunner(scope, runnerName, labelList, groupId, true);
        r.workFolder = (String) work;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runner", e.shapes.runner(r, e.status(r)));
        m.put("encoded_jit_config", RunnerService.encodeJitConfig(e, r));
        return Reply.of(201, m);
    }

    private Reply deleteRunner(Req q, Scope scope) {
        Runner r = runner(q, scope);
        if (r.job != null) {
            throw Failure.validation("Bad request - Runner \"" + r.name + "\" is still running a job\"");
        }
        e.removeRunner(r);
        return Reply.of(204, null);
    }

    private Reply listGroups(Req q, Org org) {
        String visibleTo = q.query("visible_to_repository");
        List<Object> out = new ArrayList<>();
        for (Group g : org.groups.values()) {
            if (visibleTo != null) {
                Repo r = org.repos.get(visibleTo.toLowerCase(Locale.ROOT));
                if (r == null || "selected".equals(g.visibility) && !g.repositoryIds.contains(r.id)
                        || !r.isPrivate && !g.allowsPublicRepositories) {
                    continue;
                }
            }
            out.add(e.shapes.group(org, g));
        }
        return page(q, out, "runner_groups");
    }

    private Reply createGroup(Req q, Org org) {
        Map<String, Object> body = body(q);
        Object name = body.get("name");
        if (!(name instanceof String s) || s.isBlank()) {
            throw Failure.validation("Invalid request.", "\"name\" wasn't supplied.");
        }
        for (Group g : org.groups.values()) {
            if (g.name.equalsIgnoreCase((String) name)) {
                throw Failure.validation("Validation Failed", "a runner group named '" + name + "' already exists");
            }
        }
        Group g = new Group(org.nextGroupId++, ((String) name).trim(), false);
        applyGroup(org, g, body);
        org.groups.put(g.id, g);
        return Reply.of(201, e.shapes.group(org, g));
    }

    private Reply updateGroup(Req q, Org org) {
        Group g = group(q, org);
        Map<String, Object> body = body(q);
        if (!(body.get("name") instanceof String s) || s.isBlank()) {
            throw Failure.validation("Invalid request.", "\"name\" wasn't supplied.");
        }
        if (g.isDefault && !"Default".equals(body.get("name"))) {
            throw Failure.validation("Validation Failed", "the Default runner group cannot be renamed");
        }
        g.name = ((String) body.get("name")).trim();
        applyGroup(org, g, body);
        return Reply.of(200, e.shapes.group(org, g));
    }

    private void applyGroup(Org org, Group g, Map<String, Object> body) {
        Object vis = body.get("visibility");
        if (vis != null) {
            if (!List.of("all", "selected", "private").contains(vis)) {
                throw Failure.validation("Invalid request.", "\"visibility\" must be one of all, selected, private.");
            }
            g.visibility = (String) vis;
        }
        if (body.get("allows_public_repositories") instanceof Boolean b) {
            g.allowsPublicRepositories = b;
        }
        if (body.get("restricted_to_workflows") instanceof Boolean b) {
            g.restrictedToWorkflows = b;
        }
        if (body.get("selected_workflows") instanceof List<?> l) {
            g.selectedWorkflows = new ArrayList<>();
            l.forEach(o -> g.selectedWorkflows.add(String.valueOf(o)));
        }
        if (body.containsKey("selected_repository_ids")) {
            List<Long> ids = longs(body, "selected_repository_ids");
            ids.forEach(id -> repoById(org, id));
            g.repositoryIds.clear();
            g.repositoryIds.addAll(ids);
        }
        if (body.containsKey("runners")) {
            for (long id : longs(body, "runners")) {
                runnerById(org, id).groupId = g.id;
            }
        }
    }

    private Reply deleteGroup(Req q, Org org) {
        Group g = group(q, org);
        if (g.isDefault) {
            throw Failure.validation("Validation Failed", "the Default runner group cannot be deleted");
        }
        org.groups.remove(g.id);
        for (Runner r : e.runnersOf(org)) {
            if (r.groupId == g.id) {
                r.groupId = 1;
            }
        }
        return Reply.of(204, null);
    }

    private Reply listGroupRepos(Req q, Org org) {
        Group g = group(q, org);
        List<Object> out = new ArrayList<>();
        for (long id : g.repositoryIds) {
            out.add(e.shapes.repository(repoById(org, id), false));
        }
        return page(q, out, "repositories");
    }

    private static final Set<String> RUN_STATUSES = Set.of("completed", "action_required", "cancelled", "failure",
            "neutral", "skipped", "stale", "success", "timed_out", "in_progress", "queued", "requested", "waiting",
            "pending");

    private Reply listRuns(Req q, Repo repo) {
        String status = q.query("status");
        if (status != null && !RUN_STATUSES.contains(status)) {
            throw Failure.validation("Invalid request.", "\"status\" must be one of " + new TreeSet<>(RUN_STATUSES));
        }
        List<Object> out = new ArrayList<>();
        List<Job> newestFirst = new ArrayList<>(e.jobs);
        java.util.Collections.reverse(newestFirst);
        for (Job j : newestFirst) {
            if (j.repo == repo && (status == null || status.equals(j.status) || status.equals(j.conclusion))) {
                out.add(e.shapes.workflowRun(j));
            }
        }
        return page(q, out, "workflow_runs");
    }

    private Reply listJobs(Req q, Repo repo) {
        long runId = Long.parseLong(q.param("run"));
        List<Object> out = new ArrayList<>();
        boolean found = false;
        for (Job j : e.jobs) {
            if (j.repo == repo && j.runId == runId) {
                out.add(e.shapes.job(j));
                found = true;
            }
        }
        if (!found) {
            throw new Failure(404, "Not Found");
        }
        return page(q, out, "jobs");
    }

}
