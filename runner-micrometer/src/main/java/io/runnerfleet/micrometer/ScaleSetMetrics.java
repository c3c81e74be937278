package io.runnerfleet.micrometer;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters for one runner scale set that drives a pool, read from a {@link ScaleSetStats} supplier at
 * each scrape; bind it beside the fleet's {@link FleetMetrics}.
 *
 * <pre>{@code
 * ScaleSetMetrics.of("ci", "linux", "linux-x64", () -> statsOf(listener)).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Meters (tags {@code fleet}, {@code pool} and {@code scaleset}): gauges {@code runnerfleet.scaleset.assigned.jobs},
 * {@code runnerfleet.scaleset.available.jobs}, {@code runnerfleet.scaleset.acquired.jobs},
 * {@code runnerfleet.scaleset.running.jobs}, {@code runnerfleet.scaleset.registered.runners},
 * {@code runnerfleet.scaleset.busy.runners}, {@code runnerfleet.scaleset.idle.runners} and
 * {@code runnerfleet.scaleset.session.open} (1 or 0); counters {@code runnerfleet.scaleset.messages} and
 * {@code runnerfleet.scaleset.session.restarts}. The supplier is called once per meter per scrape, so it must be
 * cheap and must not call GitHub. Thread-safe; no thread of its own. {@link #close()} removes the meters.
 */
public final class ScaleSetMetrics implements MeterBinder, AutoCloseable {
    private static final Map<String, ToLongFunction<ScaleSetStats>> GAUGES = gauges();

    private final Tags tags;
    private final Supplier<ScaleSetStats> stats;
    private final List<Map.Entry<MeterRegistry, Meter>> registered = new ArrayList<>();

    private ScaleSetMetrics(Tags tags, Supplier<ScaleSetStats> stats) {
        this.tags = tags;
        this.stats = stats;
    }

    /**
     * Meters for scale set {@code scaleSet} driving pool {@code pool} of fleet {@code fleet}.
     *
     * @param stats what the listener knows now; a null answer reads as {@link ScaleSetStats#NONE}
     */
    public static ScaleSetMetrics of(String fleet, String pool, String scaleSet, Supplier<ScaleSetStats> stats) {
        Objects.requireNonNull(stats, "stats");
        return new ScaleSetMetrics(Tags.of("fleet", Objects.requireNonNull(fleet, "fleet"),
                "pool", Objects.requireNonNull(pool, "pool"), "scaleset", Objects.requireNonNull(scaleSet, "scaleSet")),
                stats);
    }

    private static Map<String, ToLongFunction<ScaleSetStats>> gauges() {
        Map<String, ToLongFunction<ScaleSetStats>> g = new java.util.LinkedHashMap<>();
        g.put("assigned.jobs", ScaleSetStats::assignedJobs);
        g.put("available.jobs", ScaleSetStats::availableJobs);
        g.put("acquired.jobs", ScaleSetStats::acquiredJobs);
        g.put("running.jobs", ScaleSetStats::runningJobs);
        g.put("registered.runners", ScaleSetStats::registeredRunners);
        g.put("busy.runners", ScaleSetStats::busyRunners);
        g.put("idle.runners", ScaleSetStats::idleRunners);
        g.put("session.open", s -> s.sessionOpen() ? 1 : 0);
        return java.util.Collections.unmodifiableMap(g);
    }

    private ScaleSetStats now() {
        ScaleSetStats s = stats.get();
        return s == null ? ScaleSetStats.NONE : s;
    }

    @Override
    public synchronized void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        GAUGES.forEach((name, read) -> keep(registry, Gauge.builder("runnerfleet.scaleset." + name, this,
                m -> read.applyAsLong(m.now())).description("scale set " + name.replace('.', ' ') + ", as GitHub last reported")
                .tags(tags).register(registry)));
        keep(registry, FunctionCounter.builder("runnerfleet.scaleset.messages", this, m -> m.now().messages())
                .description("scale-set messages handled and acknowledged").tags(tags).register(registry));
        keep(registry, FunctionCounter.builder("runnerfleet.scaleset.session.restarts", this, m -> m.now().sessionRestarts())
                .description("scale-set message sessions opened after the first").tags(tags).register(registry));
    }

    private void keep(MeterRegistry registry, Meter meter) {
        registered.add(Map.entry(registry, meter));
    }

    /** Removes every meter these metrics registered. */
    @Override
    public synchronized void close() {
        registered.forEach(e -> e.getKey().remove(e.getValue()));
        registered.clear();
    }

    @Override
    public String toString() {
        return "ScaleSetMetrics" + tags.stream().map(t -> t.getKey() + "=" + t.getValue()).toList();
    }
}
