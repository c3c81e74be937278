package io.runnerfleet.github.scaleset;

/**
 * The counters GitHub attaches to every session and message of a scale set.
 *
 * <pre>{@code
 * int wanted = Math.min(maxRunners, minIdle + (int) statistics.totalAssignedJobs());
 * }</pre>
 *
 * <p>{@link #totalAssignedJobs()} (jobs assigned to the set, waiting or running) is the scaling signal;
 * count it rather than messages, which may repeat. The other fields are reported as GitHub sends them;
 * their exact meaning is not documented. Missing fields read as {@code 0}.
 *
 * @param totalAvailableJobs jobs the set may acquire
 * @param totalAcquiredJobs jobs the set acquired
 * @param totalAssignedJobs jobs assigned to the set, waiting or running
 * @param totalRunningJobs jobs running on a runner of the set
 * @param totalRegisteredRunners runners registered in the set
 * @param totalBusyRunners runners of the set running a job
 * @param totalIdleRunners runners of the set waiting for a job
 */
public record Statistics(long totalAvailableJobs, long totalAcquiredJobs, long totalAssignedJobs,
                         long totalRunningJobs, long totalRegisteredRunners, long totalBusyRunners,
                         long totalIdleRunners) {
    /** All zero. */
    public static final Statistics EMPTY = new Statistics(0, 0, 0, 0, 0, 0, 0);
}
