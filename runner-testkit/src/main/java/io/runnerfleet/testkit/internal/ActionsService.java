package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.Fault;
import io.runnerfleet.testkit.internal.ScaleSetModel.Message;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;

/**
 * Serves the runner-scale-set protocol from {@link ScaleSets}: {@code POST /actions/runner-registration}
 * (also under {@code /api/v3}), the Actions service under {@code /_services/actions/<tenant>/}
 * ({@code {svc}}: runner groups, scale sets, JIT configs, agents, sessions, acquirejobs) and the
 * message broker under {@code /_broker/scalesets/message}. Order per request: route, count, fault,
 * {@code api-version}, authenticate, handle. Errors are the service's {@code {"typeName","message"}}
 * bodies; an injected 5xx is {@code text/plain}, as a proxy in front of the service would send.
 */
final class ActionsService {
    private static final String SVC = "/_services/actions/(?<tenant>[a-z0-9]+)/_apis";
    private static final String SETS = SVC + "/runtime/runnerscalesets";
    private static final String SET = SETS + "/(?<set>[0-9]+)";
    private static final String AGENTS = SVC + "/distributedtask/pools/0/agents";
    private static final String QUEUE = "/_broker/scalesets/message";

    /** Which token a call takes. */
    private enum Auth {
        REGISTRATION, ADMIN, QUEUE
    }

    private record Route(String method, Pattern pattern, String operationId, Auth auth) {
    }

    private static final List<Route> ROUTES = new ArrayList<>();
    /** The operation ids of the Actions-service calls, for counters and {@code failNext}. */
    static final Set<String> OPERATIONS = new TreeSet<>();

    private static void route(String method, String regex, String name, Auth auth) {
        ROUTES.add(new Route(method, Pattern.compile(regex), "actions-service/" + name, auth));
        OPERATIONS.add("actions-service/" + name);
    }

    static {
        route("POST", "(/api/v3)?/actions/runner-registration", "runner-registration", Auth.REGISTRATION);
        route("GET", SVC + "/runtime/runnergroups", "get-runner-groups", Auth.ADMIN);
        route("GET", SETS, "list-runner-scale-sets", Auth.ADMIN);
        route("POST", SETS, "create-runner-scale-set", Auth.ADMIN);
        route("GET", SET, "get-runner-scale-set", Auth.ADMIN);
        route("PATCH", SET, "update-runner-scale-set", Auth.ADMIN);
        route("DELETE", SET, "delete-runner-scale-set", Auth.ADMIN);
        route("POST", SET + "/generatejitconfig", "generate-jit-config", Auth.ADMIN);
        route("POST", SET + "/sessions", "create-session", Auth.ADMIN);
        route("PATCH", SET + "/sessions/(?<session>[^/]+)", "refresh-session", Auth.ADMIN);
        route("DELETE", SET + "/sessions/(?<session>[^/]+)", "delete-session", Auth.ADMIN);
        route("POST", SET + "/acquirejobs", "acquire-jobs", Auth.QUEUE);
        route("GET", AGENTS, "list-runners", Auth.ADMIN);
        route("GET", AGENTS + "/(?<agent>[0-9]+)", "get-runner", Auth.ADMIN);
        route("DELETE", AGENTS + "/(?<agent>[0-9]+)", "remove-runner", Auth.ADMIN);
        route("GET", QUEUE, "get-message", Auth.QUEUE);
        route("DELETE", QUEUE + "/(?<message>[0-9]+)", "delete-message", Auth.QUEUE);
    }

    private final Engine e;
    private final ScaleSets sets;

    ActionsService(Engine engine) {
        this.e = engine;
        this.sets = engine.scaleSets();
    }

    /** Whether a request path is one of this service's. */
    static boolean handles(String encodedPath) {
        String p = normalize(encodedPath);
        return p.startsWith("/_services/") || p.startsWith("/_broker/") || p.endsWith("/actions/runner-registration");
    }

    /** Clients join paths loosely: {@code //} and a trailing {@code /} are accepted. */
    private static String normalize(String path) {
        String p = path.replaceAll("/{2,}", "/");
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    /** A reply: status and a JSON body (or text for injected 5xx), plus headers. */
    private record Reply(int status, Object json, String text, Map<String, String> headers) {
        static Reply json(int status, Object body) {
            return new Reply(status, body, null, new LinkedHashMap<>());
        }
    }

    MockResponse dispatch(RecordedRequest request) {
        String path = normalize(request.getUrl().encodedPath());
        String method = request.getMethod();
        Route route = null;
        Matcher m = null;
        for (Route r : ROUTES) {
            Matcher candidate = r.pattern().matcher(path);
            if (candidate.matches() && r.method().equals(method)) {
                route = r;
                m = candidate;
                break;
            }
        }
        if (route == null) {
            return respond(error(new ServiceError(404, null, "no Actions-service call " + method + " " + path)));
        }
        String op = route.operationId();
        e.countRequest(op);
        Fault fault = e.faults().takeFault(op).orElse(null);
        if (fault instanceof Fault.Drop) {
            return new MockResponse.Builder().onResponseStart(SocketEffect.ShutdownConnection.INSTANCE).build();
        }
        if (fault instanceof Fault.Delay d) {
            hang(d.delay().toMillis());
        }
        if (fault instanceof Fault.Status s) {
            return respond(injected(op, s.code()));
        }
        if (fault instanceof Fault.SecondaryLimit s) {
            Reply r = error(new ServiceError(429, "GitHub.Services.WebApi.TooManyRequestsException, GitHub.Services.WebApi",
                    "injected rate limit of " + op));
            if (s.retryAfter() != null) {
                r.headers().put("Retry-After", String.valueOf(Math.max(0, s.retryAfter().toSeconds())));
            }
            return respond(r);
        }
        String body = request.getBody() == null ? "" : request.getBody().string(StandardCharsets.UTF_8);
        Reply reply;
        synchronized (e) {
            try {
                e.failLostJobs();
                reply = handle(route, m, request, body);
            } catch (ServiceError err) {
                reply = error(err);
            } catch (Json.MalformedJsonException ex) {
                reply = error(ServiceError.badRequest("the body is not JSON: " + ex.getMessage()));
            }
        }
        return respond(reply);
    }

    /** A hanging service: holds the call for {@code millis}, or until the fake closes. */
    private void hang(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (e) {
            long left;
            while (!sets.closed() && (left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())) > 0) {
                try {
                    e.wait(left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private Reply handle(Route route, Matcher m, RecordedRequest request, String body) {
        String authorization = request.getHeaders().get("Authorization");
        if (route.auth() == Auth.REGISTRATION) {
            String[] parts = authorization == null ? new String[0] : authorization.trim().split("\\s+", 2);
            if (parts.length != 2 || !parts[0].equals("RemoteAuth")) {
                throw ServiceError.unauthorized("runner-registration takes 'Authorization: RemoteAuth <registration token>'");
            }
            Map<String, Object> b = object(body);
            if (!"register".equals(b.get("runner_event"))) {
                throw ServiceError.badRequest("\"runner_event\" must be \"register\", got " + Json.write(b.get("runner_event")));
            }
            return Reply.json(200, sets.register(parts[1], b.get("url") instanceof String u ? u : null));
        }
        String bearer = bearer(authorization);
        if (route.auth() == Auth.QUEUE && route.pattern().pattern().startsWith(QUEUE)) {
            return broker(route, m, request, bearer);
        }
        if (request.getUrl().queryParameter("api-version") == null) {
            throw ServiceError.badRequest("No api-version was given: add the query parameter api-version=6.0-preview");
        }
        if (route.auth() == Auth.QUEUE) { // acquirejobs: the session's token, not the admin one
            List<Long> ids = new ArrayList<>();
            if (!(Json.parse(body.isBlank() ? "null" : body) instanceof List<?> l)) {
                throw ServiceError.badRequest("the body must be a JSON array of runnerRequestIds, e.g. [1,2]");
            }
            for (Object o : l) {
                if (!(o instanceof Long id)) {
                    throw ServiceError.badRequest("runnerRequestIds must be integers, got " + Json.write(o));
                }
                ids.add(id);
            }
            List<Long> got = sets.acquire(bearer, Long.parseLong(m.group("set")), ids);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("count", got.size());
            r.put("value", new ArrayList<>(got));
            return Reply.json(200, r);
        }
        Scope scope = sets.admin(m.group("tenant"), bearer);
        String name = route.operationId().substring("actions-service/".length());
        return switch (name) {
            case "get-runner-groups" -> Reply.json(200, sets.groups(scope, request.getUrl().queryParameter("groupName")));
            case "list-runner-scale-sets" -> Reply.json(200, sets.listSets(scope,
                    longQuery(request, "runnerGroupId"), request.getUrl().queryParameter("name")));
            case "create-runner-scale-set" -> Reply.json(200, sets.create(scope, object(body)));
            case "get-runner-scale-set" -> Reply.json(200, sets.setJson(sets.set(scope, id(m, "set"))));
            case "update-runner-scale-set" -> Reply.json(200, sets.update(scope, id(m, "set"), object(body)));
            case "delete-runner-scale-set" -> {
                sets.delete(scope, id(m, "set"));
                yield Reply.json(204, null);
            }
            case "generate-jit-config" -> Reply.json(200, sets.agents().generateJitConfig(sets.set(scope, id(m, "set")), object(body)));
            case "create-session" -> Reply.json(200, sets.createSession(scope, id(m, "set"), object(body)));
            case "refresh-session" -> Reply.json(200, sets.refreshSession(scope, id(m, "set"), m.group("session")));
            case "delete-session" -> {
                sets.deleteSession(scope, id(m, "set"), m.group("session"));
                yield Reply.json(204, null);
            }
            case "list-runners" -> Reply.json(200, sets.agents().agents(scope, request.getUrl().queryParameter("agentName")));
            case "get-runner" -> Reply.json(200, sets.agents().agent(scope, id(m, "agent")));
            case "remove-runner" -> {
                sets.agents().removeAgent(scope, id(m, "agent"));
                yield Reply.json(204, null);
            }
            default -> throw new IllegalStateException("no handler for " + route.operationId());
        };
    }

    /** The long poll and the ack, on {@code messageQueueUrl} (whose query a client must keep). */
    private Reply broker(Route route, Matcher m, RecordedRequest request, String bearer) {
        String setId = request.getUrl().queryParameter("scaleSetId");
        if (setId == null) {
            throw ServiceError.badRequest("the query of messageQueueUrl (scaleSetId) is missing: call the URL the session"
                    + " gave, with its query");
        }
        ScaleSetModel.Session ses = sets.queueSession(bearer, null);
        if (!setId.equals(String.valueOf(ses.set.id))) {
            throw ServiceError.unauthorized("the message queue token is for scale set " + ses.set.id + ", not " + setId);
        }
        if (route.operationId().endsWith("delete-message")) {
            sets.ack(bearer, id(m, "message"));
            return Reply.json(204, null);
        }
        String capacity = request.getHeaders().get("X-ScaleSetMaxCapacity");
        if (capacity == null || !capacity.trim().matches("[0-9]{1,10}") || Long.parseLong(capacity.trim()) > Integer.MAX_VALUE) {
            throw ServiceError.badRequest("the header X-ScaleSetMaxCapacity must be the number of runners the client can"
                    + " provide (0 to 2147483647), got " + (capacity == null ? "none" : "'" + capacity + "'"));
        }
        Long last = longQuery(request, "lastMessageId");
        if (last != null && last < 0) {
            throw ServiceError.badRequest("lastMessageId must not be negative, got " + last);
        }
        Message msg = sets.poll(bearer, last == null ? 0 : last);
        if (msg == null) {
            return Reply.json(202, null);
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("messageId", msg.id());
        r.put("messageType", "RunnerScaleSetJobMessages");
        r.put("body", msg.body());
        r.put("statistics", msg.statistics());
        return Reply.json(200, r);
    }

    private static String bearer(String authorization) {
        String[] parts = authorization == null ? new String[0] : authorization.trim().split("\\s+", 2);
        if (parts.length != 2 || !parts[0].equalsIgnoreCase("Bearer")) {
            throw ServiceError.unauthorized("this call takes 'Authorization: Bearer <token>'");
        }
        return parts[1];
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String body) {
        Object o = Json.parse(body.isBlank() ? "null" : body);
        if (!(o instanceof Map<?, ?>)) {
            throw ServiceError.badRequest("the body must be a JSON object");
        }
        return (Map<String, Object>) o;
    }

    private static long id(Matcher m, String group) {
        try {
            return Long.parseLong(m.group(group));
        } catch (NumberFormatException ex) {
            throw new ServiceError(404, null, "no such " + group + ": " + m.group(group));
        }
    }

    private static Long longQuery(RecordedRequest request, String name) {
        String v = request.getUrl().queryParameter(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException ex) {
            throw ServiceError.badRequest(name + " must be an integer, got '" + v + "'");
        }
    }

    /** An injected status: the exception a real service would send for it on this call. */
    private static Reply injected(String op, int code) {
        if (code >= 500) {
            return new Reply(code, null, "injected failure of " + op + " (HTTP " + code + ")", new LinkedHashMap<>());
        }
        boolean session = op.endsWith("message") || op.endsWith("acquire-jobs") || op.endsWith("session");
        String type = switch (code) {
            case 401 -> "GitHub.Services.Common.VssUnauthorizedException, GitHub.Services.Common";
            case 404 -> op.endsWith("runner") ? ServiceError.taskType("AgentNotFoundException")
                    : session ? ServiceError.runtimeType("RunnerScaleSetSessionNotFoundException")
                    : ServiceError.runtimeType("RunnerScaleSetNotFoundException");
            case 409 -> op.endsWith("create-session") ? ServiceError.runtimeType("RunnerScaleSetSessionConflictException")
                    : op.endsWith("generate-jit-config") ? ServiceError.taskType("AgentExistsException")
                    : "GitHub.Services.WebApi.VssServiceException, GitHub.Services.WebApi";
            default -> op.endsWith("remove-runner") && code == 400 ? ServiceError.taskType("JobStillRunningException")
                    : "GitHub.Services.WebApi.VssServiceException, GitHub.Services.WebApi";
        };
        return error(new ServiceError(code, type, "injected failure of " + op + " (HTTP " + code + ")"));
    }

    private static Reply error(ServiceError err) {
        if (err.typeName == null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("message", err.getMessage());
            return Reply.json(err.status, m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("typeName", err.typeName);
        m.put("message", err.getMessage());
        return Reply.json(err.status, m);
    }

    private MockResponse respond(Reply reply) {
        MockResponse.Builder b = new MockResponse.Builder().code(reply.status());
        b.setHeader("ActivityId", UUID.randomUUID().toString());
        b.setHeader("X-GitHub-Request-Id", Long.toHexString(e.nextId()).toUpperCase(Locale.ROOT));
        reply.headers().forEach(b::setHeader);
        if (reply.text() != null) {
            b.setHeader("Content-Type", "text/plain; charset=utf-8");
            b.body(reply.text());
        } else if (reply.json() != null) {
            b.setHeader("Content-Type", "application/json; charset=utf-8");
            b.body(Json.write(reply.json()));
        }
        return b.build();
    }
}
