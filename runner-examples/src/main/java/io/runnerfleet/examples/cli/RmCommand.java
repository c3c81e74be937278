package io.runnerfleet.examples.cli;

import static io.runnerfleet.examples.cli.RunnerFleetCli.message;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.examples.cli.RunnerFleetCli.FleetCommand;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerBackend;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code runnerfleet rm}: deregister runners and remove their containers and volumes (all, or the names given). */
@Command(name = "rm", aliases = {"remove", "delete"}, description = "Deregister runners and remove their containers and volumes (all, or the names given).")
final class RmCommand extends FleetCommand {
    @Parameters(arity = "0..*", paramLabel = "NAME")
    List<String> names = new ArrayList<>();

    @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
    boolean yes;

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        return remove(cli, config, registry(config), backend, names, yes);
    }

    /**
     * Removes the named runners (or all) of the fleet and of its scale-set pools' fleets: registration first, then
     * container and volumes.
     */
    static int remove(RunnerFleetCli cli, FleetConfig config, GitHubRegistry registry, RunnerBackend backend,
                      List<String> names, boolean yes) {
        FleetNames fleets = config.fleets();
        List<InstanceInfo> instances = fleets.instances(backend);
        List<RegisteredRunner> registered = registry.runners().stream().filter(r -> fleets.owner(r.name()).isPresent())
                .toList();
        java.util.Set<String> targets = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        if (names.isEmpty()) {
            instances.forEach(i -> targets.add(i.runnerName()));
            registered.forEach(r -> targets.add(r.name()));
        } else {
            for (String n : names) {
                // In full, or without the prefix of any of the fleets (the main fleet's first).
                List<String> candidates = new ArrayList<>();
                if (fleets.owner(n).isPresent()) {
                    candidates.add(n);
                }
                fleets.all().forEach(f -> candidates.add(f + "-" + n));
                String full = candidates.stream().filter(c -> known(c, instances, registered)).findFirst()
                        .orElseThrow(() -> new InvalidSpecException("no runner " + n + " in " + fleets.describe()
                                + " on Docker or at GitHub (see runnerfleet ps)"));
                targets.add(full);
            }
        }
        if (targets.isEmpty()) {
            if (names.isEmpty()) {
                removeLeftVolumes(backend, fleets);
            }
            cli.terminal.out().println("nothing to remove in " + fleets.describe());
            return ExitCode.OK;
        }
        cli.confirm(yes, "remove " + targets.size() + " runner(s) of " + fleets.describe()
                + " (registrations, containers, volumes)");
        List<String> failures = new ArrayList<>();
        for (String name : targets) {
            try {
                for (RegisteredRunner r : registered) {
                    if (r.name().equalsIgnoreCase(name)) {
                        registry.delete(r);
                    }
                }
                for (InstanceInfo i : instances) {
                    if (i.runnerName().equalsIgnoreCase(name)) {
                        backend.remove(i.id(), false);
                    }
                }
                cli.terminal.out().println("removed " + name);
            } catch (RunnerFleetException e) {
                failures.add(name + ": " + message(e));
            }
        }
        if (names.isEmpty()) {
            try {
                removeLeftVolumes(backend, fleets);
            } catch (RunnerFleetException e) {
                failures.add("volumes: " + message(e));
            }
        }
        cli.terminal.out().flush();
        if (!failures.isEmpty()) {
            throw new RunnerFleetException("could not remove " + failures.size() + " runner(s): " + String.join("; ", failures));
        }
        return ExitCode.OK;
    }

    // purge: also the volumes of runners whose container is already gone (kept by shutdown, or by a crash).
    private static void removeLeftVolumes(RunnerBackend backend, FleetNames fleets) {
        fleets.all().forEach(backend::removeVolumes);
    }

    private static boolean known(String name, List<InstanceInfo> instances, List<RegisteredRunner> registered) {
        return instances.stream().anyMatch(i -> i.runnerName().equalsIgnoreCase(name))
                || registered.stream().anyMatch(r -> r.name().equalsIgnoreCase(name));
    }
}
