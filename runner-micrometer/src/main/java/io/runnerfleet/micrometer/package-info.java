/**
 * Metrics of a {@link io.runnerfleet.RunnerFleet} for any Micrometer {@code MeterRegistry}: start with
 * {@link io.runnerfleet.micrometer.FleetMetrics}.
 */
package io.runnerfleet.micrometer;
