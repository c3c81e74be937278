package io.runnerfleet.micrometer;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** A backend whose calls are timed as {@code runnerfleet.backend.calls}; everything else is the delegate's. */
final class MeteredBackend implements RunnerBackend {
    private final RunnerBackend delegate;
    private final FleetMetrics metrics;

    MeteredBackend(RunnerBackend delegate, FleetMetrics metrics) {
        this.delegate = delegate;
        this.metrics = metrics;
    }

    private <T> T time(String operation, Supplier<T> call) {
        try {
            return metrics.time("runnerfleet.backend.calls", "backend", operation, call);
        } finally {
            if (CycleClock.onReconciler()) {
                metrics.cycles.callEnded(System.nanoTime());
            }
        }
    }

    private void run(String operation, Runnable call) {
        time(operation, () -> {
            call.run();
            return null;
        });
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        return time("prepare", () -> delegate.prepare(image, progress));
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        return time("launch", () -> delegate.launch(spec));
    }

    @Override
    public void start(String instanceId) {
        run("start", () -> delegate.start(instanceId));
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        run("stop", () -> delegate.stop(instanceId, grace));
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        run("remove", () -> delegate.remove(instanceId, keepVolumes));
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        if (CycleClock.onReconciler()) {
            metrics.cycles.cycleBegins(System.nanoTime());
        }
        return time("instances", () -> delegate.instances(fleet));
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        return time("logs", () -> delegate.logs(instanceId, query));
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        return time("events", () -> delegate.events(fleet, listener));
    }

    @Override
    public void removeVolumes(String fleet) {
        run("remove_volumes", () -> delegate.removeVolumes(fleet));
    }

    @Override
    public Optional<InstanceInfo> instance(String fleet, String idOrName) {
        return time("instance", () -> delegate.instance(fleet, idOrName));
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
