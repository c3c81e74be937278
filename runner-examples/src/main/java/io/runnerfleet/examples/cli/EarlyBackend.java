package io.runnerfleet.examples.cli;

import io.runnerfleet.examples.EngineSettings;
import io.runnerfleet.spi.RunnerBackend;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The Docker backend of a short-lived command, connected on a thread of its own while the main thread builds
 * the command line and reads the settings: connecting (docker-java's client and its TLS set-up) and picocli's
 * model are the two largest parts of a command's start-up, and on two cores they overlap.
 *
 * <pre>{@code
 * Supplier<RunnerBackend> backends = EarlyBackend.forCommand(args, System.getenv(), DockerBackend::fromEnvironment);
 * }</pre>
 *
 * <p>The first {@link #get()} hands over the early backend (or throws what connecting threw); later calls
 * connect anew, as the plain supplier would. A backend nobody took is closed by {@link #closeUnused()}.
 *
 * <p>When the settings configure engines ({@code RUNNERFLEET_ENGINES}), the command connects those instead and
 * never asks for this one, so nothing is connected early: the thread only reads the settings. Should a command
 * ask all the same, {@link #get()} connects then. (Connecting the configured engines early instead was tried and
 * measured slower, in wall time and CPU, than both this and connecting the default engine for nothing.)
 */
final class EarlyBackend implements Supplier<RunnerBackend> {
    /** The subcommands (and aliases) that always talk to Docker and exit soon. */
    static final Set<String> COMMANDS = Set.of("init", "register", "start", "stop", "restart", "log", "ps", "ls", "list",
            "status", "rm", "remove", "delete", "purge", "image");

    private final Supplier<RunnerBackend> connect;
    /** The early backend, or null when engines are configured and nothing was connected. */
    private final CompletableFuture<RunnerBackend> early = new CompletableFuture<>();
    private boolean taken;

    private EarlyBackend(List<String> args, Map<String, String> environment, Supplier<RunnerBackend> connect) {
        this.connect = connect;
        Thread t = new Thread(() -> {
            try {
                early.complete(enginesConfigured(args, environment) ? null : connect.get());
            } catch (RuntimeException | Error e) {
                early.completeExceptionally(e);
            }
        }, "runnerfleet-docker-connect");
        t.setDaemon(true);
        t.start();
    }

    /**
     * {@code connect} started early when {@code args} run a command of {@link #COMMANDS} and the settings (the
     * {@code --env-file} of {@code args}, its credentials file, then {@code environment}, as the command reads them)
     * configure no engines; otherwise {@code connect} itself, on demand (help, version, offline commands and the
     * long-running ones gain nothing from it).
     */
    static Supplier<RunnerBackend> forCommand(String[] args, Map<String, String> environment, Supplier<RunnerBackend> connect) {
        List<String> words = List.of(args);
        String command = RunnerFleetCli.subcommand(words);
        return command != null && COMMANDS.contains(command) && !words.contains("--help") && !words.contains("-h")
                ? new EarlyBackend(words, environment, connect) : connect;
    }

    /**
     * Whether the settings set {@code RUNNERFLEET_ENGINES}; false when they cannot be read (the command then
     * reports why), which connects early as without engines.
     */
    static boolean enginesConfigured(List<String> args, Map<String, String> environment) {
        try {
            return EngineSettings.declared(RunnerFleetCli.variables(RunnerFleetCli.envFile(args), environment));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public synchronized RunnerBackend get() {
        if (taken) {
            return connect.get();
        }
        taken = true;
        RunnerBackend backend = RunnerFleetCli.await(early);
        return backend != null ? backend : connect.get();
    }

    /** Whether the early thread is done: connected, failed, or found engines configured and connected nothing. */
    boolean settled() {
        return early.isDone();
    }

    /** Closes the early backend when no command took it (a bad option, a refusal before Docker was needed). */
    synchronized void closeUnused() {
        if (!taken) {
            taken = true;
            early.thenAccept(b -> {
                if (b != null) {
                    b.close();
                }
            });
        }
    }
}
