#!/usr/bin/env bash
# A sale of 10,000,000 units (BIG_SALE_UNITS) on a whole node, end to end: filled through its entity,
# then reserve, owner lookup, payment and sold out over HTTP, every hold expiring (BIG_SALE_HOLD
# seconds), lookups and a reserve after it, and a node restart. H2 file, or BIG_SALE_JOURNALS=PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
java -Xmx6g -Dlogback.configurationFile=src/main/resources/logback.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" seckill.bench.BigSaleHttpBench
