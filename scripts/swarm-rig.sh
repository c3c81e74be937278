#!/usr/bin/env bash
# A test rig: an N-node Docker Swarm of separate dockerd instances in network namespaces on this
# one machine, for the Swarm backend's integration tests and for trying it by hand.
#
#   scripts/swarm-rig.sh up [N]        bring up (or complete) a swarm of N nodes (default 1)
#   scripts/swarm-rig.sh down          stop every node and remove everything the rig made
#   scripts/swarm-rig.sh status        say what is up; exit 0 only when every node is Ready
#   scripts/swarm-rig.sh load IMAGE    copy IMAGE from the machine's main engine onto every node
#   scripts/swarm-rig.sh kill I        power node I off: SIGKILL every process in its namespace (its
#                                      dockerd and its runners), as a crashed machine; `down` cleans up
#   scripts/swarm-rig.sh env           print the rig's variables (also in $STATE/rig.env)
#
# Idempotent: `up` creates only what is missing (namespaces, links, daemons, swarm membership) and
# leaves a healthy node alone; `up` with a different N than the rig has tears it down first. `down`
# removes whatever pieces exist, so it also cleans up after a half-made rig. Needs root, iproute2,
# util-linux (nsenter, unshare) and dockerd (Debian: docker.io).
#
# Layout (rig name R, default "rfs"; state in /run/runnerfleet-swarm/R):
#   netns R-br          a bridge "br0" that every other end is attached to
#   netns R-n1..R-nN    one per node: "eth0" at $SUBNET.(10+i), its own dockerd (own data root,
#                       exec root, pid file, socket unix://$STATE/nI/sock, containerd namespace)
#                       and its own UTS namespace, so nodes have distinct hostnames R-nI
#   host veth "R-h"     in the machine's own namespace at $SUBNET.1: the rig's address for the
#                       host, where the tests' fake GitHub listens. Tasks running with
#                       `--network host` on a node reach it there.
#
# Addresses: $SUBNET defaults to 198.18.0 (198.18.0.0/24, inside 198.18.0.0/15, which RFC 2544
# reserves for network benchmarking and which is not routed anywhere from here), chosen so the rig
# can never collide with or reach a real LAN (10/8, 172.16/12, 192.168/16) or the Internet. Only
# the host's "R-h" end lives outside the rig's namespaces, and it carries a /24 route to the rig
# only. The machine's main engine (/var/run/docker.sock) is never touched: every node has its own
# socket, data root, exec root, pid file, config file and containerd; the nodes run with
# --iptables=false and --bridge none, so host iptables rules are left alone.
set -euo pipefail

rig=${RUNNERFLEET_SWARM_RIG:-rfs}
subnet=${RUNNERFLEET_SWARM_SUBNET:-198.18.0}
state=${RUNNERFLEET_SWARM_STATE:-/run/runnerfleet-swarm/$rig}
brns=$rig-br
hostif=$rig-h
hostaddr=$subnet.1

say() { printf 'swarm-rig: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[[ $rig =~ ^[a-z][a-z0-9]{0,5}$ ]] || die "RUNNERFLEET_SWARM_RIG='$rig' must be 1-6 lowercase letters/digits, starting with a letter (interface names are limited to 15 characters)"
[[ $subnet =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "RUNNERFLEET_SWARM_SUBNET='$subnet' must be the first three octets of a /24, e.g. 198.18.0"

need_root_tools() {
  [ "$(id -u)" = 0 ] || die "must run as root (it creates network namespaces and starts dockerd)"
  for tool in ip nsenter unshare dockerd docker; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found: install iproute2, util-linux and docker.io (Debian)"
  done
}

node_dir() { echo "$state/n$1"; }
node_ns() { echo "$rig-n$1"; }
node_addr() { echo "$subnet.$((10 + $1))"; }
node_docker() { local i=$1; shift; docker -H "unix://$(node_dir "$i")/sock" "$@"; }
ns_exists() { [ -e "/var/run/netns/$1" ]; }
in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }

node_pid() {
  local pidfile
  pidfile="$(node_dir "$1")/pid"
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

node_answers() { timeout 10 docker -H "unix://$(node_dir "$1")/sock" version >/dev/null 2>&1; }

swarm_state() { node_docker "$1" info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown; }

# Nodes that exist now (from the state dir), so `down` finds them whatever N was.
known_nodes() {
  local d
  for d in "$state"/n*; do
    [ -d "$d" ] && echo "${d##*/n}"
  done | sort -n
  return 0
}

# ---- network -----------------------------------------------------------------------------------

ensure_bridge() {
  if ! ns_exists "$brns"; then
    say "creating namespace $brns with bridge br0"
    ip netns add "$brns"
  fi
  in_ns "$brns" ip link set lo up
  if ! in_ns "$brns" ip link show br0 >/dev/null 2>&1; then
    in_ns "$brns" ip link add br0 type bridge
  fi
  in_ns "$brns" ip link set br0 up
  if ! ip link show "$hostif" >/dev/null 2>&1; then
    say "linking the host ($hostif, $hostaddr/24) into the rig"
    ip link add "$hostif" type veth peer name "$rig-hb"
    ip link set "$rig-hb" netns "$brns"
  fi
  if ! ip -4 addr show dev "$hostif" | grep -q "inet $hostaddr/24"; then
    ip addr add "$hostaddr/24" dev "$hostif"
  fi
  ip link set "$hostif" up
  in_ns "$brns" ip link set "$rig-hb" master br0 up
}

ensure_node_link() {
  local i=$1 ns addr peer
  ns=$(node_ns "$i"); addr=$(node_addr "$i"); peer=$rig-b$i
  ns_exists "$ns" || { say "creating namespace $ns ($addr)"; ip netns add "$ns"; }
  in_ns "$ns" ip link set lo up
  if ! in_ns "$ns" ip link show eth0 >/dev/null 2>&1; then
    # Make the pair inside the bridge namespace so no stray end is ever left in the host's.
    in_ns "$brns" ip link del "$peer" >/dev/null 2>&1 || true
    in_ns "$brns" ip link add "$peer" type veth peer name "$rig-e$i"
    in_ns "$brns" ip link set "$rig-e$i" netns "$ns"
    in_ns "$ns" ip link set "$rig-e$i" name eth0
  fi
  if ! in_ns "$ns" ip -4 addr show dev eth0 | grep -q "inet $addr/24"; then
    in_ns "$ns" ip addr add "$addr/24" dev eth0
  fi
  in_ns "$ns" ip link set eth0 up
  in_ns "$brns" ip link set "$peer" master br0 up
}

# ---- daemons -----------------------------------------------------------------------------------

ensure_daemon() {
  local i=$1 dir ns
  dir=$(node_dir "$i"); ns=$(node_ns "$i")
  mkdir -p "$dir/data" "$dir/exec"
  if node_pid "$i" >/dev/null && node_answers "$i"; then
    return 0
  fi
  if pid=$(node_pid "$i"); then
    say "node $i: dockerd $pid does not answer; stopping it"
    stop_daemon "$i"
  fi
  rm -f "$dir/pid" "$dir/sock"
  echo '{}' >"$dir/daemon.json"
  say "node $i: starting dockerd in $ns (log: $dir/dockerd.log)"
  # nsenter --net, not `ip netns exec`: the latter remounts /sys and hides the cgroup mounts.
  # unshare --uts gives the node its own hostname, which Swarm shows as the node's name.
  nohup nsenter --net="/var/run/netns/$ns" unshare --uts sh -c \
    'hostname "$0" && exec dockerd "$@"' "$ns" \
    --config-file "$dir/daemon.json" \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    -H "unix://$dir/sock" --bridge none --iptables=false --ip-masq=false \
    --containerd-namespace "$ns" --containerd-plugins-namespace "$ns-plugins" \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
  disown || true
  local _
  for _ in $(seq 1 60); do
    if node_answers "$i"; then return 0; fi
    sleep 1
  done
  tail -n 20 "$dir/dockerd.log" >&2 || true
  die "node $i: dockerd did not answer on unix://$dir/sock within 60 s (log above)"
}

stop_daemon() {
  local i=$1 pid dir
  dir=$(node_dir "$i")
  pid=$(node_pid "$i") || return 0
  kill "$pid" 2>/dev/null || true
  local _
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 1
  done
  say "node $i: dockerd $pid did not stop within 30 s; killing it"
  kill -9 "$pid" 2>/dev/null || true
}

# Kills the containerd-shims of one node (they outlive a dockerd that was killed): found by the
# node's exec root in their command line, never by a broad name.
stop_shims() {
  local dir pids
  dir=$(node_dir "$1")
  pids=$(pgrep -f -- "-address $dir/exec/" || true)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
}

# ---- swarm -------------------------------------------------------------------------------------

ensure_swarm() {
  local n=$1 i token
  if [ "$(swarm_state 1)" != active ]; then
    say "node 1: swarm init --advertise-addr $(node_addr 1)"
    node_docker 1 swarm init --advertise-addr "$(node_addr 1)" --listen-addr "$(node_addr 1):2377" >/dev/null
  fi
  token=$(node_docker 1 swarm join-token -q worker)
  for ((i = 2; i <= n; i++)); do
    if [ "$(swarm_state "$i")" != active ]; then
      say "node $i: swarm join $(node_addr 1):2377"
      node_docker "$i" swarm join --token "$token" --advertise-addr "$(node_addr "$i")" \
        --listen-addr "$(node_addr "$i"):2377" "$(node_addr 1):2377" >/dev/null
    fi
  done
  local _ ready
  for _ in $(seq 1 60); do
    ready=$(node_docker 1 node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
    [ "$ready" -ge "$n" ] && return 0
    sleep 1
  done
  node_docker 1 node ls >&2 || true
  die "only $ready of $n nodes are Ready after 60 s"
}

write_env() {
  local n=$1 i socks=""
  for ((i = 1; i <= n; i++)); do socks+="${socks:+ }unix://$(node_dir "$i")/sock"; done
  cat >"$state/rig.env" <<EOF
RIG_NAME=$rig
RIG_NODES=$n
RIG_HOST_ADDR=$hostaddr
RIG_MANAGER=unix://$(node_dir 1)/sock
RIG_SOCKETS="$socks"
RIG_STATE=$state
EOF
}

# ---- commands ----------------------------------------------------------------------------------

cmd_up() {
  local n=${1:-1}
  [[ $n =~ ^[1-9][0-9]?$ ]] || die "node count '$n' must be a number from 1 to 99"
  need_root_tools
  mkdir -p "$state"
  if [ -f "$state/rig.env" ] && ! grep -qx "RIG_NODES=$n" "$state/rig.env"; then
    say "the rig has $(sed -n 's/^RIG_NODES=//p' "$state/rig.env") nodes, $n asked: rebuilding"
    cmd_down
    mkdir -p "$state"
  fi
  local i
  ensure_bridge
  for ((i = 1; i <= n; i++)); do ensure_node_link "$i"; done
  for ((i = 1; i <= n; i++)); do ensure_daemon "$i"; done
  ensure_swarm "$n"
  write_env "$n"
  say "up: $n node(s), manager $(sed -n 's/^RIG_MANAGER=//p' "$state/rig.env"), host address $hostaddr"
}

cmd_down() {
  need_root_tools
  local i pid
  # Stop every node at once (each takes a few seconds to shut down), then wait for each.
  for i in $(known_nodes); do
    if pid=$(node_pid "$i"); then kill "$pid" 2>/dev/null || true; fi
  done
  for i in $(known_nodes); do
    stop_daemon "$i"
    stop_shims "$i"
  done
  for ns in $(ip netns list | awk '{print $1}' | grep -E "^$rig-(n[0-9]+|br)$" || true); do
    say "removing namespace $ns"
    ip netns del "$ns" || true
  done
  ip link del "$hostif" >/dev/null 2>&1 || true
  if [ -d "$state" ]; then
    # Container layers may still be mounted under a data root after an unclean stop.
    { grep -o " $state/[^ ]*" /proc/mounts || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$state"
  fi
  say "down"
}

cmd_status() {
  [ -f "$state/rig.env" ] || { say "no rig '$rig' (no $state/rig.env)"; return 1; }
  local n ok=0 i
  n=$(sed -n 's/^RIG_NODES=//p' "$state/rig.env")
  for ((i = 1; i <= n; i++)); do
    if node_answers "$i"; then
      say "node $i: $(node_addr "$i") dockerd $(node_pid "$i" || echo '?') swarm $(swarm_state "$i")"
    else
      say "node $i: dockerd does not answer"; ok=1
    fi
  done
  node_answers 1 && node_docker 1 node ls >&2 || ok=1
  [ "$(node_docker 1 node ls --format '{{.Status}}' 2>/dev/null | grep -c '^Ready$' || true)" -ge "$n" ] || ok=1
  return $ok
}

cmd_load() {
  local image=${1:?usage: swarm-rig.sh load IMAGE}
  [ -f "$state/rig.env" ] || die "no rig '$rig': run 'swarm-rig.sh up' first"
  local n i
  n=$(sed -n 's/^RIG_NODES=//p' "$state/rig.env")
  docker image inspect "$image" >/dev/null 2>&1 || die "image '$image' is not in the main engine: build it there first"
  for ((i = 1; i <= n; i++)); do
    say "node $i: loading $image"
    docker save "$image" | node_docker "$i" load -q >/dev/null
  done
}

# A node failure as the swarm sees one: every process inside node I's network namespace (its dockerd
# and the tasks running with the node's network) dies at once, with no goodbye to the manager. Found by
# namespace, never by name, so nothing of the machine's own is touched.
cmd_kill() {
  local i=${1:?usage: swarm-rig.sh kill NODE}
  need_root_tools
  [[ $i =~ ^[0-9]+$ ]] && ns_exists "$(node_ns "$i")" || die "no node $i in rig '$rig'"
  local pids
  pids=$(ip netns pids "$(node_ns "$i")" || true)
  say "node $i: killing $(echo $pids | wc -w) process(es) in $(node_ns "$i")"
  [ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
  stop_shims "$i"
}

case ${1:-} in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  load) shift; cmd_load "$@" ;;
  kill) shift; cmd_kill "$@" ;;
  env) cat "$state/rig.env" ;;
  *) sed -n '2,11p' "$0" >&2; exit 2 ;;
esac
