package io.runnerfleet.github.scaleset;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where a {@link ScaleSetListener} keeps what it must remember across restarts: the scale set's id, the
 * open session's id and the id of the last acknowledged message. None of it is secret; no token is ever
 * stored.
 *
 * <pre>{@code
 * ScaleSetState state = ScaleSetState.file(Path.of("/var/lib/fleet/qemu.scaleset.json"));
 * state.load();                                       // Snapshot[qemu, set 42, session ..., last message 17]
 * }</pre>
 *
 * <p>Implement it to keep the state elsewhere (a database row); {@code save} must be atomic: after a
 * crash {@code load} returns either the old or the new snapshot, never a mix.
 */
public interface ScaleSetState {
    /** The stored snapshot, or {@link Snapshot#EMPTY} when nothing was stored yet. */
    Snapshot load();

    /** Replaces the stored snapshot atomically. */
    void save(Snapshot snapshot);

    /**
     * A small JSON file, written atomically (a temporary file in the same directory, then a move) with
     * owner-only ({@code 0600}) permissions where the file system supports them. The directory is created
     * when missing.
     *
     * @throws io.runnerfleet.InvalidSpecException from {@link #load()} when the file exists but is not a
     *     snapshot (the message names the file; delete it to start afresh)
     */
    static ScaleSetState file(Path path) {
        return new FileScaleSetState(Objects.requireNonNull(path, "path"));
    }

    /** A state that lives as long as the object: nothing survives a restart (tests, one-shot tools). */
    static ScaleSetState inMemory() {
        AtomicReference<Snapshot> ref = new AtomicReference<>(Snapshot.EMPTY);
        return new ScaleSetState() {
            @Override
            public Snapshot load() {
                return ref.get();
            }

            @Override
            public void save(Snapshot snapshot) {
                ref.set(Objects.requireNonNull(snapshot, "snapshot"));
            }

            @Override
            public String toString() {
                return "ScaleSetState[in memory, " + ref.get() + "]";
            }
        };
    }

    /**
     * What is remembered.
     *
     * @param scaleSetName the scale set's name (a snapshot of another set is ignored), empty when none
     * @param scaleSetId the scale set's id, {@code 0} when unknown
     * @param sessionId the open session's id, empty when none is open
     * @param lastMessageId the id of the last acknowledged message, {@code 0} for none
     */
    record Snapshot(String scaleSetName, long scaleSetId, Optional<String> sessionId, long lastMessageId) {
        /** Nothing remembered. */
        public static final Snapshot EMPTY = new Snapshot("", 0, Optional.empty(), 0);

        /** Checks the parts. */
        public Snapshot {
            Objects.requireNonNull(scaleSetName, "scaleSetName");
            Objects.requireNonNull(sessionId, "sessionId");
            if (scaleSetId < 0 || lastMessageId < 0) {
                throw new IllegalArgumentException("scaleSetId and lastMessageId must not be negative");
            }
        }

        Snapshot withSession(String id) {
            return new Snapshot(scaleSetName, scaleSetId, Optional.ofNullable(id), lastMessageId);
        }

        Snapshot withLastMessageId(long id) {
            return new Snapshot(scaleSetName, scaleSetId, sessionId, id);
        }
    }
}
