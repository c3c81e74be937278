package io.runnerfleet;

import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one runner of a fleet: its lifecycle state, its instance and its registration at
 * GitHub, as the fleet last saw them.
 *
 * <pre>{@code
 * fleet.runners().forEach(System.out::println);   // Runner[s1lqc-qemu-1, Idle, instance 3f2a1c9d4e5f]
 * fleet.runner("s1lqc-qemu-2").map(Runner::job);   // the job it runs, where a webhook or scale set said so
 * }</pre>
 *
 * @param name the runner's name ({@code <fleet>-<pool>-<n>}, plus a suffix for ephemeral runners)
 * @param pool the pool it belongs to
 * @param state its lifecycle state
 * @param instanceId the backend's id of its instance, if it has one
 * @param instanceState the instance's state as the backend reported it ({@code running}, {@code exited}, or {@code -})
 * @param githubId GitHub's id of its registration, or 0 when not registered
 * @param githubStatus what GitHub shows: {@code Idle}, {@code Active}, {@code Offline}, or {@code -} when not registered
 * @param busy whether GitHub says it runs a job
 * @param labels its labels (GitHub's, once registered)
 * @param engine the engine its instance runs on, where the backend spans several engines; empty otherwise
 * @param job the job it runs, when a demand source reported it ({@link RunnerFleet#jobStarted}); null otherwise
 */
public record Runner(String name, String pool, RunnerState state, @Nullable String instanceId, String instanceState,
                     long githubId, String githubStatus, boolean busy, LabelSet labels, String engine,
                     @Nullable RunnerJob job) {

    /** Makes the engine empty when absent. */
    public Runner {
        engine = engine == null ? "" : engine;
    }

    /** A runner whose job is not known: {@link #job()} is null. */
    public Runner(String name, String pool, RunnerState state, @Nullable String instanceId, String instanceState,
                  long githubId, String githubStatus, boolean busy, LabelSet labels, String engine) {
        this(name, pool, state, instanceId, instanceState, githubId, githubStatus, busy, labels, engine, null);
    }

    /** A runner of a backend with one engine: {@link #engine()} is empty. */
    public Runner(String name, String pool, RunnerState state, @Nullable String instanceId, String instanceState,
                  long githubId, String githubStatus, boolean busy, LabelSet labels) {
        this(name, pool, state, instanceId, instanceState, githubId, githubStatus, busy, labels, "", null);
    }

    /** The instance id shortened for tables, or {@code -}. */
    public String shortInstanceId() {
        return instanceId == null ? "-" : instanceId.length() > 12 ? instanceId.substring(0, 12) : instanceId;
    }

    @Override
    public String toString() {
        return "Runner[" + name + ", " + state.name() + (instanceId == null ? "" : ", instance " + shortInstanceId())
                + (engine.isEmpty() ? "" : " on " + engine) + (job == null ? "" : ", job " + job.id()) + "]";
    }
}
