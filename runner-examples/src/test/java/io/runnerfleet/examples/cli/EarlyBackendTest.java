package io.runnerfleet.examples.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.runnerfleet.BackendUnavailableException;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.testing.Await;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Docker backend a short command connects while picocli starts up. */
class EarlyBackendTest {
    @TempDir
    Path dir;

    @Test
    void theCommandIsTheFirstWordThatIsNotATopLevelOptionOrItsValue() {
        assertThat(RunnerFleetCli.subcommand(List.of("--env-file", "ps", "init", "-n", "1"))).isEqualTo("init");
        assertThat(RunnerFleetCli.subcommand(List.of("--github-url", "http://x", "--env-file=.env", "ps", "--json"))).isEqualTo("ps");
        assertThat(RunnerFleetCli.subcommand(List.of("--version"))).isNull();
        assertThat(RunnerFleetCli.subcommand(List.of())).isNull();
    }

    @Test
    void onlyShortDockerCommandsConnectEarly() {
        Supplier<RunnerBackend> plain = () -> backend(new AtomicBoolean());
        assertThat(EarlyBackend.forCommand(new String[] {"ps"}, Map.of(), plain)).isInstanceOf(EarlyBackend.class);
        assertThat(EarlyBackend.forCommand(new String[] {"--env-file", "x.env", "init", "-n", "2"}, Map.of(), plain))
                .isInstanceOf(EarlyBackend.class);
        for (String[] args : List.of(new String[] {"--version"}, new String[] {"compose"}, new String[] {"match"},
                new String[] {"serve"}, new String[] {"demo"}, new String[] {"ps", "--help"}, new String[] {"help", "ps"})) {
            assertThat(EarlyBackend.forCommand(args, Map.of(), plain)).as(String.join(" ", args)).isSameAs(plain);
        }
    }

    @Test
    void theFirstGetHandsOverTheEarlyBackendAndLaterOnesConnectAnew() {
        AtomicInteger connects = new AtomicInteger();
        Supplier<RunnerBackend> early = EarlyBackend.forCommand(new String[] {"ps"}, Map.of(), () -> {
            connects.incrementAndGet();
            return backend(new AtomicBoolean());
        });
        Await.until(Duration.ofSeconds(10), "connected on its own thread", () -> connects.get() == 1);
        RunnerBackend first = early.get();
        assertThat(connects).hasValue(1);
        RunnerBackend second = early.get();
        assertThat(second).isNotSameAs(first);
        assertThat(connects).hasValue(2);
    }

    @Test
    void whatConnectingThrewIsThrownByGetUnchanged() {
        BackendUnavailableException down = new BackendUnavailableException("Docker does not answer at unix:///nowhere");
        Supplier<RunnerBackend> early = EarlyBackend.forCommand(new String[] {"ps"}, Map.of(), () -> {
            throw down;
        });
        assertThatThrownBy(early::get).isSameAs(down);
    }

    @Test
    void anEarlyBackendNobodyTookIsClosed() {
        AtomicBoolean closed = new AtomicBoolean();
        EarlyBackend early = (EarlyBackend) EarlyBackend.forCommand(new String[] {"rm", "-y"}, Map.of(), () -> backend(closed));
        early.closeUnused();
        Await.until(Duration.ofSeconds(10), "the unused backend closed", closed::get);
    }

    @Test
    void withEnginesConfiguredTheDefaultEngineIsNeverConnected() {
        AtomicInteger connects = new AtomicInteger();
        EarlyBackend early = (EarlyBackend) EarlyBackend.forCommand(new String[] {"--env-file", dir.resolve(".env").toString(),
                "ps"}, Map.of("RUNNERFLEET_ENGINES", "local,lab"), () -> {
                    connects.incrementAndGet();
                    return backend(new AtomicBoolean());
                });
        Await.until(Duration.ofSeconds(10), "the early thread done", early::settled);
        early.closeUnused();
        assertThat(connects).hasValue(0);
    }

    @Test
    void enginesAreReadFromTheEnvFileAndTheEnvironmentWinsAsForTheCommand() throws Exception {
        Files.writeString(dir.resolve("fleet.env"), "ORG=acme\nRUNNERFLEET_ENGINES=local\n");
        String[] args = {"--env-file=" + dir.resolve("fleet.env"), "stop"};
        AtomicInteger connects = new AtomicInteger();
        Supplier<RunnerBackend> counting = () -> {
            connects.incrementAndGet();
            return backend(new AtomicBoolean());
        };
        EarlyBackend fromFile = (EarlyBackend) EarlyBackend.forCommand(args, Map.of(), counting);
        Await.until(Duration.ofSeconds(10), "the early thread done", fromFile::settled);
        assertThat(connects).as("engines in the file: nothing connected early").hasValue(0);
        assertThat(fromFile.get()).as("a command that asks all the same connects then").isNotNull();
        assertThat(connects).hasValue(1);

        EarlyBackend overridden = (EarlyBackend) EarlyBackend.forCommand(args, Map.of("RUNNERFLEET_ENGINES", " "), counting);
        Await.until(Duration.ofSeconds(10), "connected early", () -> connects.get() == 2);
        assertThat(overridden.get()).isNotNull();
        assertThat(connects).as("the environment's empty value wins: the default engine, connected early").hasValue(2);
    }

    /** A backend that only knows how to be closed: these tests never ask it anything else. */
    private static RunnerBackend backend(AtomicBoolean closed) {
        return (RunnerBackend) Proxy.newProxyInstance(RunnerBackend.class.getClassLoader(), new Class<?>[] {RunnerBackend.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "close" -> closed.set(true);
                        case "toString" -> {
                            return "backend@" + System.identityHashCode(proxy);
                        }
                        case "hashCode" -> {
                            return System.identityHashCode(proxy);
                        }
                        case "equals" -> {
                            return proxy == args[0];
                        }
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                    return null;
                });
    }
}
