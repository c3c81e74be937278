package io.runnerfleet.github.scaleset;

import java.util.List;
import java.util.Objects;

/**
 * One message from a scale set's queue: up to 50 job messages and the set's statistics.
 *
 * <pre>{@code
 * Optional<ScaleSetMessage> m = scaleSets.poll(session, lastMessageId, 10);
 * m.ifPresent(msg -> { handle(msg.jobs()); scaleSets.acknowledge(session, msg.messageId()); });
 * }</pre>
 *
 * <p>Job messages of unknown types are dropped. A message stays in the queue, and is delivered again,
 * until it is acknowledged.
 *
 * @param messageId the id to acknowledge and to pass as {@code lastMessageId} on the next poll
 * @param statistics the set's statistics when the message was sent
 * @param jobs the job messages, in the order GitHub sent them
 */
public record ScaleSetMessage(long messageId, Statistics statistics, List<JobMessage> jobs) {
    /** Checks the parts and copies the list. */
    public ScaleSetMessage {
        Objects.requireNonNull(statistics, "statistics");
        jobs = List.copyOf(jobs);
    }
}
