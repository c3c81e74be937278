package io.runnerfleet.examples.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options of {@code serve}: those that override {@code .env} settings, and how it stops. {@code systemd} takes
 * them too and writes them into the unit's {@code serve} command, so that the unit's stop timeout follows the
 * drain timeout it runs with.
 */
final class ServeOptions {
    @Option(names = "--http-host", description = "the endpoint's address (default RUNNERFLEET_HTTP_HOST, else 127.0.0.1)")
    String httpHost;

    @Option(names = "--http-port", description = "the endpoint's port, 0 for a free one (default RUNNERFLEET_HTTP_PORT, else "
            + ServeSettings.DEFAULT_HTTP_PORT + ")")
    Integer httpPort;

    @Option(names = "--webhook-port", description = "the webhook receiver's port, 0 for a free one (default"
            + " RUNNERFLEET_WEBHOOK_PORT, else " + ServeSettings.DEFAULT_WEBHOOK_PORT + ")")
    Integer webhookPort;

    @Option(names = "--drain-timeout", description = "how long a stop waits for busy jobs, e.g. 10m (default"
            + " RUNNERFLEET_DRAIN_TIMEOUT, else 10m)")
    String drainTimeout;

    @Option(names = "--remove-on-stop", description = "on stop, drain and remove persistent runners too")
    boolean removeOnStop;

    @Option(names = "--force", description = "on stop, remove every runner at once, killing running jobs")
    boolean force;

    /** Each given option by its name, with the variable it overrides. */
    private Map<String, Map.Entry<String, Object>> given() {
        Map<String, Map.Entry<String, Object>> all = new LinkedHashMap<>();
        all.put("--http-host", new java.util.AbstractMap.SimpleEntry<>("RUNNERFLEET_HTTP_HOST", httpHost));
        all.put("--http-port", new java.util.AbstractMap.SimpleEntry<>("RUNNERFLEET_HTTP_PORT", httpPort));
        all.put("--webhook-port", new java.util.AbstractMap.SimpleEntry<>("RUNNERFLEET_WEBHOOK_PORT", webhookPort));
        all.put("--drain-timeout", new java.util.AbstractMap.SimpleEntry<>("RUNNERFLEET_DRAIN_TIMEOUT", drainTimeout));
        all.values().removeIf(e -> e.getValue() == null);
        return all;
    }

    /** {@code vars} with the given options written over their variables. */
    Map<String, String> over(Map<String, String> vars) {
        given().values().forEach(e -> vars.put(e.getKey(), e.getValue().toString()));
        return vars;
    }

    /** The given options as {@code serve} arguments. */
    List<String> args() {
        List<String> args = new ArrayList<>();
        given().forEach((option, e) -> {
            args.add(option);
            args.add(e.getValue().toString());
        });
        if (removeOnStop) {
            args.add("--remove-on-stop");
        }
        if (force) {
            args.add("--force");
        }
        return args;
    }
}
