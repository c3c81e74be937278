package io.runnerfleet.examples.cli;

import static io.runnerfleet.examples.cli.RunnerTable.json;
import static io.runnerfleet.examples.cli.RunnerTable.table;

import io.runnerfleet.examples.cli.RunnerFleetCli.FleetCommand;
import io.runnerfleet.examples.cli.RunnerTable.Row;
import io.runnerfleet.spi.RunnerBackend;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runnerfleet ps}: one table of the fleet's runners, and those of its scale-set pools' fleets: container
 * state and GitHub status.
 */
@Command(name = "ps", aliases = {"ls", "list", "status"}, description = "One table of the fleet's runners (its scale-set"
        + " pools' fleets included): container state and GitHub status.")
final class PsCommand extends FleetCommand {
    @Option(names = "--json", description = "print JSON instead of a table")
    boolean json;

    @Option(names = {"-w", "--watch"}, description = "redraw the table as runners change, until interrupted"
            + " (ANSI on a terminal, a new timestamped table per change otherwise)")
    boolean watch;

    @Option(names = "--interval", defaultValue = "2", description = "seconds between looks with --watch (default ${DEFAULT-VALUE})")
    int interval;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    boolean listsRunnersFirst() {
        return !watch || !json && interval >= 1;
    }

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        if (watch && (json || interval < 1)) {
            throw new CommandLine.ParameterException(spec.commandLine(), json ? "--watch prints tables; drop --json"
                    : "--interval must be 1 second or more, not " + interval);
        }
        if (!watch) {
            List<Row> rows = rowsNow(config, backend);
            cli.terminal.out().print(json ? json(rows) + "\n" : table(rows, config.fleets().several()));
            cli.terminal.out().flush();
            return ExitCode.OK;
        }
        String previous = null;
        while (!Thread.currentThread().isInterrupted()) {
            // The registry lists with If-None-Match, so an unchanged fleet costs GitHub nothing (304).
            String table = table(rowsNow(config, backend), config.fleets().several());
            String frame = watchFrame(previous, table, cli.terminal.interactive(), Instant.now());
            if (frame != null) {
                cli.terminal.out().print(frame);
                cli.terminal.out().flush();
            }
            previous = table;
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(interval).toNanos());
        }
        return ExitCode.OK;
    }

    /**
     * What {@code ps --watch} prints for a new look at the fleet: nothing when the table is unchanged; on a
     * terminal the screen cleared and redrawn (ANSI); otherwise the new table under a timestamp line.
     */
    static String watchFrame(String previous, String table, boolean ansi, Instant at) {
        if (table.equals(previous)) {
            return null;
        }
        String header = "runnerfleet ps --watch  " + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\n";
        return ansi ? "\u001b[H\u001b[2J" + header + table : (previous == null ? "" : "\n") + header + table;
    }
}
