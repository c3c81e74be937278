package io.runnerfleet.spi;

import io.runnerfleet.RunnerImage;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The compute side of a fleet: images, runner instances (containers or processes), their logs and
 * events. Instances carry ownership labels (fleet, pool, runner, spec hash) so a new JVM finds and
 * adopts what an earlier one created; a backend never touches an instance without them.
 *
 * <p>Implementations are blocking and thread-safe. {@link #start}, {@link #stop} and {@link #remove}
 * are idempotent: acting on an instance already in the wanted state, or already gone, is not an error.
 * An unreachable engine raises {@link io.runnerfleet.BackendUnavailableException}.
 */
public interface RunnerBackend extends AutoCloseable {

    /**
     * Makes an image ready to launch from: builds a Dockerfile image (skipped when nothing changed),
     * or checks (and pulls, where the backend can) a referenced one.
     *
     * @return the reference instances are launched from
     */
    String prepare(RunnerImage image, Consumer<BuildProgress> progress);

    /** Creates and starts one runner instance, delivering {@link LaunchSpec#secrets()} without persisting them. */
    InstanceInfo launch(LaunchSpec spec);

    /** Starts a stopped instance again (its volumes are kept). Idempotent. */
    void start(String instanceId);

    /** Stops an instance, sending its stop signal and killing it after {@code grace}. Idempotent. */
    void stop(String instanceId, Duration grace);

    /** Removes an instance and, unless {@code keepVolumes}, its volumes. Idempotent. */
    void remove(String instanceId, boolean keepVolumes);

    /** Every instance owned by {@code fleet}, found by ownership label, in any state. */
    List<InstanceInfo> instances(String fleet);

    /** Reads an instance's output; a following stream ends when it is closed or the instance stops. */
    LogStream logs(String instanceId, LogQuery query);

    /** Subscribes to events (exited, died, OOM-killed, destroyed) of the instances {@code fleet} owns. */
    Subscription events(String fleet, Consumer<InstanceEvent> listener);

    /**
     * Removes the volumes {@code fleet} owns (found by ownership label) that no instance uses: those of
     * runners removed with their volumes kept, or whose instance vanished. Called when a fleet is removed.
     * Idempotent; the default does nothing (a backend without volumes).
     */
    default void removeVolumes(String fleet) {
    }

    /** One instance of {@code fleet} by id or name, if it exists. */
    default Optional<InstanceInfo> instance(String fleet, String idOrName) {
        return instances(fleet).stream()
                .filter(i -> i.id().equals(idOrName) || i.name().equals(idOrName) || i.runnerName().equals(idOrName))
                .findFirst();
    }

    /** Releases the backend's connections; instances keep running. */
    @Override
    void close();
}
