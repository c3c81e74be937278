package io.runnerfleet.github.scaleset;

import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.QUEUE_TOKEN;
import static io.runnerfleet.github.TestSupport.empty;
import static io.runnerfleet.github.TestSupport.json;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.registrationToken;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.runnerRegistration;
import static io.runnerfleet.github.scaleset.ScaleSetTestSupport.statistics;

import io.runnerfleet.github.internal.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;

/**
 * A small in-test Actions service for the listener tests: scale sets, one session per set, a message
 * queue honouring {@code lastMessageId}, and scripted faults per route.
 */
final class FakeActions extends Dispatcher {
    private final MockWebServer server;
    private final Object lock = new Object();
    private final Map<Long, Map<String, Object>> sets = new LinkedHashMap<>();
    private final Map<String, Deque<MockResponse>> faults = new HashMap<>();
    private final List<long[]> queue = new ArrayList<>();      // {messageId} in order
    private final Map<Long, String> bodies = new HashMap<>();
    private long nextSetId = 42;
    private long nextMessageId = 1;
    private int tokens;
    private String sessionId;
    private long sessionSetId;
    private String token = QUEUE_TOKEN + "-0";
    private int sessions;
    volatile boolean foreignSession;
    volatile long assigned;
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<Long> polledWith = new CopyOnWriteArrayList<>();
    final List<Long> acked = new CopyOnWriteArrayList<>();

    FakeActions(MockWebServer server) {
        this.server = server;
    }

    /** The next answers of {@code route} (e.g. {@code GET poll}, {@code POST sessions}), before normal service. */
    void fault(String route, MockResponse... responses) {
        synchronized (lock) {
            Deque<MockResponse> q = faults.computeIfAbsent(route, k -> new ArrayDeque<>());
            for (MockResponse r : responses) {
                q.add(r);
            }
        }
    }

    /** Queues a message with these job messages (JSON objects); returns its id. */
    long publish(String... jobs) {
        synchronized (lock) {
            long id = nextMessageId++;
            queue.add(new long[] {id});
            bodies.put(id, "[" + String.join(",", jobs) + "]");
            lock.notifyAll();
            return id;
        }
    }

    /** Rotates the queue token, as if the listener's had expired. */
    void expireQueueToken() {
        synchronized (lock) {
            token = QUEUE_TOKEN + "-" + (++tokens);
            lock.notifyAll();
        }
    }

    /** Drops the session, as if the broker evicted it. */
    void evictSession() {
        synchronized (lock) {
            sessionId = null;
            lock.notifyAll();
        }
    }

    /** Opens a session out of band (another process, or this listener before a crash); returns its id. */
    String openSession(long setId) {
        synchronized (lock) {
            sessionId = "session-" + (++sessions);
            sessionSetId = setId;
            return sessionId;
        }
    }

    /** Deletes a scale set on "GitHub's side". */
    void deleteScaleSet(long id) {
        synchronized (lock) {
            sets.remove(id);
            if (sessionSetId == id) {
                sessionId = null;
            }
            lock.notifyAll();
        }
    }

    long createScaleSet(String name, long groupId, List<String> labels) {
        synchronized (lock) {
            long id = nextSetId++;
            Map<String, Object> set = new LinkedHashMap<>();
            set.put("id", id);
            set.put("name", name);
            set.put("runnerGroupId", groupId);
            List<Object> ls = new ArrayList<>();
            for (String l : labels) {
                ls.add(Map.of("type", "System", "name", l));
            }
            set.put("labels", ls);
            set.put("RunnerSetting", Map.of("disableUpdate", true));
            sets.put(id, set);
            return id;
        }
    }

    Map<String, Object> scaleSet(long id) {
        synchronized (lock) {
            return sets.get(id);
        }
    }

    String activeSession() {
        synchronized (lock) {
            return sessionId;
        }
    }

    long count(String entry) {
        return log.stream().filter(entry::equals).count();
    }

    @Override
    public MockResponse dispatch(RecordedRequest r) throws InterruptedException {
        String path = r.getUrl().encodedPath();
        String method = r.getMethod();
        String route = route(method, path);
        log.add(method + " " + route);
        synchronized (lock) {
            Deque<MockResponse> q = faults.get(method + " " + route);
            if (q != null && !q.isEmpty()) {
                return q.poll();
            }
        }
        return switch (route) {
            case "registration-token" -> registrationToken();
            case "runner-registration" -> runnerRegistration(server);
            case "runnergroups" -> "boards".equals(r.getUrl().queryParameter("groupName"))
                    ? json(200, "{\"count\":1,\"value\":[{\"id\":3,\"name\":\"boards\"}]}")
                    : json(200, "{\"count\":0,\"value\":[]}");
            case "scalesets" -> scaleSets(r);
            case "scaleset" -> scaleSet(r, id(path, 5));
            case "sessions" -> createSession(id(path, 5));
            case "session" -> session(r, path.substring(path.lastIndexOf('/') + 1));
            case "poll" -> poll(r, path.split("/")[2]);
            case "ack" -> ack(r, path.split("/")[2], Long.parseLong(path.substring(path.lastIndexOf('/') + 1)));
            case "acquirejobs" -> json(200, "{\"count\":1,\"value\":" + r.getBody().utf8() + "}");
            case "generatejitconfig" -> json(200, "{\"runner\":{\"id\":77,\"name\":\"" + Json.object(Json.parse(
                    r.getBody().utf8()), "body").get("name") + "\",\"runnerScaleSetId\":" + id(path, 5)
                    + "},\"encodedJITConfig\":\"" + ScaleSetTestSupport.JIT + "\"}");
            default -> json(404, "{\"message\":\"no route " + method + " " + path + "\"}");
        };
    }

    private static String route(String method, String path) {
        if (path.endsWith("/registration-token")) {
            return "registration-token";
        }
        if (path.endsWith("/runner-registration")) {
            return "runner-registration";
        }
        if (path.startsWith("/broker/")) {
            return path.split("/").length == 4 ? "poll" : "ack";
        }
        String[] p = path.split("/");   // "", tenant, 123, _apis, runtime, runnerscalesets, {id}, ...
        if (path.contains("/runnergroups")) {
            return "runnergroups";
        }
        if (path.contains("/runnerscalesets")) {
            if (p.length == 6) {
                return "scalesets";
            }
            if (p.length == 7) {
                return "scaleset";
            }
            if (p.length == 8) {
                return p[7];
            }
            return "session";
        }
        return "unknown";
    }

    private static long id(String path, int index) {
        return Long.parseLong(path.split("/")[index + 1]);
    }

    private MockResponse scaleSets(RecordedRequest r) {
        synchronized (lock) {
            if (r.getMethod().equals("POST")) {
                Map<String, Object> body = Json.object(Json.parse(r.getBody().utf8()), "body");
                String name = (String) body.get("name");
                for (Map<String, Object> s : sets.values()) {
                    if (s.get("name").equals(name)) {
                        return json(400, "{\"typeName\":\"RunnerScaleSetExistsException\",\"message\":\"exists\"}");
                    }
                }
                List<String> labels = new ArrayList<>();
                for (Object l : Json.array(body, "labels")) {
                    labels.add((String) Json.object(l, "label").get("name"));
                }
                long id = createScaleSet(name, ((Number) body.get("runnerGroupId")).longValue(), labels);
                return json(200, Json.write(sets.get(id)));
            }
            String name = r.getUrl().queryParameter("name");
            List<Object> found = new ArrayList<>();
            for (Map<String, Object> s : sets.values()) {
                if (s.get("name").equals(name)) {
                    found.add(s);
                }
            }
            return json(200, "{\"count\":" + found.size() + ",\"value\":" + Json.write(found) + "}");
        }
    }

    private MockResponse scaleSet(RecordedRequest r, long id) {
        synchronized (lock) {
            Map<String, Object> set = sets.get(id);
            if (set == null) {
                return json(404, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetNotFoundException\","
                        + "\"message\":\"no scale set " + id + "\"}");
            }
            if (r.getMethod().equals("DELETE")) {
                sets.remove(id);
                return empty(204);
            }
            return json(200, Json.write(set));
        }
    }

    private MockResponse createSession(long setId) {
        synchronized (lock) {
            if (!sets.containsKey(setId)) {
                return json(404, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetNotFoundException\","
                        + "\"message\":\"no scale set " + setId + "\"}");
            }
            if (foreignSession || sessionId != null) {
                return json(409, "{\"typeName\":\"GitHub.Actions.Runtime.WebApi.RunnerScaleSetSessionConflictException,"
                        + " GitHub.Actions.Runtime.WebApi\",\"message\":\"The actions runner scaleset already has an"
                        + " active session.\"}");
            }
            openSession(setId);
            return json(200, sessionJson());
        }
    }

    private MockResponse session(RecordedRequest r, String id) {
        synchronized (lock) {
            if (!id.equals(sessionId)) {
                return json(404, "{\"typeName\":\"RunnerAdminException\",\"message\":\"runner referenced a session ID"
                        + " that doesn't exist\"}");
            }
            if (r.getMethod().equals("DELETE")) {
                sessionId = null;
                return empty(204);
            }
            token = QUEUE_TOKEN + "-" + (++tokens);
            return json(200, sessionJson());
        }
    }

    private String sessionJson() {
        return "{\"sessionId\":\"" + sessionId + "\",\"ownerName\":\"host-1\",\"runnerScaleSet\":{\"id\":"
                + sessionSetId + "},\"messageQueueUrl\":\"" + server.url("/broker/" + sessionId + "/message")
                + "\",\"messageQueueAccessToken\":\"" + token + "\",\"statistics\":" + statistics(assigned) + "}";
    }

    private MockResponse poll(RecordedRequest r, String session) throws InterruptedException {
        String last = r.getUrl().queryParameter("lastMessageId");
        long lastId = last == null ? 0 : Long.parseLong(last);
        polledWith.add(lastId);
        long deadline = System.nanoTime() + 100_000_000L;
        synchronized (lock) {
            while (true) {
                if (!session.equals(sessionId)) {
                    return json(404, "{\"message\":\"no session\"}");
                }
                if (!("Bearer " + token).equals(r.getHeaders().get("Authorization"))) {
                    return empty(401);
                }
                for (long[] m : queue) {
                    if (m[0] > lastId) {
                        String body = Json.write(bodies.get(m[0]));
                        return json(200, "{\"messageId\":" + m[0] + ",\"messageType\":\"RunnerScaleSetJobMessages\","
                                + "\"body\":" + body + ",\"statistics\":" + statistics(assigned) + "}");
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return empty(202);
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    private MockResponse ack(RecordedRequest r, String session, long messageId) {
        synchronized (lock) {
            if (!("Bearer " + token).equals(r.getHeaders().get("Authorization"))) {
                return empty(401);
            }
            queue.removeIf(m -> m[0] == messageId);
            acked.add(messageId);
            return empty(204);
        }
    }

    static String job(String type, long requestId, String extra) {
        return "{\"messageType\":\"" + type + "\",\"runnerRequestId\":" + requestId + ",\"repositoryName\":\"app\","
                + "\"ownerName\":\"acme\",\"jobId\":\"j" + requestId + "\",\"requestLabels\":[\"qemu\"]"
                + (extra.isEmpty() ? "" : "," + extra) + "}";
    }
}
