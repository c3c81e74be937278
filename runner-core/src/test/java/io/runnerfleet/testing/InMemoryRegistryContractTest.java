package io.runnerfleet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.tck.RunnerRegistryContract;
import java.time.Instant;

/** The in-memory registry passes the registry TCK. */
class InMemoryRegistryContractTest extends RunnerRegistryContract {
    private final MutableClock clock = MutableClock.standard();
    private InMemoryRegistry fake;

    @Override
    protected RunnerRegistry createRegistry() {
        fake = InMemoryRegistry.builder().organization("acme").clock(clock).build();
        return fake;
    }

    @Override
    protected void markBusy(RegisteredRunner runner) {
        fake.markBusy(runner.name());
    }

    @Override
    protected void afterCleanup() {
        // every runner of the test was deleted by the contract; only the busy one may remain
        assertThat(fake.runners()).allSatisfy(r -> assertThat(r.busy()).isTrue());
    }

    @Override
    protected Instant now() {
        return clock.instant();
    }
}
