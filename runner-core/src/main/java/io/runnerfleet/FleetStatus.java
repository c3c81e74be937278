package io.runnerfleet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One view of a fleet joining what the backend and GitHub report: the {@code ps} table.
 *
 * <pre>{@code
 * System.out.println(fleet.status().table());
 * // RUNNER          POOL   STATE  INSTANCE              GITHUB  BUSY  LABELS
 * // s1lqc-qemu-1    qemu   Idle   3f2a1c9d4e5f running  Idle    no    self-hosted,Linux,X64,intel
 * }</pre>
 *
 * @param fleet the fleet's name
 * @param registry the GitHub scope
 * @param runners every runner, sorted by name
 * @param desired how many runners each pool wants
 * @param at when the snapshot was taken
 */
public record FleetStatus(String fleet, String registry, List<Runner> runners, Map<String, Integer> desired, Instant at) {
    /** Copies the collections. */
    public FleetStatus {
        runners = List.copyOf(runners);
        desired = Map.copyOf(desired);
    }

    /** How many runners are in {@code state}'s kind ({@code Idle.class}, ...). */
    public long count(Class<? extends RunnerState> state) {
        return runners.stream().filter(r -> state.isInstance(r.state())).count();
    }

    /**
     * The status as an aligned text table, one runner per line; an {@code ENGINE} column follows
     * {@code INSTANCE} when the backend spans several engines.
     */
    public String table() {
        boolean engines = runners.stream().anyMatch(r -> !r.engine().isEmpty());
        List<String[]> rows = new ArrayList<>();
        rows.add(engines ? new String[] {"RUNNER", "POOL", "STATE", "INSTANCE", "ENGINE", "GITHUB", "BUSY", "LABELS"}
                : new String[] {"RUNNER", "POOL", "STATE", "INSTANCE", "GITHUB", "BUSY", "LABELS"});
        for (Runner r : runners) {
            List<String> row = new ArrayList<>(List.of(r.name(), r.pool(), r.state().name(),
                    r.shortInstanceId() + (r.instanceId() == null ? "" : " " + r.instanceState())));
            if (engines) {
                row.add(r.engine().isEmpty() ? "-" : r.engine());
            }
            row.addAll(List.of(r.githubStatus(), r.busy() ? "yes" : "no", r.labels().toCommaSeparated()));
            rows.add(row.toArray(String[]::new));
        }
        int[] width = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                b.append(i == row.length - 1 ? row[i] : String.format("%-" + (width[i] + 2) + "s", row[i]));
            }
            b.append('\n');
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "FleetStatus[" + fleet + ", " + runners.size() + " runners, " + count(RunnerState.Idle.class) + " idle, "
                + count(RunnerState.Active.class) + " active]";
    }
}
