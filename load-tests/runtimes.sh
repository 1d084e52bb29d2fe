#!/usr/bin/env bash
# Each runtime and GC side by side in one run: Java 17 (the default java) and Java 25 (RUNTIMES_JAVA25,
# default /usr/lib/jvm/temurin-25-jdk-amd64), each with G1 (the default), ZGC (generational on 25,
# single-generation on 17) and Parallel. RUNTIMES_BENCH picks what runs on each (default both):
#  - big-sale: load-tests/big-sale.sh, 10,000,000 reservations (RUNTIMES_RESERVATIONS) on the H2 file
#    (RUNTIMES_JOURNALS; "H2 file,PostgreSQL" for both), heap 6g (RUNTIMES_HEAP);
#  - edge: load-tests/run.sh (the server on that JVM and GC, -Xmx2g; the no-op runs in the same process).
# Prints one table per benchmark with a row per JVM and GC and the flags each ran with. Keep the
# machine otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA25=${RUNTIMES_JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}
declare -A JAVAS=([17]=java)
[ -x "$JAVA25/bin/java" ] && JAVAS[25]="$JAVA25/bin/java" || echo "no Java 25 at $JAVA25: Java 17 only"
declare -A GCS=([G1]="-XX:+UseG1GC" [ZGC]="-XX:+UseZGC" [Parallel]="-XX:+UseParallelGC")
BENCHES=${RUNTIMES_BENCH:-big-sale edge}
out=$(mktemp)
big=()
edge=()
for version in 17 25; do
  [ -n "${JAVAS[$version]:-}" ] || continue
  for gc in G1 ZGC Parallel; do
    if [[ " $BENCHES " == *" big-sale "* ]]; then
      echo "== big sale: Java $version, $gc (${GCS[$gc]})"
      JDK_JAVA_OPTIONS="${GCS[$gc]}" BIG_SALE_JAVA="${JAVAS[$version]}" BIG_SALE_RESERVATIONS=${RUNTIMES_RESERVATIONS:-10000000} \
        BIG_SALE_HEAP=${RUNTIMES_HEAP:-6g} BIG_SALE_JOURNALS="${RUNTIMES_JOURNALS:-H2 file}" bash load-tests/big-sale.sh 2>&1 | tee "$out" \
        | grep -E "recovered|longest batch|bytes per reservation" | tail -4
      while IFS= read -r row; do big+=("| $version | $gc ${GCS[$gc]} ${row}"); done < <(grep -E '^\| (H2 file|PostgreSQL) \|' "$out")
    fi
    if [[ " $BENCHES " == *" edge "* ]]; then
      echo "== edge: Java $version, $gc (${GCS[$gc]})"
      BENCH_JAVA="${JAVAS[$version]}" BENCH_JAVA_OPTS="${GCS[$gc]}" bash load-tests/run.sh > "$out" 2>&1 || { tail -20 "$out"; exit 1; }
      sed -n '/^| phase |/,/^$/p' "$out"
      while IFS= read -r row; do edge+=("| $version | $gc | ${row#| }"); done \
        < <(grep -E '^\| (minimal Pekko HTTP no-op POST \(mean|durable reserve|sold out|overload)' "$out")
    fi
  done
done
if [ ${#big[@]} -gt 0 ]; then
  echo
  echo "| Java | GC and flags (-Xmx${RUNTIMES_HEAP:-6g}) | journal | first chunk /s | slowest chunk /s | fastest chunk /s | longest batch ms | heap per reservation | recovery s | recovery from events alone s |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${big[@]}"
fi
if [ ${#edge[@]} -gt 0 ]; then
  echo
  echo "| Java | GC (-Xmx2g) | phase | req/s | p50 ms | p99 ms | req/s vs no-op | p99 vs no-op | goal | met |"
  echo "|---|---|---|---:|---:|---:|---:|---:|---|---|"
  printf '%s\n' "${edge[@]}"
fi
rm -f "$out"
