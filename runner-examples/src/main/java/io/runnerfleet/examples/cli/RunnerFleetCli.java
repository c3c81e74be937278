package io.runnerfleet.examples.cli;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.MatchResult;
import io.runnerfleet.RegistrationMode;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerFleetException;
import io.runnerfleet.RunnerName;
import io.runnerfleet.RunnerPool;
import io.runnerfleet.Secret;
import io.runnerfleet.docker.ComposeExport;
import io.runnerfleet.docker.DockerBackend;
import io.runnerfleet.examples.EnvFile;
import io.runnerfleet.examples.RunnerShSettings;
import io.runnerfleet.github.GitHubRegistry;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.LogQuery;
import io.runnerfleet.spi.LogStream;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
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
 * {@code RUNNER_NAME_PREFIX}) on the Docker engine and at GitHub; nothing is kept in local files
 * except the PAT, and that only with consent. Exit codes: see {@link ExitCode}. Secrets never print.
 */
@Command(name = "runnerfleet", mixinStandardHelpOptions = true, version = "runnerfleet 0.1.0",
        description = "Runs self-hosted GitHub Actions runners on Docker, configured by a runner.sh .env file.",
        footer = {"", ExitCode.HELP},
        subcommands = {RunnerFleetCli.Init.class, RunnerFleetCli.Compose.class, RunnerFleetCli.Register.class,
            RunnerFleetCli.Start.class, RunnerFleetCli.Stop.class, RunnerFleetCli.Restart.class, RunnerFleetCli.Log.class,
            RunnerFleetCli.Ps.class, RunnerFleetCli.Rm.class, RunnerFleetCli.Purge.class, RunnerFleetCli.Image.class,
            RunnerFleetCli.Match.class, ServeCommand.class, SystemdCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class RunnerFleetCli implements Callable<Integer> {
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
        System.exit(run(args, Terminal.system(), System.getenv(), DockerBackend::fromEnvironment, Duration.ofMinutes(5)));
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
        CommandLine cl = commandLine(new RunnerFleetCli(terminal, env, backends, patience));
        return cl.execute(args);
    }

    static CommandLine commandLine(RunnerFleetCli cli) {
        CommandLine cl = new CommandLine(cli);
        cl.setOut(cli.terminal.out()).setErr(cli.terminal.err());
        cl.setExitCodeExceptionMapper(ExitCode::of);
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            cli.terminal.err().println("runnerfleet: " + message(e));
            cli.terminal.err().flush();
            return ExitCode.of(e);
        });
        return cl;
    }

    private static String message(Throwable e) {
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
        return envFile.toAbsolutePath().resolveSibling(".runnerfleet-credentials");
    }

    /** .env, then the consented credentials file, then the process environment (which wins). */
    Map<String, String> variables() {
        Map<String, String> vars = new LinkedHashMap<>();
        if (Files.isRegularFile(envFile)) {
            vars.putAll(EnvFile.load(envFile).values());
        }
        if (Files.isRegularFile(credentialsFile())) {
            vars.putAll(EnvFile.load(credentialsFile()).values());
        }
        vars.putAll(environment);
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
        FleetConfig config = new FleetConfig(settings);
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

    /** One row of {@code ps}: what Docker and GitHub say about one runner name. */
    record Row(String runner, String pool, String container, String github, boolean busy, String labels) {
    }

    /** The joined table of the fleet's containers and its registrations (runners without either included). */
    static List<Row> rows(String fleet, List<InstanceInfo> instances, List<RegisteredRunner> registered) {
        Map<String, InstanceInfo> byName = new TreeMap<>();
        instances.forEach(i -> byName.put(i.runnerName().toLowerCase(Locale.ROOT), i));
        Map<String, RegisteredRunner> regs = new TreeMap<>();
        registered.stream().filter(r -> ours(fleet, r.name())).forEach(r -> regs.put(r.name().toLowerCase(Locale.ROOT), r));
        TreeMap<String, Row> rows = new TreeMap<>(RunnerFleetCli::natural);
        java.util.Set<String> names = new java.util.TreeSet<>(byName.keySet());
        names.addAll(regs.keySet());
        for (String key : names) {
            InstanceInfo i = byName.get(key);
            RegisteredRunner r = regs.get(key);
            String name = i != null ? i.runnerName() : r.name();
            String pool = i != null && i.pool() != null ? i.pool() : poolOf(fleet, name);
            rows.put(key, new Row(name, pool, i == null ? "-" : i.state().name().toLowerCase(Locale.ROOT), r == null ? "-" : r.displayStatus(),
                    r != null && r.busy(), r == null ? "-" : r.labels().toCommaSeparated()));
        }
        return List.copyOf(rows.values());
    }

    static boolean ours(String fleet, String runnerName) {
        return runnerName.toLowerCase(Locale.ROOT).startsWith(fleet + "-");
    }

    private static String poolOf(String fleet, String name) {
        String rest = name.substring(Math.min(name.length(), fleet.length() + 1));
        int dash = rest.lastIndexOf('-');
        return dash > 0 ? rest.substring(0, dash).replaceAll("-\\d+$", "").replaceAll("-\\d+-[a-z0-9]+$", "") : rest;
    }

    /** Orders runner-2 before runner-10. */
    static int natural(String a, String b) {
        String pa = a.replaceAll("\\d+", "");
        String pb = b.replaceAll("\\d+", "");
        if (!pa.equals(pb)) {
            return a.compareTo(b);
        }
        java.util.regex.Matcher ma = java.util.regex.Pattern.compile("\\d+").matcher(a);
        java.util.regex.Matcher mb = java.util.regex.Pattern.compile("\\d+").matcher(b);
        while (ma.find() && mb.find()) {
            int c = new java.math.BigInteger(ma.group()).compareTo(new java.math.BigInteger(mb.group()));
            if (c != 0) {
                return c;
            }
        }
        return a.compareTo(b);
    }

    static String table(List<Row> rows) {
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"RUNNER", "POOL", "CONTAINER", "GITHUB", "BUSY", "LABELS"});
        rows.forEach(r -> cells.add(new String[] {r.runner(), r.pool(), r.container(), r.github(), r.busy() ? "yes" : "no", r.labels()}));
        int[] width = new int[6];
        cells.forEach(c -> {
            for (int i = 0; i < c.length; i++) {
                width[i] = Math.max(width[i], c[i].length());
            }
        });
        StringBuilder b = new StringBuilder();
        for (String[] c : cells) {
            for (int i = 0; i < c.length; i++) {
                b.append(i == c.length - 1 ? c[i] : String.format("%-" + (width[i] + 2) + "s", c[i]));
            }
            b.append('\n');
        }
        return b.toString();
    }

    static String json(List<Row> rows) {
        return rows.stream().map(r -> "{\"runner\":" + quote(r.runner()) + ",\"pool\":" + quote(r.pool())
                + ",\"container\":" + quote(r.container()) + ",\"github\":" + quote(r.github()) + ",\"busy\":" + r.busy()
                + ",\"labels\":" + quote(r.labels()) + "}").collect(Collectors.joining(",\n  ", "[\n  ", "\n]"));
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    /** The instances named (all when none named); an unknown name is an error naming the known ones. */
    static List<InstanceInfo> select(String fleet, List<InstanceInfo> instances, List<String> names) {
        if (names == null || names.isEmpty()) {
            return instances;
        }
        List<InstanceInfo> out = new ArrayList<>();
        for (String name : names) {
            Optional<InstanceInfo> i = instances.stream().filter(x -> x.runnerName().equalsIgnoreCase(name)
                    || x.runnerName().equalsIgnoreCase(fleet + "-" + name)).findFirst();
            out.add(i.orElseThrow(() -> new InvalidSpecException("no runner " + name + " in fleet " + fleet + "; known: "
                    + instances.stream().map(InstanceInfo::runnerName).sorted().collect(Collectors.joining(", "))
                    + " (see runnerfleet ps)")));
        }
        return out;
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

        @Override
        public Integer call() {
            FleetConfig config = cli.config(needsCredentials());
            if (createsRunners()) {
                config.requireDevices();
            }
            try (RunnerBackend backend = cli.backends.get()) {
                return run(config, backend);
            }
        }

        abstract int run(FleetConfig config, RunnerBackend backend);

        PrintWriterProgress progress(String what) {
            return new PrintWriterProgress(cli.terminal, what);
        }
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
            GitHubRegistry registry = config.registry(cli.url(config));
            RunnerFleet fleet = cli.fleet(config, registry, backend, config.pools(count));
            try (PrintWriterProgress bar = progress("starting runners")) {
                fleet.addListener(e -> bar.update(fleet.runners().stream().filter(r -> r.state() instanceof io.runnerfleet.RunnerState.Idle).count(),
                        count + config.settings().boards().size()));
                fleet.start();
            } finally {
                fleet.close();
            }
            cli.terminal.out().print(table(rows(config.fleetName(), backend.instances(config.fleetName()), registry.runners())));
            cli.terminal.out().flush();
            return ExitCode.OK;
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
            select(config.fleetName(), instances, names);
            GitHubRegistry registry = config.registry(cli.url(config));
            RunnerFleet fleet = cli.fleet(config, registry, backend, config.pools(genericCount(instances)));
            try {
                fleet.start();
            } finally {
                fleet.close();
            }
            cli.terminal.out().print(table(rows(config.fleetName(), backend.instances(config.fleetName()), registry.runners())));
            cli.terminal.out().flush();
            return ExitCode.OK;
        }
    }

    /** start / stop / restart of containers, by name or all. */
    abstract static class Lifecycle extends FleetCommand {
        @Parameters(arity = "0..*", paramLabel = "NAME")
        List<String> names = new ArrayList<>();

        @Override
        boolean needsCredentials() {
            return false;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            List<InstanceInfo> chosen = select(config.fleetName(), backend.instances(config.fleetName()), names);
            if (chosen.isEmpty()) {
                cli.terminal.err().println("fleet " + config.fleetName() + " has no runners; run runnerfleet init -n N first");
                return ExitCode.FAILURE;
            }
            for (InstanceInfo i : chosen) {
                apply(backend, i);
                cli.terminal.out().println(verb() + " " + i.runnerName());
            }
            cli.terminal.out().flush();
            return ExitCode.OK;
        }

        abstract void apply(RunnerBackend backend, InstanceInfo instance);

        abstract String verb();
    }

    @Command(name = "start", description = "Start stopped runner containers (all, or the names given).")
    static final class Start extends Lifecycle {
        @Override
        void apply(RunnerBackend backend, InstanceInfo i) {
            if (!i.running()) {
                backend.start(i.id());
            }
        }

        @Override
        String verb() {
            return "started";
        }
    }

    @Command(name = "stop", description = "Stop runner containers (all, or the names given); they stay registered.")
    static final class Stop extends Lifecycle {
        @Override
        void apply(RunnerBackend backend, InstanceInfo i) {
            backend.stop(i.id(), Duration.ofSeconds(10));
        }

        @Override
        String verb() {
            return "stopped";
        }
    }

    @Command(name = "restart", description = "Restart runner containers (all, or the names given).")
    static final class Restart extends Lifecycle {
        @Override
        void apply(RunnerBackend backend, InstanceInfo i) {
            backend.stop(i.id(), Duration.ofSeconds(10));
            backend.start(i.id());
        }

        @Override
        String verb() {
            return "restarted";
        }
    }

    @Command(name = "log", description = "Print a runner's container log.")
    static final class Log extends FleetCommand {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = {"-f", "--follow"}, description = "keep printing new lines until interrupted")
        boolean follow;

        @Option(names = {"-n", "--lines"}, defaultValue = "200", description = "lines from the end (default ${DEFAULT-VALUE})")
        int lines;

        @Override
        boolean needsCredentials() {
            return false;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            InstanceInfo i = select(config.fleetName(), backend.instances(config.fleetName()), List.of(name)).get(0);
            LogQuery query = follow ? new LogQuery(lines, null, true) : LogQuery.tail(lines);
            try (LogStream logs = backend.logs(i.id(), query)) {
                logs.lines().forEach(l -> {
                    cli.terminal.out().println(l);
                    cli.terminal.out().flush();
                });
            }
            return ExitCode.OK;
        }
    }

    @Command(name = "ps", aliases = {"ls", "list", "status"}, description = "One table of the fleet's runners: container state and GitHub status.")
    static final class Ps extends FleetCommand {
        @Option(names = "--json", description = "print JSON instead of a table")
        boolean json;

        @Option(names = {"-w", "--watch"}, description = "redraw the table as runners change, until interrupted"
                + " (ANSI on a terminal, a new timestamped table per change otherwise)")
        boolean watch;

        @Option(names = "--interval", defaultValue = "2", description = "seconds between looks with --watch (default ${DEFAULT-VALUE})")
        int interval;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            if (watch && (json || interval < 1)) {
                throw new CommandLine.ParameterException(spec.commandLine(), json ? "--watch prints tables; drop --json"
                        : "--interval must be 1 second or more, not " + interval);
            }
            GitHubRegistry registry = config.registry(cli.url(config));
            if (!watch) {
                List<Row> rows = rows(config.fleetName(), backend.instances(config.fleetName()), registry.runners());
                cli.terminal.out().print(json ? json(rows) + "\n" : table(rows));
                cli.terminal.out().flush();
                return ExitCode.OK;
            }
            String previous = null;
            while (!Thread.currentThread().isInterrupted()) {
                // The registry lists with If-None-Match, so an unchanged fleet costs GitHub nothing (304).
                String table = table(rows(config.fleetName(), backend.instances(config.fleetName()), registry.runners()));
                String frame = watchFrame(previous, table, cli.terminal.interactive(), Instant.now());
                if (frame != null) {
                    cli.terminal.out().print(frame);
                    cli.terminal.out().flush();
                }
                previous = table;
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofSeconds(interval).toNanos());
            }
            return ExitCode.OK;
        }
    }

    /**
     * What {@code ps --watch} prints for a new look at the fleet: nothing when the table is unchanged; on a
     * terminal the screen cleared and redrawn (ANSI); otherwise the new table under a timestamp line.
     */
    static String watchFrame(String previous, String table, boolean ansi, Instant at) {
        if (table.equals(previous)) {
            return null;
        }
        String header = "runnerfleet ps --watch  " + at.truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\n";
        return ansi ? "\u001b[H\u001b[2J" + header + table : (previous == null ? "" : "\n") + header + table;
    }

    @Command(name = "rm", aliases = {"remove", "delete"}, description = "Deregister runners and remove their containers and volumes (all, or the names given).")
    static final class Rm extends FleetCommand {
        @Parameters(arity = "0..*", paramLabel = "NAME")
        List<String> names = new ArrayList<>();

        @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
        boolean yes;

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            return remove(cli, config, backend, names, yes);
        }
    }

    /** Removes the named runners (or all): registration first, then container and volumes. */
    static int remove(RunnerFleetCli cli, FleetConfig config, RunnerBackend backend, List<String> names, boolean yes) {
        String fleet = config.fleetName();
        GitHubRegistry registry = config.registry(cli.url(config));
        List<InstanceInfo> instances = backend.instances(fleet);
        List<RegisteredRunner> registered = registry.runners().stream().filter(r -> ours(fleet, r.name())).toList();
        java.util.Set<String> targets = new java.util.TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        if (names.isEmpty()) {
            instances.forEach(i -> targets.add(i.runnerName()));
            registered.forEach(r -> targets.add(r.name()));
        } else {
            for (String n : names) {
                String full = ours(fleet, n) ? n : fleet + "-" + n;
                boolean known = instances.stream().anyMatch(i -> i.runnerName().equalsIgnoreCase(full))
                        || registered.stream().anyMatch(r -> r.name().equalsIgnoreCase(full));
                if (!known) {
                    throw new InvalidSpecException("no runner " + n + " in fleet " + fleet + " on Docker or at GitHub (see runnerfleet ps)");
                }
                targets.add(full);
            }
        }
        if (targets.isEmpty()) {
            cli.terminal.out().println("fleet " + fleet + " has nothing to remove");
            return ExitCode.OK;
        }
        cli.confirm(yes, "remove " + targets.size() + " runner(s) of fleet " + fleet + " (registrations, containers, volumes)");
        List<String> failures = new ArrayList<>();
        for (String name : targets) {
            try {
                for (RegisteredRunner r : registered) {
                    if (r.name().equalsIgnoreCase(name)) {
                        registry.delete(r);
                    }
                }
                for (InstanceInfo i : instances) {
                    if (i.runnerName().equalsIgnoreCase(name)) {
                        backend.remove(i.id(), false);
                    }
                }
                cli.terminal.out().println("removed " + name);
            } catch (RunnerFleetException e) {
                failures.add(name + ": " + message(e));
            }
        }
        cli.terminal.out().flush();
        if (!failures.isEmpty()) {
            throw new RunnerFleetException("could not remove " + failures.size() + " runner(s): " + String.join("; ", failures));
        }
        return ExitCode.OK;
    }

    @Command(name = "purge", description = "Remove every runner of the fleet: registrations, containers and volumes.")
    static final class Purge extends FleetCommand {
        @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
        boolean yes;

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            return remove(cli, config, backend, List.of(), yes);
        }
    }

    @Command(name = "image", description = "Build the runner image (RUNNER_CUSTOM_IMAGE from a Dockerfile directory) or pull RUNNER_IMAGE.")
    static final class Image extends FleetCommand {
        @Option(names = "--dockerfile-dir", description = "directory with a Dockerfile to build as RUNNER_CUSTOM_IMAGE")
        Path dir;

        @Override
        boolean needsCredentials() {
            return false;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            io.runnerfleet.RunnerImage image = dir != null
                    ? io.runnerfleet.RunnerImage.dockerfile(dir).tag(config.settings().customImage()) : config.image();
            String ref;
            try (PrintWriterProgress bar = progress("image")) {
                ref = backend.prepare(image, p -> bar.update(p.step(), p.totalSteps()));
            }
            cli.terminal.out().println("image ready: " + ref);
            cli.terminal.out().flush();
            return ExitCode.OK;
        }
    }

    @Command(name = "compose", description = "Write docker-compose.yml (and runner-secrets.env.example) for the configured pools.")
    static final class Compose extends FleetCommand {
        @Option(names = "-n", defaultValue = "1", description = "how many generic runners (default ${DEFAULT-VALUE})")
        int count;

        @Option(names = {"-o", "--output"}, defaultValue = "docker-compose.yml", description = "the file to write (default ${DEFAULT-VALUE})")
        Path output;

        @Override
        boolean needsCredentials() {
            return false;
        }

        @Override
        public Integer call() {
            FleetConfig config = cli.config(false);
            // Secrets are not written: the compose file references runner-secrets.env, filled in by the user.
            RegistrationToken placeholder = new RegistrationToken(Secret.of("placeholder"), Instant.now().plus(Duration.ofHours(1)));
            String url = config.settings().organization().isEmpty() ? "https://github.com/your-org"
                    : "https://github.com/" + config.settings().organization()
                    + (config.settings().repository().isEmpty() ? "" : "/" + config.settings().repository());
            List<LaunchSpec> specs = new ArrayList<>();
            for (RunnerPool.Builder b : config.pools(count)) {
                RunnerPool pool = b.registrationMode(RegistrationMode.TOKEN).build();
                for (int i = 1; i <= pool.scaling().min(); i++) {
                    specs.add(pool.template().launchSpec(RunnerName.of(config.fleetName(), pool.name(), i),
                            config.settings().image(), url, placeholder));
                }
            }
            ComposeExport export = ComposeExport.of(specs);
            export.writeTo(output);
            try {
                Files.writeString(output.toAbsolutePath().resolveSibling("runner-secrets.env.example"), export.envFileTemplate());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            cli.terminal.out().println("wrote " + output + " with " + specs.size() + " runner(s); fill in runner-secrets.env");
            cli.terminal.out().flush();
            return ExitCode.OK;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            throw new UnsupportedOperationException();
        }
    }

    @Command(name = "match", description = "Say which pools or runners can take a job with these runs-on labels, or why none can.")
    static final class Match extends FleetCommand {
        @Option(names = "--runs-on", required = true, split = ",", description = "the job's runs-on labels, comma-separated")
        List<String> labels;

        @Option(names = "--repo", description = "the job's repository, owner/name")
        String repo;

        @Option(names = "--public", description = "the job's repository is public: only runner groups that allow public"
                + " repositories take it (Default does not)")
        boolean publicRepository;

        @Option(names = "-n", defaultValue = "1", description = "generic runners to assume (default ${DEFAULT-VALUE})")
        int count;

        @Override
        boolean needsCredentials() {
            return false;
        }

        @Override
        public Integer call() {
            FleetConfig config = cli.config(false);
            JobRequest job = JobRequest.runsOn(labels);
            if (repo != null) {
                job = job.repository(repo);
            }
            job = job.publicRepository(publicRepository);
            List<RunnerPool> pools = config.pools(count).stream().map(RunnerPool.Builder::build).toList();
            MatchResult result = io.runnerfleet.Matcher.of(pools.stream().map(RunnerPool::candidate).toList()).match(job);
            cli.terminal.out().println(result.explain());
            String group = config.settings().runnerGroup();
            if (publicRepository && !io.runnerfleet.RunnerGroup.DEFAULT_NAME.equalsIgnoreCase(group)) {
                // Offline, the group's access settings at GitHub are unknown: say which ones were assumed.
                cli.terminal.out().println("note: runner group '" + group + "' (RUNNER_GROUP) was taken with GitHub's defaults"
                        + " for a new group, which refuse public repositories; if it allows them at GitHub, its runners"
                        + " can take the job");
            }
            cli.terminal.out().println("pools of fleet " + config.fleetName() + ":");
            pools.forEach(p -> cli.terminal.out().println("  " + p.name() + ": labels " + p.template().labels().toCommaSeparated()));
            cli.terminal.out().flush();
            return result.matched() ? ExitCode.OK : ExitCode.FAILURE;
        }

        @Override
        int run(FleetConfig config, RunnerBackend backend) {
            throw new UnsupportedOperationException();
        }
    }
}
