package io.runnerfleet.spi;

import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Something happened to a runner instance the fleet owns.
 *
 * <p>{@link Kind#LISTENING} is optional: a backend that can see what the runner inside prints sends it
 * once per launch, when the runner says it is connected and listening for jobs; one that cannot simply
 * never sends it, and the fleet then sees the runner online through GitHub's runner list alone.
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
        DESTROYED,
        /**
         * The runner inside said it is connected to GitHub and listening for jobs (its {@code Listening for
         * Jobs} line, see {@link #saysListening}). Optional, at most once per launch; the fleet takes it as
         * evidence that the runner is online and still waits for GitHub's runner list to confirm it.
         */
        LISTENING
    }

    /**
     * Whether {@code line}, one line of what a runner printed, is the runner's {@code <UTC time>: Listening for
     * Jobs} line, the one a backend turns into {@link Kind#LISTENING}.
     */
    public static boolean saysListening(String line) {
        return line != null && line.strip().endsWith("Listening for Jobs");
    }

    /** Checks the parts are present. */
    public InstanceEvent {
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(at, "at");
        runnerName = runnerName == null ? "" : runnerName;
    }
}
