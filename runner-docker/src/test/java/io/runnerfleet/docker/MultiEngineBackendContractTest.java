package io.runnerfleet.docker;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.tck.RunnerBackendContract;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.MutableClock;
import java.util.List;
import java.util.Map;

/** The multi-engine backend over two in-memory engines passes the backend TCK. */
class MultiEngineBackendContractTest extends RunnerBackendContract {
    private Map<String, FakeEngine> engines;

    @Override
    protected RunnerBackend createBackend() {
        MutableClock clock = MutableClock.standard();
        engines = Map.of("a", new FakeEngine(InMemoryBackend.builder().clock(clock).build()),
                "b", new FakeEngine(InMemoryBackend.builder().clock(clock).build()));
        return MultiEngineBackend.builder().engine("a", engines.get("a")).engine("b", engines.get("b")).build();
    }

    @Override
    protected RunnerImage referenceImage() {
        return RunnerImage.of("tck-runner:1");
    }

    @Override
    protected LaunchSpec.Builder launchSpec(String fleet, String runnerName) {
        return LaunchSpec.builder(fleet, "tck", runnerName, "tck-runner:1");
    }

    @Override
    protected void causeExit(InstanceInfo instance, int exitCode) {
        engines.get(instance.engine()).memory.exit(ownId(instance), exitCode);
    }

    @Override
    protected void emitOutput(InstanceInfo instance, List<String> lines) {
        engines.get(instance.engine()).memory.output(ownId(instance), lines.toArray(String[]::new));
    }

    private static String ownId(InstanceInfo instance) {
        return instance.id().substring(0, instance.id().lastIndexOf('@'));
    }
}
