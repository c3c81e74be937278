/**
 * Runner Fleet: pools of self-hosted GitHub Actions runners, label matching and the runner lifecycle.
 *
 * <pre>{@code
 * RunnerPool qemu = RunnerPool.builder("qemu").labels("intel").devices("/dev/kvm").ephemeral(true)
 *     .scaling(Scaling.fixed(4)).build();
 * RunnerPool board = RunnerPool.builder("phytiumpi").labels("phytiumpi")
 *     .devices("/dev/serial/by-id/usb-FTDI-if00-port0").groups("dialout").build();
 * MatchResult match = Matcher.forPools(List.of(qemu, board))
 *     .match(JobRequest.runsOn("self-hosted", "linux", "phytiumpi"));
 * match.poolToGrow();    // Optional[pool phytiumpi]
 * match.explain();       // who can take it, or per pool why not
 * }</pre>
 *
 * <p>The model: {@link io.runnerfleet.RunnerPool} and {@link io.runnerfleet.RunnerTemplate} (what runners
 * look like), {@link io.runnerfleet.Scaling}, {@link io.runnerfleet.RunnerName}; matching:
 * {@link io.runnerfleet.LabelSet}, {@link io.runnerfleet.RunnerPlatform} (default labels),
 * {@link io.runnerfleet.RunnerGroup}, {@link io.runnerfleet.JobRequest}, {@link io.runnerfleet.Matcher};
 * lifecycle: {@link io.runnerfleet.RunnerState}, {@link io.runnerfleet.RunnerExit},
 * {@link io.runnerfleet.FleetEvent}, {@link io.runnerfleet.FleetListener}; errors:
 * {@link io.runnerfleet.RunnerFleetException} and its subtypes. Backends and registries plug in
 * through {@code io.runnerfleet.spi}.
 */
@NullMarked
package io.runnerfleet;

import org.jspecify.annotations.NullMarked;
