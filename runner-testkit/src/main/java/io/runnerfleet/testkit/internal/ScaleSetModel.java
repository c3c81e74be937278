package io.runnerfleet.testkit.internal;

import io.runnerfleet.testkit.internal.Model.Job;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The state of the fake's runner scale sets ({@link ScaleSets}): sets, sessions, messages, acquisitions. */
final class ScaleSetModel {
    private ScaleSetModel() {
    }

    /** A runner scale set of an organization or repository (its tenant). */
    static final class ScaleSet {
        final long id;
        final Scope scope;
        final Instant createdOn;
        String name;
        long groupId;
        List<String> labels;
        boolean disableUpdate;
        boolean ephemeral;
        Session session;
        /** Jobs already offered with JobAvailable. */
        final Set<Long> offered = new HashSet<>();
        /** Job messages not yet put in a message. */
        final List<Map<String, Object>> pending = new ArrayList<>();
        /** Messages delivered (or made) and not acknowledged, by id: the long poll delivers them again. */
        final TreeMap<Long, Message> unacked = new TreeMap<>();

        ScaleSet(long id, Scope scope, Instant createdOn) {
            this.id = id;
            this.scope = scope;
            this.createdOn = createdOn;
        }
    }

    /** The one message session a scale set may have. */
    static final class Session {
        final String id;
        final String owner;
        final ScaleSet set;
        /** Queue tokens minted before the current generation are refused (expireQueueTokens). */
        int generation;
        Instant lastSeen;

        Session(String id, String owner, ScaleSet set, Instant now) {
            this.id = id;
            this.owner = owner;
            this.set = set;
            this.lastSeen = now;
        }
    }

    /** One long-poll message: its id, the double-encoded body and the statistics when it was made. */
    record Message(long id, String body, Map<String, Object> statistics) {
    }

    /** A job a scale set acquired, and which of its later messages were made. */
    static final class Acquisition {
        final Job job;
        final ScaleSet set;
        final Instant at;
        boolean startedSent;
        boolean completedSent;

        Acquisition(Job job, ScaleSet set, Instant at) {
            this.job = job;
            this.set = set;
            this.at = at;
        }
    }
}
