package io.runnerfleet.docker.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.RunnerCommand;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hands a runner's secrets to its shell over the container's stdin, once, so they never appear in
 * the container's inspectable configuration (env, command, labels), its image, or a file.
 *
 * <p>The container runs {@code /bin/sh -c <prelude>}: the prelude reads a count, then that many
 * {@code NAME} / {@code VALUE} line pairs, exports them, detaches stdin and runs the runner command.
 * Every start (a launch or a restart) writes one payload and closes stdin; a restart sends no secrets
 * and, when the runner is configured already ({@code .runner} exists), skips {@code config.sh}.
 */
public final class SecretHandoff {
    private SecretHandoff() {
    }

    /** The shell script the container runs; it holds names of nothing secret and no values. */
    public static String prelude(RunnerCommand command) {
        String run = new RunnerCommand(List.of(), command.runArgs()).shellLine();
        String body = command.configures()
                ? "if [ -f .runner ] && [ \"$n\" = 0 ]; then " + run + "; fi; " + command.shellLine()
                : command.shellLine();
        return "n=; IFS= read -r n || true; case \"$n\" in ''|*[!0-9]*) n=0;; esac; i=0; "
                + "while [ \"$i\" -lt \"$n\" ]; do IFS= read -r k && IFS= read -r v && export \"$k=$v\"; i=$((i+1)); done; "
                + "unset k v i; exec 0</dev/null; " + body;
    }

    /**
     * The bytes written to stdin: the count, then each name and value on its own line.
     *
     * @throws InvalidSpecException if a name is not a shell variable name or a value holds a line break
     *     (the message names the variable, never the value)
     */
    public static byte[] payload(Map<String, Secret> secrets, String runnerName) {
        StringBuilder b = new StringBuilder().append(secrets.size()).append('\n');
        for (Map.Entry<String, Secret> e : new TreeMap<>(secrets).entrySet()) {
            String name = e.getKey();
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidSpecException("runner " + runnerName + ": secret variable name '" + name
                        + "' is not a shell variable name; use letters, digits and '_'");
            }
            String value = e.getValue().reveal();
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new InvalidSpecException("runner " + runnerName + ": the value of secret " + name
                        + " contains a line break or NUL; tokens and JIT configs never do, check where it came from");
            }
            b.append(name).append('\n').append(value).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The payload of a restart: no secrets. */
    public static byte[] emptyPayload() {
        return "0\n".getBytes(StandardCharsets.UTF_8);
    }
}
