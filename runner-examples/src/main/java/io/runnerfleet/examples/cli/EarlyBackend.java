package io.runnerfleet.examples.cli;

import io.runnerfleet.spi.RunnerBackend;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The Docker backend of a short-lived command, connected on a thread of its own while the main thread builds
 * the command line and reads the settings: connecting (docker-java's client and its TLS set-up) and picocli's
 * model are the two largest parts of a command's start-up, and on two cores they overlap.
 *
 * <pre>{@code
 * Supplier<RunnerBackend> backends = EarlyBackend.forCommand(args, DockerBackend::fromEnvironment);
 * }</pre>
 *
 * <p>The first {@link #get()} hands over the early backend (or throws what connecting threw); later calls
 * connect anew, as the plain supplier would. A backend nobody took is closed by {@link #closeUnused()}.
 */
final class EarlyBackend implements Supplier<RunnerBackend> {
    /** The subcommands (and aliases) that always talk to Docker and exit soon. */
    static final Set<String> COMMANDS = Set.of("init", "register", "start", "stop", "restart", "log", "ps", "ls", "list",
            "status", "rm", "remove", "delete", "purge", "image");

    private final Supplier<RunnerBackend> connect;
    private final CompletableFuture<RunnerBackend> early = new CompletableFuture<>();
    private boolean taken;

    private EarlyBackend(Supplier<RunnerBackend> connect) {
        this.connect = connect;
        Thread t = new Thread(() -> {
            try {
                early.complete(connect.get());
            } catch (RuntimeException | Error e) {
                early.completeExceptionally(e);
            }
        }, "runnerfleet-docker-connect");
        t.setDaemon(true);
        t.start();
    }

    /**
     * {@code connect} started early when {@code args} run a command of {@link #COMMANDS}; otherwise {@code connect}
     * itself (help, version, offline commands and the long-running ones gain nothing from it).
     */
    static Supplier<RunnerBackend> forCommand(String[] args, Supplier<RunnerBackend> connect) {
        String command = RunnerFleetCli.subcommand(List.of(args));
        return command != null && COMMANDS.contains(command) && !List.of(args).contains("--help")
                && !List.of(args).contains("-h") ? new EarlyBackend(connect) : connect;
    }

    @Override
    public synchronized RunnerBackend get() {
        if (taken) {
            return connect.get();
        }
        taken = true;
        return RunnerFleetCli.await(early);
    }

    /** Closes the early backend when no command took it (a bad option, a refusal before Docker was needed). */
    synchronized void closeUnused() {
        if (!taken) {
            taken = true;
            early.thenAccept(RunnerBackend::close);
        }
    }
}
