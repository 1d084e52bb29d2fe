#!/usr/bin/env bash
# The entity alone: reservations/s with batches of 1, 10, 100, 1000 on H2 file and PostgreSQL
# (embedded binaries from Maven Central). Bounded: 8 rows of BENCH_SECONDS (default 5) each.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
java -Dlogback.configurationFile=src/main/resources/logback.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" seckill.bench.EntityBench
