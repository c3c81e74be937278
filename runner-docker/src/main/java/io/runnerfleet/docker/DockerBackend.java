package io.runnerfleet.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.internal.DeviceCheck;
import io.runnerfleet.docker.internal.HostGroups;
import io.runnerfleet.docker.internal.SecretHandoff;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The Docker implementation of {@link RunnerBackend}: builds or pulls runner images and runs each
 * runner as one container carrying Runner Fleet's ownership labels.
 *
 * <pre>{@code
 * try (DockerBackend docker = DockerBackend.fromEnvironment()) {      // DOCKER_HOST, TLS variables
 *     String image = docker.prepare(RunnerImage.dockerfile(Path.of("runner-image")).tag("my-runner:1"),
 *             p -> System.out.println(p.step() + "/" + p.totalSteps() + " " + p.instruction()));
 *     InstanceInfo runner = docker.launch(LaunchSpec.builder("acme", "linux", "acme-linux-1", image)
 *             .command(command).secret("ACTIONS_RUNNER_INPUT_TOKEN", token).build());
 * }
 * }</pre>
 *
 * <p>What a container gets: the image's working directory and {@code /bin/sh -c} running the runner
 * command; secrets handed over once on stdin (never in {@code docker inspect}, the image or a file),
 * the registration token given to {@code config.sh} alone and a JIT config written as the runner's
 * own {@code .runner}/{@code .credentials} files (the image needs {@code base64}), so no process a
 * job can see holds either in its environment or command line;
 * named volumes {@code <runner>-<name>} kept across restarts; devices checked to exist (links such as
 * {@code /dev/serial/by-id/...} resolved); supplementary groups resolved by name to the host's gids;
 * host networking unless the spec says otherwise; an init process; json-file logs rotated at
 * 10 MB x 3. Privileged mode and the Docker socket only on explicit opt-in, each reported to the
 * warning listener.
 *
 * <p>Sharp edges: the backend never touches a container or volume without its ownership labels
 * ({@link ContainerConflictException}); a container restarted outside this backend ({@code docker
 * start}) waits for its stdin hand-over; {@link LogQuery#since()} is honoured to the nanosecond using
 * the engine's timestamps. Thread-safe; {@link #close()} ends event subscriptions and the connection,
 * never the containers.
 */
public final class DockerBackend implements RunnerBackend {
    /** Label holding the owning fleet's name. */
    public static final String FLEET_LABEL = Ownership.FLEET_LABEL;
    /** Label holding the pool's name. */
    public static final String POOL_LABEL = Ownership.POOL_LABEL;
    /** Label holding the runner's name. */
    public static final String RUNNER_LABEL = Ownership.RUNNER_LABEL;
    /** Label holding {@link LaunchSpec#specHash()}. */
    public static final String SPEC_HASH_LABEL = Ownership.SPEC_HASH_LABEL;
    /** Image label holding the hash of a Dockerfile build's context and arguments. */
    public static final String BUILD_HASH_LABEL = DockerImages.BUILD_HASH_LABEL;

    private final Engine engine;
    private final DockerImages images;
    private final DockerVolumes volumes;
    private final Consumer<String> warnings;
    private final Path groupFile;
    private final Clock clock;
    private final Duration reconnectDelay;
    private final boolean localDevices;
    private final Set<EventPump> pumps = ConcurrentHashMap.newKeySet();
    private final ListeningWatch listening;

    private DockerBackend(Builder b) {
        this.engine = b.settings.connect();
        this.images = new DockerImages(engine, b.auth);
        this.volumes = new DockerVolumes(engine);
        this.warnings = b.warnings;
        this.groupFile = b.groupFile;
        this.clock = b.clock;
        this.reconnectDelay = b.reconnectDelay;
        this.localDevices = b.localDevices;
        this.listening = new ListeningWatch(engine, clock, (fleet, e) -> pumps.forEach(p -> p.relay(fleet, e)));
    }

    /**
     * Connects to the engine the environment names ({@code DOCKER_HOST}, {@code DOCKER_TLS_VERIFY},
     * {@code DOCKER_CERT_PATH}; default the local unix socket) and checks that it answers.
     *
     * @throws BackendUnavailableException naming the endpoint and how to start Docker
     */
    public static DockerBackend fromEnvironment() {
        return builder().build();
    }

    /** A builder; unset parts come from the environment as in {@link #fromEnvironment()}. */
    public static Builder builder() {
        return new Builder();
    }

    public String endpoint() {
        return engine.endpoint();
    }

    // ---------------------------------------------------------------- images

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        return images.prepare(image, progress);
    }

    // ---------------------------------------------------------------- containers

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        Objects.requireNonNull(spec, "spec");
        String name = spec.runnerName();
        if (!name.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}")) {
            throw new InvalidSpecException("runner name '" + name + "' cannot name a container: use letters, digits,"
                    + " '_', '.' and '-', starting with a letter or digit (at most 128 characters)");
        }
        String image = RunnerImage.of(spec.image()).reference();
        byte[] payload = SecretHandoff.payload(spec.secrets(), name);
        ContainerPlan plan = ContainerPlan.of(spec, HostGroups.read(groupFile), d -> localDevices ? DeviceCheck.resolve(d, name) : d);
        if (spec.privileged()) {
            warn("runner " + name + " runs privileged: it has every device and capability of the host");
        }
        if (spec.dockerSocket()) {
            warn("runner " + name + " gets the Docker socket: its jobs control the host's Docker engine (root-equivalent)");
        }

        List<String> createdVolumes = new ArrayList<>();
        try {
            for (String volume : plan.volumes()) {
                if (volumes.ensure(volume, plan.volumeLabels())) {
                    createdVolumes.add(volume);
                }
            }
            String id = create(plan, image);
            try {
                engine.startWithHandoff(id, payload);
            } catch (DockerEngineException e) {
                removeQuietly(id);
                String hint = spec.privileged() ? " (privileged containers need an engine allowed to grant every"
                        + " capability, not one inside an unprivileged container)" : "";
                throw new DockerEngineException("runner " + name + " could not start on " + endpoint() + ": "
                        + e.engineMessage() + hint + "; its container was removed, fix the spec and launch again",
                        e.statusCode(), e.engineMessage(), e);
            } catch (RuntimeException e) {
                removeQuietly(id);
                throw e;
            }
            listening.watch(id, spec.fleet(), name);   // LISTENING once the runner says so: Idle before GitHub's list
            return InspectedContainer.info(inspect(id));
        } catch (RuntimeException e) {
            createdVolumes.forEach(volumes::removeQuietly);
            throw e;
        }
    }

    private String create(ContainerPlan plan, String image) {
        String name = plan.name();
        return engine.call("create container " + name, () -> {
            CreateContainerCmd create = describe(engine.client().createContainerCmd(image), plan);
            try {
                return create.exec().getId();
            } catch (NotFoundException e) {
                throw new ImageException(image, "image " + image + " for runner " + name + " is not on engine "
                        + endpoint() + "; make it ready first with prepare(RunnerImage.of(\"" + image + "\"), ...)", e);
            } catch (ConflictException e) {
                throw conflict(name);
            }
        });
    }

    // The name is taken: whose container holds it decides the advice. Asked only on a conflict, which saves the
    // engine one inspection per launch.
    private ContainerConflictException conflict(String name) {
        InspectContainerResponse existing = engine.inspectOrNull(name);
        if (existing == null) {
            return new ContainerConflictException(name, false, "a container named " + name
                    + " was created concurrently on " + endpoint() + "; launch each runner once");
        }
        boolean foreign = !Ownership.isOwned(existing.getConfig().getLabels());
        return new ContainerConflictException(name, foreign, foreign
                ? "a container named " + name + " exists on " + endpoint() + " but was not created by Runner Fleet"
                + " (no " + FLEET_LABEL + " label); it is left alone: remove or rename it yourself, or choose"
                + " another runner name"
                : "runner " + name + " already has a container (" + Engine.shortId(existing.getId()) + ", fleet "
                + existing.getConfig().getLabels().get(FLEET_LABEL) + "); remove it first or start it again");
    }

    /**
     * Fills the engine's create call from the plan; {@link ComposeExport} writes the same plan as a
     * service. The shell waits for the secrets on stdin, and nothing restarts the container.
     */
    static CreateContainerCmd describe(CreateContainerCmd create, ContainerPlan plan) {
        List<Bind> binds = plan.mounts().stream()
                .map(m -> new Bind(m.source(), new Volume(m.target()), m.readOnly() ? AccessMode.ro : AccessMode.rw))
                .toList();
        List<Device> devices = plan.devices().stream()
                .map(d -> new Device(d.permissions(), d.path(), d.hostPath()))
                .toList();
        HostConfig host = HostConfig.newHostConfig()
                .withNetworkMode(plan.networkMode())
                .withPrivileged(plan.privileged())
                .withBinds(binds)
                .withDevices(devices)
                .withGroupAdd(plan.groups())
                .withInit(plan.init())
                .withRestartPolicy(RestartPolicy.noRestart())
                .withLogConfig(new LogConfig(LogConfig.LoggingType.fromValue(plan.logDriver()), plan.logOptions()));
        var res = plan.resources();
        if (res.cpus() != null) {
            host.withNanoCPUs(Math.round(res.cpus() * 1_000_000_000d));
        }
        if (res.memoryBytes() != null) {
            host.withMemory(res.memoryBytes());
        }
        if (res.pids() != null) {
            host.withPidsLimit(res.pids());
        }
        if (!plan.extraHosts().isEmpty()) {
            host.withExtraHosts(ContainerPlan.entries(plan.extraHosts(), ":").toArray(String[]::new));
        }
        create.withName(plan.name())
                .withLabels(plan.labels())
                .withEnv(ContainerPlan.entries(plan.env(), "="))
                .withEntrypoint(ContainerPlan.entrypoint(SecretHandoff.prelude(plan.command())))
                .withStdinOpen(true)
                .withStdInOnce(true)
                .withAttachStdin(true)
                .withTty(false)
                .withStopSignal(plan.stopSignal())
                .withStopTimeout((int) Math.min(Integer.MAX_VALUE, ceilSeconds(plan.stopGrace())))
                .withHostConfig(host);
        if (plan.user() != null) {
            create.withUser(plan.user());
        }
        return create;
    }

    private static long ceilSeconds(Duration d) {
        long s = d.getSeconds();
        return d.getNano() > 0 ? s + 1 : s;
    }

    @Override
    public void start(String instanceId) {
        InspectContainerResponse c = owned(instanceId);
        if (c == null || Boolean.TRUE.equals(c.getState().getRunning())) {
            // Idempotent (the TCK's rule): an unknown instance is not an error.
            return;
        }
        engine.startWithHandoff(c.getId(), SecretHandoff.emptyPayload());
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        InspectContainerResponse c = owned(instanceId);
        if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            return;
        }
        int seconds = (int) Math.min(Integer.MAX_VALUE, ceilSeconds(grace == null ? Duration.ofSeconds(30) : grace));
        engine.call("stop container " + c.getName(), () -> {
            try {
                engine.client().stopContainerCmd(c.getId()).withTimeout(seconds).exec();
            } catch (NotModifiedException | NotFoundException alreadyStopped) {
                // Idempotent: it stopped or vanished meanwhile.
            }
            return null;
        });
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        InspectContainerResponse c = owned(instanceId);
        if (c == null) {
            return;
        }
        List<String> mounted = new ArrayList<>();
        if (c.getMounts() != null) {
            for (var m : c.getMounts()) {
                if (m.getName() != null && !m.getName().isEmpty()) { // bind mounts have no name
                    mounted.add(m.getName());
                }
            }
        }
        engine.call("remove container " + c.getName(), () -> {
            try {
                engine.client().removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(false).exec();
            } catch (NotFoundException alreadyGone) {
                // Idempotent.
            } catch (ConflictException beingRemoved) {
                Engine.LOG.debug("container {} is already being removed", c.getName());
            }
            return null;
        });
        if (!keepVolumes) {
            String runner = c.getConfig().getLabels().get(RUNNER_LABEL);
            for (String volume : mounted) {
                volumes.removeOwned(volume, runner);
            }
        }
    }

    @Override
    public void removeVolumes(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        volumes.removeFleet(fleet);
    }

    private void removeQuietly(String id) {
        try {
            engine.client().removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException e) {
            Engine.LOG.debug("could not remove container {} after a failed launch: {}", Engine.shortId(id), e.toString());
        }
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        List<Container> containers = engine.call("list containers of fleet " + fleet, () -> engine.client()
                .listContainersCmd().withShowAll(true).withLabelFilter(Map.of(FLEET_LABEL, fleet)).exec());
        List<InstanceInfo> result = new ArrayList<>();
        for (Container c : containers) {
            InspectContainerResponse r = engine.inspectOrNull(c.getId());
            if (r != null && fleet.equals(r.getConfig().getLabels().get(FLEET_LABEL))) {
                result.add(InspectedContainer.info(r));
            }
        }
        result.sort(Comparator.comparing(InstanceInfo::name));
        return List.copyOf(result);
    }

    @Override
    public Optional<InstanceInfo> instance(String fleet, String idOrName) {
        InspectContainerResponse r = engine.inspectOrNull(idOrName);
        if (r != null && fleet.equals(InspectedContainer.labels(r).get(FLEET_LABEL))) {
            return Optional.of(InspectedContainer.info(r));
        }
        return RunnerBackend.super.instance(fleet, idOrName);
    }

    // ---------------------------------------------------------------- logs and events

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        Objects.requireNonNull(query, "query");
        InspectContainerResponse c = owned(instanceId);
        if (c == null) {
            throw new InvalidSpecException("no runner container '" + instanceId + "' on " + endpoint() + " to read logs from");
        }
        return new DockerLogStream(engine, c.getId(), query);
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(listener, "listener");
        EventPump pump = new EventPump(engine, fleet, listener, clock, reconnectDelay, pumps);
        pump.start();
        return pump::close;
    }

    /** How many starting runners' logs are followed for their {@code Listening for Jobs} line now. */
    int followedLogs() {
        return listening.following();
    }

    // ---------------------------------------------------------------- plumbing

    @Override
    public void close() {
        if (engine.markClosed()) {
            for (EventPump pump : List.copyOf(pumps)) {
                pump.close();
            }
            listening.close();
            engine.disconnect();
        }
    }

    @Override
    public String toString() {
        return "DockerBackend[" + endpoint() + (engine.isClosed() ? ", closed" : "") + "]";
    }

    private void ping() {
        engine.call("ping", () -> engine.client().pingCmd().exec());
    }

    private void warn(String message) {
        Engine.LOG.warn(message);
        try {
            warnings.accept(message);
        } catch (RuntimeException ignored) {
            // A warning listener's bug must not stop a launch.
        }
    }

    private InspectContainerResponse inspect(String id) {
        InspectContainerResponse r = engine.inspectOrNull(id);
        if (r == null) {
            throw new InvalidSpecException("container " + id + " vanished from " + endpoint() + " while it was being launched");
        }
        return r;
    }

    // Inspects a container we may act on; null when it is gone; refuses one without our labels.
    private InspectContainerResponse owned(String idOrName) {
        Objects.requireNonNull(idOrName, "instanceId");
        InspectContainerResponse r = engine.inspectOrNull(idOrName);
        if (r != null && !Ownership.isOwned(InspectedContainer.labels(r))) {
            throw new ContainerConflictException(InspectedContainer.name(r), true, "container " + idOrName + " on "
                    + endpoint() + " was not created by Runner Fleet (no " + FLEET_LABEL + " label); it is left alone");
        }
        return r;
    }

    /**
     * Builds a {@link DockerBackend}; every part is optional.
     *
     * <pre>{@code
     * DockerBackend docker = DockerBackend.builder()
     *     .dockerHost("tcp://build-host:2376").tlsVerify(true).certPath(Path.of("/etc/docker/client"))
     *     .warnings(System.err::println)
     *     .build();
     * }</pre>
     */
    public static final class Builder {
        private final EngineSettings settings = new EngineSettings();
        private Consumer<String> warnings = w -> { };
        private Path groupFile = Path.of("/etc/group");
        private Clock clock = Clock.systemUTC();
        private AuthConfig auth;
        private Duration reconnectDelay = Duration.ofSeconds(1);
        private boolean localDevices = true;

        private Builder() {
        }

        /** The engine endpoint: {@code unix:///path/docker.sock} or {@code tcp://host:port}; default {@code DOCKER_HOST}. */
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

        /** Receives warnings (privileged runners, Docker socket mounts); they are also logged at WARN. */
        public Builder warnings(Consumer<String> warnings) {
            this.warnings = Objects.requireNonNull(warnings, "warnings");
            return this;
        }

        /** Where group names are resolved to gids; default {@code /etc/group}. */
        public Builder groupFile(Path groupFile) {
            this.groupFile = Objects.requireNonNull(groupFile, "groupFile");
            return this;
        }

        /** The clock for event times the engine does not give; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How long to wait before reconnecting a dropped event stream; default 1 s. */
        public Builder reconnectDelay(Duration reconnectDelay) {
            this.reconnectDelay = Objects.requireNonNull(reconnectDelay, "reconnectDelay");
            return this;
        }

        /**
         * Whether devices are checked and their links resolved on this machine before a launch; default true.
         * Set false for an engine whose host is not this JVM's (another machine, another mount namespace): the
         * engine then checks them itself when the container starts, and a missing one fails that start.
         */
        public Builder localDevices(boolean localDevices) {
            this.localDevices = localDevices;
            return this;
        }

        /** Credentials for pulling from a private registry (e.g. {@code ghcr.io}). */
        public Builder registryAuth(String registry, String username, Secret password) {
            this.auth = new AuthConfig().withRegistryAddress(Objects.requireNonNull(registry, "registry"))
                    .withUsername(Objects.requireNonNull(username, "username"))
                    .withPassword(Objects.requireNonNull(password, "password").reveal());
            return this;
        }

        /**
         * Connects and checks that the engine answers.
         *
         * @throws BackendUnavailableException naming the endpoint and how to start Docker
         */
        public DockerBackend build() {
            DockerBackend backend = new DockerBackend(this);
            try {
                backend.ping();
            } catch (RuntimeException e) {
                backend.close();
                if (e instanceof BackendUnavailableException) {
                    throw e;
                }
                throw new BackendUnavailableException("the Docker engine at " + backend.endpoint() + " does not answer a ping ("
                        + Engine.rootMessage(e) + "). Start Docker ('sudo systemctl start docker', or 'sudo dockerd &'),"
                        + " or point DOCKER_HOST at a running engine", e);
            }
            return backend;
        }
    }
}
