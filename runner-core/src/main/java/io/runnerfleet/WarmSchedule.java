package io.runnerfleet;

import java.time.DayOfWeek;
import java.time.LocalTime;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A time-of-day window on some days of the week during which a pool keeps a different number of runners
 * ready: the idle minimum of an on-demand or scale-set pool, or the count of a fixed pool. Part of a
 * {@link Warmth}, whose time zone it is read in.
 *
 * <pre>{@code
 * WarmSchedule.weekdays(LocalTime.of(8, 0), LocalTime.of(18, 0), 4);     // Mon-Fri 08:00-18:00: 4
 * WarmSchedule.daily(LocalTime.of(22, 0), LocalTime.of(6, 0), 1);        // every night, across midnight: 1
 * WarmSchedule.on(EnumSet.of(DayOfWeek.SATURDAY), LocalTime.of(9, 0), LocalTime.of(13, 0), 2);
 * }</pre>
 *
 * <p>A window runs from {@code from} (inclusive) to {@code to} (exclusive) on each of its days; when
 * {@code to} is not after {@code from} it ends on the next day (a night shift belongs to the day it
 * starts). Daylight-saving changes follow the {@link Warmth}'s zone: the window is read off the local
 * clock.
 *
 * @param days the days on which the window starts
 * @param from when it starts, local time
 * @param to when it ends, local time (exclusive)
 * @param runners how many runners it keeps ready: idle ones for an on-demand pool, all for a fixed pool
 */
public record WarmSchedule(Set<DayOfWeek> days, LocalTime from, LocalTime to, int runners) {
    private static final int DAY = 24 * 60 * 60;
    private static final int WEEK = 7 * DAY;

    /** Validates the window and copies the days. */
    public WarmSchedule {
        Objects.requireNonNull(days, "days");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        String call = "WarmSchedule(" + describe(days) + " " + from + "-" + to + ", " + runners + ")";
        if (days.isEmpty()) {
            throw new InvalidSpecException(call + ": name at least one day of the week");
        }
        if (from.equals(to)) {
            throw new InvalidSpecException(call + ": the window is empty (from equals to); for all day use"
                    + " Warmth.builder().idle(n) instead of a schedule");
        }
        if (runners < 0 || runners > Scaling.MAX_RUNNERS) {
            throw new InvalidSpecException(call + ": runners must be between 0 and " + Scaling.MAX_RUNNERS);
        }
        days = Set.copyOf(EnumSet.copyOf(days));
    }

    /** Every day from {@code from} to {@code to}. */
    public static WarmSchedule daily(LocalTime from, LocalTime to, int runners) {
        return new WarmSchedule(EnumSet.allOf(DayOfWeek.class), from, to, runners);
    }

    /** Monday to Friday from {@code from} to {@code to}. */
    public static WarmSchedule weekdays(LocalTime from, LocalTime to, int runners) {
        return new WarmSchedule(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), from, to, runners);
    }

    /** On {@code days} from {@code from} to {@code to}. */
    public static WarmSchedule on(Set<DayOfWeek> days, LocalTime from, LocalTime to, int runners) {
        return new WarmSchedule(days, from, to, runners);
    }

    /** Whether the window is open at the local date and time {@code t}. */
    public boolean activeAt(ZonedDateTime t) {
        LocalTime time = t.toLocalTime();
        DayOfWeek day = t.getDayOfWeek();
        if (from.isBefore(to)) {
            return days.contains(day) && !time.isBefore(from) && time.isBefore(to);
        }
        // Across midnight: the evening part on its own days, the morning part on the day after.
        return days.contains(day) && !time.isBefore(from) || days.contains(day.minus(1)) && time.isBefore(to);
    }

    /** Whether this window and {@code other} share any moment of the week. */
    public boolean overlaps(WarmSchedule other) {
        for (int[] a : weekIntervals()) {
            for (int[] b : other.weekIntervals()) {
                if (a[0] < b[1] && b[0] < a[1]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The window as [start, end) seconds of the week from Monday 00:00, split where it wraps to Monday. */
    private List<int[]> weekIntervals() {
        int start = from.toSecondOfDay();
        int length = Math.floorMod(to.toSecondOfDay() - start, DAY);
        List<int[]> out = new java.util.ArrayList<>();
        for (DayOfWeek d : days) {
            int s = (d.getValue() - 1) * DAY + start;
            int e = s + length;
            if (e <= WEEK) {
                out.add(new int[] {s, e});
            } else {
                out.add(new int[] {s, WEEK});
                out.add(new int[] {0, e - WEEK});
            }
        }
        return out;
    }

    private static String describe(Set<DayOfWeek> days) {
        if (days.size() == 7) {
            return "daily";
        }
        if (days.equals(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY))) {
            return "Mon-Fri";
        }
        return String.join(",", EnumSet.copyOf(days.isEmpty() ? EnumSet.noneOf(DayOfWeek.class) : days).stream()
                .map(d -> d.getDisplayName(TextStyle.SHORT, Locale.ROOT)).toList());
    }

    /** {@code Mon-Fri 08:00-18:00: 4}. */
    @Override
    public String toString() {
        return describe(days) + " " + from + "-" + to + ": " + runners;
    }
}
