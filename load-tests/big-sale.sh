#!/usr/bin/env bash
# A big sale, the entity alone: 1,000,000 reservations (BIG_SALE_RESERVATIONS) in batches of 1,000
# (BIG_SALE_BATCH) on an H2 file and on PostgreSQL (embedded binaries from Maven Central,
# BIG_SALE_JOURNALS to pick), after a warm-up sale (BIG_SALE_WARM_UP): the rate per 100k chunk, the
# longest batch, heap per reservation, recovery time from the snapshot and from the events alone.
# 10M: BIG_SALE_RESERVATIONS=10000000 BIG_SALE_HEAP=6g. Another JVM: BIG_SALE_JAVA=<path of its java>;
# JVM flags (a GC, say) through JDK_JAVA_OPTIONS. load-tests/runtimes.sh runs it for each JVM and GC.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
"${BIG_SALE_JAVA:-java}" -Xmx"${BIG_SALE_HEAP:-4g}" -Dlogback.configurationFile=src/main/resources/logback.xml \
  -cp "target/test-classes:target/classes:$(cat target/bench.classpath)" seckill.bench.BigSaleBench
