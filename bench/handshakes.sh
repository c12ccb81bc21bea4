#!/usr/bin/env bash
# TLS handshakes per second: vconn-server --tls-listen, with the JDK's TLS engine and with the openssl one
# (--tls-engine openssl, BoringSSL), against nginx with the same certificate, each proxying to the same plain origin. Every connection is new (no session reuse): TLS handshake + one GET of a 100-byte file + close,
# driven by `openssl s_time -new -www /100b` (one client process, one connection at a time).
#
#   bench/handshakes.sh               3 interleaved rounds of 10 s per server after a 20 s warm-up each (about 2 min)
#   bench/handshakes.sh --quick       1 round of 3 s after a 2 s warm-up: checks that everything works, rough figures
#   bench/handshakes.sh --rounds N    N interleaved rounds (default 3)
#   bench/handshakes.sh --time S      seconds per measurement (default 10)
#   bench/handshakes.sh --warmup S    seconds of warm-up per server before the rounds (default 20: the JDK's
#                                     elliptic-curve code needs thousands of handshakes before it is compiled)
#   HS_PORTS="18090 18091 18092 18093 18094 18095" bench/handshakes.sh   ports of origin, nginx TLS, vconn TLS,
#                                     vconn plain, vconn-openssl TLS, vconn-openssl plain
#   VCONN_JAVA_OPTS="-Xms512m -Xmx512m" bench/handshakes.sh  JVM options of vconn-server
#   VCONN_ARGS="--tls-delegated-tasks pool" bench/handshakes.sh  more vconn-server options (both servers)
#   bench/handshakes.sh --baseline-jar /tmp/before.jar   also runs that vconn-server.jar (--tls-engine openssl,
#                                     ports HS_BASELINE_PORTS, default "18096 18097") in every round, right after
#                                     the openssl one, and prints the CPU per connection of this build against it
#                                     (before/after comparisons of a change, in the same minutes)
#
# What runs, all on 127.0.0.1, from a temporary directory removed at the end: a throwaway self-signed EC P-256
# certificate for localhost (openssl req, PKCS#8 key); origin: nginx serving /100b; nginx: 2 workers, TLS 1.3/1.2
# with the certificate, session cache and tickets off, proxy_pass to the origin; two vconn-servers --transport nio,
# 2 event loops, --tls-listen with the certificate, remapping every request to the origin, one with the default
# (jdk) TLS engine and one with --tls-engine openssl (app/target/vconn-server.jar, built first if missing or older
# than a source). Measured interleaved: nginx, vconn (jdk), vconn (openssl) in every round. Prints connections per
# second (the count s_time made in its real time) per round and the median ratios vconn / nginx for each engine
# (target >= 1.0x), and each server's CPU
# time per connection (user + system of its processes, from /proc/PID/stat: comparable under load), with the part of a
# vconn-server's that its JIT compiler threads used (compilation after the warm-up, counted in the CPU, not taken
# out). Client and servers share the machine's cores: the figures compare servers under the same conditions.
#
# Installs nginx, openssl and curl with apt-get when they are missing (as root, or through sudo). Stops only the
# processes it started (by their process ids, also on Ctrl-C).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/peers.sh
source bench/lib/peers.sh

ROUNDS=3
TIME=10
WARMUP=20
BASELINE_JAR=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) ROUNDS=1; TIME=3; WARMUP=2 ;;
        --rounds) ROUNDS="${2:?--rounds needs a number}"; shift ;;
        --time) TIME="${2:?--time needs seconds}"; shift ;;
        --warmup) WARMUP="${2:?--warmup needs seconds}"; shift ;;
        --baseline-jar) BASELINE_JAR="${2:?--baseline-jar needs a jar file}"; shift ;;
        -h|--help) sed -n '2,34p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in "$ROUNDS" "$TIME" "$WARMUP"; do
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "--rounds, --time and --warmup take a positive whole number, got '$v'" >&2
        exit 2
    fi
done

read -r ORIGIN_PORT NGINX_PORT VCONN_PORT VCONN_PLAIN_PORT OSSL_PORT OSSL_PLAIN_PORT \
    <<<"${HS_PORTS:-18090 18091 18092 18093 18094 18095}"
read -r BASE_PORT BASE_PLAIN_PORT <<<"${HS_BASELINE_PORTS:-18096 18097}"
if [[ -n "$BASELINE_JAR" && ! -f "$BASELINE_JAR" ]]; then
    echo "--baseline-jar: no such file: $BASELINE_JAR" >&2
    exit 2
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JAR=app/target/vconn-server.jar
VCONN_JAVA_OPTS="${VCONN_JAVA_OPTS:--Xms512m -Xmx512m}"
VCONN_ARGS="${VCONN_ARGS:-}"

need_packages=()
command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_packages+=(nginx)
command -v openssl >/dev/null 2>&1 || need_packages+=(openssl)
command -v curl >/dev/null 2>&1 || need_packages+=(curl)
install_packages "${need_packages[@]}"
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"

build_server_jar

require_free_ports "HS_PORTS=\"origin nginx vconn vconn-plain vconn-openssl vconn-openssl-plain\"" \
    "$ORIGIN_PORT" "$NGINX_PORT" "$VCONN_PORT" "$VCONN_PLAIN_PORT" "$OSSL_PORT" "$OSSL_PLAIN_PORT"
if [[ -n "$BASELINE_JAR" ]]; then
    require_free_ports "HS_BASELINE_PORTS=\"tls plain\"" "$BASE_PORT" "$BASE_PLAIN_PORT"
fi

make_workdir vconn-handshake-bench

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=DNS:localhost -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null

# Run as root, nginx's workers would switch to an unprivileged user that cannot read this private directory.
mkdir -p "$WORK/www"
head -c 100 /dev/zero | tr '\0' 'x' >"$WORK/www/100b"
nginx_conf origin "    default_type application/octet-stream;
    server { listen 127.0.0.1:$ORIGIN_PORT; root $WORK/www; }"
nginx_conf tls "    default_type application/octet-stream;
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl;
        ssl_certificate $WORK/cert.pem;
        ssl_certificate_key $WORK/key.pem;
        ssl_protocols TLSv1.3 TLSv1.2;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"

"$NGINX" -p "$WORK/origin" -c "$WORK/origin/nginx.conf" -e "$WORK/origin/logs/error.log" &
STARTED+=($!)
"$NGINX" -p "$WORK/tls" -c "$WORK/tls/nginx.conf" -e "$WORK/tls/logs/error.log" &
STARTED+=($!)
NGINX_TLS_PID=$!
# shellcheck disable=SC2086
"$JAVA" $VCONN_JAVA_OPTS -jar "$JAR" --transport nio --listen "127.0.0.1:$VCONN_PLAIN_PORT" \
    --tls-listen "127.0.0.1:$VCONN_PORT" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --event-loops 2 \
    --access-log false --builtin-routes false --fanout false $VCONN_ARGS \
    --remap "http://*/=http://127.0.0.1:$ORIGIN_PORT/" >"$WORK/vconn.log" 2>&1 &
STARTED+=($!)
VCONN_PID=$!
# shellcheck disable=SC2086
"$JAVA" $VCONN_JAVA_OPTS -jar "$JAR" --transport nio --listen "127.0.0.1:$OSSL_PLAIN_PORT" \
    --tls-listen "127.0.0.1:$OSSL_PORT" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --event-loops 2 \
    --access-log false --builtin-routes false --fanout false $VCONN_ARGS --tls-engine openssl \
    --remap "http://*/=http://127.0.0.1:$ORIGIN_PORT/" >"$WORK/vconn-openssl.log" 2>&1 &
STARTED+=($!)
OSSL_PID=$!
BASE_PID=""
if [[ -n "$BASELINE_JAR" ]]; then
    # shellcheck disable=SC2086
    "$JAVA" $VCONN_JAVA_OPTS -jar "$BASELINE_JAR" --transport nio --listen "127.0.0.1:$BASE_PLAIN_PORT" \
        --tls-listen "127.0.0.1:$BASE_PORT" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --event-loops 2 \
        --access-log false --builtin-routes false --fanout false $VCONN_ARGS --tls-engine openssl \
        --remap "http://*/=http://127.0.0.1:$ORIGIN_PORT/" >"$WORK/vconn-baseline.log" 2>&1 &
    STARTED+=($!)
    BASE_PID=$!
fi

# Waits until every server answers the 100-byte file over its scheme (30 s at most).
deadline=$(( $(date +%s) + 30 ))
for url in "http://127.0.0.1:$ORIGIN_PORT/100b" "https://localhost:$NGINX_PORT/100b" \
        "https://localhost:$VCONN_PORT/100b" "https://localhost:$OSSL_PORT/100b" \
        ${BASE_PID:+"https://localhost:$BASE_PORT/100b"}; do
    until [[ "$(curl -s --cacert "$WORK/cert.pem" "$url" 2>/dev/null | wc -c)" == 100 ]]; do
        if (( $(date +%s) > deadline )); then
            echo "$url did not serve the 100-byte file within 30 s; logs:" >&2
            tail -n 20 "$WORK"/*.log "$WORK"/*/logs/error.log >&2 || true
            exit 1
        fi
        sleep 0.5
    done
done


# $1 port, $2 seconds, $3 server pid: prints "RATE CPU_MS JIT_MS": connections per second (each a new handshake +
# GET /100b, from s_time's real-time count), the server's CPU milliseconds per connection, and the part of that CPU
# its JIT compiler threads used (jit_ticks; 0 for nginx).
measure() {
    local out n secs before after jit_before jit_after
    jit_before="$(jit_ticks "$3")"
    before="$(cpu_ticks "$3")"
    out="$(openssl s_time -connect "127.0.0.1:$1" -new -www /100b -time "$2" 2>&1 || true)"
    after="$(cpu_ticks "$3")"
    jit_after="$(jit_ticks "$3")"
    n="$(sed -n 's/^\([0-9][0-9]*\) connections in \([0-9][0-9]*\) real seconds.*/\1 \2/p' <<<"$out" | head -1)"
    if [[ -z "$n" ]]; then
        echo "openssl s_time against port $1 gave no count:" >&2
        echo "$out" | tail -n 5 >&2
        exit 1
    fi
    secs="${n#* }"
    awk -v c="${n% *}" -v s="$secs" -v t=$(( after - before )) -v j=$(( jit_after - jit_before )) \
        -v hz="$TICKS_PER_SECOND" \
        'BEGIN { if (c > 0) printf "%.1f %.2f %.3f", (s > 0 ? c / s : 0), 1000 * t / hz / c, 1000 * j / hz / c
            else printf "0.0 0.00 0.000" }'
}

echo "== $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); $("$NGINX" -v 2>&1); $(openssl version)"
measure "$NGINX_PORT" "$WARMUP" "$NGINX_TLS_PID" >/dev/null
measure "$VCONN_PORT" "$WARMUP" "$VCONN_PID" >/dev/null
measure "$OSSL_PORT" "$WARMUP" "$OSSL_PID" >/dev/null
if [[ -n "$BASE_PID" ]]; then
    measure "$BASE_PORT" "$WARMUP" "$BASE_PID" >/dev/null
fi
RATIOS=()
OSSL_RATIOS=()
CPU_RATIOS=()
ratio() { awk -v v="$1" -v n="$2" 'BEGIN { printf "%.2f", (n > 0 ? v / n : 0) }'; }
for ((round = 1; round <= ROUNDS; round++)); do
    read -r nginx_rate nginx_cpu _ <<<"$(measure "$NGINX_PORT" "$TIME" "$NGINX_TLS_PID")"
    read -r vconn_rate vconn_cpu vconn_jit <<<"$(measure "$VCONN_PORT" "$TIME" "$VCONN_PID")"
    read -r ossl_rate ossl_cpu ossl_jit <<<"$(measure "$OSSL_PORT" "$TIME" "$OSSL_PID")"
    RATIOS+=("$(ratio "$vconn_rate" "$nginx_rate")")
    OSSL_RATIOS+=("$(ratio "$ossl_rate" "$nginx_rate")")
    echo "round $round: nginx $nginx_rate/s (${nginx_cpu} ms CPU/conn), vconn-server (nio, jdk) $vconn_rate/s" \
        "(${vconn_cpu} ms CPU/conn, of it JIT ${vconn_jit} ms), vconn-server (nio, openssl) $ossl_rate/s" \
        "(${ossl_cpu} ms CPU/conn, of it JIT ${ossl_jit} ms);" \
        "vconn/nginx: jdk ${RATIOS[-1]}x, openssl ${OSSL_RATIOS[-1]}x; openssl/jdk $(ratio "$ossl_rate" "$vconn_rate")x"
    if [[ -n "$BASE_PID" ]]; then
        read -r base_rate base_cpu _ <<<"$(measure "$BASE_PORT" "$TIME" "$BASE_PID")"
        CPU_RATIOS+=("$(ratio "$ossl_cpu" "$base_cpu")")
        echo "round $round: baseline jar (nio, openssl) $base_rate/s (${base_cpu} ms CPU/conn);" \
            "this build / baseline: CPU per connection ${CPU_RATIOS[-1]}x, rate $(ratio "$ossl_rate" "$base_rate")x"
    fi
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "== median vconn/nginx: jdk engine $(median "${RATIOS[@]}")x, openssl engine $(median "${OSSL_RATIOS[@]}")x" \
    "(target >= 1.0x); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n "$BASE_PID" ]]; then
    echo "== median CPU per connection, this build / baseline jar (openssl engine): $(median "${CPU_RATIOS[@]}")x"
fi
