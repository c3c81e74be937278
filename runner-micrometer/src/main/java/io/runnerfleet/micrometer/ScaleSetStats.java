package io.runnerfleet.micrometer;

/**
 * What a runner scale set's listener knows at one moment, read by {@link ScaleSetMetrics} at each scrape:
 * this module does not know GitHub's scale-set client, so the caller adapts its own (runner-github's
 * {@code ScaleSetListener} statistics and events).
 *
 * <pre>{@code
 * ScaleSetStats now = new ScaleSetStats(stats.totalAvailableJobs(), stats.totalAcquiredJobs(),
 *         stats.totalAssignedJobs(), stats.totalRunningJobs(), stats.totalRegisteredRunners(),
 *         stats.totalBusyRunners(), stats.totalIdleRunners(), messages, sessionRestarts, sessionOpen);
 * }</pre>
 *
 * @param availableJobs jobs the set may acquire, as GitHub last reported
 * @param acquiredJobs jobs the set acquired, as GitHub last reported
 * @param assignedJobs jobs assigned to the set, waiting or running: the scaling signal
 * @param runningJobs jobs running on a runner of the set
 * @param registeredRunners runners registered in the set
 * @param busyRunners runners of the set running a job
 * @param idleRunners runners of the set waiting for a job
 * @param messages messages handled and acknowledged (monotonic)
 * @param sessionRestarts message sessions opened after the first one (monotonic)
 * @param sessionOpen whether a message session is open now
 */
public record ScaleSetStats(long availableJobs, long acquiredJobs, long assignedJobs, long runningJobs,
                            long registeredRunners, long busyRunners, long idleRunners, long messages,
                            long sessionRestarts, boolean sessionOpen) {
    /** Nothing heard yet: all zero, no session. */
    public static final ScaleSetStats NONE = new ScaleSetStats(0, 0, 0, 0, 0, 0, 0, 0, 0, false);
}
