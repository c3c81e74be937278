package io.runnerfleet.docker.internal;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.Secret;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.RunnerCommand;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Hands a runner's secrets to its shell over the container's stdin, once, so they never appear in
 * the container's inspectable configuration (env, command, labels), its image, or a file, and
 * never in the environment or command line of a process that outlives {@code config.sh}: a job step
 * runs as the runner's user and can read {@code /proc/<pid>/environ} and {@code cmdline} of every
 * process of that user, for as long as they live.
 *
 * <p>The container runs {@code /bin/sh -c <prelude>}: the prelude reads a count, then that many
 * {@code NAME} / {@code VALUE} line pairs, and detaches stdin. Where each secret goes:
 * <ul>
 *   <li>With a configure step (token mode), a subshell reads the pairs, exports them and becomes
 *       {@code config.sh}; the container's shell, which then becomes {@code run.sh}, never exports
 *       them, so run.sh, run-helper.sh, the listener and the jobs start without them.
 *   <li>The JIT config ({@code ACTIONS_RUNNER_INPUT_JITCONFIG}) is never handed over as such: the
 *       real runner's run.sh and run-helper.sh are shells that stay alive as parents of the
 *       listener, so a config in their environment or arguments stays readable for the runner's whole
 *       life. The listener only decodes it into {@code .runner}, {@code .credentials} and
 *       {@code .credentials_rsaparams} in its directory and runs from those files; so the backend
 *       sends those files ({@link JitConfig#files}) and the prelude writes them (owner-only, with the
 *       image's {@code base64}) before {@code exec ./run.sh}. Same files as the listener would
 *       write, so nothing new is exposed; a relaunch by run-helper.sh reads them as it would anyway.
 *   <li>Without a configure step, any other secret is meant for run.sh itself and is exported for it.
 * </ul>
 * Every start (a launch or a restart) writes one payload and closes stdin; a restart sends no secrets
 * and, when the runner is configured already ({@code .runner} exists), skips {@code config.sh}.
 */
public final class SecretHandoff {
    /** The secret the backend turns into the runner's files instead of handing it over. */
    public static final String JIT_CONFIG = "ACTIONS_RUNNER_INPUT_JITCONFIG";

    // Reads the pairs: names starting with '.' are files of the runner directory (base64 content),
    // the others are exported. Run in a subshell when only config.sh may see them.
    private static final String READ = "rf_in() { i=0; while [ \"$i\" -lt \"$n\" ]; do"
            + " IFS= read -r k && IFS= read -r v || { echo 'runnerfleet: the secrets hand-over was cut short' >&2; exit 1; };"
            + " case \"$k\" in .*) (umask 077 && printf '%s' \"$v\" | base64 -d > \"$k\") || { rm -f \"$k\";"
            + " echo \"runnerfleet: cannot write $k (the image needs base64 and a writable working directory)\" >&2; exit 1; };;"
            + " *) export \"$k=$v\";; esac; i=$((i+1)); done; unset k v i; exec 0</dev/null; }; ";

    private SecretHandoff() {
    }

    /** The shell script the container runs; it holds names of nothing secret and no values. */
    public static String prelude(RunnerCommand command) {
        String run = "exec " + line("./run.sh", command.runArgs());
        String head = "n=; IFS= read -r n || true; case \"$n\" in ''|*[!0-9]*) n=0;; esac; " + READ;
        if (!command.configures()) {
            return head + "rf_in; " + run;
        }
        return head + "if [ -f .runner ] && [ \"$n\" = 0 ]; then exec 0</dev/null; " + run + "; fi; "
                + "(rf_in; exec " + line("./config.sh", command.configureArgs()) + ") || exit; "
                + "exec 0</dev/null; " + run;
    }

    private static String line(String program, List<String> args) {
        StringBuilder b = new StringBuilder(program);
        args.forEach(a -> b.append(' ').append(RunnerCommand.quote(a)));
        return b.toString();
    }

    /**
     * The bytes written to stdin: the count, then each name and value on its own line; the JIT
     * config becomes one pair per file it holds.
     *
     * @throws InvalidSpecException if a name is not a shell variable name, a value holds a line break,
     *     or the JIT config is not in the runner's format (the message names the variable, never the value)
     */
    public static byte[] payload(Map<String, Secret> secrets, String runnerName) {
        Map<String, Secret> pairs = new LinkedHashMap<>();
        for (Map.Entry<String, Secret> e : new TreeMap<>(secrets).entrySet()) {
            String name = e.getKey();
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new InvalidSpecException("runner " + runnerName + ": secret variable name '" + name
                        + "' is not a shell variable name; use letters, digits and '_'");
            }
            if (name.equals(JIT_CONFIG)) {
                try {
                    pairs.putAll(JitConfig.files(e.getValue()));
                } catch (InvalidSpecException bad) {
                    throw new InvalidSpecException("runner " + runnerName + ": " + bad.getMessage(), bad);
                }
                continue;
            }
            String value = e.getValue().reveal();
            if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0 || value.indexOf('\0') >= 0) {
                throw new InvalidSpecException("runner " + runnerName + ": the value of secret " + name
                        + " contains a line break or NUL; tokens and JIT configs never do, check where it came from");
            }
            pairs.put(name, e.getValue());
        }
        StringBuilder b = new StringBuilder().append(pairs.size()).append('\n');
        pairs.forEach((name, value) -> b.append(name).append('\n').append(value.reveal()).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The payload of a restart: no secrets. */
    public static byte[] emptyPayload() {
        return "0\n".getBytes(StandardCharsets.UTF_8);
    }
}
