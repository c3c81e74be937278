#!/usr/bin/env bash
# Runs every test: unit tests and the Docker integration tests against a real engine.
# Starts a local Docker engine first when none answers (scripts/docker-engine.sh). Without an engine
# the Docker tests are skipped with a reason, unless RUNNERFLEET_REQUIRE_DOCKER=1 makes that a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! bash scripts/docker-engine.sh; then
  if [ "${RUNNERFLEET_REQUIRE_DOCKER:-}" = 1 ]; then
    echo "test.sh: RUNNERFLEET_REQUIRE_DOCKER=1 and no Docker engine could be started" >&2
    exit 1
  fi
  echo "test.sh: no Docker engine; the Docker integration tests will be skipped" >&2
fi

# One line of the host facts that decide what runs, so a CI log explains itself.
host_facts() {
  local engine user kvm serial dialout
  engine=$(timeout 20 docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null || echo none)
  if [ "$(id -u)" = 0 ]; then user=root; else user="uid $(id -u), not root"; fi
  if [ -c /dev/kvm ]; then kvm=present
  elif [ "$(id -u)" = 0 ]; then kvm="missing (tests make a stand-in and remove it)"
  else kvm="missing (tests that map it skip: not root)"; fi
  if [ -e /dev/serial ]; then serial=present; else serial="missing (stand-in made when root)"; fi
  if getent group dialout >/dev/null 2>&1; then dialout="gid $(getent group dialout | cut -d: -f3)"
  else dialout="missing (stand-in made when root)"; fi
  echo "test.sh: host: engine ${engine}; ${user}; /dev/kvm ${kvm}; /dev/serial ${serial}; dialout ${dialout};" \
    "cores $(nproc 2>/dev/null || echo '?'); java $(java -version 2>&1 | head -1 | cut -d'"' -f2); swarm rig $(swarm_rig)"
}

# Whether the Swarm ITs can make their rig (scripts/swarm-rig.sh); they skip with the reason otherwise.
swarm_rig() {
  local tool
  if [ "${RUNNERFLEET_SWARM_IT:-}" = 0 ]; then echo "off (RUNNERFLEET_SWARM_IT=0)"; return; fi
  if [ "$(id -u)" != 0 ]; then echo "no (not root: the Swarm ITs skip)"; return; fi
  for tool in ip nsenter unshare dockerd; do
    command -v "$tool" >/dev/null 2>&1 || { echo "no ('$tool' missing: the Swarm ITs skip)"; return; }
  done
  echo "yes (the Swarm ITs bring up 1- and 3-node swarms; RUNNERFLEET_SWARM_IT=0 skips them)"
}
host_facts

exec ./mvnw -B verify "$@"
