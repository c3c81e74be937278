package io.runnerfleet.examples.cli;

import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.runnerfleet.FleetEvent;
import io.runnerfleet.JobRequest;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerStartException;
import io.runnerfleet.RunnerState;
import io.runnerfleet.examples.cli.RunnerFleetCli.FleetCommand;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RateLimit;
import io.runnerfleet.github.RequestStats;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.micrometer.FleetMetrics;
import io.runnerfleet.micrometer.RegistryStats;
import io.runnerfleet.spi.RunnerBackend;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runnerfleet serve}: the {@code .env} fleet in the foreground until stopped, with the HTTP endpoint,
 * the webhook receiver for on-demand pools, metrics, and a graceful stop on SIGTERM or Ctrl-C.
 *
 * <p>Stopping: the receiver closes first (no new work), then pools of ephemeral runners are scaled to zero, so
 * idle runners are deregistered and removed and busy ones finish their job first, within the drain timeout;
 * persistent runners keep running and the next {@code serve} adopts them ({@code RUNNERFLEET_KEEP_PERSISTENT=false}
 * or {@code --remove-on-stop} drains and removes them too). Exit 0 when everything that should go went; 1 when
 * busy runners were still running at the drain timeout (they are left running, never killed). {@code --force}
 * removes every runner at once, killing running jobs.
 */
@Command(name = "serve", description = "Run the fleet in the foreground until stopped: reconciler, autoscaling"
        + " (webhooks for on-demand pools), /healthz, /status and /metrics on 127.0.0.1; SIGTERM drains gracefully.")
final class ServeCommand extends FleetCommand {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.serve");

    @Option(names = "-n", description = "generic runners of a fixed pool (default RUNNER_COUNT, else 1)")
    Integer count;

    @Option(names = "--http-host", description = "the endpoint's address (default RUNNERFLEET_HTTP_HOST, else 127.0.0.1)")
    String httpHost;

    @Option(names = "--http-port", description = "the endpoint's port, 0 for a free one (default RUNNERFLEET_HTTP_PORT, else "
            + ServeSettings.DEFAULT_HTTP_PORT + ")")
    Integer httpPort;

    @Option(names = "--webhook-port", description = "the webhook receiver's port, 0 for a free one (default"
            + " RUNNERFLEET_WEBHOOK_PORT, else " + ServeSettings.DEFAULT_WEBHOOK_PORT + ")")
    Integer webhookPort;

    @Option(names = "--drain-timeout", description = "how long a stop waits for busy jobs, e.g. 10m (default"
            + " RUNNERFLEET_DRAIN_TIMEOUT, else 10m)")
    String drainTimeout;

    @Option(names = "--remove-on-stop", description = "on stop, drain and remove persistent runners too")
    boolean removeOnStop;

    @Option(names = "--force", description = "on stop, remove every runner at once, killing running jobs")
    boolean force;

    /** Counted down by SIGTERM / SIGINT (see {@link RunnerFleetCli#main}) or by tests. */
    final CountDownLatch stopRequested = new CountDownLatch(1);

    @Override
    boolean createsRunners() {
        return true;
    }

    ServeSettings settings(FleetConfig config) {
        Map<String, String> vars = cli.variables();
        if (httpHost != null) {
            vars.put("RUNNERFLEET_HTTP_HOST", httpHost);
        }
        if (httpPort != null) {
            vars.put("RUNNERFLEET_HTTP_PORT", httpPort.toString());
        }
        if (webhookPort != null) {
            vars.put("RUNNERFLEET_WEBHOOK_PORT", webhookPort.toString());
        }
        if (drainTimeout != null) {
            vars.put("RUNNERFLEET_DRAIN_TIMEOUT", drainTimeout);
        }
        ServeSettings s = ServeSettings.from(vars, config.settings().boards().size(), count);
        return removeOnStop ? new ServeSettings(s.pools(), s.httpHost(), s.httpPort(), s.webhookHost(), s.webhookPort(),
                s.webhookSecret(), s.drainTimeout(), false) : s;
    }

    @Override
    public Integer call() {
        FleetConfig config = cli.config(true);
        // Every setting is checked before a token is minted or anything is created.
        ServeSettings serve = settings(config);
        config.requireDevices();
        if (RunnerFleetCli.signals) {
            Signals.install(stopRequested::countDown);
        }
        try (RunnerBackend backend = config.backend(cli.backends)) {
            return serve(config, serve, backend);
        }
    }

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        throw new UnsupportedOperationException();
    }

    private int serve(FleetConfig config, ServeSettings serve, RunnerBackend rawBackend) {
        GitHubRegistry gitHub = config.registry(cli.url(config));
        GitHubClient client = gitHub.client();
        FleetMetrics metrics = FleetMetrics.builder().registryStats(() -> stats(client)).build();
        ServeHealth health = new ServeHealth(Clock.systemUTC());
        RunnerFleet.Builder b = RunnerFleet.builder().name(config.fleetName())
                .registry(health.track(metrics.instrument(gitHub))).backend(health.track(metrics.instrument(rawBackend)))
                .pollInterval(Duration.ofMillis(500)).reconcileInterval(Duration.ofSeconds(15))
                .registrationTimeout(cli.patience).startTimeout(cli.patience).drainTimeout(serve.drainTimeout())
                .listener(health).listener(ServeCommand::log);
        config.pools(serve).forEach(b::pool);
        RunnerFleet fleet = b.build();
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        metrics.watch(fleet).bindTo(prometheus);
        ServeEndpoint endpoint = null;
        WebhookReceiver hooks = null;
        try {
            endpoint = ServeEndpoint.start(serve.httpHost(), serve.httpPort(), fleet, health, prometheus::scrape, hostName());
            LOG.info("fleet {}: pools {}; endpoint {} (healthz, status, metrics)", fleet.name(), serve.pools(), endpoint.uri());
            if (serve.webhookSecret().isPresent()) {
                hooks = WebhookReceiver.builder(serve.webhookSecret().get()).host(serve.webhookHost()).port(serve.webhookPort())
                        .onQueued(event -> queued(fleet, metrics, event.jobRequest(), event.job().id(), event.job().createdAt()))
                        .build().start();
                LOG.info("fleet {}: webhook receiver {} (workflow_job, secret from RUNNERFLEET_WEBHOOK_SECRET)",
                        fleet.name(), hooks.uri());
            }
            // A stop asked for while runners are still starting is not held up by the start timeout.
            java.util.concurrent.CompletableFuture<RunnerFleet> started = fleet.startAsync();
            while (!started.isDone() && stopRequested.getCount() > 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
            if (started.isDone()) {
                try {
                    started.join();
                } catch (java.util.concurrent.CompletionException e) {
                    if (!(e.getCause() instanceof RunnerStartException)) {
                        throw e.getCause() instanceof RuntimeException re ? re : e;
                    }
                    // The reconciler keeps retrying them; /healthz names them meanwhile.
                    LOG.warn("fleet {}: not every runner started: {}", fleet.name(), e.getCause().getMessage());
                }
                health.phase(ServeHealth.Phase.SERVING);
                LOG.info("fleet {}: serving; {}", fleet.name(), summary(fleet));
            }
            awaitStop();
            LOG.info("fleet {}: stopping (drain timeout {}{})", fleet.name(), serve.drainTimeout(),
                    force ? ", --force: running jobs are killed" : "");
            health.phase(ServeHealth.Phase.DRAINING);
            if (hooks != null) {
                hooks.close();
                hooks = null;
            }
            return drain(fleet, serve);
        } finally {
            if (hooks != null) {
                hooks.close();
            }
            fleet.close();
            if (endpoint != null) {
                endpoint.close();
            }
            metrics.close();
            prometheus.close();
            gitHub.close();
        }
    }

    private void awaitStop() {
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A queued job: grow the pool that takes it, and start its queue-time clock. */
    private static void queued(RunnerFleet fleet, FleetMetrics metrics, JobRequest job, long id, Instant createdAt) {
        Instant queuedAt = createdAt != null ? createdAt : Instant.now();
        java.util.Optional<String> grown = fleet.demand(job);
        if (grown.isPresent()) {
            metrics.jobQueued(grown.get(), queuedAt);
            LOG.info("job {} {} queued: pool {} grows", id, job.labels(), grown.get());
        } else if (metrics.jobQueued(job, queuedAt).isPresent()) {
            LOG.info("job {} {} queued: a runner of its full pool takes it when free", id, job.labels());
        } else {
            LOG.info("job {} {} queued: no pool can take it: {}", id, job.labels(), fleet.match(job).explain());
        }
    }

    /**
     * The stop: ephemeral pools drained to zero (busy jobs finish first), persistent runners kept unless asked;
     * 0 when done within the drain timeout.
     */
    private int drain(RunnerFleet fleet, ServeSettings serve) {
        if (force) {
            fleet.shutdownNow();
            boolean done = fleet.awaitTermination(serve.drainTimeout().plus(Duration.ofMinutes(1)));
            LOG.info("fleet {}: {}", fleet.name(), done ? "every runner removed (--force)" : "removal did not finish in time");
            return done ? ExitCode.OK : ExitCode.FAILURE;
        }
        if (!serve.keepPersistent()) {
            fleet.shutdown();
            boolean done = fleet.awaitTermination(serve.drainTimeout().plus(Duration.ofMinutes(1)));
            LOG.info("fleet {}: {}", fleet.name(), done ? "every runner drained and removed" : "draining did not finish in time");
            return done ? ExitCode.OK : ExitCode.FAILURE;
        }
        Set<String> ephemeral = fleet.pools().stream().filter(p -> p.template().ephemeral()).map(p -> p.name())
                .collect(Collectors.toSet());
        ephemeral.forEach(p -> fleet.scale(p, 0));
        long deadline = System.nanoTime() + serve.drainTimeout().toNanos();
        List<Runner> left = remaining(fleet, ephemeral);
        while (!left.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            left = remaining(fleet, ephemeral);
        }
        long kept = fleet.runners().stream().filter(r -> !ephemeral.contains(r.pool()) && live(r)).count();
        if (!left.isEmpty()) {
            LOG.warn("fleet {}: after the drain timeout {} these runners are still busy and are left running (the next"
                    + " serve adopts them; --force kills them): {}", fleet.name(), serve.drainTimeout(),
                    left.stream().map(Runner::name).collect(Collectors.joining(", ")));
            return ExitCode.FAILURE;
        }
        LOG.info("fleet {}: ephemeral runners drained and deregistered; {} persistent runner(s) left running for the next serve",
                fleet.name(), kept);
        return ExitCode.OK;
    }

    private static List<Runner> remaining(RunnerFleet fleet, Set<String> pools) {
        return fleet.runners().stream().filter(r -> pools.contains(r.pool()) && live(r)).toList();
    }

    private static boolean live(Runner r) {
        return !(r.state() instanceof RunnerState.Removed);
    }

    private static String summary(RunnerFleet fleet) {
        return fleet.status().toString();
    }

    private static RegistryStats stats(GitHubClient client) {
        RequestStats s = client.stats();
        return new RegistryStats(s.requests(), s.notModified(), s.retries(), client.rateLimit().map(RateLimit::remaining).orElse(-1L));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** Fleet milestones on standard output: one line per state change, scaling, removal and warning. */
    static void log(FleetEvent event) {
        if (event instanceof FleetEvent.StateChanged c) {
            LOG.info("{}: {} -> {} ({})", c.runner(), c.from().name(), c.to().name(), c.cause());
        } else if (event instanceof FleetEvent.PoolScaled s) {
            LOG.info("pool {}: {} -> {} runners ({})", s.pool(), s.from(), s.to(), s.reason());
        } else if (event instanceof FleetEvent.RunnerRemoved r) {
            LOG.info("{}: removed ({})", r.runner(), r.reason());
        } else if (event instanceof FleetEvent.Warning w) {
            LOG.warn("{}: {}", w.subject(), w.message());
        }
    }

    /** SIGTERM and SIGINT request a graceful stop instead of ending the JVM at once. */
    static final class Signals {
        private Signals() {
        }

        @SuppressWarnings("restriction")
        static void install(Runnable stop) {
            for (String name : List.of("TERM", "INT")) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                        LOG.info("SIG{} received: stopping gracefully (kill -9 leaves runners to be adopted)", s.getName());
                        stop.run();
                    });
                } catch (IllegalArgumentException e) {
                    LOG.warn("cannot handle SIG{} here ({}); stop with SIGKILL leaves runners to be adopted", name, e.getMessage());
                }
            }
        }
    }
}
