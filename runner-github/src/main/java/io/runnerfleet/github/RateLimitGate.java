package io.runnerfleet.github;

import io.runnerfleet.github.internal.Sleeper;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GitHub's rate limits as one {@link GitHubHttp} sees them: the buckets its answers report, the hold a
 * secondary limit puts on the whole client, the pace of content-creating requests, and the
 * {@link GitHubApiException.RateLimited} a refusal becomes. Thread-safe.
 */
final class RateLimitGate {
    // GitHubHttp's logger: the rate-limit warnings keep the namespace they were always logged under.
    private static final Logger LOG = LoggerFactory.getLogger(GitHubHttp.class);

    private final Clock clock;
    private final Sleeper sleeper;
    private final RetrySettings retry;
    private final int maxContentCreatingPerMinute;
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final List<Write> contentCreating = new ArrayList<>();
    private final Map<String, RateLimit> limits = new ConcurrentHashMap<>();
    private final AtomicReference<RateLimit> lastLimit = new AtomicReference<>();
    // Secondary limits hold the whole client: GitHub asks not to call again before notBefore, and to back off
    // exponentially while it keeps refusing (streak). A WARN is logged once per episode, which a success ends.
    private final Object limitLock = new Object();
    private Instant notBefore = Instant.MIN;
    private int secondaryStreak;
    private volatile boolean limitedEpisode;

    RateLimitGate(Clock clock, Sleeper sleeper, RetrySettings retry, int maxContentCreatingPerMinute) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.retry = retry;
        this.maxContentCreatingPerMinute = maxContentCreatingPerMinute;
    }

    /** A new call's budget for waiting on rate limits. */
    WaitBudget budget() {
        return new WaitBudget();
    }

    /** The bucket of the latest answer that reported one. */
    Optional<RateLimit> last() {
        return Optional.ofNullable(lastLimit.get());
    }

    /** The latest state of every bucket seen, by resource name. */
    Map<String, RateLimit> all() {
        return Map.copyOf(limits);
    }

    /** How long one call has waited for rate limits so far; bounded by {@link RetrySettings#maxRateLimitWait()}. */
    final class WaitBudget {
        private Duration spent = Duration.ZERO;

        /** Takes {@code wait} from the budget when it fits, and says whether it did. */
        boolean take(Duration wait) {
            Duration total = spent.plus(wait);
            if (total.compareTo(retry.maxRateLimitWait()) > 0) {
                return false;
            }
            spent = total;
            return true;
        }
    }

    /**
     * Keeps writes under GitHub's secondary limit on content-creating requests: when the last minute already
     * holds the maximum, waits until the oldest of them is a minute old, then counts this one. Call
     * {@link Write#done()} when its answer came: GitHub counts a request from when it arrived, which may be long
     * after it was queued here (waiting for a connection, a slow network), so it is counted from its answer.
     */
    Write paceContentCreation() {
        while (true) {
            Duration wait;
            synchronized (contentCreating) {
                Instant now = clock.instant();
                Instant windowStart = now.minus(MINUTE);
                // Any position: answers come back out of order.
                contentCreating.removeIf(w -> !w.at.isAfter(windowStart));
                if (contentCreating.size() < maxContentCreatingPerMinute) {
                    Write w = new Write(now);
                    contentCreating.add(w);
                    return w;
                }
                Instant oldest = contentCreating.stream().map(w -> w.at).min(Instant::compareTo).orElse(now);
                wait = Duration.between(now, oldest.plus(MINUTE));
            }
            LOG.debug("pacing a content-creating request by {} to stay under {} per minute", wait,
                    maxContentCreatingPerMinute);
            // Then look again: a request still in flight may have been answered later than it was counted.
            sleeper.sleep(wait);
        }
    }

    /** One content-creating request in the pace window: counted from when it was sent until its answer, then from that. */
    final class Write {
        private volatile Instant at;

        private Write(Instant at) {
            this.at = at;
        }

        /** Its answer came (or it failed): GitHub counted it at the latest now. */
        void done() {
            Instant now = clock.instant();
            synchronized (contentCreating) {
                if (now.isAfter(at)) {
                    at = now;
                }
            }
        }
    }

    /** Keeps the bucket an answer's {@code x-ratelimit-*} headers describe. */
    void record(okhttp3.Headers h) {
        Long limit = number(h.get("x-ratelimit-limit"));
        Long remaining = number(h.get("x-ratelimit-remaining"));
        Long reset = number(h.get("x-ratelimit-reset"));
        if (limit == null || remaining == null || reset == null) {
            return;
        }
        Long used = number(h.get("x-ratelimit-used"));
        String resource = Optional.ofNullable(h.get("x-ratelimit-resource")).orElse("core");
        RateLimit r = new RateLimit(resource, limit, remaining, used != null ? used : limit - remaining,
                Instant.ofEpochSecond(reset));
        limits.put(resource, r);
        lastLimit.set(r);
    }

    private static Long number(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /**
     * The failure for a 403 or 429 that is a rate limit (retryable when the call's budget allows the wait),
     * or {@code null} when the refusal is not one.
     */
    RuntimeException refused(GitHubHttp.Call call, WaitBudget budget, GitHubApiException.Details d, okhttp3.Headers h,
                                         String message) {
        Long retryAfter = number(h.get("retry-after"));
        Long remaining = number(h.get("x-ratelimit-remaining"));
        Long reset = number(h.get("x-ratelimit-reset"));
        String lower = message == null ? "" : message.toLowerCase(Locale.ROOT);
        // GitHub does not always send retry-after for secondary limits; older answers said "abuse detection".
        boolean secondaryText = lower.contains("secondary rate limit") || lower.contains("abuse detection");
        Instant now = clock.instant();
        Instant resetAt;
        boolean secondary;
        String why;
        if (retryAfter != null) {
            resetAt = holdUntil(now, Duration.ofSeconds(Math.max(0, retryAfter)), false);
            secondary = true;
            why = "a secondary rate limit was hit (retry-after " + retryAfter + " s)";
        } else if (remaining != null && remaining == 0 && reset != null) {
            Instant at = Instant.ofEpochSecond(reset);
            resetAt = at.isAfter(now) ? at.plusSeconds(1) : now;
            secondary = false;
            why = "the primary rate limit (" + Optional.ofNullable(h.get("x-ratelimit-resource")).orElse("core")
                    + ") is exhausted";
        } else if (secondaryText || d.status() == 429) {
            // GitHub's guidance without retry-after: wait at least a minute, longer while it keeps refusing.
            resetAt = holdUntil(now, retry.secondaryLimitBackoff(), true);
            secondary = true;
            why = "a secondary rate limit was hit (no retry-after)";
        } else {
            return null;
        }
        Duration wait = Duration.between(now, resetAt);
        boolean retries = call.retrying() != GitHubHttp.Retrying.NEVER;
        boolean fits = retries && budget.take(wait);
        String how = fits ? "retries ran out" : !retries ? "this request is not retried"
                : "waiting " + wait.toSeconds() + " s would exceed the bound of " + retry.maxRateLimitWait().toSeconds()
                        + " s per call";
        GitHubApiException.RateLimited failure = new GitHubApiException.RateLimited(d,
                GitHubHttp.text(d, why + "; GitHub accepts requests again at " + resetAt + " (" + how + ")"), resetAt, secondary);
        if (!limitedEpisode) {
            synchronized (limitLock) {
                if (!limitedEpisode) {
                    limitedEpisode = true;
                    LOG.warn("GitHub rate-limited this client ({} {} -> {}, {} for {}): {}; {} until {}", call.method(),
                            call.url().encodedPath(), d.status(), call.operation(), call.scope(), why,
                            secondary ? "no request is sent" : "requests are refused", resetAt);
                }
            }
        }
        return fits ? new GitHubHttp.RetryableFailure(failure, wait) : failure;
    }

    /**
     * Records that GitHub asked for a pause of {@code wait} (doubled per earlier refusal in a row when
     * {@code exponential}, up to 8 times), and returns the instant before which no request is sent.
     */
    private Instant holdUntil(Instant now, Duration wait, boolean exponential) {
        synchronized (limitLock) {
            // Concurrent requests refused in the same episode count once: only a refusal after the hold ended
            // makes the next one longer.
            // A success while the hold lasted (a request sent before it) ended the streak: this refusal starts one.
            if (!now.isBefore(notBefore) || secondaryStreak == 0) {
                secondaryStreak++;
            }
            Duration hold = exponential ? wait.multipliedBy(1L << Math.min(secondaryStreak - 1, 3)) : wait;
            Instant until = now.plus(hold);
            if (until.isAfter(notBefore)) {
                notBefore = until;
            }
            return notBefore;
        }
    }

    /** A success: GitHub accepts requests again. */
    void lifted() {
        if (limitedEpisode) {   // every refusal sets it, so no lock on the common path
            synchronized (limitLock) {
                limitedEpisode = false;
                secondaryStreak = 0;
            }
        }
    }

    /**
     * Before a request: while a secondary limit holds the client, waits out the rest when the call's budget
     * allows, else fails fast without contacting GitHub.
     */
    void holdBack(GitHubHttp.Call call, WaitBudget budget) {
        Instant until;
        synchronized (limitLock) {
            until = notBefore;
        }
        Instant now = clock.instant();
        if (!now.isBefore(until)) {
            return;
        }
        Duration wait = Duration.between(now, until);
        // A few milliseconds left over from a retry's own wait (sleep and clock granularity) are always waited out.
        if (budget.take(wait) || wait.compareTo(Duration.ofMillis(100)) <= 0) {
            LOG.debug("holding '{}' back {} for GitHub's secondary rate limit", call.operation(), wait);
            sleeper.sleep(wait);
            return;
        }
        GitHubApiException.Details d = new GitHubApiException.Details(0, call.operation(), call.scope(), null, null,
                null);
        throw new GitHubApiException.RateLimited(d, "did not " + call.operation() + " for " + call.scope()
                + ": GitHub refused an earlier request for a secondary rate limit, so this client sends nothing before "
                + until + " (" + wait.toSeconds() + " s from now, over the bound of " + retry.maxRateLimitWait().toSeconds()
                + " s per call); retry after that", until, true);
    }
}
