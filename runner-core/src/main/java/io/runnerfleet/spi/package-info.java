/**
 * The two service-provider interfaces a fleet runs on: {@link io.runnerfleet.spi.RunnerRegistry}
 * (the GitHub side: registration grants, registered runners, deregistration) and
 * {@link io.runnerfleet.spi.RunnerBackend} (the compute side: images, runner instances, logs, events).
 * Implementations pass the abstract contract tests (the TCK) in runner-core's test-jar.
 */
@NullMarked
package io.runnerfleet.spi;

import org.jspecify.annotations.NullMarked;
