package io.runnerfleet.docker;

import io.runnerfleet.BindMount;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.Resources;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.internal.HostGroups;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerCommand;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One runner container as Runner Fleet lays it out, derived from a {@link LaunchSpec}: the one place
 * that decides its labels, volume names, mounts, devices, groups, limits and log rotation.
 * {@link DockerBackend} turns it into an engine create call and {@link ComposeExport} into a compose
 * service, so the two cannot drift apart. Maps keep the spec's order; a writer that wants a stable
 * text sorts them itself.
 *
 * @param name the container's name (the runner's name)
 * @param image the image reference as the spec gives it
 * @param command what the container's shell runs; each writer wraps it in its own script
 * @param env plain environment (secrets never appear here)
 * @param labels the ownership labels of the container
 * @param volumes the named volumes the runner needs, {@code <runner>-<volume>}, in mount order
 * @param volumeLabels the ownership labels of each of those volumes
 * @param mounts named volumes, bind mounts and the Docker socket, in that order
 * @param devices devices, as the device rule given to {@link #of} left them
 * @param groups supplementary groups resolved to the host's gids
 * @param user the user to run as, or null for the image's
 * @param extraHosts host name to address
 * @param logDriver the engine's log driver
 * @param logOptions the log driver's options (rotation)
 */
record ContainerPlan(
        String name,
        String image,
        RunnerCommand command,
        Map<String, String> env,
        Map<String, String> labels,
        List<String> volumes,
        Map<String, String> volumeLabels,
        List<Mount> mounts,
        List<DeviceMapping> devices,
        List<String> groups,
        String networkMode,
        boolean privileged,
        boolean init,
        String user,
        String stopSignal,
        Duration stopGrace,
        Resources resources,
        Map<String, String> extraHosts,
        String logDriver,
        Map<String, String> logOptions) {

    /** The host's Docker socket, mounted only when a spec opts in. */
    static final String DOCKER_SOCKET = "/var/run/docker.sock";

    /** One mount: a named volume or host path at a path inside the container. */
    record Mount(String source, String target, boolean readOnly) {
        /** The short form {@code source:target[:ro]}. */
        String shortForm() {
            return source + ":" + target + (readOnly ? ":ro" : "");
        }
    }

    ContainerPlan {
        env = unmodifiable(env);
        labels = unmodifiable(labels);
        volumes = List.copyOf(volumes);
        volumeLabels = unmodifiable(volumeLabels);
        mounts = List.copyOf(mounts);
        devices = List.copyOf(devices);
        groups = List.copyOf(groups);
        extraHosts = unmodifiable(extraHosts);
        logOptions = unmodifiable(logOptions);
    }

    /**
     * The plan for one spec.
     *
     * @param hostGroups where group names become gids
     * @param deviceRule what becomes of each device: the backend checks and resolves it on the engine's
     *     host; the compose export keeps the path as given, since the file may run after a replug
     * @throws io.runnerfleet.InvalidSpecException from the device rule, or for a group the host lacks
     */
    static ContainerPlan of(LaunchSpec spec, HostGroups hostGroups, UnaryOperator<DeviceMapping> deviceRule) {
        String name = spec.runnerName();
        List<DeviceMapping> devices = spec.devices().stream().map(deviceRule).toList();
        List<String> groups = hostGroups.resolve(spec.groups(), name);
        Map<String, String> labels = Ownership.containerLabels(spec);
        List<String> volumes = new ArrayList<>();
        List<Mount> mounts = new ArrayList<>();
        for (VolumeMount v : spec.volumes()) {
            String volume = name + "-" + v.name();
            volumes.add(volume);
            mounts.add(new Mount(volume, v.path(), false));
        }
        for (BindMount m : spec.bindMounts()) {
            mounts.add(new Mount(m.hostPath(), m.path(), m.readOnly()));
        }
        if (spec.dockerSocket()) {
            mounts.add(new Mount(DOCKER_SOCKET, DOCKER_SOCKET, false));
        }
        Map<String, String> logOptions = new LinkedHashMap<>();
        logOptions.put("max-size", "10m");
        logOptions.put("max-file", "3");
        String user = spec.user() == null || spec.user().isBlank() ? null : spec.user();
        return new ContainerPlan(name, spec.image(), spec.command(), spec.env(), labels, volumes,
                Ownership.volumeLabels(labels), mounts, devices, groups, spec.networkMode(), spec.privileged(),
                spec.init(), user, spec.stopSignal(), spec.stopGrace(), spec.resources(), spec.extraHosts(),
                "json-file", logOptions);
    }

    /** The entrypoint: the image's {@code /bin/sh} running this script. */
    static List<String> entrypoint(String script) {
        return List.of("/bin/sh", "-c", script);
    }

    /** Entries of a name-to-value map in the engine's {@code name<separator>value} form, in the map's order. */
    static List<String> entries(Map<String, String> values, String separator) {
        List<String> entries = new ArrayList<>(values.size());
        values.forEach((k, v) -> entries.add(k + separator + v));
        return entries;
    }

    // Keeps the order (unlike Map.copyOf), which the labels and log options are written in.
    private static Map<String, String> unmodifiable(Map<String, String> map) {
        return Collections.unmodifiableMap(new LinkedHashMap<>(map));
    }
}
