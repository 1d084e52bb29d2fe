#!/usr/bin/env bash
# Buyer-token verifiers side by side: CPU ns and bytes per verification of a fresh HS256 and RS256
# token, per library, each held to the service's checks first. token-bench/ is its own Maven project,
# so the candidate libraries never reach the service. Bounded: 12 runs × 2 rounds × 13 s plus
# start-up, about 8 minutes.
set -euo pipefail
cd "$(dirname "$0")/token-bench"
mvn -q -B -Dstyle.color=never compile dependency:build-classpath -Dmdep.outputFile=target/classpath
java -cp "target/classes:$(cat target/classpath)" tokenbench.TokenBench
