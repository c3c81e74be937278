package io.runnerfleet.internal.process;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.Subscription;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine behind {@code ProcessBackend}: runner directories, child processes, logs and events. */
public final class ProcessRunners {
    private static final Logger LOG = LoggerFactory.getLogger("io.runnerfleet.process");
    static final String META_DIR = ".runnerfleet";
    static final String META_FILE = "instance.properties";
    static final String EXIT_FILE = "exit-code";
    static final String LOG_FILE = "output.log";
    static final String RUN_MARKER = "--- runnerfleet: run started ";
    static final String JIT_CONFIG = "ACTIONS_RUNNER_INPUT_JITCONFIG";
    // A configured distribution must not hand its identity to every copy.
    private static final Set<String> NOT_COPIED = Set.of(".runner", ".credentials", ".credentials_rsaparams",
            ".env", ".path", "_work", "_diag", META_DIR);

    private final Path root;
    private final Path distribution;
    private final Clock clock;
    private final String shell;
    private final Map<String, String> baseEnvironment;
    private final long maxLogBytes;
    private final Map<String, Live> live = new ConcurrentHashMap<>();
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    // Reads a starting runner's output for its Listening for Jobs line (LISTENING), then no more.
    private final ListeningTail listening;
    private volatile boolean closed;

    private record Live(ProcessHandle handle, Process process) {
    }

    private record Listener(String fleet, Consumer<InstanceEvent> consumer) {
    }

    public ProcessRunners(Path root, Path distribution, Clock clock, String shell, List<String> passEnvironment,
                          Map<String, String> hostEnvironment, long maxLogBytes) {
        this.root = root;
        this.distribution = distribution;
        this.clock = clock;
        this.shell = shell;
        this.maxLogBytes = maxLogBytes;
        Map<String, String> base = new LinkedHashMap<>();
        for (String name : passEnvironment) {
            String value = hostEnvironment.get(name);
            if (value != null) {
                base.put(name, value);
            }
        }
        base.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin");
        this.baseEnvironment = Map.copyOf(base);
        this.listening = new ListeningTail(clock, this::emit);
    }

    public Path root() {
        return root;
    }

    public Path distribution() {
        return distribution;
    }

    public void checkDistribution() {
        for (String script : List.of("config.sh", "run.sh")) {
            Path file = distribution.resolve(script);
            if (!Files.isRegularFile(file)) {
                throw new BackendUnavailableException("the runner distribution " + distribution + " has no " + script
                        + ": unpack the actions runner there (or point ProcessBackend.builder().distribution(...) at it)");
            }
        }
        try {
            Files.createDirectories(root);
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot create the runner root " + root + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(root)) {
            throw new BackendUnavailableException("the runner root " + root + " is not writable by this user");
        }
    }

    // ---- launch / start -------------------------------------------------------------------------

    public InstanceInfo launch(LaunchSpec spec) {
        checkOpen();
        String name = LaunchChecks.validName(spec.runnerName());
        LaunchChecks.refuseWhatProcessesCannotDo(spec);
        checkDistribution();
        Path dir = root.resolve(name);
        Path meta = dir.resolve(META_DIR).resolve(META_FILE);
        if (Files.exists(dir)) {
            if (!Files.isRegularFile(meta)) {
                throw new RunnerFleetException("runner " + name + ": " + dir + " exists but was not created by Runner Fleet;"
                        + " it is left untouched. Move it away or choose another runner name");
            }
            InstanceInfo existing = read(dir).map(this::info).orElseThrow();
            throw new RunnerFleetException("runner " + name + " already has an instance in " + dir + " (state "
                    + existing.state() + ", fleet " + existing.fleet() + "): start or remove it instead of launching again");
        }
        Map<String, Secret> secrets = new LinkedHashMap<>(spec.secrets());
        Map<String, Secret> jitFiles = RunnerScripts.jitFiles(name, secrets.remove(JIT_CONFIG));
        for (String secretName : secrets.keySet()) {
            if (!secretName.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidSpecException("runner " + name + ": secret variable name '" + secretName + "' is not a shell name");
            }
            if (secrets.get(secretName).reveal().indexOf('\n') >= 0) {
                throw new InvalidSpecException("runner " + name + ": secret " + secretName + " contains a line break");
            }
        }
        try {
            copyDistribution(dir);
            Properties p = new Properties();
            p.setProperty("fleet", spec.fleet());
            p.setProperty("pool", spec.pool());
            p.setProperty("runner", name);
            p.setProperty("specHash", spec.specHash());
            p.setProperty("createdAt", clock.instant().toString());
            p.setProperty("stopSignal", spec.stopSignal());
            p.setProperty("stopGraceMillis", Long.toString(spec.stopGrace().toMillis()));
            // A restart runs the configured runner again: run.sh without a one-time JIT config.
            p.setProperty("restartLine", RunnerScripts.runLine(RunnerScripts.restartArgs(spec.command().runArgs())));
            spec.env().forEach((k, v) -> p.setProperty("env." + k, v));
            write(dir, p);
            RunnerScripts.writeJitFiles(dir, jitFiles);
            spawn(dir, p, RunnerScripts.script(spec.command()), secrets, spec.env());
            return info(new Meta(dir, read(dir).orElseThrow().props));
        } catch (IOException e) {
            deleteQuietly(dir);
            throw new RunnerFleetException("runner " + name + ": cannot prepare " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(dir);
            throw e;
        }
    }

    public void start(String id) {
        checkOpen();
        Optional<Meta> found = read(root.resolve(safe(id)));
        if (found.isEmpty()) {
            return; // idempotent, like stop and remove: nothing to start
        }
        Meta meta = found.get();
        if (alive(meta).isPresent()) {
            return;
        }
        Map<String, String> env = new LinkedHashMap<>();
        meta.props.stringPropertyNames().stream().filter(k -> k.startsWith("env."))
                .forEach(k -> env.put(k.substring(4), meta.props.getProperty(k)));
        meta.props.remove("stopped");
        try {
            write(meta.dir, meta.props);
            spawn(meta.dir, meta.props, RunnerScripts.script(null) + meta.props.getProperty("restartLine") + "\nrf_rc=$?\n"
                    + RunnerScripts.exitTrailer(),
                    Map.of(), env);
        } catch (IOException e) {
            throw new RunnerFleetException("runner " + id + ": cannot start in " + meta.dir + ": " + e.getMessage(), e);
        }
    }

    private void spawn(Path dir, Properties p, String script, Map<String, Secret> secrets, Map<String, String> env)
            throws IOException {
        Path metaDir = dir.resolve(META_DIR);
        Files.deleteIfExists(metaDir.resolve(EXIT_FILE));
        Path log = metaDir.resolve(LOG_FILE);
        rotate(log);
        Instant started = clock.instant();
        Files.writeString(log, RUN_MARKER + started + " ---\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long runStart = Files.size(log);
        ProcessBuilder pb = new ProcessBuilder(shell, "-c", script).directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().clear();
        pb.environment().putAll(baseEnvironment);
        pb.environment().putAll(env);
        pb.environment().put("RUNNER_FLEET_INSTANCE", dir.getFileName().toString());
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot start " + shell + " for runner " + dir.getFileName()
                    + ": " + e.getMessage() + " (set ProcessBackend.builder().shell(...) to a POSIX shell)", e);
        }
        // Secrets go through stdin, one NAME=value line each, and exist only in the first step's environment.
        try (OutputStream in = process.getOutputStream()) {
            for (Map.Entry<String, Secret> s : secrets.entrySet()) {
                in.write((s.getKey() + "=" + s.getValue().reveal() + "\n").getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            process.destroyForcibly();
            throw new RunnerFleetException("runner " + dir.getFileName() + " exited before it read its registration"
                    + " (see its log): " + e.getMessage(), e);
        }
        ProcessHandle handle = process.toHandle();
        p.setProperty("pid", Long.toString(handle.pid()));
        p.setProperty("pidStart", handle.info().startInstant().map(i -> Long.toString(i.toEpochMilli())).orElse(""));
        p.setProperty("startedAt", started.toString());
        write(dir, p);
        String name = dir.getFileName().toString();
        live.put(name, new Live(handle, process));
        watch(name, handle, process);
        listening.watch(name, p.getProperty("fleet"), log, runStart, handle);
        emit(p.getProperty("fleet"), new InstanceEvent(name, name, InstanceEvent.Kind.STARTED, null, started));
        LOG.debug("runner {} started as pid {}", name, handle.pid());
    }

    private void watch(String name, ProcessHandle handle, Process process) {
        handle.onExit().thenRun(() -> {
            live.computeIfPresent(name, (k, v) -> v.handle().equals(handle) ? null : v);
            Integer code = process != null ? Integer.valueOf(process.exitValue()) : null;
            Path dir = root.resolve(name);
            Optional<Meta> meta = read(dir);
            if (code == null) {
                code = meta.flatMap(this::exitCode).orElse(null);
            }
            String fleet = meta.map(m -> m.props.getProperty("fleet")).orElse("");
            emit(fleet, new InstanceEvent(name, name, InstanceEvent.Kind.EXITED, code, clock.instant()));
        });
    }

    private void copyDistribution(Path dir) throws IOException {
        Files.createDirectories(dir.resolve(META_DIR));
        try (Stream<Path> paths = Files.walk(distribution)) {
            for (Path source : (Iterable<Path>) paths::iterator) {
                Path rel = distribution.relativize(source);
                if (rel.toString().isEmpty() || NOT_COPIED.contains(rel.getName(0).toString())) {
                    continue;
                }
                Path target = dir.resolve(rel.toString());
                if (Files.isSymbolicLink(source)) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(source));
                } else if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    try {
                        Files.createLink(target, source);
                    } catch (UnsupportedOperationException | IOException e) {
                        if (e instanceof FileAlreadyExistsException) {
                            throw (IOException) e;
                        }
                        Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                }
            }
        }
    }

    // ---- stop / remove --------------------------------------------------------------------------

    public void stop(String id, Duration grace) {
        checkOpen();
        Optional<Meta> found = read(root.resolve(safe(id)));
        if (found.isEmpty()) {
            return;
        }
        Meta meta = found.get();
        meta.props.setProperty("stopped", "true");
        try {
            write(meta.dir, meta.props);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        alive(meta).ifPresent(handle -> terminate(id, handle, meta.props.getProperty("stopSignal", "SIGTERM"), grace));
    }

    // Signals the runner's processes but not the wrapper shell, so the wrapper records the runner's own exit
    // code; whatever is left after the grace period is killed, wrapper included.
    private void terminate(String id, ProcessHandle handle, String signal, Duration grace) {
        List<ProcessHandle> targets = new ArrayList<>(handle.descendants().toList());
        if (targets.isEmpty()) {
            targets.add(handle);
        }
        if ("SIGTERM".equals(signal) || "TERM".equals(signal)) {
            targets.forEach(ProcessHandle::destroy);
        } else {
            List<String> kill = new ArrayList<>(List.of("kill", "-s", signal.replaceFirst("^SIG", "")));
            targets.forEach(h -> kill.add(Long.toString(h.pid())));
            try {
                new ProcessBuilder(kill).redirectErrorStream(true).start().waitFor(5, TimeUnit.SECONDS);
            } catch (IOException e) {
                targets.forEach(ProcessHandle::destroy);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            handle.onExit().get(Math.max(0, grace.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            LOG.debug("runner {} did not stop within {}; killing it", id, grace);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the handle completed exceptionally: it is gone either way
        }
        List<ProcessHandle> left = new ArrayList<>(handle.descendants().toList());
        left.add(handle);
        left.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        try {
            handle.onExit().get(10, TimeUnit.SECONDS);
        } catch (TimeoutException | ExecutionException e) {
            throw new RunnerFleetException("runner " + id + " (pid " + handle.pid() + ") survived SIGKILL for 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void remove(String id, boolean keepVolumes) {
        checkOpen();
        Path dir = root.resolve(safe(id));
        Optional<Meta> found = read(dir);
        if (found.isEmpty()) {
            return;
        }
        Meta meta = found.get();
        Duration grace = Duration.ofMillis(Long.parseLong(meta.props.getProperty("stopGraceMillis", "30000")));
        stop(id, grace);
        String fleet = meta.props.getProperty("fleet");
        if (keepVolumes) {
            try (Stream<Path> children = Files.list(dir)) {
                children.filter(c -> !c.getFileName().toString().equals("_work")).forEach(ProcessRunners::deleteQuietly);
            } catch (IOException e) {
                throw new RunnerFleetException("runner " + id + ": cannot remove " + dir + ": " + e.getMessage(), e);
            }
        } else {
            deleteQuietly(dir);
            if (Files.exists(dir)) {
                throw new RunnerFleetException("runner " + id + ": could not delete " + dir + " completely; check its permissions");
            }
        }
        live.remove(id);
        emit(fleet, new InstanceEvent(id, id, InstanceEvent.Kind.DESTROYED, null, clock.instant()));
    }

    // ---- observe --------------------------------------------------------------------------------

    public List<InstanceInfo> instances(String fleet) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.sorted().map(this::read).flatMap(Optional::stream)
                    .filter(m -> fleet.equals(m.props.getProperty("fleet")))
                    .map(this::info).toList();
        } catch (IOException e) {
            throw new BackendUnavailableException("cannot list the runner root " + root + ": " + e.getMessage(), e);
        }
    }

    private InstanceInfo info(Meta meta) {
        Properties p = meta.props;
        String name = p.getProperty("runner");
        Optional<ProcessHandle> handle = alive(meta);
        InstanceState state;
        Integer exit = null;
        Instant finished = null;
        if (handle.isPresent()) {
            state = InstanceState.RUNNING;
        } else if (p.getProperty("pid") == null) {
            state = InstanceState.CREATED;
        } else {
            state = InstanceState.EXITED;
            exit = exitCode(meta).orElse(null);
            Path exitFile = meta.dir.resolve(META_DIR).resolve(EXIT_FILE);
            try {
                finished = Files.exists(exitFile) ? Files.getLastModifiedTime(exitFile).toInstant() : null;
            } catch (IOException e) {
                finished = null;
            }
        }
        Instant started = p.getProperty("startedAt") == null ? null : Instant.parse(p.getProperty("startedAt"));
        Map<String, String> labels = Map.of("fleet", p.getProperty("fleet"), "pool", p.getProperty("pool", ""),
                "runner", name, "specHash", p.getProperty("specHash", ""));
        return new InstanceInfo(name, name, p.getProperty("fleet"), p.getProperty("pool"), name,
                p.getProperty("specHash"), state, exit, false, started, finished, labels);
    }

    private Optional<Integer> exitCode(Meta meta) {
        Path exitFile = meta.dir.resolve(META_DIR).resolve(EXIT_FILE);
        try {
            return Files.exists(exitFile) ? Optional.of(Integer.parseInt(Files.readString(exitFile).trim()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Optional<ProcessHandle> alive(Meta meta) {
        String name = meta.props.getProperty("runner");
        Live l = live.get(name);
        if (l != null && l.handle().isAlive()) {
            return Optional.of(l.handle());
        }
        String pid = meta.props.getProperty("pid");
        if (pid == null) {
            return Optional.empty();
        }
        // Adopt a runner an earlier JVM started: same pid and same process start time.
        String pidStart = meta.props.getProperty("pidStart", "");
        Optional<ProcessHandle> handle = ProcessHandle.of(Long.parseLong(pid)).filter(ProcessHandle::isAlive)
                .filter(h -> pidStart.isEmpty() || h.info().startInstant()
                        .map(i -> Long.toString(i.toEpochMilli()).equals(pidStart)).orElse(true));
        handle.ifPresent(h -> {
            if (live.putIfAbsent(name, new Live(h, null)) == null) {
                watch(name, h, null);
            }
        });
        return handle;
    }

    public LogStream logs(String id, LogQuery query) {
        Meta meta = require(id);
        Path log = meta.dir.resolve(META_DIR).resolve(LOG_FILE);
        return LogFile.open(log, query, () -> alive(meta).isPresent());
    }

    public Subscription subscribe(String fleet, Consumer<InstanceEvent> consumer) {
        Listener l = new Listener(fleet, consumer);
        listeners.add(l);
        // Watch runners that earlier JVMs started, so their exits are reported too.
        instances(fleet);
        return () -> listeners.remove(l);
    }

    private void emit(String fleet, InstanceEvent event) {
        if (closed) {
            return;
        }
        for (Listener l : listeners) {
            if (l.fleet().equals(fleet)) {
                try {
                    l.consumer().accept(event);
                } catch (RuntimeException e) {
                    LOG.warn("an instance event listener failed on {}: {}", event, e.toString());
                }
            }
        }
    }

    public void close() {
        closed = true;
        listening.close();
        listeners.clear();
    }

    // ---- metadata -------------------------------------------------------------------------------

    private record Meta(Path dir, Properties props) {
    }

    private Meta require(String id) {
        return read(root.resolve(safe(id))).orElseThrow(() -> new RunnerFleetException("no runner instance '" + id
                + "' under " + root + " (it was never launched here, or it was removed)"));
    }

    private static String safe(String id) {
        if (id == null || id.isEmpty() || id.contains("/") || id.equals(".") || id.equals("..")) {
            throw new InvalidSpecException("'" + id + "' is not a runner instance id");
        }
        return id;
    }

    private Optional<Meta> read(Path dir) {
        Path file = dir.resolve(META_DIR).resolve(META_FILE);
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            return Optional.empty();
        }
        return p.getProperty("fleet") == null || p.getProperty("runner") == null ? Optional.empty()
                : Optional.of(new Meta(dir, p));
    }

    private static void write(Path dir, Properties p) throws IOException {
        Path metaDir = dir.resolve(META_DIR);
        Files.createDirectories(metaDir);
        Path tmp = metaDir.resolve(META_FILE + ".tmp");
        Files.deleteIfExists(tmp);
        // Owner-only: the plain env of a runner is stored for restarts.
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(out, "Runner Fleet instance; do not edit");
        }
        Files.move(tmp, metaDir.resolve(META_FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private void rotate(Path log) throws IOException {
        if (Files.exists(log) && Files.size(log) > maxLogBytes) {
            Files.move(log, log.resolveSibling(LOG_FILE + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this ProcessBackend is closed; build a new one (runners keep running and are adopted)");
        }
    }

    static void deleteQuietly(Path path) {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> all = Files.walk(path)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", p, e.toString());
                }
            });
        } catch (IOException e) {
            LOG.debug("cannot walk {}: {}", path, e.toString());
        }
    }
}
