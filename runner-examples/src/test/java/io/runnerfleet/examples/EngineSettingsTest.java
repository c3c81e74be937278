package io.runnerfleet.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.docker.MultiEngineBackend;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.testing.InMemoryBackend;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The .env convention for engines: RUNNERFLEET_ENGINES, per-engine variables, per-pool engine lists. */
class EngineSettingsTest {
    private static final Map<String, String> TWO = Map.of(
            "RUNNERFLEET_ENGINES", "local, lab",
            "RUNNERFLEET_ENGINE_LOCAL_HOST", "unix:///var/run/docker.sock",
            "RUNNERFLEET_ENGINE_LOCAL_CAPACITY", "4",
            "RUNNERFLEET_ENGINE_LAB_HOST", "tcp://lab.example:2376",
            "RUNNERFLEET_ENGINE_LAB_TLS_VERIFY", "yes",
            "RUNNER_ENGINES", "local,lab",
            "BOARD_RUNNER_ENGINES_2", "lab");

    private static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> m = new java.util.HashMap<>(base);
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void withoutEnginesNothingIsConfigured() {
        EngineSettings s = EngineSettings.from(Map.of("ORG", "acme"), 2);
        assertThat(s.configured()).isFalse();
        assertThat(s.boardEngines()).isEmpty();
    }

    @Test
    void readsEnginesAndPoolPlacement() {
        EngineSettings s = EngineSettings.from(TWO, 2);
        assertThat(s.engines()).extracting(EngineSettings.Engine::name).containsExactly("local", "lab");
        EngineSettings.Engine local = s.engines().get(0);
        EngineSettings.Engine lab = s.engines().get(1);
        assertThat(local.capacity()).isEqualTo(4);
        assertThat(local.localDevices()).isTrue();
        assertThat(lab.localDevices()).as("a tcp engine checks its devices on its own host").isFalse();
        assertThat(lab.tlsVerify()).isTrue();
        assertThat(lab.capacity()).isZero();
        assertThat(s.genericEngines()).containsExactly("local", "lab");
        assertThat(s.boardEngines()).isEqualTo(Map.of(2, List.of("lab")));
    }

    @Test
    void theSharedBoardVariableAppliesToEveryBoardWithoutItsOwn() {
        EngineSettings s = EngineSettings.from(with(TWO, "BOARD_RUNNER_ENGINES", "local"), 3);
        assertThat(s.boardEngines()).isEqualTo(Map.of(1, List.of("local"), 2, List.of("lab"), 3, List.of("local")));
    }

    @Test
    void mistakesNameTheVariable() {
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LAB_HOST", ""), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINE_LAB_HOST is not set");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LAB_HOST", "lab:2376"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'lab:2376' is not a Docker endpoint");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "BOARD_RUNNER_ENGINES_1", "lab2"), 1))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("BOARD_RUNNER_ENGINES_1 names engine 'lab2'");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LABB_HOST", "tcp://x:2376"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("[RUNNERFLEET_ENGINE_LABB_HOST] belong to no engine");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LOCAL_CAPACITY", "many"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINE_LOCAL_CAPACITY must be");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LAB_TLS_VERIFY", "sure"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINE_LAB_TLS_VERIFY must be");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_LAB_CERT_PATH", "/nonexistent/certs"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("/nonexistent/certs/ca.pem is missing");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES", "Lab-A"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("'Lab-A'");
        assertThatThrownBy(() -> EngineSettings.from(Map.of("RUNNER_ENGINES", "lab"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINES is not set");
    }

    @Test
    void readsHowLongAnEngineMayFailBeforeItIsAway() {
        assertThat(EngineSettings.from(TWO, 0).awayAfter()).isNull();
        assertThat(EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "90s"), 0).awayAfter())
                .isEqualTo(Duration.ofSeconds(90));
        assertThat(EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "PT2M"), 0).awayAfter())
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "0s"), 0).awayAfter()).isZero();
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "soon"), 0))
                .isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("RUNNERFLEET_ENGINES_AWAY_AFTER must be a duration").hasMessageContaining("'soon'");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "PT-5S"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("zero or more");
        assertThatThrownBy(() -> EngineSettings.from(Map.of("RUNNERFLEET_ENGINES_AWAY_AFTER", "30s"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINES is not");
        assertThatThrownBy(() -> EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINE_AWAY_AFTER", "30s"), 0))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("RUNNERFLEET_ENGINES_AWAY_AFTER");
    }

    @Test
    void theBackendTakesTheGrace() {
        try (MultiEngineBackend backend = EngineSettings.from(with(TWO, "RUNNERFLEET_ENGINES_AWAY_AFTER", "0s"), 0)
                .backend("runner", "board-", e -> InMemoryBackend.builder().build())) {
            assertThat(backend.awayAfter()).isZero();
        }
    }

    @Test
    void theBackendPlacesEachPoolOnItsEngines() {
        try (MultiEngineBackend backend = EngineSettings.from(with(TWO, "RUNNER_ENGINES", "local"), 2)
                .backend("runner", "board-", e -> InMemoryBackend.builder().build())) {
            assertThat(backend.engineNames()).containsExactly("local", "lab");
            assertThat(backend.enginesOf("runner")).containsExactly("local");
            assertThat(backend.enginesOf("board-1")).containsExactly("local", "lab");
            assertThat(backend.enginesOf("board-2")).containsExactly("lab");
        }
    }

    @Test
    void aFailedConnectionClosesTheEnginesAlreadyConnected() {
        AtomicInteger closed = new AtomicInteger();
        RunnerBackend local = (RunnerBackend) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RunnerBackend.class}, (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        closed.incrementAndGet();
                    }
                    return null;
                });
        EngineSettings s = EngineSettings.from(TWO, 0);
        assertThatThrownBy(() -> s.backend("runner", "board-", e -> {
            if (e.name().equals("lab")) {
                throw new BackendUnavailableException("lab does not answer");
            }
            return local;
        })).hasMessageContaining("lab does not answer");
        assertThat(closed).hasValue(1);
    }
}
