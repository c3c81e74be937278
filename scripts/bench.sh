#!/usr/bin/env bash
# Runs Runner Fleet's benchmarks (issues 9 and 18): provisioning against the container floor, the runner
# floor and the runner.sh flow, job-start latency (cold/warm, single/burst, Docker and host processes), the
# command line's start-up, job queued to container started through a webhook and through a runner scale set
# (issue 13: cold jobs one at a time, a burst, and an idle scale-set fleet's requests per hour), the GitHub
# API cost of steady fleets, and the heap of a 100-runner fleet. Every section records the machine's load
# average and says when other work disturbed it.
#
#   scripts/bench.sh                          # defaults: --reps 3 --sizes 1,5,10,20 (tens of minutes on 2 cores)
#   scripts/bench.sh --skip-runner-sh --job-start-jobs 5 --burst 5   # the quicker parts
#   scripts/bench.sh --reps 5 --sizes 10      # any option of io.runnerfleet.examples.bench.Benchmarks
#   scripts/bench.sh --skip-docker            # GitHub cost and memory only, no engine needed
#   scripts/bench.sh --swarm --swarm-runners 30   # also start() on a 3-node swarm of this machine vs 1 node (root)
#   scripts/bench.sh --skip-scale-set         # everything but the scale-set latency (about 10 minutes of it)
#   scripts/bench.sh --scale-set-jobs 5 --scale-set-burst 5 --scale-set-idle 60   # a quick look at it
#
# Starts a local Docker engine first when none answers (scripts/docker-engine.sh), compiles the
# modules (package, tests skipped), then runs the benchmark main on the runtime classpath. Tables go to stdout, JSON to
# runner-examples/target/bench/. Measurements only: nothing here fails because the machine is slow.
set -euo pipefail
cd "$(dirname "$0")/.."

case " $* " in
  *" --skip-docker "*) ;;
  *) bash scripts/docker-engine.sh ;;
esac

cp_file=runner-examples/target/bench.classpath
./mvnw -B -q -pl runner-examples -am package -DskipTests dependency:build-classpath \
  -Dmdep.outputFile="$PWD/$cp_file" -Dmdep.includeScope=runtime
classpath="runner-examples/target/classes:$(cat "$cp_file")"

# The fleet's own threads are the measured ones: keep the JVM's heap default and log quietly.
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$classpath" \
  io.runnerfleet.examples.bench.Benchmarks --out runner-examples/target/bench "$@"
