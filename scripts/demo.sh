#!/usr/bin/env bash
# The README's first command. Prepares what the demo needs the same way scripts/test.sh does (a
# local Docker engine, the built project) and then runs it: runnerfleet demo.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docker-engine.sh
./mvnw -B -q package -DskipTests
exec scripts/runnerfleet demo
