package io.runnerfleet.github.scaleset;

import io.runnerfleet.Secret;
import java.util.Objects;

/**
 * An open message session of a scale set: where to long-poll for messages and the token to do it with.
 * Only one session per scale set may be open at a time.
 *
 * <pre>{@code
 * MessageSession s = scaleSets.createSession(set.id(), "host-1");
 * s = scaleSets.refreshSession(s.scaleSetId(), s.sessionId());   // a fresh queue token
 * }</pre>
 *
 * <p>The queue token is a {@link Secret}: {@code toString()} never shows it. The session id is not a
 * secret (it is useless without the admin token) and may be stored to resume the session after a restart.
 *
 * @param sessionId the session's id (a UUID)
 * @param ownerName who opened it
 * @param scaleSetId the scale set's id
 * @param messageQueueUrl the absolute URL to long-poll, possibly on another host; may be blank when the
 *     service had a problem, in which case the session must be refreshed before polling
 * @param queueToken the message-queue token, for polling, acknowledging and acquiring jobs
 * @param statistics the set's statistics when the session was opened or refreshed
 */
public record MessageSession(String sessionId, String ownerName, long scaleSetId, String messageQueueUrl,
                             Secret queueToken, Statistics statistics) {
    /** Checks every part is present. */
    public MessageSession {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(ownerName, "ownerName");
        Objects.requireNonNull(messageQueueUrl, "messageQueueUrl");
        Objects.requireNonNull(queueToken, "queueToken");
        Objects.requireNonNull(statistics, "statistics");
    }

    /** {@code MessageSession[9b2f0c7e-..., scale set 42, owner host-1]}: no URL query, no token. */
    @Override
    public String toString() {
        return "MessageSession[" + sessionId + ", scale set " + scaleSetId + ", owner " + ownerName + "]";
    }
}
