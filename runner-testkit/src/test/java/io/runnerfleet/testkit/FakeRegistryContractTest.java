package io.runnerfleet.testkit;

import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.tck.ForwardingRegistry;
import io.runnerfleet.spi.tck.RunnerRegistryContract;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Core's registry contract (the TCK) against {@link FakeGitHub#registry}, so the registry users test
 * their fleets with behaves like every other one. GitHub's side of "busy" is played by a runner
 * session that connects with the runner's JIT configuration and takes a queued job.
 */
class FakeRegistryContractTest extends RunnerRegistryContract {
    private final FakeClock clock = FakeClock.at(Instant.parse("2026-06-01T10:00:00Z"));
    private FakeGitHub fake;
    private FakeScope acme;
    private Recording registry;

    @Override
    protected RunnerRegistry createRegistry() {
        fake = FakeGitHub.builder().clock(clock).build().start();
        acme = fake.organization("acme");
        registry = new Recording(fake.registry(acme, fake.newToken("admin:org", "repo")));
        return registry;
    }

    @Override
    protected void markBusy(RegisteredRunner runner) {
        String jit = registry.jitConfigs.get(runner.name());
        if (jit == null) {
            throw new AssertionError("the contract registered " + runner.name() + " without a JIT config");
        }
        try {
            FakeRunnerSession session = FakeRunnerSession.fromJitConfig(fake, jit);
            session.connect();
            fake.queueJob(acme.repository("widgets"), labels().asList().toArray(String[]::new));
            session.poll();
        } catch (Exception e) {
            throw new AssertionError("cannot make " + runner.name() + " busy", e);
        }
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }

    @Override
    protected void afterCleanup() {
        fake.close();
    }

    /** The registry under test, keeping the JIT configurations it issued, by runner name. */
    private static final class Recording extends ForwardingRegistry<RunnerRegistry> {
        private final Map<String, String> jitConfigs = new ConcurrentHashMap<>();

        Recording(RunnerRegistry delegate) {
            super(delegate);
        }

        @Override
        public JitConfig jitConfig(JitRequest request) {
            JitConfig jit = super.jitConfig(request);
            jitConfigs.put(jit.name(), jit.encodedConfig().reveal());
            return jit;
        }
    }
}
