#!/usr/bin/env bash
# The HTTP benchmark: builds the jar, then runs load-tests/Bench.java (JDK only) which starts the
# service on the embedded default and drives it with wrk and an open-loop generator on 127.0.0.1. Bounded: 10 phases of
# BENCH_SECONDS (default 10) each. Prints a table; never part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/need-wrk.sh
ulimit -n 65536 2>/dev/null || true
mvn -q -B -DskipTests package
java load-tests/Bench.java
