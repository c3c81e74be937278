package io.runnerfleet.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a backend knows of one runner instance.
 *
 * @param id the backend's id (a container id, a process' runner directory)
 * @param name the instance's name (a container name)
 * @param fleet the owning fleet (ownership label)
 * @param pool the pool (ownership label)
 * @param runnerName the runner's name (ownership label)
 * @param specHash the hash of the launch spec it was created from (ownership label)
 * @param state the state
 * @param exitCode the exit code, once exited
 * @param oomKilled whether the kernel killed it for memory
 * @param startedAt when it last started, if it did
 * @param finishedAt when it last exited, if it did
 * @param labels every ownership label
 * @param engine the name of the engine that holds the instance, where a backend spans several (empty otherwise)
 */
public record InstanceInfo(String id, String name, String fleet, String pool, String runnerName, String specHash,
                           InstanceState state, @Nullable Integer exitCode, boolean oomKilled,
                           @Nullable Instant startedAt, @Nullable Instant finishedAt, Map<String, String> labels,
                           String engine) {
    /** Checks the identity fields and copies the labels. */
    public InstanceInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fleet, "fleet");
        Objects.requireNonNull(runnerName, "runnerName");
        Objects.requireNonNull(state, "state");
        pool = pool == null ? "" : pool;
        specHash = specHash == null ? "" : specHash;
        labels = Map.copyOf(labels);
        engine = engine == null ? "" : engine;
    }

    /** An instance of a backend with one engine: {@link #engine()} is empty. */
    public InstanceInfo(String id, String name, String fleet, String pool, String runnerName, String specHash,
                        InstanceState state, @Nullable Integer exitCode, boolean oomKilled,
                        @Nullable Instant startedAt, @Nullable Instant finishedAt, Map<String, String> labels) {
        this(id, name, fleet, pool, runnerName, specHash, state, exitCode, oomKilled, startedAt, finishedAt, labels, "");
    }

    /** This instance as seen through a backend spanning several engines: another id, and the engine's name. */
    public InstanceInfo onEngine(String id, String engine) {
        return new InstanceInfo(id, name, fleet, pool, runnerName, specHash, state, exitCode, oomKilled, startedAt,
                finishedAt, labels, engine);
    }

    /** Whether the instance is running. */
    public boolean running() {
        return state == InstanceState.RUNNING;
    }

    /** A short id for tables ({@code 3f2a1c9d}). */
    public String shortId() {
        return id.length() > 12 ? id.substring(0, 12) : id;
    }
}
