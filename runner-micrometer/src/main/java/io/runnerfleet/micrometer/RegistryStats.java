package io.runnerfleet.micrometer;

/**
 * Counters of the client behind a fleet's registry, read by {@link FleetMetrics} at each scrape: core
 * does not know GitHub's HTTP client, so the caller adapts its own (runner-github's {@code GitHubClient}).
 *
 * <pre>{@code
 * GitHubClient client = registry.client();
 * FleetMetrics metrics = FleetMetrics.builder()
 *         .registryStats(() -> new RegistryStats(client.stats().requests(), client.stats().notModified(),
 *                 client.stats().retries(), client.rateLimit().map(RateLimit::remaining).orElse(-1L)))
 *         .build();
 * }</pre>
 *
 * @param requests HTTP requests sent, every attempt counted (monotonic)
 * @param notModified answers that were {@code 304 Not Modified} (monotonic)
 * @param retries attempts that repeated an earlier one (monotonic)
 * @param rateLimitRemaining requests left in the current rate-limit window, or {@code -1} when not known yet
 */
public record RegistryStats(long requests, long notModified, long retries, long rateLimitRemaining) {
    /** Nothing known: all zero, rate limit unknown. */
    public static final RegistryStats NONE = new RegistryStats(0, 0, 0, -1);
}
