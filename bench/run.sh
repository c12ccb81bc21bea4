#!/usr/bin/env bash
# Runs the benchmark suite and regenerates BENCHMARKS.md.
#
#   bench/run.sh                      the full suite: 7 min measured on 2 cores (estimate below); the
#                                     budget is 20 minutes
#   bench/run.sh --quick              a reduced run (1 warm-up and 2 measurement iterations of 1 s) to check that
#                                     everything works; BENCHMARKS.md marks its figures as reduced
#   bench/run.sh --skip NAME          leaves benchmark class NAME out (repeatable), e.g. --skip HttpConnectBenchmark
#   bench/run.sh --only NAME          re-runs benchmark class NAME alone (repeatable) into bench/results/jmh-NAME.json;
#                                     the other figures stay, each table says which run (date, kernel) it comes from
#   BENCH_NOTE="..." bench/run.sh     adds a note to the run section of BENCHMARKS.md
#
# Only one JMH runs at a time on a machine (JMH's /tmp/jmh.lock); benchmark on an otherwise idle machine.
#
# Needs only bash and a JDK 17+ (java, plus the Maven wrapper for the build). Writes:
#   bench/results/jmh.json              JMH results (-rf json), with -prof gc allocation per op
#   bench/results/connection-scale.csv  ConnectionScale's memory per idle connection
#   bench/results/jmh-NAME.json         with --only: that benchmark's results, which replace its rows of jmh.json
#   bench/results/*.run                 beside each results file: date, machine, kernel, JDK, load of its run
#   bench/target/jmh.log, scale.log     the full console output
#   BENCHMARKS.md                       only its generated region; the hand-written analysis is kept
#
# Time estimate (one fork per configuration; warm-up + measurement as annotated on each class, plus ~2-3 s of
# JVM start with a pre-touched 1 GiB heap per fork):
#   VConnThroughputBenchmark  4 configs x (3x2 s + 5x2 s + ~3 s)           ~ 1.3 min
#   TlsThroughputBenchmark    2 configs x (3x2 s + 5x2 s + ~3 s)           ~ 0.7 min
#   TlsHandshakeBenchmark     2 configs x (3x2 s + 5x2 s + ~3 s)           ~ 0.7 min
#   PairThroughputBenchmark  21 configs x (2x1 s + 4x1 s + ~2 s)           ~ 2.8 min
#   IOBufferBenchmark         6 configs x (3x1 s + 5x1 s + ~2 s)           ~ 1.0 min
#   AdoptBenchmark            3 configs x 30 batches of 500 (+ connects)   ~ 0.5 min
#   HttpConnectBenchmark      8 configs x (3x2 s + 5x2 s + ~3 s)           ~ 2.5 min (runs once its class is built)
#   ConnectionScale           3 transports x 2 modes x ~10,000 connections ~ 0.3 min
#   build (incremental / clean)                                           ~ 0.2 / 1.5 min
#   sum of the above ~ 8.5 min, an upper bound: the whole run without HttpConnectBenchmark measured 4 min 40 s
#   (incremental build), so about 7.5 min with it
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
START=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

QUICK=0
SKIP=()
ONLY=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --skip) SKIP+=("${2:?--skip needs a benchmark class name}"); shift ;;
        --only) ONLY+=("${2:?--only needs a benchmark class name}"); shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done

JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=bench/target/benchmarks.jar
RESULTS=bench/results
mkdir -p "$RESULTS" bench/target

# Build when the jar is missing or any source or pom is newer than it.
if [[ ! -f "$JAR" ]] || [[ -n "$(find . -path ./.git -prune -o -path '*/target' -prune -o \
        \( -name '*.java' -o -name 'pom.xml' -o -name '*.properties' \) -newer "$JAR" -print -quit)" ]]; then
    echo "== building $JAR"
    ./mvnw -B -q -DskipTests package -pl bench -am
fi

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), kernel $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$JAVA" -version 2>&1 | head -1

# Every benchmark of the suite that this build has (HttpConnectBenchmark joins when its class exists).
SUITE=(VConnThroughputBenchmark TlsThroughputBenchmark TlsHandshakeBenchmark PairThroughputBenchmark IOBufferBenchmark AdoptBenchmark HttpConnectBenchmark)
LISTED="$("$JAVA" -jar "$JAR" -l)"
PATTERN=""
for b in "${SUITE[@]}"; do
    if [[ " ${SKIP[*]:-} " == *" $b "* ]]; then
        echo "== $b: skipped (--skip)"
    elif [[ ${#ONLY[@]} -gt 0 && " ${ONLY[*]} " != *" $b "* ]]; then
        echo "== $b: not re-run (--only); its figures stay those of their earlier run"
    elif grep -q "^dev\.vconn\.bench\.$b\." <<<"$LISTED"; then
        PATTERN="${PATTERN:+$PATTERN|}$b"
    else
        echo "== $b is not in this build: skipped"
    fi
done

if [[ -z "$PATTERN" ]]; then
    echo "nothing to run" >&2
    exit 2
fi
# A full run writes jmh.json; --only writes jmh-NAME.json, whose rows replace NAME's rows of jmh.json in the report.
if [[ ${#ONLY[@]} -gt 0 ]]; then
    JMH_OUT="$RESULTS/jmh-$(IFS=-; echo "${ONLY[*]}").json"
else
    JMH_OUT="$RESULTS/jmh.json"
fi
JMH_ARGS=(-f 1 -foe true -prof gc -rf json -rff "$JMH_OUT.tmp")
NOTE=""
if [[ $QUICK == 1 ]]; then
    # Overrides every class's annotations; SingleShotTime (AdoptBenchmark) reads -wi/-i as batch counts.
    JMH_ARGS+=(-wi 1 -i 2 -w 1s -r 1s)
    NOTE="reduced run (bench/run.sh --quick: 1 warm-up and 2 measurement iterations of 1 s): figures are rough"
fi
if [[ ${#SKIP[@]} -gt 0 ]]; then
    NOTE="${NOTE:+$NOTE; }skipped: ${SKIP[*]}"
fi
if [[ ${#ONLY[@]} -gt 0 ]]; then
    NOTE="${NOTE:+$NOTE; }only ${ONLY[*]} re-run (bench/run.sh --only)"
fi
if [[ -n "${BENCH_NOTE:-}" ]]; then
    NOTE="${NOTE:+$NOTE; }$BENCH_NOTE"
fi

echo "== JMH: ^dev.vconn.bench.($PATTERN)\\. (log: bench/target/jmh.log)"
# Locale C: JMH formats numbers with the default locale, and the report parses them.
LC_ALL=C "$JAVA" -Duser.language=en -Duser.country=US -jar "$JAR" "^dev\.vconn\.bench\.($PATTERN)\." \
    "${JMH_ARGS[@]}" 2>&1 | tee bench/target/jmh.log \
    | grep -E '^(Benchmark |[A-Z][A-Za-z]+Benchmark\.|# Run progress|# Parameters)' \
    | grep -vE ':gc\.(count|time|alloc\.rate) ' || true
if ! grep -q '"benchmark"' "$JMH_OUT.tmp" 2>/dev/null; then
    echo "JMH produced no results; see bench/target/jmh.log" >&2
    exit 1
fi
if grep -q '<failure>' bench/target/jmh.log; then
    echo "a benchmark failed; see bench/target/jmh.log" >&2
    exit 1
fi
mv "$JMH_OUT.tmp" "$JMH_OUT"
PRODUCED=(--record "$JMH_OUT")

if [[ ${#ONLY[@]} -eq 0 ]]; then
    # A full run supersedes every partial one.
    rm -f "$RESULTS"/jmh-*.json "$RESULTS"/jmh-*.json.run
    echo "== ConnectionScale (log: bench/target/scale.log)"
    LC_ALL=C "$JAVA" -Xms1g -Xmx1g -XX:+AlwaysPreTouch -cp "$JAR" dev.vconn.bench.scale.ConnectionScale \
        --out "$RESULTS/connection-scale.csv.tmp" 2>&1 | tee bench/target/scale.log | grep -v ' INFO '
    mv "$RESULTS/connection-scale.csv.tmp" "$RESULTS/connection-scale.csv"
    PRODUCED+=(--record "$RESULTS/connection-scale.csv")
fi
# The full run's results first, then every partial re-run from the oldest to the newest (by the date in its .run
# file, not by name): a later file's rows replace a benchmark's earlier rows.
JMH_FILES=()
if [[ -f "$RESULTS/jmh.json" ]]; then
    JMH_FILES+=(--jmh "$RESULTS/jmh.json")
fi
while IFS=$'\t' read -r _ f; do
    [[ -n "$f" ]] && JMH_FILES+=(--jmh "$f")
done < <(for f in "$RESULTS"/jmh-*.json; do
    # The file this run produced has no .run yet (the report writes it): it goes last, below.
    if [[ -f "$f" && "$f" != "$JMH_OUT" ]]; then
        printf '%s\t%s\n' "$(sed -n 's/^date=//p' "$f.run" 2>/dev/null | tr -d '\\')" "$f"
    fi
done | sort)
if [[ ${#ONLY[@]} -gt 0 ]]; then
    JMH_FILES+=(--jmh "$JMH_OUT")
fi

ELAPSED=$(( $(date +%s) - START ))
# Recorded so a reader can tell a quiet run from one that shared the cores with other work.
NOTE="${NOTE:+$NOTE; }load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== BENCHMARKS.md (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s)"
"$JAVA" -cp "$JAR" dev.vconn.bench.report.BenchmarksReport "${JMH_FILES[@]}" "${PRODUCED[@]}" \
    --scale "$RESULTS/connection-scale.csv" --out BENCHMARKS.md --elapsed "$ELAPSED" --note "$NOTE"
echo "done: BENCHMARKS.md, $JMH_OUT and its .run (date, machine, kernel, JDK, load of this run)"
