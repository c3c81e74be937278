package io.runnerfleet.internal.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import io.runnerfleet.LabelSet;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.fleet.StateDerivation.Action;
import io.runnerfleet.internal.fleet.StateDerivation.Decision;
import io.runnerfleet.internal.fleet.StateDerivation.Facts;
import io.runnerfleet.internal.fleet.StateDerivation.Observation;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import io.runnerfleet.spi.RegisteredRunner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The rules the reconciler runs: what an observation of instance and registration leads to, by state. */
class StateDerivationTest {
    private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");
    private static final FleetSettings SETTINGS = new FleetSettings(Duration.ofSeconds(15), Duration.ofSeconds(1),
            Duration.ofMinutes(10), Duration.ofMinutes(10), 8, 5, Duration.ofSeconds(2), Duration.ofMinutes(5),
            Duration.ofSeconds(30));

    private static InstanceInfo instance(String spec) {
        return switch (spec) {
            case "none" -> null;
            case "running" -> info(InstanceState.RUNNING, null, false);
            case "created" -> info(InstanceState.CREATED, null, false);
            case "oom" -> info(InstanceState.EXITED, 137, true);
            case "oom1" -> info(InstanceState.EXITED, 1, true);
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

    /** A runner launched (and gone Offline, where it is) just now, never failed, in a running fleet. */
    private static Facts fresh() {
        return new Facts(T, false, "p", 0, Instant.MIN, T, T, false, null, false, false);
    }

    private static Decision decide(String current, String instance, String registration, boolean ephemeral, Facts facts) {
        return StateDerivation.decide(state(current), new Observation(instance(instance), registration(registration), ephemeral),
                facts, SETTINGS);
    }

    private static String steps(Decision d) {
        return d.steps().isEmpty() ? "-" : String.join(">", d.steps().stream().map(s -> s.to().name()).toList());
    }

    @ParameterizedTest(name = "{0} + instance {1} + registration {2} (ephemeral {3}) -> {4}, {5}")
    @CsvSource({
            "Provisioning, running, none,    false, -,                      NONE",
            "Provisioning, created, none,    false, -,                      NONE",
            "Registering,  running, none,    false, -,                      NONE",
            "Registering,  running, offline, false, -,                      NONE",
            "Registering,  running, idle,    false, Idle,                   ONLINE",
            "Registering,  running, busy,    true,  Active,                 ONLINE",
            "Registering,  exit1,   none,    false, -,                      FAIL",
            "Registering,  exit2,   none,    false, -,                      FAIL",
            "Registering,  none,    none,    false, -,                      FAIL",
            "Registering,  exit0,   none,    true,  Active>Completed,       FINISH",
            "Idle,         running, idle,    false, -,                      ONLINE",
            "Idle,         running, busy,    false, Active,                 ONLINE",
            "Active,       running, idle,    false, Idle,                   ONLINE",
            "Idle,         running, offline, false, Offline,                NONE",
            "Idle,         running, none,    false, Offline>Provisioning,   RELAUNCH",
            "Idle,         running, none,    true,  Offline,                NONE",
            "Idle,         none,    idle,    false, Offline>Provisioning,   RELAUNCH",
            "Idle,         none,    idle,    true,  Offline,                RENEW",
            "Active,       oom,     busy,    false, Offline>Provisioning,   RELAUNCH",
            "Active,       exit1,   busy,    false, Offline,                FAIL",
            "Active,       exit0,   none,    true,  Completed,              FINISH",
            "Idle,         exit0,   none,    true,  Completed,              FINISH",
            "Active,       exit0,   none,    false, Offline>Provisioning,   RELAUNCH",
            "Offline,      running, idle,    false, Idle,                   ONLINE",
            "Offline,      running, busy,    false, Active,                 ONLINE",
            "Offline,      running, offline, false, -,                      NONE",
            "Offline,      running, none,    true,  -,                      NONE",
            "Offline,      running, none,    false, Provisioning,           RELAUNCH",
            "Offline,      exit7,   offline, false, -,                      FAIL",
            "Offline,      exit2,   offline, false, Provisioning,           RELAUNCH",
            "Offline,      exit2,   offline, true,  -,                      RENEW",
            "Offline,      exit0,   none,    true,  Completed,              FINISH",
            "Offline,      none,    offline, false, Provisioning,           RELAUNCH",
            "Draining,     running, busy,    false, -,                      NONE",
            "Draining,     exit143, idle,    false, -,                      NONE",
            "Draining,     exit0,   none,    true,  -,                      NONE",
            "Removing,     none,    idle,    false, -,                      NONE",
            "Removing,     none,    none,    false, -,                      NONE",
            "Requested,    running, idle,    false, Provisioning,           LAUNCH",
            "Stopped,      running, idle,    false, -,                      NONE",
            "Completed,    none,    none,    true,  -,                      FINISH",
            "Failed,       none,    none,    false, -,                      NONE"})
    void observationLeadsToStepsAndAction(String current, String instance, String registration, boolean ephemeral,
                                          String steps, Action action) {
        Decision d = decide(current, instance, registration, ephemeral, fresh());
        assertThat(steps(d)).isEqualTo(steps);
        assertThat(d.action()).isEqualTo(action);
    }

    @Test
    void everyStepIsALegalEdgeAndEveryActionSaysWhy() {
        List<String> states = List.of("Requested", "Provisioning", "Registering", "Idle", "Active", "Offline", "Draining",
                "Stopped", "Completed", "Removing", "Removed", "Failed");
        List<String> instances = List.of("none", "running", "created", "oom", "exit0", "exit1", "exit2", "exit3", "exit5",
                "exit7", "exit143", "exit42");
        List<String> registrations = List.of("none", "offline", "idle", "busy");
        Facts late = new Facts(T.plus(Duration.ofHours(1)), false, "p", 2, T, T, T, true, T, false, false);
        List<String> decisions = new ArrayList<>();
        for (String s : states) {
            for (String i : instances) {
                for (String r : registrations) {
                    for (boolean eph : List.of(true, false)) {
                        for (Facts facts : List.of(fresh(), late)) {
                            Decision d = decide(s, i, r, eph, facts);
                            RunnerState at = state(s);
                            for (StateDerivation.Step step : d.steps()) {
                                assertThat(at.canGoTo(step.to())).as("%s -> %s for %s/%s", at.name(), step.to().name(), i, r).isTrue();
                                assertThat(step.cause()).isNotBlank();
                                at = step.to();
                            }
                            if (d.action() == Action.FAIL) {
                                assertThat(d.reason()).isNotBlank();
                                assertThat(d.failure()).isNotNull();
                            }
                            if (d.action() == Action.RENEW || d.action() == Action.RELAUNCH) {
                                assertThat(d.reason()).isNotBlank();
                            }
                            decisions.add(s + "->" + steps(d) + " " + d.action());
                        }
                    }
                }
            }
        }
        assertThat(decisions).isNotEmpty();
    }

    @Test
    void failureCarriesTheExitMeaning() {
        Decision deprecated = decide("Registering", "exit7", "none", false, fresh());
        assertThat(deprecated.action()).isEqualTo(Action.FAIL);
        assertThat(deprecated.failure()).as("the same image fails the same way: never retried").isEqualTo(Failures.PERMANENT);
        assertThat(deprecated.reason()).contains("exit code 7", "deprecated", "before the runner registered");
        Decision conflict = decide("Offline", "exit5", "offline", false, fresh());
        assertThat(conflict.failure()).isEqualTo(Failures.COUNTED);
        assertThat(conflict.reason()).contains("exit code 5", "session conflict");
        assertThat(decide("Active", "oom1", "busy", false, fresh()).reason()).contains("exit code 1", "killed for memory");
        assertThat(decide("Active", "oom", "busy", false, fresh()).steps().get(0).cause()).contains("137");
    }

    @Test
    void timingRulesWaitUntilTheirBoundThenAct() {
        Instant pastTimeout = T.plus(Duration.ofMinutes(11));
        Facts orphan = new Facts(pastTimeout, false, "p", 0, Instant.MIN, T, null, false, null, false, false);
        Decision d = decide("Registering", "running", "none", false, orphan);
        assertThat(d.action()).isEqualTo(Action.FAIL);
        assertThat(d.reason()).contains("orphan");

        Facts adopted = new Facts(T.plus(Duration.ofSeconds(31)), false, "p", 0, Instant.MIN, T, null, true, null, false, false);
        assertThat(decide("Registering", "running", "none", false, adopted).action()).isEqualTo(Action.RENEW);
        Facts adoptedJustNow = new Facts(T.plus(Duration.ofSeconds(29)), false, "p", 0, Instant.MIN, T, null, true, null, false, false);
        assertThat(decide("Registering", "running", "none", false, adoptedJustNow).action()).isEqualTo(Action.NONE);

        Facts offlineLong = new Facts(pastTimeout, false, "p", 0, Instant.MIN, T, T, false, null, false, false);
        assertThat(decide("Offline", "running", "none", true, offlineLong).action()).isEqualTo(Action.RENEW);
        Decision stale = decide("Offline", "running", "offline", false, offlineLong);
        assertThat(stale.action()).isEqualTo(Action.RELAUNCH);
        assertThat(stale.reason()).contains("offline for longer than");

        Facts failedLongAgo = new Facts(T.plus(Duration.ofMinutes(11)), false, "p", 5, Instant.MIN, T, null, false, T, false, false);
        Decision retry = decide("Failed", "none", "none", false, failedLongAgo);
        assertThat(retry.action()).isEqualTo(Action.RENEW);
        assertThat(retry.reason()).contains("failed runner's slot again");
        Facts permanent = new Facts(T.plus(Duration.ofMinutes(11)), false, "p", 5, Instant.MIN, T, null, false, T, true, false);
        assertThat(decide("Failed", "none", "none", false, permanent).action()).isEqualTo(Action.NONE);
        Facts failedJustNow = new Facts(T.plus(Duration.ofMinutes(9)), false, "p", 5, Instant.MIN, T, null, false, T, false, false);
        assertThat(decide("Failed", "none", "none", false, failedJustNow).action()).isEqualTo(Action.NONE);
    }

    @Test
    void aRunnerThatSaysItIsListeningIsIdleAndGitHubsListConfirmsOrFailsIt() {
        Facts heard = new Facts(T.plus(Duration.ofSeconds(5)), false, "p", 0, Instant.MIN, T, null, false, null, false, true);
        Decision now = StateDerivation.heard(new RunnerState.Registering(), heard);
        assertThat(steps(now)).isEqualTo("Idle");
        assertThat(now.steps().get(0).cause()).contains("listening for jobs");
        assertThat(now.action()).as("the registration's id comes with the list").isEqualTo(Action.NONE);
        assertThat(StateDerivation.heard(new RunnerState.Active(), heard).steps()).isEmpty();
        assertThat(StateDerivation.heard(new RunnerState.Registering(), fresh()).steps()).isEmpty();
        // A cycle that finds the fact applies the same rule; a dead instance still fails first.
        assertThat(steps(decide("Registering", "running", "none", false, heard))).isEqualTo("Idle");
        assertThat(decide("Registering", "exit1", "none", false, heard).action()).isEqualTo(Action.FAIL);

        // Idle on its word: the list is late, not a loss, until the registration timeout.
        Decision waiting = decide("Idle", "running", "none", false, heard);
        assertThat(waiting.steps()).isEmpty();
        assertThat(waiting.action()).isEqualTo(Action.NONE);
        assertThat(decide("Idle", "running", "offline", false, heard).action()).isEqualTo(Action.NONE);
        assertThat(decide("Idle", "running", "idle", false, heard).action()).isEqualTo(Action.ONLINE);
        Facts ghost = new Facts(T.plus(Duration.ofMinutes(11)), false, "p", 0, Instant.MIN, T, null, false, null, false, true);
        Decision failed = decide("Idle", "running", "none", false, ghost);
        assertThat(steps(failed)).isEqualTo("Offline");
        assertThat(failed.action()).isEqualTo(Action.FAIL);
        assertThat(failed.failure()).isEqualTo(Failures.COUNTED);
        assertThat(failed.reason()).contains("said it was listening", "orphan");
        assertThat(decide("Idle", "exit2", "none", false, heard).action()).as("its instance died: replaced").isEqualTo(Action.RELAUNCH);
    }

    @Test
    void aRequestedRunnerWaitsForItsBackoffAndIsDroppedWhenTheFleetStops() {
        Facts backingOff = new Facts(T, false, "p", 2, T.plus(Duration.ofSeconds(4)), null, null, false, null, false, false);
        assertThat(decide("Requested", "none", "none", false, backingOff).action()).isEqualTo(Action.NONE);
        Facts due = new Facts(T.plus(Duration.ofSeconds(4)), false, "p", 2, T.plus(Duration.ofSeconds(4)), null, null, false, null, false, false);
        Decision retry = decide("Requested", "none", "none", false, due);
        assertThat(retry.action()).isEqualTo(Action.LAUNCH);
        assertThat(retry.steps().get(0).cause()).isEqualTo("retry 3 after 2 failure(s)");
        assertThat(decide("Requested", "none", "none", false, fresh()).steps().get(0).cause()).isEqualTo("wanted by pool p");
        Facts stopping = new Facts(T, true, "p", 0, Instant.MIN, null, null, false, null, false, false);
        Decision dropped = decide("Requested", "none", "none", false, stopping);
        assertThat(steps(dropped)).isEqualTo("Removed");
        assertThat(dropped.action()).isEqualTo(Action.NONE);
    }

    @ParameterizedTest(name = "adopting instance {0} + registration {1} -> {2}")
    @CsvSource({
            "running, idle,    Idle",
            "running, busy,    Active",
            "running, offline, Registering",
            "running, none,    Registering",
            "exit0,   idle,    Offline",
            "exit137, none,    Offline"})
    void anAdoptedRunnerStartsInTheStateItsObservationShows(String instance, String registration, String expected) {
        RunnerState state = StateDerivation.adopted(new Observation(instance(instance), registration(registration), false));
        assertThat(state.name()).isEqualTo(expected);
    }

    @Test
    void theFleetConvergesWhileARunnerIsOnItsWay() {
        List<String> converging = new ArrayList<>();
        for (String s : List.of("Requested", "Provisioning", "Registering", "Idle", "Active", "Offline", "Draining",
                "Stopped", "Completed", "Removing", "Removed", "Failed")) {
            if (StateDerivation.converging(state(s))) {
                converging.add(s);
            }
        }
        assertThat(converging).containsExactly("Requested", "Provisioning", "Registering", "Offline", "Draining",
                "Completed", "Removing");
    }
}
