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

exec ./mvnw -B verify "$@"
