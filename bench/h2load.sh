#!/usr/bin/env bash
# HTTP/2: vconn-server (nio and netty) against nginx with `http2 on`, driven by h2load over h2c with prior knowledge
# on 127.0.0.1, side by side, then a table in BENCHMARKS.md.
#
#   bench/h2load.sh                   3 interleaved rounds of `h2load -n 100000 -c 10 -m 10` per server and body,
#                                     after a warm-up of 20000 requests each (a few minutes)
#   bench/h2load.sh --quick           1 round of 10000 requests after 2000 of warm-up: checks that everything
#                                     works; BENCHMARKS.md marks its figures as rough
#   bench/h2load.sh --rounds N        N interleaved rounds (default 3)
#   bench/h2load.sh --requests N      requests per h2load run (default 100000)
#   bench/h2load.sh --no-report       measure and keep bench/results/h2load.tsv, but leave BENCHMARKS.md alone
#   BENCH_NOTE="..." bench/h2load.sh  adds a note to the run's description
#   H2_PORTS="18090 18091 18092" bench/h2load.sh            ports of nginx, vconn nio, vconn netty
#   VCONN_JAVA_OPTS="-Xms512m -Xmx512m" bench/h2load.sh     JVM options of vconn-server
#
# What runs, all bound to 127.0.0.1, from a temporary directory that is removed at the end:
#   - vconn-server --transport nio and --transport netty, 2 event loops, access log off: /bytes/100 and
#     /bytes/65536 are answered by its built-in intercept (every stream an in-process transaction, pitag=h2),
#     with Content-Length;
#   - nginx, 2 workers, `listen ... http2` (h2c), access log off, serving the same bytes as static files at the
#     same paths (fetched from vconn-server first, so both send identical bodies, both with Content-Length).
# Each measurement is one `h2load -n N -c 10 -m 10` against one server (10 connections of 10 concurrent streams),
# the three servers one after the other within a round (interleaved). Per run: req/s as h2load reports it, failed
# and errored requests, and the CPU time of the server's processes (utime + stime from /proc/PID/stat: every thread
# of the JVM; nginx's master and workers) divided by the requests, and in the runs file the part of a JVM's CPU
# its JIT compiler threads used (jit_cpu_s, counted in cpu_s). The table shows medians over rounds and the ratio of
# each vconn figure to nginx's. h2load and the servers share the machine's cores.
#
# Installs nginx, nghttp2-client (h2load) and curl with apt-get when missing (as root, or through sudo). Stops only
# the processes it started (by their process ids, also on Ctrl-C).
#
# Writes: bench/results/h2load.tsv (every run), bench/results/h2load.tsv.run (date, machine, versions, load,
# settings) and the region of BENCHMARKS.md between its h2load.sh markers.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/peers.sh
source bench/lib/peers.sh
START=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

ROUNDS=3
REQUESTS=100000
WARMUP=20000
QUICK=0
REPORT=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1; ROUNDS=1; REQUESTS=10000; WARMUP=2000 ;;
        --rounds) ROUNDS="${2:?--rounds needs a number}"; shift ;;
        --requests) REQUESTS="${2:?--requests needs a number}"; shift ;;
        --no-report) REPORT=0 ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$ROUNDS" "$REQUESTS"; do
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "--rounds and --requests take a positive whole number, got '$v'" >&2
        exit 2
    fi
done

read -r NGINX_PORT NIO_PORT NETTY_PORT <<<"${H2_PORTS:-18090 18091 18092}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=app/target/vconn-server.jar
RESULTS=bench/results
VCONN_JAVA_OPTS="${VCONN_JAVA_OPTS:--Xms512m -Xmx512m}"
BODIES=(100 65536)

# ------------------------------------------------------------------------------------------------ tools
need_packages=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_packages+=(nginx)
command -v h2load >/dev/null 2>&1 || need_packages+=(nghttp2-client)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
install_packages "${need_packages[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

build_server_jar

require_free_ports "H2_PORTS=\"nginx nio netty\"" "$NGINX_PORT" "$NIO_PORT" "$NETTY_PORT"

# ------------------------------------------------------------------------------------------------ processes
make_workdir vconn-h2load-bench

# $1 transport, $2 port
start_vconn() {
    # shellcheck disable=SC2086
    "$JAVA" $VCONN_JAVA_OPTS -jar "$JAR" --transport "$1" --listen "127.0.0.1:$2" --event-loops 2 \
        --access-log false --fanout false --http2 true >"$WORK/vconn-$1.log" 2>&1 &
    STARTED+=($!)
}
start_vconn nio "$NIO_PORT"
NIO_PID=$!
start_vconn netty "$NETTY_PORT"
NETTY_PID=$!

# The servers answer over h2c only (bench/lib/peers.sh's wait_ready).
READY_CURL_OPTS=--http2-prior-knowledge
wait_ready "http://127.0.0.1:$NIO_PORT/bytes/100" "http://127.0.0.1:$NETTY_PORT/bytes/100"

# nginx serves the very bytes vconn-server's intercept sends, at the same paths.
mkdir -p "$WORK/www/bytes"
for n in "${BODIES[@]}"; do
    curl -sf --http2-prior-knowledge -o "$WORK/www/bytes/$n" "http://127.0.0.1:$NIO_PORT/bytes/$n"
done
nginx_conf nginx "    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type text/plain;
    sendfile on;
    server { listen 127.0.0.1:$NGINX_PORT http2; root $WORK/www; }"
"$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" &
STARTED+=($!)
NGINX_PID=$!
wait_ready "http://127.0.0.1:$NGINX_PORT/bytes/100"
for p in nginx:$NGINX_PORT nio:$NIO_PORT netty:$NETTY_PORT; do
    for n in "${BODIES[@]}"; do
        if ! curl -sf --http2-prior-knowledge "http://127.0.0.1:${p#*:}/bytes/$n" | cmp -s - "$WORK/www/bytes/$n"; then
            echo "${p%%:*} did not serve the same $n bytes over h2c" >&2
            exit 1
        fi
    done
done


server_pid() { case "$1" in nginx) echo "$NGINX_PID" ;; nio) echo "$NIO_PID" ;; netty) echo "$NETTY_PID" ;; esac; }
server_port() { case "$1" in nginx) echo "$NGINX_PORT" ;; nio) echo "$NIO_PORT" ;; netty) echo "$NETTY_PORT" ;; esac; }
SERVERS=(nginx nio netty)

echo "== machine: $(nproc) CPUs, kernel $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== warm-up: h2load -n $WARMUP -c 10 -m 10 per server and body"
for server in "${SERVERS[@]}"; do
    for n in "${BODIES[@]}"; do
        h2load -n "$WARMUP" -c 10 -m 10 "http://127.0.0.1:$(server_port "$server")/bytes/$n" >/dev/null
    done
done

# One h2load run; appends a row to $WORK/runs.tsv: round server body requests succeeded failed errored req_per_s cpu_s
# jit_cpu_s (the part of cpu_s that the server's JIT compiler threads used: jit_ticks in bench/lib/peers.sh)
measure() {
    local round=$1 server=$2 n=$3 out before after jit_before jit_after done_ok failed errored ok2xx rps cpu jit
    jit_before=$(jit_ticks "$(server_pid "$server")")
    before=$(cpu_ticks "$(server_pid "$server")")
    out="$(h2load -n "$REQUESTS" -c 10 -m 10 "http://127.0.0.1:$(server_port "$server")/bytes/$n")"
    after=$(cpu_ticks "$(server_pid "$server")")
    jit_after=$(jit_ticks "$(server_pid "$server")")
    rps="$(awk '/^finished in/ { print $4 }' <<<"$out")"
    read -r done_ok failed errored <<<"$(awk '/^requests:/ { print $8, $10, $12 }' <<<"$out")"
    # h2load counts any completed stream as succeeded: a status other than 2xx counts as failed here.
    ok2xx="$(awk '/^status codes:/ { print $3 }' <<<"$out")"
    failed=$(( failed + done_ok - ${ok2xx:-0} ))
    done_ok=${ok2xx:-0}
    cpu="$(awk -v t=$(( after - before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')"
    jit="$(awk -v t=$(( jit_after - jit_before )) -v h="$TICKS_PER_SECOND" 'BEGIN { printf "%.2f", t / h }')"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$server" "$n" "$REQUESTS" "$done_ok" "$failed" \
        "$errored" "$rps" "$cpu" "$jit" >>"$WORK/runs.tsv"
    printf '   round %s  %-5s %6s B  %9s req/s  cpu %6s s (JIT %5s s)  succeeded %s failed %s errored %s\n' \
        "$round" "$server" "$n" "$rps" "$cpu" "$jit" "$done_ok" "$failed" "$errored"
}

printf 'round\tserver\tbody\trequests\tsucceeded\tfailed\terrored\treq_per_s\tcpu_s\tjit_cpu_s\n' >"$WORK/runs.tsv"
for (( round = 1; round <= ROUNDS; round++ )); do
    echo "== round $round of $ROUNDS (h2load -n $REQUESTS -c 10 -m 10)"
    for n in "${BODIES[@]}"; do
        for server in "${SERVERS[@]}"; do
            measure "$round" "$server" "$n"
        done
    done
done

mkdir -p "$RESULTS"
cp "$WORK/runs.tsv" "$RESULTS/h2load.tsv"
ELAPSED=$(( $(date +%s) - START ))
NOTE="load average (1/5/15 min) at start $LOAD_START, at end $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ $QUICK == 1 ]]; then
    NOTE="reduced run (bench/h2load.sh --quick: 1 round of 10000 requests after 2000 of warm-up): figures are rough; $NOTE"
fi
if [[ -n "${BENCH_NOTE:-}" ]]; then
    NOTE="$NOTE; $BENCH_NOTE"
fi
{
    echo "# The run that produced h2load.tsv (bench/h2load.sh)."
    echo "date=$(date -u -d "@$START" '+%Y-%m-%d %H:%M UTC')"
    echo "machine=$(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel=$(uname -sr)"
    echo "jdk=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.vm.name/ { n = $2 } /java.vm.version/ { v = $2 } END { print n " " v }')"
    echo "nginx=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
    echo "h2load=$(h2load --version 2>&1 | head -1)"
    echo "settings=rounds $ROUNDS, h2load -n $REQUESTS -c 10 -m 10 over h2c, warm-up $WARMUP requests per server and body, vconn JVM options $VCONN_JAVA_OPTS"
    echo "elapsed=$((ELAPSED / 60)) min $((ELAPSED % 60)) s"
    echo "note=$NOTE"
} >"$RESULTS/h2load.tsv.run"
echo "== results: $RESULTS/h2load.tsv and its .run"

if [[ $REPORT == 0 ]]; then
    exit 0
fi

# ------------------------------------------------------------------------------------------------ report
BEGIN_MARK="<!-- BEGIN GENERATED by bench/h2load.sh; edits in here are lost -->"
END_MARK="<!-- END GENERATED by bench/h2load.sh -->"
REGION="$WORK/region.md"
{
    echo "$BEGIN_MARK"
    echo "## HTTP/2: vconn-server against nginx http2 (bench/h2load.sh)"
    echo
    report_banners
    run_field() { sed -n "s/^$1=//p" "$RESULTS/h2load.tsv.run"; }
    echo "Run: $(run_field date); $(run_field machine); $(run_field kernel); $(run_field jdk); $(run_field nginx);" \
        "$(run_field h2load). Settings: $(run_field settings). ${NOTE}."
    echo
    echo "Medians over the rounds; \"x nginx\" is vconn's figure divided by nginx's. vconn answers from its built-in"
    echo "intercept (each stream an in-process HTTP/1.1 transaction), nginx from static files with the same bytes."
    echo "CPU is the server's processes' user + system time per request. Target: req/s >= 1.0x nginx."
    echo
    echo "| body | server | req/s | x nginx | CPU µs/req | x nginx | failed + errored |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    awk -F'\t' '
        function median(key,   n, i, j, t, a) {
            n = split(vals[key], a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        function add(key, v) { vals[key] = (key in vals) ? vals[key] " " v : v }
        NR > 1 {
            k = $3 SUBSEP $2
            add(k SUBSEP "rps", $8); add(k SUBSEP "cpu", $4 > 0 ? $9 * 1e6 / $4 : 0); errs[k] += $6 + $7
        }
        function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "-" }
        END {
            nb = split("100 65536", bodies, " "); ns = split("nginx nio netty", servers, " ")
            for (b = 1; b <= nb; b++) {
                base = bodies[b] SUBSEP "nginx"
                brps = median(base SUBSEP "rps"); bcpu = median(base SUBSEP "cpu")
                for (s = 1; s <= ns; s++) {
                    k = bodies[b] SUBSEP servers[s]
                    if (!((k SUBSEP "rps") in vals)) continue
                    rps = median(k SUBSEP "rps"); cpu = median(k SUBSEP "cpu"); isbase = servers[s] == "nginx"
                    printf "| %s | %s | %.0f | %s | %.1f | %s | %d |\n", bodies[b] == 100 ? "100 B" : "64 KiB",
                        isbase ? "nginx http2" : "vconn " servers[s], rps, isbase ? "1.00x" : ratio(rps, brps),
                        cpu, isbase ? "1.00x" : ratio(cpu, bcpu), errs[k]
                }
            }
        }' "$RESULTS/h2load.tsv"
    echo
    echo "Every run: \`bench/results/h2load.tsv\`; the run's machine and load: \`bench/results/h2load.tsv.run\`."
    echo "$END_MARK"
} >"$REGION"

splice_report "$REGION"
echo "done: BENCHMARKS.md (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s)"
