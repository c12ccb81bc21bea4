#!/usr/bin/env bash
# vconn-server (nio and netty) against nginx proxy_pass, side by side on 127.0.0.1, then a table in BENCHMARKS.md.
#
#   bench/proxy.sh                    3 interleaved rounds of 10 s per measurement after a 20 s warm-up per proxy
#                                     and file (about 8 min)
#   bench/proxy.sh --quick            1 round of 2 s after a 3 s warm-up (about 1 min): checks that everything
#                                     works; BENCHMARKS.md marks its figures as rough
#   bench/proxy.sh --rounds N         N interleaved rounds (default 3)
#   bench/proxy.sh --duration S       seconds per wrk measurement (default 10)
#   bench/proxy.sh --warmup S         seconds of warm-up per proxy and file (default 20)
#   bench/proxy.sh --no-report        measure and keep bench/results/proxy.tsv, but leave BENCHMARKS.md alone
#   BENCH_NOTE="..." bench/proxy.sh   adds a note to the run's description
#   PROXY_PORTS="18080 18081 18082 18083" bench/proxy.sh    ports of origin, nginx proxy, vconn nio, vconn netty
#   VCONN_JAVA_OPTS="-Xms512m -Xmx512m" bench/proxy.sh      JVM options of vconn-server
#
# What runs, all bound to 127.0.0.1, from a temporary directory that is removed at the end:
#   - origin: nginx, 2 workers, static files /100b (100 bytes) and /64k (65,536 bytes), access log off;
#   - nginx proxy: nginx, 2 workers, proxy_pass to the origin over HTTP/1.1 with upstream keepalive 64;
#   - vconn-server --transport nio and --transport netty, 2 event loops, remapping every request to the origin,
#     up to 128 idle origin connections (as many as nginx's 2 workers keep), access log off
#     (app/target/vconn-server.jar, built first if missing or older than a source).
# Each measurement is one wrk run against one proxy: `wrk -t2 -c50` and `wrk -t1 -c1`, for each file, the three
# proxies one after the other within a round (interleaved, so a drift of the machine hits all three alike). Per run:
# req/s, p50 and p99 latency (wrk --latency), and the CPU time the proxy's processes spent (utime + stime from
# /proc/PID/stat: every thread of the JVM; nginx's master and its workers) divided by the requests wrk completed,
# and, as a part of that CPU (never subtracted from it), what the JVM's JIT compiler threads used in the same run
# (/proc/PID/task/*/stat): compilation still going on after the warm-up, which a JVM pays and nginx does not.
# The table shows the median over rounds and the ratio of each vconn figure to nginx's.
#
# Installs nginx, wrk and curl with apt-get when they are missing (as root, or through sudo). Stops only the
# processes it started (by their process ids, also on Ctrl-C). wrk, the origin and the proxy share the machine's
# cores: the figures compare proxies under the same conditions, not what a proxy does on a machine of its own.
#
# Writes: bench/results/proxy.tsv (every run), bench/results/proxy.tsv.run (date, machine, kernel, JDK, nginx, wrk,
# load at start and end, settings) and the region of BENCHMARKS.md between its proxy.sh markers.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/peers.sh
source bench/lib/peers.sh
START=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

ROUNDS=3
DURATION=10
WARMUP=20
QUICK=0
REPORT=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1; ROUNDS=1; DURATION=2; WARMUP=3 ;;
        --rounds) ROUNDS="${2:?--rounds needs a number}"; shift ;;
        --duration) DURATION="${2:?--duration needs seconds}"; shift ;;
        --warmup) WARMUP="${2:?--warmup needs seconds}"; shift ;;
        --no-report) REPORT=0 ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$ROUNDS" "$DURATION" "$WARMUP"; do
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "--rounds, --duration and --warmup take a positive whole number, got '$v'" >&2
        exit 2
    fi
done

read -r ORIGIN_PORT NGINX_PORT NIO_PORT NETTY_PORT <<<"${PROXY_PORTS:-18080 18081 18082 18083}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=app/target/vconn-server.jar
RESULTS=bench/results
VCONN_JAVA_OPTS="${VCONN_JAVA_OPTS:--Xms512m -Xmx512m}"

# ------------------------------------------------------------------------------------------------ tools
need_packages=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_packages+=(nginx)
command -v wrk >/dev/null 2>&1 || need_packages+=(wrk)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
install_packages "${need_packages[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

build_server_jar

require_free_ports "PROXY_PORTS=\"origin nginx nio netty\"" \
    "$ORIGIN_PORT" "$NGINX_PORT" "$NIO_PORT" "$NETTY_PORT"

# ------------------------------------------------------------------------------------------------ processes
make_workdir vconn-proxy-bench

start_origin_and_nginx_proxy
start_vconn nio "$NIO_PORT"
NIO_PID=$!
start_vconn netty "$NETTY_PORT"
NETTY_PID=$!
wait_ready "http://127.0.0.1:$ORIGIN_PORT/100b" "http://127.0.0.1:$NGINX_PORT/100b" \
    "http://127.0.0.1:$NIO_PORT/100b" "http://127.0.0.1:$NETTY_PORT/100b"
for p in nginx:$NGINX_PORT nio:$NIO_PORT netty:$NETTY_PORT; do
    size="$(curl -s "http://127.0.0.1:${p#*:}/64k" | wc -c)"
    if [[ "$size" != 65536 ]]; then
        echo "${p%%:*} served ${size} bytes for /64k, expected 65536" >&2
        exit 1
    fi
done

proxy_pid() { case "$1" in nginx) echo "$NGINX_PID" ;; nio) echo "$NIO_PID" ;; netty) echo "$NETTY_PID" ;; esac; }
proxy_port() { case "$1" in nginx) echo "$NGINX_PORT" ;; nio) echo "$NIO_PORT" ;; netty) echo "$NETTY_PORT" ;; esac; }
PROXIES=(nginx nio netty)
FILES=(100b 64k)
LOADS=("2 50" "1 1")

echo "== machine: $(nproc) CPUs, kernel $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== warm-up: ${WARMUP} s per proxy and file (wrk -t2 -c50)"
for proxy in "${PROXIES[@]}"; do
    for file in "${FILES[@]}"; do
        wrk -t2 -c50 -d"${WARMUP}s" "http://127.0.0.1:$(proxy_port "$proxy")/$file" >/dev/null
    done
done

# One wrk run; appends a row to $WORK/runs.tsv:
# round proxy file threads conns requests seconds req_per_s p50_us p99_us cpu_s errors jit_cpu_s
# (jit_cpu_s: the part of cpu_s that the JIT compiler threads used, see jit_ticks)
to_us() { # wrk latency text (850.00us, 1.20ms, 1.01s) to microseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) m = 1; else if (v ~ /ms$/) m = 1000; else if (v ~ /s$/) m = 1000000;
        else m = 1; printf "%.1f", n * m }'
}
measure() {
    local round=$1 proxy=$2 file=$3 threads=$4 conns=$5 out before after jit_before jit_after requests seconds rps p50 \
        p99 errors
    jit_before=$(jit_ticks "$(proxy_pid "$proxy")")
    before=$(cpu_ticks "$(proxy_pid "$proxy")")
    out="$(wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency "http://127.0.0.1:$(proxy_port "$proxy")/$file")"
    after=$(cpu_ticks "$(proxy_pid "$proxy")")
    jit_after=$(jit_ticks "$(proxy_pid "$proxy")")
    requests="$(awk '/requests in/ { print $1 }' <<<"$out")"
    seconds="$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' <<<"$out")"
    rps="$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")"
    p50="$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")"
    p99="$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
    errors="$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' \
        <<<"$out")"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$proxy" "$file" "$threads" "$conns" \
        "$requests" "$seconds" "$rps" "$p50" "$p99" \
        "$(awk -v t=$(( after - before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')" "$errors" \
        "$(awk -v t=$(( jit_after - jit_before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')" \
        >>"$WORK/runs.tsv"
    printf '   round %s  %-5s %-4s -t%s -c%-2s %9s req/s  p50 %8s us  p99 %8s us  cpu %6s s (JIT %5s s)  errors %s\n' \
        "$round" "$proxy" "$file" "$threads" "$conns" "$rps" "$p50" "$p99" \
        "$(awk -v t=$(( after - before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')" \
        "$(awk -v t=$(( jit_after - jit_before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')" "$errors"
}

printf '%s\t' round proxy file threads connections requests seconds req_per_s p50_us p99_us cpu_s errors \
    >"$WORK/runs.tsv"
printf 'jit_cpu_s\n' >>"$WORK/runs.tsv"
for (( round = 1; round <= ROUNDS; round++ )); do
    echo "== round $round of $ROUNDS (${DURATION} s per run)"
    for load in "${LOADS[@]}"; do
        read -r threads conns <<<"$load"
        for file in "${FILES[@]}"; do
            for proxy in "${PROXIES[@]}"; do
                measure "$round" "$proxy" "$file" "$threads" "$conns"
            done
        done
    done
done

mkdir -p "$RESULTS"
cp "$WORK/runs.tsv" "$RESULTS/proxy.tsv"
ELAPSED=$(( $(date +%s) - START ))
NOTE="load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $QUICK == 1 ]]; then
    NOTE="reduced run (bench/proxy.sh --quick: 1 round of 2 s after a 3 s warm-up): figures are rough; $NOTE"
fi
if [[ -n "${BENCH_NOTE:-}" ]]; then
    NOTE="$NOTE; $BENCH_NOTE"
fi
{
    echo "# The run that produced proxy.tsv (bench/proxy.sh)."
    echo "date=$(date -u -d "@$START" '+%Y-%m-%d %H:%M UTC')"
    echo "machine=$(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "jdk=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.vm.name/ { n = $2 } /java.vm.version/ { v = $2 } END { print n " " v }')"
    echo "nginx=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    echo "wrk=$(wrk -v 2>&1 | head -1 | awk '{ print $1 " " $2 }')"
    echo "settings=rounds $ROUNDS, $DURATION s per run, warm-up $WARMUP s per proxy and file, vconn JVM options $VCONN_JAVA_OPTS"
    echo "elapsed=$((ELAPSED / 60)) min $((ELAPSED % 60)) s"
    echo "note=$NOTE"
} >"$RESULTS/proxy.tsv.run"
echo "== results: $RESULTS/proxy.tsv and its .run"

if [[ $REPORT == 0 ]]; then
    exit 0
fi

# ------------------------------------------------------------------------------------------------ report
BEGIN_MARK="<!-- BEGIN GENERATED by bench/proxy.sh; edits in here are lost -->"
END_MARK="<!-- END GENERATED by bench/proxy.sh -->"
REGION="$WORK/region.md"
{
    echo "$BEGIN_MARK"
    echo "## Proxy: vconn-server against nginx proxy_pass (bench/proxy.sh)"
    echo
    report_banners
    run_field() { sed -n "s/^$1=//p" "$RESULTS/proxy.tsv.run"; }
    echo "Run: $(run_field date); $(run_field machine); $(run_field kernel); $(run_field jdk); $(run_field nginx);" \
        "$(run_field wrk). Settings: $(run_field settings). ${NOTE}."
    echo
    echo "Medians over the rounds; \"x nginx\" is vconn's figure divided by nginx proxy_pass's. CPU is the proxy's"
    echo "processes' user + system time per completed request; \"JIT µs\" is the part of vconn's CPU that its JIT"
    echo "compiler threads used (compilation still going on after the warm-up; counted in CPU µs/req, never left out)."
    echo "Targets: req/s >= 1.0x nginx (100 B) and >= 1.2x (64 KiB), CPU per request <= 1.0x (100 B) and <= 0.9x"
    echo "(64 KiB), p99 <= 1.0x."
    echo
    echo "| file | wrk | proxy | req/s | x nginx | p50 µs | p99 µs | x nginx | CPU µs/req | x nginx | JIT µs |" \
        "errors |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function median(key,   n, i, j, t, a) {
            n = split(vals[key], a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function add(key, v) { vals[key] = (key in vals) ? vals[key] " " v : v }
        NR > 1 {
            k = $3 SUBSEP $4 SUBSEP $5 SUBSEP $2
            add(k SUBSEP "rps", $8); add(k SUBSEP "p50", $9); add(k SUBSEP "p99", $10)
            add(k SUBSEP "cpu", $6 > 0 ? $11 * 1e6 / $6 : 0); errs[k] += $12
            if (NF >= 13) add(k SUBSEP "jit", $6 > 0 ? $13 * 1e6 / $6 : 0)  # absent from older proxy.tsv files
        }
        function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
        END {
            nf = split("100b 64k", files, " "); nl = split("2,50 1,1", loads, " "); np = split("nginx nio netty", proxies, " ")
            for (f = 1; f <= nf; f++) for (l = 1; l <= nl; l++) {
                split(loads[l], tc, ",")
                base = files[f] SUBSEP tc[1] SUBSEP tc[2] SUBSEP "nginx"
                brps = median(base SUBSEP "rps"); bp99 = median(base SUBSEP "p99"); bcpu = median(base SUBSEP "cpu")
                for (p = 1; p <= np; p++) {
                    k = files[f] SUBSEP tc[1] SUBSEP tc[2] SUBSEP proxies[p]
                    if (!((k SUBSEP "rps") in vals)) continue
                    rps = median(k SUBSEP "rps"); p50 = median(k SUBSEP "p50"); p99 = median(k SUBSEP "p99")
                    cpu = median(k SUBSEP "cpu")
                    jit = (k SUBSEP "jit") in vals ? sprintf("%.1f", median(k SUBSEP "jit")) : "-"
                    isbase = proxies[p] == "nginx"
                    printf "| %s | -t%s -c%s | %s | %.0f | %s | %.0f | %.0f | %s | %.1f | %s | %s | %d |\n",
                        files[f] == "100b" ? "100 B" : "64 KiB", tc[1], tc[2],
                        proxies[p] == "nginx" ? "nginx proxy_pass" : "vconn " proxies[p],
                        rps, isbase ? "1.00x" : ratio(rps, brps), p50, p99, isbase ? "1.00x" : ratio(p99, bp99),
                        cpu, isbase ? "1.00x" : ratio(cpu, bcpu), isbase ? "-" : jit, errs[k]
                }
            }
        }' "$RESULTS/proxy.tsv"
    echo
    echo "Every run: \`bench/results/proxy.tsv\`; the run's machine and load: \`bench/results/proxy.tsv.run\`."
    echo "$END_MARK"
} >"$REGION"

splice_report "$REGION"
echo "done: BENCHMARKS.md (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s)"
