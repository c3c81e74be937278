package io.runnerfleet.examples.faults;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The rows {@link FaultMatrixIT} fills in, printed as one Markdown table when the suite ends (and written to
 * {@code target/fault-matrix.md}, from which the README's table is copied).
 */
final class FaultTable {
    /**
     * One fault and what became of the fleet's promise.
     *
     * @param fault what was done to the fleet
     * @param promise what the fleet promises under that fault
     * @param result {@code held}, or what broke
     * @param recoverSeconds from the end of the fault to the fleet converged again, or -1 when it did not
     * @param ghosts registrations at GitHub with no instance, once converged
     * @param leakedContainers containers of the fleet left after its removal
     * @param leakedVolumes volumes of the fleet left after its removal
     * @param duplicates runners registered or launched twice for one slot
     * @param jobsKilled jobs that did not succeed
     */
    record Row(String fault, String promise, String result, double recoverSeconds, int ghosts, int leakedContainers,
            int leakedVolumes, int duplicates, int jobsKilled) {
    }

    private final List<Row> rows = new ArrayList<>();

    synchronized void add(Row row) {
        rows.add(row);
    }

    synchronized String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| fault | promise | result | s to recover | ghosts | leaked containers / volumes | duplicates | jobs killed |\n");
        b.append("|---|---|---|---:|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            b.append("| ").append(r.fault()).append(" | ").append(r.promise()).append(" | ").append(r.result())
                    .append(" | ").append(r.recoverSeconds() < 0 ? "—" : String.format(Locale.ROOT, "%.1f", r.recoverSeconds()))
                    .append(" | ").append(r.ghosts())
                    .append(" | ").append(r.leakedContainers()).append(" / ").append(r.leakedVolumes())
                    .append(" | ").append(r.duplicates())
                    .append(" | ").append(r.jobsKilled()).append(" |\n");
        }
        return b.toString();
    }

    /** Prints the table and writes it to {@code target/fault-matrix.md}. */
    synchronized void print() {
        String table = markdown();
        System.out.println("Fault matrix (" + rows.size() + " rows):\n" + table);
        try {
            Path out = Path.of("target", "fault-matrix.md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, table, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
