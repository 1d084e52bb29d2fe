#!/usr/bin/env bash
# A local 3-node cluster on 127.0.0.1 against one PostgreSQL and one Kafka broker.
#   bash cluster-config/cluster.sh start    # PostgreSQL (embedded, unless SECKILL_DB_URL is set),
#                                           # Kafka (KRaft from the kafka_2.13 jars, unless SECKILL_KAFKA_BOOTSTRAP
#                                           # is set; SECKILL_KAFKA_BOOTSTRAP=off for none) + nodes 1..3
#   bash cluster-config/cluster.sh status
#   bash cluster-config/cluster.sh stop     # SIGTERM: each node leaves and hands its shards off
# Node n: HTTP 808n, management 855n, remoting 2552n. Logs and pids under cluster-config/run/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=cluster-config/run
PG_PORT=${PG_PORT:-54329}
KAFKA_PORT=${KAFKA_PORT:-19092}
mkdir -p "$RUN"

# local secrets: dev mode is off in the cluster configs, so each must be set (override freely)
export SECKILL_JWT_SECRET=${SECKILL_JWT_SECRET:-local-cluster-jwt-secret-0123456789abcdef}
export SECKILL_ADMIN_TOKEN=${SECKILL_ADMIN_TOKEN:-local-admin-token}
export SECKILL_SALE_KEY_SECRET=${SECKILL_SALE_KEY_SECRET:-local-sale-key-secret}
export SECKILL_CHALLENGE_SECRET=${SECKILL_CHALLENGE_SECRET:-local-cluster-challenge-secret-0123456789}

# A local helper from the test classes (LocalPostgres, LocalKafka) in the background, until it prints
# its ready line: local_service NAME CLASS READY-TEXT ARGS...
local_service() {
  local name=$1 class=$2 ready=$3
  shift 3
  java -cp "target/test-classes:target/classes:$(cat target/local.classpath)" "$class" "$@" > "$RUN/$name.log" 2>&1 &
  echo $! > "$RUN/$name.pid"
  for _ in $(seq 1 90); do grep -q "$ready" "$RUN/$name.log" 2>/dev/null && break; sleep 1; done
  grep "$ready" "$RUN/$name.log" || { echo "$name did not start, see $RUN/$name.log"; exit 1; }
}

start() {
  mvn -q -B -DskipTests package
  mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/local.classpath -Dmdep.includeScope=test
  if [ -z "${SECKILL_DB_URL:-}" ]; then
    local_service postgres seckill.local.LocalPostgres "PostgreSQL ready" "$PG_PORT" "$RUN/pgdata"
    export SECKILL_DB_URL="jdbc:postgresql://127.0.0.1:$PG_PORT/seckill" SECKILL_DB_USER=postgres SECKILL_DB_PASSWORD=postgres
  fi
  if [ -z "${SECKILL_KAFKA_BOOTSTRAP:-}" ]; then
    local_service kafka seckill.local.LocalKafka "Kafka ready" "$KAFKA_PORT" "$RUN/kafka"
    export SECKILL_KAFKA_BOOTSTRAP="127.0.0.1:$KAFKA_PORT"
  elif [ "$SECKILL_KAFKA_BOOTSTRAP" = off ]; then
    export SECKILL_KAFKA_BOOTSTRAP=""
  fi
  for n in 1 2 3; do
    SECKILL_DEMO=$([ $n = 1 ] && echo on || echo off) \
      java -Xmx1g -Dconfig.file=cluster-config/node$n.conf -jar target/seckill.jar > "$RUN/node$n.log" 2>&1 &
    echo $! > "$RUN/node$n.pid"
  done
  for n in 1 2 3; do
    for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:855$n/ready" >/dev/null && break; sleep 1; done
  done
  status
  echo
  echo "sale page:  http://127.0.0.1:8081/sales/demo  (any node: 8081, 8082, 8083)"
  echo "members:    curl http://127.0.0.1:8551/cluster/members"
  echo "shards:     curl http://127.0.0.1:8551/cluster/shards/Sale"
  echo "a token:    SECKILL_JWT_SECRET=$SECKILL_JWT_SECRET java cluster-config/Token.java alice"
  echo "admin:      curl -H 'Authorization: Bearer $SECKILL_ADMIN_TOKEN' http://127.0.0.1:8082/admin/sales/demo"
  if [ -n "${SECKILL_KAFKA_BOOTSTRAP:-}" ]; then
    echo "kafka:      $SECKILL_KAFKA_BOOTSTRAP (topics seckill.orders, seckill.sales, seckill.payments)"
    echo "  orders:   java -cp \"target/classes:\$(cat target/local.classpath)\" cluster-config/KafkaTool.java tail seckill.orders"
    echo "  pay:      java -cp \"target/classes:\$(cat target/local.classpath)\" cluster-config/KafkaTool.java pay <reservationId> pay-1"
  fi
  true
}

status() {
  for n in 1 2 3; do
    printf "node%s: " $n
    curl -s -o /dev/null -w "ready %{http_code}\n" "http://127.0.0.1:855$n/ready" || echo "down"
  done
}

stop() {
  # one at a time: each node leaves, hands its shards to the others and exits before the next goes
  for n in 3 2 1; do
    if [ -f "$RUN/node$n.pid" ]; then
      pid=$(cat "$RUN/node$n.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      rm -f "$RUN/node$n.pid"
      echo "node$n stopped"
    fi
  done
  if [ -f "$RUN/kafka.pid" ]; then kill -TERM "$(cat "$RUN/kafka.pid")" 2>/dev/null || true; rm -f "$RUN/kafka.pid"; fi
  if [ -f "$RUN/postgres.pid" ]; then kill -TERM "$(cat "$RUN/postgres.pid")" 2>/dev/null || true; rm -f "$RUN/postgres.pid"; fi
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
