package io.runnerfleet.docker;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.docker.testing.DockerEngine;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.tck.RunnerBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtendWith;

/** Core's backend TCK against the real engine, with the stand-in runner image. */
@ExtendWith(DockerEngine.class)
class DockerBackendContractIT extends RunnerBackendContract {
    private static volatile String image;

    @Override
    protected RunnerBackend createBackend() {
        DockerBackend backend = DockerBackend.fromEnvironment();
        synchronized (DockerBackendContractIT.class) {
            if (image == null) {
                try {
                    image = backend.prepare(StandInRunner.context(Files.createTempDirectory("tck-image")), p -> { });
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        return backend;
    }

    @Override
    protected RunnerImage referenceImage() {
        return RunnerImage.of(DockerEngine.busyboxImage());
    }

    @Override
    protected LaunchSpec.Builder launchSpec(String fleet, String runnerName) {
        return LaunchSpec.builder(fleet, "tck", runnerName, image).command(new RunnerCommand(List.of(), List.of()));
    }

    @Override
    protected void causeExit(InstanceInfo instance, int exitCode) {
        exec(instance, "echo " + exitCode + " > /tmp/exit-code");
    }

    @Override
    protected void emitOutput(InstanceInfo instance, List<String> lines) {
        StringBuilder cmd = new StringBuilder();
        for (String line : lines) {
            cmd.append("echo ").append(RunnerCommand.quote(line)).append(" > /proc/1/fd/1; ");
        }
        exec(instance, cmd.toString());
    }

    @Override
    protected boolean emitsListening() {
        return true;
    }

    @Override
    protected void afterCleanup(List<String> fleets) {
        fleets.forEach(f -> DockerEngine.assertNothingLeft(DockerBackend.FLEET_LABEL, f));
    }

    private static void exec(InstanceInfo instance, String script) {
        var client = DockerEngine.client();
        String id = client.execCreateCmd(instance.id()).withCmd("/bin/sh", "-c", script).exec().getId();
        try {
            client.execStartCmd(id).start().awaitCompletion(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

}
