package io.runnerfleet.testkit;

import io.runnerfleet.testkit.internal.Engine;
import io.runnerfleet.testkit.internal.Engine.JobState;
import java.time.Instant;

/**
 * A live view of one job queued with {@link FakeGitHub#queueJob}.
 *
 * <pre>{@code
 * FakeJob job = fake.queueJob(repo, "self-hosted");
 * job.status();      // queued, in_progress, completed
 * job.runnerName();  // null until a runner takes it
 * job.startedAt();   // when that runner took it: job-start latency is startedAt - queuedAt
 * }</pre>
 *
 * <p>Times are read from the fake's {@link FakeGitHub.Builder#clock clock}.
 */
public final class FakeJob {
    private final Engine engine;
    private final long id;

    FakeJob(Engine engine, long id) {
        this.engine = engine;
        this.id = id;
    }

    /** The job id (its workflow run has its own id). */
    public long id() {
        return id;
    }

    /** {@code queued}, {@code in_progress} or {@code completed}. */
    public String status() {
        return engine.jobState(id).status();
    }

    /** {@code success} (or {@code cancelled}) once completed, else null. */
    public String conclusion() {
        return engine.jobState(id).conclusion();
    }

    /** The runner that took the job, or null while queued. */
    public String runnerName() {
        return engine.jobState(id).runnerName();
    }

    /** When the job was queued. */
    public Instant queuedAt() {
        return engine.jobState(id).queuedAt();
    }

    /**
     * When a runner took the job: the instant the fake handed the job's message to the runner's poll
     * and the job went {@code in_progress}; null while queued.
     */
    public Instant startedAt() {
        return engine.jobState(id).startedAt();
    }

    @Override
    public String toString() {
        JobState state = engine.jobState(id);   // one snapshot, so status and runner agree
        return "FakeJob[" + id + ", " + state.status() + (state.runnerName() == null ? "" : ", " + state.runnerName()) + "]";
    }
}
