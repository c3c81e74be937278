package io.runnerfleet.examples.cli;

import io.runnerfleet.JobRequest;
import io.runnerfleet.MatchResult;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.examples.cli.RunnerFleetCli.OfflineCommand;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code runnerfleet match}: say which pools or runners can take a job with these runs-on labels, or why none can. */
@Command(name = "match", description = "Say which pools or runners can take a job with these runs-on labels, or why none can.")
final class MatchCommand extends OfflineCommand {
    @Option(names = "--runs-on", required = true, split = ",", description = "the job's runs-on labels, comma-separated")
    List<String> labels;

    @Option(names = "--repo", description = "the job's repository, owner/name")
    String repo;

    @Option(names = "--public", description = "the job's repository is public: only runner groups that allow public"
            + " repositories take it (Default does not)")
    boolean publicRepository;

    @Option(names = "-n", defaultValue = "1", description = "generic runners to assume (default ${DEFAULT-VALUE})")
    int count;

    @Override
    int run(FleetConfig config) {
        JobRequest job = JobRequest.runsOn(labels);
        if (repo != null) {
            job = job.repository(repo);
        }
        job = job.publicRepository(publicRepository);
        List<RunnerPool> pools = config.pools(count).stream().map(RunnerPool.Builder::build).toList();
        MatchResult result = io.runnerfleet.Matcher.of(pools.stream().map(RunnerPool::candidate).toList()).match(job);
        cli.terminal.out().println(result.explain());
        String group = config.settings().runnerGroup();
        if (publicRepository && !io.runnerfleet.RunnerGroup.DEFAULT_NAME.equalsIgnoreCase(group)) {
            // Offline, the group's access settings at GitHub are unknown: say which ones were assumed.
            cli.terminal.out().println("note: runner group '" + group + "' (RUNNER_GROUP) was taken with GitHub's defaults"
                    + " for a new group, which refuse public repositories; if it allows them at GitHub, its runners"
                    + " can take the job");
        }
        cli.terminal.out().println("pools of fleet " + config.fleetName() + ":");
        pools.forEach(p -> cli.terminal.out().println("  " + p.name() + ": labels " + p.template().labels().toCommaSeparated()));
        cli.terminal.out().flush();
        return result.matched() ? ExitCode.OK : ExitCode.FAILURE;
    }
}
