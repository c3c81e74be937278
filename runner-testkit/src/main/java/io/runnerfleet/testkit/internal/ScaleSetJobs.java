package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.FakeScaleSetView;
import io.runnerfleet.testkit.internal.Model.Group;
import io.runnerfleet.testkit.internal.Model.Job;
import io.runnerfleet.testkit.internal.Model.Org;
import io.runnerfleet.testkit.internal.Model.Repo;
import io.runnerfleet.testkit.internal.Model.Runner;
import io.runnerfleet.testkit.internal.ScaleSetModel.Acquisition;
import io.runnerfleet.testkit.internal.ScaleSetModel.ScaleSet;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * The job flow of {@link ScaleSets}: which set acquired which job, the job messages made from the jobs'
 * state, and the statistics of a set. Guarded by the {@link Engine}'s monitor like the rest.
 */
final class ScaleSetJobs {
    private final Engine e;
    /** The scale sets that exist, by id: the map {@link ScaleSets} keeps (read only here). */
    private final Map<Long, ScaleSet> sets;
    private final ScaleSetAgents agents;
    private final Function<Scope, String> serviceUrls;
    private final Map<Long, Acquisition> acquisitions = new HashMap<>();

    ScaleSetJobs(Engine engine, Map<Long, ScaleSet> sets, ScaleSetAgents agents, Function<Scope, String> serviceUrls) {
        this.e = engine;
        this.sets = sets;
        this.agents = agents;
        this.serviceUrls = serviceUrls;
    }

    /**
     * Whether the scale-set rules let runner {@code r} take job {@code j}: a job a scale set acquired goes
     * only to that set's runners, and a scale-set runner takes only jobs its set acquired.
     */
    boolean admits(Runner r, Job j) {
        ScaleSet own = agents.setOf(r);
        Acquisition a = acquisitions.get(j.id);
        if (own == null) {
            return a == null;
        }
        return a != null && a.set == own;
    }

    /** Acquires for {@code s} those of {@code ids} that are still queued and match the set; returns them. */
    List<Long> acquire(ScaleSet s, List<Long> ids) {
        List<Long> got = new ArrayList<>();
        for (long id : ids) {
            Job j = e.job(id);
            if (j != null && "queued".equals(j.status) && !acquisitions.containsKey(id) && matches(s, j)) {
                Acquisition a = new Acquisition(j, s, e.now());
                acquisitions.put(id, a);
                s.offered.add(id);
                s.pending.add(jobMessage("JobAssigned", j, a, s));
                got.add(id);
            }
        }
        return got;
    }

    /** Jobs assigned to a deleted set but not to a runner go back to the queue, as GitHub requeues them. */
    void requeue(ScaleSet s) {
        acquisitions.values().removeIf(a -> a.set == s && a.job.runner == null && "queued".equals(a.job.status));
    }

    /** Turns job state changes since the last call into job messages. */
    void sync() {
        for (Job j : e.jobs) {
            Acquisition a = acquisitions.get(j.id);
            if (a == null) {
                if ("queued".equals(j.status)) {
                    for (ScaleSet s : sets.values()) {
                        if (matches(s, j) && s.offered.add(j.id)) {
                            s.pending.add(jobMessage("JobAvailable", j, null, s));
                        }
                    }
                }
                continue;
            }
            if (!sets.containsKey(a.set.id)) {
                continue;
            }
            if (j.runner != null && !a.startedSent) {
                a.startedSent = true;
                a.set.pending.add(jobMessage("JobStarted", j, a, a.set));
            }
            if ("completed".equals(j.status) && !a.completedSent) {
                a.completedSent = true;
                a.set.pending.add(jobMessage("JobCompleted", j, a, a.set));
            }
        }
    }

    /** GitHub's rule for a scale set: every runs-on label among the set's labels, and its group admits the repo. */
    static boolean matches(ScaleSet s, Job j) {
        if (s.scope instanceof Repo repo) {
            if (repo != j.repo) {
                return false;
            }
        } else {
            Org o = (Org) s.scope;
            Group g = o.groups.get(s.groupId);
            if (j.repo.owner != o || g == null || !j.repo.isPrivate && !g.allowsPublicRepositories
                    || "selected".equals(g.visibility) && !g.repositoryIds.contains(j.repo.id)) {
                return false;
            }
        }
        for (String wanted : j.labels) {
            if (s.labels.stream().noneMatch(wanted::equalsIgnoreCase)) {
                return false;
            }
        }
        return true;
    }

    private Map<String, Object> jobMessage(String type, Job j, Acquisition a, ScaleSet s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("messageType", type);
        m.put("runnerRequestId", j.id);
        m.put("repositoryName", j.repo.name);
        m.put("ownerName", j.repo.owner.login);
        m.put("jobId", UUID.nameUUIDFromBytes(("job-" + j.id).getBytes(StandardCharsets.UTF_8)).toString());
        m.put("jobWorkflowRef", j.repo.fullName() + "/.github/workflows/ci.yml@refs/heads/main");
        m.put("jobDisplayName", j.name);
        m.put("workflowRunId", j.runId);
        m.put("eventName", "push");
        m.put("requestLabels", new ArrayList<>(j.labels));
        m.put("queueTime", ScaleSets.time(j.createdAt));
        m.put("scaleSetAssignTime", ScaleSets.time(a == null ? null : a.at));
        m.put("runnerAssignTime", ScaleSets.time(type.equals("JobStarted") || type.equals("JobCompleted") ? j.startedAt : null));
        m.put("finishTime", ScaleSets.time(type.equals("JobCompleted") ? j.completedAt : null));
        switch (type) {
            case "JobAvailable" -> m.put("acquireJobUrl", serviceUrls.apply(s.scope) + "_apis/runtime/runnerscalesets/" + s.id
                    + "/acquirejobs");
            case "JobStarted", "JobCompleted" -> {
                if (type.equals("JobCompleted")) {
                    m.put("result", result(j.conclusion));
                }
                m.put("runnerId", j.runner == null ? 0L : j.runner.id);
                m.put("runnerName", j.runnerName == null ? "" : j.runnerName);
            }
            default -> {
            }
        }
        return m;
    }

    private static String result(String conclusion) {
        if (conclusion == null) {
            return "canceled";
        }
        return switch (conclusion) {
            case "success" -> "succeeded";
            case "failure" -> "failed";
            case "cancelled" -> "canceled";
            default -> conclusion;
        };
    }

    FakeScaleSetView.Statistics statistics(ScaleSet s) {
        int available = 0;
        int acquired = 0;
        int assigned = 0;
        int running = 0;
        for (Job j : e.jobs) {
            Acquisition a = acquisitions.get(j.id);
            if (a == null) {
                if ("queued".equals(j.status) && matches(s, j)) {
                    available++;
                }
            } else if (a.set == s && !"completed".equals(j.status)) {
                assigned++;
                if (j.runner != null) {
                    running++;
                } else {
                    acquired++;
                }
            }
        }
        int registered = 0;
        int busy = 0;
        for (Runner r : agents.runnersOf(s)) {
            registered++;
            busy += r.job != null ? 1 : 0;
        }
        return new FakeScaleSetView.Statistics(available, acquired, assigned, running, registered, busy, registered - busy);
    }

    Map<String, Object> statisticsJson(ScaleSet s) {
        FakeScaleSetView.Statistics st = statistics(s);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("totalAvailableJobs", st.availableJobs());
        m.put("totalAcquiredJobs", st.acquiredJobs());
        m.put("totalAssignedJobs", st.assignedJobs());
        m.put("totalRunningJobs", st.runningJobs());
        m.put("totalRegisteredRunners", st.registeredRunners());
        m.put("totalBusyRunners", st.busyRunners());
        m.put("totalIdleRunners", st.idleRunners());
        return m;
    }
}
