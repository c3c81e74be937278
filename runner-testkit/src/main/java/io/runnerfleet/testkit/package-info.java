/**
 * Runner Fleet's test kit: test fleet code without GitHub and without the real runner.
 *
 * <ul>
 *   <li>{@link io.runnerfleet.testkit.FakeGitHub}: a stateful GitHub emulator on {@code 127.0.0.1}
 *       serving the 40 self-hosted-runner operations of GitHub's REST API (checked against the official
 *       OpenAPI description bundled in this jar), with tokens, GitHub Apps, rate limits, ETags,
 *       pagination, fault injection ({@link io.runnerfleet.testkit.Fault}), jobs and signed
 *       {@code workflow_job} webhooks, plus the runner-side service the fake runner talks to and the
 *       Actions service of runner scale sets (sessions, long poll, job messages, scale-set JIT configs);
 *       {@link io.runnerfleet.testkit.FakeGitHub#registry} gives a core {@code RunnerRegistry} on it.
 *   <li>{@link io.runnerfleet.testkit.FakeRunner} and {@link io.runnerfleet.testkit.FakeRunnerImage}:
 *       {@code config.sh}/{@code run.sh} stand-ins in busybox sh with the real runner's command line,
 *       as a runner directory or as a Docker build context on {@link io.runnerfleet.testkit.BusyboxBaseImage}.
 *   <li>{@link io.runnerfleet.testkit.FakeGitHubExtension} and {@link io.runnerfleet.testkit.FakeClock}
 *       for JUnit 5 tests that never sleep.
 * </ul>
 */
@NullMarked
package io.runnerfleet.testkit;

import org.jspecify.annotations.NullMarked;
