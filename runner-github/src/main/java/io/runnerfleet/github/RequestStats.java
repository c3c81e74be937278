package io.runnerfleet.github;

/**
 * Counters of one {@link GitHubClient}: how many HTTP requests it sent, how many GitHub answered
 * with {@code 304 Not Modified} (served from the ETag cache, free of rate limit when authorized), and
 * how many were retries.
 *
 * <pre>{@code
 * RequestStats s = client.stats();
 * System.out.println(s.requests() + " requests, " + s.notModified() + " from cache");
 * }</pre>
 *
 * @param requests HTTP requests sent (every attempt counts)
 * @param notModified answers that were {@code 304 Not Modified}
 * @param retries attempts that repeated an earlier one
 */
public record RequestStats(long requests, long notModified, long retries) {
}
