package io.runnerfleet.internal.fleet;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.RunnerState;
import io.runnerfleet.internal.RunnerLaunch;
import io.runnerfleet.spi.InstanceInfo;
import io.runnerfleet.spi.JitConfig;
import io.runnerfleet.spi.JitRequest;
import io.runnerfleet.spi.LaunchSpec;
import io.runnerfleet.spi.RegisteredRunner;
import io.runnerfleet.spi.RegistrationGrant;
import io.runnerfleet.spi.RunnerNameConflictException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Creates one runner: makes its pool's image ready (once per pool), obtains its registration (a shared
 * token, or a JIT config for its name), launches its instance and moves it to Registering. Runs on a
 * worker thread holding the runner's claim; a failure goes to {@link Replacing#failInWorker}.
 */
final class Provisioning {
    private final FleetContext fx;
    private final Teardown teardown;
    private final Replacing replacing;
    private final TokenCache tokens;
    private final Map<String, CompletableFuture<String>> images = new ConcurrentHashMap<>();

    Provisioning(FleetContext fx, Teardown teardown, Replacing replacing) {
        this.fx = fx;
        this.teardown = teardown;
        this.replacing = replacing;
        this.tokens = new TokenCache(fx.registry(), fx.clock());
    }

    /** How many registration tokens were asked for. */
    int tokensMinted() {
        return tokens.minted();
    }

    /** Launches {@code r} (claimed, in Provisioning) on a worker; {@code again} removes what is left of it first. */
    void launch(ManagedRunner r, boolean again) {
        fx.workers().execute(() -> provision(r, again));
    }

    private void provision(ManagedRunner r, boolean again) {
        JitConfig issued = null;
        try {
            if (again) {
                teardown.cleanup(r, !r.pool.ephemeral(), false);
            }
            String image = image(r.pool);
            RegistrationGrant grant;
            if (r.pool.jit()) {
                issued = jit(r);
                grant = issued;
            } else {
                grant = tokens.get();
            }
            LaunchSpec spec = RunnerLaunch.spec(r.pool.template(), r.runnerName, image, fx.registry().registrationUrl(), grant);
            InstanceInfo info;
            try {
                info = fx.backend().launch(spec);
            } catch (RuntimeException e) {
                // A half-created runner is removed by the backend; its JIT registration must not stay as a ghost.
                if (issued != null) {
                    teardown.deregisterQuietly(r.name, issued.runnerId());
                }
                throw e;
            }
            synchronized (r) {
                r.instanceId = info.id();
                r.engine = info.engine();
                r.launchedAt = fx.clock().instant();
                if (issued != null) {
                    r.githubId = issued.runnerId();
                }
            }
            fx.events().onEvent(new FleetEvent.InstanceLaunched(r.name, info.id(), image, fx.clock().instant()));
            r.lifecycle.transition(new RunnerState.Registering(), "instance " + info.shortId() + " started");
        } catch (RuntimeException e) {
            replacing.failInWorker(r, Teardown.describe(e), Failures.of(e));
        } finally {
            r.release();
            fx.wake().run();
        }
    }

    private JitConfig jit(ManagedRunner r) {
        JitRequest request = RunnerLaunch.jitRequest(r.pool.template(), r.runnerName,
                fx.registry().runnerGroupId(r.pool.runnerGroup()));
        try {
            return fx.registry().jitConfig(request);
        } catch (RunnerNameConflictException e) {
            // A registration left by a crash holds the name: delete it when it is idle and offline, then ask once more.
            Optional<RegisteredRunner> existing = fx.registry().runners().stream()
                    .filter(x -> x.name().equalsIgnoreCase(r.name)).findFirst();
            if (existing.isPresent() && !existing.get().busy() && !existing.get().online()) {
                fx.registry().delete(existing.get());
                return fx.registry().jitConfig(request);
            }
            throw e;
        }
    }

    private String image(PoolPlan pool) {
        CompletableFuture<String> mine = new CompletableFuture<>();
        CompletableFuture<String> f = images.putIfAbsent(pool.name(), mine);
        if (f == null) {
            Instant t0 = fx.clock().instant();
            try {
                String ref = fx.backend().prepare(pool.image(), progress -> { });
                fx.events().onEvent(new FleetEvent.ImagePrepared(ref, Duration.between(t0, fx.clock().instant()),
                        fx.clock().instant()));
                mine.complete(ref);
            } catch (RuntimeException e) {
                images.remove(pool.name(), mine);   // a failed build is never recorded as done
                mine.completeExceptionally(e);
            }
            f = mine;
        }
        try {
            return f.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : e;
        }
    }
}
