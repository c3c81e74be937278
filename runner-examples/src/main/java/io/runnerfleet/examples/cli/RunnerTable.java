package io.runnerfleet.examples.cli;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The fleet's runners as {@code ps} shows them: Docker's containers and GitHub's registrations joined by
 * runner name ({@code rows}), then printed as a table or JSON; and the runners a command's NAME arguments
 * pick out ({@code select}).
 */
final class RunnerTable {
    private RunnerTable() {
    }

    /** One row of {@code ps}: what Docker and GitHub say about one runner name, and the fleet it is in. */
    record Row(String runner, String fleet, String pool, String container, String github, boolean busy, String labels,
               String engine) {
    }

    /** The joined table of the fleet's containers and its registrations (runners without either included). */
    static List<Row> rows(String fleet, List<InstanceInfo> instances, List<RegisteredRunner> registered) {
        return rows(FleetNames.of(fleet), instances, registered);
    }

    /** The joined table of the fleets' containers and their registrations (runners without either included). */
    static List<Row> rows(FleetNames fleets, List<InstanceInfo> instances, List<RegisteredRunner> registered) {
        Map<String, InstanceInfo> byName = new TreeMap<>();
        instances.forEach(i -> byName.put(i.runnerName().toLowerCase(Locale.ROOT), i));
        Map<String, RegisteredRunner> regs = new TreeMap<>();
        registered.stream().filter(r -> fleets.owner(r.name()).isPresent())
                .forEach(r -> regs.put(r.name().toLowerCase(Locale.ROOT), r));
        TreeMap<String, Row> rows = new TreeMap<>(RunnerTable::natural);
        java.util.Set<String> names = new java.util.TreeSet<>(byName.keySet());
        names.addAll(regs.keySet());
        for (String key : names) {
            InstanceInfo i = byName.get(key);
            RegisteredRunner r = regs.get(key);
            String name = i != null ? i.runnerName() : r.name();
            String fleet = i != null ? i.fleet() : fleets.owner(name).orElseThrow();
            String pool = i != null && i.pool() != null ? i.pool() : poolOf(fleet, name);
            rows.put(key, new Row(name, fleet, pool, i == null ? "-" : i.state().name().toLowerCase(Locale.ROOT), r == null ? "-" : r.displayStatus(),
                    r != null && r.busy(), r == null ? "-" : r.labels().toCommaSeparated(),
                    i == null || i.engine().isEmpty() ? "-" : i.engine()));
        }
        return List.copyOf(rows.values());
    }

    static boolean ours(String fleet, String runnerName) {
        return runnerName.toLowerCase(Locale.ROOT).startsWith(fleet + "-");
    }

    private static String poolOf(String fleet, String name) {
        String rest = name.substring(Math.min(name.length(), fleet.length() + 1));
        int dash = rest.lastIndexOf('-');
        return dash > 0 ? rest.substring(0, dash).replaceAll("-\\d+$", "").replaceAll("-\\d+-[a-z0-9]+$", "") : rest;
    }

    /** Orders runner-2 before runner-10. */
    static int natural(String a, String b) {
        String pa = a.replaceAll("\\d+", "");
        String pb = b.replaceAll("\\d+", "");
        if (!pa.equals(pb)) {
            return a.compareTo(b);
        }
        java.util.regex.Matcher ma = java.util.regex.Pattern.compile("\\d+").matcher(a);
        java.util.regex.Matcher mb = java.util.regex.Pattern.compile("\\d+").matcher(b);
        while (ma.find() && mb.find()) {
            int c = new java.math.BigInteger(ma.group()).compareTo(new java.math.BigInteger(mb.group()));
            if (c != 0) {
                return c;
            }
        }
        return a.compareTo(b);
    }

    /** The {@code ps} table, with a FLEET column when the runners are in several fleets. */
    static String table(List<Row> rows) {
        return table(rows, rows.stream().map(Row::fleet).distinct().count() > 1);
    }

    /**
     * The {@code ps} table; a FLEET column follows RUNNER when {@code fleets} (the settings have scale-set pools, each
     * in its own fleet: shown even while they have no runner, so that {@code ps --watch} keeps its columns), an
     * ENGINE column follows CONTAINER when the fleet spans several engines.
     */
    static String table(List<Row> rows, boolean fleets) {
        boolean engines = rows.stream().anyMatch(r -> !r.engine().equals("-"));
        List<String[]> cells = new ArrayList<>();
        cells.add(columns(fleets, engines, "RUNNER", "FLEET", "POOL", "CONTAINER", "ENGINE", "GITHUB", "BUSY", "LABELS"));
        rows.forEach(r -> cells.add(columns(fleets, engines, r.runner(), r.fleet(), r.pool(), r.container(), r.engine(),
                r.github(), r.busy() ? "yes" : "no", r.labels())));
        int[] width = new int[cells.get(0).length];
        cells.forEach(c -> {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        });
        StringBuilder b = new StringBuilder();
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                b.append(i == c.length - 1 ? c[i] : String.format("%-" + (width[i] + 2) + "s", c[i]));
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** The cells of one line, without FLEET and ENGINE unless they are shown. */
    private static String[] columns(boolean fleets, boolean engines, String... all) {
        List<String> cells = new ArrayList<>(List.of(all));
        if (!engines) {
            cells.remove(4);
        }
        if (!fleets) {
            cells.remove(1);
        }
        return cells.toArray(String[]::new);
    }

    static String json(List<Row> rows) {
        return rows.stream().map(r -> "{\"runner\":" + Json.quote(r.runner()) + ",\"fleet\":" + Json.quote(r.fleet())
                + ",\"pool\":" + Json.quote(r.pool())
                + ",\"container\":" + Json.quote(r.container()) + ",\"engine\":" + Json.quote(r.engine()) + ",\"github\":" + Json.quote(r.github()) + ",\"busy\":" + r.busy()
                + ",\"labels\":" + Json.quote(r.labels()) + "}").collect(Collectors.joining(",\n  ", "[\n  ", "\n]"));
    }

    /** The instances named (all when none named); an unknown name is an error naming the known ones. */
    static List<InstanceInfo> select(String fleet, List<InstanceInfo> instances, List<String> names) {
        return select(FleetNames.of(fleet), instances, names);
    }

    /**
     * The instances named, in full or without a fleet's prefix (all when none named); an unknown name is an error
     * naming the fleets searched and the runners known.
     */
    static List<InstanceInfo> select(FleetNames fleets, List<InstanceInfo> instances, List<String> names) {
        if (names == null || names.isEmpty()) {
            return instances;
        }
        List<InstanceInfo> out = new ArrayList<>();
        for (String name : names) {
            Optional<InstanceInfo> i = instances.stream().filter(x -> x.runnerName().equalsIgnoreCase(name)).findFirst()
                    .or(() -> fleets.all().stream().flatMap(f -> instances.stream()
                            .filter(x -> x.runnerName().equalsIgnoreCase(f + "-" + name))).findFirst());
            out.add(i.orElseThrow(() -> new InvalidSpecException("no runner " + name + " in " + fleets.describe() + "; known: "
                    + instances.stream().map(InstanceInfo::runnerName).sorted().collect(Collectors.joining(", "))
                    + " (see runnerfleet ps)")));
        }
        return out;
    }
}
