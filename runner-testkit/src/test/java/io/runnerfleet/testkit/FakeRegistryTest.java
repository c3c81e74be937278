package io.runnerfleet.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link FakeGitHub#registry} implements the core SPI over the fake's REST API. */
class FakeRegistryTest {
    private FakeClock clock;
    private FakeGitHub fake;
    private FakeScope acme;
    private Secret pat;
    private RunnerRegistry registry;

    @BeforeEach
    void start() {
        clock = FakeClock.at(Instant.parse("2026-06-01T10:00:00Z"));
        fake = FakeGitHub.builder().clock(clock).build().start();
        acme = fake.organization("acme");
        pat = fake.newToken("admin:org", "repo");
        registry = fake.registry(acme, pat);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void issuesTokensAndJitConfigsAndListsEveryPage() {
        assertThat(registry.scope()).isEqualTo("organization acme");
        assertThat(registry.registrationUrl()).isEqualTo(acme.url());
        RegistrationToken token = registry.registrationToken();
        assertThat(token.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
        assertThat(token.toString()).doesNotContain(token.token().reveal());
        for (int i = 0; i < 120; i++) {
            if (i % 70 == 69) {
                clock.advance(Duration.ofMinutes(2));
            }
            JitConfig jit = registry.jitConfig(new JitRequest("r-" + i, LabelSet.of("self-hosted", "x"), 1, null));
            assertThat(jit.name()).isEqualTo("r-" + i);
        }
        assertThat(registry.runners()).hasSize(120).extracting(RegisteredRunner::displayStatus).containsOnly("Offline");
        assertThat(fake.requests("actions/list-self-hosted-runners-for-org")).isEqualTo(2);
    }

    @Test
    void aNameConflictIsARunnerNameConflictException() {
        registry.jitConfig(new JitRequest("dup", LabelSet.of("x"), 1, "_work"));
        assertThatThrownBy(() -> registry.jitConfig(new JitRequest("dup", LabelSet.of("x"), 1, "_work")))
                .isInstanceOf(RunnerNameConflictException.class)
                .hasMessageContaining("organization acme").hasMessageContaining("dup");
    }

    @Test
    void deleteIsIdempotentAndRefusesABusyRunner() throws Exception {
        JitConfig jit = registry.jitConfig(new JitRequest("busy", LabelSet.of("self-hosted"), 1, "_work"));
        FakeRunnerSession session = FakeRunnerSession.fromJitConfig(fake, jit.encodedConfig().reveal());
        session.connect();
        FakeJob job = fake.queueJob(acme.repository("widgets"), "self-hosted");
        session.poll();
        RegisteredRunner busy = registry.runners().get(0);
        assertThat(busy.displayStatus()).isEqualTo("Active");
        assertThatThrownBy(() -> registry.delete(busy)).isInstanceOf(RunnerBusyException.class)
                .hasMessageContaining("running a job");
        session.finish(job.id());
        registry.delete(busy);
        registry.delete(busy);
        assertThat(registry.runners()).isEmpty();
    }

    @Test
    void failuresNameTheScopeButNeverTheToken() {
        fake.failNext("actions/list-self-hosted-runners-for-org", 1, Fault.status(502));
        assertThatThrownBy(registry::runners).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("list runners in organization acme").hasMessageContaining("502")
                .hasMessageNotContaining(pat.reveal());
        RunnerRegistry weak = fake.registry(acme, fake.newToken("repo"));
        assertThatThrownBy(weak::registrationToken).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("403").hasMessageContaining("Resource not accessible");
        fake.failNext("actions/create-registration-token-for-org", 1, Fault.drop());
        assertThatThrownBy(registry::registrationToken).isInstanceOf(RegistrationException.class)
                .hasMessageContaining("did not answer");
    }
}
