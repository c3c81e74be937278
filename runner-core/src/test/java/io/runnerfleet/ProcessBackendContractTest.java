package io.runnerfleet;

import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerCommand;
import io.runnerfleet.spi.tck.RunnerBackendContract;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessBackend} passes the backend TCK with a stand-in runner distribution. */
class ProcessBackendContractTest extends RunnerBackendContract {
    @TempDir
    Path temp;

    @Override
    protected RunnerBackend createBackend() {
        try {
            Path dist = Files.createDirectories(temp.resolve("dist"));
            write(dist.resolve("config.sh"), "#!/bin/sh\nexit 0\n");
            // Stays up until asked (through files the test drops) to print lines or exit with a code.
            write(dist.resolve("run.sh"), """
                    #!/bin/sh
                    trap 'exit 0' TERM INT
                    while :; do
                      if [ -f .emit ]; then cat .emit; rm -f .emit; fi
                      if [ -f .exit-now ]; then c=$(cat .exit-now); rm -f .exit-now; exit "$c"; fi
                      sleep 0.05 & wait $!
                    done
                    """);
            return ProcessBackend.builder().distribution(dist).root(temp.resolve("runners")).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @Override
    protected boolean emitsListening() {
        return true;
    }

    @Override
    protected RunnerImage referenceImage() {
        return RunnerImage.of("unused-by-processes:1");
    }

    @Override
    protected LaunchSpec.Builder launchSpec(String fleet, String runnerName) {
        return LaunchSpec.builder(fleet, "tck", runnerName, "unused-by-processes:1")
                .command(new RunnerCommand(List.of(), List.of()));
    }

    @Override
    protected void causeExit(InstanceInfo instance, int exitCode) {
        drop(instance, ".exit-now", Integer.toString(exitCode));
    }

    @Override
    protected void emitOutput(InstanceInfo instance, List<String> lines) {
        drop(instance, ".emit", String.join("\n", lines) + "\n");
    }

    // Written then renamed, so the runner never reads half a file.
    private void drop(InstanceInfo instance, String name, String content) {
        try {
            Path dir = temp.resolve("runners").resolve(instance.id());
            Path tmp = Files.writeString(dir.resolve(name + ".tmp"), content);
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void afterCleanup(List<String> fleets) {
        try (var dirs = Files.list(temp.resolve("runners"))) {
            List<Path> left = dirs.toList();
            if (!left.isEmpty()) {
                throw new AssertionError("runner directories left behind: " + left);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing was ever launched
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
