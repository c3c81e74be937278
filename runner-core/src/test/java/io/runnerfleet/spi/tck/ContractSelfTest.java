package io.runnerfleet.spi.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.runnerfleet.RegistrationException;
import io.runnerfleet.RunnerImage;
import io.runnerfleet.spi.BuildProgress;
import io.runnerfleet.spi.InstanceEvent;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import io.runnerfleet.spi.Subscription;
import io.runnerfleet.testing.InMemoryBackend;
import io.runnerfleet.testing.InMemoryRegistry;
import io.runnerfleet.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The TCK catches broken implementations: each nested contract run wraps a fake with one bug, and the
 * contract tests that guard against that bug must fail (the nested classes are not run by surefire
 * itself, which skips nested classes).
 */
class ContractSelfTest {

    private static Set<String> failedTests(Class<?> contract) {
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(contract)).build(), listener);
        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTestsStartedCount()).as("contract tests ran").isGreaterThan(5);
        return summary.getFailures().stream().map(f -> f.getTestIdentifier().getDisplayName().replace("()", ""))
                .collect(Collectors.toSet());
    }

    @Test
    void registryThatFailsToDeleteUnknownRunnersIsCaught() {
        assertThat(failedTests(DeleteOfUnknownThrows.class)).contains("deleteOfAnUnknownRunnerIsNotAnError", "deleteIsIdempotent");
    }

    @Test
    void registryThatIgnoresNameConflictsIsCaught() {
        assertThat(failedTests(ConflictsIgnored.class)).contains("jitConfigForAnExistingNameRaisesNameConflict");
    }

    @Test
    void registryThatDeletesBusyRunnersIsCaught() {
        assertThat(failedTests(BusyDeleted.class)).contains("deleteOfABusyRunnerRaisesRunnerBusyAndKeepsIt");
    }

    @Test
    void backendThatIgnoresTheFleetIsCaught() {
        assertThat(failedTests(FleetIgnored.class)).contains("instancesAreFoundByFleetAndNotAnotherFleets",
                "eventsOfAnotherFleetAreNotDelivered");
    }

    @Test
    void backendThatFailsOnUnknownInstancesIsCaught() {
        assertThat(failedTests(UnknownInstanceThrows.class)).containsExactly("actingOnAnUnknownInstanceIsNotAnError");
    }

    @Test
    void backendWithoutExitCodesIsCaught() {
        assertThat(failedTests(ExitCodeLost.class)).containsExactly("exitIsReportedAsAnEventWithItsCode");
    }

    @Test
    void backendThatSaysListeningOnEveryLineIsCaught() {
        assertThat(failedTests(ListeningRepeated.class)).containsExactly("listeningIsReportedOnceWhenTheRunnerSaysIt");
    }

    @Test
    void backendThatSaysListeningAtLaunchIsCaught() {
        assertThat(failedTests(ListeningAtLaunch.class)).containsExactly("listeningIsReportedOnceWhenTheRunnerSaysIt");
    }

    @Test
    void correctFakesPassEveryContractTest() {
        assertThat(failedTests(InMemoryRegistryContractRun.class)).isEmpty();
        assertThat(failedTests(InMemoryBackendContractRun.class)).isEmpty();
        assertThat(failedTests(ListeningOnceRun.class)).isEmpty();
    }

    // ---- registries with one bug each ----

    /** Forwards every call to an in-memory registry; subclasses plant one bug. */
    static class InMemoryForwarding extends ForwardingRegistry<InMemoryRegistry> {
        InMemoryForwarding() {
            super(InMemoryRegistry.builder().clock(MutableClock.standard()).build());
        }
    }

    abstract static class BrokenRegistryContract extends RunnerRegistryContract {
        InMemoryForwarding broken;

        abstract InMemoryForwarding broken();

        @Override
        protected RunnerRegistry createRegistry() {
            broken = broken();
            return broken;
        }

        @Override
        protected void markBusy(RegisteredRunner runner) {
            broken.delegate.markBusy(runner.name());
        }

        @Override
        protected java.time.Instant now() {
            return MutableClock.standard().instant();
        }
    }

    static class DeleteOfUnknownThrows extends BrokenRegistryContract {
        @Override
        InMemoryForwarding broken() {
            return new InMemoryForwarding() {
                @Override
                public void delete(RegisteredRunner runner) {
                    if (delegate.runners().stream().noneMatch(r -> r.id() == runner.id())) {
                        throw new RegistrationException("404 runner " + runner.name());
                    }
                    delegate.delete(runner);
                }
            };
        }
    }

    static class ConflictsIgnored extends BrokenRegistryContract {
        @Override
        InMemoryForwarding broken() {
            return new InMemoryForwarding() {
                @Override
                public JitConfig jitConfig(JitRequest request) {
                    delegate.runner(request.name()).ifPresent(delegate::delete);
                    return delegate.jitConfig(request);
                }
            };
        }
    }

    static class BusyDeleted extends BrokenRegistryContract {
        @Override
        InMemoryForwarding broken() {
            return new InMemoryForwarding() {
                @Override
                public void delete(RegisteredRunner runner) {
                    delegate.runner(runner.name()).filter(RegisteredRunner::busy).ifPresent(r -> delegate.markOnline(r.name()));
                    delegate.delete(runner);
                }
            };
        }
    }

    static class InMemoryRegistryContractRun extends BrokenRegistryContract {
        @Override
        InMemoryForwarding broken() {
            return new InMemoryForwarding() { };
        }
    }

    // ---- backends with one bug each ----

    /** Forwards every call to an in-memory backend; subclasses plant one bug. */
    abstract static class ForwardingBackend implements RunnerBackend {
        final InMemoryBackend delegate = InMemoryBackend.builder().clock(MutableClock.standard()).build();

        @Override
        public String prepare(RunnerImage image, Consumer<BuildProgress> progress) {
            return delegate.prepare(image, progress);
        }

        @Override
        public InstanceInfo launch(LaunchSpec spec) {
            return delegate.launch(spec);
        }

        @Override
        public void start(String instanceId) {
            delegate.start(instanceId);
        }

        @Override
        public void stop(String instanceId, Duration grace) {
            delegate.stop(instanceId, grace);
        }

        @Override
        public void remove(String instanceId, boolean keepVolumes) {
            delegate.remove(instanceId, keepVolumes);
        }

        @Override
        public List<InstanceInfo> instances(String fleet) {
            return delegate.instances(fleet);
        }

        @Override
        public LogStream logs(String instanceId, LogQuery query) {
            return delegate.logs(instanceId, query);
        }

        @Override
        public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
            return delegate.events(fleet, listener);
        }

        @Override
        public void close() {
            delegate.close();
        }

        /** The instance prints {@code lines}; a backend that reads its runners' output overrides this. */
        void output(String instanceId, List<String> lines) {
            delegate.output(instanceId, lines.toArray(String[]::new));
        }
    }

    /** Reads what its instances print: LISTENING for their first Listening for Jobs line, or for every one. */
    static class ListeningBackend extends ForwardingBackend {
        private final boolean once;
        private final Set<String> heard = java.util.concurrent.ConcurrentHashMap.newKeySet();

        ListeningBackend(boolean once) {
            this.once = once;
        }

        @Override
        void output(String instanceId, List<String> lines) {
            super.output(instanceId, lines);
            for (String line : lines) {
                if (InstanceEvent.saysListening(line) && (heard.add(instanceId) || !once)) {
                    delegate.listening(instanceId);
                }
            }
        }
    }

    abstract static class BrokenBackendContract extends RunnerBackendContract {
        ForwardingBackend broken;

        abstract ForwardingBackend broken();

        @Override
        protected RunnerBackend createBackend() {
            broken = broken();
            return broken;
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
            broken.delegate.exit(instance.id(), exitCode);
        }

        @Override
        protected void emitOutput(InstanceInfo instance, List<String> lines) {
            broken.output(instance.id(), lines);
        }

        @Override
        protected boolean emitsListening() {
            return broken instanceof ListeningBackend;
        }

        @Override
        protected Duration patience() {
            return Duration.ofMillis(200);
        }
    }

    static class FleetIgnored extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            // Lists and delivers across fleets, as a backend that forgets its ownership-label filter would.
            return new ForwardingBackend() {
                private final Set<String> fleets = new java.util.concurrent.CopyOnWriteArraySet<>();
                private final List<Consumer<InstanceEvent>> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

                @Override
                public synchronized InstanceInfo launch(LaunchSpec spec) {
                    if (fleets.add(spec.fleet())) {
                        listeners.forEach(l -> delegate.events(spec.fleet(), l));
                    }
                    return delegate.launch(spec);
                }

                @Override
                public List<InstanceInfo> instances(String fleet) {
                    return fleets.stream().flatMap(f -> delegate.instances(f).stream()).toList();
                }

                @Override
                public synchronized Subscription events(String fleet, Consumer<InstanceEvent> listener) {
                    listeners.add(listener);
                    fleets.add(fleet);
                    fleets.forEach(f -> delegate.events(f, listener));
                    return () -> listeners.remove(listener);
                }
            };
        }
    }

    static class UnknownInstanceThrows extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            return new ForwardingBackend() {
                @Override
                public void stop(String instanceId, Duration grace) {
                    if (instanceId.startsWith("tck-no-such")) {
                        throw new io.runnerfleet.BackendUnavailableException("404 no such container " + instanceId);
                    }
                    delegate.stop(instanceId, grace);
                }
            };
        }
    }

    static class ExitCodeLost extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            return new ForwardingBackend() {
                @Override
                public Subscription events(String fleet, Consumer<InstanceEvent> listener) {
                    return delegate.events(fleet, e -> listener.accept(new InstanceEvent(e.instanceId(), e.runnerName(),
                            e.kind(), e.kind() == InstanceEvent.Kind.EXITED ? Integer.valueOf(0) : null, e.at())));
                }
            };
        }
    }

    static class ListeningRepeated extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            return new ListeningBackend(false);
        }
    }

    static class ListeningAtLaunch extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            // Takes the launch itself for the runner's word, as a backend that emits LISTENING too early would.
            return new ListeningBackend(true) {
                @Override
                public InstanceInfo launch(LaunchSpec spec) {
                    InstanceInfo launched = super.launch(spec);
                    delegate.listening(launched.id());
                    return launched;
                }
            };
        }
    }

    static class ListeningOnceRun extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            return new ListeningBackend(true);
        }
    }

    static class InMemoryBackendContractRun extends BrokenBackendContract {
        @Override
        ForwardingBackend broken() {
            return new ForwardingBackend() { };
        }
    }
}
