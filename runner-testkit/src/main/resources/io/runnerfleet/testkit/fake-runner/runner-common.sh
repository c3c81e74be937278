# Shared by config.sh and run.sh of the fake GitHub Actions runner (Runner Fleet testkit).
# POSIX sh with busybox applets only: wget, sed, tr, base64, date, id, uname, mktemp.
FAKE_RUNNER_VERSION=2.329.0
# FakeRunner.installTo links busybox applets into bin/ so the host's own tools never matter.
if [ -d "$(pwd)/bin" ]; then PATH="$(pwd)/bin:$PATH"; export PATH; fi

fr_lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }

fr_trim() { printf '%s' "$1" | sed 's/^[[:space:]]*//;s/[[:space:]]*$//'; }

fr_now() { date -u '+%Y-%m-%d %H:%M:%SZ'; }

# ACTIONS_RUNNER_INPUT_<NAME>: read once, trimmed, then removed from the environment.
fr_env_input() {
    eval "fr_v=\${ACTIONS_RUNNER_INPUT_$1-}"
    eval "fr_set=\${ACTIONS_RUNNER_INPUT_$1+x}"
    unset "ACTIONS_RUNNER_INPUT_$1"
    if [ -n "$fr_set" ]; then fr_trim "$fr_v"; return 0; fi
    return 1
}

fr_refuse_root() {
    if [ "$(id -u)" = 0 ] && [ -z "${RUNNER_ALLOW_RUNASROOT:-}" ]; then
        echo "$1"
        exit 1
    fi
}

# Percent-encodes a form value.
fr_urlencode() {
    printf '%s' "$1" | od -An -tx1 -v | tr -s ' \n' '  ' | sed 's/^ //;s/ $//' | {
        out=''
        for h in $(cat); do
            case "$h" in
                3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2d|2e|5f|7e) out="$out$(printf "\\$(printf '%03o' "0x$h")")" ;;
                *) out="$out%$h" ;;
            esac
        done
        printf '%s' "$out"
    }
}

# fr_field FILE KEY: the value of a key=value answer line.
fr_field() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# fr_json_field FILE KEY: a string or number value of a one-key-per-line JSON file.
fr_json_field() { sed -n "s/^[[:space:]]*\"$2\":[[:space:]]*\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}[[:space:]]*\$/\1/p" "$1" | head -n 1; }

fr_arch() {
    case "$(uname -m)" in
        x86_64|amd64) echo X64 ;;
        aarch64|arm64) echo ARM64 ;;
        arm*) echo ARM ;;
        i?86) echo X86 ;;
        *) echo X64 ;;
    esac
}
