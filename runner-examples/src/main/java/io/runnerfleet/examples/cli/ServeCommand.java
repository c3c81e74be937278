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
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerStartException;
import io.runnerfleet.RunnerState;
import io.runnerfleet.examples.cli.RunnerFleetCli.FleetCommand;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RateLimit;
import io.runnerfleet.github.RequestStats;
import io.runnerfleet.github.WebhookReceiver;
import io.runnerfleet.github.scaleset.ScaleSetClient;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.micrometer.FleetMetrics;
import io.runnerfleet.micrometer.RegistryStats;
import io.runnerfleet.spi.RunnerBackend;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code runnerfleet serve}: the {@code .env} fleet in the foreground until stopped, with the HTTP endpoint,
 * the webhook receiver for on-demand pools, a runner scale set for each scale-set pool, metrics, and a graceful
 * stop on SIGTERM or Ctrl-C.
 *
 * <p>A pool driven by a scale set runs in a fleet of its own, {@code <fleet>-<pool>} (a fleet's registry serves
 * all its pools, and a scale set's registry hands out its own JIT configs only); see {@link ServeScaleSet}.
 *
 * <p>Stopping: the receiver closes and the scale sets' sessions are deleted first (no new work), then pools of ephemeral runners are scaled to zero, so
 * idle runners are deregistered and removed and busy ones finish their job first, within the drain timeout;
 * persistent runners keep running and the next {@code serve} adopts them ({@code RUNNERFLEET_KEEP_PERSISTENT=false}
 * or {@code --remove-on-stop} drains and removes them too). Exit 0 when everything that should go went; 1 when
 * busy runners were still running at the drain timeout (they are left running, never killed). {@code --force}
 * removes every runner at once, killing running jobs.
 */
@Command(name = "serve", description = "Run the fleet in the foreground until stopped: reconciler, autoscaling"
        + " (webhooks for on-demand pools, runner scale sets for scale-set pools), /healthz, /status and /metrics on 127.0.0.1; SIGTERM drains gracefully.")
final class ServeCommand extends FleetCommand {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.serve");

    @Option(names = "-n", description = "generic runners of a fixed pool (default RUNNER_COUNT, else 1)")
    Integer count;

    @Mixin
    ServeOptions options = new ServeOptions();

    /** Counted down by SIGTERM / SIGINT (see {@link RunnerFleetCli#main}) or by tests. */
    final CountDownLatch stopRequested = new CountDownLatch(1);

    @Override
    boolean createsRunners() {
        return true;
    }

    ServeSettings settings(FleetConfig config) {
        Map<String, String> vars = options.over(cli.variables());
        ServeSettings s = ServeSettings.from(vars, config.settings().boards().size(), count);
        return options.removeOnStop ? s.removingPersistent() : s;
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
        ServeHealth health = new ServeHealth(Clock.systemUTC());
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new JvmMemoryMetrics().bindTo(prometheus);
        new JvmThreadMetrics().bindTo(prometheus);
        new ProcessorMetrics().bindTo(prometheus);
        new UptimeMetrics().bindTo(prometheus);
        List<RunnerPool.Builder> pools = config.pools(serve);
        List<String> names = List.copyOf(serve.pools().keySet());
        List<String> scaleSetPools = serve.scaleSetPools();
        FleetMetrics metrics = FleetMetrics.builder().registryStats(() -> stats(client)).build();
        RunnerFleet fleet = null;
        if (scaleSetPools.size() < names.size()) {
            RunnerFleet.Builder b = fleetBuilder(serve, health).name(config.fleetName())
                    .registry(health.track(metrics.instrument(gitHub))).backend(health.track(metrics.instrument(rawBackend)));
            for (int i = 0; i < names.size(); i++) {
                if (!scaleSetPools.contains(names.get(i))) {
                    b.pool(pools.get(i));
                }
            }
            fleet = b.build();
            metrics.watch(fleet).bindTo(prometheus);
        }
        ScaleSetClient scaleSetClient = scaleSetPools.isEmpty() ? null
                : ScaleSetClient.builder().github(client, config.scope()).build();
        List<ServeScaleSet> scaleSets = new ArrayList<>();
        for (String pool : scaleSetPools) {
            scaleSets.add(scaleSet(config, serve, pool, pools.get(names.indexOf(pool)), scaleSetClient, rawBackend, health,
                    prometheus));
        }
        health.scaleSets(scaleSets);
        RunnerFleet main = fleet;
        java.util.function.Supplier<List<RunnerFleet>> fleets = () -> {
            List<RunnerFleet> all = new ArrayList<>();
            if (main != null) {
                all.add(main);
            }
            scaleSets.forEach(s -> s.fleet().ifPresent(all::add));
            return all;
        };
        ServeEndpoint endpoint = null;
        WebhookReceiver hooks = null;
        try {
            endpoint = ServeEndpoint.start(serve.httpHost(), serve.httpPort(), config.fleetName(), fleets, scaleSets, health,
                    prometheus::scrape, hostName());
            LOG.info("fleet {}: pools {}; endpoint {} (healthz, status, metrics)", config.fleetName(), serve.pools(),
                    endpoint.uri());
            if (serve.webhookSecret().isPresent() && main != null) {
                hooks = WebhookReceiver.builder(serve.webhookSecret().get()).host(serve.webhookHost()).port(serve.webhookPort())
                        .onQueued(event -> queued(main, metrics, event.jobRequest(), event.job().id(), event.job().createdAt()))
                        .runningJobs(main)   // each runner's job in /status, job durations in /metrics
                        .build().start();
                LOG.info("fleet {}: webhook receiver {} (workflow_job, secret from RUNNERFLEET_WEBHOOK_SECRET)",
                        main.name(), hooks.uri());
            }
            scaleSets.forEach(ServeScaleSet::start);
            if (main == null || awaitStarted(main)) {
                health.phase(ServeHealth.Phase.SERVING);
                LOG.info("fleet {}: serving; {}", config.fleetName(), main == null ? scaleSets : summary(main));
            }
            awaitStop();
            LOG.info("fleet {}: stopping (drain timeout {}{})", config.fleetName(), serve.drainTimeout(),
                    options.force ? ", --force: running jobs are killed" : "");
            health.phase(ServeHealth.Phase.DRAINING);
            if (hooks != null) {
                hooks.close();
                hooks = null;
            }
            // Sessions first: GitHub assigns no job to a scale set nobody listens to.
            List<RunnerFleet> draining = new ArrayList<>();
            if (main != null) {
                draining.add(main);
            }
            scaleSets.forEach(s -> s.stop().ifPresent(draining::add));
            return drain(draining, serve);
        } finally {
            if (hooks != null) {
                hooks.close();
            }
            scaleSets.forEach(s -> {
                s.stop();
                s.close();
            });
            if (fleet != null) {
                fleet.close();
            }
            if (endpoint != null) {
                endpoint.close();
            }
            metrics.close();
            prometheus.close();
            if (scaleSetClient != null) {
                scaleSetClient.close();
            }
            gitHub.close();
        }
    }

    /** What every fleet of this serve shares: intervals, timeouts and listeners. */
    private RunnerFleet.Builder fleetBuilder(ServeSettings serve, ServeHealth health) {
        return RunnerFleet.builder().pollInterval(Duration.ofMillis(500)).reconcileInterval(Duration.ofSeconds(15))
                .registrationTimeout(cli.patience).startTimeout(cli.patience).drainTimeout(serve.drainTimeout())
                .listener(health).listener(ServeCommand::log);
    }

    private ServeScaleSet scaleSet(FleetConfig config, ServeSettings serve, String pool, RunnerPool.Builder builder,
                                   ScaleSetClient client, RunnerBackend backend, ServeHealth health,
                                   PrometheusMeterRegistry prometheus) {
        ServeSettings.ScaleSetPool set = serve.pools().get(pool).scaleSet().orElseThrow();
        ScaleSetSpec spec = ScaleSetSpec.named(set.name()).labels(config.labels(pool))
                .runnerGroup(config.settings().runnerGroup());
        String name = ServeScaleSet.fleetName(config.fleetName(), pool);
        ServeScaleSet.Fleets fleets = (fleetName, registry, instrumented, p) -> fleetBuilder(serve, health).name(fleetName)
                .registry(health.track(registry)).backend(health.track(instrumented)).pool(p).build();
        return new ServeScaleSet(pool, name, spec, client, serve.stateFile(config.fleetName(), pool), builder, backend,
                fleets, prometheus, Clock.systemUTC(), b -> b);
    }

    /** Waits for the fleet's runners to start, or for a stop; whether it started (some runners may have failed). */
    private boolean awaitStarted(RunnerFleet fleet) {
        // A stop asked for while runners are still starting is not held up by the start timeout.
        java.util.concurrent.CompletableFuture<RunnerFleet> started = fleet.startAsync();
        while (!started.isDone() && stopRequested.getCount() > 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        if (!started.isDone()) {
            return false;
        }
        try {
            started.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (!(e.getCause() instanceof RunnerStartException)) {
                throw e.getCause() instanceof RuntimeException re ? re : e;
            }
            // The reconciler keeps retrying them; /healthz names them meanwhile.
            LOG.warn("fleet {}: not every runner started: {}", fleet.name(), e.getCause().getMessage());
        }
        return true;
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
    private int drain(List<RunnerFleet> fleets, ServeSettings serve) {
        Duration limit = serve.drainTimeout().plus(Duration.ofMinutes(1));
        if (options.force || !serve.keepPersistent()) {
            boolean force = options.force;
            fleets.forEach(force ? RunnerFleet::shutdownNow : RunnerFleet::shutdown);
            long deadline = System.nanoTime() + limit.toNanos();
            boolean done = true;
            for (RunnerFleet f : fleets) {
                done &= f.awaitTermination(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            LOG.info("fleet(s) {}: {}", fleets.stream().map(RunnerFleet::name).toList(), !done
                    ? (force ? "removal" : "draining") + " did not finish in time"
                    : force ? "every runner removed (--force)" : "every runner drained and removed");
            return done ? ExitCode.OK : ExitCode.FAILURE;
        }
        for (RunnerFleet f : fleets) {
            f.pools().stream().filter(p -> p.template().ephemeral()).forEach(p -> f.scale(p.name(), 0));
        }
        long deadline = System.nanoTime() + serve.drainTimeout().toNanos();
        List<Runner> left = remaining(fleets);
        while (!left.isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(250));
            left = remaining(fleets);
        }
        long kept = fleets.stream().flatMap(f -> f.runners().stream()).filter(r -> !ephemeral(fleets, r) && live(r)).count();
        String names = fleets.stream().map(RunnerFleet::name).collect(Collectors.joining(", "));
        if (!left.isEmpty()) {
            LOG.warn("fleet {}: after the drain timeout {} these runners are still busy and are left running (the next"
                    + " serve adopts them; --force kills them): {}", names, serve.drainTimeout(),
                    left.stream().map(Runner::name).collect(Collectors.joining(", ")));
            return ExitCode.FAILURE;
        }
        LOG.info("fleet {}: ephemeral runners drained and deregistered; {} persistent runner(s) left running for the next serve",
                names, kept);
        return ExitCode.OK;
    }

    private static boolean ephemeral(List<RunnerFleet> fleets, Runner r) {
        return fleets.stream().flatMap(f -> f.pools().stream())
                .anyMatch(p -> p.name().equals(r.pool()) && p.template().ephemeral());
    }

    private static List<Runner> remaining(List<RunnerFleet> fleets) {
        return fleets.stream().flatMap(f -> f.runners().stream()).filter(r -> ephemeral(fleets, r) && live(r)).toList();
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
