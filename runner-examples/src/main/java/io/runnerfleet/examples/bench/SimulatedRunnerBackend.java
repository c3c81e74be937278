package io.runnerfleet.examples.bench;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A benchmark stand-in backend: no containers, each "instance" is a few lines of Java that speak the
 * fake runner protocol of {@link io.runnerfleet.testkit.FakeGitHub} ({@code /_fake/configure}, then
 * {@code connect}) so the runner shows up registered and online at the fake, exactly as the fake
 * runner's {@code config.sh && run.sh} would make it, but without a process or a long poll.
 *
 * <p>Only for the GitHub-cost and memory benchmarks, where Docker would be too slow for 500 runners
 * and would distort the heap figure. Build the fake with a long {@code offlineAfter}: the simulated
 * runner connects once and never polls, so it stays online only as long as the fake allows.
 * Registration-token mode only: a JIT spec is refused with an {@link InvalidSpecException}.
 */
final class SimulatedRunnerBackend implements RunnerBackend {
    private static final String TOKEN = "ACTIONS_RUNNER_INPUT_TOKEN";

    private record Instance(InstanceInfo info, LaunchSpec spec) {
    }

    private final String fakeBase;
    private final Map<String, Instance> instances = new ConcurrentHashMap<>();
    private final Map<String, String[]> sessions = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    /** @param fakeBase the fake GitHub's base URL ({@code http://127.0.0.1:port}) */
    SimulatedRunnerBackend(String fakeBase) {
        this.fakeBase = fakeBase.endsWith("/") ? fakeBase.substring(0, fakeBase.length() - 1) : fakeBase;
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        return image.reference();
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        if (!spec.secrets().containsKey(TOKEN) || !spec.command().configures()) {
            throw new InvalidSpecException("runner " + spec.runnerName() + ": the simulated benchmark backend only"
                    + " supports registration-token mode (config.sh with " + TOKEN + "); use a non-JIT pool");
        }
        String id = "sim-" + ids.incrementAndGet();
        Map<String, String> labels = Map.of("io.runnerfleet.fleet", spec.fleet(), "io.runnerfleet.pool", spec.pool(),
                "io.runnerfleet.runner", spec.runnerName());
        InstanceInfo created = new InstanceInfo(id, spec.runnerName(), spec.fleet(), spec.pool(), spec.runnerName(),
                spec.specHash(), InstanceState.CREATED, null, false, null, null, labels);
        instances.put(id, new Instance(created, spec));
        start(id);
        return instances.get(id).info();
    }

    @Override
    public void start(String instanceId) {
        Instance i = instances.get(instanceId);
        if (i == null || i.info().running()) {
            return;
        }
        String[] session = sessions.get(instanceId);
        if (session == null) {
            session = configure(i.spec());
            sessions.put(instanceId, session);
        }
        call("/_fake/runners/" + session[0] + "/connect", session[1]);
        instances.put(instanceId, new Instance(with(i.info(), InstanceState.RUNNING, Instant.now(), null), i.spec()));
    }

    // config.sh's one call: the form the fake runner's script would post, built from the same arguments.
    private String[] configure(LaunchSpec spec) {
        Map<String, String> form = new LinkedHashMap<>();
        List<String> args = spec.command().configureArgs();
        for (int k = 0; k < args.size(); k++) {
            String a = args.get(k).toLowerCase(java.util.Locale.ROOT);
            boolean hasValue = k + 1 < args.size() && !args.get(k + 1).startsWith("--");
            switch (a) {
                case "--url", "--name", "--labels", "--work" -> form.put(a.substring(2), hasValue ? args.get(++k) : "");
                case "--runnergroup" -> form.put("group", hasValue ? args.get(++k) : "");
                case "--replace", "--ephemeral" -> form.put(a.substring(2), "true");
                case "--no-default-labels" -> form.put("nodefault", "true");
                default -> {
                    // options the fake ignores too (--unattended, --disableupdate)
                }
            }
        }
        Secret token = spec.secrets().get(TOKEN);
        StringBuilder body = new StringBuilder("token=").append(enc(token.reveal()));
        form.forEach((k, v) -> body.append('&').append(k).append('=').append(enc(v)));
        Map<String, String> reply = call("/_fake/configure", body.toString());
        String credentials = new String(Base64.getDecoder().decode(reply.get("credentials_file")), StandardCharsets.UTF_8);
        return new String[] {reply.get("id"), credentials};
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private Map<String, String> call(String path, String body) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(fakeBase + path).toURL().openConnection();
            c.setRequestMethod("POST");
            c.setDoOutput(true);
            c.setConnectTimeout(5_000);
            c.setReadTimeout(30_000);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body.getBytes(StandardCharsets.UTF_8));
            }
            String text;
            try (InputStream in = c.getInputStream()) {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            Map<String, String> reply = new LinkedHashMap<>();
            for (String line : text.split("\n")) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    reply.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
            if (!"ok".equals(reply.get("result"))) {
                // the fake's messages never hold the token; the status says what went wrong
                throw new BackendUnavailableException("simulated runner call " + path + " at " + fakeBase + " failed: "
                        + reply.getOrDefault("status", "?") + " " + reply.getOrDefault("message", reply.toString()));
            }
            return reply;
        } catch (IOException e) {
            throw new BackendUnavailableException("simulated runner cannot reach the fake GitHub at " + fakeBase
                    + path + ": " + e.getMessage() + "; is the FakeGitHub started?", e);
        }
    }

    private static InstanceInfo with(InstanceInfo i, InstanceState state, Instant started, Instant finished) {
        return new InstanceInfo(i.id(), i.name(), i.fleet(), i.pool(), i.runnerName(), i.specHash(), state,
                state == InstanceState.EXITED ? Integer.valueOf(0) : null, false,
                started != null ? started : i.startedAt(), finished, i.labels());
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        Instance i = instances.get(instanceId);
        if (i == null || !i.info().running()) {
            return;
        }
        String[] session = sessions.get(instanceId);
        call("/_fake/runners/" + session[0] + "/disconnect", session[1]);
        instances.put(instanceId, new Instance(with(i.info(), InstanceState.EXITED, null, Instant.now()), i.spec()));
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        Instance i = instances.get(instanceId);
        if (i != null && i.info().running()) {
            try {
                stop(instanceId, Duration.ZERO);
            } catch (BackendUnavailableException e) {
                // a registration deleted first answers "deleted": nothing left to disconnect
            }
        }
        instances.remove(instanceId);
        sessions.remove(instanceId);
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        List<InstanceInfo> out = new ArrayList<>();
        for (Instance i : instances.values()) {
            if (i.info().fleet().equals(fleet)) {
                out.add(i.info());
            }
        }
        return out;
    }

    @Override
    public Optional<InstanceInfo> instance(String fleet, String idOrName) {
        return instances(fleet).stream().filter(i -> i.id().equals(idOrName) || i.name().equals(idOrName)).findFirst();
    }

    /** How many instances exist, in any state. */
    int size() {
        return instances.size();
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        return new LogStream() {
            @Override
            public Stream<String> lines() {
                return Stream.empty();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        return () -> {
        };
    }

    @Override
    public void close() {
        instances.clear();
        sessions.clear();
    }

    @Override
    public String toString() {
        return "SimulatedRunnerBackend[" + fakeBase + ", " + instances.size() + " instances]";
    }
}
