#!/usr/bin/env bash
# The waiting room's costs on one node: joins and polls of 100,000 queued buyers (BENCH_ROOM_BUYERS)
# against the bare Pekko HTTP no-op and a sold-out reserve of the same run, then the admission pace
# over 30 s (BENCH_ROOM_PACE per second). Builds the jar, then runs load-tests/Bench.java with wrk on
# 127.0.0.1; about 5 minutes. Never part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/need-wrk.sh
ulimit -n 65536 2>/dev/null || true
[ -n "${SKIP_BUILD:-}" ] || mvn -q -B -DskipTests package
java load-tests/Bench.java waiting-room
