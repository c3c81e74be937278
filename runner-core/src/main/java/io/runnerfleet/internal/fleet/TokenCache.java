package io.runnerfleet.internal.fleet;

import io.runnerfleet.spi.RegistrationToken;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One registration token shared by every runner it can serve, reused until {@link #MARGIN} before it
 * expires; concurrent callers wait for a single request.
 */
public final class TokenCache {
    /** A token is renewed this long before GitHub's expiry, so a runner never configures with a dying one. */
    public static final Duration MARGIN = Duration.ofMinutes(5);

    private final RunnerRegistry registry;
    private final Clock clock;
    private final AtomicInteger minted = new AtomicInteger();
    private RegistrationToken token;

    public TokenCache(RunnerRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    public synchronized RegistrationToken get() {
        if (token == null || !token.validAt(clock.instant(), MARGIN)) {
            token = registry.registrationToken();
            minted.incrementAndGet();
        }
        return token;
    }

    /** Forgets the token (GitHub refused it), so the next call asks for a new one. */
    public synchronized void invalidate() {
        token = null;
    }

    /** How many tokens this cache asked GitHub for. */
    public int minted() {
        return minted.get();
    }
}
