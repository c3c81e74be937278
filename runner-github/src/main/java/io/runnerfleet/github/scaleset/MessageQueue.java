package io.runnerfleet.github.scaleset;

import io.runnerfleet.Secret;
import io.runnerfleet.github.internal.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import okhttp3.HttpUrl;

/**
 * The calls {@link ScaleSetClient} makes with a session's queue token at the session's
 * {@code messageQueueUrl}: the long poll, acknowledgements and job acquisition. A 401 here is
 * {@link ScaleSetApiException.QueueTokenExpired}: the caller refreshes the session.
 */
final class MessageQueue {
    private final ActionsHttp http;

    MessageQueue(ActionsHttp http) {
        this.http = http;
    }

    /** See {@link ScaleSetClient#poll}. */
    Optional<ScaleSetMessage> poll(MessageSession session, long lastMessageId, int maxCapacity) {
        Objects.requireNonNull(session, "session");
        if (maxCapacity < 0 || lastMessageId < 0) {
            throw new IllegalArgumentException("maxCapacity and lastMessageId must not be negative, got "
                    + maxCapacity + " and " + lastMessageId);
        }
        String op = "poll for messages of scale set " + session.scaleSetId();
        HttpUrl.Builder url = queueUrl(session, op).newBuilder();
        if (lastMessageId > 0) {
            url.setQueryParameter("lastMessageId", Long.toString(lastMessageId));
        }
        Secret token = session.queueToken();
        ActionsHttp.Reply reply = http.send(new ActionsHttp.Call("GET", url.build(), null,
                () -> "Bearer " + token.reveal(), op, ActionsHttp.Retrying.NEVER, ActionsHttp.Meaning.QUEUE,
                Map.of("Accept", "application/json; api-version=" + ScaleSetClient.API_VERSION,
                        "X-ScaleSetMaxCapacity", Integer.toString(maxCapacity)), true, null));
        if (reply.status() == 202 || reply.status() == 204) {
            return Optional.empty();
        }
        return Optional.of(Wire.read(reply, op, Wire::message));
    }

    /** See {@link ScaleSetClient#acknowledge}. */
    void acknowledge(MessageSession session, long messageId) {
        Objects.requireNonNull(session, "session");
        String op = "acknowledge message " + messageId + " of scale set " + session.scaleSetId();
        HttpUrl url = queueUrl(session, op).newBuilder().addPathSegment(Long.toString(messageId)).build();
        Secret token = session.queueToken();
        http.send(new ActionsHttp.Call("DELETE", url, null, () -> "Bearer " + token.reveal(), op,
                ActionsHttp.Retrying.IDEMPOTENT, ActionsHttp.Meaning.QUEUE));
    }

    /** See {@link ScaleSetClient#acquireJobs}; {@code url} is the scale set's {@code acquirejobs} address. */
    List<Long> acquireJobs(MessageSession session, List<Long> ids, HttpUrl url) {
        String op = "acquire " + ids.size() + " job(s) for scale set " + session.scaleSetId();
        Secret token = session.queueToken();
        ActionsHttp.Reply reply = http.send(new ActionsHttp.Call("POST", url, ids, () -> "Bearer " + token.reveal(), op,
                ActionsHttp.Retrying.UNSENT_ONLY, ActionsHttp.Meaning.QUEUE));
        return Wire.read(reply, op, o -> {
            List<Long> got = new ArrayList<>();
            for (Object v : Json.array(o, "value")) {
                if (!(v instanceof Number n)) {
                    throw new Json.MalformedJsonException("'value' holds a non-number");
                }
                got.add(n.longValue());
            }
            return List.copyOf(got);
        });
    }

    private static HttpUrl queueUrl(MessageSession session, String op) {
        HttpUrl url = session.messageQueueUrl().isBlank() ? null : HttpUrl.parse(session.messageQueueUrl());
        if (url == null) {
            throw new ScaleSetApiException.QueueTokenExpired(Wire.details(0, op), "could not " + op
                    + ": session " + session.sessionId() + " has no usable messageQueueUrl; refresh the session");
        }
        return url;
    }
}
