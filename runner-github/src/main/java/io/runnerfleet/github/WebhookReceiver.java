package io.runnerfleet.github;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.runnerfleet.InvalidSpecException;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.Secret;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small embeddable HTTP endpoint for GitHub's {@code workflow_job} webhook: it checks each delivery's
 * signature and hands {@code queued} jobs to a consumer, typically a fleet that grows a pool for them, and
 * (when asked, as {@link Builder#fleet} does) {@code in_progress} and {@code completed} ones to another, so the
 * fleet knows which job each runner runs ({@code Runner.job()}).
 *
 * <pre>{@code
 * try (WebhookReceiver hooks = WebhookReceiver.builder(Secret.of(System.getenv("WEBHOOK_SECRET")))
 *         .port(8080)                      // default: 127.0.0.1 and a free port
 *         .fleet(fleet)                    // queued -> fleet.demand(...), in_progress/completed -> fleet.jobStarted/jobEnded
 *         .build()
 *         .start()) {
 *     System.out.println("point the webhook at " + hooks.uri());
 *     ...
 * }
 * }</pre>
 *
 * <p>Answers: {@code 202} for an accepted {@code queued} job (and, with a progress consumer, an accepted
 * {@code in_progress} or {@code completed} one), {@code 204} for deliveries it ignores (other events such as
 * {@code ping}, other actions, and redeliveries, see below), {@code 401} for a missing or wrong
 * {@code X-Hub-Signature-256}, {@code 400} for a body that is not a {@code workflow_job} event, {@code 422}
 * (with a plain-text reason, logged once at WARN) for a {@code queued} job that no runner can be chosen for
 * because its {@code runs-on} labels are empty or not valid runner labels, {@code 404} for another path,
 * {@code 405} for another method, {@code 413} above {@value #MAX_BODY} bytes and {@code 503} while closing.
 * The signature is checked before anything else is read from the body.
 *
 * <p>Redeliveries: a {@code queued} job is handed on once. A delivery whose {@code X-GitHub-Delivery} id was
 * handed on before, or another delivery of a workflow job id handed on before (GitHub may send one job under
 * several delivery ids), is answered {@code 204} and counted in {@link #duplicates()}. The receiver remembers
 * up to 10,000 delivery ids and as many job ids, each for 24 hours ({@link Builder#deduplication}); a job whose
 * consumer threw is forgotten, so a manual redelivery retries it. An {@code in_progress} or {@code completed}
 * delivery is recognised by its delivery id alone (its job was seen queued before). Give it the {@link JobDeduplicator} of a
 * {@link QueuedJobSweeper} ({@link Builder#deduplicator}) and a job is handed on once by either of them.
 *
 * <p>Slow senders: each connection has {@link Builder#requestTimeout} (default 5 s) to send its request, headers
 * and body; one still sending after that is closed unanswered. Up to {@value #HTTP_THREADS} requests are read at
 * once; more wait for a free thread, at most that timeout. So senders that stall cannot hold the receiver.
 *
 * <p>Sharp edges: the consumer runs on one daemon thread ({@code runnerfleet-webhook-dispatch}), in delivery
 * order and after the answer was sent, so a slow consumer delays later jobs but never GitHub's delivery;
 * its exceptions are logged and dropped. GitHub does not redeliver on its own, so a job lost here (for
 * example while the receiver was down) must be found by polling: run a {@link QueuedJobSweeper} beside it,
 * sharing a {@link JobDeduplicator}. Plain HTTP: put TLS in front of it
 * (a reverse proxy) when GitHub reaches it over the internet. The secret is never printed.
 */
public final class WebhookReceiver implements AutoCloseable {
    /** The largest body accepted, in bytes (GitHub caps payloads at 25 MB; a {@code workflow_job} is a few KB). */
    public static final int MAX_BODY = 1 << 20;

    /** The path deliveries are posted to. */
    public static final String PATH = "/webhook";

    /** Requests read at once; each is bounded by the request timeout, so stalled senders free them. */
    private static final int HTTP_THREADS = 16;

    private static final Logger LOG = LoggerFactory.getLogger(WebhookReceiver.class);

    private final WorkflowJobWebhook hook;
    private final InetSocketAddress bind;
    private final Consumer<WorkflowJobEvent> onQueued;
    private final Consumer<WorkflowJobEvent> onProgress;
    private final Duration requestTimeout;
    private final RecentDeliveries recent;
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong tracked = new AtomicLong();
    private final AtomicLong ignored = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();
    private HttpServer server;
    private ExecutorService http;
    private ScheduledThreadPoolExecutor watchdog;
    private ExecutorService dispatch;
    private volatile boolean closed;

    private WebhookReceiver(Builder b) {
        this.hook = WorkflowJobWebhook.withSecret(b.secret);
        this.bind = b.address;
        this.onQueued = b.onQueued;
        this.onProgress = b.onProgress;
        this.requestTimeout = b.requestTimeout;
        this.recent = (b.shared != null ? b.shared : JobDeduplicator.create(b.dedupEntries, b.dedupWindow, b.clock))
                .recent();
    }

    /**
     * A receiver for deliveries signed with {@code secret}. Defaults: address {@code 127.0.0.1}, port
     * {@code 0} (a free one, see {@link #uri()}), a request timeout of 5 seconds ({@link Builder#requestTimeout}),
     * redeliveries recognised among the last 10,000 delivery ids and job ids of the last 24 hours
     * ({@link Builder#deduplication}), and a consumer that must be set ({@link Builder#onQueued} or
     * {@link Builder#fleet}).
     */
    public static Builder builder(Secret secret) {
        return new Builder(Objects.requireNonNull(secret, "secret"));
    }

    /**
     * Binds the address and starts answering; idempotent.
     *
     * @throws IllegalStateException when the receiver was closed
     * @throws UncheckedIOException when the address cannot be bound (the message names it)
     */
    public synchronized WebhookReceiver start() {
        if (closed) {
            throw new IllegalStateException(this + " is closed; build a new receiver");
        }
        if (server != null) {
            return this;
        }
        HttpServer s;
        try {
            s = HttpServer.create(bind, 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the webhook receiver to " + bind.getHostString() + ":"
                    + bind.getPort() + " (" + e.getMessage() + "); choose a free port or port 0", e);
        }
        http = Executors.newFixedThreadPool(HTTP_THREADS, daemon("runnerfleet-webhook-http"));
        watchdog = new ScheduledThreadPoolExecutor(1, daemon("runnerfleet-webhook-watchdog"));
        watchdog.setRemoveOnCancelPolicy(true);
        dispatch = Executors.newSingleThreadExecutor(daemon("runnerfleet-webhook-dispatch"));
        ExecutorService pool = http;
        s.setExecutor(exchange -> pool.execute(() -> withDeadline(exchange)));
        s.createContext(PATH, this::handle);
        // The JDK's dispatcher thread inherits daemon status from the thread that starts the server:
        // start it from a daemon thread so that a forgotten receiver never keeps the JVM alive.
        Thread starter = daemon("runnerfleet-webhook-start").newThread(s::start);
        starter.start();
        try {
            starter.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = s;
        return this;
    }

    /**
     * Where GitHub should post: {@code http://<host>:<port>/webhook}.
     *
     * @throws IllegalStateException before {@link #start()}
     */
    public synchronized URI uri() {
        if (server == null) {
            throw new IllegalStateException("the webhook receiver is not started; call start() first");
        }
        InetSocketAddress a = server.getAddress();
        String host = a.getAddress().getHostAddress();
        return URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort() + PATH);
    }

    /** How many {@code queued} deliveries were accepted and handed on. */
    public long accepted() {
        return accepted.get();
    }

    /** How many {@code in_progress} and {@code completed} deliveries were accepted and handed to the progress consumer. */
    public long tracked() {
        return tracked.get();
    }

    /**
     * How many deliveries were rejected (bad signature, bad body, unusable {@code runs-on} labels, wrong path or
     * method, too large) or cut off for exceeding the request timeout.
     */
    public long rejected() {
        return rejected.get();
    }

    /** How many valid deliveries were ignored (other events, other actions). */
    public long ignored() {
        return ignored.get();
    }

    /**
     * How many valid {@code queued} deliveries were answered {@code 204} and not handed on because their
     * delivery id or their job was handed on before.
     */
    public long duplicates() {
        return duplicates.get();
    }

    /**
     * Runs one exchange of the JDK server (it reads the request line, headers and then calls {@link #handle})
     * with a deadline. The server reads through a blocking {@code SocketChannel} on this thread, and such a
     * channel is interruptible: interrupting the thread closes that connection and ends the blocked read.
     * This bounds slow senders per server, where the server's own limits are JVM-wide system properties.
     */
    private void withDeadline(Runnable exchange) {
        Deadline deadline = new Deadline(Thread.currentThread());
        ScheduledFuture<?> alarm;
        try {
            alarm = watchdog.schedule(deadline::expire, requestTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            alarm = null;
        }
        try {
            exchange.run();
        } finally {
            if (alarm != null) {
                alarm.cancel(false);
            }
            if (deadline.finish()) {
                rejected.incrementAndGet();
                LOG.debug("webhook receiver: closed a connection that sent no complete request within {}",
                        requestTimeout);
            }
            // An alarm that fired after the exchange ended must not leak into the next one on this thread.
            Thread.interrupted();
        }
    }

    /** One exchange's alarm: interrupts its thread once, unless the exchange finished first. */
    private static final class Deadline {
        private final Thread thread;
        private boolean done;
        private boolean expired;

        Deadline(Thread thread) {
            this.thread = thread;
        }

        synchronized void expire() {
            if (!done) {
                expired = true;
                thread.interrupt();
            }
        }

        /** Ends the exchange; whether the alarm had fired. */
        synchronized boolean finish() {
            done = true;
            return expired;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestURI().getPath().equals(PATH)) {
                reject(ex, 404);
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().add("Allow", "POST");
                reject(ex, 405);
                return;
            }
            byte[] body = read(ex.getRequestBody());
            if (body == null) {
                reject(ex, 413);
                return;
            }
            String event = ex.getRequestHeaders().getFirst("X-GitHub-Event");
            String delivery = ex.getRequestHeaders().getFirst("X-GitHub-Delivery");
            String named = delivery == null ? "(no X-GitHub-Delivery id)" : delivery;
            WorkflowJobEvent parsed;
            try {
                hook.verify(body, ex.getRequestHeaders().getFirst("X-Hub-Signature-256"));
                if (event != null && !event.equals("workflow_job")) {
                    ignored.incrementAndGet();
                    ex.sendResponseHeaders(204, -1);
                    return;
                }
                parsed = WorkflowJobEvent.parse(body);
            } catch (WebhookException e) {
                // The sender learns only the status; the reason is ours (it never holds the secret).
                LOG.warn("webhook delivery {} rejected: {}", named, e.getMessage());
                reject(ex, e.signatureProblem() ? 401 : 400);
                return;
            }
            if (progress(parsed.action()) && onProgress != null) {
                handOnProgress(ex, parsed, delivery, named);
                return;
            }
            if (parsed.action() != WorkflowJobEvent.Action.QUEUED) {
                ignored.incrementAndGet();
                ex.sendResponseHeaders(204, -1);
                return;
            }
            try {
                parsed.jobRequest();
            } catch (InvalidSpecException e) {
                // Answered, not dropped: GitHub shows the failed delivery and this reason in the hook's log.
                LOG.warn("webhook delivery {} refused with 422: {}", named, e.getMessage());
                rejected.incrementAndGet();
                byte[] reason = (e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
                ex.sendResponseHeaders(422, reason.length);
                ex.getResponseBody().write(reason);
                return;
            }
            long job = parsed.job().id();
            RecentDeliveries.Verdict verdict = recent.record(delivery, job);
            if (verdict != RecentDeliveries.Verdict.NEW) {
                duplicates.incrementAndGet();
                LOG.debug("webhook delivery {} not handed on: {} of job {}", named,
                        verdict == RecentDeliveries.Verdict.SAME_DELIVERY ? "a redelivery" : "another delivery", job);
                ex.sendResponseHeaders(204, -1);
                return;
            }
            try {
                dispatch.execute(() -> deliver(parsed, delivery));
            } catch (RejectedExecutionException e) {
                recent.forget(delivery, job);
                reject(ex, 503);
                return;
            }
            accepted.incrementAndGet();
            ex.sendResponseHeaders(202, -1);
        }
    }

    private static boolean progress(WorkflowJobEvent.Action action) {
        return action == WorkflowJobEvent.Action.IN_PROGRESS || action == WorkflowJobEvent.Action.COMPLETED;
    }

    // A started or finished job: its job id was recorded when it was queued, so only the delivery id tells a redelivery.
    private void handOnProgress(HttpExchange ex, WorkflowJobEvent event, String delivery, String named) throws IOException {
        if (!recent.recordDelivery(delivery)) {
            duplicates.incrementAndGet();
            LOG.debug("webhook delivery {} not handed on: a redelivery of job {} {}", named, event.job().id(),
                    event.action());
            ex.sendResponseHeaders(204, -1);
            return;
        }
        try {
            dispatch.execute(() -> deliverProgress(event, delivery));
        } catch (RejectedExecutionException e) {
            recent.forgetDelivery(delivery);
            reject(ex, 503);
            return;
        }
        tracked.incrementAndGet();
        ex.sendResponseHeaders(202, -1);
    }

    private void deliverProgress(WorkflowJobEvent event, String deliveryId) {
        try {
            onProgress.accept(event);
        } catch (RuntimeException e) {
            recent.forgetDelivery(deliveryId);
            LOG.warn("webhook receiver: handling {} job {} ({} of {}) failed: {}", event.action(), event.job().id(),
                    event.job().name(), event.repository(), e.toString());
        }
    }

    private void reject(HttpExchange ex, int status) throws IOException {
        rejected.incrementAndGet();
        ex.sendResponseHeaders(status, -1);
    }

    private void deliver(WorkflowJobEvent event, String deliveryId) {
        try {
            onQueued.accept(event);
        } catch (RuntimeException e) {
            // Not handled, so not a duplicate: a manual redelivery from GitHub's UI may retry it.
            recent.forget(deliveryId, event.job().id());
            LOG.warn("webhook receiver: handling queued job {} ({} of {}) failed: {}", event.job().id(),
                    event.job().name(), event.repository(), e.toString());
        }
    }

    /** The body, or {@code null} when it is larger than {@link #MAX_BODY}. */
    private static byte[] read(InputStream in) throws IOException {
        byte[] body = in.readNBytes(MAX_BODY + 1);
        return body.length > MAX_BODY ? null : body;
    }

    /** Stops answering at once and lets accepted jobs reach the consumer (bounded); idempotent. */
    @Override
    public void close() {
        HttpServer s;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            s = server;
        }
        if (s == null) {
            return;
        }
        s.stop(0);
        dispatch.shutdown();
        http.shutdown();
        watchdog.shutdownNow();
        try {
            if (!dispatch.awaitTermination(5, TimeUnit.SECONDS)) {
                dispatch.shutdownNow();
            }
            http.awaitTermination(1, TimeUnit.SECONDS);
            watchdog.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            dispatch.shutdownNow();
        }
        http.shutdownNow();
    }

    /**
     * {@code WebhookReceiver[http://127.0.0.1:40123/webhook, secret ****, 3 accepted, 1 ignored, 2 duplicates,
     * 0 rejected]}.
     */
    @Override
    public synchronized String toString() {
        String where = closed ? "closed" : server == null ? "not started, " + bind.getHostString() + ":" + bind.getPort()
                : uri().toString();
        return "WebhookReceiver[" + where + ", secret ****, " + accepted + " accepted, " + ignored + " ignored, "
                + duplicates + " duplicates, " + rejected + " rejected]";
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Settings of a {@link WebhookReceiver}; defaults are listed on {@link WebhookReceiver#builder}. */
    public static final class Builder {
        private final Secret secret;
        private InetSocketAddress address;
        private Consumer<WorkflowJobEvent> onQueued;
        private Consumer<WorkflowJobEvent> onProgress;
        private Duration requestTimeout = Duration.ofSeconds(5);
        private int dedupEntries = 10_000;
        private Duration dedupWindow = Duration.ofHours(24);
        private JobDeduplicator shared;
        private Clock clock = Clock.systemUTC();

        private Builder(Secret secret) {
            this.secret = secret;
            this.address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        }

        /**
         * The interface to bind, e.g. {@code 127.0.0.1} (the default) or {@code 0.0.0.0} for every interface.
         *
         * @throws InvalidSpecException when it is not an IP address or a resolvable name
         */
        public Builder host(String host) {
            Objects.requireNonNull(host, "host");
            try {
                address = new InetSocketAddress(InetAddress.getByName(host), address.getPort());
            } catch (UnknownHostException e) {
                throw new InvalidSpecException("webhook receiver host '" + host + "' cannot be resolved; give an IP"
                        + " address such as 127.0.0.1", e);
            }
            return this;
        }

        /**
         * The port to listen on; {@code 0} (the default) takes a free one.
         *
         * @throws InvalidSpecException outside 0..65535
         */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new InvalidSpecException("webhook receiver port " + port + " is not between 0 and 65535"
                        + " (0 picks a free port)");
            }
            address = new InetSocketAddress(address.getAddress(), port);
            return this;
        }

        /**
         * How long a connection may take to send one request, headers and body; default 5 seconds. A sender
         * still sending after that is closed without an answer, so stalled senders cannot hold the receiver.
         *
         * @throws InvalidSpecException when not positive or longer than 10 minutes
         */
        public Builder requestTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new InvalidSpecException("webhook receiver requestTimeout " + timeout + " must be positive and"
                        + " at most 10 minutes (GitHub itself gives up after 10 seconds); e.g. Duration.ofSeconds(5)");
            }
            this.requestTimeout = timeout;
            return this;
        }

        /**
         * How redeliveries are recognised: the receiver remembers up to {@code maxEntries} {@code X-GitHub-Delivery}
         * ids and as many workflow job ids, each for {@code window}, dropping the oldest first. Defaults: 10,000
         * and 24 hours (a few MB at most). A delivery older than that is handed on again.
         *
         * @throws InvalidSpecException when {@code maxEntries} is below 1 or above 1,000,000, or {@code window}
         *                              is not positive
         */
        public Builder deduplication(int maxEntries, Duration window) {
            Objects.requireNonNull(window, "window");
            if (maxEntries < 1 || maxEntries > 1_000_000) {
                throw new InvalidSpecException("webhook receiver deduplication maxEntries " + maxEntries
                        + " must be between 1 and 1000000 (default 10000)");
            }
            if (window.isNegative() || window.isZero()) {
                throw new InvalidSpecException("webhook receiver deduplication window " + window
                        + " must be positive (default PT24H)");
            }
            this.dedupEntries = maxEntries;
            this.dedupWindow = window;
            this.shared = null;
            return this;
        }

        /**
         * Remembers handed-on jobs in {@code deduplicator}, shared with a {@link QueuedJobSweeper} so that a job
         * demanded by one of them is not demanded again by the other; instead of a memory of its own
         * ({@link #deduplication}). Of the two settings the last call wins.
         */
        public Builder deduplicator(JobDeduplicator deduplicator) {
            this.shared = Objects.requireNonNull(deduplicator, "deduplicator");
            return this;
        }

        /** The clock that ages remembered deliveries (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** What to do with each {@code queued} job (runs on the receiver's dispatch thread). */
        public Builder onQueued(Consumer<WorkflowJobEvent> consumer) {
            this.onQueued = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * What to do with each {@code in_progress} and {@code completed} delivery (on the dispatch thread, in
         * delivery order with queued jobs); default none, and they are ignored.
         */
        public Builder onProgress(Consumer<WorkflowJobEvent> consumer) {
            this.onProgress = Objects.requireNonNull(consumer, "consumer");
            return this;
        }

        /**
         * Grows {@code fleet} for each queued job ({@code fleet.demand(event.jobRequest())}) and tells it which
         * job its runners start and finish ({@code fleet.jobStarted}, {@code fleet.jobEnded}; runners of other
         * fleets are ignored there).
         */
        public Builder fleet(RunnerFleet fleet) {
            runningJobs(fleet);
            return onQueued(JobHandoff.demand(fleet, "webhook receiver", LOG));
        }

        /**
         * Tells {@code fleet} which job its runners start and finish ({@code fleet.jobStarted},
         * {@code fleet.jobEnded}), beside a queued-job consumer of your own; the progress consumer.
         */
        public Builder runningJobs(RunnerFleet fleet) {
            return onProgress(JobHandoff.track(fleet));
        }

        /**
         * The receiver, not yet listening (call {@link WebhookReceiver#start()}).
         *
         * @throws InvalidSpecException when no consumer was set
         */
        public WebhookReceiver build() {
            JobHandoff.required(onQueued, "the webhook receiver", "queued jobs");
            return new WebhookReceiver(this);
        }
    }
}
