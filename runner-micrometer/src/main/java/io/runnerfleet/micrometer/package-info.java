/**
 * Metrics of a {@link io.runnerfleet.RunnerFleet} for any Micrometer {@code MeterRegistry}: start with
 * {@link io.runnerfleet.micrometer.FleetMetrics}.
 */
@NullMarked
package io.runnerfleet.micrometer;

import org.jspecify.annotations.NullMarked;
