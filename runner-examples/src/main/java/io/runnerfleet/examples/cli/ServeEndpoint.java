package io.runnerfleet.examples.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.runnerfleet.FleetStatus;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerJob;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code serve}'s HTTP endpoint on the JDK's server: {@code /healthz} (200 ready, 503 with the reasons
 * otherwise; {@code /healthz/live} 200 while the process answers), {@code /status} (JSON) and {@code /metrics}
 * (Prometheus text format 0.0.4). GET and HEAD only; two daemon threads.
 */
final class ServeEndpoint implements AutoCloseable {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService threads;
    private final String fleet;
    private final Supplier<List<RunnerFleet>> fleets;
    private final List<ServeScaleSet> scaleSets;
    private final ServeHealth health;
    private final Supplier<String> metrics;
    private final String host;

    private ServeEndpoint(HttpServer server, String fleet, Supplier<List<RunnerFleet>> fleets, List<ServeScaleSet> scaleSets,
                          ServeHealth health, Supplier<String> metrics, String host) {
        this.server = server;
        this.fleet = fleet;
        this.fleets = fleets;
        this.scaleSets = List.copyOf(scaleSets);
        this.health = health;
        this.metrics = metrics;
        this.host = host;
        this.threads = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "runnerfleet-serve-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::handle);
    }

    /**
     * Binds and starts answering.
     *
     * @param host the address, normally 127.0.0.1
     * @param port the port, 0 for a free one
     * @param fleet the fleet's name
     * @param fleets the fleets running now: the {@code .env} fleet, and one per scale-set pool once started
     * @param metrics the Prometheus text of a scrape
     */
    static ServeEndpoint start(String host, int port, String fleet, Supplier<List<RunnerFleet>> fleets,
                               List<ServeScaleSet> scaleSets, ServeHealth health, Supplier<String> metrics, String machine) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "): set RUNNERFLEET_HTTP_PORT (or --http-port) to a free port", e);
        }
        ServeEndpoint endpoint = new ServeEndpoint(server, fleet, fleets, scaleSets, health, metrics, machine);
        server.start();
        return endpoint;
    }

    URI uri() {
        InetSocketAddress a = server.getAddress();
        return URI.create("http://" + a.getHostString() + ":" + a.getPort() + "/");
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                send(x, 405, "text/plain; charset=utf-8", "use GET\n");
                return;
            }
            String path = x.getRequestURI().getPath();
            switch (path) {
                case "/healthz" -> {
                    List<String> problems = health.problems(fleets.get());
                    String body = problems.isEmpty() ? "{\"status\":\"ready\"}\n"
                            : "{\"status\":\"not ready\",\"reasons\":" + problems.stream().map(ServeEndpoint::quote)
                            .collect(Collectors.joining(",", "[", "]")) + "}\n";
                    send(x, problems.isEmpty() ? 200 : 503, "application/json", body);
                }
                case "/healthz/live" -> send(x, 200, "application/json", "{\"status\":\"live\"}\n");
                case "/status" -> send(x, 200, "application/json", status());
                case "/metrics" -> send(x, 200, PROMETHEUS_TEXT, metrics.get());
                default -> send(x, 404, "text/plain; charset=utf-8", "not found: try /healthz, /status or /metrics\n");
            }
        } catch (RuntimeException e) {
            send(x, 500, "text/plain; charset=utf-8", "internal error: " + e.getMessage() + "\n");
        }
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        boolean head = x.getRequestMethod().equals("HEAD");
        x.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = x.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /**
     * The fleets as JSON: pools with desired and actual counts, runners with state, host, busy, job and last error, and
     * the scale sets with their session and last statistics.
     */
    String status() {
        List<RunnerFleet> all = fleets.get();
        List<FleetStatus> statuses = all.stream().map(RunnerFleet::status).toList();
        List<String> problems = health.problems(all);
        StringBuilder b = new StringBuilder("{");
        b.append("\"fleet\":").append(quote(fleet)).append(",\"registry\":")
                .append(quote(statuses.isEmpty() ? "" : statuses.get(0).registry()))
                .append(",\"at\":").append(quote(java.time.Instant.now().toString())).append(",\"ready\":").append(problems.isEmpty())
                .append(",\"phase\":").append(quote(health.phase().name().toLowerCase(java.util.Locale.ROOT)))
                .append(",\"pools\":[");
        boolean first = true;
        for (int i = 0; i < all.size(); i++) {
            first = pools(b, all.get(i), statuses.get(i), first);
        }
        b.append("],\"runners\":[");
        first = true;
        for (FleetStatus s : statuses) {
            first = runners(b, s, first);
        }
        b.append("],\"scaleSets\":").append(scaleSets.stream().map(ServeScaleSet::json).collect(Collectors.joining(",", "[", "]")));
        b.append(",\"problems\":").append(problems.stream().map(ServeEndpoint::quote).collect(Collectors.joining(",", "[", "]")));
        return b.append("}\n").toString();
    }

    private boolean pools(StringBuilder b, RunnerFleet fleet, FleetStatus s, boolean first) {
        boolean scaleSet = scaleSets.stream().anyMatch(x -> x.fleetName().equals(s.fleet()));
        for (RunnerPool p : fleet.pools()) {
            String scaling = scaleSet ? "scale-set" : p.scaling() instanceof Scaling.OnDemand ? "on-demand" : "fixed";
            long actual = s.runners().stream().filter(r -> r.pool().equals(p.name())
                    && !(r.state() instanceof io.runnerfleet.RunnerState.Removed)).count();
            b.append(first ? "" : ",").append("{\"name\":").append(quote(p.name())).append(",\"fleet\":").append(quote(s.fleet()))
                    .append(",\"scaling\":").append(quote(scaling))
                    .append(",\"min\":").append(p.scaling().min()).append(",\"max\":").append(p.scaling().max())
                    .append(",\"ephemeral\":").append(p.template().ephemeral())
                    .append(",\"desired\":").append(s.desired().getOrDefault(p.name(), 0))
                    .append(",\"actual\":").append(actual).append('}');
            first = false;
        }
        return first;
    }

    private boolean runners(StringBuilder b, FleetStatus s, boolean first) {
        for (Runner r : s.runners()) {
            String error = health.lastError(r.name());
            b.append(first ? "" : ",").append("{\"name\":").append(quote(r.name())).append(",\"pool\":").append(quote(r.pool()))
                    .append(",\"state\":").append(quote(r.state().name()))
                    .append(",\"instance\":").append(r.instanceId() == null ? "null" : quote(r.shortInstanceId()))
                    .append(",\"instanceState\":").append(quote(r.instanceState()))
                    .append(",\"host\":").append(quote(host))
                    .append(",\"github\":").append(quote(r.githubStatus()))
                    .append(",\"busy\":").append(r.busy())
                    .append(",\"job\":").append(job(r.job()))
                    .append(",\"lastError\":").append(error == null ? "null" : quote(error)).append('}');
            first = false;
        }
        return first;
    }

    // Known once a webhook (in_progress) or a scale set (JobStarted) reported it; null otherwise.
    static String job(RunnerJob job) {
        if (job == null) {
            return "null";
        }
        return "{\"id\":" + quote(job.id()) + ",\"name\":" + quote(job.name()) + ",\"repository\":"
                + quote(job.repository()) + ",\"runId\":" + job.runId() + ",\"startedAt\":"
                + (job.startedAt() == null ? "null" : quote(job.startedAt().toString())) + "}";
    }

        static String quote(String s) {
        return Json.quote(s);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
