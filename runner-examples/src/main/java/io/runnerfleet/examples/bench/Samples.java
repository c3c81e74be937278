package io.runnerfleet.examples.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * Latency samples as the benchmarks report them: nearest-rank percentiles and one table row of count, p50,
 * p90, p99 and max in milliseconds, under {@link #HEADER}. Shared by the webhook and the scale-set latency
 * benchmarks so that their tables read alike and their percentiles mean the same.
 */
final class Samples {
    /** The column heads of {@link #millis}. */
    static final String HEADER = String.format(Locale.ROOT, "%6s %8s %8s %8s %8s", "count", "p50", "p90", "p99", "max");

    private Samples() {
    }

    /**
     * The nearest-rank percentile: the smallest sample with at least {@code p} percent of the samples at
     * or below it (so the p99 of 40 samples is the largest).
     *
     * @throws IllegalArgumentException when there are no samples or {@code p} is outside (0, 100]
     */
    static double percentile(double[] samples, double p) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples to take the p" + p + " of");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile " + p + " is not in (0, 100]");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    /** The largest sample; NaN when there is none. */
    static double max(double[] samples) {
        return Arrays.stream(samples).max().orElse(Double.NaN);
    }

    /** Count, p50, p90, p99 and max of samples in seconds, as milliseconds under {@link #HEADER}. */
    static String millis(double[] seconds) {
        return String.format(Locale.ROOT, "%6d %8.0f %8.0f %8.0f %8.0f", seconds.length, 1000 * percentile(seconds, 50),
                1000 * percentile(seconds, 90), 1000 * percentile(seconds, 99), 1000 * max(seconds));
    }

    /** The members of a JSON object for samples in seconds: count, p50, p90, p99, max and every sample. */
    static String jsonMembers(double[] seconds) {
        return "\"jobs\": " + seconds.length + ", \"p50Seconds\": " + Benchmarks.num(percentile(seconds, 50))
                + ", \"p90Seconds\": " + Benchmarks.num(percentile(seconds, 90)) + ", \"p99Seconds\": "
                + Benchmarks.num(percentile(seconds, 99)) + ", \"maxSeconds\": " + Benchmarks.num(max(seconds))
                + ", \"seconds\": " + Benchmarks.nums(seconds);
    }
}
