package io.runnerfleet.examples.cli;

import io.runnerfleet.examples.cli.RunnerFleetCli.FleetCommand;
import io.runnerfleet.spi.RunnerBackend;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code runnerfleet purge}: remove every runner of the fleet and of its scale-set pools' fleets: registrations,
 * containers and volumes.
 */
@Command(name = "purge", description = "Remove every runner of the fleet (its scale-set pools' fleets included):"
        + " registrations, containers and volumes.")
final class PurgeCommand extends FleetCommand {
    @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
    boolean yes;

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        return RmCommand.remove(cli, config, registry(config), backend, List.of(), yes);
    }
}
