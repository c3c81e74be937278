package io.runnerfleet;

import io.runnerfleet.internal.RunnerLaunch;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegistrationGrant;
import io.runnerfleet.spi.RegistrationToken;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What every runner of a pool looks like: image, labels, runner group, work directory, environment,
 * volumes, mounts, devices, groups, limits, how it registers and whether it is ephemeral. Immutable;
 * derive variants with {@link #withImage} or {@link #toBuilder}.
 *
 * <pre>{@code
 * RunnerTemplate template = RunnerTemplate.builder()
 *     .image(RunnerImage.of("s1lqc-runner:1"))
 *     .labels("phytiumpi")
 *     .devices("/dev/serial/by-id/usb-FTDI-if00-port0")
 *     .groups("dialout")
 *     .env("BOARD_COMM_UART_BAUD", "115200")
 *     .build();
 * template.effectiveLabels();        // [self-hosted, Linux, X64, phytiumpi]
 * RunnerTemplate next = template.withImage(RunnerImage.of("s1lqc-runner:2"));
 * }</pre>
 *
 * <p>Defaults (see {@link AbstractBuilder}): no image (the fleet's default image is used), no custom
 * labels, default labels on, platform {@link RunnerPlatform#LINUX_X64}, the {@code Default} runner
 * group, work directory {@code _work}, host network, the image's user, persistent, registration mode
 * {@link RegistrationMode#JIT} for ephemeral and {@link RegistrationMode#TOKEN} for persistent
 * runners, self-update allowed, no limits. Environment values whose names look secret
 * ({@link Secret#looksSecret}) print as {@code ****}. {@code build()} refuses labels that GitHub would: at
 * most {@value LabelSet#MAX_LABELS} per runner, counting the platform's default labels unless
 * {@code noDefaultLabels(true)}.
 */
public final class RunnerTemplate {
    private final RunnerImage image;
    private final LabelSet labels;
    private final boolean noDefaultLabels;
    private final RunnerPlatform platform;
    private final RunnerGroup runnerGroup;
    private final String workDirectory;
    private final Map<String, String> env;
    private final List<VolumeMount> volumes;
    private final List<BindMount> bindMounts;
    private final List<DeviceMapping> devices;
    private final List<String> groups;
    private final Resources resources;
    private final boolean privileged;
    private final boolean dockerSocket;
    private final String networkMode;
    private final String user;
    private final boolean ephemeral;
    private final RegistrationMode registrationMode;
    private final boolean disableUpdate;

    private RunnerTemplate(AbstractBuilder<?> b) {
        this.image = b.image;
        this.labels = b.labels;
        this.noDefaultLabels = b.noDefaultLabels;
        this.platform = b.platform;
        this.runnerGroup = b.runnerGroup;
        this.workDirectory = b.workDirectory;
        this.env = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
        this.volumes = List.copyOf(b.volumes);
        this.bindMounts = List.copyOf(b.bindMounts);
        this.devices = List.copyOf(b.devices);
        this.groups = List.copyOf(b.groups);
        this.resources = b.resources;
        this.privileged = b.privileged;
        this.dockerSocket = b.dockerSocket;
        this.networkMode = b.networkMode;
        this.user = b.user;
        this.ephemeral = b.ephemeral;
        this.registrationMode = b.registrationMode != null ? b.registrationMode
                : b.ephemeral ? RegistrationMode.JIT : RegistrationMode.TOKEN;
        this.disableUpdate = b.disableUpdate;
        TemplateRules.check(this);
    }

    /** A builder with the defaults listed above. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this template's settings, to derive a variant. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.copy(this);
        return b;
    }

    /** The same template started from another image. */
    public RunnerTemplate withImage(RunnerImage image) {
        return toBuilder().image(image).build();
    }

    /** The same template with these custom labels instead. */
    public RunnerTemplate withLabels(String... labels) {
        return toBuilder().labels(labels).build();
    }

    /** The image, or empty for the fleet's default image. */
    public Optional<RunnerImage> image() {
        return Optional.ofNullable(image);
    }

    /** The custom labels (without the default ones). */
    public LabelSet labels() {
        return labels;
    }

    /** Whether the runner registers without the default labels. */
    public boolean noDefaultLabels() {
        return noDefaultLabels;
    }

    /** The platform, which decides the default labels. */
    public RunnerPlatform platform() {
        return platform;
    }

    /** Every label the runner will have: the default ones (unless disabled), then the custom ones. */
    public LabelSet effectiveLabels() {
        return noDefaultLabels ? labels : platform.defaultLabels().plus(labels);
    }

    /** The runner group. */
    public RunnerGroup runnerGroup() {
        return runnerGroup;
    }

    /** The work directory ({@code config.sh --work}), relative to the runner's directory or absolute. */
    public String workDirectory() {
        return workDirectory;
    }

    /** The environment, in the order given. */
    public Map<String, String> env() {
        return env;
    }

    /** Named volumes. */
    public List<VolumeMount> volumes() {
        return volumes;
    }

    /** Host paths mounted in. */
    public List<BindMount> bindMounts() {
        return bindMounts;
    }

    /** Devices. */
    public List<DeviceMapping> devices() {
        return devices;
    }

    /** Supplementary groups. */
    public List<String> groups() {
        return groups;
    }

    /** Resource limits. */
    public Resources resources() {
        return resources;
    }

    /** Whether the runner runs privileged. */
    public boolean privileged() {
        return privileged;
    }

    /** Whether the Docker socket is mounted in. */
    public boolean dockerSocket() {
        return dockerSocket;
    }

    /** The network mode. */
    public String networkMode() {
        return networkMode;
    }

    /** The user, or empty for the image's. */
    public Optional<String> user() {
        return Optional.ofNullable(user);
    }

    /** Whether each runner takes one job and is then replaced. */
    public boolean ephemeral() {
        return ephemeral;
    }

    /** How the runner registers (resolved: never null). */
    public RegistrationMode registrationMode() {
        return registrationMode;
    }

    /** Whether the runner's self-update is disabled. */
    public boolean disableUpdate() {
        return disableUpdate;
    }

    /** Advice about risky opt-ins (privileged mode, the Docker socket), for {@link FleetEvent.Warning}s. */
    public List<String> warnings() {
        List<String> warnings = new ArrayList<>();
        if (privileged) {
            warnings.add("runs privileged: any job can take over the host; prefer devices(...) and groups(...)");
        }
        if (dockerSocket) {
            warnings.add("mounts the Docker socket: any job gets root on the host through the engine");
        }
        return warnings;
    }

    /**
     * The request for a just-in-time configuration of runner {@code name} in runner group {@code runnerGroupId}
     * (the translation lives in the fleet's internals; this is a convenience for code that launches
     * runners by hand).
     */
    public JitRequest jitRequest(RunnerName name, long runnerGroupId) {
        return RunnerLaunch.jitRequest(this, name, runnerGroupId);
    }

    /**
     * Set to {@code 1} in every runner's environment (unless the template sets it) so that a runner whose
     * version GitHub deprecated exits 7 ({@link RunnerExit#VERSION_DEPRECATED}) and fails with that reason.
     */
    public static final String VERSION_DEPRECATED_EXIT_CODE = "ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE";

    /**
     * The launch spec of runner {@code name} from this template, as the fleet launches it: the prepared
     * image, the plain environment, mounts and devices, and the runner's command. In token mode the
     * command configures the runner ({@code config.sh}, the token only in a secret) then runs it; in JIT
     * mode the config travels only in a secret. The translation lives in the fleet's internals; this is a
     * convenience for code that launches or exports runners by hand (such as a compose file).
     *
     * @param name the runner's name
     * @param imageReference the reference {@link io.runnerfleet.spi.RunnerBackend#prepare} returned
     * @param registrationUrl the registry's {@code registrationUrl()}
     * @param grant a {@link RegistrationToken} in token mode, a {@link JitConfig} for this runner in JIT mode
     * @throws InvalidSpecException if the grant does not fit the registration mode or the runner
     */
    public LaunchSpec launchSpec(RunnerName name, String imageReference, String registrationUrl, RegistrationGrant grant) {
        return RunnerLaunch.spec(this, name, imageReference, registrationUrl, grant);
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("RunnerTemplate[");
        b.append(image == null ? "fleet's default image" : image.toString());
        b.append(", labels ").append(effectiveLabels());
        if (!runnerGroup.isDefault()) {
            b.append(", group ").append(runnerGroup.name());
        }
        b.append(ephemeral ? ", ephemeral" : ", persistent").append(", ").append(registrationMode);
        if (!env.isEmpty()) {
            StringBuilder e = new StringBuilder();
            env.forEach((k, v) -> e.append(e.length() == 0 ? "" : ", ").append(k).append('=')
                    .append(Secret.looksSecret(k) ? "****" : v));
            b.append(", env {").append(e).append('}');
        }
        if (!devices.isEmpty()) {
            b.append(", devices ").append(devices);
        }
        if (!groups.isEmpty()) {
            b.append(", groups ").append(groups);
        }
        if (!volumes.isEmpty()) {
            b.append(", volumes ").append(volumes.stream().map(v -> v.name() + ":" + v.path()).toList());
        }
        if (!bindMounts.isEmpty()) {
            b.append(", mounts ").append(bindMounts.stream().map(m -> m.hostPath() + ":" + m.path() + (m.readOnly() ? ":ro" : "")).toList());
        }
        if (!resources.equals(Resources.none())) {
            b.append(", ").append(resources);
        }
        if (privileged) {
            b.append(", PRIVILEGED");
        }
        if (dockerSocket) {
            b.append(", DOCKER SOCKET");
        }
        if (!"host".equals(networkMode)) {
            b.append(", network ").append(networkMode);
        }
        if (user != null) {
            b.append(", user ").append(user);
        }
        if (disableUpdate) {
            b.append(", no self-update");
        }
        return b.append(']').toString();
    }

    /** Equal when every setting is equal. */
    @Override
    public boolean equals(Object o) {
        return o instanceof RunnerTemplate t && t.toComparable().equals(toComparable());
    }

    @Override
    public int hashCode() {
        return toComparable().hashCode();
    }

    private List<Object> toComparable() {
        return java.util.Arrays.asList(image, labels.asList(), noDefaultLabels, platform, runnerGroup, workDirectory, env,
                volumes, bindMounts, devices, groups, resources, privileged, dockerSocket, networkMode, user, ephemeral,
                registrationMode, disableUpdate);
    }

    /** Builds a {@link RunnerTemplate}. */
    public static final class Builder extends AbstractBuilder<Builder> {
        private Builder() {
        }

        /**
         * Builds the template, checking the rules that span fields.
         *
         * @throws InvalidSpecException when a rule that spans fields is broken, e.g. more than
         *         {@value LabelSet#MAX_LABELS} labels with the default ones
         */
        public RunnerTemplate build() {
            return buildTemplate();
        }
    }

    /**
     * The settings shared by {@link RunnerTemplate.Builder} and {@link RunnerPool.Builder}. Every setter
     * checks its argument and throws {@link InvalidSpecException} naming the bad value; the rules that
     * span fields are checked by {@code build()}.
     *
     * <p>Defaults: no image, no custom labels, default labels on, {@link RunnerPlatform#LINUX_X64}, group
     * {@code Default}, work directory {@code _work}, no env, volumes, mounts, devices or groups, no
     * limits, not privileged, no Docker socket, network {@code host}, the image's user, persistent,
     * registration mode by ephemerality, self-update on.
     *
     * @param <B> the concrete builder
     */
    public abstract static class AbstractBuilder<B extends AbstractBuilder<B>> {
        private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
        private static final Pattern GROUP = Pattern.compile("[a-z_][a-z0-9_-]*\\$?|[0-9]+");
        private static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?");
        private static final Pattern NETWORK = Pattern.compile("host|bridge|none|container:[A-Za-z0-9][A-Za-z0-9_.-]*|[A-Za-z0-9][A-Za-z0-9_.-]*");

        private RunnerImage image;
        private LabelSet labels = LabelSet.empty();
        private boolean noDefaultLabels;
        private RunnerPlatform platform = RunnerPlatform.LINUX_X64;
        private RunnerGroup runnerGroup = RunnerGroup.defaultGroup();
        private String workDirectory = "_work";
        private final Map<String, String> env = new LinkedHashMap<>();
        private List<VolumeMount> volumes = List.of();
        private List<BindMount> bindMounts = List.of();
        private List<DeviceMapping> devices = List.of();
        private List<String> groups = List.of();
        private Resources resources = Resources.none();
        private boolean privileged;
        private boolean dockerSocket;
        private String networkMode = "host";
        private String user;
        private boolean ephemeral;
        private RegistrationMode registrationMode;
        private boolean disableUpdate;

        AbstractBuilder() {
        }

        @SuppressWarnings("unchecked")
        private B self() {
            return (B) this;
        }

        final void copy(RunnerTemplate t) {
            image = t.image;
            labels = t.labels;
            noDefaultLabels = t.noDefaultLabels;
            platform = t.platform;
            runnerGroup = t.runnerGroup;
            workDirectory = t.workDirectory;
            env.clear();
            env.putAll(t.env);
            volumes = t.volumes;
            bindMounts = t.bindMounts;
            devices = t.devices;
            groups = t.groups;
            resources = t.resources;
            privileged = t.privileged;
            dockerSocket = t.dockerSocket;
            networkMode = t.networkMode;
            user = t.user;
            ephemeral = t.ephemeral;
            registrationMode = t.registrationMode;
            disableUpdate = t.disableUpdate;
        }

        final RunnerTemplate buildTemplate() {
            return new RunnerTemplate(this);
        }

        /** The image runners start from. */
        public B image(RunnerImage image) {
            this.image = Objects.requireNonNull(image, "image");
            return self();
        }

        /** The image runners start from, by reference ({@code name:tag}). */
        public B image(String reference) {
            return image(RunnerImage.of(reference));
        }

        /** The custom labels (the default labels are added unless {@link #noDefaultLabels}). */
        public B labels(String... labels) {
            this.labels = LabelSet.of(labels);
            return self();
        }

        /** The custom labels. */
        public B labels(LabelSet labels) {
            this.labels = Objects.requireNonNull(labels, "labels");
            return self();
        }

        /** Whether the runner registers without {@code self-hosted}, OS and architecture labels; default false. */
        public B noDefaultLabels(boolean noDefaultLabels) {
            this.noDefaultLabels = noDefaultLabels;
            return self();
        }

        /** The platform the runner runs on (its default labels); default Linux X64. */
        public B platform(RunnerPlatform platform) {
            this.platform = Objects.requireNonNull(platform, "platform");
            return self();
        }

        /** The runner group, by name, with GitHub's default access rules; default {@code Default}. */
        public B runnerGroup(String name) {
            return runnerGroup(RunnerGroup.DEFAULT_NAME.equalsIgnoreCase(name) ? RunnerGroup.defaultGroup() : RunnerGroup.named(name));
        }

        /** The runner group with its access rules. */
        public B runnerGroup(RunnerGroup group) {
            this.runnerGroup = Objects.requireNonNull(group, "group");
            return self();
        }

        /** The work directory ({@code config.sh --work}); default {@code _work}. */
        public B workDirectory(String workDirectory) {
            if (workDirectory == null || workDirectory.isBlank() || !workDirectory.strip().equals(workDirectory)
                    || workDirectory.chars().anyMatch(Character::isISOControl)
                    || List.of(workDirectory.split("/")).contains("..")) {
                throw new InvalidSpecException("work directory '" + workDirectory + "' is invalid: use a path without "
                        + "'..', control characters or surrounding whitespace, e.g. '_work' or '/work'");
            }
            this.workDirectory = workDirectory;
            return self();
        }

        /**
         * Adds one environment variable (replacing one of the same name). Values whose names look secret
         * never print, but they are plain variables of the runner: jobs can read them.
         */
        public B env(String name, String value) {
            if (name == null || !ENV_NAME.matcher(name).matches()) {
                throw new InvalidSpecException("environment variable name '" + name
                        + "' is invalid: use letters, digits and '_', not starting with a digit");
            }
            if (name.toUpperCase(java.util.Locale.ROOT).startsWith("ACTIONS_RUNNER_INPUT_")) {
                throw new InvalidSpecException("environment variable " + name + " is reserved: the fleet passes the "
                        + "runner's registration through ACTIONS_RUNNER_INPUT_* itself; use the template's settings");
            }
            if (value == null || value.indexOf('\0') >= 0) {
                throw new InvalidSpecException("environment variable " + name + " needs a value without NUL characters");
            }
            env.put(name, value);
            return self();
        }

        /** Adds every variable of {@code variables}, in its iteration order. */
        public B env(Map<String, String> variables) {
            variables.forEach(this::env);
            return self();
        }

        /** Named volumes (replacing earlier ones). */
        public B volumes(VolumeMount... volumes) {
            this.volumes = List.of(volumes);
            return self();
        }

        /** Host paths to mount (replacing earlier ones), each {@code host:container[:ro|rw]}. */
        public B bindMounts(String... specs) {
            List<BindMount> list = new ArrayList<>();
            for (String s : specs) {
                list.add(BindMount.parse(s));
            }
            return bindMounts(list.toArray(BindMount[]::new));
        }

        /** Host paths to mount (replacing earlier ones). */
        public B bindMounts(BindMount... mounts) {
            this.bindMounts = List.of(mounts);
            return self();
        }

        /** Devices (replacing earlier ones), each {@code host[:container[:perms]]}, e.g. {@code /dev/kvm}. */
        public B devices(String... specs) {
            List<DeviceMapping> list = new ArrayList<>();
            for (String s : specs) {
                list.add(DeviceMapping.parse(s));
            }
            return devices(list.toArray(DeviceMapping[]::new));
        }

        /** Devices (replacing earlier ones). */
        public B devices(DeviceMapping... devices) {
            this.devices = List.of(devices);
            return self();
        }

        /** Supplementary groups by name or gid (replacing earlier ones), e.g. {@code dialout} for serial boards. */
        public B groups(String... groups) {
            for (String g : groups) {
                if (g == null || !GROUP.matcher(g).matches()) {
                    throw new InvalidSpecException("group '" + g + "' is invalid: use a group name such as 'dialout' or a numeric gid");
                }
            }
            this.groups = List.of(groups);
            return self();
        }

        /** Resource limits; default none. */
        public B resources(Resources resources) {
            this.resources = Objects.requireNonNull(resources, "resources");
            return self();
        }

        /** Runs runners privileged: an explicit opt-in that emits a warning; default false. */
        public B privileged(boolean privileged) {
            this.privileged = privileged;
            return self();
        }

        /** Mounts the Docker socket into runners: an explicit opt-in that emits a warning; default false. */
        public B dockerSocket(boolean dockerSocket) {
            this.dockerSocket = dockerSocket;
            return self();
        }

        /** The network mode: {@code host} (default), {@code bridge}, {@code none}, {@code container:<name>} or a network name. */
        public B networkMode(String networkMode) {
            if (networkMode == null || !NETWORK.matcher(networkMode).matches()) {
                throw new InvalidSpecException("network mode '" + networkMode
                        + "' is invalid: use host, bridge, none, container:<name> or a network name");
            }
            this.networkMode = networkMode;
            return self();
        }

        /** The user runners run as ({@code name}, {@code uid} or {@code uid:gid}); default the image's. */
        public B user(String user) {
            if (user == null || !USER.matcher(user).matches()) {
                throw new InvalidSpecException("user '" + user + "' is invalid: use a name, a uid or uid:gid, e.g. 'runner' or '1001:1001'");
            }
            this.user = user;
            return self();
        }

        /** Whether each runner takes one job and is replaced; default false. */
        public B ephemeral(boolean ephemeral) {
            this.ephemeral = ephemeral;
            return self();
        }

        /** How runners register; default JIT for ephemeral runners, TOKEN for persistent ones. */
        public B registrationMode(RegistrationMode mode) {
            this.registrationMode = Objects.requireNonNull(mode, "mode");
            return self();
        }

        /** Whether the runner's self-update is disabled ({@code --disableupdate}, token mode only); default false. */
        public B disableUpdate(boolean disableUpdate) {
            this.disableUpdate = disableUpdate;
            return self();
        }
    }
}
