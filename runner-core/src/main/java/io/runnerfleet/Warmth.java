package io.runnerfleet;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How warm a pool is kept: runners ready before a job asks, so that a queued job starts on a runner that
 * is already online instead of waiting for one to be created.
 *
 * <pre>{@code
 * RunnerPool.builder("linux")
 *     .ephemeral(true)
 *     .scaling(Scaling.onDemand(0, 20))
 *     .warmth(Warmth.builder()
 *         .idle(1)                                                        // at least one idle runner, always
 *         .schedule(WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4))  // four in office hours
 *         .zone("Europe/Berlin")
 *         .overProvision(1.5)                                             // 3 runners for every 2 queued jobs
 *         .stayWarm(Duration.ofMinutes(15)));                             // keep the size 15 min after the last job
 * }</pre>
 *
 * <p>What each setting does, by kind of pool:
 * <ul>
 * <li><b>{@code idle}</b> and a schedule's {@code runners}, for an on-demand pool (webhooks, scale sets):
 *     the pool's floor becomes {@code max(min, idle)}, and queued jobs add runners on top of it, so about
 *     that many runners stay idle while jobs run. The schedule open at the moment wins over {@code idle}.
 *     When the floor goes down, the extra runners idle out through the pool's idle timeout (a scale-set
 *     pool drains them at once).</li>
 * <li>For a <b>fixed</b> pool a schedule sets the count itself while it is open ({@code Scaling.fixed(n)}
 *     outside); runners above the new count are drained (a running job is never killed).
 *     {@code idle}, {@code overProvision} and {@code stayWarm} do not apply to fixed pools and are refused.</li>
 * <li><b>{@code overProvision}</b> (at least 1): each queued job grows the pool by this factor, the
 *     fractions carried over to the next job; the extra runners take the next jobs or idle out.</li>
 * <li><b>{@code stayWarm}</b>: for this long after the pool's last job (queued or running), the pool does
 *     not shrink: a finished ephemeral runner is replaced and idle runners do not time out.</li>
 * </ul>
 *
 * <p>Everything is read off the fleet's clock ({@code RunnerFleet.Builder.clock}) in {@link #zone()}.
 * Defaults: no idle minimum, no schedule, over-provision 1.0, no stay-warm time, zone UTC
 * ({@link #NONE}). Schedules must not overlap. {@code RunnerFleet.status()} shows each pool's warm target
 * and the schedule open now; {@link FleetEvent.WarmTargetChanged} says when and why the target changed.
 *
 * @param idle the idle runners kept outside any schedule (on-demand pools)
 * @param overProvision runners added per queued job, at least 1.0
 * @param stayWarm how long after the last job the pool keeps its size ({@code Duration.ZERO}: not at all)
 * @param schedules time-of-day windows, none overlapping another
 * @param zone the time zone the schedules are read in
 */
public record Warmth(int idle, double overProvision, Duration stayWarm, List<WarmSchedule> schedules, ZoneId zone) {
    /** The most {@link #overProvision} may be. */
    public static final double MAX_OVER_PROVISION = 10.0;

    /** No warmth: a pool sized by its {@link Scaling} alone. */
    public static final Warmth NONE = new Warmth(0, 1.0, Duration.ZERO, List.of(), ZoneOffset.UTC);

    /** Validates every setting; the message names the setting and what is accepted. */
    public Warmth {
        Objects.requireNonNull(stayWarm, "stayWarm");
        Objects.requireNonNull(schedules, "schedules");
        Objects.requireNonNull(zone, "zone");
        checkIdle(idle);
        checkOverProvision(overProvision);
        checkStayWarm(stayWarm);
        schedules = List.copyOf(schedules);
        for (int i = 0; i < schedules.size(); i++) {
            for (int j = i + 1; j < schedules.size(); j++) {
                if (schedules.get(i).overlaps(schedules.get(j))) {
                    throw new InvalidSpecException("Warmth schedules overlap: " + schedules.get(i) + " and "
                            + schedules.get(j) + "; at most one schedule may be open at a time, so move or merge them");
                }
            }
        }
    }

    private static int checkIdle(int idle) {
        if (idle < 0 || idle > Scaling.MAX_RUNNERS) {
            throw new InvalidSpecException("Warmth idle(" + idle + "): must be between 0 and " + Scaling.MAX_RUNNERS);
        }
        return idle;
    }

    private static double checkOverProvision(double factor) {
        if (!(factor >= 1.0 && factor <= MAX_OVER_PROVISION)) {
            throw new InvalidSpecException("Warmth overProvision(" + factor + "): must be between 1.0 (one runner per"
                    + " queued job) and " + MAX_OVER_PROVISION);
        }
        return factor;
    }

    private static Duration checkStayWarm(Duration stayWarm) {
        if (stayWarm.isNegative()) {
            throw new InvalidSpecException("Warmth stayWarm(" + stayWarm + "): must not be negative; Duration.ZERO"
                    + " turns it off");
        }
        return stayWarm;
    }

    /** A builder starting from {@link #NONE}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The schedule open at {@code at} in {@link #zone()}, if any. */
    public Optional<WarmSchedule> scheduleAt(Instant at) {
        var local = at.atZone(zone);
        return schedules.stream().filter(s -> s.activeAt(local)).findFirst();
    }

    /** The idle minimum at {@code at}: the open schedule's, else {@link #idle()}. */
    public int idleAt(Instant at) {
        return scheduleAt(at).map(WarmSchedule::runners).orElse(idle);
    }

    /** How many runners {@code jobs} queued jobs ask for: {@code ceil(jobs * overProvision)}, saturating. */
    public long overProvisioned(long jobs) {
        if (jobs <= 0) {
            return 0;
        }
        double wanted = Math.ceil(jobs * overProvision - 1e-9);
        return wanted >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) wanted;
    }

    /** Whether this is {@link #NONE} in effect (nothing kept warm). */
    public boolean isNone() {
        return idle == 0 && overProvision == 1.0 && stayWarm.isZero() && schedules.isEmpty();
    }

    /** {@code warm(idle 1, Mon-Fri 08:00-18:00: 4 Europe/Berlin, x1.5, stay PT15M)}. */
    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        parts.add("idle " + idle);
        if (!schedules.isEmpty()) {
            parts.add(String.join(", ", schedules.stream().map(WarmSchedule::toString).toList()) + " " + zone);
        }
        if (overProvision != 1.0) {
            parts.add("x" + overProvision);
        }
        if (!stayWarm.isZero()) {
            parts.add("stay " + stayWarm);
        }
        return "warm(" + String.join(", ", parts) + ")";
    }

    /**
     * Builds a {@link Warmth}; defaults as {@link Warmth#NONE}. Each setter checks its own value; {@link #build()}
     * checks that schedules do not overlap. A pool checks the result against its {@link Scaling} (an idle
     * minimum above the pool's max is refused there).
     */
    public static final class Builder {
        private int idle;
        private double overProvision = 1.0;
        private Duration stayWarm = Duration.ZERO;
        private final List<WarmSchedule> schedules = new ArrayList<>();
        private ZoneId zone = ZoneOffset.UTC;

        private Builder() {
        }

        /** Idle runners kept ready outside any schedule (on-demand pools); default 0. */
        public Builder idle(int idle) {
            this.idle = checkIdle(idle);
            return this;
        }

        /** Runners added per queued job (on-demand pools), 1.0 to {@value Warmth#MAX_OVER_PROVISION}; default 1.0. */
        public Builder overProvision(double factor) {
            this.overProvision = checkOverProvision(factor);
            return this;
        }

        /** How long after its last job the pool keeps its size (on-demand pools); default none. */
        public Builder stayWarm(Duration stayWarm) {
            this.stayWarm = checkStayWarm(Objects.requireNonNull(stayWarm, "stayWarm"));
            return this;
        }

        /** Adds schedules (none may overlap another). */
        public Builder schedule(WarmSchedule... schedules) {
            for (WarmSchedule s : schedules) {
                this.schedules.add(Objects.requireNonNull(s, "schedule"));
            }
            return this;
        }

        /** The zone schedules are read in; default UTC. */
        public Builder zone(ZoneId zone) {
            this.zone = Objects.requireNonNull(zone, "zone");
            return this;
        }

        /**
         * The zone schedules are read in, by its id ({@code "Europe/Berlin"}, {@code "UTC"}, {@code "+02:00"}).
         *
         * @throws InvalidSpecException when the id names no zone
         */
        public Builder zone(String zone) {
            try {
                this.zone = ZoneId.of(Objects.requireNonNull(zone, "zone"));
            } catch (DateTimeException e) {
                throw new InvalidSpecException("Warmth zone(\"" + zone + "\"): not a time zone (" + e.getMessage()
                        + "); use a region id such as \"Europe/Berlin\" or an offset such as \"+02:00\"", e);
            }
            return this;
        }

        /**
         * Builds the warmth.
         *
         * @throws InvalidSpecException when two schedules overlap
         */
        public Warmth build() {
            return new Warmth(idle, overProvision, stayWarm, schedules, zone);
        }
    }
}
