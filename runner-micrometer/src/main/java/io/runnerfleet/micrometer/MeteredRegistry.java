package io.runnerfleet.micrometer;

import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerRegistry;
import java.util.List;
import java.util.function.Supplier;

/** A registry whose calls are timed as {@code runnerfleet.github.calls}; everything else is the delegate's. */
final class MeteredRegistry implements RunnerRegistry {
    private final RunnerRegistry delegate;
    private final FleetMetrics metrics;

    MeteredRegistry(RunnerRegistry delegate, FleetMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    private <T> T time(String operation, Supplier<T> call) {
        try {
            return metrics.time("runnerfleet.github.calls", "github", operation, call);
        } finally {
            if (CycleClock.onReconciler()) {
                metrics.cycles.callEnded(System.nanoTime());
            }
        }
    }

    @Override
    public String scope() {
        return delegate.scope();
    }

    @Override
    public String registrationUrl() {
        return delegate.registrationUrl();
    }

    @Override
    public RegistrationToken registrationToken() {
        return time("registration_token", delegate::registrationToken);
    }

    @Override
    public JitConfig jitConfig(JitRequest request) {
        return time("jit_config", () -> delegate.jitConfig(request));
    }

    @Override
    public long runnerGroupId(String groupName) {
        return time("runner_group", () -> delegate.runnerGroupId(groupName));
    }

    @Override
    public List<RegisteredRunner> runners() {
        return time("runners", delegate::runners);
    }

    @Override
    public void delete(RegisteredRunner runner) {
        time("delete", () -> {
            delegate.delete(runner);
            return null;
        });
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
