#!/bin/sh
# Fake GitHub Actions runner: run, with the real runner's command line and run-helper exit codes.
cd "$(dirname "$0")" || exit 1
. ./runner-common.sh

fr_refuse_root "Must not run interactively with sudo"

jitconfig=''; unknown=''
while [ $# -gt 0 ]; do
    arg=$(fr_lower "$1")
    case "$arg" in
        --jitconfig) jitconfig="${2-}"; [ $# -ge 2 ] && shift ;;
        --jitconfig=*) jitconfig="${1#*=}" ;;
        --startuptype) [ $# -ge 2 ] && shift ;;
        --startuptype=*|--once) ;;
        --version) echo "$FAKE_RUNNER_VERSION"; exit 0 ;;
        --commit) echo "fake"; exit 0 ;;
        --check) exit 0 ;;
        --help|-h) echo "Commands:"; echo " ./run.sh [--jitconfig <encoded>]  Runs the runner"; exit 0 ;;
        *) unknown="${unknown:+$unknown, }${1#--}" ;;
    esac
    shift
done
if [ -n "$unknown" ]; then
    echo "Unrecognized command-line input arguments for command run: '$unknown'. For usage refer to: .\\config.cmd --help or ./config.sh --help" >&2
fi
[ -z "$jitconfig" ] && jitconfig=$(fr_env_input JITCONFIG)
unset ACTIONS_RUNNER_INPUT_JITCONFIG

umask 077
# The listener's exit code goes through run-helper's rules: 1 (terminated) stops with 0.
listener_exit() {
    code=$1
    rm -f "${resp:-}" "${tmp:-}"
    # The listener reports a deprecated version as 7 only when asked to; otherwise as a terminating error.
    if [ "$code" = 7 ] && [ "${ACTIONS_RUNNER_RETURN_VERSION_DEPRECATED_EXIT_CODE:-}" != 1 ]; then
        code=1
    fi
    case "$code" in
        0) echo "Runner listener exit with 0 return code, stop the service, no retry needed."; exit 0 ;;
        1) echo "Runner listener exit with terminated error, stop the service, no retry needed."; exit 0 ;;
        *) echo "Runner listener exit with code $code."; exit "$code" ;;
    esac
}

if [ -n "$jitconfig" ]; then
    tmp=$(mktemp)
    if ! printf '%s' "$jitconfig" | base64 -d 2>/dev/null | tr ',{}' '\n\n\n' > "$tmp"; then
        echo "The provided JIT configuration is not valid base64."
        listener_exit 1
    fi
    runner_b64=$(sed -n 's/^[[:space:]]*"\.runner"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp")
    cred_b64=$(sed -n 's/^[[:space:]]*"\.credentials"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp")
    # A scale set's JIT config also carries the runner's key pair, as GitHub's does.
    rsa_b64=$(sed -n 's/^[[:space:]]*"\.credentials_rsaparams"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp")
    rm -f "$tmp"
    if [ -z "$runner_b64" ] || [ -z "$cred_b64" ]; then
        echo "The provided JIT configuration is invalid: it lacks .runner or .credentials."
        listener_exit 1
    fi
    printf '%s' "$runner_b64" | base64 -d > .runner
    printf '%s' "$cred_b64" | base64 -d > .credentials
    [ -n "$rsa_b64" ] && printf '%s' "$rsa_b64" | base64 -d > .credentials_rsaparams
fi

if [ ! -f .runner ] || [ ! -f .credentials ]; then
    echo "Runner is not configured."
    listener_exit 1
fi
server=$(fr_json_field .runner serverUrl)
id=$(fr_json_field .runner agentId)
name=$(fr_json_field .runner agentName)
work=$(fr_json_field .runner workFolder)
mkdir -p "${work:-_work}"
resp=$(mktemp)

call() { # call WHAT [QUERY]: posts .credentials, answer in $resp; returns wget's status
    wget -q -O "$resp" --post-file .credentials "$server/runners/$id/$1${2:+?$2}" 2>/dev/null
}

stopping=''
on_signal() {
    stopping=1
    [ -n "${wpid:-}" ] && kill "$wpid" 2>/dev/null
    echo "Exiting..."
    call disconnect || true
    listener_exit 0
}
trap on_signal INT TERM

# bg CMD...: runs a command in the background and waits, so a signal is handled at once.
bg() {
    "$@" &
    wpid=$!
    wait "$wpid"
    rc=$?
    wpid=''
    return "$rc"
}

deleted() {
    echo "$(fr_now): Runner registration has been deleted from the server, please re-configure. Runner registrations are automatically deleted for runners that have not connected to the service recently."
    listener_exit 1
}

# The service can tell the listener to exit with a code (FakeScope.exitListener). As run-helper does,
# 2 (retryable) and 3/4 (updating: nothing to update here) relaunch the listener after a pause;
# any other code ends run.sh through listener_exit.
service_exit() {
    code=$(fr_field "$resp" code)
    echo "$(fr_now): $(fr_field "$resp" message)"
    case "$code" in
        2|3|4) echo "Runner listener exit with code $code, re-launch runner in ${FAKE_RUNNER_RELAUNCH_SECONDS:-5} seconds."
            bg sleep "${FAKE_RUNNER_RELAUNCH_SECONDS:-5}" ;;
        *) listener_exit "$code" ;;
    esac
}

while :; do
    connected=''
    while [ -z "$connected" ]; do
        if bg call connect "version=$FAKE_RUNNER_VERSION&os=linux"; then
            case "$(fr_field "$resp" result)" in
                ok) connected=1 ;;
                deleted) deleted ;;
                exit) service_exit ;;  # a relaunch connects again
                *) echo "$(fr_field "$resp" message)"; listener_exit 1 ;;
            esac
        else
            echo "$(fr_now): Runner connect error: cannot reach $server. Retrying until reconnected."
            bg sleep 1
        fi
    done
    echo ""
    echo "√ Connected to GitHub"
    echo ""
    echo "Current runner version: '$FAKE_RUNNER_VERSION'"
    echo "$(fr_now): Listening for Jobs"

    while :; do
        if ! bg call poll; then
            echo "$(fr_now): Runner connect error: cannot reach $server. Retrying until reconnected."
            bg sleep 1
            continue
        fi
        case "$(fr_field "$resp" result)" in
            none) ;;
            deleted) deleted ;;
            exit) service_exit; break ;;  # a relaunch connects again
            job)
                job=$(fr_field "$resp" job)
                jobname=$(fr_field "$resp" name)
                seconds=$(fr_field "$resp" seconds)
                echo "$(fr_now): Running job: $jobname"
                # The job renews its lock every second: that heartbeat is how the service knows the runner lives.
                left=${seconds:-0}; lost=''
                while [ "$left" -gt 0 ] && [ -z "$lost" ]; do
                    bg sleep 1
                    left=$((left - 1))
                    if bg call renew "job=$job" && [ "$(fr_field "$resp" result)" = lost ]; then
                        lost=1
                    fi
                done
                if [ -n "$lost" ]; then
                    echo "$(fr_now): Job $jobname was failed by the service while this runner was out of touch"
                elif bg call finish "job=$job&conclusion=success"; then
                    echo "$(fr_now): Job $jobname completed with result: Succeeded"
                    if [ "$(fr_field "$resp" exit)" = true ]; then
                        # An ephemeral runner is unregistered by the service; its local settings go too.
                        rm -f .runner .credentials .credentials_rsaparams
                        listener_exit 0
                    fi
                fi
                ;;
            *)
                # A server-side failure is retried like a lost connection; anything else stops the listener.
                case "$(fr_field "$resp" status)" in
                    5*|429) echo "$(fr_now): Runner connect error: $(fr_field "$resp" message). Retrying until reconnected."
                        bg sleep 1 ;;
                    *) echo "$(fr_field "$resp" message)"; listener_exit 1 ;;
                esac
                ;;
        esac
    done
done
