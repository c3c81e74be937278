/**
 * GitHub side of Runner Fleet: credentials, the token and runner APIs, rate limits, webhooks, and
 * {@link io.runnerfleet.github.GitHubRegistry}, core's {@code RunnerRegistry} on GitHub.
 *
 * <pre>{@code
 * // As a fleet's registry:
 * RunnerRegistry registry = GitHubRegistry.organization("acme", GitHubCredentials.fromEnvironment());
 *
 * // The full API:
 * try (GitHubClient github = GitHubClient.builder()
 *         .baseUrl("https://ghes.example.com/api/v3")                 // default https://api.github.com
 *         .credentials(GitHubCredentials.app("123456", Secret.of(pem), RunnerScope.organization("acme")))
 *         .build()) {
 *     RunnerScope acme = RunnerScope.organization("acme");
 *     github.tokens(acme).registrationToken();                       // TokenApi: tokens and JIT configs
 *     github.runners(acme).list();                                   // RunnerApi: runners, labels, groups, ...
 *     github.stats();                                                // requests, 304s, retries
 * }
 *
 * // Webhooks, and a poll of queued jobs for deliveries that were lost:
 * WorkflowJobEvent event = WorkflowJobWebhook.withSecret(secret).parse(body, signatureHeader);
 * QueuedJobSweeper.builder(github).repositories("acme/app").fleet(fleet).deduplicator(seen).build().start();
 * }</pre>
 *
 * <p>Every failure GitHub reports is a {@link io.runnerfleet.github.GitHubApiException} (or a nested
 * subtype), which is a {@link io.runnerfleet.RegistrationException}. No okhttp, Moshi or resilience4j
 * type appears in this package's API, and no token is ever printed.
 */
@NullMarked
package io.runnerfleet.github;

import org.jspecify.annotations.NullMarked;
