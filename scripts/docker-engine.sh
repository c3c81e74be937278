#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine, for the integration tests and the demo.
#
# Idempotent: when `docker info` already answers, nothing is changed (an engine that is running
# is never stopped or reconfigured). Otherwise, on Debian/Ubuntu as root, installs docker.io and
# busybox-static with apt, starts dockerd in the background (log: $RUNNERFLEET_DOCKERD_LOG) and
# waits up to 60 s for it. Anywhere else it says what to do and exits non-zero.
set -euo pipefail

log=${RUNNERFLEET_DOCKERD_LOG:-/var/log/runnerfleet-dockerd.log}
pidfile=/var/run/docker.pid

say() { printf 'docker-engine: %s\n' "$*" >&2; }

engine_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }

need_busybox() { [ -x /bin/busybox ] && file_is_static /bin/busybox; }
file_is_static() { ! LC_ALL=C ldd "$1" >/dev/null 2>&1; }

is_debian_root() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The test images are built FROM scratch with the host's static busybox: make sure it is there
# even when the engine already runs.
if ! need_busybox; then
  if is_debian_root; then
    apt_install busybox-static
  else
    say "the tests need a static busybox at /bin/busybox: install the package busybox-static (for example: sudo apt-get install busybox-static)"
    exit 1
  fi
fi

if engine_answers; then
  say "a Docker engine already answers; nothing changed"
  exit 0
fi

if ! is_debian_root; then
  cat >&2 <<'TXT'
docker-engine: no Docker engine answers, and this script can only install one on Debian/Ubuntu as root.
Start Docker yourself, then run the command again:
  - Debian/Ubuntu:  sudo apt-get install docker.io && sudo systemctl start docker
  - other Linux:    install Docker Engine from your distribution and start the docker service
  - macOS/Windows:  start Docker Desktop
  - remote engine:  export DOCKER_HOST=tcp://host:2376 (with DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH)
TXT
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  apt_install docker.io
fi
command -v docker >/dev/null 2>&1 || apt_install docker.io

# A pid file left by a dockerd that is gone would stop a new one from starting.
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    say "removing stale $pidfile (process ${pid:-?} is gone)"
    rm -f "$pidfile"
  fi
fi

if ! pgrep -x dockerd >/dev/null 2>&1; then
  say "starting dockerd (log: $log)"
  mkdir -p "$(dirname "$log")"
  nohup dockerd >>"$log" 2>&1 </dev/null &
  disown || true
fi

for _ in $(seq 1 60); do
  if engine_answers; then
    say "Docker engine is up"
    exit 0
  fi
  sleep 1
done
say "dockerd did not answer within 60 s; its last log lines:"
tail -n 20 "$log" >&2 || true
exit 1
