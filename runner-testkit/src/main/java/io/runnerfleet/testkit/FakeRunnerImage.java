package io.runnerfleet.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Docker build context of the fake runner image: {@code FROM} the local busybox base image
 * ({@link BusyboxBaseImage#TAG}, build it first), the {@link FakeRunner} scripts in
 * {@code /home/runner} owned by user {@code runner} (uid 1001, as in the official image), and
 * {@code WORKDIR /home/runner}, so {@code ./config.sh ... && exec ./run.sh} works from the image's
 * working directory.
 *
 * <pre>{@code
 * Path context = FakeRunnerImage.writeContext(Files.createTempDirectory("fake-runner-image"));
 * // docker build -t runnerfleet-test/fake-runner:1 <context>
 * // docker run --network host runnerfleet-test/fake-runner:1 \
 * //     sh -c './config.sh --url http://127.0.0.1:<port>/acme --token <t> --unattended && exec ./run.sh'
 * }</pre>
 *
 * <p>The container must reach the fake on {@code 127.0.0.1}: run it with host networking.
 */
public final class FakeRunnerImage {
    /** The tag tests build the image under. */
    public static final String TAG = "runnerfleet-test/fake-runner:1";

    private FakeRunnerImage() {
    }

    /**
     * Writes {@code Dockerfile} and the runner scripts into {@code dir} (created if missing) and returns it.
     *
     * @throws UncheckedIOException if the directory cannot be written
     */
    public static Path writeContext(Path dir) {
        FakeRunner.writeScripts(dir.resolve("runner"));
        try {
            Files.writeString(dir.resolve("Dockerfile"), String.join("\n",
                    "FROM " + BusyboxBaseImage.TAG,
                    "RUN echo 'runner:x:1001:1001:runner:/home/runner:/bin/sh' >> /etc/passwd"
                            + " && echo 'runner:x:1001:' >> /etc/group && mkdir -p /home/runner",
                    "COPY runner/ /home/runner/",
                    "RUN chown -R 1001:1001 /home/runner && chmod 755 /home/runner/*.sh",
                    "USER runner",
                    "ENV HOME=/home/runner",
                    "WORKDIR /home/runner",
                    "CMD [\"./run.sh\"]",
                    ""));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the fake runner image context to " + dir, e);
        }
    }
}
