package io.runnerfleet.spi.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerBusyException;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerNameConflictException;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link RunnerRegistry} passes (the registry half of the TCK). Subclass it in
 * your module's tests and supply a registry over a fresh, empty scope plus the hooks that play
 * GitHub's side:
 *
 * <pre>{@code
 * class GitHubRegistryContractTest extends RunnerRegistryContract {
 *     FakeGitHub github = ...;
 *     protected RunnerRegistry createRegistry() { return GitHubRegistry.organization("acme", ...); }
 *     protected void markBusy(RegisteredRunner runner) { github.runner(runner.id()).busy(true); }
 * }
 * }</pre>
 *
 * <p>Runner names used by the contract start with {@code tck-} and a per-test random part, so the
 * contract can run against a scope that holds other runners. Every test deletes what it registered
 * (best effort) through {@link RunnerRegistry#delete}.
 */
public abstract class RunnerRegistryContract {
    private static final AtomicInteger SEQUENCE = new AtomicInteger();

    /** The registry under test; called once per test, before it. */
    protected abstract RunnerRegistry createRegistry();

    /** Makes the registered runner connected and running a job (GitHub: Active). */
    protected abstract void markBusy(RegisteredRunner runner);

    /** What "now" is for the registry (token expiry is checked against it); default the system clock. */
    protected Instant now() {
        return Instant.now();
    }

    /**
     * Called after the contract deleted what the test registered (JUnit runs a subclass'
     * {@code @AfterEach} before this class' one, while the registry is still needed): close servers
     * and clients here.
     */
    protected void afterCleanup() {
    }

    /** The labels of runners the contract registers with JIT; default {@code [self-hosted, Linux, X64, tck]}. */
    protected LabelSet labels() {
        return LabelSet.of("self-hosted", "Linux", "X64", "tck");
    }

    /** The runner group id JIT requests use; default {@code 1} ({@code Default}). */
    protected long runnerGroupId() {
        return 1;
    }

    protected RunnerRegistry registry;
    private String prefix;

    @BeforeEach
    void createRegistryUnderTest() {
        registry = createRegistry();
        prefix = "tck-" + Long.toString(Math.floorMod(System.nanoTime(), 1_000_000L), 36) + SEQUENCE.incrementAndGet() + "-";
    }

    @org.junit.jupiter.api.AfterEach
    void deleteWhatTheTestRegistered() {
        try {
            for (RegisteredRunner runner : registry.runners()) {
                if (runner.name().startsWith(prefix)) {
                    try {
                        registry.delete(runner);
                    } catch (RuntimeException ignored) {
                        // best effort: a busy runner left by a test is the subclass' scope to reset
                    }
                }
            }
        } finally {
            afterCleanup();
        }
    }

    /** A runner name unique to this test. */
    protected String name(String suffix) {
        return prefix + suffix;
    }

    private JitConfig register(String suffix) {
        return registry.jitConfig(new JitRequest(name(suffix), labels(), runnerGroupId(), null));
    }

    private Optional<RegisteredRunner> listed(String name) {
        return registry.runners().stream().filter(r -> r.name().equals(name)).findFirst();
    }

    @Test
    void scopeAndRegistrationUrlAreDescribed() {
        assertThat(registry.scope()).isNotBlank();
        assertThat(registry.registrationUrl()).matches("https?://\\S+");
    }

    @Test
    void theDefaultGroupHasIdOne() {
        assertThat(registry.runnerGroupId("Default")).isEqualTo(1);
    }

    @Test
    void registrationTokenExpiresInTheFuture() {
        RegistrationToken token = registry.registrationToken();
        assertThat(token.token().reveal()).isNotBlank();
        assertThat(token.expiresAt()).isAfter(now());
    }

    @Test
    void registrationTokenNeverPrints() {
        RegistrationToken token = registry.registrationToken();
        assertThat(token.toString()).doesNotContain(token.token().reveal());
    }

    @Test
    void jitConfigIsIssuedForTheNamedRunner() {
        JitConfig jit = register("jit");
        assertThat(jit.name()).isEqualTo(name("jit"));
        assertThat(jit.runnerId()).isPositive();
        assertThat(jit.encodedConfig().reveal()).isNotBlank();
        assertThat(jit.toString()).doesNotContain(jit.encodedConfig().reveal());
    }

    @Test
    void jitRunnerIsListedWithItsIdAndLabels() {
        JitConfig jit = register("listed");
        RegisteredRunner runner = listed(name("listed")).orElseThrow(
                () -> new AssertionError("runner " + name("listed") + " not in " + registry.runners()));
        assertThat(runner.id()).isEqualTo(jit.runnerId());
        assertThat(runner.labels().containsAll(labels())).as("labels %s contain %s", runner.labels(), labels()).isTrue();
        assertThat(runner.busy()).isFalse();
    }

    @Test
    void runnersListsEveryRegisteredRunner() {
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(register("many-" + i).runnerId());
        }
        List<Long> listed = registry.runners().stream().filter(r -> r.name().startsWith(name("many-")))
                .map(RegisteredRunner::id).toList();
        assertThat(listed).containsExactlyInAnyOrderElementsOf(ids);
    }

    @Test
    void jitConfigForAnExistingNameRaisesNameConflict() {
        JitConfig first = register("taken");
        assertThatThrownBy(() -> register("taken"))
                .isInstanceOf(RunnerNameConflictException.class)
                .satisfies(e -> assertThat(((RunnerNameConflictException) e).runnerName()).isEqualTo(name("taken")))
                .hasMessageContaining(name("taken"))
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(first.encodedConfig().reveal()));
        assertThat(registry.runners().stream().filter(r -> r.name().equals(name("taken")))).hasSize(1);
    }

    @Test
    void deleteRemovesTheRegistration() {
        register("gone");
        registry.delete(listed(name("gone")).orElseThrow());
        assertThat(listed(name("gone"))).isEmpty();
    }

    @Test
    void deleteIsIdempotent() {
        register("twice");
        RegisteredRunner runner = listed(name("twice")).orElseThrow();
        registry.delete(runner);
        registry.delete(runner);
        assertThat(listed(name("twice"))).isEmpty();
    }

    @Test
    void deleteOfAnUnknownRunnerIsNotAnError() {
        registry.delete(new RegisteredRunner(987_654_321L, name("never"), "Linux", false, false, labels(), false));
    }

    @Test
    void nameCanBeReusedAfterDelete() {
        register("again");
        registry.delete(listed(name("again")).orElseThrow());
        JitConfig second = register("again");
        assertThat(listed(name("again")).orElseThrow().id()).isEqualTo(second.runnerId());
    }

    @Test
    void deleteOfABusyRunnerRaisesRunnerBusyAndKeepsIt() {
        register("busy");
        markBusy(listed(name("busy")).orElseThrow());
        RegisteredRunner busy = listed(name("busy")).orElseThrow();
        assertThat(busy.busy()).isTrue();
        assertThatThrownBy(() -> registry.delete(busy))
                .isInstanceOf(RunnerBusyException.class)
                .hasMessageContaining(name("busy"))
                .satisfies(e -> assertThat(((RunnerBusyException) e).runnerName()).isEqualTo(name("busy")));
        assertThat(listed(name("busy"))).isPresent();
    }

    @Test
    void concurrentJitConfigsForDistinctNamesAllSucceed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<JitConfig>> calls = new ArrayList<>();
            for (int i = 1; i <= 4; i++) {
                String suffix = "parallel-" + i;
                calls.add(() -> register(suffix));
            }
            List<Long> ids = new ArrayList<>();
            for (Future<JitConfig> f : pool.invokeAll(calls, 60, TimeUnit.SECONDS)) {
                ids.add(f.get().runnerId());
            }
            assertThat(ids).doesNotHaveDuplicates();
            assertThat(registry.runners().stream().filter(r -> r.name().startsWith(name("parallel-")))).hasSize(4);
        } finally {
            pool.shutdownNow();
        }
    }
}
