package io.runnerfleet.internal.fleet;

import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What every part of the reconciler works with: the fleet's name, its two sides, its one clock, its
 * settings, its events, the worker threads that create and remove runners, and a way to ask the loop
 * for a cycle soon.
 *
 * @param fleet the fleet's name
 * @param registry where runners register
 * @param backend where runners run
 * @param clock the fleet's clock: every instant and every wait the reconciler makes is measured on it
 * @param settings timing and limits
 * @param events where fleet events go
 * @param workers threads for provisioning and removal
 * @param wake asks the loop for a cycle as soon as possible
 * @param marks the counter behind {@link #mark()}
 */
record FleetContext(String fleet, RunnerRegistry registry, RunnerBackend backend, Clock clock, FleetSettings settings,
                    EventBus events, ExecutorService workers, Runnable wake, AtomicLong marks) {

    /**
     * A number larger than every earlier one: orders what happened in this fleet (an observation, a
     * runner's release, its removal) without asking any clock, so "this observation predates that
     * change" holds however a test moves the clock.
     */
    long mark() {
        return marks.incrementAndGet();
    }
}
