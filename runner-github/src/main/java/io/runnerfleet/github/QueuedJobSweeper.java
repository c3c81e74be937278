package io.runnerfleet.github;

import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.github.internal.Json;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net under {@link WebhookReceiver}: every few minutes it lists the queued workflow runs of some
 * repositories and their jobs, and hands on each job that has waited longer than a threshold with no runner,
 * once. GitHub does not redeliver a lost {@code workflow_job} webhook by itself, so without this a job whose
 * delivery was lost (the receiver was down, the network dropped it) stays queued until GitHub fails it after
 * 24 hours.
 *
 * <pre>{@code
 * JobDeduplicator seen = JobDeduplicator.create();     // shared: each job is demanded once, by either
 * try (WebhookReceiver hooks = WebhookReceiver.builder(secret).fleet(fleet).deduplicator(seen).build().start();
 *      QueuedJobSweeper sweeper = QueuedJobSweeper.builder(github)
 *              .repositories("acme/app", "acme/firmware")
 *              .fleet(fleet)                        // overdue job -> fleet.demand(event.jobRequest())
 *              .deduplicator(seen)
 *              .build()
 *              .start()) {                          // first sweep at once, then every 5 minutes
 *     ...
 * }
 * }</pre>
 *
 * <p>What a sweep does, per repository: one {@code GET /repos/{owner}/{repo}/actions/runs?status=queued} (all
 * pages), then, for each run created before the threshold, {@code GET .../runs/{run_id}/jobs}. A job that is
 * {@code queued}, has no runner and was created more than the threshold ago is handed on, unless the
 * {@link JobDeduplicator} remembers it (the webhook, or an earlier sweep, handed it on already). A job whose
 * consumer threw is forgotten and retried by the next sweep; a job whose {@code runs-on} labels cannot be
 * matched (see {@link WorkflowJobEvent#jobRequest()}) is logged once and skipped. The events handed on are
 * built from the REST API: {@link WorkflowJobEvent#installationId()} and {@link WorkflowJobEvent#runnerGroup()}
 * are {@code null}, {@link WorkflowJobEvent#sender()} is the run's triggering actor.
 *
 * <p>Rate limits: every request is conditional (ETags), so a sweep that finds nothing new costs only
 * {@code 304 Not Modified} answers, which GitHub does not count; with no queued run that is one request per
 * repository. Sweeps never come faster than the cadence (at least {@value #MIN_CADENCE_SECONDS} seconds). While
 * the client's last known {@code core} bucket has less than the reserve left ({@link Builder#rateLimitReserve},
 * default 10%, kept for the fleet's own calls) no request is sent and the next sweep waits for the bucket's
 * reset; a rate-limit refusal in a sweep also postpones the next one to GitHub's reset time.
 *
 * <p>Sharp edges: give it the same {@link JobDeduplicator} as the receiver, or each of them remembers only its
 * own jobs and a job the webhook already demanded is demanded again once it is overdue. A job that was demanded
 * but whose runner never came is not demanded again (that is the fleet's business). Only {@code queued} runs are
 * listed by default: a job queued inside a run that already started another job (a later job of a
 * {@code needs:} chain) belongs to an {@code in_progress} run, which {@link Builder#inProgressRuns} adds at the
 * cost of one more list per repository and a jobs list per running run each sweep. The consumer runs on the
 * sweeper's daemon thread ({@code runnerfleet-queued-job-sweeper}); failures of a sweep or of the consumer are
 * logged, once per episode, and never end the loop. Needs read access to Actions ({@code repo} scope for
 * private repositories, fine-grained "Actions: read", App permission {@code actions: read}).
 */
public final class QueuedJobSweeper implements AutoCloseable {
    /** The shortest cadence accepted, in seconds. */
    public static final int MIN_CADENCE_SECONDS = 30;

    private static final Logger LOG = LoggerFactory.getLogger(QueuedJobSweeper.class);
    private static final Duration MAX_DURATION = Duration.ofHours(24);

    /** A repository to sweep. */
    private record Repository(String fullName, RunnerApi api) {
    }

    /** A run as listed, with the parts of its repository that the job request needs. */
    private record Run(WorkflowRun run, String repository, boolean privateRepository, String organization,
                       String actor) {
    }

    /** A sweep must stop here: the rate limit's reserve is reached, or GitHub refused for a rate limit. */
    private static final class Held extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Instant until;

        Held(Instant until, String why) {
            super(why, null, false, false);
            this.until = until;
        }
    }

    private final GitHubClient client;
    private final List<Repository> repositories;
    private final Consumer<WorkflowJobEvent> onQueued;
    private final RecentDeliveries seen;
    // Jobs that cannot be matched: logged once each, and kept out of the shared memory so that the webhook
    // still refuses them with its own answer.
    private final RecentDeliveries refused;
    private final Duration threshold;
    private final Duration cadence;
    private final double reserve;
    private final boolean inProgressRuns;
    private final Clock clock;
    private final AtomicLong demanded = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong sweeps = new AtomicLong();
    private final Object sweepLock = new Object();
    private final Map<String, Boolean> failing = new ConcurrentHashMap<>();
    private boolean heldEpisode;
    private boolean consumerFailing;
    private ScheduledExecutorService thread;
    private volatile Instant nextSweep;
    private volatile boolean closed;

    private QueuedJobSweeper(Builder b) {
        this.client = b.client;
        List<Repository> repos = new ArrayList<>();
        b.repositories.values().forEach(scope -> repos.add(new Repository(scope.owner() + "/" + scope.repository(),
                b.client.runners(scope))));
        this.repositories = List.copyOf(repos);
        this.onQueued = b.onQueued;
        this.seen = (b.deduplicator != null ? b.deduplicator : JobDeduplicator.create(10_000, MAX_DURATION, b.clock))
                .recent();
        this.refused = new RecentDeliveries(10_000, MAX_DURATION, b.clock);
        this.threshold = b.threshold;
        this.cadence = b.cadence;
        this.reserve = b.reserve;
        this.inProgressRuns = b.inProgressRuns;
        this.clock = b.clock;
    }

    /**
     * A sweeper that lists through {@code client}. Defaults: a job is overdue after 2 minutes queued with no
     * runner ({@link Builder#threshold}), a sweep every 5 minutes ({@link Builder#cadence}), sweeps pause while
     * less than 10% of the {@code core} rate limit is left ({@link Builder#rateLimitReserve}), only {@code queued}
     * runs ({@link Builder#inProgressRuns}), a job memory of its own ({@link Builder#deduplicator}: share the
     * receiver's), and repositories and a consumer that must be set ({@link Builder#repositories},
     * {@link Builder#fleet} or {@link Builder#onQueued}).
     */
    public static Builder builder(GitHubClient client) {
        return new Builder(Objects.requireNonNull(client, "client"));
    }

    /**
     * Starts the sweeper's daemon thread, which sweeps at once and then at the cadence; idempotent.
     *
     * @throws IllegalStateException when the sweeper was closed
     */
    public synchronized QueuedJobSweeper start() {
        if (closed) {
            throw new IllegalStateException(this + " is closed; build a new sweeper");
        }
        if (thread == null) {
            thread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "runnerfleet-queued-job-sweeper");
                t.setDaemon(true);
                return t;
            });
            schedule(Duration.ZERO);
        }
        return this;
    }

    /** How many overdue jobs were handed on. */
    public long demanded() {
        return demanded.get();
    }

    /**
     * How many times a sweep found an overdue job that had been handed on before (by the webhook or an earlier
     * sweep) and left it alone; a job that stays queued counts once per sweep.
     */
    public long duplicates() {
        return duplicates.get();
    }

    /** How many sweeps ran to the end. */
    public long sweeps() {
        return sweeps.get();
    }

    private void loop() {
        Duration next;
        try {
            next = sweep();
        } catch (RuntimeException e) {
            // sweep() handles GitHub's failures itself; this is a bug, and the loop must survive it.
            if (!closed) {
                LOG.warn("queued-job sweeper: a sweep failed unexpectedly; next sweep in {}", cadence, e);
            }
            next = cadence;
        }
        schedule(next);
    }

    private synchronized void schedule(Duration delay) {
        if (closed) {
            return;
        }
        nextSweep = clock.instant().plus(delay);
        try {
            thread.schedule(this::loop, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // close() won the race.
        }
    }

    /**
     * Sweeps every repository once, now, on the calling thread, and returns how long to wait before the next
     * sweep: the cadence, or longer while the rate limit holds sweeps back.
     */
    Duration sweep() {
        synchronized (sweepLock) {
            Instant start = clock.instant();
            try {
                for (Repository repo : repositories) {
                    sweep(repo, start);
                }
            } catch (Held held) {
                if (!heldEpisode && !closed) {
                    heldEpisode = true;
                    LOG.info("queued-job sweeper: pausing sweeps until {}: {}", held.until, held.getMessage());
                }
                Duration wait = Duration.between(clock.instant(), held.until);
                return wait.compareTo(cadence) > 0 ? wait : cadence;
            }
            heldEpisode = false;
            sweeps.incrementAndGet();
            return cadence;
        }
    }

    private void sweep(Repository repo, Instant now) {
        try {
            List<Run> runs = new ArrayList<>(runs(repo, "queued"));
            if (inProgressRuns) {
                runs.addAll(runs(repo, "in_progress"));
            }
            Instant overdue = now.minus(threshold);
            for (Run run : runs) {
                // A run created after the cutoff cannot hold a job that has waited longer than the threshold.
                if (run.run().createdAt().isAfter(overdue)) {
                    continue;
                }
                List<WorkflowJob> jobs;
                try {
                    holdForRateLimit();
                    jobs = repo.api().jobs(run.run().id());
                } catch (GitHubApiException.NotFound gone) {
                    continue;   // the run was deleted since it was listed
                }
                for (WorkflowJob job : jobs) {
                    Instant queuedAt = job.createdAt() != null ? job.createdAt()
                            : job.startedAt() != null ? job.startedAt() : run.run().createdAt();
                    if ("queued".equals(job.status()) && job.runnerId() == null && !queuedAt.isAfter(overdue)) {
                        hand(run, job, queuedAt);
                    }
                }
            }
            if (failing.remove(repo.fullName()) != null && !closed) {
                LOG.info("queued-job sweeper: sweeping {} works again", repo.fullName());
            }
        } catch (GitHubApiException.RateLimited e) {
            Instant until = e.resetAt() != null ? e.resetAt() : clock.instant().plus(cadence);
            throw new Held(until, "GitHub refused a request for a rate limit (" + e.getMessage() + ")");
        } catch (GitHubApiException | InvalidSpecException e) {
            if (failing.put(repo.fullName(), Boolean.TRUE) == null && !closed) {
                LOG.warn("queued-job sweeper: cannot sweep {} (retried every sweep, logged once): {}",
                        repo.fullName(), e.getMessage());
            } else {
                LOG.debug("queued-job sweeper: cannot sweep {}: {}", repo.fullName(), e.getMessage());
            }
        }
    }

    private List<Run> runs(Repository repo, String status) {
        holdForRateLimit();
        return repo.api().workflowRuns(status, o -> run(o, repo.fullName()));
    }

    private static Run run(Map<String, Object> o, String configured) {
        WorkflowRun run = Mappers.run(o);
        Map<String, Object> repository = o.get("repository") instanceof Map<?, ?>
                ? Json.object(o.get("repository"), "repository") : Map.of();
        String fullName = Optional.ofNullable(Json.optString(repository, "full_name")).orElse(configured);
        String organization = null;
        if (repository.get("owner") instanceof Map<?, ?>) {
            Map<String, Object> owner = Json.object(repository.get("owner"), "owner");
            organization = "Organization".equals(Json.optString(owner, "type")) ? Json.optString(owner, "login") : null;
        }
        String actor = null;
        for (String key : List.of("triggering_actor", "actor")) {
            if (actor == null && o.get(key) instanceof Map<?, ?>) {
                actor = Json.optString(Json.object(o.get(key), key), "login");
            }
        }
        // Absent "private" reads as public, the stricter case for runner groups, as in webhook deliveries.
        return new Run(run, fullName, Json.bool(repository, "private"), organization, actor);
    }

    /** Throws {@link Held} when the client's last known {@code core} bucket is down to the reserve. */
    private void holdForRateLimit() {
        RateLimit core = client.rateLimits().get("core");
        if (core == null || !core.reset().isAfter(clock.instant())) {
            return;   // unknown, or a window that has reset since
        }
        long floor = (long) Math.ceil(core.limit() * reserve);
        if (core.remaining() <= floor) {
            throw new Held(core.reset().plusSeconds(1), core.remaining() + " of " + core.limit()
                    + " core requests left, at or under the reserve of " + floor + " kept for the fleet");
        }
    }

    private void hand(Run run, WorkflowJob job, Instant queuedAt) {
        WorkflowJobEvent event = new WorkflowJobEvent(WorkflowJobEvent.Action.QUEUED, job, run.repository(),
                run.privateRepository(), run.organization(), null, run.actor(), null);
        try {
            event.jobRequest();
        } catch (InvalidSpecException e) {
            if (refused.record(null, job.id()) == RecentDeliveries.Verdict.NEW && !closed) {
                LOG.warn("queued-job sweeper: job {} has waited since {} but cannot be demanded: {}", job.id(),
                        queuedAt, e.getMessage());
            }
            return;
        }
        if (seen.record(null, job.id()) != RecentDeliveries.Verdict.NEW) {
            duplicates.incrementAndGet();
            return;
        }
        LOG.debug("queued-job sweeper: job {} ({} of {}) is queued since {} with no runner; handing it on", job.id(),
                job.name(), run.repository(), queuedAt);
        try {
            onQueued.accept(event);
            demanded.incrementAndGet();
            consumerFailing = false;
        } catch (RuntimeException e) {
            // Not handled, so not remembered: the next sweep (or a webhook redelivery) retries it.
            seen.forget(null, job.id());
            if (!consumerFailing && !closed) {
                consumerFailing = true;
                LOG.warn("queued-job sweeper: handling queued job {} ({} of {}) failed (retried next sweep,"
                        + " logged once until a job succeeds): {}", job.id(), job.name(), run.repository(), e.toString());
            }
        }
    }

    /** Stops the sweeper's thread, interrupting a sweep in flight; idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        t.shutdownNow();
        try {
            t.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * {@code QueuedJobSweeper[acme/app, acme/firmware; every PT5M, threshold PT2M; 3 demanded, 1 duplicates,
     * 12 sweeps; next at 2026-01-01T00:05:00Z]}.
     */
    @Override
    public String toString() {
        String state = closed ? "closed" : nextSweep == null ? "not started" : "next at " + nextSweep;
        return "QueuedJobSweeper[" + String.join(", ", repositories.stream().map(Repository::fullName).toList())
                + "; every " + cadence + ", threshold " + threshold + "; " + demanded + " demanded, " + duplicates
                + " duplicates, " + sweeps + " sweeps; " + state + "]";
    }

    /** Settings of a {@link QueuedJobSweeper}; defaults are listed on {@link QueuedJobSweeper#builder}. */
    public static final class Builder {
        private final GitHubClient client;
        private final Map<String, RunnerScope> repositories = new LinkedHashMap<>();
        private Consumer<WorkflowJobEvent> onQueued;
        private JobDeduplicator deduplicator;
        private Duration threshold = Duration.ofMinutes(2);
        private Duration cadence = Duration.ofMinutes(5);
        private double reserve = 0.1;
        private boolean inProgressRuns;
        private Clock clock = Clock.systemUTC();

        private Builder(GitHubClient client) {
            this.client = client;
        }

        /**
         * The repositories to sweep, as {@code owner/name}; replaces any given before. Repeats count once.
         *
         * @throws InvalidSpecException when one is not in {@code owner/name} form
         */
        public Builder repositories(String... repositories) {
            return repositories(List.of(Objects.requireNonNull(repositories, "repositories")));
        }

        /**
         * The repositories to sweep, as {@code owner/name}; replaces any given before. Repeats count once.
         *
         * @throws InvalidSpecException when one is not in {@code owner/name} form
         */
        public Builder repositories(Collection<String> repositories) {
            Objects.requireNonNull(repositories, "repositories");
            Map<String, RunnerScope> parsed = new LinkedHashMap<>();
            for (String r : repositories) {
                RunnerScope scope = repository(r);
                parsed.putIfAbsent((scope.owner() + "/" + scope.repository()).toLowerCase(Locale.ROOT), scope);
            }
            this.repositories.clear();
            this.repositories.putAll(parsed);
            return this;
        }

        private static RunnerScope repository(String fullName) {
            String[] parts = fullName == null ? new String[0] : fullName.split("/", -1);
            if (parts.length == 2) {
                try {
                    return RunnerScope.repository(parts[0], parts[1]);
                } catch (InvalidSpecException e) {
                    // Reported below with the whole name.
                }
            }
            throw new InvalidSpecException("queued-job sweeper repository '" + fullName + "' is not in owner/name"
                    + " form; give e.g. \"acme/app\" (an organization is not enough: runs belong to repositories)");
        }

        /**
         * How long a job may wait queued with no runner before the sweeper hands it on; default 2 minutes. A
         * webhook normally arrives within seconds, so the threshold mostly decides how late a lost one is made up.
         *
         * @throws InvalidSpecException when not positive or longer than 24 hours (GitHub fails a job queued that long)
         */
        public Builder threshold(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative() || threshold.isZero() || threshold.compareTo(MAX_DURATION) >= 0) {
                throw new InvalidSpecException("queued-job sweeper threshold " + threshold + " must be positive and"
                        + " under 24 hours (GitHub fails a job queued that long); e.g. Duration.ofMinutes(2)");
            }
            this.threshold = threshold;
            return this;
        }

        /**
         * How often to sweep; default 5 minutes, at least {@value QueuedJobSweeper#MIN_CADENCE_SECONDS} seconds.
         *
         * @throws InvalidSpecException when shorter than that or longer than 24 hours
         */
        public Builder cadence(Duration cadence) {
            Objects.requireNonNull(cadence, "cadence");
            if (cadence.compareTo(Duration.ofSeconds(MIN_CADENCE_SECONDS)) < 0 || cadence.compareTo(MAX_DURATION) > 0) {
                throw new InvalidSpecException("queued-job sweeper cadence " + cadence + " must be between "
                        + MIN_CADENCE_SECONDS + " seconds and 24 hours, so that sweeps stay cheap in rate limit;"
                        + " e.g. Duration.ofMinutes(5)");
            }
            this.cadence = cadence;
            return this;
        }

        /**
         * The share of the {@code core} rate limit left to the fleet's own calls: while no more than
         * {@code fraction} of it remains, no sweep sends a request until the bucket resets. Default 0.1.
         *
         * @throws InvalidSpecException when not at least 0 and below 1
         */
        public Builder rateLimitReserve(double fraction) {
            if (!(fraction >= 0 && fraction < 1)) {
                throw new InvalidSpecException("queued-job sweeper rateLimitReserve " + fraction + " must be at"
                        + " least 0 and below 1 (a share of the rate limit, default 0.1)");
            }
            this.reserve = fraction;
            return this;
        }

        /**
         * Whether to look into {@code in_progress} runs too, for jobs queued after another job of their run has
         * started (a {@code needs:} chain); default {@code false}. Costs one more list per repository and a jobs
         * list per running run (older than the threshold) each sweep.
         */
        public Builder inProgressRuns(boolean inProgressRuns) {
            this.inProgressRuns = inProgressRuns;
            return this;
        }

        /**
         * The memory of jobs handed on, shared with a {@link WebhookReceiver} (its
         * {@link WebhookReceiver.Builder#deduplicator}) so that each job is demanded once by either of them.
         * Default: a memory of its own (10,000 jobs, 24 hours), which knows nothing of the webhook's jobs.
         */
        public Builder deduplicator(JobDeduplicator deduplicator) {
            this.deduplicator = Objects.requireNonNull(deduplicator, "deduplicator");
            return this;
        }

        /** What to do with each overdue job (runs on the sweeper's thread). */
        public Builder onQueued(Consumer<WorkflowJobEvent> consumer) {
            this.onQueued = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /** Grows {@code fleet} for each overdue job: {@code fleet.demand(event.jobRequest())}. */
        public Builder fleet(RunnerFleet fleet) {
            return onQueued(JobHandoff.demand(fleet, "queued-job sweeper", LOG));
        }

        /** The clock that ages jobs and rate-limit windows (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The sweeper, not yet sweeping (call {@link QueuedJobSweeper#start()}).
         *
         * @throws InvalidSpecException when no repository or no consumer was set
         */
        public QueuedJobSweeper build() {
            if (repositories.isEmpty()) {
                throw new InvalidSpecException("the queued-job sweeper has no repository to sweep; call"
                        + " .repositories(\"owner/name\", ...) before build()");
            }
            JobHandoff.required(onQueued, "the queued-job sweeper", "overdue jobs");
            return new QueuedJobSweeper(this);
        }
    }
}
