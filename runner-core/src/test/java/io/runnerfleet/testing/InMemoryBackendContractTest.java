package io.runnerfleet.testing;

import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.tck.RunnerBackendContract;
import java.util.List;

/** The in-memory backend passes the backend TCK. */
class InMemoryBackendContractTest extends RunnerBackendContract {
    private InMemoryBackend fake;

    @Override
    protected RunnerBackend createBackend() {
        fake = InMemoryBackend.builder().clock(MutableClock.standard()).build();
        return fake;
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
        fake.exit(instance.id(), exitCode);
    }

    @Override
    protected void emitOutput(InstanceInfo instance, List<String> lines) {
        fake.output(instance.id(), lines.toArray(String[]::new));
    }
}
