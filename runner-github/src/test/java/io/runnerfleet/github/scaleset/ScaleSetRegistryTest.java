package io.runnerfleet.github.scaleset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.Secret;
import io.runnerfleet.github.GitHubCredentials;
import io.runnerfleet.spi.JitRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The scale-set registry's plan and gate, without the network (nothing here reaches the client). */
class ScaleSetRegistryTest {
    private final ScaleSetClient client = ScaleSetClient.builder().configUrl("https://github.com/acme")
            .credentials(GitHubCredentials.token(Secret.of("ghp_never_sent"))).build();
    private final AtomicInteger changes = new AtomicInteger();
    private final ScaleSetRegistry registry = new ScaleSetRegistry(client, "linux",
            () -> new ScaleSet(7, "linux", 1, "Default", List.of("linux"), true), System::nanoTime,
            Duration.ofSeconds(1), Duration.ofMinutes(5), changes::incrementAndGet);

    @AfterEach
    void close() {
        client.close();
    }

    private static JitRequest jit(String name) {
        return new JitRequest(name, LabelSet.of("linux"), 1, "_work");
    }

    @Test
    void registrationTokensAreRefusedNamingTheScaleSetAndTheFix() {
        assertThatThrownBy(registry::registrationToken).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("scale set linux of organization acme").hasMessageContaining("ephemeral(true)")
                .hasMessageContaining("registrationMode(TOKEN)");
    }

    @Test
    void aFinishedRunnersSlotIsNotRefilledWhileItsJobIsCountedOutAndNoRunnerIsDrainedForIt() {
        registry.bind("ci", "linux", 0);
        registry.wanted(3);
        registry.started("ci-linux-1-aaaaa", 11);
        registry.started("ci-linux-2-bbbbb", 12);
        registry.started("ci-linux-3-ccccc", 13);
        assertThat(registry.plan(10)).isEqualTo(3);

        // Slot 1's job ends first: the pool keeps 3 slots (2 and 3 are busy), and slot 1 gets no new runner.
        registry.jobEnded();
        registry.completed("ci-linux-1-aaaaa");
        assertThat(registry.plan(10)).isEqualTo(3);
        assertThatThrownBy(() -> registry.jitConfig(jit("ci-linux-1-ddddd"))).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("needs no runner in slot 1").hasMessageContaining("2 wanted, 2 registered");

        // Once the fleet removed it and the other two finished too, the pool goes back to nothing.
        registry.removed("ci-linux-1-aaaaa");
        for (String r : List.of("ci-linux-2-bbbbb", "ci-linux-3-ccccc")) {
            registry.jobEnded();
            registry.completed(r);
            registry.removed(r);
        }
        registry.wanted(0);
        assertThat(registry.plan(10)).isZero();
        assertThat(changes.get()).isPositive();
    }

    @Test
    void thePlanIsACountWhateverSlotsTheRunnersHoldAndTheGateRefusesOneRunnerTooMany() {
        registry.bind("ci", "linux", 0);
        registry.wanted(1);
        registry.started("ci-linux-3-eeeee", 13);   // the fleet's count is a count: a runner may hold any slot
        assertThat(registry.plan(10)).isEqualTo(1);
        assertThatThrownBy(() -> registry.jitConfig(jit("ci-linux-1-fffff"))).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("needs no runner in slot 1").hasMessageContaining("1 wanted, 1 registered");
    }

    @Test
    void wantedIsMinPlusAssignedJobsCappedAtMax() {
        assertThat(ScaleSetAutoscaler.wanted(0, 20, 0)).isZero();
        assertThat(ScaleSetAutoscaler.wanted(2, 20, 5)).isEqualTo(7);
        assertThat(ScaleSetAutoscaler.wanted(2, 20, 50)).isEqualTo(20);
        assertThat(ScaleSetAutoscaler.wanted(1, 20, Long.MAX_VALUE)).isEqualTo(20);
    }
}
