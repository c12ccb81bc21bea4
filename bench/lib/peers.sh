# Shared by the scripts in bench/ (sourced, not run): installing the OS peers, building vconn-server.jar, checking
# ports, a temporary directory whose processes are stopped on exit, the nginx origin and proxy and vconn-server as
# bench/proxy.sh and bench/profile.sh run them, and CPU time from /proc.

# Installs the given Debian packages with apt-get (as root, or through sudo); nothing when the list is empty.
install_packages() {
    [[ $# -gt 0 ]] || return 0
    echo "== installing $* (apt-get)"
    local sudo=""
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install $*" >&2; exit 1; }
        sudo=sudo
    fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "$@"
}

# Builds $JAR when it is missing or older than a source or pom.
build_server_jar() {
    # bench/lib holds the scripts' own helpers (run as single source files), not the server's sources.
    if [[ ! -f "$JAR" ]] || [[ -n "$(find . -path ./.git -prune -o -path '*/target' -prune -o -path ./bench/lib -prune \
            -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$JAR" -print -quit)" ]]; then
        echo "== building $JAR"
        ./mvnw -B -q -DskipTests package -pl app -am
    fi
}

# Exits 2 if one of the ports is in use on 127.0.0.1; $1 says how to choose others.
require_free_ports() {
    local hint="$1" port
    shift
    for port in "$@"; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "port $port on 127.0.0.1 is in use; choose others with $hint" >&2
            exit 2
        fi
    done
}

# Makes the temporary directory WORK (named after $1) and the list STARTED of process ids: on exit, those
# processes are stopped (only those) and WORK is removed.
make_workdir() {
    WORK="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    STARTED=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}

cleanup() {
    local pid
    for pid in "${STARTED[@]:-}"; do
        [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
    done
    for pid in "${STARTED[@]:-}"; do
        [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}

# Prints the report's warnings: a reduced run (QUICK=1), and a run started under load (LOAD_START, the
# 1-minute load average above half the CPUs), whose figures are not comparable with an idle machine's.
report_banners() {
    if [[ $QUICK == 1 ]]; then
        echo "**Reduced run (\`--quick\`): the figures below only show that the script works.**"
        echo
    fi
    if awk -v l="${LOAD_START%% *}" -v n="$(nproc)" 'BEGIN { exit !(l + 0 > n * 0.5) }'; then
        echo "**Measured under load: the 1-minute load average was ${LOAD_START%% *} on $(nproc) CPUs when the run"
        echo "started, so other work shared the cores; these figures are not comparable with a run on an idle machine.**"
        echo
    fi
}

# Puts the file $1 (a report region between the lines BEGIN_MARK and END_MARK) into BENCHMARKS.md: in place of
# the region a previous run wrote, or, on the first run, before the hand-written "## Analysis".
splice_report() {
    local region="$1"
    if grep -qF "$BEGIN_MARK" BENCHMARKS.md && grep -qF "$END_MARK" BENCHMARKS.md; then
        awk -v b="$BEGIN_MARK" -v e="$END_MARK" -v region="$region" '
            $0 == b { while ((getline line < region) > 0) print line; skip = 1; next }
            $0 == e { skip = 0; next }
            !skip { print }' BENCHMARKS.md >"$WORK/BENCHMARKS.md"
    else
        awk -v region="$region" '
            !done && /^## Analysis$/ { while ((getline line < region) > 0) print line; print ""; done = 1 }
            { print }
            END { if (!done) { print ""; while ((getline line < region) > 0) print line } }' BENCHMARKS.md \
            >"$WORK/BENCHMARKS.md"
    fi
    cp "$WORK/BENCHMARKS.md" BENCHMARKS.md
}

# Writes $WORK/$1/nginx.conf for an nginx run in the foreground with 2 workers, its pid, logs and temporary files
# under $WORK/$1 and no access log; $2 is the rest of the http block (types, keep-alive, upstreams, servers).
nginx_conf() {
    local dir="$WORK/$1" user=""
    if [[ $(id -u) -eq 0 ]]; then
        user="user root;" # as root, workers would switch to a user that cannot read the private work directory
    fi
    mkdir -p "$dir/logs" "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
$user
worker_processes 2;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
$2
}
CONF
}

# CPU ticks (user + system) used so far by the JIT compiler threads of the JVM with process id $1 (C1 and C2; Linux
# cuts their names to "C1 CompilerThre"): a part of the process's CPU, so a report can say how much of a server's CPU
# per request or connection was compilation still going on after the warm-up. A compiler thread that ends during a
# run (the JVM starts and stops them with the length of its compile queue) takes its ticks with it, so this is a lower
# bound; a process without such threads (nginx) gives 0.
jit_ticks() {
    local total=0 f stat comm rest utime stime
    for f in /proc/"$1"/task/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue  # a thread that ended meanwhile
        comm="${stat#*(}"
        comm="${comm%)*}"
        [[ "$comm" == C[12]" CompilerThre"* ]] || continue
        rest="${stat##*) }"
        read -r _ _ _ _ _ _ _ _ _ _ _ utime stime _ <<<"$rest"
        total=$(( total + utime + stime ))
    done
    echo "$total"
}

# Writes the origin's static files into $WORK/www: /100b (100 bytes) and /64k (65,536 bytes).
write_origin_files() {
    mkdir -p "$WORK/www"
    head -c 100 /dev/zero | tr '\0' 'x' >"$WORK/www/100b"
    head -c 65536 /dev/zero | tr '\0' 'x' >"$WORK/www/64k"
}

# Starts, on 127.0.0.1, the nginx origin (2 workers, static files from $WORK/www on $ORIGIN_PORT) and nginx as
# proxy_pass reverse proxy in front of it (2 workers, HTTP/1.1 upstream with keepalive 64, on $NGINX_PORT); sets
# ORIGIN_PID and NGINX_PID (their masters) and adds both to STARTED. Needs $NGINX and make_workdir's WORK.
start_origin_and_nginx_proxy() {
    # Run as root, nginx's workers would switch to an unprivileged user that cannot read this private directory.
    write_origin_files
    nginx_conf origin "    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/octet-stream;
    sendfile on;
    server { listen 127.0.0.1:$ORIGIN_PORT; root $WORK/www; }"
    nginx_conf proxy "    keepalive_requests 1000000;
    keepalive_timeout 60s;
    default_type application/octet-stream;
    upstream origin { server 127.0.0.1:$ORIGIN_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection \"\";
        }
    }"
    "$NGINX" -p "$WORK/origin" -c "$WORK/origin/nginx.conf" -e "$WORK/origin/logs/error.log" &
    STARTED+=($!)
    ORIGIN_PID=$!
    "$NGINX" -p "$WORK/proxy" -c "$WORK/proxy/nginx.conf" -e "$WORK/proxy/logs/error.log" &
    STARTED+=($!)
    NGINX_PID=$!
}

# Starts vconn-server ($JAR, JVM options $VCONN_JAVA_OPTS) with transport $1 on 127.0.0.1:$2, 2 event loops,
# remapping every request to the origin on $ORIGIN_PORT, access log off; its log is $WORK/vconn-$1.log. Adds it to
# STARTED; the caller takes its process id from $!. The pool keeps as many idle origin connections as nginx's
# `keepalive 64` per worker keeps over its 2 workers: with the default 16, 50 concurrent requests would reconnect to
# the origin all the time (about one request in 20), which measures connection set-up instead of the proxy path
# (docs/http.md, "Origins").
start_vconn() {
    # shellcheck disable=SC2086
    "$JAVA" $VCONN_JAVA_OPTS -jar "$JAR" --transport "$1" --listen "127.0.0.1:$2" --event-loops 2 \
        --access-log false --builtin-routes false --fanout false --max-idle-per-origin 128 \
        --remap "http://*/=http://127.0.0.1:$ORIGIN_PORT/" >"$WORK/vconn-$1.log" 2>&1 &
    STARTED+=($!)
}

# Waits until every URL answers (30 s at most for all); exits 1 with the servers' log tails if one does not.
# READY_CURL_OPTS: extra curl options for the check (h2load.sh: --http2-prior-knowledge, to wait for h2c).
wait_ready() {
    local url deadline=$(( $(date +%s) + 30 ))
    for url in "$@"; do
        # shellcheck disable=SC2086
        until curl -sf ${READY_CURL_OPTS:-} -o /dev/null "$url" 2>/dev/null; do
            if (( $(date +%s) > deadline )); then
                echo "$url did not answer within 30 s; logs in $WORK:" >&2
                tail -n 20 "$WORK"/*.log "$WORK"/*/logs/error.log >&2 || true
                exit 1
            fi
            sleep 0.5
        done
    done
}

# Process ids of the direct children of process $1 (nginx's workers), one per line.
child_pids() {
    local f stat rest ppid
    for f in /proc/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue  # a process that ended meanwhile
        rest="${stat##*) }"           # fields after "pid (comm) "
        read -r _ ppid _ <<<"$rest"
        [[ "$ppid" == "$1" ]] && echo "${stat%% *}"
    done
    return 0
}

# CPU ticks (utime + stime) of a process and its direct children (nginx's workers); a JVM's stat covers all threads.
cpu_ticks() {
    local root=$1 total=0 f stat rest pid ppid
    for f in /proc/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue  # a process that ended meanwhile
        pid="${stat%% *}"
        rest="${stat##*) }"           # fields after "pid (comm) "
        read -r _ ppid _ _ _ _ _ _ _ _ _ utime stime _ <<<"$rest"
        if [[ "$pid" == "$root" || "$ppid" == "$root" ]]; then
            total=$(( total + utime + stime ))
        fi
    done
    echo "$total"
}
TICKS_PER_SECOND="$(getconf CLK_TCK)"
