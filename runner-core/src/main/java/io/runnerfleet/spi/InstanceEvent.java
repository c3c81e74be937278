package io.runnerfleet.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something happened to a runner instance the fleet owns.
 *
 * @param instanceId the instance
 * @param runnerName its runner
 * @param kind what happened
 * @param exitCode the exit code, for {@link Kind#EXITED} only
 * @param at when
 */
public record InstanceEvent(String instanceId, String runnerName, Kind kind, @Nullable Integer exitCode, Instant at) {
    /** What happened to an instance. */
    public enum Kind {
        /** It started. */
        STARTED,
        /** Its main process exited (see the exit code; 0 after an ephemeral runner's job). */
        EXITED,
        /** The kernel killed it for memory. */
        OOM_KILLED,
        /** It was removed. */
        DESTROYED
    }

    /** Checks the parts are present. */
    public InstanceEvent {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
        runnerName = runnerName == null ? "" : runnerName;
    }
}
