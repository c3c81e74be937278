package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Scaling;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubClient;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.github.RunnerScope;
import io.runnerfleet.github.scaleset.ScaleSetClient;
import io.runnerfleet.github.scaleset.ScaleSetListener;
import io.runnerfleet.github.scaleset.ScaleSetSpec;
import io.runnerfleet.testing.Await;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testkit.Fault;
import io.runnerfleet.testkit.FakeGitHub;
import io.runnerfleet.testkit.FakeScope;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A scale-set pool of serve starting against the fake's Actions service, with an in-memory backend. */
class ServeScaleSetStartTest {
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private FakeGitHub github;
    private FakeScope acme;
    private GitHubClient client;
    private ScaleSetClient scaleSets;
    private final InMemoryBackend backend = InMemoryBackend.builder().build();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void fake() {
        github = FakeGitHub.builder().pollTimeout(Duration.ofSeconds(2)).build().start();
        acme = github.organization("acme");
        Secret pat = github.newToken("admin:org");
        client = GitHubClient.builder().baseUrl(github.url()).webUrl(github.url()).credentials(GitHubCredentials.token(pat))
                .build();
        scaleSets = ScaleSetClient.builder().github(client, RunnerScope.organization("acme")).build();
    }

    @AfterEach
    void close() {
        scaleSets.close();
        client.close();
        github.close();
    }

    private ServeScaleSet serveScaleSet(String name) {
        return serveScaleSet(name, Duration.ofSeconds(60));
    }

    private ServeScaleSet serveScaleSet(String name, Duration startTimeout) {
        ServeScaleSet.Fleets fleets = (fleetName, registry, instrumented, pool) -> RunnerFleet.builder().name(fleetName)
                .registry(registry).backend(instrumented).pool(pool).build();
        return new ServeScaleSet("runner", "ci-runner", ScaleSetSpec.named(name), scaleSets, dir.resolve(name + ".json"),
                RunnerPool.builder("runner").ephemeral(true).scaling(Scaling.onDemand(0, 2)), backend, fleets, meters,
                Clock.systemUTC(), b -> b.backoff(Duration.ofMillis(100), Duration.ofSeconds(1)).startTimeout(startTimeout));
    }

    @Test
    void aScaleSetThatCannotBeCreatedIsAReasonUntilATryCreatesItThenStopDeletesTheSession() {
        github.failNext("actions-service/create-runner-scale-set", 1, Fault.status(403));
        ServeScaleSet set = serveScaleSet("linux-x64");
        set.start();
        Await.until(PATIENCE, "the refusal named", () -> set.problems().stream()
                .anyMatch(p -> p.contains("scale set 'linux-x64' of pool runner cannot be found, created or listened to")));
        Await.until(PATIENCE, "the scale set created on a later try", () -> set.fleet().isPresent());
        assertThat(set.problems()).isEmpty();
        assertThat(acme.scaleSet("linux-x64").orElseThrow().sessionOwner()).isNotNull();
        assertThat(set.json()).contains("\"session\":\"open\"", "\"statistics\":{\"availableJobs\":0");

        Optional<RunnerFleet> fleet = set.stop();
        assertThat(fleet).isPresent();
        assertThat(acme.scaleSet("linux-x64").orElseThrow().sessionOwner()).as("session deleted").isNull();
        set.close();
    }

    @Test
    void aSessionHeldByAnotherOwnerKeepsThePoolNotReadyAndNamesThe409AndAStopDoesNotWaitForTheStart() {
        try (ScaleSetListener other = ScaleSetListener.builder(scaleSets, ScaleSetSpec.named("held")).owner("host-b")
                .state(io.runnerfleet.github.scaleset.ScaleSetState.inMemory()).handler(s -> { }).build().start()) {
            Await.until(PATIENCE, "the other owner's session", () -> acme.scaleSet("held")
                    .map(s -> "host-b".equals(s.sessionOwner())).orElse(false));
            ServeScaleSet set = serveScaleSet("held", Duration.ofMinutes(10));
            set.start();
            Await.until(PATIENCE, "the conflict named", () -> set.problems().stream()
                    .anyMatch(p -> p.contains("another process holds its message session (409)")));
            assertThat(set.json()).contains("\"session\":\"conflict\"");
            // The start waits up to 10 minutes for a session; a SIGTERM meanwhile must not.
            java.util.concurrent.CompletableFuture<Optional<RunnerFleet>> stopped =
                    java.util.concurrent.CompletableFuture.supplyAsync(set::stop);
            Await.until(PATIENCE, "stop() returned while the start still waits", stopped::isDone);
            assertThat(stopped.join()).as("no fleet to drain").isEmpty();
            set.close();
        }
    }
}
