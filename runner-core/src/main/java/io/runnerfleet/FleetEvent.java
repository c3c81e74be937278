package io.runnerfleet;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Something that happened in a fleet, as a past-tense fact delivered to {@link FleetListener}s.
 *
 * <pre>{@code
 * FleetListener listener = event -> {
 *     if (event instanceof FleetEvent.StateChanged c) {
 *         System.out.println(c.runner() + ": " + c.from().name() + " -> " + c.to().name());
 *     } else if (event instanceof FleetEvent.Warning w) {
 *         System.err.println("warning: " + w.subject() + " " + w.message());
 *     }
 * };
 * }</pre>
 *
 * <p>Events never carry a secret: no token, JIT config or secret-looking environment value appears
 * in any field. Times come from the fleet's injected clock.
 */
public sealed interface FleetEvent {

    /** When it happened. */
    Instant at();

    /**
     * A runner changed lifecycle state along an edge of the transition table.
     *
     * @param runner the runner's name
     * @param from the state before
     * @param to the state after
     * @param cause why, for people ({@code "instance exited with code 0"})
     * @param at when
     */
    record StateChanged(String runner, RunnerState from, RunnerState to, String cause, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public StateChanged {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner's registration was issued at GitHub (a JIT config, or a runner configured with a token).
     *
     * @param runner the runner's name
     * @param runnerId GitHub's id, or 0 when not known yet (token mode)
     * @param labels the labels it registered with
     * @param at when
     */
    record RunnerRegistered(String runner, long runnerId, LabelSet labels, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public RunnerRegistered {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(labels, "labels");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner was deregistered at GitHub and its instance deleted.
     *
     * @param runner the runner's name
     * @param reason why ({@code "ghost: registered, no instance, offline"})
     * @param at when
     */
    record RunnerRemoved(String runner, String reason, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public RunnerRemoved {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner's instance was created and started.
     *
     * @param runner the runner's name
     * @param instanceId the backend's id
     * @param image the image it was started from
     * @param at when
     */
    record InstanceLaunched(String runner, String instanceId, String image, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public InstanceLaunched {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(instanceId, "instanceId");
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner's instance exited.
     *
     * @param runner the runner's name
     * @param instanceId the backend's id
     * @param exitCode the runner's exit code (0 success, 2 retryable, 3/4 updating, 5 session conflict, ...)
     * @param oomKilled whether the kernel killed it for memory
     * @param at when
     */
    record InstanceExited(String runner, String instanceId, int exitCode, boolean oomKilled, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public InstanceExited {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(instanceId, "instanceId");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * An image was made ready (built, or found).
     *
     * @param image the reference
     * @param took how long it took
     * @param at when it was ready
     */
    record ImagePrepared(String image, Duration took, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public ImagePrepared {
            Objects.requireNonNull(image, "image");
            Objects.requireNonNull(took, "took");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A pool's wanted number of runners changed.
     *
     * @param pool the pool's name
     * @param from the number before
     * @param to the number after
     * @param reason why ({@code "job queued: [self-hosted, linux, intel]"}, {@code "idle for PT10M"})
     * @param at when
     */
    record PoolScaled(String pool, int from, int to, String reason, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public PoolScaled {
            Objects.requireNonNull(pool, "pool");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A pool's warm target changed: how many runners its {@link Warmth} keeps ready (a schedule opened or
     * closed, the stay-warm time after its last job began or ran out). The pool's wanted count follows in a
     * {@link PoolScaled} when the target is above it (or, for a fixed pool, differs from it).
     *
     * @param pool the pool's name
     * @param from the target before
     * @param to the target after
     * @param reason why ({@code "schedule Mon-Fri 08:00-18:00: 4 (Europe/Berlin) opened"})
     * @param at when
     */
    record WarmTargetChanged(String pool, int from, int to, String reason, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public WarmTargetChanged {
            Objects.requireNonNull(pool, "pool");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner of the fleet started a job, as a demand source reported it ({@link RunnerFleet#jobStarted}).
     *
     * @param runner the runner's name
     * @param job the job
     * @param at when the fleet heard of it
     */
    record JobStarted(String runner, RunnerJob job, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public JobStarted {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(job, "job");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * A runner's job ended: a demand source reported it complete ({@link RunnerFleet#jobEnded}), or the runner
     * went Idle, Completed, Stopped, Failed or Removed first. One follows every {@link JobStarted}.
     *
     * @param runner the runner's name
     * @param job the job
     * @param took from the fleet hearing of the start to hearing of the end (the fleet's clock)
     * @param reason why ({@code "job completed"}, {@code "runner Idle"})
     * @param at when
     */
    record JobEnded(String runner, RunnerJob job, Duration took, String reason, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public JobEnded {
            Objects.requireNonNull(runner, "runner");
            Objects.requireNonNull(job, "job");
            Objects.requireNonNull(took, "took");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(at, "at");
        }
    }

    /**
     * Something a person should know: a pool opted into privileged mode or the Docker socket, a job
     * asks for {@code self-hosted} alone, a job no runner or pool can take.
     *
     * @param subject what it is about ({@code "pool qemu"})
     * @param message what, and what to do about it (never a secret)
     * @param at when
     */
    record Warning(String subject, String message, Instant at) implements FleetEvent {
        /** Checks the parts are present. */
        public Warning {
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(at, "at");
        }
    }
}
