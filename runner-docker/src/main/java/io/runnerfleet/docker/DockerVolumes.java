package io.runnerfleet.docker;

import com.github.dockerjava.api.command.InspectVolumeResponse;
import com.github.dockerjava.api.exception.ConflictException;
import com.github.dockerjava.api.exception.NotFoundException;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The runners' named volumes on the engine: created with ownership labels, adopted when ours,
 * refused when foreign, and removed only when their labels say they are ours.
 */
final class DockerVolumes {
    private final Engine engine;

    DockerVolumes(Engine engine) {
        this.engine = engine;
    }

    /**
     * Creates the volume, or adopts ours; refuses a foreign one.
     *
     * @return whether it was created now
     * @throws ContainerConflictException if a volume of that name lacks the ownership labels
     */
    boolean ensure(String volume, Map<String, String> labels) {
        return engine.call("create volume " + volume, () -> {
            try {
                InspectVolumeResponse v = engine.client().inspectVolumeCmd(volume).exec();
                if (!Ownership.isOwned(v.getLabels())) {
                    throw new ContainerConflictException(volume, true, "a volume named " + volume + " exists on "
                            + engine.endpoint() + " but was not created by Runner Fleet; it is left alone: remove it"
                            + " yourself or choose another runner or volume name");
                }
                return false;
            } catch (NotFoundException e) {
                engine.client().createVolumeCmd().withName(volume).withLabels(labels).exec();
                return true;
            }
        });
    }

    /** Removes the volume if it is ours and belongs to this runner; a missing one is fine. */
    void removeOwned(String volume, String runner) {
        engine.call("remove volume " + volume, () -> {
            try {
                InspectVolumeResponse v = engine.client().inspectVolumeCmd(volume).exec();
                Map<String, String> labels = v.getLabels() == null ? Map.of() : v.getLabels();
                if (Ownership.isOwned(labels) && Objects.equals(labels.get(Ownership.RUNNER_LABEL), runner)) {
                    engine.client().removeVolumeCmd(volume).exec();
                }
            } catch (NotFoundException alreadyGone) {
                // Idempotent.
            }
            return null;
        });
    }

    /** Removes every volume of the fleet that no container uses. */
    void removeFleet(String fleet) {
        var listed = engine.call("list volumes of fleet " + fleet, () -> engine.client().listVolumesCmd()
                .withFilter("label", List.of(Ownership.FLEET_LABEL + "=" + fleet)).exec());
        if (listed.getVolumes() == null) {
            return;
        }
        for (InspectVolumeResponse v : listed.getVolumes()) {
            Map<String, String> labels = v.getLabels() == null ? Map.of() : v.getLabels();
            if (!Ownership.isOwned(labels) || !fleet.equals(labels.get(Ownership.FLEET_LABEL))) {
                continue;
            }
            engine.call("remove volume " + v.getName(), () -> {
                try {
                    engine.client().removeVolumeCmd(v.getName()).exec();
                } catch (NotFoundException alreadyGone) {
                    // Idempotent.
                } catch (ConflictException inUse) {
                    // A container of the fleet still uses it (a runner left running a job): it stays with it.
                    Engine.LOG.debug("volume {} is in use and stays", v.getName());
                }
                return null;
            });
        }
    }

    /** Undoes {@link #ensure} after a failed launch; failures are only logged. */
    void removeQuietly(String volume) {
        try {
            engine.client().removeVolumeCmd(volume).exec();
        } catch (RuntimeException e) {
            Engine.LOG.debug("could not remove volume {} after a failed launch: {}", volume, e.toString());
        }
    }
}
