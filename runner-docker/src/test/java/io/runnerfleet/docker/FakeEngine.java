package io.runnerfleet.docker;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.DeviceMapping;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testing.InMemoryBackend;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One engine of a multi-engine test: the in-memory backend, plus a host with a set of devices (a launch
 * needing another is refused as Docker's device check would) and a switch that takes the engine away.
 */
final class FakeEngine implements RunnerBackend {
    final InMemoryBackend memory;
    private final Set<String> devices;
    private volatile boolean away;
    private volatile RuntimeException refusal;

    FakeEngine(InMemoryBackend memory, String... devices) {
        this.memory = memory;
        this.devices = Set.of(devices);
    }

    void away(boolean away) {
        this.away = away;
    }

    /** Removals are refused with {@code refusal} (the engine answers but says no), or allowed when null. */
    void refuseRemovals(RuntimeException refusal) {
        this.refusal = refusal;
    }

    private void answer() {
        if (away) {
            throw new BackendUnavailableException("cannot reach the engine: connection refused");
        }
    }

    @Override
    public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
        answer();
        return memory.prepare(image, progress);
    }

    @Override
    public InstanceInfo launch(LaunchSpec spec) {
        answer();
        for (DeviceMapping d : spec.devices()) {
            if (!devices.contains(d.hostPath())) {
                throw new InvalidSpecException("device " + d.hostPath() + " of runner " + spec.runnerName()
                        + " does not exist on this host");
            }
        }
        return memory.launch(spec);
    }

    @Override
    public void start(String instanceId) {
        answer();
        memory.start(instanceId);
    }

    @Override
    public void stop(String instanceId, Duration grace) {
        answer();
        memory.stop(instanceId, grace);
    }

    @Override
    public void remove(String instanceId, boolean keepVolumes) {
        answer();
        if (refusal != null) {
            throw refusal;
        }
        memory.remove(instanceId, keepVolumes);
    }

    @Override
    public List<InstanceInfo> instances(String fleet) {
        answer();
        return memory.instances(fleet);
    }

    @Override
    public LogStream logs(String instanceId, LogQuery query) {
        answer();
        return memory.logs(instanceId, query);
    }

    @Override
    public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
        answer();
        return memory.events(fleet, listener);
    }

    @Override
    public void close() {
        memory.close();
    }
}
