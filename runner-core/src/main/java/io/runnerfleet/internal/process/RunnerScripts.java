package io.runnerfleet.internal.process;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.RunnerCommand;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * The shell scripts {@link ProcessRunners} starts a runner with, and the JIT-config files it writes
 * instead of handing the JIT config to the runner.
 */
final class RunnerScripts {
    private RunnerScripts() {
    }

    /**
     * The wrapper script. It reads the secrets ({@code NAME=value} lines) from stdin. With a configure
     * step, a subshell reads and exports them and becomes {@code config.sh}, so the secrets are only
     * ever in config.sh's environment: this shell, which outlives config.sh and starts {@code run.sh},
     * never holds them (its own environment is the clean one it was started with, and exporting
     * in a subshell changes nothing here). Without a configure step the secrets are meant for
     * {@code run.sh} itself; the JIT config never is one of them (see {@link #jitFiles}).
     */
    static String script(RunnerCommand command) {
        String read = "while IFS= read -r rf_l; do case \"$rf_l\" in *=*) export \"${rf_l%%=*}=${rf_l#*=}\";; esac; done;"
                + " unset rf_l; exec </dev/null";
        if (command == null) {
            return read + "\n";
        }
        StringBuilder s = new StringBuilder();
        if (command.configures()) {
            s.append("(").append(read).append("; exec ").append(join("./config.sh", command.configureArgs())).append(")\n");
            s.append("rf_rc=$?\n");
            s.append("exec </dev/null\n");
            s.append("if [ \"$rf_rc\" -eq 0 ]; then ").append(runLine(command.runArgs())).append("; rf_rc=$?; fi\n");
        } else {
            s.append(read).append('\n');
            s.append(runLine(command.runArgs())).append('\n').append("rf_rc=$?\n");
        }
        return s + exitTrailer();
    }

    /**
     * The files of a JIT config, or none. The JIT config is never handed to {@code run.sh}: its
     * command line and environment (and those of {@code run-helper.sh}, which run.sh keeps as a parent
     * of the listener) are readable by every job of this user for the runner's whole life. The real
     * listener only decodes it into {@code .runner}, {@code .credentials} and
     * {@code .credentials_rsaparams} in its root directory and then runs from those files, so the
     * backend writes the same files itself (owner-only) and starts run.sh without the config; a
     * relaunch by run-helper.sh uses the files, as it would after the listener wrote them.
     */
    static Map<String, Secret> jitFiles(String runner, Secret jitConfig) {
        if (jitConfig == null) {
            return Map.of();
        }
        try {
            return JitConfig.files(jitConfig);
        } catch (InvalidSpecException e) {
            throw new InvalidSpecException("runner " + runner + ": " + e.getMessage(), e);
        }
    }

    static void writeJitFiles(Path dir, Map<String, Secret> files) throws IOException {
        for (Map.Entry<String, Secret> f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(file, Base64.getDecoder().decode(f.getValue().reveal()));
        }
    }

    static String exitTrailer() {
        return "printf '%s\\n' \"$rf_rc\" > " + ProcessRunners.META_DIR + "/" + ProcessRunners.EXIT_FILE + "\n"
                + "exit \"$rf_rc\"\n";
    }

    static String runLine(List<String> args) {
        return join("./run.sh", args);
    }

    static String join(String program, List<String> args) {
        StringBuilder b = new StringBuilder(program);
        args.forEach(a -> b.append(' ').append(RunnerCommand.quote(a)));
        return b.toString();
    }

    static List<String> restartArgs(List<String> runArgs) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < runArgs.size(); i++) {
            String a = runArgs.get(i);
            if (a.equalsIgnoreCase("--jitconfig")) {
                i++;
            } else if (!a.toLowerCase(java.util.Locale.ROOT).startsWith("--jitconfig=")) {
                out.add(a);
            }
        }
        return out;
    }
}
