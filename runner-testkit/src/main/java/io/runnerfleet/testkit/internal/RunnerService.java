package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.Model.ScopedToken;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.HttpUrl;

/**
 * The stand-in for the Actions service the real runner talks to, under {@code /_fake/}. It speaks
 * plain {@code key=value} lines (always HTTP 200 for a well-formed call) so the busybox scripts can
 * read answers with {@code sed}: {@code result=ok|none|job|deleted|error}, plus {@code status} and
 * {@code message} on errors.
 *
 * <ul>
 *   <li>{@code POST /_fake/configure} (form: url, token, name, labels, group, work, os, arch, ephemeral,
 *       replace, nodefault) registers a runner and returns the {@code .runner}/{@code .credentials} files;
 *   <li>{@code POST /_fake/runners/{id}/connect|poll|renew|finish|disconnect} with the {@code .credentials}
 *       file as body: go online, long-poll for a job (a heartbeat), renew the job in hand (the heartbeat
 *       while running it; {@code result=lost} once GitHub failed it), finish it, go offline;
 *   <li>{@code POST /_fake/remove} (form: token, id) deletes a registration with a remove token.
 * </ul>
 */
final class RunnerService {
    static final String VERSION = "2.329.0";
    private static final Pattern RUNNER_CALL = Pattern.compile("/_fake/runners/([0-9]+)/(connect|poll|renew|finish|disconnect)");
    /** The runner side's operation names, for counters and {@code failNext}. */
    static final java.util.Set<String> OPERATIONS = java.util.Set.of("runner/configure", "runner/remove",
            "runner/connect", "runner/poll", "runner/renew", "runner/finish", "runner/disconnect");

    private final Engine e;

    RunnerService(Engine engine) {
        this.e = engine;
    }

    MockResponse dispatch(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        String body = request.getBody() == null ? "" : request.getBody().string(StandardCharsets.UTF_8);
        Matcher call = RUNNER_CALL.matcher(path);
        String op = call.matches() ? "runner/" + call.group(2) : "runner/" + path.substring("/_fake/".length());
        Map<String, String> reply;
        io.runnerfleet.testkit.Fault fault = null;
        if (OPERATIONS.contains(op)) {
            e.countRequest(op);
            fault = e.faults().takeFault(op).orElse(null);
        }
        long delayMillis = 0;
        if (fault instanceof io.runnerfleet.testkit.Fault.Drop) {
            return new MockResponse.Builder().onResponseStart(mockwebserver3.SocketEffect.ShutdownConnection.INSTANCE).build();
        } else if (fault instanceof io.runnerfleet.testkit.Fault.Delay d) {
            delayMillis = d.delay().toMillis();
        }
        if (fault instanceof io.runnerfleet.testkit.Fault.Status st) {
            reply = error(st.code(), "injected failure of " + op + " (HTTP " + st.code() + ")");
        } else if (fault instanceof io.runnerfleet.testkit.Fault.SecondaryLimit) {
            reply = error(429, "injected rate limit of " + op);
        } else if (!"POST".equals(request.getMethod())) {
            reply = error(405, "the fake runner service takes POST only");
        } else if (path.equals("/_fake/configure")) {
            reply = configure(form(body));
        } else if (path.equals("/_fake/remove")) {
            reply = remove(form(body));
        } else if (call.matches()) {
            reply = runnerCall(Long.parseLong(call.group(1)), call.group(2), body, request.getUrl());
        } else {
            reply = error(404, "no such fake runner service call: " + path);
        }
        StringBuilder sb = new StringBuilder();
        reply.forEach((k, v) -> sb.append(k).append('=').append(v.replace('\n', ' ')).append('\n'));
        MockResponse.Builder b = new MockResponse.Builder().code(200).setHeader("Content-Type", "text/plain; charset=utf-8")
                .body(sb.toString());
        if (delayMillis > 0) {
            b.headersDelay(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        return b.build();
    }

    private static Map<String, String> form(String body) {
        HttpUrl u = HttpUrl.parse("http://form/?" + body.trim());
        Map<String, String> m = new LinkedHashMap<>();
        if (u != null) {
            for (String n : u.queryParameterNames()) {
                String v = u.queryParameter(n);
                m.put(n, v == null ? "" : v.trim());
            }
        }
        return m;
    }

    private static Map<String, String> ok() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("result", "ok");
        return m;
    }

    private static Map<String, String> error(int status, String message) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("result", "error");
        m.put("status", String.valueOf(status));
        m.put("message", message);
        return m;
    }

    private Map<String, String> notFound(String what) {
        return error(404, "Http response code: NotFound from 'POST " + e.base() + "/_fake/" + what
                + "' (the token is wrong, expired or not for this scope: get a new registration token)");
    }

    private Map<String, String> configure(Map<String, String> f) {
        synchronized (e) {
            HttpUrl url = HttpUrl.parse(f.getOrDefault("url", ""));
            Scope scope = url == null ? null : e.findScope(url.encodedPath());
            if (scope == null) {
                return error(404, "Http response code: NotFound from 'POST " + e.base() + "/_fake/configure'"
                        + " (no organization or repository at " + f.get("url") + ")");
            }
            ScopedToken t = e.scopedTokens.get(f.getOrDefault("token", ""));
            if (t == null || t.remove() || t.scope() != scope || !e.now().isBefore(t.expiresAt())) {
                return notFound("configure");
            }
            Org org = Engine.parentOrg(scope);
            String groupName = f.getOrDefault("group", "");
            Group group = null;
            for (Group g : org.groups.values()) {
                if (groupName.isEmpty() ? g.isDefault : g.name.equalsIgnoreCase(groupName)) {
                    group = g;
                }
            }
            if (group == null || scope instanceof Repo && !group.isDefault) {
                return error(404, "Could not find any self-hosted runner group named \"" + groupName + "\".");
            }
            List<String> labels = new ArrayList<>();
            if (!"true".equals(f.get("nodefault"))) {
                labels.add("self-hosted");
                labels.add(f.getOrDefault("os", "Linux"));
                labels.add(f.getOrDefault("arch", "X64"));
            }
            for (String l : f.getOrDefault("labels", "").split(",")) {
                if (!l.isBlank() && labels.stream().noneMatch(x -> x.equalsIgnoreCase(l.trim()))) {
                    labels.add(l.trim());
                }
            }
            String problem = Engine.checkLabels(labels);
            if (problem != null) {
                return error(422, problem);
            }
            if (labels.isEmpty()) {
                return error(422, "a runner needs at least one label");
            }
            String name = f.getOrDefault("name", "");
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                return error(422, "runner name '" + name + "' is invalid: use 1 to 64 letters, digits, '.', '_' or '-'");
            }
            Runner old = e.runnerByName(scope, name);
            if (old != null) {
                if (!"true".equals(f.get("replace"))) {
                    return error(409, "A runner exists with the same name " + name + ".");
                }
                if (old.job != null) {
                    e.finish(old, "cancelled");
                }
                e.removeRunner(old);
            }
            Runner r = e.createRunner(scope, name, labels, group.id, "true".equals(f.get("ephemeral")));
            r.workFolder = f.getOrDefault("work", "_work").isEmpty() ? "_work" : f.get("work");
            // Configured labels: the defaults are read-only, --labels are custom (createRunner guessed by name).
            List<String> custom = new ArrayList<>(labels);
            r.labels.clear();
            boolean defaults = !"true".equals(f.get("nodefault"));
            for (int i = 0; i < custom.size(); i++) {
                e.addLabel(r, custom.get(i), defaults && i < 3);
            }
            Map<String, String> m = ok();
            m.put("id", String.valueOf(r.id));
            m.put("name", r.name);
            m.put("group", group.name);
            m.put("runner_file", b64(runnerFile(r, url.toString())));
            m.put("credentials_file", b64(credentialsFile(r)));
            return m;
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code .runner} file: one key per line so {@code sed} can read it. */
    static String runnerFile(Runner r, String scopeUrl) {
        Org org = r.org();
        String poolName = org.groups.containsKey(r.groupId) ? org.groups.get(r.groupId).name : "Default";
        return "{\n"
                + "  \"agentId\": " + r.id + ",\n"
                + "  \"agentName\": \"" + r.name + "\",\n"
                + "  \"poolId\": " + r.groupId + ",\n"
                + "  \"poolName\": \"" + poolName + "\",\n"
                + "  \"serverUrl\": \"" + scopeUrl.replaceAll("^(https?://[^/]+).*$", "$1") + "/_fake\",\n"
                + "  \"gitHubUrl\": \"" + scopeUrl + "\",\n"
                + "  \"workFolder\": \"" + r.workFolder + "\",\n"
                + "  \"ephemeral\": " + r.ephemeral + "\n"
                + "}\n";
    }

    static String credentialsFile(Runner r) {
        return "{\n  \"scheme\": \"FakeRunnerSession\",\n  \"data\": {\n    \"token\": \"" + r.session + "\"\n  }\n}\n";
    }

    /** The JIT config: base64 of a JSON object mapping {@code .runner} and {@code .credentials} to base64 contents. */
    static String encodeJitConfig(Engine e, Runner r) {
        String scopeUrl = e.base() + r.scope.path();
        Map<String, Object> files = new LinkedHashMap<>();
        files.put(".runner", b64(runnerFile(r, scopeUrl)));
        files.put(".credentials", b64(credentialsFile(r)));
        return b64(Json.write(files));
    }

    private Map<String, String> remove(Map<String, String> f) {
        synchronized (e) {
            ScopedToken t = e.scopedTokens.get(f.getOrDefault("token", ""));
            Runner r;
            try {
                r = e.runners.get(Long.parseLong(f.getOrDefault("id", "")));
            } catch (NumberFormatException ex) {
                return error(422, "the .runner file has no agentId");
            }
            if (t == null || !t.remove() || !e.now().isBefore(t.expiresAt()) || r != null && t.scope() != r.scope) {
                return notFound("remove");
            }
            if (r != null) {
                if (r.job != null) {
                    return error(422, "Bad request - Runner \"" + r.name + "\" is still running a job");
                }
                e.removeRunner(r);
            }
            return ok();
        }
    }

    private Map<String, String> runnerCall(long id, String call, String body, HttpUrl url) {
        String session = sessionOf(body);
        synchronized (e) {
            Runner r = e.runners.get(id);
            if (r == null) {
                Map<String, String> m = new LinkedHashMap<>();
                m.put("result", "deleted");
                return m;
            }
            if (session == null || !session.equals(r.session)) {
                return error(401, "the runner's credentials do not match runner " + r.name + ": configure it again");
            }
            // A requested listener exit is answered to connect or poll; a job in hand is finished first.
            if (r.pendingExit != null && (call.equals("connect") || call.equals("poll"))) {
                return listenerExit(r);
            }
            switch (call) {
                case "connect" -> {
                    r.connected = true;
                    r.lastSeen = e.now();
                    r.version = orDefault(url.queryParameter("version"), VERSION);
                    r.os = orDefault(url.queryParameter("os"), "linux");
                    return ok();
                }
                case "disconnect" -> {
                    // A runner told to shut down mid-job cancels the job before it goes, as the real one does.
                    if (r.job != null) {
                        e.finish(r, "cancelled");
                    }
                    r.connected = false;
                    return ok();
                }
                case "renew" -> {
                    String job = url.queryParameter("job");
                    if (r.job == null || !String.valueOf(r.job.id).equals(job)) {
                        Map<String, String> m = new LinkedHashMap<>();
                        m.put("result", "lost");   // failed while the runner was out of touch: drop it
                        return m;
                    }
                    r.lastSeen = e.now();
                    return ok();
                }
                case "finish" -> {
                    String job = url.queryParameter("job");
                    if (r.job == null || !String.valueOf(r.job.id).equals(job)) {
                        return error(404, "runner " + r.name + " is not running job " + job);
                    }
                    e.finish(r, orDefault(url.queryParameter("conclusion"), "success"));
                    Map<String, String> m = ok();
                    m.put("exit", String.valueOf(r.ephemeral));
                    return m;
                }
                default -> {
                    return poll(r);
                }
            }
        }
    }

    /** Long-polls for a job: each poll is a heartbeat. Waits at most the engine's poll time. */
    private Map<String, String> poll(Runner r) {
        if (!r.connected) {
            // Only connect opens a session: a poll sent just before the runner disconnected can be served after
            // the disconnect, and must neither bring the runner back online nor hand it a job.
            Map<String, String> m = new LinkedHashMap<>();
            m.put("result", "none");
            return m;
        }
        r.lastSeen = e.now();
        Instant deadline = Instant.now().plus(e.pollWait);
        Job j = r.job != null ? r.job : e.assign(r);
        while (j == null && e.runners.containsKey(r.id) && r.connected && r.pendingExit == null) {
            long left = deadline.toEpochMilli() - Instant.now().toEpochMilli();
            if (left <= 0) {
                break;
            }
            try {
                e.wait(left);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                break;
            }
            j = e.assign(r);
        }
        Map<String, String> m = new LinkedHashMap<>();
        if (!e.runners.containsKey(r.id)) {
            m.put("result", "deleted");
            return m;
        }
        r.lastSeen = e.now();
        if (j == null && r.pendingExit != null) {
            return listenerExit(r);
        }
        if (j == null) {
            m.put("result", "none");
            return m;
        }
        m.put("result", "job");
        m.put("job", String.valueOf(j.id));
        m.put("name", j.name);
        m.put("repository", j.repo.fullName());
        m.put("seconds", String.valueOf(e.jobSeconds(j.id)));
        return m;
    }

    /** The answer that makes run.sh's listener exit with the requested code; the runner goes offline. */
    private static Map<String, String> listenerExit(Runner r) {
        int code = r.pendingExit;
        r.pendingExit = null;
        r.connected = false;
        Map<String, String> m = new LinkedHashMap<>();
        m.put("result", "exit");
        m.put("code", String.valueOf(code));
        m.put("message", switch (code) {
            case 1 -> "The runner was told to stop by the service.";
            case 2 -> "The service asked the runner to restart (a retryable error).";
            case 3, 4 -> "The runner is updating to a newer version.";
            case 5 -> "Another listener already holds the session of runner " + r.name + ".";
            case 6 -> "The runner's configuration was refreshed by the service.";
            default -> "Runner version " + orDefault(r.version, VERSION) + " is deprecated and cannot connect; update the runner.";
        });
        return m;
    }

    private static String orDefault(String v, String dflt) {
        return v == null || v.isBlank() ? dflt : v;
    }

    private static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");

    private static String sessionOf(String credentialsFile) {
        Matcher m = TOKEN.matcher(credentialsFile);
        return m.find() ? m.group(1) : null;
    }
}
