package io.runnerfleet.spi;

import io.runnerfleet.BindMount;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Resources;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Everything a backend needs to launch one runner instance. Built by the fleet from a pool's
 * template; backends read it and never change it.
 *
 * <pre>{@code
 * LaunchSpec spec = LaunchSpec.builder("s1lqc", "qemu", "s1lqc-qemu-1", "s1lqc-runner:1")
 *     .command(new RunnerCommand(List.of("--url", url, "--name", "s1lqc-qemu-1", "--unattended"), List.of()))
 *     .secret("ACTIONS_RUNNER_INPUT_TOKEN", token)
 *     .devices(List.of(DeviceMapping.parse("/dev/kvm")))
 *     .build();
 * }</pre>
 *
 * <p>{@link #secrets()} must reach the runner's configure step without being persisted: not in the
 * instance's inspectable environment or command line, not in its image, not in files left behind,
 * and not in the environment or command line of any process that outlives {@code config.sh} (jobs
 * can read those from {@code /proc}); see {@link RunnerCommand} for the JIT config.
 * {@link #specHash()} covers every field except the secrets, so a changed template is detectable
 * on adopted instances.
 */
public record LaunchSpec(String fleet, String pool, String runnerName, String image, RunnerCommand command,
                         Map<String, String> env, Map<String, Secret> secrets, List<VolumeMount> volumes,
                         List<BindMount> bindMounts, List<DeviceMapping> devices, List<String> groups,
                         Resources resources, boolean privileged, boolean dockerSocket, String networkMode,
                         @Nullable String user, boolean init, String stopSignal, Duration stopGrace,
                         Map<String, String> extraHosts) {

    /** Validates and copies every part. */
    public LaunchSpec {
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(runnerName, "runnerName");
        if (image == null || image.isBlank()) {
            throw new InvalidSpecException("runner " + runnerName + " has no image");
        }
        Objects.requireNonNull(command, "command");
        env = Map.copyOf(env);
        secrets = Map.copyOf(secrets);
        for (String name : secrets.keySet()) {
            if (env.containsKey(name)) {
                throw new InvalidSpecException("runner " + runnerName + ": '" + name + "' is both a plain and a secret variable");
            }
        }
        volumes = List.copyOf(volumes);
        bindMounts = List.copyOf(bindMounts);
        devices = List.copyOf(devices);
        groups = List.copyOf(groups);
        resources = resources == null ? Resources.none() : resources;
        networkMode = networkMode == null || networkMode.isBlank() ? "host" : networkMode;
        stopSignal = stopSignal == null || stopSignal.isBlank() ? "SIGTERM" : stopSignal;
        stopGrace = stopGrace == null ? Duration.ofSeconds(30) : stopGrace;
        if (stopGrace.isNegative()) {
            throw new InvalidSpecException("runner " + runnerName + ": stop grace must not be negative");
        }
        extraHosts = Map.copyOf(extraHosts);
    }

    /** Starts a builder with the four required parts. */
    public static Builder builder(String fleet, String pool, String runnerName, String image) {
        return new Builder(fleet, pool, runnerName, image);
    }

    /**
     * A stable hash (16 hex digits) of every field except the secrets, stored as an ownership label so a
     * restarted fleet can tell an instance made from an older template.
     */
    public String specHash() {
        StringBuilder b = new StringBuilder();
        b.append(fleet).append('\0').append(pool).append('\0').append(runnerName).append('\0').append(image)
                .append('\0').append(command).append('\0').append(new TreeMap<>(env)).append('\0')
                .append(new TreeMap<>(secrets).keySet()).append('\0').append(volumes).append('\0').append(bindMounts)
                .append('\0').append(devices).append('\0').append(groups).append('\0').append(resources)
                .append('\0').append(privileged).append(dockerSocket).append(networkMode).append('\0').append(user)
                .append(init).append(stopSignal).append(stopGrace).append(new TreeMap<>(extraHosts));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        // Env values may hold secrets a user did not mark: print names only.
        return "LaunchSpec[" + runnerName + ", image " + image + ", env " + env.keySet() + ", secrets "
                + secrets.keySet() + ", devices " + devices + ", network " + networkMode + "]";
    }

    /** Builds a {@link LaunchSpec}; defaults: host network, SIGTERM, 30 s stop grace, no limits. */
    public static final class Builder {
        private final String fleet;
        private final String pool;
        private final String runnerName;
        private final String image;
        private RunnerCommand command = new RunnerCommand(List.of(), List.of());
        private final Map<String, String> env = new LinkedHashMap<>();
        private final Map<String, Secret> secrets = new LinkedHashMap<>();
        private List<VolumeMount> volumes = List.of();
        private List<BindMount> bindMounts = List.of();
        private List<DeviceMapping> devices = List.of();
        private List<String> groups = List.of();
        private Resources resources = Resources.none();
        private boolean privileged;
        private boolean dockerSocket;
        private String networkMode = "host";
        private @Nullable String user;
        private boolean init = true;
        private String stopSignal = "SIGTERM";
        private Duration stopGrace = Duration.ofSeconds(30);
        private final Map<String, String> extraHosts = new LinkedHashMap<>();

        private Builder(String fleet, String pool, String runnerName, String image) {
            this.fleet = fleet;
            this.pool = pool;
            this.runnerName = runnerName;
            this.image = image;
        }

        /** The command; default runs {@code run.sh} only. */
        public Builder command(RunnerCommand command) {
            this.command = Objects.requireNonNull(command, "command");
            return this;
        }

        /** Plain environment variables (never secrets). */
        public Builder env(Map<String, String> env) {
            this.env.putAll(env);
            return this;
        }

        /** One plain environment variable. */
        public Builder env(String name, String value) {
            this.env.put(name, value);
            return this;
        }

        /** One secret environment variable for the configure step only. */
        public Builder secret(String name, Secret value) {
            this.secrets.put(name, Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Named volumes. */
        public Builder volumes(List<VolumeMount> volumes) {
            this.volumes = new ArrayList<>(volumes);
            return this;
        }

        /** Host paths to mount. */
        public Builder bindMounts(List<BindMount> bindMounts) {
            this.bindMounts = new ArrayList<>(bindMounts);
            return this;
        }

        /** Devices. */
        public Builder devices(List<DeviceMapping> devices) {
            this.devices = new ArrayList<>(devices);
            return this;
        }

        /** Supplementary groups, by name or gid. */
        public Builder groups(List<String> groups) {
            this.groups = new ArrayList<>(groups);
            return this;
        }

        /** Resource limits. */
        public Builder resources(Resources resources) {
            this.resources = resources;
            return this;
        }

        /** Whether the instance runs privileged (explicit opt-in; emits a warning event). */
        public Builder privileged(boolean privileged) {
            this.privileged = privileged;
            return this;
        }

        /** Whether the Docker socket is mounted in (explicit opt-in; emits a warning event). */
        public Builder dockerSocket(boolean dockerSocket) {
            this.dockerSocket = dockerSocket;
            return this;
        }

        /** The network mode; default {@code host}. */
        public Builder networkMode(String networkMode) {
            this.networkMode = networkMode;
            return this;
        }

        /** The user to run as; the image's when absent. */
        public Builder user(@Nullable String user) {
            this.user = user;
            return this;
        }

        /** Whether an init process reaps zombies; default true. */
        public Builder init(boolean init) {
            this.init = init;
            return this;
        }

        /** The stop signal; default SIGTERM. */
        public Builder stopSignal(String stopSignal) {
            this.stopSignal = stopSignal;
            return this;
        }

        /** How long a stop waits before killing; default 30 s. */
        public Builder stopGrace(Duration stopGrace) {
            this.stopGrace = stopGrace;
            return this;
        }

        /** Extra {@code host -> address} entries for the instance's hosts file. */
        public Builder extraHosts(Map<String, String> extraHosts) {
            this.extraHosts.putAll(extraHosts);
            return this;
        }

        /** Builds the spec. */
        public LaunchSpec build() {
            return new LaunchSpec(fleet, pool, runnerName, image, command, env, secrets, volumes, bindMounts,
                    devices, groups, resources, privileged, dockerSocket, networkMode, user, init, stopSignal,
                    stopGrace, extraHosts);
        }
    }
}
