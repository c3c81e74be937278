package io.runnerfleet.examples.cli;

import io.runnerfleet.InvalidSpecException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code runnerfleet systemd}: writes a systemd unit that runs {@code runnerfleet serve} for the {@code .env}
 * fleet, restarted on failure, stopped with SIGTERM (a graceful drain) and given the drain timeout plus a
 * minute before systemd kills it.
 *
 * <p>Credentials ({@code GH_PAT}, {@code RUNNERFLEET_WEBHOOK_SECRET}, ...) come from an environment file the
 * unit names ({@code EnvironmentFile=}), never from the unit itself, which holds no value of any variable. That
 * file must be readable by its owner only (mode 0600): a wider mode is refused with the {@code chmod} to run.
 */
@Command(name = "systemd", description = "Write a systemd unit that runs 'runnerfleet serve' for this .env"
        + " (restart on failure; credentials from a 0600 environment file, never in the unit); serve's --http-host,"
        + " --http-port, --webhook-port and --drain-timeout are passed on to it.")
final class SystemdCommand implements Callable<Integer> {
    @ParentCommand
    RunnerFleetCli cli;

    @Option(names = {"-o", "--output"}, defaultValue = "runnerfleet.service",
            description = "the unit file to write (default ${DEFAULT-VALUE}; e.g. /etc/systemd/system/runnerfleet.service)")
    Path output;

    @Option(names = "--credentials-file", description = "the 0600 environment file with GH_PAT and other secrets"
            + " (default: .runnerfleet-credentials beside the .env)")
    Path credentials;

    @Option(names = "--user", description = "the user the service runs as (default: root); it needs access to Docker")
    String user;

    @Mixin
    ServeOptions serveOptions = new ServeOptions();

    @Option(names = "--exec", description = "the command that runs runnerfleet (default: this Java and this jar)")
    String exec;

    @Override
    public Integer call() {
        Path env = cli.envFile.toAbsolutePath().normalize();
        if (!Files.isRegularFile(env)) {
            throw new InvalidSpecException("no settings file " + env + ": the service runs serve with it; create it"
                    + " (runnerfleet init asks for what is missing) or pass --env-file");
        }
        FleetConfig config = cli.config(false);
        ServeSettings serve = ServeSettings.from(serveOptions.over(cli.variables()), config.settings().boards().size(), null);
        Path secrets = (credentials != null ? credentials : cli.credentialsFile()).toAbsolutePath().normalize();
        List<String> notes = new ArrayList<>();
        if (Files.exists(secrets)) {
            requireOwnerOnly(secrets);
        } else {
            notes.add("create " + secrets + " with GH_PAT=... (and RUNNERFLEET_WEBHOOK_SECRET=... for on-demand pools),"
                    + " then chmod 600 " + secrets);
        }
        String unit = unit(config.fleetName(), env, secrets, serve.drainTimeout(), command(env), user);
        try {
            Path parent = output.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(output, unit);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + output + ": " + e.getMessage(), e);
        }
        cli.terminal.out().println("wrote " + output + " for fleet " + config.fleetName() + "; install it with:");
        String name = output.getFileName().toString();
        cli.terminal.out().println("  sudo cp " + output + " /etc/systemd/system/" + name
                + "   # unless written there already");
        cli.terminal.out().println("  sudo systemctl daemon-reload && sudo systemctl enable --now " + name);
        notes.forEach(n -> cli.terminal.out().println("note: " + n));
        cli.terminal.out().flush();
        return ExitCode.OK;
    }

    static void requireOwnerOnly(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> wider = Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE,
                    PosixFilePermission.OTHERS_EXECUTE);
            if (p.stream().anyMatch(wider::contains)) {
                throw new InvalidSpecException("the credentials file " + file + " is readable by others (mode "
                        + java.nio.file.attribute.PosixFilePermissions.toString(p) + "); run chmod 600 " + file
                        + " and write the unit again");
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing to check.
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the permissions of " + file + ": " + e.getMessage(), e);
        }
    }

    private String command(Path env) {
        String base = exec;
        if (base == null) {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String jar = jar();
            base = jar != null ? java + " -jar " + quote(jar)
                    : java + " -cp " + quote(System.getProperty("java.class.path")) + " " + RunnerFleetCli.class.getName();
        }
        StringBuilder command = new StringBuilder(base).append(" --env-file ").append(quote(env.toString())).append(" serve");
        serveOptions.args().forEach(a -> command.append(' ').append(quote(a)));
        return command.toString();
    }

    private static String jar() {
        try {
            Path p = Path.of(RunnerFleetCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.toString().endsWith(".jar") ? p.toString() : null;
        } catch (Exception e) {
            return null;
        }
    }

    private static String quote(String s) {
        return s.matches("[A-Za-z0-9_./:=@+-]+") ? s : "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    /** The unit's text: names files and the command, never a value of any variable. */
    static String unit(String fleet, Path env, Path secrets, Duration drain, String command, String user) {
        long stopSeconds = drain.plus(Duration.ofMinutes(1)).toSeconds();
        return "# Written by runnerfleet systemd. Secrets live in " + secrets + " (mode 0600), not here.\n"
                + "[Unit]\n"
                + "Description=Runner Fleet " + fleet + ": self-hosted GitHub Actions runners\n"
                + "Wants=network-online.target docker.service\n"
                + "After=network-online.target docker.service\n"
                + "\n"
                + "[Service]\n"
                + "Type=simple\n"
                + (user == null ? "" : "User=" + user + "\n")
                + "WorkingDirectory=" + env.getParent() + "\n"
                + "EnvironmentFile=" + secrets + "\n"
                + "ExecStart=" + command + "\n"
                // SIGTERM drains: idle runners go, busy jobs finish within the drain timeout, then exit 0.
                + "KillSignal=SIGTERM\n"
                + "KillMode=mixed\n"
                + "TimeoutStopSec=" + stopSeconds + "\n"
                + "Restart=on-failure\n"
                + "RestartSec=5\n"
                + "NoNewPrivileges=true\n"
                + "\n"
                + "[Install]\n"
                + "WantedBy=multi-user.target\n";
    }
}
