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

    /** One row of {@code ps}: what Docker and GitHub say about one runner name. */
    record Row(String runner, String pool, String container, String github, boolean busy, String labels, String engine) {
    }

    /** The joined table of the fleet's containers and its registrations (runners without either included). */
    static List<Row> rows(String fleet, List<InstanceInfo> instances, List<RegisteredRunner> registered) {
        Map<String, InstanceInfo> byName = new TreeMap<>();
        instances.forEach(i -> byName.put(i.runnerName().toLowerCase(Locale.ROOT), i));
        Map<String, RegisteredRunner> regs = new TreeMap<>();
        registered.stream().filter(r -> ours(fleet, r.name())).forEach(r -> regs.put(r.name().toLowerCase(Locale.ROOT), r));
        TreeMap<String, Row> rows = new TreeMap<>(RunnerTable::natural);
        java.util.Set<String> names = new java.util.TreeSet<>(byName.keySet());
        names.addAll(regs.keySet());
        for (String key : names) {
            InstanceInfo i = byName.get(key);
            RegisteredRunner r = regs.get(key);
            String name = i != null ? i.runnerName() : r.name();
            String pool = i != null && i.pool() != null ? i.pool() : poolOf(fleet, name);
            rows.put(key, new Row(name, pool, i == null ? "-" : i.state().name().toLowerCase(Locale.ROOT), r == null ? "-" : r.displayStatus(),
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

    /** The {@code ps} table; an ENGINE column follows CONTAINER when the fleet spans several engines. */
    static String table(List<Row> rows) {
        boolean engines = rows.stream().anyMatch(r -> !r.engine().equals("-"));
        List<String[]> cells = new ArrayList<>();
        cells.add(engines ? new String[] {"RUNNER", "POOL", "CONTAINER", "ENGINE", "GITHUB", "BUSY", "LABELS"}
                : new String[] {"RUNNER", "POOL", "CONTAINER", "GITHUB", "BUSY", "LABELS"});
        rows.forEach(r -> cells.add(engines
                ? new String[] {r.runner(), r.pool(), r.container(), r.engine(), r.github(), r.busy() ? "yes" : "no", r.labels()}
                : new String[] {r.runner(), r.pool(), r.container(), r.github(), r.busy() ? "yes" : "no", r.labels()}));
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

    static String json(List<Row> rows) {
        return rows.stream().map(r -> "{\"runner\":" + Json.quote(r.runner()) + ",\"pool\":" + Json.quote(r.pool())
                + ",\"container\":" + Json.quote(r.container()) + ",\"engine\":" + Json.quote(r.engine()) + ",\"github\":" + Json.quote(r.github()) + ",\"busy\":" + r.busy()
                + ",\"labels\":" + Json.quote(r.labels()) + "}").collect(Collectors.joining(",\n  ", "[\n  ", "\n]"));
    }

    /** The instances named (all when none named); an unknown name is an error naming the known ones. */
    static List<InstanceInfo> select(String fleet, List<InstanceInfo> instances, List<String> names) {
        if (names == null || names.isEmpty()) {
            return instances;
        }
        List<InstanceInfo> out = new ArrayList<>();
        for (String name : names) {
            Optional<InstanceInfo> i = instances.stream().filter(x -> x.runnerName().equalsIgnoreCase(name)
                    || x.runnerName().equalsIgnoreCase(fleet + "-" + name)).findFirst();
            out.add(i.orElseThrow(() -> new InvalidSpecException("no runner " + name + " in fleet " + fleet + "; known: "
                    + instances.stream().map(InstanceInfo::runnerName).sorted().collect(Collectors.joining(", "))
                    + " (see runnerfleet ps)")));
        }
        return out;
    }
}
