package io.runnerfleet.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.DockerClientException;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.exception.NotModifiedException;
import com.github.dockerjava.api.model.AuthConfig;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.BuildResponseItem;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.Event;
import com.github.dockerjava.api.model.EventType;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.LogConfig;
import com.github.dockerjava.api.model.PullResponseItem;
import com.github.dockerjava.api.model.RestartPolicy;
import com.github.dockerjava.api.model.Volume;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.internal.BuildContext;
import io.runnerfleet.docker.internal.BuildOutput;
import io.runnerfleet.docker.internal.DeviceCheck;
import io.runnerfleet.docker.internal.HostGroups;
import io.runnerfleet.docker.internal.LineSplitter;
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
import java.io.ByteArrayInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    public static final String FLEET_LABEL = "io.runnerfleet.fleet";
    /** Label holding the pool's name. */
    public static final String POOL_LABEL = "io.runnerfleet.pool";
    /** Label holding the runner's name. */
    public static final String RUNNER_LABEL = "io.runnerfleet.runner";
    /** Label holding {@link LaunchSpec#specHash()}. */
    public static final String SPEC_HASH_LABEL = "io.runnerfleet.spec-hash";
    /** Image label holding the hash of a Dockerfile build's context and arguments. */
    public static final String BUILD_HASH_LABEL = "io.runnerfleet.build-hash";
    /** The host's Docker socket, mounted only when a spec opts in. */
    static final String DOCKER_SOCKET = "/var/run/docker.sock";

    private static final Logger LOG = LoggerFactory.getLogger(DockerBackend.class);
    private static final Duration HANDOFF_TIMEOUT = Duration.ofSeconds(30);

    private final DockerClient client;
    private final String endpoint;
    private final Consumer<String> warnings;
    private final Path groupFile;
    private final Clock clock;
    private final AuthConfig auth;
    private final Duration reconnectDelay;
    private final Set<EventPump> pumps = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DockerBackend(Builder b) {
        DefaultDockerClientConfig.Builder config = DefaultDockerClientConfig.createDefaultConfigBuilder();
        if (b.dockerHost != null) {
            config.withDockerHost(b.dockerHost);
        }
        if (b.tlsVerify != null) {
            config.withDockerTlsVerify(b.tlsVerify);
        }
        if (b.certPath != null) {
            config.withDockerCertPath(b.certPath.toString());
        }
        DefaultDockerClientConfig built;
        try {
            built = config.build();
        } catch (RuntimeException e) {
            throw new BackendUnavailableException("the Docker connection settings are invalid (DOCKER_HOST="
                    + (b.dockerHost != null ? b.dockerHost : System.getenv("DOCKER_HOST")) + "): " + e.getMessage()
                    + "; use unix:///var/run/docker.sock or tcp://host:2376 with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH", e);
        }
        this.endpoint = built.getDockerHost().toString();
        ZerodepDockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(built.getDockerHost())
                .sslConfig(built.getSSLConfig())
                .connectionTimeout(b.connectTimeout)
                .maxConnections(64)
                .build();
        this.client = DockerClientImpl.getInstance(built, http);
        this.warnings = b.warnings;
        this.groupFile = b.groupFile;
        this.clock = b.clock;
        this.auth = b.auth;
        this.reconnectDelay = b.reconnectDelay;
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

    /** The engine endpoint, e.g. {@code unix:///var/run/docker.sock}. */
    public String endpoint() {
        return endpoint;
    }

    // ---------------------------------------------------------------- images

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        Objects.requireNonNull(image, "image");
        Consumer<BuildProgress> listener = progress == null ? p -> { } : progress;
        if (image instanceof RunnerImage.Dockerfile dockerfile) {
            return build(dockerfile, listener);
        }
        String reference = image.reference();
        if (imageLabels(reference).isPresent()) {
            return reference;
        }
        pull(reference, listener);
        return reference;
    }

    private Optional<Map<String, String>> imageLabels(String reference) {
        return call("inspect image " + reference, () -> {
            try {
                var config = client.inspectImageCmd(reference).exec().getConfig();
                Map<String, String> labels = config == null || config.getLabels() == null ? Map.of() : config.getLabels();
                return Optional.of(labels);
            } catch (NotFoundException e) {
                return Optional.empty();
            }
        });
    }

    private String build(RunnerImage.Dockerfile image, Consumer<BuildProgress> listener) {
        String tag = image.reference();
        BuildContext context = BuildContext.scan(image);
        String hash = context.hash(image.buildArgs(), image.target());
        if (!image.noCache()) {
            Optional<Map<String, String>> existing = imageLabels(tag);
            if (existing.isPresent() && hash.equals(existing.get().get(BUILD_HASH_LABEL))) {
                emit(listener, new BuildProgress(0, 0, "", "image " + tag + " is up to date (context and build args unchanged)"));
                return tag;
            }
        }
        Path tar;
        try {
            tar = Files.createTempFile("runnerfleet-context-", ".tar");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary file for the build context of " + tag, e);
        }
        try {
            try (OutputStream out = Files.newOutputStream(tar)) {
                context.writeTar(out);
            }
            BuildOutput output = new BuildOutput(listener);
            AtomicReference<String> error = new AtomicReference<>();
            try (InputStream in = Files.newInputStream(tar)) {
                var cmd = client.buildImageCmd()
                        .withTarInputStream(in)
                        .withDockerfilePath(context.dockerfile())
                        .withTags(Set.of(tag))
                        .withLabels(Map.of(BUILD_HASH_LABEL, hash))
                        .withNoCache(image.noCache())
                        .withPull(false)
                        .withRemove(true)
                        .withForcerm(true);
                image.buildArgs().forEach(cmd::withBuildArg);
                if (image.target() != null) {
                    cmd.withTarget(image.target());
                }
                ResultCallback.Adapter<BuildResponseItem> callback = new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(BuildResponseItem item) {
                        output.accept(item.getStream());
                        if (item.isErrorIndicated()) {
                            String message = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                                    ? item.getErrorDetail().getMessage() : item.getError();
                            error.compareAndSet(null, message);
                        }
                    }

                    @Override
                    public void onError(Throwable t) {
                        // Reported through the exception below, not docker-java's ERROR log.
                        error.compareAndSet(null, t.getMessage());
                        closeQuietly(this);
                    }
                };
                call("build image " + tag, () -> {
                    try {
                        cmd.exec(callback).awaitCompletion();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new RunnerFleetException("interrupted while building image " + tag, e);
                    }
                    return null;
                });
            } catch (DockerEngineException e) {
                error.compareAndSet(null, e.engineMessage());
            }
            output.finish();
            if (error.get() == null) {
                Optional<Map<String, String>> built = imageLabels(tag);
                if (built.isEmpty() || !hash.equals(built.get().get(BUILD_HASH_LABEL))) {
                    error.set("the engine reported no error but image " + tag + " was not tagged");
                }
            }
            if (error.get() != null) {
                throw buildFailure(tag, image, output, error.get());
            }
            return tag;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack the build context of " + tag, e);
        } finally {
            try {
                Files.deleteIfExists(tar);
            } catch (IOException ignored) {
                // A leftover temp file holds only the context the user gave us.
            }
        }
    }

    private static ImageException buildFailure(String tag, RunnerImage.Dockerfile image, BuildOutput output, String error) {
        StringBuilder m = new StringBuilder("building image ").append(tag).append(" from ").append(image.context())
                .append(" failed");
        if (output.step() > 0) {
            m.append(" at step ").append(output.step()).append('/').append(output.totalSteps())
                    .append(" (").append(output.instruction()).append(')');
        }
        m.append(": ").append(error.strip());
        List<String> last = output.lastLines();
        if (!last.isEmpty()) {
            m.append("\nlast output:");
            for (String line : last) {
                m.append("\n  | ").append(line);
            }
        }
        m.append("\nfix the Dockerfile and prepare again; the failed build was not recorded");
        return new ImageException(tag, output.step(), output.instruction(), last, m.toString(), null);
    }

    private void pull(String reference, Consumer<BuildProgress> listener) {
        AtomicReference<String> error = new AtomicReference<>();
        try {
            call("pull image " + reference, () -> {
                var cmd = client.pullImageCmd(reference);
                if (auth != null) {
                    cmd.withAuthConfig(auth);
                }
                try {
                    cmd.exec(new ResultCallback.Adapter<PullResponseItem>() {
                        @Override
                        public void onNext(PullResponseItem item) {
                            if (item.isErrorIndicated()) {
                                error.compareAndSet(null, item.getErrorDetail() != null
                                        ? item.getErrorDetail().getMessage() : item.getError());
                                return;
                            }
                            String line = (item.getId() == null ? "" : item.getId() + ": ")
                                    + (item.getStatus() == null ? "" : item.getStatus())
                                    + (item.getProgress() == null ? "" : " " + item.getProgress());
                            emit(listener, new BuildProgress(0, 0, "pull " + reference, line));
                        }

                        @Override
                        public void onError(Throwable t) {
                            error.compareAndSet(null, t.getMessage());
                            closeQuietly(this);
                        }
                    }).awaitCompletion();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new RunnerFleetException("interrupted while pulling image " + reference, e);
                }
                return null;
            });
        } catch (DockerEngineException e) {
            error.compareAndSet(null, e.engineMessage());
        } catch (DockerClientException e) {
            error.compareAndSet(null, e.getMessage());
        }
        if (error.get() == null && imageLabels(reference).isEmpty()) {
            error.set("the engine finished the pull without the image");
        }
        if (error.get() != null) {
            throw new ImageException(reference, "image " + reference + " is not on engine " + endpoint
                    + " and pulling it failed: " + error.get().strip() + ". If the registry is unreachable (offline),"
                    + " build the image locally (RunnerImage.dockerfile(...)) or load it with 'docker load';"
                    + " if it is private, give registry credentials to DockerBackend.builder().registryAuth(...)", null);
        }
    }

    private static void emit(Consumer<BuildProgress> listener, BuildProgress p) {
        try {
            listener.accept(p);
        } catch (RuntimeException ignored) {
            // A progress listener's bug must not fail the operation.
        }
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
        List<Device> devices = new ArrayList<>();
        for (DeviceMapping d : spec.devices()) {
            DeviceMapping resolved = DeviceCheck.resolve(d, name);
            devices.add(new Device(resolved.permissions(), resolved.path(), resolved.hostPath()));
        }
        List<String> groups = HostGroups.read(groupFile).resolve(spec.groups(), name);
        if (spec.privileged()) {
            warn("runner " + name + " runs privileged: it has every device and capability of the host");
        }
        if (spec.dockerSocket()) {
            warn("runner " + name + " gets the Docker socket: its jobs control the host's Docker engine (root-equivalent)");
        }

        InspectContainerResponse existing = inspectOrNull(name);
        if (existing != null) {
            boolean foreign = !isOwned(existing.getConfig().getLabels());
            throw new ContainerConflictException(name, foreign, foreign
                    ? "a container named " + name + " exists on " + endpoint + " but was not created by Runner Fleet"
                    + " (no " + FLEET_LABEL + " label); it is left alone: remove or rename it yourself, or choose"
                    + " another runner name"
                    : "runner " + name + " already has a container (" + shortId(existing.getId()) + ", fleet "
                    + existing.getConfig().getLabels().get(FLEET_LABEL) + "); remove it first or start it again");
        }

        Map<String, String> labels = ownershipLabels(spec);
        List<String> createdVolumes = new ArrayList<>();
        try {
            List<Bind> binds = new ArrayList<>();
            for (VolumeMount v : spec.volumes()) {
                String volume = volumeName(name, v);
                if (ensureVolume(volume, labels)) {
                    createdVolumes.add(volume);
                }
                binds.add(new Bind(volume, new Volume(v.path())));
            }
            for (var m : spec.bindMounts()) {
                binds.add(new Bind(m.hostPath(), new Volume(m.path()),
                        m.readOnly() ? com.github.dockerjava.api.model.AccessMode.ro : com.github.dockerjava.api.model.AccessMode.rw));
            }
            if (spec.dockerSocket()) {
                binds.add(new Bind(DOCKER_SOCKET, new Volume(DOCKER_SOCKET)));
            }
            HostConfig host = HostConfig.newHostConfig()
                    .withNetworkMode(spec.networkMode())
                    .withPrivileged(spec.privileged())
                    .withBinds(binds)
                    .withDevices(devices)
                    .withGroupAdd(groups)
                    .withInit(spec.init())
                    .withRestartPolicy(RestartPolicy.noRestart())
                    .withLogConfig(new LogConfig(LogConfig.LoggingType.JSON_FILE, Map.of("max-size", "10m", "max-file", "3")));
            var res = spec.resources();
            if (res.cpus() != null) {
                host.withNanoCPUs(Math.round(res.cpus() * 1_000_000_000d));
            }
            if (res.memoryBytes() != null) {
                host.withMemory(res.memoryBytes());
            }
            if (res.pids() != null) {
                host.withPidsLimit(res.pids());
            }
            if (!spec.extraHosts().isEmpty()) {
                host.withExtraHosts(spec.extraHosts().entrySet().stream()
                        .map(e -> e.getKey() + ":" + e.getValue()).toArray(String[]::new));
            }
            List<String> env = new ArrayList<>();
            spec.env().forEach((k, v) -> env.add(k + "=" + v));
            String id = call("create container " + name, () -> {
                CreateContainerCmd create = client.createContainerCmd(image)
                        .withName(name)
                        .withLabels(labels)
                        .withEnv(env)
                        .withEntrypoint("/bin/sh", "-c", SecretHandoff.prelude(spec.command()))
                        .withStdinOpen(true)
                        .withStdInOnce(true)
                        .withAttachStdin(true)
                        .withTty(false)
                        .withStopSignal(spec.stopSignal())
                        .withStopTimeout((int) Math.min(Integer.MAX_VALUE, ceilSeconds(spec.stopGrace())))
                        .withHostConfig(host);
                if (spec.user() != null && !spec.user().isBlank()) {
                    create.withUser(spec.user());
                }
                try {
                    return create.exec().getId();
                } catch (NotFoundException e) {
                    throw new ImageException(image, "image " + image + " for runner " + name + " is not on engine "
                            + endpoint + "; make it ready first with prepare(RunnerImage.of(\"" + image + "\"), ...)", e);
                } catch (ConflictException e) {
                    throw new ContainerConflictException(name, false, "a container named " + name
                            + " was created concurrently on " + endpoint + "; launch each runner once");
                }
            });
            try {
                startWithHandoff(id, payload);
            } catch (DockerEngineException e) {
                removeQuietly(id);
                String hint = spec.privileged() ? " (privileged containers need an engine allowed to grant every"
                        + " capability, not one inside an unprivileged container)" : "";
                throw new DockerEngineException("runner " + name + " could not start on " + endpoint + ": "
                        + e.engineMessage() + hint + "; its container was removed, fix the spec and launch again",
                        e.statusCode(), e.engineMessage(), e);
            } catch (RuntimeException e) {
                removeQuietly(id);
                throw e;
            }
            return info(inspect(id));
        } catch (RuntimeException e) {
            for (String volume : createdVolumes) {
                removeVolumeQuietly(volume);
            }
            throw e;
        }
    }

    private static String volumeName(String runner, VolumeMount v) {
        return runner + "-" + v.name();
    }

    // Creates the volume, or adopts ours; refuses a foreign one. Returns whether it was created now.
    private boolean ensureVolume(String volume, Map<String, String> labels) {
        return call("create volume " + volume, () -> {
            try {
                InspectVolumeResponse v = client.inspectVolumeCmd(volume).exec();
                if (!isOwned(v.getLabels())) {
                    throw new ContainerConflictException(volume, true, "a volume named " + volume + " exists on "
                            + endpoint + " but was not created by Runner Fleet; it is left alone: remove it yourself"
                            + " or choose another runner or volume name");
                }
                return false;
            } catch (NotFoundException e) {
                Map<String, String> volumeLabels = new LinkedHashMap<>(labels);
                volumeLabels.remove(SPEC_HASH_LABEL);
                client.createVolumeCmd().withName(volume).withLabels(volumeLabels).exec();
                return true;
            }
        });
    }

    private static Map<String, String> ownershipLabels(LaunchSpec spec) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put(FLEET_LABEL, spec.fleet());
        labels.put(POOL_LABEL, spec.pool());
        labels.put(RUNNER_LABEL, spec.runnerName());
        labels.put(SPEC_HASH_LABEL, spec.specHash());
        return labels;
    }

    private static long ceilSeconds(Duration d) {
        long s = d.getSeconds();
        return d.getNano() > 0 ? s + 1 : s;
    }

    /**
     * Starts the container and writes the hand-over payload to its stdin. The prelude blocks on stdin,
     * so starting first and attaching second cannot lose the payload.
     */
    private void startWithHandoff(String id, byte[] payload) {
        call("start container " + shortId(id), () -> {
            try {
                client.startContainerCmd(id).exec();
            } catch (NotModifiedException alreadyRunning) {
                return null;
            }
            // The transport copies this stream to the engine until EOF; EOF means every byte was written.
            CountDownLatch written = new CountDownLatch(1);
            CountDownLatch ended = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            InputStream in = new java.io.FilterInputStream(new ByteArrayInputStream(payload)) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b < 0) {
                        written.countDown();
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n < 0) {
                        written.countDown();
                    }
                    return n;
                }
            };
            ResultCallback.Adapter<Frame> callback = new ResultCallback.Adapter<>() {
                @Override
                public void onError(Throwable t) {
                    failure.set(t);
                    ended.countDown();
                }

                @Override
                public void onComplete() {
                    ended.countDown();
                }
            };
            client.attachContainerCmd(id).withStdIn(in).withFollowStream(true)
                    .withStdOut(false).withStdErr(false).exec(callback);
            try {
                long deadline = System.nanoTime() + HANDOFF_TIMEOUT.toNanos();
                while (written.getCount() > 0 && ended.getCount() > 0 && System.nanoTime() < deadline) {
                    written.await(50, TimeUnit.MILLISECONDS);
                }
                if (written.getCount() > 0) {
                    throw new RunnerFleetException("could not hand the secrets of container " + shortId(id)
                            + " over its stdin within " + HANDOFF_TIMEOUT.toSeconds() + " s (engine " + endpoint + ")"
                            + (failure.get() == null ? "" : ": " + failure.get().getMessage())
                            + "; does the image have /bin/sh? Start the runner again");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RunnerFleetException("interrupted while handing secrets to container " + shortId(id), e);
            } finally {
                // Closing the attach ends stdin (StdinOnce); the prelude has read what it needs by then.
                closeQuietly(callback);
            }
            return null;
        });
    }

    @Override
    public void start(String instanceId) {
        InspectContainerResponse c = owned(instanceId);
        if (c == null || Boolean.TRUE.equals(c.getState().getRunning())) {
            // Idempotent (the TCK's rule): an unknown instance is not an error.
            return;
        }
        startWithHandoff(c.getId(), SecretHandoff.emptyPayload());
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        InspectContainerResponse c = owned(instanceId);
        if (c == null || !Boolean.TRUE.equals(c.getState().getRunning())) {
            return;
        }
        int seconds = (int) Math.min(Integer.MAX_VALUE, ceilSeconds(grace == null ? Duration.ofSeconds(30) : grace));
        call("stop container " + c.getName(), () -> {
            try {
                client.stopContainerCmd(c.getId()).withTimeout(seconds).exec();
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
        List<String> volumes = new ArrayList<>();
        if (c.getMounts() != null) {
            for (var m : c.getMounts()) {
                if (m.getName() != null && !m.getName().isEmpty()) { // bind mounts have no name
                    volumes.add(m.getName());
                }
            }
        }
        call("remove container " + c.getName(), () -> {
            try {
                client.removeContainerCmd(c.getId()).withForce(true).withRemoveVolumes(false).exec();
            } catch (NotFoundException alreadyGone) {
                // Idempotent.
            } catch (ConflictException beingRemoved) {
                LOG.debug("container {} is already being removed", c.getName());
            }
            return null;
        });
        if (!keepVolumes) {
            String runner = c.getConfig().getLabels().get(RUNNER_LABEL);
            for (String volume : volumes) {
                removeOwnedVolume(volume, runner);
            }
        }
    }

    private void removeOwnedVolume(String volume, String runner) {
        call("remove volume " + volume, () -> {
            try {
                InspectVolumeResponse v = client.inspectVolumeCmd(volume).exec();
                Map<String, String> labels = v.getLabels() == null ? Map.of() : v.getLabels();
                if (isOwned(labels) && Objects.equals(labels.get(RUNNER_LABEL), runner)) {
                    client.removeVolumeCmd(volume).exec();
                }
            } catch (NotFoundException alreadyGone) {
                // Idempotent.
            }
            return null;
        });
    }

    @Override
    public void removeVolumes(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        var listed = call("list volumes of fleet " + fleet, () -> client.listVolumesCmd()
                .withFilter("label", List.of(FLEET_LABEL + "=" + fleet)).exec());
        if (listed.getVolumes() == null) {
            return;
        }
        for (InspectVolumeResponse v : listed.getVolumes()) {
            Map<String, String> labels = v.getLabels() == null ? Map.of() : v.getLabels();
            if (!isOwned(labels) || !fleet.equals(labels.get(FLEET_LABEL))) {
                continue;
            }
            call("remove volume " + v.getName(), () -> {
                try {
                    client.removeVolumeCmd(v.getName()).exec();
                } catch (NotFoundException alreadyGone) {
                    // Idempotent.
                } catch (ConflictException inUse) {
                    // A container of the fleet still uses it (a runner left running a job): it stays with it.
                    LOG.debug("volume {} is in use and stays", v.getName());
                }
                return null;
            });
        }
    }

    private void removeVolumeQuietly(String volume) {
        try {
            client.removeVolumeCmd(volume).exec();
        } catch (RuntimeException e) {
            LOG.debug("could not remove volume {} after a failed launch: {}", volume, e.toString());
        }
    }

    private void removeQuietly(String id) {
        try {
            client.removeContainerCmd(id).withForce(true).exec();
        } catch (RuntimeException e) {
            LOG.debug("could not remove container {} after a failed launch: {}", shortId(id), e.toString());
        }
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        Objects.requireNonNull(fleet, "fleet");
        List<Container> containers = call("list containers of fleet " + fleet, () -> client.listContainersCmd()
                .withShowAll(true).withLabelFilter(Map.of(FLEET_LABEL, fleet)).exec());
        List<InstanceInfo> result = new ArrayList<>();
        for (Container c : containers) {
            InspectContainerResponse r = inspectOrNull(c.getId());
            if (r != null && fleet.equals(r.getConfig().getLabels().get(FLEET_LABEL))) {
                result.add(info(r));
            }
        }
        result.sort(java.util.Comparator.comparing(InstanceInfo::name));
        return List.copyOf(result);
    }

    @Override
    public Optional<InstanceInfo> instance(String fleet, String idOrName) {
        InspectContainerResponse r = inspectOrNull(idOrName);
        if (r != null && fleet.equals(labelsOf(r).get(FLEET_LABEL))) {
            return Optional.of(info(r));
        }
        return RunnerBackend.super.instance(fleet, idOrName);
    }

    // ---------------------------------------------------------------- logs

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        Objects.requireNonNull(query, "query");
        InspectContainerResponse c = owned(instanceId);
        if (c == null) {
            throw new InvalidSpecException("no runner container '" + instanceId + "' on " + endpoint + " to read logs from");
        }
        return new DockerLogStream(c.getId(), query);
    }

    /** A queue fed by the engine's log stream; {@code lines()} blocks until a line or the end arrives. */
    private final class DockerLogStream implements LogStream {
        private static final Object END = new Object();
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final ResultCallback.Adapter<Frame> callback;
        private final AtomicBoolean ended = new AtomicBoolean();

        DockerLogStream(String id, LogQuery query) {
            Instant since = query.since();
            LineSplitter out = new LineSplitter(line -> accept(line, since));
            LineSplitter err = new LineSplitter(line -> accept(line, since));
            callback = new ResultCallback.Adapter<>() {
                @Override
                public void onNext(Frame frame) {
                    if (frame.getStreamType() == com.github.dockerjava.api.model.StreamType.STDERR) {
                        err.accept(frame.getPayload());
                    } else {
                        out.accept(frame.getPayload());
                    }
                }

                @Override
                public void onError(Throwable t) {
                    end();
                }

                @Override
                public void onComplete() {
                    out.finish();
                    err.finish();
                    end();
                }
            };
            var cmd = client.logContainerCmd(id).withStdOut(true).withStdErr(true).withTimestamps(true)
                    .withFollowStream(query.follow());
            if (query.tail() > 0) {
                cmd.withTail(query.tail());
            } else {
                cmd.withTailAll();
            }
            if (since != null) {
                cmd.withSince((int) Math.max(0, since.getEpochSecond()));
            }
            call("read logs of " + shortId(id), () -> cmd.exec(callback));
        }

        private void accept(String stamped, Instant since) {
            int space = stamped.indexOf(' ');
            String line = stamped;
            if (space > 0) {
                try {
                    Instant at = Instant.parse(stamped.substring(0, space));
                    if (since != null && at.isBefore(since)) {
                        return;
                    }
                    line = stamped.substring(space + 1);
                } catch (DateTimeParseException notStamped) {
                    // Keep the line as it is.
                }
            }
            queue.add(line);
        }

        private void end() {
            if (ended.compareAndSet(false, true)) {
                queue.add(END);
            }
        }

        @Override
        public Stream<String> lines() {
            Iterator<String> it = new Iterator<>() {
                private Object next;

                @Override
                public boolean hasNext() {
                    if (next == null) {
                        try {
                            next = queue.take();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            next = END;
                        }
                        if (next == END) {
                            queue.add(END);
                        }
                    }
                    return next != END;
                }

                @Override
                public String next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    String line = (String) next;
                    next = null;
                    return line;
                }
            };
            return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED), false)
                    .onClose(this::close);
        }

        @Override
        public void close() {
            closeQuietly(callback);
            end();
        }
    }

    // ---------------------------------------------------------------- events

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(listener, "listener");
        EventPump pump = new EventPump(fleet, listener);
        pumps.add(pump);
        pump.start();
        return pump::close;
    }

    /**
     * Reads the engine's event stream for one fleet on its own daemon thread and reconnects (from
     * the last event seen) when the stream drops; events are deduplicated by their time.
     */
    private final class EventPump implements Runnable {
        private final String fleet;
        private final Consumer<InstanceEvent> listener;
        private final Thread thread;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private final AtomicReference<Closeable> current = new AtomicReference<>();
        private final Object wake = new Object();
        private volatile long lastNanos;

        EventPump(String fleet, Consumer<InstanceEvent> listener) {
            this.fleet = fleet;
            this.listener = listener;
            Instant now = clock.instant();
            this.lastNanos = now.getEpochSecond() * 1_000_000_000L + now.getNano() - 1;
            this.thread = new Thread(this, "runnerfleet-docker-events-" + fleet);
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        @Override
        public void run() {
            while (!stopped.get()) {
                CountDownLatch ended = new CountDownLatch(1);
                ResultCallback.Adapter<Event> callback = new ResultCallback.Adapter<>() {
                    @Override
                    public void onNext(Event event) {
                        deliver(event);
                    }

                    @Override
                    public void onError(Throwable t) {
                        ended.countDown();
                    }

                    @Override
                    public void onComplete() {
                        ended.countDown();
                    }
                };
                try {
                    long sinceSeconds = lastNanos / 1_000_000_000L;
                    current.set(callback);
                    if (stopped.get()) {
                        break;
                    }
                    client.eventsCmd()
                            .withEventTypeFilter(EventType.CONTAINER)
                            .withEventFilter("start", "die", "oom", "destroy")
                            .withLabelFilter(Map.of(FLEET_LABEL, fleet))
                            .withSince(String.valueOf(sinceSeconds))
                            .exec(callback);
                    ended.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    LOG.debug("event stream of fleet {} failed: {}", fleet, e.toString());
                } finally {
                    closeQuietly(callback);
                }
                if (!stopped.get()) {
                    synchronized (wake) {
                        try {
                            wake.wait(reconnectDelay.toMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }
        }

        private void deliver(Event event) {
            Long nanos = event.getTimeNano();
            if (nanos != null) {
                if (nanos <= lastNanos) {
                    return; // seen before a reconnect
                }
                lastNanos = nanos;
            }
            Map<String, String> attributes = event.getActor() == null || event.getActor().getAttributes() == null
                    ? Map.of() : event.getActor().getAttributes();
            if (!fleet.equals(attributes.get(FLEET_LABEL))) {
                return;
            }
            String action = event.getAction() != null ? event.getAction() : event.getStatus();
            InstanceEvent.Kind kind = switch (action == null ? "" : action) {
                case "start" -> InstanceEvent.Kind.STARTED;
                case "die" -> InstanceEvent.Kind.EXITED;
                case "oom" -> InstanceEvent.Kind.OOM_KILLED;
                case "destroy" -> InstanceEvent.Kind.DESTROYED;
                default -> null;
            };
            if (kind == null) {
                return;
            }
            Integer exitCode = null;
            if (kind == InstanceEvent.Kind.EXITED && attributes.get("exitCode") != null) {
                try {
                    exitCode = Integer.parseInt(attributes.get("exitCode"));
                } catch (NumberFormatException ignored) {
                    // Leave it unknown.
                }
            }
            Instant at = nanos != null ? Instant.ofEpochSecond(0, nanos) : clock.instant();
            String id = event.getActor() != null && event.getActor().getId() != null ? event.getActor().getId() : event.getId();
            try {
                listener.accept(new InstanceEvent(id, attributes.get(RUNNER_LABEL), kind, exitCode, at));
            } catch (RuntimeException e) {
                LOG.warn("an instance event listener of fleet {} failed: {}", fleet, e.toString());
            }
        }

        void close() {
            if (stopped.compareAndSet(false, true)) {
                closeQuietly(current.get());
                synchronized (wake) {
                    wake.notifyAll();
                }
                pumps.remove(this);
            }
        }
    }

    // ---------------------------------------------------------------- plumbing

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            for (EventPump pump : List.copyOf(pumps)) {
                pump.close();
            }
            try {
                client.close();
            } catch (IOException e) {
                LOG.debug("closing the Docker client failed: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "DockerBackend[" + endpoint + (closed.get() ? ", closed" : "") + "]";
    }

    private void ping() {
        call("ping", () -> client.pingCmd().exec());
    }

    private void warn(String message) {
        LOG.warn(message);
        try {
            warnings.accept(message);
        } catch (RuntimeException ignored) {
            // A warning listener's bug must not stop a launch.
        }
    }

    private InspectContainerResponse inspect(String id) {
        InspectContainerResponse r = inspectOrNull(id);
        if (r == null) {
            throw new InvalidSpecException("container " + id + " vanished from " + endpoint + " while it was being launched");
        }
        return r;
    }

    private InspectContainerResponse inspectOrNull(String idOrName) {
        return call("inspect container " + idOrName, () -> {
            try {
                return client.inspectContainerCmd(idOrName).exec();
            } catch (NotFoundException e) {
                return null;
            }
        });
    }

    // Inspects a container we may act on; null when it is gone; refuses one without our labels.
    private InspectContainerResponse owned(String idOrName) {
        Objects.requireNonNull(idOrName, "instanceId");
        InspectContainerResponse r = inspectOrNull(idOrName);
        if (r != null && !isOwned(labelsOf(r))) {
            throw new ContainerConflictException(trimSlash(r.getName()), true, "container " + idOrName + " on "
                    + endpoint + " was not created by Runner Fleet (no " + FLEET_LABEL + " label); it is left alone");
        }
        return r;
    }

    private static Map<String, String> labelsOf(InspectContainerResponse r) {
        return r.getConfig() == null || r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
    }

    private static boolean isOwned(Map<String, String> labels) {
        return labels != null && labels.get(FLEET_LABEL) != null && labels.get(RUNNER_LABEL) != null;
    }

    private static InstanceInfo info(InspectContainerResponse r) {
        Map<String, String> labels = labelsOf(r);
        Map<String, String> ours = new LinkedHashMap<>();
        labels.forEach((k, v) -> {
            if (k.startsWith("io.runnerfleet.")) {
                ours.put(k, v);
            }
        });
        var s = r.getState();
        String status = s.getStatus() == null ? "" : s.getStatus();
        InstanceState state = switch (status) {
            case "created" -> InstanceState.CREATED;
            case "running" -> InstanceState.RUNNING;
            case "paused", "restarting" -> InstanceState.PAUSED;
            case "exited" -> InstanceState.EXITED;
            default -> InstanceState.DEAD;
        };
        Integer exit = state == InstanceState.EXITED || state == InstanceState.DEAD
                ? (s.getExitCodeLong() == null ? null : s.getExitCodeLong().intValue()) : null;
        return new InstanceInfo(r.getId(), trimSlash(r.getName()), labels.get(FLEET_LABEL), labels.get(POOL_LABEL),
                labels.get(RUNNER_LABEL), labels.get(SPEC_HASH_LABEL), state, exit,
                Boolean.TRUE.equals(s.getOOMKilled()), time(s.getStartedAt()), time(s.getFinishedAt()), ours);
    }

    private static Instant time(String value) {
        if (value == null || value.isBlank() || value.startsWith("0001-")) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static String trimSlash(String name) {
        return name != null && name.startsWith("/") ? name.substring(1) : name;
    }

    private static String shortId(String id) {
        return id != null && id.length() > 12 ? id.substring(0, 12) : id;
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException | RuntimeException ignored) {
                // Closing a finished stream has nothing left to report.
            }
        }
    }

    /** Runs an engine call, turning transport failures into {@link BackendUnavailableException}. */
    private <T> T call(String what, Supplier<T> action) {
        if (closed.get()) {
            throw new IllegalStateException("DockerBackend for " + endpoint + " is closed");
        }
        try {
            return action.get();
        } catch (RunnerFleetException e) {
            throw e;
        } catch (DockerException e) {
            String reason = engineReason(e);
            throw new DockerEngineException("the Docker engine at " + endpoint + " refused to " + what + ": " + reason,
                    e.getHttpStatus(), reason, e);
        } catch (RuntimeException e) {
            if (causedByIo(e)) {
                throw new BackendUnavailableException("cannot " + what + ": no Docker engine answers at " + endpoint
                        + " (" + rootMessage(e) + "). Start Docker ('sudo systemctl start docker', or"
                        + " 'sudo dockerd &'), or point DOCKER_HOST at a running engine", e);
            }
            throw e;
        }
    }

    // docker-java puts "Status 500: {\"message\":\"...\"}" in the message; keep the engine's words.
    private static String engineReason(DockerException e) {
        String m = e.getMessage() == null ? "" : e.getMessage().strip();
        java.util.regex.Matcher json = java.util.regex.Pattern.compile("\\{\"message\":\"(.*)\"\\}\\s*$", java.util.regex.Pattern.DOTALL).matcher(m);
        if (json.find()) {
            return json.group(1).replace("\\\"", "\"");
        }
        return m;
    }

    private static boolean causedByIo(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof UncheckedIOException) {
                return true;
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + (root.getMessage() == null ? "" : ": " + root.getMessage());
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
        private String dockerHost;
        private Boolean tlsVerify;
        private Path certPath;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Consumer<String> warnings = w -> { };
        private Path groupFile = Path.of("/etc/group");
        private Clock clock = Clock.systemUTC();
        private AuthConfig auth;
        private Duration reconnectDelay = Duration.ofSeconds(1);

        private Builder() {
        }

        /** The engine endpoint: {@code unix:///path/docker.sock} or {@code tcp://host:port}; default {@code DOCKER_HOST}. */
        public Builder dockerHost(String dockerHost) {
            URI uri;
            try {
                uri = URI.create(Objects.requireNonNull(dockerHost, "dockerHost"));
            } catch (IllegalArgumentException e) {
                throw new InvalidSpecException("Docker host '" + dockerHost + "' is not a URI; use unix:///var/run/docker.sock or tcp://host:2376", e);
            }
            if (!"unix".equals(uri.getScheme()) && !"tcp".equals(uri.getScheme())) {
                throw new InvalidSpecException("Docker host '" + dockerHost + "' must start with unix:// or tcp://");
            }
            this.dockerHost = dockerHost;
            return this;
        }

        /** Whether to verify TLS for a TCP endpoint; default {@code DOCKER_TLS_VERIFY}. */
        public Builder tlsVerify(boolean tlsVerify) {
            this.tlsVerify = tlsVerify;
            return this;
        }

        /** The directory with {@code ca.pem}, {@code cert.pem}, {@code key.pem}; default {@code DOCKER_CERT_PATH}. */
        public Builder certPath(Path certPath) {
            this.certPath = Objects.requireNonNull(certPath, "certPath");
            return this;
        }

        /** How long to wait for a connection; default 10 s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = Objects.requireNonNull(connectTimeout, "connectTimeout");
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
                throw new BackendUnavailableException("the Docker engine at " + backend.endpoint + " does not answer a ping ("
                        + rootMessage(e) + "). Start Docker ('sudo systemctl start docker', or 'sudo dockerd &'),"
                        + " or point DOCKER_HOST at a running engine", e);
            }
            return backend;
        }
    }
}
