package io.runnerfleet;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The lifecycle's transition table (DESIGN §3 plus the edges documented on {@link RunnerState}). */
final class TransitionTable {
    private static final Map<Class<?>, List<Class<?>>> NEXT = new LinkedHashMap<>();

    static {
        edge(RunnerState.Requested.class, RunnerState.Provisioning.class, RunnerState.Removed.class);
        edge(RunnerState.Provisioning.class, RunnerState.Registering.class, RunnerState.Removing.class,
                RunnerState.Failed.class);
        edge(RunnerState.Registering.class, RunnerState.Idle.class, RunnerState.Active.class, RunnerState.Removing.class,
                RunnerState.Failed.class);
        edge(RunnerState.Idle.class, RunnerState.Active.class, RunnerState.Offline.class, RunnerState.Draining.class,
                RunnerState.Stopped.class, RunnerState.Completed.class, RunnerState.Removing.class);
        edge(RunnerState.Active.class, RunnerState.Idle.class, RunnerState.Offline.class, RunnerState.Draining.class,
                RunnerState.Completed.class, RunnerState.Removing.class);
        edge(RunnerState.Offline.class, RunnerState.Provisioning.class, RunnerState.Idle.class, RunnerState.Active.class,
                RunnerState.Stopped.class, RunnerState.Completed.class, RunnerState.Removing.class, RunnerState.Failed.class);
        edge(RunnerState.Draining.class, RunnerState.Stopped.class, RunnerState.Completed.class, RunnerState.Removing.class);
        edge(RunnerState.Stopped.class, RunnerState.Provisioning.class, RunnerState.Removing.class);
        edge(RunnerState.Completed.class, RunnerState.Removing.class);
        edge(RunnerState.Removing.class, RunnerState.Removed.class, RunnerState.Failed.class);
        edge(RunnerState.Removed.class);
        edge(RunnerState.Failed.class, RunnerState.Removing.class);
    }

    private TransitionTable() {
    }

    private static void edge(Class<?> from, Class<?>... to) {
        NEXT.put(from, List.of(to));
    }

    static boolean allows(Class<?> from, Class<?> to) {
        return NEXT.getOrDefault(from, List.of()).contains(to);
    }

    static List<String> successors(Class<?> from) {
        return NEXT.getOrDefault(from, List.of()).stream().map(Class::getSimpleName).toList();
    }
}
