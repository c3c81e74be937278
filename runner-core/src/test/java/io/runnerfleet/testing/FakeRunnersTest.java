package io.runnerfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.RegistrationMode;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.RunnerTemplate;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The in-memory world end to end: templates make launch specs, the fake runner registers with them. */
class FakeRunnersTest {
    private final MutableClock clock = MutableClock.standard();
    private final InMemoryRegistry registry = InMemoryRegistry.builder().organization("acme").clock(clock).build();
    private final InMemoryBackend backend = InMemoryBackend.builder().clock(clock).build();
    private final FakeRunners runners = FakeRunners.wire(backend, registry, "s1lqc");

    private static List<String> logs(InMemoryBackend backend, InstanceInfo info) {
        try (LogStream s = backend.logs(info.id(), LogQuery.tail(0))) {
            return s.lines().toList();
        }
    }

    @Test
    void jitRunnerComesOnlineThenCompletesItsJob() {
        RunnerTemplate template = RunnerPool.builder("qemu").labels("intel").ephemeral(true).build().template();
        RunnerName name = RunnerName.ephemeral("s1lqc", "qemu", 1, new Random(1));
        LaunchSpec spec = template.launchSpec(name, "img:1", registry.registrationUrl(),
                registry.jitConfig(template.jitRequest(name, 1)));
        InstanceInfo info = backend.launch(spec);
        RegisteredRunner runner = registry.runner(name.toString()).orElseThrow();
        assertThat(runner.displayStatus()).isEqualTo("Idle");
        assertThat(runner.labels().asList()).containsExactly("self-hosted", "Linux", "X64", "intel");
        assertThat(logs(backend, info)).endsWith("Listening for Jobs");
        runners.startJob(name.toString());
        assertThat(registry.runner(name.toString()).orElseThrow().displayStatus()).isEqualTo("Active");
        runners.finishJob(name.toString());
        assertThat(registry.runners()).isEmpty();
        assertThat(backend.instances("s1lqc")).singleElement().satisfies(i -> assertThat(i.exitCode()).isZero());
    }

    @Test
    void tokenRunnerConfiguresWithItsArguments() {
        RunnerTemplate template = RunnerPool.builder("phytiumpi").labels("phytiumpi").build().template();
        assertThat(template.registrationMode()).isEqualTo(RegistrationMode.TOKEN);
        RunnerName name = RunnerName.of("s1lqc", "phytiumpi", 1);
        InstanceInfo info = backend.launch(template.launchSpec(name, "img:1", registry.registrationUrl(), registry.registrationToken()));
        RegisteredRunner runner = registry.runner("s1lqc-phytiumpi-1").orElseThrow();
        assertThat(runner.labels().asList()).containsExactly("self-hosted", "Linux", "X64", "phytiumpi");
        assertThat(runner.ephemeral()).isFalse();
        assertThat(runner.online()).isTrue();
        runners.startJob(name.toString());
        runners.finishJob(name.toString());
        assertThat(registry.runner(name.toString()).orElseThrow().displayStatus()).isEqualTo("Idle");
        backend.stop(info.id(), Duration.ofSeconds(1));
        assertThat(registry.runner(name.toString()).orElseThrow().displayStatus()).isEqualTo("Offline");
    }

    @Test
    void anExpiredTokenMakesTheRunnerExitWithOne() {
        RunnerTemplate template = RunnerPool.builder("phytiumpi").build().template();
        var token = registry.registrationToken();
        clock.advance(Duration.ofHours(2));
        InstanceInfo info = backend.launch(template.launchSpec(RunnerName.of("s1lqc", "phytiumpi", 1), "img:1",
                registry.registrationUrl(), token));
        assertThat(backend.instances("s1lqc")).singleElement().satisfies(i -> assertThat(i.exitCode()).isEqualTo(1));
        assertThat(logs(backend, info)).singleElement().asString().contains("expired").doesNotContain(token.token().reveal());
        assertThat(registry.runners()).isEmpty();
    }

    @Test
    void playingTheRunnerCostsNoCountedBackendCalls() {
        RunnerTemplate template = RunnerPool.builder("qemu").ephemeral(true).build().template();
        RunnerName name = RunnerName.ephemeral("s1lqc", "qemu", 1, new Random(2));
        backend.launch(template.launchSpec(name, "img:1", registry.registrationUrl(), registry.jitConfig(template.jitRequest(name, 1))));
        runners.finishJob(name.toString());
        assertThat(backend.faults().calls(InMemoryBackend.Operation.INSTANCES)).isZero();
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.RUNNERS)).isZero();
    }

    @Test
    void otherFleetsAreNotPlayed() {
        InstanceInfo info = backend.launch(LaunchSpec.builder("other", "p", "other-p-1", "img:1").build());
        assertThat(registry.runners()).isEmpty();
        assertThat(logs(backend, info)).isEmpty();
    }
}
