package io.runnerfleet.docker;

import com.github.dockerjava.api.model.Service;
import com.github.dockerjava.api.model.ServiceReplicatedModeOptions;
import com.github.dockerjava.api.model.ServiceSpec;
import com.github.dockerjava.api.model.Task;
import com.github.dockerjava.api.model.TaskState;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.InstanceState;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How {@link SwarmBackend} reads a runner's service and its newest task as an {@link InstanceInfo}:
 * a task on a node that is down counts as exited (the swarm lost it), a terminal task as exited with
 * its container's code, a service scaled to 0 as stopped.
 */
final class ServiceStates {
    private ServiceStates() {
    }

    static InstanceInfo info(Service s, Task task, Set<String> downNodes) {
        Map<String, String> labels = s.getSpec().getLabels();
        String runner = labels.get(Ownership.RUNNER_LABEL);
        Map<String, String> own = new LinkedHashMap<>();
        for (String key : List.of(Ownership.FLEET_LABEL, Ownership.POOL_LABEL, Ownership.RUNNER_LABEL, Ownership.SPEC_HASH_LABEL)) {
            if (labels.get(key) != null) {
                own.put(key, labels.get(key));
            }
        }
        InstanceState state = InstanceState.CREATED;
        Integer exitCode = null;
        Instant startedAt = null;
        Instant finishedAt = null;
        if (task != null && task.getStatus() != null) {
            TaskState ts = task.getStatus().getState();
            Instant at = parse(task.getStatus().getTimestamp());
            var cs = task.getStatus().getContainerStatus();
            if (ts == TaskState.RUNNING && downNodes.contains(task.getNodeId())) {
                // Its node is down: the task is lost; the reconciler replaces the runner elsewhere.
                state = InstanceState.EXITED;
                finishedAt = at;
            } else if (ts == TaskState.RUNNING) {
                state = InstanceState.RUNNING;
                startedAt = at;
            } else if (terminal(ts)) {
                state = InstanceState.EXITED;
                exitCode = cs != null ? cs.getExitCode() : null;
                finishedAt = at;
            } else if (replicas(s.getSpec()) == 0) {
                state = InstanceState.EXITED;
            }
        } else if (replicas(s.getSpec()) == 0) {
            state = InstanceState.EXITED;
        }
        if (startedAt == null && state != InstanceState.CREATED && task != null) {
            startedAt = created(task);
        }
        return new InstanceInfo(s.getId(), s.getSpec().getName(), labels.get(Ownership.FLEET_LABEL),
                labels.get(Ownership.POOL_LABEL), runner, labels.get(Ownership.SPEC_HASH_LABEL), state, exitCode, false,
                startedAt, finishedAt, own);
    }

    static boolean terminal(TaskState s) {
        return s == TaskState.COMPLETE || s == TaskState.FAILED || s == TaskState.SHUTDOWN || s == TaskState.REJECTED
                || s == TaskState.ORPHANED || s == TaskState.REMOVE;
    }

    static Instant created(Task t) {
        Instant at = parse(t.getCreatedAt());
        return at != null ? at : Instant.EPOCH;
    }

    static Instant parse(String timestamp) {
        if (timestamp == null || timestamp.startsWith("0001-")) {
            return null;
        }
        try {
            return Instant.parse(timestamp);
        } catch (DateTimeParseException e) {
            return null;
        }
    }


    static int replicas(ServiceSpec spec) {
        ServiceReplicatedModeOptions r = spec.getMode() != null ? spec.getMode().getReplicated() : null;
        return r == null ? 1 : (int) r.getReplicas();
    }
}
