package io.runnerfleet.spi;

import java.util.ArrayList;
import java.util.List;

/**
 * What a runner instance runs: {@code config.sh <configure>} (skipped when empty, as in JIT mode)
 * then {@code run.sh <run>}, inside the runner's directory. Neither list ever holds a secret: the
 * registration token and JIT config travel in {@link LaunchSpec#secrets()} as
 * {@code ACTIONS_RUNNER_INPUT_TOKEN} / {@code ACTIONS_RUNNER_INPUT_JITCONFIG}. A backend gives the
 * token to {@code config.sh} alone and writes a JIT config as the runner's files
 * ({@link JitConfig#files}) instead of handing it to {@code run.sh}: the real runner removes its input
 * variables from its own environment, not from the shells that started it, which live as long as it.
 *
 * @param configureArgs arguments of {@code config.sh}, or empty to skip configuration
 * @param runArgs arguments of {@code run.sh}
 */
public record RunnerCommand(List<String> configureArgs, List<String> runArgs) {
    /** Copies the lists. */
    public RunnerCommand {
        configureArgs = List.copyOf(configureArgs);
        runArgs = List.copyOf(runArgs);
    }

    /** Whether {@code config.sh} runs first. */
    public boolean configures() {
        return !configureArgs.isEmpty();
    }

    /**
     * The command as one POSIX shell line run from the runner's directory:
     * {@code ./config.sh ... && exec ./run.sh ...}, every argument quoted.
     */
    public String shellLine() {
        List<String> parts = new ArrayList<>();
        if (configures()) {
            parts.add(join("./config.sh", configureArgs) + " &&");
        }
        parts.add("exec " + join("./run.sh", runArgs));
        return String.join(" ", parts);
    }

    private static String join(String program, List<String> args) {
        StringBuilder b = new StringBuilder(program);
        for (String arg : args) {
            b.append(' ').append(quote(arg));
        }
        return b.toString();
    }

    /** Quotes one argument for a POSIX shell. */
    public static String quote(String arg) {
        if (!arg.isEmpty() && arg.matches("[A-Za-z0-9_./:=,@%+-]+")) {
            return arg;
        }
        return "'" + arg.replace("'", "'\\''") + "'";
    }
}
