package io.runnerfleet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.StateDerivation.Observation;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The state an observation of instance and registration leads to. */
class StateDerivationTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

    private static InstanceInfo instance(String spec) {
        return switch (spec) {
            case "none" -> null;
            case "running" -> info(InstanceState.RUNNING, null, false);
            case "created" -> info(InstanceState.CREATED, null, false);
            case "oom" -> info(InstanceState.EXITED, 137, true);
            default -> info(InstanceState.EXITED, Integer.parseInt(spec.substring("exit".length())), false);
        };
    }

    private static InstanceInfo info(InstanceState state, Integer exit, boolean oom) {
        return new InstanceInfo("c0ffee", "f-p-1", "f", "p", "f-p-1", "", state, exit, oom, T, null, Map.of());
    }

    private static RegisteredRunner registration(String spec) {
        return switch (spec) {
            case "none" -> null;
            case "offline" -> new RegisteredRunner(1, "f-p-1", "Linux", false, false, LabelSet.of("x"), false);
            case "idle" -> new RegisteredRunner(1, "f-p-1", "Linux", true, false, LabelSet.of("x"), false);
            case "busy" -> new RegisteredRunner(1, "f-p-1", "Linux", true, true, LabelSet.of("x"), false);
            default -> throw new IllegalArgumentException(spec);
        };
    }

    private static RunnerState state(String name) {
        return switch (name) {
            case "Requested" -> new RunnerState.Requested();
            case "Provisioning" -> new RunnerState.Provisioning();
            case "Registering" -> new RunnerState.Registering();
            case "Idle" -> new RunnerState.Idle();
            case "Active" -> new RunnerState.Active();
            case "Offline" -> new RunnerState.Offline();
            case "Draining" -> new RunnerState.Draining();
            case "Stopped" -> new RunnerState.Stopped();
            case "Completed" -> new RunnerState.Completed();
            case "Removing" -> new RunnerState.Removing();
            case "Removed" -> new RunnerState.Removed();
            case "Failed" -> new RunnerState.Failed("x");
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest(name = "{0} + instance {1} + registration {2} (ephemeral {3}) -> {4}")
    @CsvSource({
            "Provisioning, running, none,    false, Registering",
            "Provisioning, created, none,    false, -",
            "Registering,  running, none,    false, -",
            "Registering,  running, offline, false, -",
            "Registering,  running, idle,    false, Idle",
            "Registering,  running, busy,    true,  Active",
            "Registering,  exit1,   none,    false, Failed",
            "Registering,  exit2,   none,    false, -",
            "Idle,         running, idle,    false, -",
            "Idle,         running, busy,    false, Active",
            "Active,       running, idle,    false, Idle",
            "Idle,         running, offline, false, Offline",
            "Idle,         running, none,    false, Offline",
            "Idle,         none,    idle,    false, Offline",
            "Active,       oom,     busy,    false, Offline",
            "Active,       exit0,   none,    true,  Completed",
            "Idle,         exit0,   none,    true,  Completed",
            "Active,       exit0,   none,    false, Offline",
            "Offline,      running, idle,    false, Idle",
            "Offline,      running, busy,    false, Active",
            "Offline,      exit7,   offline, false, Failed",
            "Offline,      exit2,   offline, false, -",
            "Offline,      exit0,   none,    true,  Completed",
            "Offline,      none,    offline, false, -",
            "Draining,     running, busy,    false, -",
            "Draining,     exit143, idle,    false, Stopped",
            "Draining,     exit0,   none,    true,  Completed",
            "Removing,     none,    idle,    false, -",
            "Removing,     exit0,   none,    false, -",
            "Removing,     none,    none,    false, Removed",
            "Requested,    running, idle,    false, -",
            "Stopped,      running, idle,    false, -",
            "Completed,    none,    none,    true,  -",
            "Failed,       none,    none,    false, -"})
    void observationLeadsToState(String current, String instance, String registration, boolean ephemeral, String expected) {
        Optional<StateDerivation.Step> step = StateDerivation.next(state(current),
                new Observation(instance(instance), registration(registration), ephemeral));
        assertThat(step.map(s -> s.to().name()).orElse("-")).isEqualTo(expected);
    }

    @Test
    void everyProposalIsALegalEdge() {
        List<String> states = List.of("Requested", "Provisioning", "Registering", "Idle", "Active", "Offline", "Draining",
                "Stopped", "Completed", "Removing", "Removed", "Failed");
        List<String> instances = List.of("none", "running", "created", "oom", "exit0", "exit1", "exit2", "exit3", "exit5",
                "exit7", "exit143", "exit42");
        List<String> registrations = List.of("none", "offline", "idle", "busy");
        List<String> proposals = new ArrayList<>();
        for (String s : states) {
            for (String i : instances) {
                for (String r : registrations) {
                    for (boolean eph : List.of(true, false)) {
                        RunnerState from = state(s);
                        StateDerivation.next(from, new Observation(instance(i), registration(r), eph)).ifPresent(step -> {
                            assertThat(from.canGoTo(step.to())).as("%s -> %s for %s/%s", s, step.to().name(), i, r).isTrue();
                            assertThat(step.cause()).isNotBlank();
                            proposals.add(s + "->" + step.to().name());
                        });
                    }
                }
            }
        }
        assertThat(proposals).isNotEmpty();
    }

    @Test
    void failureCarriesTheExitMeaning() {
        StateDerivation.Step step = StateDerivation.next(new RunnerState.Registering(),
                new Observation(instance("exit7"), null, false)).orElseThrow();
        assertThat(((RunnerState.Failed) step.to()).reason()).contains("exit code 7", "deprecated", "before the runner came online");
        assertThat(StateDerivation.next(new RunnerState.Active(), new Observation(instance("oom"), registration("busy"), false))
                .orElseThrow().cause()).contains("137", "killed for memory");
    }
}
