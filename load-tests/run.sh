#!/usr/bin/env bash
# The HTTP benchmark: builds the jar, then runs load-tests/Bench.java (JDK only) which starts the
# service on the embedded default and drives it with wrk and an open-loop generator on 127.0.0.1. Bounded: 10 phases of
# BENCH_SECONDS (default 10) each. Prints a table; never part of the test command.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
  else
    echo "wrk is needed: sudo apt-get install wrk" >&2; exit 1
  fi
fi
ulimit -n 65536 2>/dev/null || true
mvn -q -B -DskipTests package
java load-tests/Bench.java
