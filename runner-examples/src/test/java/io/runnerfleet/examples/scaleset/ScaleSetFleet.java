package io.runnerfleet.examples.scaleset;

import io.runnerfleet.FleetListener;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.scaleset.ScaleSetAutoscaler;
import io.runnerfleet.github.scaleset.ScaleSetClient;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.testkit.FakeRunnerImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;

/**
 * One fleet driven by one scale set against the fake GitHub, as every scale-set IT builds it: pool
 * {@value #POOL} of ephemeral runners on the fake runner image, scale set {@value #SCALE_SET} of organisation
 * {@value #ORG}, fast cycles and short backoffs.
 *
 * <p>As a program it is the child JVM of the kill test: {@code ScaleSetFleet <github url> <fleet name>
 * <state file> <max>} with the token in {@code GH_PAT}; it prints {@code ready} once the autoscaler has
 * started the fleet and runs until killed or until its standard input closes.
 */
public final class ScaleSetFleet implements AutoCloseable {
    /** The organisation. */
    public static final String ORG = "acme";
    /** The pool. */
    public static final String POOL = "linux";
    /** The scale set, also the label jobs run on. */
    public static final String SCALE_SET = "ssit-linux";

    private final GitHubClient github;
    private final ScaleSetClient client;
    private final ScaleSetAutoscaler autoscaler;
    private final RunnerFleet fleet;

    /** Builds (does not start) a fleet {@code name} of {@code 0..max} runners driven by the scale set. */
    public ScaleSetFleet(String githubUrl, Secret pat, String name, int max, Path stateFile, DockerBackend backend,
                         FleetListener listener) {
        github = GitHubClient.builder().baseUrl(githubUrl).webUrl(githubUrl).credentials(GitHubCredentials.token(pat))
                .build();
        client = ScaleSetClient.builder().github(github, RunnerScope.organization(ORG)).build();
        autoscaler = ScaleSetAutoscaler.builder(client, ScaleSetSpec.named(SCALE_SET)).stateFile(stateFile)
                .owner("it-" + name).backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
                .minPollInterval(Duration.ZERO).build();
        fleet = RunnerFleet.builder().name(name).registry(autoscaler.registry()).backend(backend)
                .listener(listener).pollInterval(Duration.ofMillis(250)).reconcileInterval(Duration.ofSeconds(2))
                .registrationTimeout(Duration.ofSeconds(60)).drainTimeout(Duration.ofSeconds(30))
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(2))
                .pool(RunnerPool.builder(POOL).image(RunnerImage.of(FakeRunnerImage.TAG)).ephemeral(true)
                        .scaling(Scaling.onDemand(0, max)))
                .build();
    }

    /** Starts listening and the fleet. */
    public ScaleSetFleet start() {
        autoscaler.start(fleet);
        return this;
    }

    public RunnerFleet fleet() {
        return fleet;
    }

    public ScaleSetAutoscaler autoscaler() {
        return autoscaler;
    }

    /** Stops listening and the fleet's threads; runners keep running (a killed process leaves them the same way). */
    @Override
    public void close() {
        autoscaler.close();
        fleet.close();
        client.close();
        github.close();
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 4 || System.getenv("GH_PAT") == null) {
            System.err.println("usage: GH_PAT=... ScaleSetFleet <github url> <fleet name> <state file> <max>");
            System.exit(2);
        }
        DockerBackend backend = DockerBackend.fromEnvironment();
        ScaleSetFleet f = new ScaleSetFleet(args[0], Secret.of(System.getenv("GH_PAT")), args[1],
                Integer.parseInt(args[3]), Path.of(args[2]), backend, e -> { });
        f.start();
        System.out.println("ready");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) {
            // runs until killed, or until the parent closes our input
        }
        f.close();
        backend.close();
    }
}
