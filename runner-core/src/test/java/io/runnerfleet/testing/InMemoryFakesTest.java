package io.runnerfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.Secret;
import io.runnerfleet.VolumeMount;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegistrationToken;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** What the fakes offer beyond the TCK: failure injection, clock-driven time and the runner's side. */
class InMemoryFakesTest {
    private final MutableClock clock = MutableClock.standard();
    private final InMemoryRegistry registry = InMemoryRegistry.builder().clock(clock)
            .sleeper(Faults.Sleeper.advancing(clock)).build();
    private final InMemoryBackend backend = InMemoryBackend.builder().clock(clock)
            .sleeper(Faults.Sleeper.advancing(clock)).build();

    private static LaunchSpec spec(String runner) {
        return LaunchSpec.builder("f", "p", runner, "img:1").volumes(List.of(new VolumeMount("work", "/work"))).build();
    }

    @Test
    void nextCallsFailWithTheInjectedExceptionThenSucceed() {
        registry.faults().failNext(InMemoryRegistry.Operation.RUNNERS, 2, () -> new RegistrationException("injected 502"));
        assertThatThrownBy(registry::runners).isInstanceOf(RegistrationException.class).hasMessage("injected 502");
        assertThatThrownBy(registry::runners).isInstanceOf(RegistrationException.class);
        assertThat(registry.runners()).isEmpty();
        assertThat(registry.faults().calls(InMemoryRegistry.Operation.RUNNERS)).isEqualTo(3);
    }

    @Test
    void failuresAreScopedToTheirOperation() {
        backend.faults().failNext(InMemoryBackend.Operation.LAUNCH, 1, () -> new BackendUnavailableException("engine down"));
        assertThat(backend.instances("f")).isEmpty();
        assertThatThrownBy(() -> backend.launch(spec("f-p-1"))).isInstanceOf(BackendUnavailableException.class);
        assertThat(backend.instances("f")).as("a failed launch leaves nothing").isEmpty();
        assertThat(backend.launch(spec("f-p-1")).running()).isTrue();
    }

    @Test
    void slowCallsSpendTheirDelayThroughTheSleeper() {
        registry.faults().delay(InMemoryRegistry.Operation.JIT_CONFIG, Duration.ofSeconds(7));
        var before = clock.instant();
        registry.jitConfig(new JitRequest("f-p-1", LabelSet.of("x"), 1, null));
        assertThat(Duration.between(before, clock.instant())).isEqualTo(Duration.ofSeconds(7));
        registry.faults().delay(InMemoryRegistry.Operation.JIT_CONFIG, Duration.ZERO);
        registry.jitConfig(new JitRequest("f-p-2", LabelSet.of("x"), 1, null));
        assertThat(Duration.between(before, clock.instant())).isEqualTo(Duration.ofSeconds(7));
    }

    @Test
    void registrationTokenExpiresAfterAnHourOfTheInjectedClock() {
        RegistrationToken token = registry.registrationToken();
        assertThat(token.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        registry.configure("f-p-1", LabelSet.of("self-hosted"), token.token(), false);
        clock.advance(Duration.ofMinutes(60));
        assertThatThrownBy(() -> registry.configure("f-p-2", LabelSet.of("self-hosted"), token.token(), false))
                .isInstanceOf(RegistrationException.class).hasMessageContaining("expired")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(token.token().reveal()));
        assertThatThrownBy(() -> registry.configure("f-p-3", LabelSet.of("x"), Secret.of("forged"), false))
                .isInstanceOf(RegistrationException.class).hasMessageContaining("not issued");
    }

    @Test
    void configureReplacesARunnerOfTheSameName() {
        Secret token = registry.registrationToken().token();
        long first = registry.configure("f-p-1", LabelSet.of("a"), token, false).id();
        long second = registry.configure("f-p-1", LabelSet.of("b"), token, false).id();
        assertThat(second).isNotEqualTo(first);
        assertThat(registry.runners()).singleElement().satisfies(r -> assertThat(r.labels()).isEqualTo(LabelSet.of("b")));
    }

    @Test
    void onlyTheDefaultGroupResolvesByDefault() {
        assertThat(registry.runnerGroupId("default")).isEqualTo(1);
        assertThatThrownBy(() -> registry.runnerGroupId("boards")).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("'boards'").hasMessageContaining("organization tck-org");
    }

    @Test
    void runnerStatusFollowsTheMarks() {
        JitConfig jit = registry.jitConfig(new JitRequest("f-p-1", LabelSet.of("x"), 1, null));
        assertThat(registry.runner("f-p-1").orElseThrow().displayStatus()).isEqualTo("Offline");
        registry.connect(jit.encodedConfig());
        assertThat(registry.runner("F-P-1").orElseThrow().displayStatus()).isEqualTo("Idle");
        registry.markBusy("f-p-1");
        assertThat(registry.runner("f-p-1").orElseThrow().displayStatus()).isEqualTo("Active");
        registry.markOffline("f-p-1");
        assertThat(registry.runner("f-p-1").orElseThrow().displayStatus()).isEqualTo("Offline");
        registry.markOnline("f-p-1");
        assertThat(registry.runner("f-p-1").orElseThrow().displayStatus()).isEqualTo("Idle");
        assertThatThrownBy(() -> registry.markBusy("nobody")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("f-p-1");
    }

    @Test
    void ephemeralRunnerIsDeregisteredWhenItsJobCompletes() {
        JitConfig jit = registry.jitConfig(new JitRequest("f-p-1", LabelSet.of("x"), 1, null));
        registry.connect(jit.encodedConfig());
        registry.markBusy("f-p-1");
        registry.completeJob("f-p-1");
        assertThat(registry.runners()).isEmpty();
        assertThatThrownBy(() -> registry.connect(jit.encodedConfig())).isInstanceOf(RegistrationException.class);
    }

    @Test
    void lostInstanceVanishesWithoutAnEvent() {
        List<InstanceEvent> events = new ArrayList<>();
        backend.events("f", events::add);
        InstanceInfo info = backend.launch(spec("f-p-1"));
        backend.lose(info.id());
        assertThat(backend.instances("f")).isEmpty();
        assertThat(events).extracting(InstanceEvent::kind).containsExactly(InstanceEvent.Kind.STARTED);
    }

    @Test
    void oomKillReportsOomThenExit() {
        List<InstanceEvent> events = new ArrayList<>();
        backend.events("f", events::add);
        InstanceInfo info = backend.launch(spec("f-p-1"));
        backend.oomKill(info.id());
        assertThat(events).extracting(InstanceEvent::kind).containsExactly(InstanceEvent.Kind.STARTED,
                InstanceEvent.Kind.OOM_KILLED, InstanceEvent.Kind.EXITED);
        InstanceInfo seen = backend.instances("f").get(0);
        assertThat(seen.oomKilled()).isTrue();
        assertThat(seen.exitCode()).isEqualTo(InMemoryBackend.OOM_EXIT_CODE);
    }

    @Test
    void aThrowingListenerDoesNotStopDeliveryToOthers() {
        List<InstanceEvent> events = new ArrayList<>();
        backend.events("f", e -> {
            throw new IllegalStateException("listener bug");
        });
        backend.events("f", events::add);
        backend.launch(spec("f-p-1"));
        assertThat(events).hasSize(1);
    }

    @Test
    void removeDeletesVolumesUnlessKept() {
        InstanceInfo a = backend.launch(spec("f-p-1"));
        InstanceInfo b = backend.launch(spec("f-p-2"));
        assertThat(backend.volumes()).containsExactlyInAnyOrder("f-p-1-work", "f-p-2-work");
        backend.remove(a.id(), false);
        backend.remove(b.id(), true);
        assertThat(backend.volumes()).containsExactly("f-p-2-work");
    }

    @Test
    void launchingARunnerTwiceIsRefusedAndHooksSeeEachLaunch() {
        List<String> hooked = new ArrayList<>();
        backend.onLaunch(s -> hooked.add(s.runnerName()));
        backend.launch(spec("f-p-1"));
        assertThatThrownBy(() -> backend.launch(spec("f-p-1"))).hasMessageContaining("f-p-1").hasMessageContaining("remove it");
        assertThat(hooked).containsExactly("f-p-1");
        assertThat(backend.launched()).hasSize(1);
    }

    @Test
    void prepareReportsProgressForADockerfileAndRemembersTheImage() {
        List<String> steps = new ArrayList<>();
        String ref = backend.prepare(RunnerImage.dockerfile(Path.of("ctx")).tag("runner:2"), p -> steps.add(p.instruction()));
        assertThat(ref).isEqualTo("runner:2");
        assertThat(steps).hasSize(1);
        assertThat(backend.prepared()).containsExactly("runner:2");
    }

    @Test
    void logsFilterBySinceAndFollowUntilTheInstanceStops() throws Exception {
        InstanceInfo info = backend.launch(spec("f-p-1"));
        backend.output(info.id(), "early");
        var cut = clock.instant();
        clock.advance(Duration.ofSeconds(1));
        backend.output(info.id(), "late");
        try (LogStream since = backend.logs(info.id(), new LogQuery(0, cut, false))) {
            assertThat(since.lines()).containsExactly("late");
        }
        LogStream following = backend.logs(info.id(), LogQuery.following());
        CompletableFuture<List<String>> read = CompletableFuture.supplyAsync(() -> following.lines().toList());
        backend.output(info.id(), "later");
        backend.exit(info.id(), 0);
        assertThat(read.get(10, TimeUnit.SECONDS)).containsExactly("early", "late", "later");
        following.close();
    }

    @Test
    void closingAFollowingLogEndsIt() throws Exception {
        InstanceInfo info = backend.launch(spec("f-p-1"));
        LogStream following = backend.logs(info.id(), LogQuery.following());
        CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> following.lines().count());
        following.close();
        assertThat(read.get(10, TimeUnit.SECONDS)).isZero();
    }
}
