package io.runnerfleet.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The Docker build context of the local base image every test image starts from: {@code FROM scratch}
 * plus the host's static busybox, so nothing is ever pulled from a registry.
 *
 * <pre>{@code
 * Path context = BusyboxBaseImage.writeContext(Files.createTempDirectory("base"));
 * // docker build -t runnerfleet-test/busybox:1 <context>
 * }</pre>
 *
 * <p>Needs a statically linked busybox at {@code /bin/busybox} (Debian's {@code busybox-static};
 * {@code scripts/docker-engine.sh} installs it). A dynamically linked one would not run in a
 * {@code scratch} image, so it is refused with a message that says what to install.
 */
public final class BusyboxBaseImage {
    /** The tag tests build the base image under. */
    public static final String TAG = "runnerfleet-test/busybox:1";

    /** Where the static busybox is expected on the host. */
    public static final Path HOST_BUSYBOX = Path.of("/bin/busybox");

    private BusyboxBaseImage() {
    }

    /**
     * Writes {@code Dockerfile} and {@code busybox} into {@code dir} and returns it.
     *
     * @throws IllegalStateException if the host has no static busybox
     */
    public static Path writeContext(Path dir) {
        if (!Files.isRegularFile(HOST_BUSYBOX)) {
            throw new IllegalStateException("no busybox at " + HOST_BUSYBOX
                    + ": install the static one (apt-get install busybox-static) or run scripts/docker-engine.sh");
        }
        try {
            if (!isStatic(HOST_BUSYBOX)) {
                throw new IllegalStateException(HOST_BUSYBOX + " is dynamically linked and cannot run in a scratch image: "
                        + "install busybox-static (apt-get install busybox-static)");
            }
            Files.createDirectories(dir);
            Files.copy(HOST_BUSYBOX, dir.resolve("busybox"), StandardCopyOption.REPLACE_EXISTING);
            Files.writeString(dir.resolve("Dockerfile"), String.join("\n",
                    "FROM scratch",
                    "COPY busybox /bin/busybox",
                    "RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]",
                    "RUN mkdir -p /tmp /etc /root && chmod 1777 /tmp"
                            + " && echo 'root:x:0:0:root:/root:/bin/sh' > /etc/passwd"
                            + " && echo 'root:x:0:' > /etc/group",
                    "ENV PATH=/bin",
                    "CMD [\"/bin/sh\"]",
                    ""));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the busybox base image context to " + dir, e);
        }
    }

    // An ELF file with a PT_INTERP program header is dynamically linked.
    private static boolean isStatic(Path elf) throws IOException {
        byte[] bytes = Files.readAllBytes(elf);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 64 || bytes[0] != 0x7f || bytes[1] != 'E' || bytes[2] != 'L' || bytes[3] != 'F' || bytes[4] != 2) {
            return true; // not a 64-bit ELF we can read: let the build say what is wrong
        }
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36));
        int phnum = Short.toUnsignedInt(b.getShort(0x38));
        for (int i = 0; i < phnum; i++) {
            int type = b.getInt((int) (phoff + (long) i * phentsize));
            if (type == 3) { // PT_INTERP
                return false;
            }
        }
        return true;
    }
}
