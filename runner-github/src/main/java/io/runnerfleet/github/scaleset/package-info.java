/**
 * GitHub's runner scale-set protocol: {@link io.runnerfleet.github.scaleset.ScaleSetClient} for each call
 * (admin connection, runner groups, scale sets, JIT configs, runners, message sessions, the long poll,
 * acknowledgements, job acquisition) and {@link io.runnerfleet.github.scaleset.ScaleSetListener}, which
 * keeps one scale set listening and heals expired tokens, evicted sessions, session conflicts, deleted
 * scale sets and outages.
 *
 * <pre>{@code
 * try (ScaleSetClient scaleSets = ScaleSetClient.builder().configUrl("https://github.com/acme")
 *          .credentials(GitHubCredentials.fromEnvironment()).build();
 *      ScaleSetListener listener = ScaleSetListener.builder(scaleSets, ScaleSetSpec.named("qemu").labels("intel"))
 *          .stateFile(Path.of("qemu.scaleset.json"))
 *          .handler(stats -> System.out.println(stats.totalAssignedJobs() + " jobs assigned"))
 *          .build().start()) {
 *     JitConfig jit = listener.generateJitConfig("qemu-1a2b3c4d");
 * }
 * }</pre>
 *
 * <p>Failures are {@link io.runnerfleet.github.scaleset.ScaleSetApiException} subtypes (a
 * {@link io.runnerfleet.RegistrationException}); no okhttp or Moshi type appears in this package's API,
 * and no token or JIT config is ever printed or stored.
 */
@NullMarked
package io.runnerfleet.github.scaleset;

import org.jspecify.annotations.NullMarked;
