#!/bin/sh
# Fake GitHub Actions runner: configure and remove, with the real runner's command line.
cd "$(dirname "$0")" || exit 1
. ./runner-common.sh

fr_refuse_root "Must not run with sudo"

command=configure
case "$(fr_lower "${1:-}")" in
    remove) command=remove; shift ;;
    configure) shift ;;
esac

url=''; token=''; name=''; labels=''; group=''; work=''
unattended=''; replace=''; ephemeral=''; disableupdate=''; nodefault=''
unknown=''
add_unknown() { unknown="${unknown:+$unknown, }$1"; }
# takes_value: the option's value is after '=' or the next argument.
takes_value() {
    if [ -z "$has_value" ]; then
        if [ "$remaining" -ge 2 ]; then value="$next"; consumed=2; else value=''; fi
    fi
}
while [ $# -gt 0 ]; do
    arg=$(fr_lower "$1")
    value=''; has_value=''
    case "$arg" in
        --*=*) value="${1#*=}"; arg="${arg%%=*}"; has_value=1 ;;
    esac
    remaining=$#; next="${2-}"; consumed=1
    case "$command:$arg" in
        configure:--url) takes_value; url="$value" ;;
        *:--token) takes_value; token="$value" ;;
        configure:--name) takes_value; name="$value" ;;
        configure:--labels) takes_value; labels="$value" ;;
        configure:--runnergroup) takes_value; group="$value" ;;
        configure:--work) takes_value; work="$value" ;;
        configure:--unattended) unattended=1 ;;
        configure:--replace) replace=1 ;;
        configure:--ephemeral) ephemeral=1 ;;
        configure:--disableupdate) disableupdate=1 ;;
        configure:--no-default-labels) nodefault=1 ;;
        configure:--runasservice|configure:--generateserviceconfig) ;;
        configure:--auth|configure:--pat|configure:--username|configure:--monitorsocketaddress|configure:--windowslogonaccount|configure:--windowslogonpassword|remove:--pat)
            takes_value ;;
        remove:--local|remove:--unattended) ;;
        *:--help|*:-h)
            echo "Commands:"
            echo " ./config.sh         Configures the runner"
            echo " ./config.sh remove  Unconfigures the runner"
            echo " ./run.sh            Runs the runner interactively. Does not require any options."
            echo ""
            echo "Config Options:"
            echo " --unattended           Disable interactive prompts for missing arguments."
            echo " --url string           Repository to add the runner to. Required if unattended"
            echo " --token string         Registration token. Required if unattended"
            echo " --name string          Name of the runner to configure (default $(hostname))"
            echo " --runnergroup string   Name of the runner group to add this runner to (defaults to the default runner group)"
            echo " --labels string        Custom labels that will be added to the runner. This option is mandatory if --no-default-labels is used."
            echo " --no-default-labels    Disables adding the default labels: 'self-hosted,Linux,X64'"
            echo " --work string          Relative runner work directory (default _work)"
            echo " --replace              Replace any existing runner with the same name (default false)"
            echo " --ephemeral            Configure the runner to only take one job and then let the service un-configure the runner after the job finishes (default false)"
            echo " --disableupdate        Disable self-hosted runner automatic update to the latest released version"
            exit 0 ;;
        *:--version) echo "$FAKE_RUNNER_VERSION"; exit 0 ;;
        *:--commit) echo "fake"; exit 0 ;;
        *:--check) exit 0 ;;
        *) add_unknown "${1#--}" ;;
    esac
    shift "$consumed"
done
if [ -n "$unknown" ]; then
    echo "Unrecognized command-line input arguments for command $command: '$unknown'. For usage refer to: .\\config.cmd --help or ./config.sh --help" >&2
fi

# The environment form fills what the command line left empty.
[ -z "$url" ] && url=$(fr_env_input URL)
[ -z "$token" ] && token=$(fr_env_input TOKEN)
[ -z "$name" ] && name=$(fr_env_input NAME)
[ -z "$labels" ] && labels=$(fr_env_input LABELS)
[ -z "$group" ] && group=$(fr_env_input RUNNERGROUP)
[ -z "$work" ] && work=$(fr_env_input WORK)
for flag in UNATTENDED REPLACE EPHEMERAL DISABLEUPDATE NO_DEFAULT_LABELS; do
    v=$(fr_env_input "$flag")
    if [ "$(fr_lower "$v")" = true ]; then
        case "$flag" in
            UNATTENDED) unattended=1 ;; REPLACE) replace=1 ;; EPHEMERAL) ephemeral=1 ;;
            DISABLEUPDATE) disableupdate=1 ;; NO_DEFAULT_LABELS) nodefault=1 ;;
        esac
    fi
done
# Like the real runner: an input variable is gone once read, so jobs never see the token.
for n in URL TOKEN NAME LABELS RUNNERGROUP WORK UNATTENDED REPLACE EPHEMERAL DISABLEUPDATE NO_DEFAULT_LABELS; do
    unset "ACTIONS_RUNNER_INPUT_$n"
done

# require NAME PROMPT: a missing value fails when unattended, else is read from stdin.
require() {
    eval "cur=\$$1"
    if [ -z "$cur" ]; then
        if [ -z "$unattended" ]; then
            printf '%s ' "$2"
            read -r cur || cur=''
            cur=$(fr_trim "$cur")
            eval "$1=\$cur"
        fi
        if [ -z "$cur" ]; then
            echo "Invalid configuration provided for $1. Terminating unattended configuration."
            exit 1
        fi
    fi
}

post() { # post WHAT BODYFILE OUTFILE
    if ! wget -q -O "$3" --post-file "$2" "$server/_fake/$1" 2>/dev/null; then
        rm -f "$2" "$3"
        echo "Failed to connect to $server: is the fake GitHub running?"
        exit 1
    fi
    rm -f "$2"
}

umask 077
if [ "$command" = remove ]; then
    echo ""
    echo "# Runner removal"
    echo ""
    if [ ! -f .runner ]; then
        echo "Runner is not configured: nothing to remove."
        exit 0
    fi
    require token "Enter runner remove token:"
    server=$(fr_json_field .runner serverUrl); server="${server%/_fake}"
    id=$(fr_json_field .runner agentId)
    body=$(mktemp); out=$(mktemp)
    printf 'token=%s&id=%s' "$(fr_urlencode "$token")" "$id" > "$body"
    post remove "$body" "$out"
    if [ "$(fr_field "$out" result)" != ok ]; then
        echo "$(fr_field "$out" message)"
        rm -f "$out"
        exit 1
    fi
    rm -f "$out"
    echo "√ Runner removed successfully"
    rm -f .credentials && echo "√ Removed .credentials"
    rm -f .runner && echo "√ Removed .runner"
    exit 0
fi

if [ -f .runner ]; then
    echo "Cannot configure the runner because it is already configured. To reconfigure the runner, run 'config.cmd remove' or './config.sh remove' first."
    exit 1
fi
require url "Enter the URL of your repository or organization:"
require token "Enter your runner register token:"
if [ -n "$nodefault" ] && [ -z "$labels" ]; then
    echo "Disabling default labels via --no-default-labels without specifying --labels is not supported"
    exit 1
fi
[ -z "$name" ] && name=$(hostname)
[ -z "$work" ] && work=_work
case "$url" in
    http://*|https://*) server=$(printf '%s' "$url" | sed 's#^\(https\{0,1\}://[^/]*\).*#\1#') ;;
    *) echo "Invalid configuration provided for url. Terminating unattended configuration."; exit 1 ;;
esac

echo ""
echo "--------------------------------------------------------------------------------"
echo "|        Self-hosted runner registration (Runner Fleet fake runner)            |"
echo "--------------------------------------------------------------------------------"
echo ""
echo "# Authentication"
body=$(mktemp); out=$(mktemp)
printf 'url=%s&token=%s&name=%s&labels=%s&group=%s&work=%s&os=Linux&arch=%s&ephemeral=%s&replace=%s&nodefault=%s' \
    "$(fr_urlencode "$url")" "$(fr_urlencode "$token")" "$(fr_urlencode "$name")" "$(fr_urlencode "$labels")" \
    "$(fr_urlencode "$group")" "$(fr_urlencode "$work")" "$(fr_arch)" \
    "${ephemeral:+true}" "${replace:+true}" "${nodefault:+true}" > "$body"
post configure "$body" "$out"
if [ "$(fr_field "$out" result)" != ok ]; then
    status=$(fr_field "$out" status)
    if [ "$status" = 409 ]; then
        echo "# Runner Registration"
        echo ""
        echo "A runner exists with the same name"
    fi
    echo "$(fr_field "$out" message)"
    rm -f "$out"
    exit 1
fi
echo ""
echo "√ Connected to GitHub"
echo ""
echo "# Runner Registration"
echo ""
fr_field "$out" runner_file | base64 -d > .runner
fr_field "$out" credentials_file | base64 -d > .credentials
chmod 600 .runner .credentials
rm -f "$out"
mkdir -p "$work"
echo "√ Runner successfully added"
echo "√ Runner connection is good"
echo ""
echo "# Runner settings"
echo ""
echo "√ Settings Saved."
echo ""
exit 0
