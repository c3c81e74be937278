package io.runnerfleet.github.scaleset;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.github.internal.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@link ScaleSetState#file(Path)}: a small JSON file, replaced atomically, readable by its owner only. */
final class FileScaleSetState implements ScaleSetState {
    private static final int VERSION = 1;
    private final Path path;

    FileScaleSetState(Path path) {
        this.path = path.toAbsolutePath();
    }

    /** {@code ~/.runner-fleet/scalesets/<host>-<scope>-<name>.json}: one file per GitHub host, scope and set. */
    static Path defaultPath(ScaleSetEndpoint e, String scaleSetName) {
        String file = (e.webUrl().replaceFirst("^https?://", "") + "-" + e.scope().owner()
                + (e.scope().repository() == null ? "" : "-" + e.scope().repository()) + "-" + scaleSetName)
                .replaceAll("[^A-Za-z0-9._-]", "_") + ".json";
        return Path.of(System.getProperty("user.home"), ".runner-fleet", "scalesets", file);
    }

    @Override
    public synchronized Snapshot load() {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Snapshot.EMPTY;
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the scale-set state file " + path, e);
        }
        try {
            Map<String, Object> o = Json.object(Json.parse(text), "the state file");
            Long version = Json.optInteger(o, "version");
            if (version == null || version != VERSION) {
                throw new Json.MalformedJsonException("its version is " + version + ", expected " + VERSION);
            }
            Long id = Json.optInteger(o, "scaleSetId");
            Long last = Json.optInteger(o, "lastMessageId");
            String name = Json.optString(o, "scaleSetName");
            return new Snapshot(name == null ? "" : name, id == null ? 0 : id,
                    Optional.ofNullable(Json.optString(o, "sessionId")), last == null ? 0 : last);
        } catch (Json.MalformedJsonException | IllegalArgumentException e) {
            throw new InvalidSpecException("the scale-set state file " + path + " is not a state snapshot ("
                    + e.getMessage() + "); fix or delete it (the listener then starts afresh and may see the"
                    + " latest unacknowledged messages again)");
        }
    }

    @Override
    public synchronized void save(Snapshot snapshot) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("version", VERSION);
        o.put("scaleSetName", snapshot.scaleSetName());
        o.put("scaleSetId", snapshot.scaleSetId());
        snapshot.sessionId().ifPresent(s -> o.put("sessionId", s));
        o.put("lastMessageId", snapshot.lastMessageId());
        Path dir = path.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
            tmp = posix ? Files.createTempFile(dir, "." + path.getFileName(), ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, "." + path.getFileName(), ".tmp");
            Files.writeString(tmp, Json.write(o) + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the scale-set state file " + path, e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // Best effort: the temporary file holds no secret.
                }
            }
        }
    }

    @Override
    public String toString() {
        return "ScaleSetState[" + path + "]";
    }
}
