#!/usr/bin/env bash
# The big sale on each runtime and GC, side by side in one run: Java 17 (the default java) and Java 25
# (RUNTIMES_JAVA25, default /usr/lib/jvm/temurin-25-jdk-amd64), each with G1 (the default), generational
# ZGC and Parallel. 10,000,000 reservations (RUNTIMES_RESERVATIONS) on the H2 file (RUNTIMES_JOURNALS;
# "H2 file,PostgreSQL" for both), heap 6g (RUNTIMES_HEAP). Prints one table: the big sale's row per JVM
# and GC, with the flags each ran with. Keep the machine otherwise idle.
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA25=${RUNTIMES_JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64}
declare -A JAVAS=([17]=java)
[ -x "$JAVA25/bin/java" ] && JAVAS[25]="$JAVA25/bin/java" || echo "no Java 25 at $JAVA25: Java 17 only"
# ZGC is generational by default on 25; on 17 it is the single-generation ZGC
declare -A GCS=([G1]="-XX:+UseG1GC" [ZGC]="-XX:+UseZGC" [Parallel]="-XX:+UseParallelGC")
out=$(mktemp)
rows=()
for version in 17 25; do
  [ -n "${JAVAS[$version]:-}" ] || continue
  for gc in G1 ZGC Parallel; do
    echo "== Java $version, $gc (${GCS[$gc]})"
    JDK_JAVA_OPTIONS="${GCS[$gc]}" BIG_SALE_JAVA="${JAVAS[$version]}" BIG_SALE_RESERVATIONS=${RUNTIMES_RESERVATIONS:-10000000} \
      BIG_SALE_HEAP=${RUNTIMES_HEAP:-6g} BIG_SALE_JOURNALS="${RUNTIMES_JOURNALS:-H2 file}" bash load-tests/big-sale.sh 2>&1 | tee "$out" \
      | grep -E "recovered|longest batch|bytes per reservation" | tail -4
    while IFS= read -r row; do rows+=("| $version | $gc ${GCS[$gc]} ${row}"); done < <(grep -E '^\| (H2 file|PostgreSQL) \|' "$out")
  done
done
echo
echo "| Java | GC and flags (-Xmx${RUNTIMES_HEAP:-6g}) | journal | first chunk /s | slowest chunk /s | fastest chunk /s | longest batch ms | heap per reservation | recovery s | recovery from events alone s |"
echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
rm -f "$out"
