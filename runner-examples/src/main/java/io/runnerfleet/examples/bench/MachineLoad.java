package io.runnerfleet.examples.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * How busy the machine was around a measurement, so every result says whether it ran alone: the
 * kernel's load averages ({@code /proc/loadavg}) and the share of all processors busy during a short
 * probe taken while the benchmark itself is idle ({@code /proc/stat}). Off Linux every figure is NaN.
 *
 * @param one the 1-minute load average
 * @param five the 5-minute load average
 * @param fifteen the 15-minute load average
 * @param busy share (0..1) of all processors busy during the probe, NaN when not probed
 * @param cores the processors this JVM sees
 */
record MachineLoad(double one, double five, double fifteen, double busy, int cores) {
    /** A probe this long is short against a measurement and long enough to see a compiler at work. */
    static final Duration PROBE = Duration.ofMillis(500);

    /**
     * Whether others disturbed the machine: before the measurement, with the benchmark idle, more than a
     * quarter of the processors were busy, or the 1-minute load average was above the core count. The
     * load average decays over about a minute, so a heavy previous section of the benchmark itself can also
     * trip the second rule; the probe is the sharper witness.
     */
    boolean disturbed() {
        return busy > 0.25 || one > cores;
    }

    /** Reads the load averages and probes the processors for {@code probe} (zero: no probe). */
    static MachineLoad sample(Duration probe) {
        int cores = Runtime.getRuntime().availableProcessors();
        double[] avg = loadAverages();
        double busy = Double.NaN;
        if (!probe.isZero()) {
            long[] a = cpuTicks();
            LockSupport.parkNanos(probe.toNanos());
            long[] b = cpuTicks();
            if (a != null && b != null && b[1] > a[1]) {
                busy = (double) (b[0] - a[0]) / (b[1] - a[1]);
            }
        }
        return new MachineLoad(avg[0], avg[1], avg[2], busy, cores);
    }

    /** Before-and-after marks of one measured section. */
    record Marks(MachineLoad before, MachineLoad after) {
        boolean disturbed() {
            return before.disturbed();
        }

        String json() {
            return "{\"before\": " + before.json() + ", \"after\": " + after.json() + ", \"disturbed\": " + disturbed()
                    + "}";
        }

        /** One line for the tables. */
        String line() {
            return String.format(Locale.ROOT, "  machine: load %.2f before, %.2f after (1-min, %d cores), %s busy before%s",
                    before.one(), after.one(), before.cores(),
                    Double.isNaN(before.busy()) ? "?" : Math.round(100 * before.busy()) + " %",
                    disturbed() ? "; DISTURBED: other work was running, treat the figures as upper bounds" : "");
        }
    }

    String json() {
        return String.format(Locale.ROOT, "{\"load1\": %s, \"load5\": %s, \"load15\": %s, \"busy\": %s, \"cores\": %d}",
                num(one), num(five), num(fifteen), num(busy), cores);
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.2f", v) : "null";
    }

    private static double[] loadAverages() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (IOException | RuntimeException e) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN};
        }
    }

    /** {busy, total} jiffies of all processors, or null. */
    private static long[] cpuTicks() {
        try {
            String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
            String[] f = first.trim().split("\\s+");
            long total = 0;
            long idle = 0;
            // user nice system idle iowait irq softirq steal; guest time is already counted in user
            for (int i = 1; i < Math.min(f.length, 9); i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i == 4 || i == 5) { // idle, iowait
                    idle += v;
                }
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
