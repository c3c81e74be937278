#!/usr/bin/env bash
# A test rig: a second Docker engine on this machine, with a device only it can see, for the
# multi-engine integration tests (MultiEngineIT) and for trying several engines by hand.
#
#   scripts/second-engine.sh up        start the engine (or leave a healthy one alone)
#   scripts/second-engine.sh stop      stop its dockerd (the engine "goes away"); state is kept
#   scripts/second-engine.sh down      stop it and remove everything the rig made
#   scripts/second-engine.sh status    exit 0 only when the engine answers
#   scripts/second-engine.sh load IMAGE   copy IMAGE from the machine's main engine onto it
#   scripts/second-engine.sh env       print the rig's variables (also in $STATE/engine.env)
#
# The engine is one more dockerd with its own socket (unix://$STATE/sock), data root, exec root, pid
# file, config file and containerd, started with --bridge=none --iptables=false --ip-masq=false so
# the machine's iptables rules are left alone. A dockerd started with --bridge=none deletes the default
# bridge (docker0) of the network namespace it runs in, which here is the main engine's: `up` remembers
# docker0's address and puts the bridge back once the engine answers (the main engine's builds and
# bridged containers need it). It shares the machine's network
# namespace: containers run with host networking and reach a server on 127.0.0.1. It runs in its own
# mount namespace (unshare --mount --propagation private) holding a tmpfs at /dev/runnerfleet-test-NAME
# with one character device, board0 (major 1, minor 3: the same kind of node as /dev/null, harmless to
# map), which the machine's own mount namespace does not see (there the directory is empty): a board that is plugged into this
# engine's host only. No network namespace, no address, nothing outside the machine is reached.
#
# Idempotent: `up` starts only what is missing; `down` removes whatever exists, also after a
# half-made rig. Needs root, util-linux (unshare) and dockerd (Debian: docker.io).
set -euo pipefail

name=${RUNNERFLEET_ENGINE_RIG:-rfe}
state=${RUNNERFLEET_ENGINE_STATE:-/run/runnerfleet-engine/$name}
sock=$state/sock
# Device paths must be under /dev. The directory is empty in the machine's namespace; the engine's
# namespace mounts a tmpfs holding the device over it.
devdir=/dev/runnerfleet-test-$name

say() { printf 'second-engine: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $name =~ ^[a-z][a-z0-9]{0,15}$ ]] || die "RUNNERFLEET_ENGINE_RIG='$name' must be 1-16 lowercase letters/digits, starting with a letter"

need_root_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (it makes a mount namespace, a device node and starts dockerd)"
  for tool in unshare mount mknod dockerd docker; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: install util-linux and docker.io (Debian)"
  done
}

engine_pid() {
  [ -f "$state/pid" ] || return 1
  local pid
  pid=$(cat "$state/pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

answers() { timeout 10 docker -H "unix://$sock" version >/dev/null 2>&1; }

write_env() {
  cat >"$state/engine.env" <<EOT
ENGINE_NAME=$name
ENGINE_HOST=unix://$sock
ENGINE_DEVICE=$devdir/board0
ENGINE_STATE=$state
EOT
}

# docker0's IPv4 address and MTU, when the main engine has one.
bridge_state() {
  command -v ip >/dev/null 2>&1 || return 0
  local cidr mtu
  cidr=$(ip -o -4 addr show dev docker0 2>/dev/null | awk '{print $4}' | head -n 1)
  mtu=$(cat /sys/class/net/docker0/mtu 2>/dev/null || echo 1500)
  [ -z "$cidr" ] || echo "$cidr $mtu"
}

restore_bridge() {
  local cidr=$1 mtu=$2
  [ -n "$cidr" ] || return 0
  ip link show docker0 >/dev/null 2>&1 && return 0
  ip link add docker0 type bridge
  ip link set docker0 mtu "$mtu"
  ip addr add "$cidr" dev docker0
  ip link set docker0 up
  say "put back the main engine's docker0 ($cidr), which dockerd --bridge=none deletes"
}

cmd_up() {
  need_root_tools
  local bridge
  bridge=$(bridge_state)
  mkdir -p "$state/data" "$state/exec" "$devdir"
  write_env
  if engine_pid >/dev/null && answers; then
    return 0
  fi
  if engine_pid >/dev/null; then
    say "dockerd $(engine_pid) does not answer; stopping it"
    cmd_stop
  fi
  rm -f "$state/pid" "$sock"
  echo '{}' >"$state/daemon.json"
  say "starting dockerd in a private mount namespace (log: $state/dockerd.log)"
  # Inside the namespace: the tmpfs with the device, then dockerd (its containerd and shims stay in
  # the namespace with it). A system containerd's socket is hidden so dockerd starts its own.
  nohup unshare --mount --propagation private sh -c '
    set -e
    devdir=$0
    mount -t tmpfs -o size=64k,mode=0755 runnerfleet-board "$devdir"
    mknod -m 0666 "$devdir/board0" c 1 3
    if [ -d /run/containerd ]; then mount -t tmpfs -o size=64k runnerfleet-hide /run/containerd; fi
    exec dockerd "$@"' "$devdir" \
    --config-file "$state/daemon.json" \
    --data-root "$state/data" --exec-root "$state/exec" --pidfile "$state/pid" \
    -H "unix://$sock" --bridge=none --iptables=false --ip-masq=false --ip6tables=false \
    --containerd-namespace "$name" --containerd-plugins-namespace "$name-plugins" \
    >>"$state/dockerd.log" 2>&1 </dev/null &
  local started=$!
  disown || true
  local _
  for _ in $(seq 1 60); do
    kill -0 "$started" 2>/dev/null || break   # it died: no use waiting
    if answers; then
      # shellcheck disable=SC2086
      restore_bridge $bridge
      say "up: unix://$sock, device $devdir/board0 (seen by this engine only)"
      return 0
    fi
    sleep 1
  done
  # shellcheck disable=SC2086
  restore_bridge $bridge
  tail -n 20 "$state/dockerd.log" >&2 || true
  die "dockerd did not answer on unix://$sock (log above)"
}

cmd_stop() {
  local pid
  pid=$(engine_pid) || { rm -f "$state/pid"; return 0; }
  kill "$pid" 2>/dev/null || true
  local _
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "dockerd $pid did not stop within 30 s; killing it"
    kill -9 "$pid" 2>/dev/null || true
  fi
  # containerd-shims outlive a killed dockerd: found by this engine's exec root, never by a broad name.
  local pids
  pids=$(pgrep -f -- "-address $state/exec/" || true)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  rm -f "$state/pid"
  say "stopped"
}

cmd_down() {
  need_root_tools
  cmd_stop
  if [ -d "$state" ]; then
    # Layers may still be mounted under the data root after an unclean stop (only when the namespace leaked).
    { grep -o " $state/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$state"
  fi
  rmdir "$devdir" 2>/dev/null || true
  say "down"
}

cmd_load() {
  local image=${1:?usage: second-engine.sh load IMAGE}
  answers || die "the engine does not answer: run 'second-engine.sh up' first"
  docker image inspect "$image" >/dev/null 2>&1 || die "image '$image' is not in the main engine: build it there first"
  docker save "$image" | docker -H "unix://$sock" load -q >/dev/null
}

case ${1:-} in
  up) cmd_up ;;
  stop) need_root_tools; cmd_stop ;;
  down) cmd_down ;;
  status) answers && say "up: unix://$sock" || { say "does not answer"; exit 1; } ;;
  load) shift; cmd_load "$@" ;;
  env) cat "$state/engine.env" ;;
  *) sed -n '2,10p' "$0" >&2; exit 2 ;;
esac
