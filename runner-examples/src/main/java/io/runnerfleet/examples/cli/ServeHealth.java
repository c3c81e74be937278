package io.runnerfleet.examples.cli;

import io.runnerfleet.FleetEvent;
import io.runnerfleet.FleetListener;
import io.runnerfleet.Runner;
import io.runnerfleet.RunnerFleet;
import io.runnerfleet.RunnerState;
import io.runnerfleet.spi.RunnerBackend;
import io.runnerfleet.spi.RunnerRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether {@code serve} is ready, and why not: starting, draining, the engine down, GitHub refusing, runners
 * failed. Core reports no observation failure, so the fleet's registry and backend are wrapped and their
 * listing calls ({@code runners()}, {@code instances()}), which every reconcile cycle makes, are watched.
 * Also keeps each runner's last error from the fleet's events, for {@code /status}. A pool driven by a scale set
 * is not ready while its scale set cannot be created or its message session is refused (see {@link ServeScaleSet}).
 */
final class ServeHealth implements FleetListener {
    enum Phase { STARTING, SERVING, DRAINING }

    /** The last failure of one side, cleared by its next success. */
    record Outage(String message, Instant since) {
    }

    private final Clock clock;
    private volatile Phase phase = Phase.STARTING;
    private volatile Outage github;
    private volatile Outage engine;
    private final Map<String, String> lastErrors = new ConcurrentHashMap<>();
    private volatile List<ServeScaleSet> scaleSets = List.of();

    ServeHealth(Clock clock) {
        this.clock = clock;
    }

    void phase(Phase phase) {
        this.phase = phase;
    }

    Phase phase() {
        return phase;
    }

    /** The scale-set pools whose sessions count for readiness too. */
    void scaleSets(List<ServeScaleSet> scaleSets) {
        this.scaleSets = List.copyOf(scaleSets);
    }

    RunnerRegistry track(RunnerRegistry registry) {
        return wrap(RunnerRegistry.class, registry, "runners", true);
    }

    RunnerBackend track(RunnerBackend backend) {
        return wrap(RunnerBackend.class, backend, "instances", false);
    }

    private <T> T wrap(Class<T> type, T delegate, String listing, boolean gitHub) {
        Object proxy = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (p, method, args) -> {
            if (method.getDeclaringClass() == Object.class && method.getName().equals("toString")) {
                return delegate.toString();
            }
            try {
                Object result = method.invoke(delegate, args);
                if (method.getName().equals(listing)) {
                    outcome(gitHub, null);
                }
                return result;
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                if (method.getName().equals(listing)) {
                    outcome(gitHub, cause.getMessage() == null ? cause.toString() : cause.getMessage());
                }
                throw cause;
            }
        });
        return type.cast(proxy);
    }

    private void outcome(boolean gitHub, String error) {
        Outage now = error == null ? null : new Outage(error, clock.instant());
        if (gitHub) {
            Outage before = github;
            github = now == null ? null : before != null ? new Outage(error, before.since()) : now;
        } else {
            Outage before = engine;
            engine = now == null ? null : before != null ? new Outage(error, before.since()) : now;
        }
    }

    /** Why serve is not ready; empty when ready. */
    List<String> problems(List<RunnerFleet> fleets) {
        List<String> problems = new ArrayList<>();
        List<Runner> runners = fleets.stream().flatMap(f -> f.runners().stream()).toList();
        if (phase == Phase.STARTING) {
            long online = runners.stream().filter(r -> r.state() instanceof RunnerState.Idle
                    || r.state() instanceof RunnerState.Active).count();
            problems.add("starting: " + online + " of " + fleets.stream().flatMap(f -> f.status().desired().values().stream())
                    .mapToInt(Integer::intValue).sum() + " runners online");
        } else if (phase == Phase.DRAINING) {
            problems.add("draining: stopping on request, taking no new jobs");
        }
        Outage e = engine;
        if (e != null) {
            problems.add("engine down since " + e.since() + ": " + e.message());
        }
        Outage g = github;
        if (g != null) {
            problems.add("GitHub refusing or unreachable since " + g.since() + ": " + g.message());
        }
        for (Runner r : runners) {
            if (r.state() instanceof RunnerState.Failed f) {
                problems.add("pool " + r.pool() + " failing: runner " + r.name() + " failed: " + f.reason());
            }
        }
        if (phase != Phase.DRAINING) {
            scaleSets.forEach(s -> problems.addAll(s.problems()));
        }
        return problems;
    }

    /** The last error seen for a runner, or null. */
    String lastError(String runner) {
        return lastErrors.get(runner);
    }

    @Override
    public void onEvent(FleetEvent event) {
        if (event instanceof FleetEvent.StateChanged c && c.to() instanceof RunnerState.Failed f) {
            lastErrors.put(c.runner(), f.reason());
        } else if (event instanceof FleetEvent.InstanceExited x && (x.exitCode() != 0 || x.oomKilled())) {
            lastErrors.put(x.runner(), x.oomKilled() ? "killed for memory (OOM)" : "instance exited with code " + x.exitCode());
        } else if (event instanceof FleetEvent.RunnerRemoved r) {
            lastErrors.remove(r.runner());
        }
    }
}
