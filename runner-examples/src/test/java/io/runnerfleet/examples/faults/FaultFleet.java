package io.runnerfleet.examples.faults;

import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.testkit.FakeRunnerImage;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;

/**
 * The fleet every row of {@link FaultMatrixIT} runs, built the same way in the test JVM and in the child JVM
 * that a row kills, so that the next fleet with the same name is the same fleet: one pool {@code gen} of
 * persistent runners with a named work volume (so leaked volumes show), on the fake runner image, against
 * the fake GitHub's organisation {@code acme}.
 *
 * <p>As a program it is the child: {@code FaultFleet <github url> <fleet name> <runners>} with the token in
 * {@code GH_PAT}; it prints {@code starting}, calls {@code start()}, prints {@code ready}, and then runs until
 * killed or until its standard input closes (it never removes its runners: a crash leaves them as they are).
 */
public final class FaultFleet {
    /** The organisation the fleets register in. */
    public static final String ORG = "acme";
    /** The pool's name. */
    public static final String POOL = "gen";

    private FaultFleet() {
    }

    /**
     * The fleet's builder with the settings of every row: fast polls and cycles, short backoff, and the
     * default registration timeout (10 minutes), so that recovering from a crash cannot lean on it.
     */
    public static RunnerFleet.Builder builder(String githubUrl, Secret pat, String name, RunnerPool.Builder pool,
            DockerBackend backend) {
        GitHubRegistry registry = GitHubRegistry.builder(RunnerScope.organization(ORG)).baseUrl(githubUrl)
                .webUrl(githubUrl).credentials(GitHubCredentials.token(pat)).build();
        return RunnerFleet.builder().name(name).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(250)).reconcileInterval(Duration.ofSeconds(2))
                .drainTimeout(Duration.ofSeconds(30)).startTimeout(Duration.ofSeconds(120))
                .backoff(Duration.ofMillis(200), Duration.ofSeconds(2)).pool(pool);
    }

    /** The generic pool: {@code n} persistent runners, labels {@code gen}, a work volume. */
    public static RunnerPool.Builder pool(Scaling scaling) {
        return RunnerPool.builder(POOL).image(RunnerImage.of(FakeRunnerImage.TAG)).labels("gen")
                .volumes(new VolumeMount("work", "/home/runner/_work")).scaling(scaling);
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || System.getenv("GH_PAT") == null) {
            System.err.println("usage: GH_PAT=... FaultFleet <github url> <fleet name> <runners>");
            System.exit(2);
        }
        DockerBackend backend = DockerBackend.fromEnvironment();
        RunnerFleet fleet = builder(args[0], Secret.of(System.getenv("GH_PAT")), args[1],
                pool(Scaling.fixed(Integer.parseInt(args[2]))), backend).build();
        System.out.println("starting");
        System.out.flush();
        fleet.start();
        System.out.println("ready");
        System.out.flush();
        InputStream in = System.in;
        while (in.read() >= 0) {
            // runs until killed, or until the parent closes our input
        }
        fleet.close();
        backend.close();
    }
}
