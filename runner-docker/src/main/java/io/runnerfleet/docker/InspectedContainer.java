package io.runnerfleet.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads an engine's inspection of a container the way the backend needs it: labels, name and state. */
final class InspectedContainer {
    private InspectedContainer() {
    }

    /** The container's labels, empty when it has none. */
    static Map<String, String> labels(InspectContainerResponse r) {
        return r.getConfig() == null || r.getConfig().getLabels() == null ? Map.of() : r.getConfig().getLabels();
    }

    /** The container as the SPI describes an instance; only Runner Fleet's labels are carried over. */
    static InstanceInfo info(InspectContainerResponse r) {
        Map<String, String> labels = labels(r);
        Map<String, String> ours = new LinkedHashMap<>();
        labels.forEach((k, v) -> {
            if (k.startsWith("io.runnerfleet.")) {
                ours.put(k, v);
            }
        });
        var s = r.getState();
        String status = s.getStatus() == null ? "" : s.getStatus();
        InstanceState state = switch (status) {
            case "created" -> InstanceState.CREATED;
            case "running" -> InstanceState.RUNNING;
            case "paused", "restarting" -> InstanceState.PAUSED;
            case "exited" -> InstanceState.EXITED;
            default -> InstanceState.DEAD;
        };
        Integer exit = state == InstanceState.EXITED || state == InstanceState.DEAD
                ? (s.getExitCodeLong() == null ? null : s.getExitCodeLong().intValue()) : null;
        return new InstanceInfo(r.getId(), name(r), labels.get(Ownership.FLEET_LABEL), labels.get(Ownership.POOL_LABEL),
                labels.get(Ownership.RUNNER_LABEL), labels.get(Ownership.SPEC_HASH_LABEL), state, exit,
                Boolean.TRUE.equals(s.getOOMKilled()), time(s.getStartedAt()), time(s.getFinishedAt()), ours);
    }

    private static Instant time(String value) {
        if (value == null || value.isBlank() || value.startsWith("0001-")) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** The container's name without the engine's leading slash. */
    static String name(InspectContainerResponse r) {
        String name = r.getName();
        return name != null && name.startsWith("/") ? name.substring(1) : name;
    }
}
