package io.runnerfleet.github;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The tokens a runner needs to register or deregister in one scope: registration and remove tokens
 * for {@code config.sh}, and just-in-time configurations for {@code run.sh --jitconfig}.
 *
 * <pre>{@code
 * TokenApi tokens = github.tokens(RunnerScope.organization("acme"));
 * RegistrationToken t = tokens.registrationToken();                  // valid one hour
 * JitConfig jit = tokens.jitConfig(new JitRequest("acme-qemu-1", LabelSet.of("intel"), 1, "_work"));
 * }</pre>
 *
 * <p>Tokens and configs are {@link Secret}s and never print. A just-in-time request is never retried:
 * if its answer is lost the runner may exist, and only the caller can decide to look it up; a name
 * that exists already raises {@link RunnerNameConflictException} naming it. Obtain it from
 * {@link GitHubClient#tokens(RunnerScope)}; thread-safe.
 */
public final class TokenApi {
    private final GitHubHttp http;
    private final RunnerScope scope;

    TokenApi(GitHubHttp http, RunnerScope scope) {
        this.http = http;
        this.scope = scope;
    }

    /** The scope these tokens are for. */
    public RunnerScope scope() {
        return scope;
    }

    /** A registration token ({@code POST .../actions/runners/registration-token}). */
    public RegistrationToken registrationToken() {
        return token("registration-token", "create a registration token");
    }

    /** A remove token for {@code config.sh remove} ({@code POST .../actions/runners/remove-token}). */
    public RegistrationToken removeToken() {
        return token("remove-token", "create a remove token");
    }

    private RegistrationToken token(String path, String op) {
        GitHubHttp.Reply reply = http.send(new GitHubHttp.Call("POST", http.url(runners(path)), null, op,
                scope.toString(), GitHubHttp.Retrying.UNSENT_ONLY, null));
        return http.read(reply, op, scope.toString(),
                o -> new RegistrationToken(Secret.of(Json.string(o, "token")), Json.instant(o, "expires_at")));
    }

    /**
     * A just-in-time configuration for one runner ({@code POST .../actions/runners/generate-jitconfig}).
     *
     * @throws RunnerNameConflictException when a runner with this name exists already (409)
     * @throws GitHubApiException for other refusals, e.g. {@link GitHubApiException.NotFound} for an unknown group
     */
    public JitConfig jitConfig(JitRequest request) {
        Objects.requireNonNull(request, "request");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", request.name());
        body.put("runner_group_id", request.runnerGroupId());
        List<String> labels = new ArrayList<>();
        request.labels().forEach(labels::add);
        body.put("labels", labels);
        body.put("work_folder", request.workFolder());
        String op = "generate a just-in-time config for runner '" + request.name() + "'";
        GitHubHttp.Reply reply;
        try {
            reply = http.send(new GitHubHttp.Call("POST", http.url(runners("generate-jitconfig")), body, op,
                    scope.toString(), GitHubHttp.Retrying.NEVER, null));
        } catch (GitHubApiException.Conflict e) {
            RunnerNameConflictException conflict = new RunnerNameConflictException(request.name(),
                    "a runner named '" + request.name() + "' already exists in " + scope
                            + "; delete it first or choose another name (" + e.getMessage() + ")");
            conflict.initCause(e);
            throw conflict;
        }
        return http.read(reply, op, scope.toString(), o -> {
            Map<String, Object> runner = Json.object(o.get("runner"), "runner");
            return new JitConfig(Json.integer(runner, "id"), Json.string(runner, "name"),
                    Secret.of(Json.string(o, "encoded_jit_config")));
        });
    }

    private List<String> runners(String last) {
        List<String> s = new ArrayList<>(scope.segments());
        s.add("actions");
        s.add("runners");
        s.add(last);
        return s;
    }

    /** {@code TokenApi[organization acme]}. */
    @Override
    public String toString() {
        return "TokenApi[" + scope + "]";
    }
}
