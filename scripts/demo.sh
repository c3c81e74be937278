#!/usr/bin/env bash
# The README's first command. Prepares what the demo needs the same way scripts/test.sh does (a
# local Docker engine, the built project) and then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/docker-engine.sh
./mvnw -B -q install -DskipTests
echo
echo "Runner Fleet is built: every module's jar is in its target/ folder and in your local Maven repository."
echo "The interactive demo (runnerfleet demo) is not written yet; see the README's module map for what exists today."
