// Runner Fleet quickstart: the STYLE example, against an embedded fake GitHub and your local Docker engine.
// Open it (after scripts/runnerfleet --version has built the jar) with:
//   jshell --class-path runner-examples/target/runner-examples-0.1.0-SNAPSHOT-all.jar runner-examples/src/main/jshell/quickstart.jsh
// It takes about ten seconds and removes everything it creates. Against real GitHub, replace the fake
// with GitHubRegistry.builder(RunnerScope.organization("your-org")).credentials(GitHubCredentials.token(Secret.of(System.getenv("GH_PAT")))).build()
// and the demo image with your own, e.g. RunnerImage.of("ghcr.io/actions/actions-runner:latest").

import io.runnerfleet.*;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.*;
import io.runnerfleet.testkit.*;
import java.nio.file.*;
import java.time.Duration;

// 1. A fake GitHub on 127.0.0.1 with an organization and an admin token.
FakeGitHub github = FakeGitHub.builder().offlineAfter(Duration.ofSeconds(3)).build().start();
FakeScope acme = github.organization("acme");
Secret pat = github.newToken("admin:org", "repo");

// 2. The local Docker engine, and a small runner image that behaves like GitHub's runner against the fake.
DockerBackend docker = DockerBackend.fromEnvironment();
docker.prepare(RunnerImage.dockerfile(BusyboxBaseImage.writeContext(Files.createTempDirectory("base"))).tag(BusyboxBaseImage.TAG), p -> {});
RunnerImage image = RunnerImage.dockerfile(FakeRunnerImage.writeContext(Files.createTempDirectory("runner"))).tag(FakeRunnerImage.TAG);

// 3. The fleet of the STYLE example: ephemeral generic runners and one board runner with a serial device.
// (jshell reads line by line: a line ending in "." continues, one starting with "." would not)
RunnerFleet fleet = RunnerFleet.builder().
        name("quickstart" + ProcessHandle.current().pid() % 10000).
        registry(GitHubRegistry.builder(RunnerScope.organization("acme")).baseUrl(github.url()).webUrl(github.url()).
                credentials(GitHubCredentials.token(pat)).build()).
        backend(docker).
        pool(RunnerPool.builder("qemu").image(image).labels("intel").ephemeral(true).scaling(Scaling.fixed(2))).
        pool(RunnerPool.builder("phytiumpi").image(image).labels("phytiumpi").
                devices("/dev/null:/dev/ttyUSB0").env("BOARD_COMM_UART_BAUD", "115200").scaling(Scaling.fixed(1))).
        pollInterval(Duration.ofMillis(250)).
        build();

// 4. Start: blocks until every runner is Idle, or throws.
fleet.start();
System.out.println(fleet.status().table());

// 5. Who can take a job, or why nobody can.
System.out.println(fleet.match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi")).explain());
System.out.println(fleet.match(JobRequest.runsOn("self-hosted", "linux", "riscv-board")).explain());

// 6. Remove everything: registrations, containers, volumes.
fleet.remove();
docker.close();
github.close();
