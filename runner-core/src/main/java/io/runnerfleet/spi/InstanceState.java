package io.runnerfleet.spi;

/** The state of a runner instance as the backend sees it. */
public enum InstanceState {
    /** Created, never started. */
    CREATED,
    /** Running. */
    RUNNING,
    /** Paused or restarting; not usable right now. */
    PAUSED,
    /** Exited (stopped on purpose or by itself); see the exit code. */
    EXITED,
    /** Dead or being removed; cannot start again. */
    DEAD
}
