#!/usr/bin/env bash
# The bot-flood scenario: builds the jar, then runs load-tests/Bench.java bot-flood (JDK only), which
# starts the service three times on 127.0.0.1 (buyer throttle on, on without the 429 pause, off) and drives each for
# BENCH_SECONDS (default 10) with honest buyers and a few bots. Prints tables; never part of the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/need-wrk.sh
ulimit -n 65536 2>/dev/null || true
mvn -q -B -DskipTests package
java load-tests/Bench.java bot-flood
