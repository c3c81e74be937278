package io.runnerfleet.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.SecretSpec;
import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.SwarmNode;
import com.github.dockerjava.api.model.SwarmNodeState;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.docker.internal.SecretHandoff;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A {@link RunnerBackend} on Docker Swarm: one single-replica service per runner, created through a
 * manager node's API, so runners spread over the swarm's nodes.
 *
 * <pre>{@code
 * SwarmBackend swarm = SwarmBackend.builder()
 *     .dockerHost("unix:///var/run/docker.sock")              // a manager node
 *     .constraints("qemu", "node.labels.kvm==true")           // where each pool's runners may go
 *     .build();
 * }</pre>
 *
 * <p>How it maps the contract:
 * <ul>
 *   <li>An instance is a service (its id is the service id) with the ownership labels on the service
 *       and its containers; its state is that of its newest task. The swarm never restarts a task by
 *       itself (restart condition {@code none}): an exit, or a task lost with its node, shows as
 *       {@link InstanceState#EXITED} and the reconciler replaces the runner, and the swarm places the
 *       new service on a node that is up.
 *   <li>{@link #launch} and {@link #start} return once the swarm has started the task (or it has
 *       ended), as a plain engine's start does; a task not running within the start timeout (60 s by
 *       default: no node fits the constraints, say) fails the call, and a launch leaves nothing behind.
 *   <li>{@link #stop} scales the service to 0 replicas and {@link #start} back to 1 with a forced
 *       update (a new task, so a new container: state that is not in a named volume does not survive a
 *       stop). The stop grace is the spec's {@link LaunchSpec#stopGrace()}, fixed at launch.
 *   <li>Secrets travel as one Docker secret per runner, labelled with the ownership labels and
 *       mounted as a file the container's shell reads at start (see {@link ServicePlan}); the value is
 *       never in {@code docker service inspect}, the task's environment or the logs. Swarm refuses to
 *       delete a secret a service still uses, so it is deleted with the service in {@link #remove} (an
 *       ephemeral runner's after its one job); {@link #removeVolumes} also sweeps secrets whose service
 *       is gone. Sharp edge: while the service lives, the file stays mounted in its container, where a
 *       job can read it: prefer JIT configs (ephemeral pools), whose hand-over holds only the files
 *       the runner keeps anyway, to registration tokens, which stay valid for an hour.
 *   <li>Events come from polling the swarm's tasks (every {@link Builder#pollInterval}, default 1 s):
 *       container events are per node and a manager does not relay them.
 *   <li>Images: {@link #prepare} builds or checks the image on the manager only. Every node needs it:
 *       with a registry, push the prepared image and launch from its registry reference (each node
 *       pulls); without one, load it into every node ({@code docker save | docker -H node load}).
 *       Services are created without resolving the image to a digest, so a local image works.
 *   <li>Devices, privileged runners and supplementary groups are refused with an
 *       {@link InvalidSpecException}: Swarm services cannot map devices or run privileged, so board
 *       pools stay on {@link DockerBackend}.
 * </ul>
 * Thread-safe and blocking, like every backend.
 */
public final class SwarmBackend implements RunnerBackend {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration TASK_POLL = Duration.ofMillis(100);

    private final Engine engine;
    private final DockerImages images;
    private final Map<String, List<String>> constraints;
    private final Clock clock;
    private final Duration pollInterval;
    private final Duration startTimeout;
    private final Set<TaskPoller> pollers = ConcurrentHashMap.newKeySet();

    private SwarmBackend(Builder b) {
        this.engine = b.settings.connect();
        this.images = new DockerImages(engine, null);
        this.constraints = Map.copyOf(b.constraints);
        this.clock = b.clock;
        this.pollInterval = b.pollInterval;
        this.startTimeout = b.startTimeout;
    }

    /** A backend on the manager the environment names ({@code DOCKER_HOST}, default the local socket). */
    public static SwarmBackend fromEnvironment() {
        return builder().build();
    }

    /** A builder; unset parts come from the environment as in {@link #fromEnvironment()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The manager's endpoint. */
    public String endpoint() {
        return engine.endpoint();
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        return images.prepare(image, progress);
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        Objects.requireNonNull(spec, "spec");
        ServicePlan.check(spec);
        String secretName = null;
        String secretId = null;
        if (!spec.secrets().isEmpty()) {
            byte[] payload = SecretHandoff.payload(spec.secrets(), spec.runnerName());
            // A fresh name per launch: a secret's data cannot change, and a relaunch needs a new one.
            secretName = spec.runnerName() + "-" + HexFormat.of().formatHex(randomBytes());
            // docker-java's withData base64-encodes the string's bytes itself (in the platform charset):
            // hand it the payload as text, which round-trips because the payload is ASCII.
            SecretSpec secret = new SecretSpec().withName(secretName).withLabels(Ownership.containerLabels(spec))
                    .withData(ascii(payload, spec.runnerName()));
            secretId = engine.call("create the secret of runner " + spec.runnerName(),
                    () -> engine.client().createSecretCmd(secret).exec().getId());
        }
        ServiceSpec service = ServicePlan.of(spec, constraints.getOrDefault(spec.pool(), List.of()), secretName, secretId);
        try {
            String id = engine.call("create the service of runner " + spec.runnerName(),
                    () -> engine.client().createServiceCmd(service).exec().getId());
            try {
                awaitTask(id, spec.runnerName());
            } catch (RuntimeException e) {
                removeQuietly(id);
                throw e;
            }
            return new InstanceInfo(id, spec.runnerName(), spec.fleet(), spec.pool(), spec.runnerName(), spec.specHash(),
                    InstanceState.CREATED, null, false, null, null, Ownership.containerLabels(spec));
        } catch (RuntimeException e) {
            // Nothing half-created: a secret without its service would only wait to be swept.
            if (secretId != null) {
                removeSecretQuietly(secretId);
            }
            throw e;
        }
    }

    private static String ascii(byte[] payload, String runner) {
        for (byte b : payload) {
            if (b < 0) {
                throw new InvalidSpecException("runner " + runner + ": a secret value holds non-ASCII characters;"
                        + " registration tokens and JIT configs never do, check where it came from");
            }
        }
        return new String(payload, StandardCharsets.US_ASCII);
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return b;
    }

    @Override
    public void start(String instanceId) {
        Service s = owned(instanceId);
        if (s == null) {
            return;
        }
        ServiceSpec spec = s.getSpec();
        Optional<Task> newest = newestTask(s.getId());
        if (ServiceStates.replicas(spec) == 1 && (newest.isEmpty() || !ServiceStates.terminal(newest.get().getStatus().getState()))) {
            // Running, or on its way (a service just created has no task for a moment: forcing an
            // update then would shut down the task the swarm is about to make).
            return;
        }
        // Scaling 0 -> 1 alone is not enough: while the stopped task is still in the swarm's store
        // (desired state Remove), the swarm counts its slot as filled and, with restart condition
        // none, never makes a new task, so the service would stay at 1 replica with no task. A forced
        // update in the same call makes a new task, after a stop as after an exit.
        spec.getMode().getReplicated().withReplicas(1);
        Integer force = spec.getTaskTemplate().getForceUpdate();
        spec.getTaskTemplate().withForceUpdate(force == null ? 1 : force + 1);
        update(s, spec, "start");
        awaitTask(s.getId(), s.getSpec().getName());
    }

    /**
     * Waits until the service's newest task runs or has ended, so that {@link #launch} and {@link #start}
     * return a started instance as on a plain engine (the swarm schedules and starts tasks after the
     * call that asked for them).
     *
     * @throws RunnerFleetException naming the runner and the task's last state and message, when the
     *     task does not start within the start timeout (no node fits the constraints, say)
     */
    private void awaitTask(String serviceId, String runner) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Optional<Task> newest = Optional.empty();
        while (System.nanoTime() - deadline < 0) {
            newest = newestTask(serviceId);
            if (newest.isPresent() && newest.get().getStatus() != null) {
                TaskState state = newest.get().getStatus().getState();
                if (state == TaskState.RUNNING || ServiceStates.terminal(state)) {
                    return;
                }
            }
            LockSupport.parkNanos(TASK_POLL.toNanos());
        }
        String why = newest.map(t -> t.getStatus().getState() + (t.getStatus().getErr() != null ? ": " + t.getStatus().getErr()
                : t.getStatus().getMessage() != null ? " (" + t.getStatus().getMessage() + ")" : "")).orElse("no task yet");
        throw new RunnerFleetException("the task of runner " + runner + " (service " + serviceId + " on " + endpoint()
                + ") did not start within " + startTimeout.toSeconds() + " s; its state: " + why + ". Check that a node"
                + " fits the pool's placement constraints and has the image (docker service ps " + runner + ")");
    }

    private void removeQuietly(String serviceId) {
        quietly("remove service " + serviceId, () -> engine.client().removeServiceCmd(serviceId).exec());
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        Service s = owned(instanceId);
        if (s == null || ServiceStates.replicas(s.getSpec()) == 0) {
            return;
        }
        ServiceSpec spec = s.getSpec();
        spec.getMode().getReplicated().withReplicas(0);
        update(s, spec, "stop");
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        Service s = owned(instanceId);
        if (s == null) {
            return;
        }
        engine.call("remove service " + instanceId, () -> {
            try {
                engine.client().removeServiceCmd(s.getId()).exec();
            } catch (NotFoundException gone) {
                // Removed meanwhile: what we wanted.
            }
            return null;
        });
        Map<String, String> labels = s.getSpec().getLabels();
        removeSecrets(Map.of(Ownership.FLEET_LABEL, labels.get(Ownership.FLEET_LABEL),
                Ownership.RUNNER_LABEL, labels.get(Ownership.RUNNER_LABEL)));
    }

    /** Sweeps the secrets of {@code fleet} whose service is gone (volumes live on the nodes: see the class notes). */
    @Override
    public void removeVolumes(String fleet) {
        Set<String> live = services(fleet).stream().map(s -> s.getSpec().getLabels().get(Ownership.RUNNER_LABEL))
                .collect(Collectors.toSet());
        engine.call("list the secrets of fleet " + fleet, () -> engine.client().listSecretsCmd()
                .withLabelFilter(Map.of(Ownership.FLEET_LABEL, fleet)).exec()).stream()
                .filter(secret -> !live.contains(secret.getSpec().getLabels().get(Ownership.RUNNER_LABEL)))
                .forEach(secret -> removeSecretQuietly(secret.getId()));
    }

    private void removeSecrets(Map<String, String> labels) {
        engine.call("list secrets", () -> engine.client().listSecretsCmd().withLabelFilter(labels).exec())
                .forEach(secret -> removeSecretQuietly(secret.getId()));
    }

    private void removeSecretQuietly(String id) {
        quietly("remove secret " + id, () -> engine.client().removeSecretCmd(id).exec());
    }

    // Best effort: a secret left now is swept by removeVolumes (it holds a used token at most), and a
    // service left by a failed launch is an instance the reconciler sees and removes.
    private void quietly(String what, Runnable action) {
        try {
            engine.call(what, () -> {
                action.run();
                return null;
            });
        } catch (RuntimeException e) {
            Engine.LOG.debug("cannot {}: {}", what, Engine.rootMessage(e));
        }
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        List<Service> services = services(fleet);
        if (services.isEmpty()) {
            return List.of();
        }
        List<Task> tasks = tasks(fleet, services);
        Set<String> downNodes = downNodes(tasks);
        Map<String, Task> newest = new LinkedHashMap<>();
        for (Task t : tasks) {
            newest.merge(t.getServiceId(), t, (a, b) -> ServiceStates.created(a).isAfter(ServiceStates.created(b)) ? a : b);
        }
        List<InstanceInfo> result = new ArrayList<>();
        for (Service s : services) {
            result.add(ServiceStates.info(s, newest.get(s.getId()), downNodes));
        }
        return result;
    }

    @Override
    public Optional<InstanceInfo> instance(String fleet, String idOrName) {
        return instances(fleet).stream()
                .filter(i -> i.id().equals(idOrName) || i.name().equals(idOrName) || i.runnerName().equals(idOrName))
                .findFirst();
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        Service s = owned(instanceId);
        if (s == null) {
            throw new InvalidSpecException("instance " + instanceId + " is not a service on " + endpoint() + "; it may have been removed");
        }
        return DockerLogStream.ofService(engine, s.getId(), query);
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        TaskPoller poller = new TaskPoller(fleet, () -> instances(fleet), listener, clock, pollInterval, pollers::remove);
        pollers.add(poller);
        poller.start();
        return poller;
    }

    @Override
    public void close() {
        if (engine.markClosed()) {
            pollers.forEach(TaskPoller::close);
            engine.disconnect();
        }
    }

    @Override
    public String toString() {
        return "SwarmBackend[" + endpoint() + (engine.isClosed() ? ", closed" : "") + "]";
    }

    // ---------------------------------------------------------------- mapping

    private Set<String> downNodes(List<Task> tasks) {
        if (tasks.isEmpty()) {
            return Set.of();
        }
        List<SwarmNode> nodes = engine.call("list the swarm's nodes", () -> engine.client().listSwarmNodesCmd().exec());
        return nodes.stream()
                .filter(n -> n.getStatus() != null && n.getStatus().getState() != SwarmNodeState.READY)
                .map(SwarmNode::getId)
                .collect(Collectors.toSet());
    }

    // ---------------------------------------------------------------- engine calls

    private List<Service> services(String fleet) {
        return engine.call("list the services of fleet " + fleet,
                () -> engine.client().listServicesCmd().withLabelFilter(Map.of(Ownership.FLEET_LABEL, fleet)).exec());
    }

    private List<Task> tasks(String fleet, List<Service> services) {
        String[] ids = services.stream().map(Service::getId).toArray(String[]::new);
        try {
            return engine.call("list the tasks of fleet " + fleet, () -> engine.client().listTasksCmd().withServiceFilter(ids).exec());
        } catch (DockerEngineException e) {
            if (e.statusCode() != 404) {
                throw e;
            }
            // A service removed since it was listed makes the manager refuse the whole filtered listing
            // ("service ... not found"); all tasks, filtered here, cannot miss that way.
            Set<String> wanted = Set.of(ids);
            return engine.call("list the swarm's tasks", () -> engine.client().listTasksCmd().exec()).stream()
                    .filter(t -> wanted.contains(t.getServiceId())).toList();
        }
    }

    private Optional<Task> newestTask(String serviceId) {
        return engine.call("list the tasks of service " + serviceId,
                () -> engine.client().listTasksCmd().withServiceFilter(serviceId).exec()).stream()
                .max(Comparator.comparing(ServiceStates::created));
    }

    // A service we may act on; null when it is gone; refuses one without our labels.
    private Service owned(String idOrName) {
        Objects.requireNonNull(idOrName, "instanceId");
        Service s = engine.call("inspect service " + idOrName, () -> {
            try {
                return engine.client().inspectServiceCmd(idOrName).exec();
            } catch (NotFoundException e) {
                return null;
            }
        });
        if (s != null && !Ownership.isOwned(s.getSpec().getLabels())) {
            throw new ContainerConflictException(s.getSpec().getName(), true, "service " + idOrName + " on "
                    + endpoint() + " was not created by Runner Fleet (no " + Ownership.FLEET_LABEL + " label); it is left alone");
        }
        return s;
    }


    private void update(Service s, ServiceSpec spec, String what) {
        engine.call(what + " service " + s.getId(), () -> {
            engine.client().updateServiceCmd(s.getId(), spec).withVersion(s.getVersion().getIndex()).exec();
            return null;
        });
    }

    /**
     * Builds a {@link SwarmBackend}; every part is optional.
     *
     * <pre>{@code
     * SwarmBackend swarm = SwarmBackend.builder()
     *     .dockerHost("tcp://manager:2376")
     *     .constraints("qemu", "node.labels.kvm==true", "node.platform.arch==x86_64")
     *     .build();
     * }</pre>
     *
     * Defaults: {@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY} and {@code DOCKER_CERT_PATH} (else the local
     * socket), a 10 s connect timeout, no placement
     * constraints, the UTC system clock, a 1 s task poll, a 60 s start timeout.
     */
    public static final class Builder {
        private final EngineSettings settings = new EngineSettings();
        private final Map<String, List<String>> constraints = new LinkedHashMap<>();
        private Clock clock = Clock.systemUTC();
        private Duration pollInterval = Duration.ofSeconds(1);
        private Duration startTimeout = Duration.ofSeconds(60);

        private Builder() {
        }

        /** A manager node's endpoint: {@code unix:///path/docker.sock} or {@code tcp://host:port}. */
        public Builder dockerHost(String dockerHost) {
            settings.dockerHost(dockerHost);
            return this;
        }

        /** Whether to verify TLS for a TCP endpoint; default {@code DOCKER_TLS_VERIFY}. */
        public Builder tlsVerify(boolean tlsVerify) {
            settings.tlsVerify(tlsVerify);
            return this;
        }

        /** The directory with {@code ca.pem}, {@code cert.pem}, {@code key.pem}; default {@code DOCKER_CERT_PATH}. */
        public Builder certPath(Path certPath) {
            settings.certPath(certPath);
            return this;
        }

        /** How long to wait for a connection; default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            settings.connectTimeout(connectTimeout);
            return this;
        }

        /**
         * Placement constraints for the runners of {@code pool}, in Swarm's syntax
         * ({@code node.labels.kvm==true}); replaces earlier ones for that pool.
         */
        public Builder constraints(String pool, String... constraints) {
            Objects.requireNonNull(pool, "pool");
            for (String c : constraints) {
                if (c == null || !(c.contains("==") || c.contains("!="))) {
                    throw new InvalidSpecException("placement constraint '" + c + "' of pool " + pool
                            + " is not in Swarm's form; write e.g. node.labels.kvm==true or node.role!=manager");
                }
            }
            this.constraints.put(pool, List.of(constraints));
            return this;
        }

        /** The clock for event times; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How often a subscription polls the swarm's tasks; default 1 s. */
        public Builder pollInterval(Duration pollInterval) {
            if (Objects.requireNonNull(pollInterval, "pollInterval").isNegative() || pollInterval.isZero()) {
                throw new InvalidSpecException("poll interval must be positive, was " + pollInterval);
            }
            this.pollInterval = pollInterval;
            return this;
        }

        /**
         * How long {@code launch} and {@code start} wait for the swarm to schedule and start the task;
         * default 60 s (a pull on a node counts).
         */
        public Builder startTimeout(Duration startTimeout) {
            if (Objects.requireNonNull(startTimeout, "startTimeout").isNegative() || startTimeout.isZero()) {
                throw new InvalidSpecException("start timeout must be positive, was " + startTimeout);
            }
            this.startTimeout = startTimeout;
            return this;
        }

        /**
         * Connects and checks that the endpoint is a swarm manager.
         *
         * @throws BackendUnavailableException naming the endpoint, when it does not answer or is no manager
         */
        public SwarmBackend build() {
            SwarmBackend backend = new SwarmBackend(this);
            try {
                var info = backend.engine.call("read the engine's info", () -> backend.engine.client().infoCmd().exec());
                var swarm = info.getSwarm();
                if (swarm == null || !Boolean.TRUE.equals(swarm.getControlAvailable())) {
                    throw new BackendUnavailableException("the Docker engine at " + backend.endpoint()
                            + " is not a swarm manager (swarm state " + (swarm == null ? "unknown" : swarm.getLocalNodeState())
                            + "); point the SwarmBackend at a manager, or run 'docker swarm init' there");
                }
            } catch (RuntimeException e) {
                backend.close();
                if (e instanceof BackendUnavailableException) {
                    throw e;
                }
                throw new BackendUnavailableException("the Docker engine at " + backend.endpoint() + " does not answer ("
                        + Engine.rootMessage(e) + "); point the SwarmBackend at a running swarm manager", e);
            }
            return backend;
        }
    }
}
