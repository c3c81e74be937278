package io.runnerfleet.docker.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Stand-ins for the host facts a test needs and a machine may lack: a device node such as {@code /dev/kvm},
 * a {@code /dev/serial/by-id/...} link, a group such as {@code dialout}. A stand-in is made only when the
 * real thing is missing, and {@link #close()} removes exactly what this object made, deepest first, so a test
 * leaves the host as it found it. Where a stand-in cannot be made (not root, no {@code mknod}), the test is
 * skipped with a printed reason naming what is missing.
 *
 * <pre>{@code
 * static HostStandIns host = new HostStandIns("MyIT");
 * @BeforeAll static void devices() { host.characterDevice("/dev/kvm", 10, 232); }
 * @AfterAll static void restore() { host.close(); }
 * }</pre>
 *
 * <p>What each run made is also written to a ledger file ({@code /run} for paths, {@code /var/lib} for groups), so that a stand-in left by a run
 * that was killed is recognised as a stand-in (and removed) by the next run, not taken for a real device.
 */
public final class HostStandIns implements AutoCloseable {
    // Each ledger lives as long as what it lists: device paths as long as /dev (a tmpfs, like /run), groups as
    // long as /etc/group (on disk, like /var/lib). Where those are not writable, the temporary directory.
    private static final Path PATH_LEDGER = ledgerIn("/run", "runnerfleet-test-standins");
    private static final Path GROUP_LEDGER = ledgerIn("/var/lib", "runnerfleet-test-standin-groups");

    private final String who;
    /** Paths this object made, deepest (most recent) first. */
    private final List<Path> madePaths = new ArrayList<>();
    private final List<String> madeGroups = new ArrayList<>();

    /** Stand-ins for the test class {@code who} (named in skip messages). */
    public HostStandIns(String who) {
        this.who = who;
    }

    /** Whether this JVM runs as root (uid 0), which making devices and groups needs. */
    public static boolean root() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static Path ledgerIn(String dir, String file) {
        Path d = Path.of(dir);
        return Files.isDirectory(d) && Files.isWritable(d) ? d.resolve(file)
                : Path.of(System.getProperty("java.io.tmpdir"), file);
    }

    private static Path ledgerOf(String entry) {
        return entry.startsWith("group:") ? GROUP_LEDGER : PATH_LEDGER;
    }

    /** Whether {@code entry} is a stand-in some earlier run made and did not get to remove. */
    private static boolean inLedger(String entry) {
        Path ledger = ledgerOf(entry);
        try {
            return Files.exists(ledger) && Files.readAllLines(ledger, StandardCharsets.UTF_8).contains(entry);
        } catch (IOException e) {
            return false;
        }
    }

    private static synchronized void ledger(String entry, boolean add) {
        Path ledger = ledgerOf(entry);
        try {
            Set<String> lines = new LinkedHashSet<>(Files.exists(ledger)
                    ? Files.readAllLines(ledger, StandardCharsets.UTF_8) : List.of());
            if (add ? lines.add(entry) : lines.remove(entry)) {
                if (lines.isEmpty()) {
                    Files.deleteIfExists(ledger);
                } else {
                    Files.write(ledger, lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update the stand-in ledger " + ledger, e);
        }
    }

    /**
     * Makes {@code path} a character device {@code major:minor} when nothing is there (for {@code /dev/kvm}:
     * 10:232). A device that already exists is used as it is: the container only maps it, never opens it.
     *
     * @return whether a stand-in was made
     */
    public synchronized boolean characterDevice(String path, int major, int minor) {
        Path p = Path.of(path);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            adoptLeftover(p);
            return false;
        }
        requireRoot(path + " is missing");
        makeParents(p);
        run(List.of("mknod", "-m", "0660", path, "c", Integer.toString(major), Integer.toString(minor)),
                "make the stand-in device " + path);
        made(p);
        return true;
    }

    /**
     * Makes {@code link} a symbolic link to {@code target} (for a USB serial adapter under
     * {@code /dev/serial/by-id}: a link to {@code /dev/null}) when nothing is there, with its missing parents.
     *
     * @return whether a stand-in was made
     */
    public synchronized boolean symbolicLink(String link, String target) {
        Path p = Path.of(link);
        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            adoptLeftover(p);
            return false;
        }
        requireRoot(link + " is missing");
        makeParents(p);
        try {
            Files.createSymbolicLink(p, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make the stand-in link " + link + " -> " + target, e);
        }
        made(p);
        return true;
    }

    /**
     * Makes the group {@code name} on the host (as a system group, with {@code groupadd}) when
     * {@code /etc/group} lacks it.
     *
     * @return whether a stand-in was made
     */
    public synchronized boolean group(String name) {
        if (gid(name) != null) {
            if (inLedger("group:" + name)) {
                madeGroups.add(0, name);
            }
            return false;
        }
        requireRoot("the group " + name + " is missing from /etc/group");
        run(List.of("groupadd", "--system", name), "add the stand-in group " + name);
        ledger("group:" + name, true);
        madeGroups.add(0, name);
        return true;
    }

    /** The group's id from the host's {@code /etc/group}, or null when it has no such group. */
    public static String gid(String name) {
        try {
            return Files.readAllLines(Path.of("/etc/group"), StandardCharsets.UTF_8).stream()
                    .map(l -> l.split(":", -1))
                    .filter(f -> f.length >= 3 && f[0].equals(name))
                    .map(f -> f[2]).findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** Removes every stand-in this object made, deepest first; what was there before is never touched. */
    @Override
    public synchronized void close() {
        List<String> problems = new ArrayList<>();
        for (Path p : madePaths) {
            try {
                Files.deleteIfExists(p);
                ledger("path:" + p, false);
            } catch (IOException | RuntimeException e) {
                problems.add(p + ": " + e);
            }
        }
        madePaths.clear();
        for (String g : madeGroups) {
            try {
                run(List.of("groupdel", g), "remove the stand-in group " + g);
                ledger("group:" + g, false);
            } catch (RuntimeException e) {
                problems.add("group " + g + ": " + e.getMessage());
            }
        }
        madeGroups.clear();
        if (!problems.isEmpty()) {
            throw new IllegalStateException(who + " could not remove its stand-ins: " + problems);
        }
    }

    /** One line for a test's output: what was made. */
    @Override
    public synchronized String toString() {
        return who + " stand-ins: paths " + madePaths + ", groups " + madeGroups;
    }

    // A path an earlier, killed run made is ours to remove at the end, as if this run had made it.
    private void adoptLeftover(Path p) {
        if (inLedger("path:" + p)) {
            for (Path q = p; q != null && inLedger("path:" + q); q = q.getParent()) {
                if (!madePaths.contains(q)) {
                    madePaths.add(q);
                }
            }
        }
    }

    private void makeParents(Path p) {
        List<Path> missing = new ArrayList<>();
        for (Path dir = p.getParent(); dir != null && !Files.exists(dir); dir = dir.getParent()) {
            missing.add(dir);
        }
        Collections.reverse(missing);
        for (Path dir : missing) {
            try {
                Files.createDirectory(dir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make the directory " + dir + " for a stand-in", e);
            }
            made(dir);
        }
    }

    private void made(Path p) {
        ledger("path:" + p, true);
        madePaths.add(0, p);
    }

    private void requireRoot(String what) {
        if (!root()) {
            String reason = who + " skipped: " + what + " and only root can make a stand-in for it";
            System.out.println(reason);
            Assumptions.abort(reason);
        }
    }

    private void run(List<String> command, String what) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("could not " + what + ": " + String.join(" ", command) + " said: " + out);
            }
        } catch (IOException e) {
            String reason = who + " skipped: cannot " + what + " (" + command.get(0) + " not runnable: " + e.getMessage() + ")";
            System.out.println(reason);
            Assumptions.abort(reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while trying to " + what, e);
        }
    }
}
