package io.runnerfleet.docker.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * The files of a Dockerfile build context after {@code .dockerignore}, their hash (with the build
 * arguments, target and Dockerfile name) and their tar stream. The same file list feeds the hash and
 * the tar, so a file that does not reach the engine never forces a rebuild.
 */
public final class BuildContext {
    private final Path root;
    private final String dockerfile;
    private final List<String> files;

    private BuildContext(Path root, String dockerfile, List<String> files) {
        this.root = root;
        this.dockerfile = dockerfile;
        this.files = files;
    }

    /**
     * Scans a context directory.
     *
     * @throws InvalidSpecException if the directory or its Dockerfile is missing
     */
    public static BuildContext scan(RunnerImage.Dockerfile image) {
        Path root = image.context().toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) {
            throw new InvalidSpecException("build context " + root + " for image " + image.tag()
                    + " is not a directory; point RunnerImage.dockerfile(...) at the directory holding the Dockerfile");
        }
        String dockerfile = image.dockerfile().replace('\\', '/');
        Path dockerfilePath = root.resolve(dockerfile).normalize();
        if (!dockerfilePath.startsWith(root)) {
            throw new InvalidSpecException("Dockerfile '" + image.dockerfile() + "' of image " + image.tag()
                    + " lies outside its context " + root + "; give a path relative to the context");
        }
        if (!Files.isRegularFile(dockerfilePath)) {
            throw new InvalidSpecException("no Dockerfile at " + dockerfilePath + " for image " + image.tag()
                    + "; create it or name the right one with .dockerfile(\"path/in/context\")");
        }
        dockerfile = root.relativize(dockerfilePath).toString().replace('\\', '/');
        try {
            Path ignoreFile = root.resolve(".dockerignore");
            DockerIgnore ignore = Files.isRegularFile(ignoreFile)
                    ? DockerIgnore.parse(Files.readString(ignoreFile, StandardCharsets.UTF_8))
                    : DockerIgnore.none();
            List<String> files = new ArrayList<>();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                    if (p.equals(root)) {
                        continue;
                    }
                    String rel = root.relativize(p).toString().replace('\\', '/');
                    // The engine always needs the Dockerfile and .dockerignore, even when ignored.
                    if (!ignore.excludes(rel) || rel.equals(dockerfile) || rel.equals(".dockerignore")) {
                        files.add(rel);
                    }
                }
            }
            return new BuildContext(root, dockerfile, List.copyOf(files));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read build context " + root, e);
        }
    }

    /** The Dockerfile's path relative to the context. */
    public String dockerfile() {
        return dockerfile;
    }

    /** The context-relative paths sent to the engine, sorted. */
    public List<String> files() {
        return files;
    }

    /**
     * A hash (64 hex digits) over every sent file's path, type, executable bit and content, plus the
     * Dockerfile name, target and build arguments.
     */
    public String hash(Map<String, String> buildArgs, String target) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            update(digest, "dockerfile=" + dockerfile);
            update(digest, "target=" + (target == null ? "" : target));
            for (Map.Entry<String, String> arg : new TreeMap<>(buildArgs).entrySet()) {
                update(digest, "arg=" + arg.getKey() + "=" + arg.getValue());
            }
            for (String rel : files) {
                Path p = root.resolve(rel);
                if (Files.isSymbolicLink(p)) {
                    update(digest, "link=" + rel + "->" + Files.readSymbolicLink(p));
                } else if (Files.isDirectory(p)) {
                    update(digest, "dir=" + rel);
                } else {
                    update(digest, "file=" + rel + (Files.isExecutable(p) ? ":x" : ":-") + ":" + Files.size(p));
                    try (InputStream in = Files.newInputStream(p)) {
                        byte[] buf = new byte[65536];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            digest.update(buf, 0, n);
                        }
                    }
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash build context " + root, e);
        }
    }

    private static void update(MessageDigest digest, String s) {
        digest.update(s.getBytes(StandardCharsets.UTF_8));
        digest.update((byte) 0);
    }

    /** Writes the context as a tar stream (the engine's build input). */
    public void writeTar(OutputStream out) {
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            for (String rel : files) {
                Path p = root.resolve(rel);
                TarArchiveEntry entry;
                if (Files.isSymbolicLink(p)) {
                    entry = new TarArchiveEntry(rel, TarArchiveEntry.LF_SYMLINK);
                    entry.setLinkName(Files.readSymbolicLink(p).toString());
                    tar.putArchiveEntry(entry);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    entry = new TarArchiveEntry(rel + "/");
                    entry.setMode(040755);
                    tar.putArchiveEntry(entry);
                } else {
                    entry = new TarArchiveEntry(p.toFile(), rel);
                    entry.setMode(Files.isExecutable(p) ? 0100755 : 0100644);
                    tar.putArchiveEntry(entry);
                    Files.copy(p, tar);
                }
                tar.closeArchiveEntry();
            }
            tar.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot pack build context " + root, e);
        }
    }
}
