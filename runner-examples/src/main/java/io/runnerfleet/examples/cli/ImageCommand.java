package io.runnerfleet.examples.cli;

import io.runnerfleet.examples.cli.RunnerFleetCli.DockerCommand;
import io.runnerfleet.spi.RunnerBackend;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code runnerfleet image}: build the runner image (RUNNER_CUSTOM_IMAGE from a Dockerfile directory) or pull RUNNER_IMAGE. */
@Command(name = "image", description = "Build the runner image (RUNNER_CUSTOM_IMAGE from a Dockerfile directory) or pull RUNNER_IMAGE.")
final class ImageCommand extends DockerCommand {
    @Option(names = "--dockerfile-dir", description = "directory with a Dockerfile to build as RUNNER_CUSTOM_IMAGE")
    Path dir;

    @Override
    int run(FleetConfig config, RunnerBackend backend) {
        io.runnerfleet.RunnerImage image = dir != null
                ? io.runnerfleet.RunnerImage.dockerfile(dir).tag(config.settings().customImage()) : config.image();
        String ref;
        try (PrintWriterProgress bar = progress("image")) {
            ref = backend.prepare(image, p -> bar.update(p.step(), p.totalSteps()));
        }
        cli.terminal.out().println("image ready: " + ref);
        cli.terminal.out().flush();
        return ExitCode.OK;
    }
}
