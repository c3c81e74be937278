package io.runnerfleet.testkit.internal;

import static io.runnerfleet.testkit.internal.ServiceError.badRequest;
import static io.runnerfleet.testkit.internal.ServiceError.taskType;

import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Label;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.ScaleSetModel.ScaleSet;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runners (agents) of {@link ScaleSets}: which set each runner was made for, their JIT configs and
 * the agents calls of the Actions service. Guarded by the {@link Engine}'s monitor like the rest.
 */
final class ScaleSetAgents {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Engine e;
    private final Map<Long, ScaleSet> runnerSets = new HashMap<>();

    ScaleSetAgents(Engine engine) {
        this.e = engine;
    }

    /** The scale set runner {@code r} was made for, or null for a runner registered the classic way. */
    ScaleSet setOf(Runner r) {
        return runnerSets.get(r.id);
    }

    /** Unregisters a scale-set runner. */
    void unregister(Runner r) {
        e.removeRunner(r);
        runnerSets.remove(r.id);
    }

    /** A runner of set {@code s} and the JIT config it starts with. */
    Map<String, Object> generateJitConfig(ScaleSet s, Map<String, Object> body) {
        Scope scope = s.scope;
        Object name = body.get("name");
        if (!(name instanceof String n) || !n.trim().matches("[A-Za-z0-9._-]{1,64}")) {
            throw badRequest("\"name\" must be 1 to 64 letters, digits, '.', '_' or '-', got " + Json.write(name));
        }
        Object work = body.get("workFolder");
        if (work != null && !(work instanceof String)) {
            throw badRequest("\"workFolder\" must be a string, got " + Json.write(work));
        }
        String runnerName = ((String) name).trim();
        if (e.runnerByName(scope, runnerName) != null) {
            throw new ServiceError(409, taskType("AgentExistsException"), "A runner named " + runnerName
                    + " already exists in " + scope.fullName() + ": delete it or pick another name.");
        }
        Runner r = e.createRunner(scope, runnerName, s.labels, s.groupId, true);
        r.workFolder = work == null || ((String) work).isBlank() ? "_work" : (String) work;
        runnerSets.put(r.id, s);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("runner", agentJson(r));
        m.put("encodedJITConfig", encodeJitConfig(r));
        return m;
    }

    /**
     * The runner's JIT config: base64 of a JSON object mapping each file the runner writes
     * ({@code .runner}, {@code .credentials}, {@code .credentials_rsaparams}) to its base64 content. The
     * first two are the fake runner's own files, the key pair a stand-in (the fake runner signs nothing).
     */
    private String encodeJitConfig(Runner r) {
        String scopeUrl = e.base() + r.scope.path();
        Map<String, Object> files = new LinkedHashMap<>();
        files.put(".runner", b64(RunnerService.runnerFile(r, scopeUrl)));
        files.put(".credentials", b64(RunnerService.credentialsFile(r)));
        StringBuilder rsa = new StringBuilder("{\n");
        String[] keys = {"d", "dp", "dq", "exponent", "inverseQ", "modulus", "p", "q"};
        for (int i = 0; i < keys.length; i++) {
            byte[] bytes = new byte[keys[i].equals("exponent") ? 3 : keys[i].equals("modulus") || keys[i].equals("d") ? 256 : 128];
            RANDOM.nextBytes(bytes);
            rsa.append("  \"").append(keys[i]).append("\": \"").append(Base64.getEncoder().encodeToString(bytes))
                    .append(i + 1 < keys.length ? "\",\n" : "\"\n");
        }
        files.put(".credentials_rsaparams", b64(rsa.append("}\n").toString()));
        return b64(Json.write(files));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    Map<String, Object> agents(Scope scope, String agentName) {
        List<Object> value = new ArrayList<>();
        for (Runner r : e.runnersOf(scope)) {
            if (agentName == null || r.name.equalsIgnoreCase(agentName)) {
                value.add(agentJson(r));
            }
        }
        return ScaleSets.list(value);
    }

    Map<String, Object> agent(Scope scope, long id) {
        Runner r = e.runners.get(id);
        if (r == null || r.scope != scope) {
            throw new ServiceError(404, taskType("AgentNotFoundException"), "No runner with id " + id + " exists in "
                    + scope.fullName() + ".");
        }
        return agentJson(r);
    }

    /** DELETE agents/{id}: 204 also when the runner does not exist; a busy runner stays. */
    void removeAgent(Scope scope, long id) {
        Runner r = e.runners.get(id);
        if (r == null || r.scope != scope) {
            return;
        }
        if (r.job != null) {
            throw new ServiceError(400, taskType("JobStillRunningException"), "Runner " + r.name
                    + " is still running a job; remove it once the job finished.");
        }
        unregister(r);
    }

    private Map<String, Object> agentJson(Runner r) {
        ScaleSet s = runnerSets.get(r.id);
        Group g = r.org().groups.get(r.groupId);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id);
        m.put("name", r.name);
        m.put("runnerScaleSetId", s == null ? 0L : s.id);
        m.put("runnerGroupId", r.groupId);
        m.put("runnerGroupName", g == null ? "Default" : g.name);
        m.put("os", r.os);
        m.put("version", r.version == null ? "" : r.version);
        m.put("enabled", true);
        m.put("ephemeral", r.ephemeral);
        m.put("disableUpdate", s != null && s.disableUpdate);
        m.put("status", e.status(r));
        m.put("busy", r.job != null);
        m.put("provisioningState", "Provisioned");
        List<Object> labels = new ArrayList<>();
        for (Label l : r.labels) {
            Map<String, Object> lm = new LinkedHashMap<>();
            lm.put("name", l.name());
            lm.put("type", l.readOnly() ? "system" : "user");
            labels.add(lm);
        }
        m.put("labels", labels);
        return m;
    }

    List<Runner> runnersOf(ScaleSet s) {
        List<Runner> out = new ArrayList<>();
        for (Runner r : e.runners.values()) {
            if (runnerSets.get(r.id) == s) {
                out.add(r);
            }
        }
        return out;
    }
}
