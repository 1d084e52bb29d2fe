#!/usr/bin/env bash
# The opening second with the access challenge off and on: builds the jar, then runs
# load-tests/OpeningSecond.java against it on 127.0.0.1. Bounded: two bursts of BENCH_BUYERS
# (default 1000) buyers, about a minute in all. With the argument "room": the waiting room off and
# on instead of the challenge. Prints tables; never part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
ulimit -n 65536 2>/dev/null || true
[ -n "${SKIP_BUILD:-}" ] || mvn -q -B -DskipTests package
java -cp target/seckill.jar load-tests/OpeningSecond.java "$@"
