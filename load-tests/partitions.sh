#!/usr/bin/env bash
# The partition scenarios of docs/partitions.md, each run N times on fresh node processes in network
# namespaces, then one table: runs, violations, overlaps, the range of each timing, downed nodes.
#   bash load-tests/partitions.sh [N] [scenario...]    # N 5 by default; scenarios 1-6 or labels, all by default
# Needs root (network namespaces, veth pairs, nftables rules). About a minute and a half a run; every
# run's history is under target/partition/, the nodes' logs under target/node-logs/. Exits 0 only when
# no run failed, found a violation or saw both sides sell at once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "partitions.sh needs root: it makes network namespaces, veth pairs and nftables rules" >&2
  exit 2
fi
# Maven 3.8 prints colour resets even in batch mode
mvn -q -B -Dstyle.color=never test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/local.classpath -Dmdep.includeScope=test 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
exec java -cp "target/test-classes:target/classes:$(cat target/local.classpath)" seckill.partition.PartitionTable "$@"
