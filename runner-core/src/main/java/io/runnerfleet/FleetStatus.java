package io.runnerfleet;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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
 * @param warmth per pool kept warm (see {@link Warmth}): its warm target, idle runners and open schedule
 * @param at when the snapshot was taken
 */
public record FleetStatus(String fleet, String registry, List<Runner> runners, Map<String, Integer> desired,
                          Map<String, PoolWarmth> warmth, Instant at) {
    /** Copies the collections. */
    public FleetStatus {
        runners = List.copyOf(runners);
        desired = Map.copyOf(desired);
        warmth = Map.copyOf(warmth);
    }

    /** A status without warm pools. */
    public FleetStatus(String fleet, String registry, List<Runner> runners, Map<String, Integer> desired, Instant at) {
        this(fleet, registry, runners, desired, Map.of(), at);
    }

    /**
     * How warm one pool is kept right now.
     *
     * @param target how many runners its warmth keeps: the floor of an on-demand pool (idle minimum, or the
     *     size held after its last job), the count of a fixed pool
     * @param idle how many of its runners are Idle
     * @param schedule the schedule open now, or empty
     * @param reason why the target is what it is ({@code "idle minimum 1"})
     */
    public record PoolWarmth(int target, long idle, Optional<WarmSchedule> schedule, String reason) {
        /** Checks the parts are present. */
        public PoolWarmth {
            Objects.requireNonNull(schedule, "schedule");
            Objects.requireNonNull(reason, "reason");
        }

        /** {@code target 4, 3 idle, schedule Mon-Fri 08:00-18:00: 4}. */
        @Override
        public String toString() {
            return "target " + target + ", " + idle + " idle" + schedule.map(s -> ", schedule " + s).orElse("");
        }
    }

    /** How many runners are in {@code state}'s kind ({@code Idle.class}, ...). */
    public long count(Class<? extends RunnerState> state) {
        return runners.stream().filter(r -> state.isInstance(r.state())).count();
    }

    /**
     * The status as an aligned text table, one runner per line; an {@code ENGINE} column follows
     * {@code INSTANCE} when the backend spans several engines, and a {@code JOB} column (the job's id) follows
     * {@code BUSY} when a runner's job is known.
     */
    public String table() {
        boolean engines = runners.stream().anyMatch(r -> !r.engine().isEmpty());
        boolean jobs = runners.stream().anyMatch(r -> r.job() != null);
        List<String[]> rows = new ArrayList<>();
        List<String> header = new ArrayList<>(List.of("RUNNER", "POOL", "STATE", "INSTANCE"));
        if (engines) {
            header.add("ENGINE");
        }
        header.addAll(jobs ? List.of("GITHUB", "BUSY", "JOB", "LABELS") : List.of("GITHUB", "BUSY", "LABELS"));
        rows.add(header.toArray(String[]::new));
        for (Runner r : runners) {
            List<String> row = new ArrayList<>(List.of(r.name(), r.pool(), r.state().name(),
                    r.shortInstanceId() + (r.instanceId() == null ? "" : " " + r.instanceState())));
            if (engines) {
                row.add(r.engine().isEmpty() ? "-" : r.engine());
            }
            row.addAll(List.of(r.githubStatus(), r.busy() ? "yes" : "no"));
            if (jobs) {
                row.add(r.job() == null ? "-" : r.job().id());
            }
            row.add(r.labels().toCommaSeparated());
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
                + count(RunnerState.Active.class) + " active" + (warmth.isEmpty() ? "" : ", warm " + warmth) + "]";
    }
}
