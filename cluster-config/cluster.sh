#!/usr/bin/env bash
# A local 3-node cluster on 127.0.0.1 against one PostgreSQL and one Kafka broker.
#   bash cluster-config/cluster.sh start      # PostgreSQL (embedded, unless SECKILL_DB_URL is set),
#                                             # Kafka (KRaft from the kafka_2.13 jars, unless SECKILL_KAFKA_BOOTSTRAP
#                                             # is set; SECKILL_KAFKA_BOOTSTRAP=off for none) + nodes 1..3
#   bash cluster-config/cluster.sh status
#   bash cluster-config/cluster.sh stop       # SIGTERM, one node at a time: each leaves and hands its shards off
#   bash cluster-config/cluster.sh start N    # node N alone (again), with the settings the cluster started with
#   bash cluster-config/cluster.sh stop N     # node N leaves (SIGTERM)
#   bash cluster-config/cluster.sh kill N     # SIGKILL node N: a crash, for failover drills
#   bash cluster-config/cluster.sh down N     # the cluster downs node N, as the split brain resolver does; it exits
#   bash cluster-config/cluster.sh restart N  # stop N, then start N
#   bash cluster-config/cluster.sh start --supervised   # (or SECKILL_SUPERVISE=1) each node under a supervisor
#                                             # that starts it again when it exits downed or crashed (kill N too),
#                                             # never after stop/stop N; `status` counts the restarts
# Node n: HTTP 808n, management 855n, remoting 2552n (cluster-config/node<n>.conf). Logs, pids and the
# settings every node shares (cluster.env) under cluster-config/run/. Exit codes: docs/operations.md#exit-codes
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=cluster-config/run
ENV_FILE=$RUN/cluster.env
PG_PORT=${PG_PORT:-54329}
KAFKA_PORT=${KAFKA_PORT:-19092}
mkdir -p "$RUN"
# Maven, quiet, its output as plain text (Maven 3.8 prints colour resets even in batch mode)
mvn_quiet() {
  mvn -q -B -Dstyle.color=never "$@" 2>&1 | sed 's/\x1b\[[0-9;]*m//g'
}

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

# The settings every node shares, written once by `start` so `start N` brings a node back the same way.
write_env() {
  # dev mode is off in the cluster configs, so each secret must be set: the one given, else the one
  # this cluster had, else a random one (a node refuses values shown in seckill's repository, and two
  # equal secrets)
  local name
  for name in SECKILL_JWT_SECRET SECKILL_ADMIN_TOKEN SECKILL_SALE_KEY_SECRET SECKILL_CHALLENGE_SECRET SECKILL_WAITING_ROOM_SECRET; do
    if [ -z "${!name:-}" ] && [ -f "$ENV_FILE" ]; then
      export "$name=$(source "$ENV_FILE"; printf %s "${!name:-}")"
    fi
    if [ -z "${!name:-}" ]; then
      export "$name=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
    fi
  done
  : > "$ENV_FILE"
  for name in SECKILL_JWT_SECRET SECKILL_ADMIN_TOKEN SECKILL_SALE_KEY_SECRET SECKILL_CHALLENGE_SECRET SECKILL_WAITING_ROOM_SECRET \
      SECKILL_DB_URL SECKILL_DB_USER SECKILL_DB_PASSWORD SECKILL_KAFKA_BOOTSTRAP SECKILL_SUPERVISE; do
    if [ -n "${!name+x}" ]; then printf "export %s=%q\n" "$name" "${!name}" >> "$ENV_FILE"; fi
  done
}

pid_of() {
  [ -f "$RUN/node$1.pid" ] && kill -0 "$(cat "$RUN/node$1.pid")" 2>/dev/null && cat "$RUN/node$1.pid"
}

supervisor_of() {
  [ -f "$RUN/node$1.supervisor.pid" ] && kill -0 "$(cat "$RUN/node$1.supervisor.pid")" 2>/dev/null \
    && cat "$RUN/node$1.supervisor.pid"
}

supervised() {
  [ "${SECKILL_SUPERVISE:-}" = 1 ]
}

check_node() {
  case "${1:-}" in 1|2|3) ;; *) echo "node must be 1, 2 or 3" >&2; exit 2 ;; esac
}

# Starts node N in the background with the shared settings and its own nodeN.conf (under a supervisor
# in supervised mode); waits for /ready. `first`: the cluster's start, which does not wait.
start_node() {
  local n=$1 how=${2:-rejoin}
  check_node "$n"
  [ -f "$ENV_FILE" ] || { echo "no $ENV_FILE: run '$0 start' first" >&2; exit 1; }
  if pid_of "$n" >/dev/null; then echo "node$n already runs (pid $(pid_of "$n"))"; return; fi
  if supervisor_of "$n" >/dev/null; then echo "node$n is being started again by its supervisor"; return; fi
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  if supervised; then
    rm -f "$RUN/node$n.stopping"
    supervise "$n" "$how" >> "$RUN/node$n.log" 2>&1 < /dev/null &
    echo $! > "$RUN/node$n.supervisor.pid"
  else
    launch_node "$n" "$how"
  fi
  [ "$how" = first ] && return
  await_ready "$n"
}

# Runs node N's JVM in the background, its pid in nodeN.pid. At the cluster's start (`first`) with the
# seeds of nodeN.conf, and the demo sale on node 1. Coming back, its seeds are the other two nodes:
# node 1 is the first seed of the configs, and a first seed that reaches no other seed within
# seed-node-timeout forms a cluster of its own, a second one beside the running cluster.
launch_node() {
  local n=$1 how=$2 m demo=off seeds=()
  if [ "$how" = first ]; then
    [ "$n" = 1 ] && demo=on
  else
    local others=""
    for m in 1 2 3; do [ "$m" = "$n" ] || others="$others${others:+,}pekko://seckill@127.0.0.1:2552$m"; done
    seeds=("-Dpekko.cluster.seed-nodes=$others")
  fi
  echo "==== start $(date -u +%FT%TZ)" >> "$RUN/node$n.log"
  SECKILL_DEMO=$demo java -Xmx1g ${seeds[@]+"${seeds[@]}"} -Dconfig.file="cluster-config/node$n.conf" \
    -jar target/seckill.jar >> "$RUN/node$n.log" 2>&1 &
  echo $! > "$RUN/node$n.pid"
}

# What a node's exit code means (docs/operations.md#exit-codes).
exit_meaning() {
  case $1 in
    0) echo "left the cluster" ;;
    1) echo "refused to start, or stopped on a fault in its setup: the reason is logged above" ;;
    75) echo "reached no seed node within the join timeout" ;;
    137) echo "killed (SIGKILL)" ;;
    143) echo "stopped (SIGTERM): left the cluster" ;;
    255) echo "downed or removed by the cluster" ;;
    *) echo "crashed" ;;
  esac
}

# Supervised mode, one per node, in the background, logging to the node's log: runs node N, and runs
# it again when it exits downed (255), without a seed node (75) or crashed (any other code, SIGKILL
# included): at once, then after 2, 4 ... 30 s while it keeps exiting within a minute. Never after
# `stop`/`stop N` (they leave nodeN.stopping first), a graceful leave (0, 143) or a refused start (1):
# those were meant, or would fail the same way again.
supervise() {
  local n=$1 how=$2 pid code started delay=0 next=0 restarts=0
  echo 0 > "$RUN/node$n.restarts"
  while [ ! -f "$RUN/node$n.stopping" ]; do
    started=$SECONDS
    launch_node "$n" "$how"
    pid=$!
    how=rejoin
    code=0
    wait "$pid" || code=$?
    echo "==== supervisor $(date -u +%FT%TZ): node$n (pid $pid) exited with $code, $(exit_meaning "$code")"
    if [ -f "$RUN/node$n.stopping" ]; then echo "==== supervisor: stopped by cluster.sh, not restarted"; break; fi
    case $code in 0|1|143) echo "==== supervisor: not restarted"; break ;; esac
    if [ $((SECONDS - started)) -ge 60 ]; then next=0; fi
    delay=$next
    next=$(( next == 0 ? 2 : (next * 2 > 30 ? 30 : next * 2) ))
    restarts=$((restarts + 1))
    echo "$restarts" > "$RUN/node$n.restarts"
    echo "==== supervisor: restart $restarts in $delay s"
    for _ in $(seq 1 "$delay"); do [ -f "$RUN/node$n.stopping" ] && break; sleep 1; done
  done
  rm -f "$RUN/node$n.supervisor.pid"
}

await_ready() {
  for _ in $(seq 1 90); do
    curl -sf "http://127.0.0.1:855$1/ready" >/dev/null && { echo "node$1 ready"; return; }
    pid_of "$1" >/dev/null || supervisor_of "$1" >/dev/null || { echo "node$1 exited, see $RUN/node$1.log"; exit 1; }
    sleep 1
  done
  echo "node$1 not ready after 90 s, see $RUN/node$1.log"; exit 1
}

# SIGTERM: the node leaves, hands its shards off and exits. A supervised node's supervisor is told
# first (nodeN.stopping) and ends with it.
stop_node() {
  local n=$1 pid sup termed=""
  check_node "$n"
  if sup=$(supervisor_of "$n"); then
    touch "$RUN/node$n.stopping"
    for _ in $(seq 1 180); do
      # the node it runs now: it may be starting one again at this moment, which then gets the SIGTERM
      if pid=$(pid_of "$n") && [ "$pid" != "$termed" ]; then kill -TERM "$pid" 2>/dev/null || true; termed=$pid; fi
      kill -0 "$sup" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$sup" 2>/dev/null; then echo "node$n still stopping after 90 s, see $RUN/node$n.log"; exit 1; fi
    rm -f "$RUN/node$n.stopping" "$RUN/node$n.pid"
    echo "node$n stopped, and its supervisor"
    return
  fi
  if ! pid=$(pid_of "$n"); then echo "node$n is not running"; rm -f "$RUN/node$n.pid"; return; fi
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  rm -f "$RUN/node$n.pid"
  echo "node$n stopped"
}

# SIGKILL: a crash. The others down it (split brain resolver) and take its shards over. A supervised
# node is started again by its supervisor, as Kubernetes restarts a container that died.
kill_node() {
  local n=$1 pid
  check_node "$n"
  if ! pid=$(pid_of "$n"); then echo "node$n is not running"; return; fi
  kill -KILL "$pid"
  if supervisor_of "$n" >/dev/null; then echo "node$n killed (pid $pid), its supervisor starts it again"; return; fi
  rm -f "$RUN/node$n.pid"
  echo "node$n killed (pid $pid)"
}

# The cluster downs node N (the admin API of another node that runs), as the split brain resolver
# downs a node it gave up on: node N exits with 255, and a supervised one comes back.
down_node() {
  local n=$1 m
  check_node "$n"
  [ -f "$ENV_FILE" ] || { echo "no $ENV_FILE: run '$0 start' first" >&2; exit 1; }
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  for m in 1 2 3; do
    [ "$m" != "$n" ] && pid_of "$m" >/dev/null || continue
    if curl -sf -o /dev/null -X POST -H "Authorization: Bearer $SECKILL_ADMIN_TOKEN" -H "Content-Type: application/json" \
        -d "{\"address\": \"pekko://seckill@127.0.0.1:2552$n\"}" "http://127.0.0.1:808$m/admin/cluster/down"; then
      echo "node$n downed (by node$m)"
      return
    fi
  done
  echo "no other node downed node$n: none runs, or none answered" >&2
  exit 1
}

start() {
  # SECKILL_SKIP_BUILD=1: use target/seckill.jar and target/local.classpath as they are (the test of this script)
  if [ -z "${SECKILL_SKIP_BUILD:-}" ]; then
    mvn_quiet -DskipTests package
    mvn_quiet test-compile dependency:build-classpath -Dmdep.outputFile=target/local.classpath -Dmdep.includeScope=test
  fi
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
  write_env
  for n in 1 2 3; do start_node "$n" first; done
  for n in 1 2 3; do await_ready "$n"; done
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  status
  echo
  echo "sale page:  http://127.0.0.1:8081/sales/demo  (any node: 8081, 8082, 8083)"
  echo "members:    curl http://127.0.0.1:8551/cluster/members"
  echo "shards:     curl http://127.0.0.1:8551/cluster/shards/Sale"
  echo "a token:    SECKILL_JWT_SECRET=$SECKILL_JWT_SECRET java cluster-config/Token.java alice"
  echo "admin:      curl -H 'Authorization: Bearer $SECKILL_ADMIN_TOKEN' http://127.0.0.1:8082/admin/sales/demo"
  echo "placement:  curl -H 'Authorization: Bearer $SECKILL_ADMIN_TOKEN' http://127.0.0.1:8082/admin/sales/demo/placement"
  echo "one node:   bash $0 stop 2 | start 2 | restart 2 | kill 2 | down 2"
  if [ -n "${SECKILL_KAFKA_BOOTSTRAP:-}" ]; then
    echo "kafka:      $SECKILL_KAFKA_BOOTSTRAP (topics seckill.orders, seckill.sales, seckill.payments)"
    echo "  orders:   java -cp \"target/classes:\$(cat target/local.classpath)\" cluster-config/KafkaTool.java tail seckill.orders"
    echo "  pay:      java -cp \"target/classes:\$(cat target/local.classpath)\" cluster-config/KafkaTool.java pay <reservationId> pay-1"
  fi
  true
}

status() {
  local n pid sup ready
  for n in 1 2 3; do
    printf "node%s: " $n
    sup=""
    if supervisor_of "$n" >/dev/null; then sup=", supervised, restarts $(cat "$RUN/node$n.restarts" 2>/dev/null || echo 0)"; fi
    if pid=$(pid_of "$n"); then
      ready=$(curl -s -o /dev/null -w "%{http_code}" "http://127.0.0.1:855$n/ready") || true
      if [ "$ready" = 000 ]; then echo "pid $pid, not answering$sup"; else echo "pid $pid, ready $ready$sup"; fi
    elif [ -n "$sup" ]; then
      echo "exited, being started again$sup"
    else
      echo "down"
    fi
  done
}

stop() {
  # one at a time: each node leaves, hands its shards to the others and exits before the next goes
  for n in 3 2 1; do stop_node "$n"; done
  if [ -f "$RUN/kafka.pid" ]; then kill -TERM "$(cat "$RUN/kafka.pid")" 2>/dev/null || true; rm -f "$RUN/kafka.pid"; fi
  if [ -f "$RUN/postgres.pid" ]; then kill -TERM "$(cat "$RUN/postgres.pid")" 2>/dev/null || true; rm -f "$RUN/postgres.pid"; fi
  rm -f "$ENV_FILE"
  echo "stopped"
}

# --supervised, anywhere on the line: the nodes this command starts run under a supervisor
args=()
for arg in "$@"; do
  if [ "$arg" = --supervised ]; then export SECKILL_SUPERVISE=1; else args+=("$arg"); fi
done
set -- ${args[@]+"${args[@]}"}

case "${1:-}:${2:-}" in
  start:) start ;;
  stop:) stop ;;
  status:*) status ;;
  start:*) start_node "$2" ;;
  stop:*) stop_node "$2" ;;
  kill:*) kill_node "$2" ;;
  down:*) down_node "$2" ;;
  restart:*) stop_node "$2"; start_node "$2" ;;
  *) echo "usage: $0 start [--supervised]|stop|status, or start|stop|kill|down|restart N (N = 1, 2, 3)" >&2; exit 2 ;;
esac
