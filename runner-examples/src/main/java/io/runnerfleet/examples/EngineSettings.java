package io.runnerfleet.examples;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.docker.MultiEngineBackend;
import io.runnerfleet.spi.RunnerBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The Docker engines a fleet's pools run on, read from {@code .env} and the environment. Without
 * {@code RUNNERFLEET_ENGINES} the fleet uses the one engine {@code DOCKER_HOST} names, as before.
 *
 * <pre>{@code
 * RUNNERFLEET_ENGINES=local,lab
 * RUNNERFLEET_ENGINE_LOCAL_HOST=unix:///var/run/docker.sock
 * RUNNERFLEET_ENGINE_LOCAL_CAPACITY=4
 * RUNNERFLEET_ENGINE_LAB_HOST=tcp://lab.example:2376
 * RUNNERFLEET_ENGINE_LAB_TLS_VERIFY=1
 * RUNNERFLEET_ENGINE_LAB_CERT_PATH=/etc/runnerfleet/lab
 * RUNNERFLEET_ENGINES_AWAY_AFTER=1m  # an engine's runners are replaced after it failed for a minute (default 30s)
 * RUNNER_ENGINES=local,lab           # the generic pool: both (the default: every engine)
 * BOARD_RUNNER_ENGINES_1=lab         # board 1 is plugged into lab (else BOARD_RUNNER_ENGINES, else every engine)
 * }</pre>
 *
 * <p>Engine names are lower-case letters, digits and {@code _}; each engine's variables use its name in
 * upper case. {@code _LOCAL} says whether devices are checked on this machine (default: yes for a
 * {@code unix://} engine, no for {@code tcp://}, whose host checks them itself).
 * {@code RUNNERFLEET_ENGINES_AWAY_AFTER} ({@code 90s}, {@code 2m}, ISO-8601; zero or more) applies to every
 * engine, so it is named after {@code RUNNERFLEET_ENGINES}: {@code RUNNERFLEET_ENGINE_<NAME>_*} are one
 * engine's. Every mistake (an
 * engine without a host, a pool naming an undeclared engine, a variable of an undeclared engine, a
 * malformed number or flag) is an {@link InvalidSpecException} naming the variable.
 *
 * @param engines the engines in declared order, empty when {@code RUNNERFLEET_ENGINES} is not set
 * @param genericEngines {@code RUNNER_ENGINES}: the generic pool's engines, empty for every engine
 * @param boardEngines per board index, its engines; a board not listed may use every engine
 * @param awayAfter {@code RUNNERFLEET_ENGINES_AWAY_AFTER}: how long an engine may fail before its runners are
 *     replaced, or null for {@link MultiEngineBackend#DEFAULT_AWAY_AFTER}
 */
public record EngineSettings(List<Engine> engines, List<String> genericEngines, Map<Integer, List<String>> boardEngines,
                             Duration awayAfter) {
    private static final String AWAY_AFTER = "RUNNERFLEET_ENGINES_AWAY_AFTER";
    private static final String PREFIX = "RUNNERFLEET_ENGINE_";
    private static final Set<String> SUFFIXES = Set.of("HOST", "TLS_VERIFY", "CERT_PATH", "CAPACITY", "LOCAL");

    /** Copies the collections. */
    public EngineSettings {
        engines = List.copyOf(engines);
        genericEngines = List.copyOf(genericEngines);
        boardEngines = Map.copyOf(boardEngines);
    }

    /**
     * One engine.
     *
     * @param name its name, as pools and {@code runnerfleet ps} show it
     * @param host {@code unix:///path} or {@code tcp://host:port}
     * @param tlsVerify whether TLS is verified, or null for {@code DOCKER_TLS_VERIFY}
     * @param certPath the directory with {@code ca.pem}, {@code cert.pem}, {@code key.pem}, or null
     * @param capacity at most this many runners on it, 0 for no limit
     * @param localDevices whether its devices are checked on this machine
     */
    public record Engine(String name, String host, Boolean tlsVerify, Path certPath, int capacity,
                         boolean localDevices) {
    }

    /** Whether engines are configured ({@code RUNNERFLEET_ENGINES} is set). */
    public boolean configured() {
        return !engines.isEmpty();
    }

    /**
     * Whether merged variables declare engines ({@code RUNNERFLEET_ENGINES} names at least one), without reading
     * or checking the rest: {@link #configured()} of what {@link #from} would read, for a caller that only needs
     * to know which backend the settings ask for.
     */
    public static boolean declared(Map<String, String> vars) {
        return !list(vars.getOrDefault("RUNNERFLEET_ENGINES", "")).isEmpty();
    }

    /** Reads the settings from merged variables, for {@code boardCount} boards. */
    public static EngineSettings from(Map<String, String> vars, int boardCount) {
        List<String> names = list(vars.getOrDefault("RUNNERFLEET_ENGINES", ""));
        Map<String, Engine> engines = new LinkedHashMap<>();
        for (String name : names) {
            if (!name.matches("[a-z0-9][a-z0-9_]{0,30}")) {
                throw new InvalidSpecException("RUNNERFLEET_ENGINES: engine name '" + name + "' must be lower-case letters,"
                        + " digits and '_' (at most 31), e.g. RUNNERFLEET_ENGINES=local,lab_2");
            }
            if (engines.containsKey(name)) {
                throw new InvalidSpecException("RUNNERFLEET_ENGINES names engine '" + name + "' twice");
            }
            engines.put(name, engine(vars, name));
        }
        Set<String> stray = new TreeSet<>();
        for (String variable : vars.keySet()) {
            if (variable.startsWith(PREFIX) && !variable.equals("RUNNERFLEET_ENGINES") && engines.keySet().stream()
                    .noneMatch(n -> SUFFIXES.stream().anyMatch(s -> variable.equals(PREFIX + n.toUpperCase(Locale.ROOT) + "_" + s)))) {
                stray.add(variable);
            }
        }
        if (!stray.isEmpty()) {
            throw new InvalidSpecException(stray + " belong to no engine of RUNNERFLEET_ENGINES=" + String.join(",", names)
                    + "; add the engine's name to RUNNERFLEET_ENGINES (its variables are " + PREFIX
                    + "<NAME>_HOST, _TLS_VERIFY, _CERT_PATH, _CAPACITY, _LOCAL), or fix the variable's name"
                    + (stray.contains(PREFIX + "AWAY_AFTER") ? " (the grace of every engine is " + AWAY_AFTER + ")" : ""));
        }
        List<String> generic = pool(vars, "RUNNER_ENGINES", engines.keySet());
        Map<Integer, List<String>> boards = new LinkedHashMap<>();
        for (int i = 1; i <= boardCount; i++) {
            String variable = vars.containsKey("BOARD_RUNNER_ENGINES_" + i) ? "BOARD_RUNNER_ENGINES_" + i : "BOARD_RUNNER_ENGINES";
            List<String> board = pool(vars, variable, engines.keySet());
            if (!board.isEmpty()) {
                boards.put(i, board);
            }
        }
        return new EngineSettings(List.copyOf(engines.values()), generic, boards, awayAfter(vars, names));
    }

    private static Duration awayAfter(Map<String, String> vars, List<String> names) {
        String text = vars.getOrDefault(AWAY_AFTER, "").strip();
        if (text.isEmpty()) {
            return null;
        }
        if (names.isEmpty()) {
            throw new InvalidSpecException(AWAY_AFTER + " is set but RUNNERFLEET_ENGINES is not; it applies to the engines"
                    + " RUNNERFLEET_ENGINES declares (without them the fleet has one engine and nothing to replace it on)");
        }
        return EnvFile.duration(text).filter(d -> !d.isNegative()).orElseThrow(() -> new InvalidSpecException(AWAY_AFTER
                + " must be a duration of zero or more such as 30s, 2m or PT90S, got '" + text + "'"));
    }

    private static Engine engine(Map<String, String> vars, String name) {
        String var = PREFIX + name.toUpperCase(Locale.ROOT) + "_";
        String host = vars.getOrDefault(var + "HOST", "").strip();
        if (!host.startsWith("unix://") && !host.startsWith("tcp://")) {
            throw new InvalidSpecException(var + "HOST " + (host.isEmpty() ? "is not set" : "'" + host + "' is not a Docker endpoint")
                    + ": engine '" + name + "' needs one, e.g. " + var + "HOST=unix:///var/run/docker.sock or tcp://host:2376");
        }
        Path certs = null;
        String certPath = vars.getOrDefault(var + "CERT_PATH", "").strip();
        if (!certPath.isEmpty()) {
            certs = Path.of(certPath);
            for (String file : List.of("ca.pem", "cert.pem", "key.pem")) {
                if (!Files.isRegularFile(certs.resolve(file))) {
                    throw new InvalidSpecException(var + "CERT_PATH: " + certs.resolve(file) + " is missing; the directory"
                            + " needs ca.pem, cert.pem and key.pem (as for DOCKER_CERT_PATH)");
                }
            }
        }
        int capacity = 0;
        String cap = vars.getOrDefault(var + "CAPACITY", "").strip();
        if (!cap.isEmpty()) {
            try {
                capacity = Integer.parseInt(cap);
            } catch (NumberFormatException e) {
                capacity = -1;
            }
            if (capacity < 1 || capacity > 1000) {
                throw new InvalidSpecException(var + "CAPACITY must be a whole number from 1 to 1000, got '" + cap + "'");
            }
        }
        Boolean tls = flag(vars, var + "TLS_VERIFY", null);
        boolean local = flag(vars, var + "LOCAL", host.startsWith("unix://"));
        return new Engine(name, host, tls, certs, capacity, local);
    }

    private static Boolean flag(Map<String, String> vars, String variable, Boolean fallback) {
        String v = vars.getOrDefault(variable, "").strip().toLowerCase(Locale.ROOT);
        if (v.isEmpty()) {
            return fallback;
        }
        if (List.of("1", "true", "yes", "on").contains(v)) {
            return true;
        }
        if (List.of("0", "false", "no", "off").contains(v)) {
            return false;
        }
        throw new InvalidSpecException(variable + " must be 1/true/yes or 0/false/no, got '" + vars.get(variable) + "'");
    }

    private static List<String> pool(Map<String, String> vars, String variable, Set<String> declared) {
        List<String> names = list(vars.getOrDefault(variable, ""));
        if (!names.isEmpty() && declared.isEmpty()) {
            throw new InvalidSpecException(variable + " names engines but RUNNERFLEET_ENGINES is not set; declare them,"
                    + " e.g. RUNNERFLEET_ENGINES=" + String.join(",", names));
        }
        for (String name : names) {
            if (!declared.contains(name)) {
                throw new InvalidSpecException(variable + " names engine '" + name + "', which RUNNERFLEET_ENGINES ("
                        + String.join(",", declared) + ") does not declare");
            }
        }
        return names;
    }

    private static List<String> list(String value) {
        List<String> out = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                out.add(part.strip());
            }
        }
        return out;
    }

    /**
     * The backend over these engines, each connected by {@code connect} (see {@link #connect}), the generic
     * pool and each board pool placed on their engines.
     */
    public MultiEngineBackend backend(String genericPool, String boardPoolPrefix, Function<Engine, RunnerBackend> connect) {
        MultiEngineBackend.Builder b = MultiEngineBackend.builder();
        List<RunnerBackend> opened = new ArrayList<>();
        try {
            for (Engine e : engines) {
                RunnerBackend backend = connect.apply(e);
                opened.add(backend);
                b.engine(e.name(), backend);
                if (e.capacity() > 0) {
                    b.capacity(e.name(), e.capacity());
                }
            }
            if (!genericEngines.isEmpty()) {
                b.pool(genericPool, genericEngines.toArray(String[]::new));
            }
            boardEngines.forEach((i, names) -> b.pool(boardPoolPrefix + i, names.toArray(String[]::new)));
            if (awayAfter != null) {
                b.awayAfter(awayAfter);
            }
            return b.build();
        } catch (RuntimeException e) {
            opened.forEach(RunnerBackend::close);   // nothing half-made is left connected
            throw e;
        }
    }

    /** Connects to one engine with the Docker backend. */
    public static RunnerBackend connect(Engine e) {
        DockerBackend.Builder b = DockerBackend.builder().dockerHost(e.host()).localDevices(e.localDevices());
        if (e.tlsVerify() != null) {
            b.tlsVerify(e.tlsVerify());
        }
        if (e.certPath() != null) {
            b.certPath(e.certPath());
        }
        return b.build();
    }
}
