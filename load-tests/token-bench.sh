#!/usr/bin/env bash
# Buyer-token verifiers side by side: ns and bytes per verification of a fresh HS256 and RS256 token,
# per library, each held to the service's checks first. token-bench/ is its own Maven project, so
# the candidate libraries never reach the service. Bounded: about 12 × (2 forks × 10 s) plus start-up.
set -euo pipefail
cd "$(dirname "$0")/token-bench"
mvn -q -B compile dependency:build-classpath -Dmdep.outputFile=target/classpath
java -cp "target/classes:$(cat target/classpath)" tokenbench.TokenBench
