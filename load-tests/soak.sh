#!/usr/bin/env bash
# The failover settings under load: starts the local 3-node cluster (cluster-config/cluster.sh, on
# PostgreSQL and Kafka, every JVM logging its GC pauses), drives it with wrk for SOAK_SECONDS
# (default 600) with every request a durable reserve, prints per node the longest GC pause, the
# longest heartbeat delay, every node marked unreachable and every resolver decision, then stops
# the cluster. Exits 1 if a healthy node was downed. Bounded; traffic only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
source load-tests/need-wrk.sh
ulimit -n 65536 2>/dev/null || true
RUN=cluster-config/run
bash cluster-config/cluster.sh stop >/dev/null 2>&1 || true
rm -f "$RUN"/gc-*.log "$RUN"/soak-wrk-*.txt
trap 'bash cluster-config/cluster.sh stop >/dev/null 2>&1 || true' EXIT
JAVA_TOOL_OPTIONS="-Xlog:gc:file=$PWD/$RUN/gc-%p.log" bash cluster-config/cluster.sh start > "$RUN/soak-start.txt" 2>&1 \
  || { cat "$RUN/soak-start.txt"; exit 1; }
echo "cluster up; failover settings: $(grep -E '^ *(failure-detector|stable-after|down-removal-margin|leader-actions)[^$]*$' src/main/resources/cluster.conf | grep -v '{' | sed 's/^ *//' | tr '\n' ' ')"
java load-tests/Soak.java "${SOAK_SECONDS:-600}" "${SOAK_CONNECTIONS:-16}"
