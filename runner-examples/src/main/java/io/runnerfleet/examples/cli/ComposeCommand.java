package io.runnerfleet.examples.cli;

import io.runnerfleet.RegistrationMode;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.ComposeExport;
import io.runnerfleet.examples.cli.RunnerFleetCli.OfflineCommand;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegistrationToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code runnerfleet compose}: write docker-compose.yml (and runner-secrets.env.example) for the configured pools. */
@Command(name = "compose", description = "Write docker-compose.yml (and runner-secrets.env.example) for the configured pools.")
final class ComposeCommand extends OfflineCommand {
    @Option(names = "-n", defaultValue = "1", description = "how many generic runners (default ${DEFAULT-VALUE})")
    int count;

    @Option(names = {"-o", "--output"}, defaultValue = "docker-compose.yml", description = "the file to write (default ${DEFAULT-VALUE})")
    Path output;

    @Override
    int run(FleetConfig config) {
        // Secrets are not written: the compose file references runner-secrets.env, filled in by the user.
        RegistrationToken placeholder = new RegistrationToken(Secret.of("placeholder"), Instant.now().plus(Duration.ofHours(1)));
        String url = config.settings().organization().isEmpty() ? "https://github.com/your-org"
                : "https://github.com/" + config.settings().organization()
                + (config.settings().repository().isEmpty() ? "" : "/" + config.settings().repository());
        List<LaunchSpec> specs = new ArrayList<>();
        for (RunnerPool.Builder b : config.pools(count)) {
            RunnerPool pool = b.registrationMode(RegistrationMode.TOKEN).build();
            for (int i = 1; i <= pool.scaling().min(); i++) {
                specs.add(pool.template().launchSpec(RunnerName.of(config.fleetName(), pool.name(), i),
                        config.settings().image(), url, placeholder));
            }
        }
        ComposeExport export = ComposeExport.of(specs);
        export.writeTo(output);
        Path example = output.toAbsolutePath().resolveSibling("runner-secrets.env.example");
        try {
            Files.writeString(example, export.envFileTemplate());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + example + " next to " + output + ": " + e.getMessage()
                    + "; check that the directory is writable", e);
        }
        cli.terminal.out().println("wrote " + output + " with " + specs.size() + " runner(s); fill in runner-secrets.env");
        cli.terminal.out().flush();
        return ExitCode.OK;
    }
}
