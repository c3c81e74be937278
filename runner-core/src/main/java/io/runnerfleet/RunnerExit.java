package io.runnerfleet;

/**
 * What a runner's exit code means, and what the fleet does about it. The codes are the runner
 * listener's ({@code run.sh} passes them through).
 *
 * <pre>{@code
 * RunnerExit exit = RunnerExit.of(2);
 * exit.meaning();      // "retryable error"
 * exit.action();       // RESTART
 * }</pre>
 *
 * <p>Codes outside the runner's set map to {@link #SIGNALLED} (128 + a signal number: 137 is
 * SIGKILL, often the OOM killer; 143 is SIGTERM) or {@link #UNKNOWN}.
 */
public enum RunnerExit {
    /** 0: the runner ended normally (an ephemeral runner after its job, or a stop). */
    SUCCESS(0, "success", Action.FINISH),
    /** 1: a terminating error (bad configuration, removed registration). */
    TERMINATED(1, "terminated with an error", Action.FAIL),
    /** 2: a retryable error; the runner may start again. */
    RETRYABLE(2, "retryable error", Action.RESTART),
    /** 3: the runner is updating itself. */
    UPDATING(3, "runner updating", Action.RESTART),
    /** 4: a run-once runner is updating itself. */
    RUN_ONCE_UPDATING(4, "run-once runner updating", Action.RESTART),
    /** 5: another listener holds this runner's session (two instances share one registration). */
    SESSION_CONFLICT(5, "session conflict: another runner uses this registration", Action.FAIL),
    /** 6: the runner's configuration was refreshed; it may start again. */
    CONFIG_REFRESHED(6, "configuration refreshed", Action.RESTART),
    /** 7: the runner's version is deprecated; the image needs a newer runner. */
    VERSION_DEPRECATED(7, "runner version deprecated: update the runner in the image", Action.FAIL),
    /** 129..159: killed by a signal. */
    SIGNALLED(-1, "killed by a signal", Action.RESTART),
    /** Any other code. */
    UNKNOWN(-1, "unknown exit code", Action.FAIL);

    /** What the fleet does when a runner exits so. */
    public enum Action {
        /** Done: an ephemeral runner is Completed; a persistent one stays down until started. */
        FINISH,
        /** Start it again, within the retry budget. */
        RESTART,
        /** Mark it Failed with its last log lines. */
        FAIL
    }

    private final int code;
    private final String meaning;
    private final Action action;

    RunnerExit(int code, String meaning, Action action) {
        this.code = code;
        this.meaning = meaning;
        this.action = action;
    }

    /** The meaning of exit code {@code code}. */
    public static RunnerExit of(int code) {
        for (RunnerExit e : values()) {
            if (e.code >= 0 && e.code == code) {
                return e;
            }
        }
        return code > 128 && code < 160 ? SIGNALLED : UNKNOWN;
    }

    /** The code, or -1 for {@link #SIGNALLED} and {@link #UNKNOWN}. */
    public int code() {
        return code;
    }

    /** A few words for people. */
    public String meaning() {
        return meaning;
    }

    /** What the fleet does about it. */
    public Action action() {
        return action;
    }

    /** A cause for a state change, e.g. {@code "exit code 2 (retryable error)"}. */
    public static String describe(int code) {
        RunnerExit e = of(code);
        String meaning = e == SIGNALLED ? "killed by signal " + (code - 128) + (code == 137 ? ", SIGKILL (out of memory?)"
                : code == 143 ? ", SIGTERM" : "") : e.meaning;
        return "exit code " + code + " (" + meaning + ")";
    }
}
