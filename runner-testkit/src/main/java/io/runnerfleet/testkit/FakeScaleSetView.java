package io.runnerfleet.testkit;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A snapshot of one runner scale set held by {@link FakeGitHub}'s Actions service, as its statistics
 * and session would show it.
 *
 * <pre>{@code
 * FakeScaleSetView set = acme.scaleSet("linux-set").orElseThrow();
 * set.statistics().assignedJobs();   // the scaling signal a listener reads
 * set.sessionOwner();                // null while no listener holds a session
 * }</pre>
 *
 * @param id the scale set id
 * @param name its name, unique within its runner group
 * @param runnerGroupId its runner group ({@code 1} is {@code Default})
 * @param labels its labels; a job whose runs-on labels are all among them reaches it
 * @param sessionOwner the {@code ownerName} of the open message session, if one is open
 * @param unacknowledgedMessages messages delivered by the long poll and not acknowledged yet
 * @param statistics the counts a session reply and every message carry
 */
public record FakeScaleSetView(long id, String name, long runnerGroupId, List<String> labels, @Nullable String sessionOwner,
        int unacknowledgedMessages, Statistics statistics) {
    /** Copies the labels. */
    public FakeScaleSetView {
        labels = List.copyOf(labels);
    }

    /**
     * The statistics of a scale set, as the service sends them.
     *
     * @param availableJobs queued jobs that match the set and no scale set has acquired yet
     * @param acquiredJobs jobs the set acquired that wait for one of its runners
     * @param assignedJobs jobs the set acquired and that have not completed: waiting plus running
     * @param runningJobs acquired jobs a runner of the set is running
     * @param registeredRunners runners registered with a JIT config of the set
     * @param busyRunners those of them running a job
     * @param idleRunners those of them not running a job
     */
    public record Statistics(int availableJobs, int acquiredJobs, int assignedJobs, int runningJobs,
            int registeredRunners, int busyRunners, int idleRunners) {
    }
}
