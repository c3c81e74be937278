package io.runnerfleet.examples.cli;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.examples.EnvFile;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code runnerfleet serve} reads from {@code .env} beyond runner.sh's settings: how each pool scales,
 * where the HTTP endpoint and the webhook receiver listen, and how it stops.
 *
 * <pre>{@code
 * RUNNER_SCALING=on-demand       # generic pool: fixed (default), on-demand (webhooks) or scale-set
 * RUNNER_MIN=0                   # on-demand: fewest runners (default 0)
 * RUNNER_MAX=8                   # on-demand: most runners (required)
 * RUNNER_IDLE_TIMEOUT=10m        # on-demand: an extra runner idle this long goes (default 10m)
 * RUNNER_EPHEMERAL=true          # one job per runner (default: true on demand, false when fixed)
 * RUNNER_COUNT=2                 # fixed: how many (default 1; serve -n wins)
 * RUNNER_SCALE_SET=linux-x64     # scale-set: the runner scale set's name (required), the label jobs run on
 * RUNNER_SCALE_SET_STATE_FILE=...    # scale-set: its session state (default RUNNERFLEET_STATE_DIR/scalesets/<fleet>-<pool>.json)
 * BOARD_RUNNER_SCALING_2=on-demand   # a board: same names with BOARD_ and an optional _<i>; max is 1
 * RUNNERFLEET_WEBHOOK_SECRET=...     # workflow_job webhooks (required when a pool is on demand)
 * RUNNERFLEET_HTTP_PORT=9180         # /healthz, /status, /metrics on RUNNERFLEET_HTTP_HOST (127.0.0.1)
 * RUNNERFLEET_STATE_DIR=/var/lib/runnerfleet   # what serve keeps between runs (default ~/.runner-fleet)
 * }</pre>
 *
 * <p>A scale-set pool takes its runner group ({@code RUNNER_GROUP}) and extra labels ({@code RUNNER_LABELS})
 * from the pool, its size from {@code _MIN} and {@code _MAX} ({@code _MAX} required), and is always ephemeral
 * (each runner registers just in time for one job). It needs no webhook secret: the scale set's message
 * session goes out over HTTPS.
 *
 * <p>Durations are {@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601 ({@code PT10M}). Every
 * problem is collected and reported in one {@link InvalidSpecException} naming the variable and the fix, before
 * anything starts. {@code toString()} never shows the webhook secret.
 *
 * @param pools each pool's scaling, by pool name ({@code runner}, {@code board-1}, ...)
 * @param httpHost the endpoint's address
 * @param httpPort its port (0 for a free one)
 * @param webhookHost the webhook receiver's address
 * @param webhookPort its port (0 for a free one)
 * @param webhookSecret the webhook secret; without one no receiver runs
 * @param drainTimeout how long a stop waits for busy runners
 * @param keepPersistent whether persistent runners keep running when serve stops (to be adopted by the next one)
 * @param stateDir where serve keeps state between runs (scale-set sessions)
 */
record ServeSettings(Map<String, PoolScaling> pools, String httpHost, int httpPort, String webhookHost, int webhookPort,
                     Optional<Secret> webhookSecret, Duration drainTimeout, boolean keepPersistent, Path stateDir) {
    static final int DEFAULT_HTTP_PORT = 9180;
    static final int DEFAULT_WEBHOOK_PORT = 9181;
    static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofMinutes(10);

    ServeSettings {
        pools = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(pools));
    }

    /**
     * One pool's scaling.
     *
     * @param scaling fixed or on demand
     * @param ephemeral whether its runners take one job each
     * @param scaleSet the runner scale set that drives it, or empty (fixed, or webhooks when on demand)
     */
    record PoolScaling(Scaling scaling, boolean ephemeral, Optional<ScaleSetPool> scaleSet) {
        PoolScaling(Scaling scaling, boolean ephemeral) {
            this(scaling, ephemeral, Optional.empty());
        }

        /** On demand through webhooks (a scale-set pool is on demand too, but hears of jobs from its scale set). */
        boolean onDemand() {
            return scaling instanceof Scaling.OnDemand && scaleSet.isEmpty();
        }
    }

    /**
     * A pool driven by a runner scale set.
     *
     * @param name the scale set's name, the label its jobs run on
     * @param stateFile where its listener keeps the scale set id, session and last message id; empty for the
     *     default under the state directory
     */
    record ScaleSetPool(String name, Optional<Path> stateFile) {
    }

    /** The state file of a scale-set pool: its own setting, else {@code <stateDir>/scalesets/<fleet>-<pool>.json}. */
    Path stateFile(String fleet, String pool) {
        ScaleSetPool set = pools.get(pool).scaleSet().orElseThrow();
        return set.stateFile().orElse(stateDir.resolve("scalesets").resolve(fleet + "-" + pool + ".json"));
    }

    /** The names of the pools driven by a scale set, in declaration order. */
    List<String> scaleSetPools() {
        return pools.entrySet().stream().filter(e -> e.getValue().scaleSet().isPresent()).map(Map.Entry::getKey).toList();
    }

    /**
     * The pools {@code vars} set to scale-set scaling, read leniently: no other setting is checked, so that the
     * commands that act on existing runners ({@code ps}, {@code rm}, ...) find those pools' fleets whether or not
     * serve could start with these settings now.
     */
    static List<String> scaleSetPools(Map<String, String> vars, int boards) {
        Reader r = new Reader(vars);
        List<String> pools = new ArrayList<>();
        if (r.mode("RUNNER", 0).startsWith("scale")) {
            pools.add(FleetConfig.GENERIC_POOL);
        }
        for (int i = 1; i <= boards; i++) {
            if (r.mode("BOARD_RUNNER", i).startsWith("scale")) {
                pools.add(FleetConfig.BOARD_POOL + i);
            }
        }
        return pools;
    }

    /**
     * Reads the settings.
     *
     * @param vars {@code .env} overridden by the environment
     * @param boards how many board pools there are
     * @param count the generic runners {@code serve -n} asked for, or null
     * @throws InvalidSpecException listing every problem
     */
    static ServeSettings from(Map<String, String> vars, int boards, Integer count) {
        Reader r = new Reader(vars);
        Map<String, PoolScaling> pools = new LinkedHashMap<>();
        pools.put(FleetConfig.GENERIC_POOL, r.pool("RUNNER", 0, count, false));
        for (int i = 1; i <= boards; i++) {
            pools.put(FleetConfig.BOARD_POOL + i, r.pool("BOARD_RUNNER", i, null, true));
        }
        Optional<Secret> secret = Optional.ofNullable(vars.get("RUNNERFLEET_WEBHOOK_SECRET")).filter(s -> !s.isBlank())
                .map(Secret::of);
        List<String> onDemand = pools.entrySet().stream().filter(e -> e.getValue() != null && e.getValue().onDemand())
                .map(Map.Entry::getKey).toList();
        if (!onDemand.isEmpty() && secret.isEmpty()) {
            r.problems.add("pool(s) " + String.join(", ", onDemand) + " scale on demand but nothing tells serve about queued"
                    + " jobs: set RUNNERFLEET_WEBHOOK_SECRET and point a workflow_job webhook at the receiver, or make them"
                    + " fixed (RUNNER_SCALING=fixed)");
        }
        String httpHost = r.text("RUNNERFLEET_HTTP_HOST", "127.0.0.1");
        int httpPort = r.port("RUNNERFLEET_HTTP_PORT", DEFAULT_HTTP_PORT);
        String webhookHost = r.text("RUNNERFLEET_WEBHOOK_HOST", "127.0.0.1");
        int webhookPort = r.port("RUNNERFLEET_WEBHOOK_PORT", DEFAULT_WEBHOOK_PORT);
        Duration drain = r.duration("RUNNERFLEET_DRAIN_TIMEOUT", DEFAULT_DRAIN_TIMEOUT);
        boolean keep = r.bool("RUNNERFLEET_KEEP_PERSISTENT", true);
        Path stateDir = r.value("RUNNERFLEET_STATE_DIR").map(Path::of)
                .orElse(Path.of(System.getProperty("user.home"), ".runner-fleet")).toAbsolutePath();
        r.distinctScaleSets(pools);
        if (httpPort != 0 && httpPort == webhookPort && httpHost.equals(webhookHost)) {
            r.problems.add("RUNNERFLEET_HTTP_PORT and RUNNERFLEET_WEBHOOK_PORT are both " + httpPort + ": give them different ports");
        }
        if (!r.problems.isEmpty()) {
            throw new InvalidSpecException("serve settings: " + String.join("; ", r.problems) + ". Nothing was started.");
        }
        return new ServeSettings(pools, httpHost, httpPort, webhookHost, webhookPort, secret, drain, keep, stateDir);
    }

    /** These settings with persistent runners removed on stop ({@code serve --remove-on-stop}). */
    ServeSettings removingPersistent() {
        return new ServeSettings(pools, httpHost, httpPort, webhookHost, webhookPort, webhookSecret, drainTimeout, false,
                stateDir);
    }

    /** Whether any pool scales on demand. */
    boolean onDemand() {
        return pools.values().stream().anyMatch(PoolScaling::onDemand);
    }

    @Override
    public String toString() {
        return "ServeSettings[" + pools + ", http " + httpHost + ":" + httpPort + ", webhook "
                + (webhookSecret.isPresent() ? webhookHost + ":" + webhookPort + " (secret ****)" : "off")
                + ", drain " + drainTimeout + (keepPersistent ? ", persistent runners kept" : "") + ", state " + stateDir + "]";
    }

    /** A duration from {@code 500ms}, {@code 90s}, {@code 10m}, {@code 2h} or ISO-8601; empty when malformed. */
    static Optional<Duration> duration(String text) {
        return EnvFile.duration(text);
    }

    private static final class Reader {
        final Map<String, String> vars;
        final List<String> problems = new ArrayList<>();

        Reader(Map<String, String> vars) {
            this.vars = vars;
        }

        // NAME_<i> when set, else NAME; index 0 means no per-pool form.
        String name(String base, int index) {
            return index > 0 && vars.containsKey(base + "_" + index) ? base + "_" + index : base;
        }

        Optional<String> value(String name) {
            return Optional.ofNullable(vars.get(name)).map(String::strip).filter(v -> !v.isEmpty());
        }

        String text(String name, String fallback) {
            return value(name).orElse(fallback);
        }

        Integer number(String name, int min, int max) {
            Optional<String> v = value(name);
            if (v.isEmpty()) {
                return null;
            }
            try {
                int n = Integer.parseInt(v.get());
                if (n >= min && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            problems.add(name + " must be a whole number from " + min + " to " + max + ", got '" + v.get() + "'");
            return null;
        }

        int port(String name, int fallback) {
            Integer n = number(name, 0, 65535);
            return n == null ? fallback : n;
        }

        Duration duration(String name, Duration fallback) {
            Optional<String> v = value(name);
            if (v.isEmpty()) {
                return fallback;
            }
            Optional<Duration> d = ServeSettings.duration(v.get()).filter(x -> !x.isNegative() && !x.isZero());
            if (d.isEmpty()) {
                problems.add(name + " must be a positive duration such as 90s, 10m or 1h, got '" + v.get() + "'");
                return fallback;
            }
            return d.get();
        }

        Boolean bool(String name, Boolean fallback) {
            Optional<String> v = value(name);
            if (v.isEmpty()) {
                return fallback;
            }
            String t = v.get().toLowerCase(Locale.ROOT);
            if (List.of("1", "true", "yes", "on").contains(t)) {
                return true;
            }
            if (List.of("0", "false", "no", "off").contains(t)) {
                return false;
            }
            problems.add(name + " must be true or false, got '" + v.get() + "'");
            return fallback;
        }

        /** {@code <base>_SCALING[_<i>]} normalized ({@code fixed} when unset); not checked. */
        String mode(String base, int index) {
            return text(name(base + "_SCALING", index), "fixed").toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** One pool's scaling from {@code <base>_SCALING} and friends; null (with a problem noted) when invalid. */
        PoolScaling pool(String base, int index, Integer count, boolean board) {
            String scalingVar = name(base + "_SCALING", index);
            String mode = mode(base, index);
            boolean onDemand;
            if (mode.equals("fixed")) {
                onDemand = false;
            } else if (mode.equals("on-demand") || mode.equals("ondemand")) {
                onDemand = true;
            } else if (mode.equals("scale-set") || mode.equals("scaleset")) {
                onDemand = true;
            } else {
                problems.add(scalingVar + " must be fixed, on-demand or scale-set, got '" + mode + "'");
                return null;
            }
            String pool = board ? FleetConfig.BOARD_POOL + index : FleetConfig.GENERIC_POOL;
            Optional<ScaleSetPool> scaleSet = mode.startsWith("scale") ? scaleSet(base, index, pool, scalingVar)
                    : Optional.empty();
            if (mode.startsWith("scale") && scaleSet.isEmpty()) {
                return null;
            }
            if (scaleSet.isEmpty()) {
                for (String unused : List.of("_SCALE_SET", "_SCALE_SET_STATE_FILE")) {
                    String var = name(base + unused, index);
                    if (value(var).isPresent()) {
                        problems.add(var + " is set but pool " + pool + " is not driven by a scale set (" + scalingVar
                                + "=" + mode + "): set " + scalingVar + "=scale-set, or remove " + var);
                    }
                }
            }
            int limit = board ? 1 : Scaling.MAX_RUNNERS;
            Boolean ephemeral = bool(name(base + "_EPHEMERAL", index), onDemand);
            if (!onDemand) {
                for (String unused : List.of("_MIN", "_MAX", "_IDLE_TIMEOUT")) {
                    String var = name(base + unused, index);
                    if (value(var).isPresent()) {
                        problems.add(var + " is set but pool " + pool + " is fixed (" + scalingVar + "): set " + scalingVar
                                + "=on-demand, or remove " + var);
                    }
                }
                int n = board ? 1 : count != null ? count : Optional.ofNullable(number("RUNNER_COUNT", 0, limit)).orElse(1);
                return new PoolScaling(Scaling.fixed(n), ephemeral);
            }
            String maxVar = name(base + "_MAX", index);
            String minVar = name(base + "_MIN", index);
            Integer max = board ? Optional.ofNullable(number(maxVar, 1, 1)).orElse(1) : number(maxVar, 1, limit);
            Integer min = Optional.ofNullable(number(minVar, 0, limit)).orElse(0);
            String idleVar = name(base + "_IDLE_TIMEOUT", index);
            Duration idle = duration(idleVar, Scaling.DEFAULT_IDLE_TIMEOUT);
            if (scaleSet.isPresent() && value(idleVar).isPresent()) {
                problems.add(idleVar + " is set but pool " + pool + " is driven by scale set '" + scaleSet.get().name()
                        + "', whose runners go when their one job ends: remove " + idleVar);
            }
            if (scaleSet.isPresent() && !ephemeral) {
                problems.add("pool " + pool + " is driven by scale set '" + scaleSet.get().name() + "' but "
                        + name(base + "_EPHEMERAL", index) + "=false: a scale set's runners register just in time for one"
                        + " job each; remove " + name(base + "_EPHEMERAL", index) + " or set it to true");
                return null;
            }
            if (max == null) {
                if (value(maxVar).isEmpty()) {
                    problems.add("pool " + pool + " scales on demand (" + scalingVar + ") but " + maxVar
                            + " is not set: give the most runners it may have, e.g. " + maxVar + "=4");
                }
                return null;
            }
            if (min > max) {
                problems.add(minVar + "=" + min + " exceeds " + maxVar + "=" + max + " of pool " + pool);
                return null;
            }
            return new PoolScaling(Scaling.onDemand(min, max, idle), ephemeral, scaleSet);
        }

        /** A scale-set pool's name and state file; empty (with a problem noted) when invalid. */
        Optional<ScaleSetPool> scaleSet(String base, int index, String pool, String scalingVar) {
            String nameVar = name(base + "_SCALE_SET", index);
            Optional<String> setName = value(nameVar);
            if (setName.isEmpty()) {
                problems.add("pool " + pool + " is driven by a scale set (" + scalingVar + ") but " + nameVar + " is not"
                        + " set: name the scale set, which workflows target with runs-on, e.g. " + nameVar + "=linux-x64");
                return Optional.empty();
            }
            try {
                ScaleSetSpec.named(setName.get());
            } catch (InvalidSpecException e) {
                problems.add(nameVar + ": " + e.getMessage());
                return Optional.empty();
            }
            Optional<Path> state = value(name(base + "_SCALE_SET_STATE_FILE", index)).map(Path::of).map(Path::toAbsolutePath);
            return Optional.of(new ScaleSetPool(setName.get(), state));
        }

        /** One scale set drives one pool: a second listener would only fight the first for its session. */
        void distinctScaleSets(Map<String, PoolScaling> pools) {
            Map<String, String> owners = new LinkedHashMap<>();
            pools.forEach((pool, scaling) -> {
                if (scaling != null && scaling.scaleSet().isPresent()) {
                    String other = owners.putIfAbsent(scaling.scaleSet().get().name(), pool);
                    if (other != null) {
                        problems.add("pools " + other + " and " + pool + " are both driven by scale set '"
                                + scaling.scaleSet().get().name() + "': give each pool its own scale set");
                    }
                }
            });
        }
    }
}
