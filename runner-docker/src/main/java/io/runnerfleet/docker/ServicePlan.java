package io.runnerfleet.docker;

import com.github.dockerjava.api.model.ContainerSpec;
import com.github.dockerjava.api.model.ContainerSpecFile;
import com.github.dockerjava.api.model.ContainerSpecSecret;
import com.github.dockerjava.api.model.Mount;
import com.github.dockerjava.api.model.MountType;
import com.github.dockerjava.api.model.NetworkAttachmentConfig;
import com.github.dockerjava.api.model.ResourceRequirements;
import com.github.dockerjava.api.model.ResourceSpecs;
import com.github.dockerjava.api.model.ServiceModeConfig;
import com.github.dockerjava.api.model.ServicePlacement;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceRestartCondition;
import com.github.dockerjava.api.model.ServiceRestartPolicy;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.TaskSpec;
import com.github.dockerjava.api.model.VolumeOptions;
import io.runnerfleet.BindMount;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Resources;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.internal.SecretHandoff;
import io.runnerfleet.spi.LaunchSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One runner as a Swarm service, derived from a {@link LaunchSpec}: a single-replica service that the
 * swarm never restarts by itself (a runner exit is the reconciler's to see and act on, and a
 * registration secret is single-use), labelled with the ownership labels on the service and on its
 * containers, placed by the pool's constraints. Pure: {@link SwarmBackend} sends it.
 *
 * <p>The secrets travel as one Docker secret, mounted as the file {@link #SECRET_FILE}; the container's
 * shell reads it as its stdin, in the format {@link SecretHandoff} writes, so the same prelude runs
 * as on a plain engine and nothing secret is in the service's or task's spec.
 */
final class ServicePlan {
    /** Where the hand-over secret is mounted in the container. */
    static final String SECRET_FILE = "/run/secrets/runnerfleet-handoff";

    private ServicePlan() {
    }

    /**
     * Checks that Swarm can run {@code spec} at all.
     *
     * @throws InvalidSpecException naming the runner and why (devices, privileged, groups, pids limit)
     */
    static void check(LaunchSpec spec) {
        String why = null;
        if (!spec.devices().isEmpty()) {
            why = "maps devices " + spec.devices() + ", which Swarm services cannot do";
        } else if (spec.privileged()) {
            why = "runs privileged, which Swarm services cannot do";
        } else if (!spec.groups().isEmpty()) {
            why = "asks for supplementary groups " + spec.groups() + " (for device access), which this backend does not resolve on the nodes";
        } else if (spec.resources().pids() != null) {
            why = "sets a pids limit, which Docker Swarm's API 1.41 cannot set";
        }
        if (why != null) {
            throw new InvalidSpecException("runner " + spec.runnerName() + " " + why
                    + "; run its pool on DockerBackend (board and device pools stay on a plain engine)");
        }
        for (String name : spec.secrets().keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidSpecException("runner " + spec.runnerName() + ": secret variable name '" + name
                        + "' is not a shell variable name; use letters, digits and '_'");
            }
        }
    }

    /**
     * The service spec; {@code secretName} and {@code secretId} name the Docker secret holding the
     * hand-over, or are null when the spec has no secrets.
     */
    static ServiceSpec of(LaunchSpec spec, List<String> constraints, String secretName, String secretId) {
        check(spec);
        Map<String, String> labels = Ownership.containerLabels(spec);
        // Stdin is the secret file when there is one, else nothing: the prelude reads a count of 0.
        String stdin = secretName != null ? "exec 0<" + SECRET_FILE + "; " : "exec 0</dev/null; ";
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        List<String> hosts = new ArrayList<>();
        spec.extraHosts().forEach((host, address) -> hosts.add(address + " " + host));
        ContainerSpec container = new ContainerSpec()
                .withImage(spec.image())
                .withLabels(labels)
                .withCommand(List.of("/bin/sh", "-c", stdin + SecretHandoff.prelude(spec.command())))
                .withEnv(env)
                .withHosts(hosts)
                .withMounts(mounts(spec, labels))
                .withInit(spec.init())
                .withStopSignal(spec.stopSignal())
                .withStopGracePeriod(spec.stopGrace().toNanos());
        if (spec.user() != null) {
            container.withUser(spec.user());
        }
        if (secretName != null) {
            // Readable by whatever user the image runs as: the file lives on the task's own tmpfs.
            container.withSecrets(List.of(new ContainerSpecSecret().withSecretName(secretName).withSecretId(secretId)
                    .withFile(new ContainerSpecFile().withName("runnerfleet-handoff").withUid("0").withGid("0").withMode(0444L))));
        }
        TaskSpec task = new TaskSpec()
                .withContainerSpec(container)
                .withRestartPolicy(new ServiceRestartPolicy().withCondition(ServiceRestartCondition.NONE))
                .withPlacement(new ServicePlacement().withConstraints(List.copyOf(constraints)))
                .withNetworks(List.of(new NetworkAttachmentConfig().withTarget(spec.networkMode())));
        Resources r = spec.resources();
        if (r.cpus() != null || r.memoryBytes() != null) {
            ResourceSpecs limits = new ResourceSpecs();
            if (r.cpus() != null) {
                limits.withNanoCPUs((long) (r.cpus() * 1e9));
            }
            if (r.memoryBytes() != null) {
                limits.withMemoryBytes(r.memoryBytes());
            }
            task.withResources(new ResourceRequirements().withLimits(limits));
        }
        return new ServiceSpec()
                .withName(spec.runnerName())
                .withLabels(labels)
                .withTaskTemplate(task)
                .withMode(new ServiceModeConfig().withReplicated(new ServiceReplicatedModeOptions().withReplicas(1)));
    }

    // Named volumes live on whichever node runs the task: they follow the runner only while it stays there.
    private static List<Mount> mounts(LaunchSpec spec, Map<String, String> labels) {
        List<Mount> mounts = new ArrayList<>();
        for (VolumeMount v : spec.volumes()) {
            mounts.add(new Mount().withType(MountType.VOLUME).withSource(spec.runnerName() + "-" + v.name())
                    .withTarget(v.path()).withVolumeOptions(new VolumeOptions().withLabels(Ownership.volumeLabels(labels))));
        }
        for (BindMount b : spec.bindMounts()) {
            mounts.add(new Mount().withType(MountType.BIND).withSource(b.hostPath()).withTarget(b.path()).withReadOnly(b.readOnly()));
        }
        if (spec.dockerSocket()) {
            mounts.add(new Mount().withType(MountType.BIND).withSource("/var/run/docker.sock").withTarget("/var/run/docker.sock"));
        }
        return mounts;
    }
}
