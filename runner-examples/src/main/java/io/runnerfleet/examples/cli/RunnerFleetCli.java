package io.runnerfleet.examples.cli;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.examples.EngineSettings;
import io.runnerfleet.examples.EnvFile;
import io.runnerfleet.examples.RunnerShSettings;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RunnerBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code runnerfleet}: runner.sh's commands on top of Runner Fleet, configured by the same {@code .env}.
 *
 * <pre>{@code
 * runnerfleet init -n 4         # generic runners plus one per board, registered and started
 * runnerfleet ps --json
 * runnerfleet match --runs-on self-hosted,linux,phytiumpi
 * runnerfleet purge -y
 * }</pre>
 *
 * <p>Each invocation finds the runners an earlier one created by the fleet name (from
 * {@code RUNNER_NAME_PREFIX}) on the Docker engine and at GitHub, and those of serve's scale-set pools by their
 * fleets' names ({@code <fleet>-<pool>}); nothing is kept in local files
 * except the PAT, and that only with consent. Exit codes: see {@link ExitCode}. Secrets never print.
 */
@Command(name = "runnerfleet", mixinStandardHelpOptions = true, version = "runnerfleet 0.1.0",
        description = "Runs self-hosted GitHub Actions runners on Docker, configured by a runner.sh .env file.",
        footer = {"", ExitCode.HELP})
public final class RunnerFleetCli implements Callable<Integer> {
    /** Every subcommand, in the order the usage lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(Init.class, ComposeCommand.class, Register.class, Start.class,
            Stop.class, Restart.class, LogCommand.class, PsCommand.class, RmCommand.class, PurgeCommand.class,
            ImageCommand.class, MatchCommand.class, ServeCommand.class, SystemdCommand.class, DemoCommand.class,
            CommandLine.HelpCommand.class);

    @Option(names = "--env-file", defaultValue = ".env", description = "the runner.sh settings file (default: ${DEFAULT-VALUE})")
    Path envFile;

    @Option(names = "--github-url", description = "GitHub API URL (default: RUNNERFLEET_GITHUB_URL, else https://api.github.com)")
    String githubUrl;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    final Terminal terminal;
    final Map<String, String> environment;
    final Supplier<RunnerBackend> backends;
    final Duration patience;

    RunnerFleetCli(Terminal terminal, Map<String, String> environment, Supplier<RunnerBackend> backends, Duration patience) {
        this.terminal = terminal;
        this.environment = environment;
        this.backends = backends;
        this.patience = patience;
    }

    /** Whether {@code serve} turns SIGTERM and SIGINT into a graceful stop: only in {@link #main}, never in tests. */
    static volatile boolean signals;

    /** Runs the tool and exits with its code. */
    public static void main(String[] args) {
        quietLibraries(System.getProperties());
        if (List.of(args).contains("serve")) {
            serviceLogging(System.getProperties());
            signals = true;
        }
        // A command's start-up is mostly loading classes: Docker's client connects while picocli builds its model.
        Supplier<RunnerBackend> backends = EarlyBackend.forCommand(args, System.getenv(), DockerBackend::fromEnvironment);
        int code = run(args, Terminal.system(), System.getenv(), backends, Duration.ofMinutes(5));
        if (backends instanceof EarlyBackend early) {
            early.closeUnused();
        }
        System.exit(code);
    }

    /**
     * Sets slf4j-simple's levels for the tool, unless given with {@code -D}: other libraries' loggers at WARN
     * (docker-java's HTTP client logs every retried request at INFO, which is noise on a user's terminal),
     * Runner Fleet's own at INFO. Must run before the first logger is created: slf4j-simple reads them once.
     */
    static void quietLibraries(java.util.Properties properties) {
        properties.putIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        properties.putIfAbsent("org.slf4j.simpleLogger.log.io.runnerfleet", "info");
    }

    /**
     * {@code serve} logs to standard output (a service manager's journal), with the time, unless given with
     * {@code -D}. Must run before the first logger is created.
     */
    static void serviceLogging(java.util.Properties properties) {
        properties.putIfAbsent("org.slf4j.simpleLogger.logFile", "System.out");
        properties.putIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        properties.putIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    }

    /** Runs the tool and returns its exit code. */
    static int run(String[] args, Terminal terminal, Map<String, String> env, Supplier<RunnerBackend> backends, Duration patience) {
        CommandLine cl = commandLine(new RunnerFleetCli(terminal, env, backends, patience), args);
        return cl.execute(args);
    }

    /** The whole command line, every subcommand in it. */
    static CommandLine commandLine(RunnerFleetCli cli) {
        return commandLine(cli, null);
    }

    /**
     * The command line for {@code args}: with only the subcommand they name when they name one (picocli builds
     * each subcommand's model by reflection, which was most of a short command's own start-up), none for
     * {@code --version}, every one for the usage, {@code help} and a misspelt name (so picocli can suggest).
     */
    static CommandLine commandLine(RunnerFleetCli cli, String[] args) {
        CommandLine cl = new CommandLine(cli);
        List<String> words = args == null ? null : List.of(args);
        String named = words == null ? null : subcommand(words);
        Class<?> only = named == null ? null : SUBCOMMANDS.stream().filter(c -> names(c).contains(named)).findFirst()
                .filter(c -> c != CommandLine.HelpCommand.class).orElse(null);
        boolean versionOnly = named == null && words != null && (words.contains("--version") || words.contains("-V"));
        for (Class<?> c : SUBCOMMANDS) {
            if (!versionOnly && (only == null || only == c)) {
                cl.addSubcommand(c);
            }
        }
        // After the subcommands are added: picocli copies these to the ones it has at this moment.
        cl.setOut(cli.terminal.out()).setErr(cli.terminal.err());
        cl.setExitCodeExceptionMapper(ExitCode::of);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            cli.terminal.err().println("runnerfleet: " + message(e));
            cli.terminal.err().flush();
            return ExitCode.of(e);
        });
        return cl;
    }

    /** The subcommand {@code args} name: the first word that is neither a top-level option nor its value. */
    static String subcommand(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--env-file") || a.equals("--github-url")) {
                i++;
            } else if (!a.startsWith("-")) {
                return a;
            }
        }
        return null;
    }

    /** The settings file {@code args} name with {@code --env-file} before the subcommand, else {@code .env}. */
    static Path envFile(List<String> args) {
        String file = ".env";
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--env-file") && i + 1 < args.size()) {
                file = args.get(++i);
            } else if (a.startsWith("--env-file=")) {
                file = a.substring("--env-file=".length());
            } else if (a.equals("--github-url")) {
                i++;
            } else if (!a.startsWith("-")) {
                break;
            }
        }
        return Path.of(file);
    }

    private static List<String> names(Class<?> command) {
        Command c = command.getAnnotation(Command.class);
        List<String> names = new ArrayList<>(List.of(c.aliases()));
        names.add(c.name());
        return names;
    }

    /** The future's value, or what it failed with, unwrapped so that exit codes and messages stay the thrower's. */
    static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    static String message(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.toString() : m;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(terminal.out());
        return ExitCode.USAGE;
    }

    // ---- configuration -------------------------------------------------------------------------

    Path credentialsFile() {
        return credentialsFile(envFile);
    }

    private static Path credentialsFile(Path envFile) {
        return envFile.toAbsolutePath().resolveSibling(".runnerfleet-credentials");
    }

    /** .env, then the consented credentials file, then the process environment (which wins). */
    Map<String, String> variables() {
        Map<String, String> vars = variables(envFile, environment);
        if (githubUrl != null) {
            vars.put("RUNNERFLEET_GITHUB_URL", githubUrl);
        }
        return vars;
    }

    FleetConfig config(boolean needCredentials) {
        Map<String, String> vars = variables();
        if (needCredentials) {
            askForMissing(vars);
        }
        RunnerShSettings settings = RunnerShSettings.from(vars, hostName());
        FleetConfig config = new FleetConfig(settings, EngineSettings.from(vars, settings.boards().size()),
                ServeSettings.scaleSetPools(vars, settings.boards().size()));
        if (!config.nameNote().isEmpty()) {
            terminal.err().println("note: " + config.nameNote());
        }
        return config;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "host";
        }
    }

    private static boolean blank(Map<String, String> vars, String name) {
        return vars.getOrDefault(name, "").isBlank();
    }

    /** Asks for ORG and GH_PAT on a terminal; without one, fails naming the variables. */
    void askForMissing(Map<String, String> vars) {
        boolean noOrg = blank(vars, "ORG");
        boolean noCredentials = blank(vars, "GH_PAT") && blank(vars, "GH_APP_ID") && blank(vars, "GH_APP_CLIENT_ID");
        if (!noOrg && !noCredentials) {
            return;
        }
        if (!terminal.interactive()) {
            List<String> missing = new ArrayList<>();
            if (noOrg) {
                missing.add("ORG");
            }
            if (noCredentials) {
                missing.add("GH_PAT (or GH_APP_ID with GH_APP_PRIVATE_KEY_FILE)");
            }
            throw new InvalidSpecException("missing " + String.join(" and ", missing) + ": set them in " + envFile
                    + " or in the environment (no terminal to ask on)");
        }
        Map<String, String> entered = new LinkedHashMap<>();
        if (noOrg) {
            String org = terminal.readLine("GitHub organization (ORG): ");
            if (org == null || org.isBlank()) {
                throw new InvalidSpecException("no organization given; set ORG in " + envFile);
            }
            entered.put("ORG", org.trim());
        }
        if (noCredentials) {
            char[] pat = terminal.readSecret("Personal access token (GH_PAT, not shown): ");
            if (pat == null || pat.length == 0) {
                throw new InvalidSpecException("no token given; set GH_PAT in " + envFile);
            }
            entered.put("GH_PAT", new String(pat).trim());
            java.util.Arrays.fill(pat, ' ');
        }
        vars.putAll(entered);
        if (terminal.confirm("Store these in " + credentialsFile() + " (mode 0600) for next time?")) {
            storeCredentials(entered);
            terminal.err().println("stored in " + credentialsFile());
        }
    }

    void storeCredentials(Map<String, String> entered) {
        Path file = credentialsFile();
        Map<String, String> all = new LinkedHashMap<>();
        if (Files.isRegularFile(file)) {
            all.putAll(EnvFile.load(file).values());
        }
        all.putAll(entered);
        String text = all.entrySet().stream().map(e -> e.getKey() + "='" + e.getValue().replace("'", "") + "'")
                .collect(Collectors.joining("\n", "", "\n"));
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".runnerfleet-credentials", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, text);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("could not store the credentials in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The variables of {@code envFile} and its credentials file, overridden by {@code environment}. */
    static Map<String, String> variables(Path envFile, Map<String, String> environment) {
        Map<String, String> vars = new LinkedHashMap<>();
        if (Files.isRegularFile(envFile)) {
            vars.putAll(EnvFile.load(envFile).values());
        }
        if (Files.isRegularFile(credentialsFile(envFile))) {
            vars.putAll(EnvFile.load(credentialsFile(envFile)).values());
        }
        vars.putAll(environment);
        return vars;
    }

    String url(FleetConfig config) {
        return config.settings().githubUrl();
    }

    /** A fleet of these pools; the caller closes it (runners stay) or removes it. */
    RunnerFleet fleet(FleetConfig config, GitHubRegistry registry, RunnerBackend backend, List<RunnerPool.Builder> pools) {
        RunnerFleet.Builder b = RunnerFleet.builder().name(config.fleetName()).registry(registry).backend(backend)
                .pollInterval(Duration.ofMillis(500)).reconcileInterval(Duration.ofSeconds(5))
                .registrationTimeout(patience).drainTimeout(Duration.ofSeconds(60)).startTimeout(patience);
        pools.forEach(b::pool);
        return b.build();
    }

    /** Generic runners the engine holds for this fleet now, to adopt them without resizing. */
    static int genericCount(List<InstanceInfo> instances) {
        return (int) instances.stream().filter(i -> FleetConfig.GENERIC_POOL.equals(i.pool())).count();
    }

    /** Asks before destroying; refuses without a terminal unless {@code -y}. */
    void confirm(boolean yes, String what) {
        if (yes) {
            return;
        }
        if (!terminal.interactive()) {
            throw new ExitCode.RefusedException("refusing to " + what + " without confirmation: no terminal to ask on;"
                    + " pass -y to confirm");
        }
        if (!terminal.confirm("About to " + what + ". Continue?")) {
            throw new ExitCode.RefusedException("not confirmed; nothing was changed");
        }
    }

    // ---- commands ------------------------------------------------------------------------------

    /** Base of the commands that talk to Docker and GitHub. */
    abstract static class FleetCommand implements Callable<Integer> {
        @ParentCommand
        RunnerFleetCli cli;

        boolean needsCredentials() {
            return true;
        }

        /** Whether the command may create runners, so the boards' devices must be present first. */
        boolean createsRunners() {
            return false;
        }

        /** Whether the command starts by listing the fleet's runners at GitHub (asked for before Docker answers). */
        boolean listsRunnersFirst() {
            return false;
        }

        private GitHubRegistry registry;
        private CompletableFuture<List<RegisteredRunner>> firstLook;

        @Override
        public Integer call() {
            FleetConfig config = cli.config(needsCredentials());
            if (createsRunners()) {
                config.requireDevices();
            }
            // Docker's client may still be connecting on its own thread (EarlyBackend): use the wait for GitHub.
            if (needsCredentials()) {
                GitHubRegistry gitHub = registry(config);
                if (listsRunnersFirst()) {
                    firstLook = CompletableFuture.supplyAsync(gitHub::runners);
                }
            }
            try (RunnerBackend backend = config.backend(cli.backends)) {
                return run(config, backend);
            }
        }

        abstract int run(FleetConfig config, RunnerBackend backend);

        /** The GitHub registry of the settings, built once per command. */
        GitHubRegistry registry(FleetConfig config) {
            if (registry == null) {
                registry = config.registry(cli.url(config));
            }
            return registry;
        }

        /** The fleet's rows now: GitHub is asked on another thread while Docker answers on this one. */
        List<RunnerTable.Row> rowsNow(FleetConfig config, RunnerBackend backend) {
            CompletableFuture<List<RegisteredRunner>> atGitHub = firstLook != null ? firstLook
                    : CompletableFuture.supplyAsync(registry(config)::runners);
            firstLook = null;
            List<InstanceInfo> instances = config.fleets().instances(backend);
            return RunnerTable.rows(config.fleets(), instances, await(atGitHub));
        }

        PrintWriterProgress progress(String what) {
            return new PrintWriterProgress(cli.terminal, what);
        }

        /** The table of the fleet's runners as Docker and GitHub see them now, on standard output. */
        int show(FleetConfig config, RunnerBackend backend) {
            cli.terminal.out().print(RunnerTable.table(rowsNow(config, backend), config.fleets().several()));
            cli.terminal.out().flush();
            return ExitCode.OK;
        }
    }

    /** Base of the commands that talk to Docker only: no GitHub, so no credentials asked for. */
    abstract static class DockerCommand extends FleetCommand {
        @Override
        final boolean needsCredentials() {
            return false;
        }
    }

    /** Base of the commands that only read the settings: no Docker, no GitHub, no credentials. */
    abstract static class OfflineCommand implements Callable<Integer> {
        @ParentCommand
        RunnerFleetCli cli;

        @Override
        public Integer call() {
            return run(cli.config(false));
        }

        abstract int run(FleetConfig config);
    }

    @Command(name = "init", description = "Create the pools from the settings (generic runners plus one per board) and start them.")
    static final class Init extends FleetCommand {
        @Option(names = "-n", required = true, description = "how many generic runners (0 or more)")
        int count;

        @Override
        boolean createsRunners() {
            return true;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            if (count < 0) {
                throw new CommandLine.ParameterException(new CommandLine(this), "-n must be 0 or more, not " + count);
            }
            RunnerFleet fleet = cli.fleet(config, registry(config), backend, config.pools(count));
            try (fleet; PrintWriterProgress bar = progress("starting runners")) {
                fleet.addListener(e -> bar.update(fleet.runners().stream().filter(r -> r.state() instanceof io.runnerfleet.RunnerState.Idle).count(),
                        count + config.settings().boards().size()));
                fleet.start();
            }
            return show(config, backend);
        }
    }

    // The fleet reconciles as a whole: NAMEs are checked to be the fleet's, but any runner missing at GitHub or on Docker
    // is repaired, not only those named (runners that are registered and running are left alone either way).
    @Command(name = "register", description = "Register and start the fleet's runners that are missing at GitHub or on Docker. "
            + "NAMEs must be runners of the fleet; the whole fleet is repaired, runners already registered and running are left alone.")
    static final class Register extends FleetCommand {
        @Parameters(arity = "0..*", paramLabel = "NAME")
        List<String> names = new ArrayList<>();

        @Override
        boolean createsRunners() {
            return true;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            List<InstanceInfo> instances = backend.instances(config.fleetName());
            RunnerTable.select(config.fleetName(), instances, names);
            RunnerFleet fleet = cli.fleet(config, registry(config), backend, config.pools(genericCount(instances)));
            try (fleet) {
                fleet.start();
            }
            return show(config, backend);
        }
    }

    /** start / stop / restart of containers, by name or all. */
    abstract static class Lifecycle extends DockerCommand {
        @Parameters(arity = "0..*", paramLabel = "NAME")
        List<String> names = new ArrayList<>();

        private final String verb;
        private final BiConsumer<RunnerBackend, InstanceInfo> apply;

        Lifecycle(String verb, BiConsumer<RunnerBackend, InstanceInfo> apply) {
            this.verb = verb;
            this.apply = apply;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            FleetNames fleets = config.fleets();
            List<InstanceInfo> chosen = RunnerTable.select(fleets, fleets.instances(backend), names);
            if (chosen.isEmpty()) {
                cli.terminal.err().println("no runners in " + fleets.describe() + "; run runnerfleet init -n N first");
                return ExitCode.FAILURE;
            }
            for (InstanceInfo i : chosen) {
                apply.accept(backend, i);
                cli.terminal.out().println(verb + " " + i.runnerName());
            }
            cli.terminal.out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "start", description = "Start stopped runner containers (all, or the names given).")
    static final class Start extends Lifecycle {
        Start() {
            super("started", (backend, i) -> {
                if (!i.running()) {
                    backend.start(i.id());
                }
            });
        }
    }

    @Command(name = "stop", description = "Stop runner containers (all, or the names given); they stay registered.")
    static final class Stop extends Lifecycle {
        Stop() {
            super("stopped", (backend, i) -> backend.stop(i.id(), Duration.ofSeconds(10)));
        }
    }

    @Command(name = "restart", description = "Restart runner containers (all, or the names given).")
    static final class Restart extends Lifecycle {
        Restart() {
            super("restarted", (backend, i) -> {
                backend.stop(i.id(), Duration.ofSeconds(10));
                backend.start(i.id());
            });
        }
    }
}
