package io.runnerfleet.examples.cli;

import static io.runnerfleet.examples.cli.RunnerTable.select;

import io.runnerfleet.examples.cli.RunnerFleetCli.DockerCommand;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runnerfleet log}: print a runner's container log (a runner of the fleet or of a scale-set pool's fleet). */
@Command(name = "log", description = "Print a runner's container log.")
final class LogCommand extends DockerCommand {
    @Parameters(index = "0", paramLabel = "NAME")
    String name;

    @Option(names = {"-f", "--follow"}, description = "keep printing new lines until interrupted")
    boolean follow;

    @Option(names = {"-n", "--lines"}, defaultValue = "200", description = "lines from the end (default ${DEFAULT-VALUE})")
    int lines;

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        InstanceInfo i = select(config.fleets(), config.fleets().instances(backend), List.of(name)).get(0);
        LogQuery query = follow ? new LogQuery(lines, null, true) : LogQuery.tail(lines);
        try (LogStream logs = backend.logs(i.id(), query)) {
            logs.lines().forEach(l -> {
                cli.terminal.out().println(l);
                cli.terminal.out().flush();
            });
        }
        return ExitCode.OK;
    }
}
