package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.JobRequest;
import io.runnerfleet.RunnerFleet;
import java.util.Objects;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * Where {@link WebhookReceiver} and {@link QueuedJobSweeper} hand a queued job: the consumer their builders'
 * {@code fleet(...)} makes, and the check that {@code build()} has one.
 */
final class JobHandoff {
    private JobHandoff() {
    }

    /**
     * Grows {@code fleet} for each job: {@code fleet.demand(event.jobRequest())}; a job no pool can take is
     * logged at INFO by {@code source} ({@code match()} says why per pool and emits a Warning).
     */
    static Consumer<WorkflowJobEvent> demand(RunnerFleet fleet, String source, Logger log) {
        Objects.requireNonNull(fleet, "fleet");
        return event -> {
            JobRequest job = event.jobRequest();
            if (fleet.demand(job).isEmpty()) {
                log.info("{}: no pool of fleet {} can take job {} ({}): {}", source, fleet.name(), event.job().id(),
                        job, fleet.match(job).explain());
            }
        };
    }

    /**
     * Tells {@code fleet} which job its runners start ({@code in_progress}) and finish ({@code completed}); a
     * delivery naming no runner (a job canceled while queued) is skipped, and the fleet ignores other fleets' runners.
     */
    static Consumer<WorkflowJobEvent> track(RunnerFleet fleet) {
        Objects.requireNonNull(fleet, "fleet");
        return event -> {
            String runner = event.job().runnerName();
            if (runner == null || runner.isBlank()) {
                return;
            }
            if (event.action() == WorkflowJobEvent.Action.IN_PROGRESS) {
                fleet.jobStarted(runner, event.runnerJob());
            } else if (event.action() == WorkflowJobEvent.Action.COMPLETED) {
                fleet.jobEnded(runner, Long.toString(event.job().id()));
            }
        };
    }

    /** {@code consumer}, or an exception saying that {@code owner} has nothing to hand {@code jobs} to. */
    static Consumer<WorkflowJobEvent> required(Consumer<WorkflowJobEvent> consumer, String owner, String jobs) {
        if (consumer == null) {
            throw new InvalidSpecException(owner + " has nothing to hand " + jobs + " to; call"
                    + " .fleet(fleet) or .onQueued(event -> ...) before build()");
        }
        return consumer;
    }
}
