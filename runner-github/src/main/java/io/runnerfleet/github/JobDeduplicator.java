package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The memory of which workflow jobs were already handed on, shared by a {@link WebhookReceiver} and a
 * {@link QueuedJobSweeper} so that each queued job is demanded once, whichever of them saw it first.
 *
 * <pre>{@code
 * JobDeduplicator seen = JobDeduplicator.create();
 * WebhookReceiver hooks = WebhookReceiver.builder(secret).fleet(fleet).deduplicator(seen).build().start();
 * QueuedJobSweeper sweeper = QueuedJobSweeper.builder(github).repositories("acme/app")
 *         .fleet(fleet).deduplicator(seen).build().start();
 * }</pre>
 *
 * <p>It remembers up to {@code maxEntries} job ids (and as many webhook delivery ids), each for {@code window},
 * dropping the oldest first; a job seen again after that is handed on again. The default window, 24 hours, is
 * how long GitHub keeps a job queued before failing it. A job whose consumer threw is forgotten, so that a
 * later delivery or sweep retries it. Thread-safe; holds only ids (a few MB at most).
 */
public final class JobDeduplicator {
    private final RecentDeliveries recent;
    private final int maxEntries;
    private final Duration window;

    private JobDeduplicator(int maxEntries, Duration window, Clock clock) {
        this.recent = new RecentDeliveries(maxEntries, window, clock);
        this.maxEntries = maxEntries;
        this.window = window;
    }

    /** A memory of the last 10,000 jobs (and delivery ids) of the last 24 hours. */
    public static JobDeduplicator create() {
        return create(10_000, Duration.ofHours(24));
    }

    /**
     * A memory of the last {@code maxEntries} jobs (and as many delivery ids), none older than {@code window}.
     *
     * @throws InvalidSpecException when {@code maxEntries} is below 1 or above 1,000,000, or {@code window} is not
     *                              positive
     */
    public static JobDeduplicator create(int maxEntries, Duration window) {
        return create(maxEntries, window, Clock.systemUTC());
    }

    static JobDeduplicator create(int maxEntries, Duration window, Clock clock) {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(clock, "clock");
        if (maxEntries < 1 || maxEntries > 1_000_000) {
            throw new InvalidSpecException("job deduplication maxEntries " + maxEntries
                    + " must be between 1 and 1000000 (default 10000)");
        }
        if (window.isNegative() || window.isZero()) {
            throw new InvalidSpecException("job deduplication window " + window + " must be positive (default PT24H)");
        }
        return new JobDeduplicator(maxEntries, window, clock);
    }

    /** The delivery and job ids behind this memory. */
    RecentDeliveries recent() {
        return recent;
    }

    /** {@code JobDeduplicator[up to 10000 jobs for PT24H]}. */
    @Override
    public String toString() {
        return "JobDeduplicator[up to " + maxEntries + " jobs for " + window + "]";
    }
}
