package io.runnerfleet.examples;

import io.runnerfleet.JobRequest;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import java.nio.file.Path;

/**
 * The example at the top of {@code /work/shared/STYLE.md}, as a program; {@link StyleExampleIT} runs it in a
 * child JVM against the fake GitHub.
 *
 * <pre>{@code
 * GH_PAT=... GITHUB_API_URL=http://127.0.0.1:PORT GITHUB_SERVER_URL=http://127.0.0.1:PORT \
 *     java -cp ... io.runnerfleet.examples.StyleExample     # in a directory holding runner-image/
 * }</pre>
 *
 * <p>Sharp edge: closing the fleet leaves the runners running (a new fleet named {@code s1lqc} adopts them).
 */
final class StyleExample {
    private StyleExample() {
    }

    public static void main(String[] args) {
        // Copied from STYLE.md: it must stay statement for statement identical to the block there.
        try (RunnerFleet fleet = RunnerFleet.builder()
                .name("s1lqc")
                .registry(GitHubRegistry.organization("arceos-hypervisor", GitHubCredentials.fromEnvironment()))
                .backend(DockerBackend.fromEnvironment())
                .pool(RunnerPool.builder("qemu")
                    .image(RunnerImage.dockerfile(Path.of("runner-image")).tag("s1lqc-runner:1"))
                    .labels("intel")
                    .devices("/dev/kvm")
                    .ephemeral(true)
                    .scaling(Scaling.fixed(4)))
                .pool(RunnerPool.builder("phytiumpi")
                    .labels("phytiumpi")
                    .devices("/dev/serial/by-id/usb-FTDI-if00-port0")
                    .groups("dialout")
                    .env("BOARD_COMM_UART_BAUD", "115200")
                    .scaling(Scaling.fixed(1)))
                .build()) {
            fleet.start();                                   // blocks until every runner is Idle, or throws
            fleet.runners().forEach(System.out::println);    // Runner[s1lqc-qemu-1, Idle, container 3f2a1c9d]
            fleet.match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi"));   // who can take it, or why nobody can
        }
    }
}
