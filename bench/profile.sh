#!/usr/bin/env bash
# Where vconn's CPU and allocation per request go, against nginx proxy_pass: two tables in BENCHMARKS.md.
#
#   bench/profile.sh                  both parts with the defaults below (about 7 min on 2 cores)
#   bench/profile.sh --quick          1 round of 3 s windows after a 5 s warm-up, short JMH runs (about 3 min): checks
#                                     that everything works; BENCHMARKS.md marks its figures as rough
#   bench/profile.sh --rounds N       N interleaved rounds of the socket path's windows (default 2)
#   bench/profile.sh --duration S     seconds per measurement window (default 10)
#   bench/profile.sh --warmup S       seconds of warm-up per proxy (default 30)
#   bench/profile.sh --socket-only    only part 1 (the socket path); --inprocess-only: only part 2
#   bench/profile.sh --keep DIR       also keeps the raw profiles in DIR: perf.data files with their perf maps and
#                                     perf report texts, the JFR recordings and JMH logs
#   bench/profile.sh --no-report      measure and print, but leave BENCHMARKS.md alone
#   BENCH_NOTE="..." bench/profile.sh                        adds a note to the run's description
#   PROFILE_PORTS="18470 18471 18472 18473" bench/profile.sh  ports of origin, nginx proxy, vconn nio, vconn netty
#   VCONN_JAVA_OPTS="-Xms512m -Xmx512m" bench/profile.sh     JVM options of vconn-server (-XX:+PreserveFramePointer
#                                                            is always added, so perf can walk Java frames)
#   JMH_JAVA_OPTS="-Djmh.ignoreLock=true" bench/profile.sh   options of the JMH launcher JVM (part 2)
#
# Part 1, the socket path (100 B file, wrk -t2 -c50, all on 127.0.0.1): the same nginx origin, nginx proxy_pass and
# vconn-server on nio and on Netty as bench/proxy.sh (bench/lib/peers.sh), the JVMs with -XX:+PreserveFramePointer.
# After a warm-up of each proxy, every round runs two windows per proxy, the proxies one after the other:
#   - a CPU window: the proxy's CPU per request from /proc (utime and stime; a JVM's whole process, nginx's master and
#     workers), user and system apart, and by thread group: event loops (vconn-nio-*, vconn-netty-*; nginx's
#     workers), GC (GC Thread*, G1 *), JIT compiler (C1/C2 CompilerThre*), other (the rest, threads that ended too);
#   - a perf window: `perf record -e cpu-clock -F 999 -g -p PIDS` during the same load; for a JVM `jcmd PID
#     Compiler.perfmap` right after, so JIT-compiled frames get their Java names. The samples give the split of the
#     proxy's CPU by where the code lies: kernel, libc, JVM runtime (libjvm.so), JIT-compiled Java, interpreter and
#     stubs, the program's own native code (nginx), other native libraries (libnio, Netty's epoll library, ...).
# The table turns the split into µs per request (share of samples times the CPU windows' median µs/req), and lists
# vconn's top Java frames (self) and nginx's top user-space symbols in µs per request.
# Part 2, the in-process path: JMH HttpConnectBenchmark (inprocess, keep-alive; nio and netty), per transport one run
# as the benchmark runs (-prof gc, JFR execution samples of the measurement iterations: the top frames, self) and one
# short run with -XX:-UseTLAB in which JFR records every allocation (jdk.ObjectAllocationOutsideTLAB): allocation per
# transaction by class (each class's share of the counted bytes times the first run's -prof gc B/op) with the vconn
# frame that allocates most of each.
#
# Needs root (or perf_event_paranoid <= 1) for kernel samples. Installs nginx, wrk, curl and, when perf is missing,
# linux-perf with apt-get (as root, or through sudo). When perf cannot sample, part 1 says so and gives the /proc
# figures only. Stops only the processes it started (by their process ids, also on Ctrl-C) and removes the perf maps
# it made (/tmp/perf-PID.map of its own JVMs). wrk, the origin and the proxy share the cores, as in bench/proxy.sh.
#
# Writes: the two regions of BENCHMARKS.md between the bench/profile.sh markers (nothing under bench/results).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
# shellcheck source=lib/peers.sh
source bench/lib/peers.sh
START=$(date +%s)
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"

ROUNDS=2
DURATION=10
WARMUP=30
QUICK=0
REPORT=1
SOCKET=1
INPROCESS=1
KEEP=""
JMH_ITERATIONS="-wi 3 -w 2 -i 5 -r 2" # HttpConnectBenchmark's own settings
JMH_MEASURED_S=10
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) QUICK=1; ROUNDS=1; DURATION=3; WARMUP=5; JMH_ITERATIONS="-wi 2 -w 1 -i 2 -r 1"; JMH_MEASURED_S=2 ;;
        --rounds) ROUNDS="${2:?--rounds needs a number}"; shift ;;
        --duration) DURATION="${2:?--duration needs seconds}"; shift ;;
        --warmup) WARMUP="${2:?--warmup needs seconds}"; shift ;;
        --socket-only) INPROCESS=0 ;;
        --inprocess-only) SOCKET=0 ;;
        --keep) KEEP="${2:?--keep needs a directory}"; shift ;;
        --no-report) REPORT=0 ;;
        -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
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
if [[ -n "$KEEP" ]]; then
    mkdir -p "$KEEP"
    KEEP="$(cd "$KEEP" && pwd)"
fi

read -r ORIGIN_PORT NGINX_PORT NIO_PORT NETTY_PORT <<<"${PROFILE_PORTS:-18470 18471 18472 18473}"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
JCMD="${JAVA_HOME:+$JAVA_HOME/bin/}jcmd"
JAR=app/target/vconn-server.jar
BENCH_JAR=bench/target/benchmarks.jar
VCONN_JAVA_OPTS="${VCONN_JAVA_OPTS:--Xms512m -Xmx512m} -XX:+PreserveFramePointer"
JMH_JAVA_OPTS="${JMH_JAVA_OPTS:-}"
HZ="$TICKS_PER_SECOND"

# ------------------------------------------------------------------------------------------------ tools
make_workdir vconn-profile
PERF_MAPS=()
# The perf maps of this run's JVMs are files of their own in /tmp: removed with the work directory.
profile_cleanup() {
    local map
    for map in "${PERF_MAPS[@]:-}"; do
        [[ -n "$map" ]] && rm -f "$map"
    done
    cleanup
}
trap profile_cleanup EXIT
# Takes an ended process of ours off STARTED, so that cleanup never signals a later process that got its id.
forget_pid() {
    local kept=() p
    for p in "${STARTED[@]}"; do
        [[ "$p" != "$1" ]] && kept+=("$p")
    done
    STARTED=("${kept[@]}")
}

PERF=0
PERF_NOTE=""
if [[ $SOCKET == 1 ]]; then
    need_packages=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need_packages+=(nginx)
    command -v wrk >/dev/null 2>&1 || need_packages+=(wrk)
    command -v curl >/dev/null 2>&1 || need_packages+=(curl)
    install_packages "${need_packages[@]}"
    NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
    if ! command -v perf >/dev/null 2>&1; then
        # Debian's package for perf; without it (or without root) part 1 still gives the /proc figures.
        ( install_packages linux-perf ) || echo "== could not install linux-perf: part 1 gives CPU from /proc only"
    fi
    # perf may exist and still not sample: no permission (perf_event_paranoid), no perf events in this kernel or VM.
    # cpu-clock is a software timer event, so it needs no hardware counters.
    PARANOID="$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo '?')"
    if ! command -v perf >/dev/null 2>&1; then
        PERF_NOTE="perf is not installed (Debian: apt-get install linux-perf): no split by code, CPU from /proc only"
    elif ! perf record -e cpu-clock -F 999 -g -o "$WORK/check.data" -- sleep 0.2 >"$WORK/check.log" 2>&1; then
        PERF_NOTE="perf cannot sample here (perf_event_paranoid=$PARANOID, $(tail -n 1 "$WORK/check.log")): no split"
        PERF_NOTE="$PERF_NOTE by code, CPU from /proc only; run as root or lower kernel.perf_event_paranoid"
    else
        PERF=1
        if [[ $(id -u) -ne 0 && "$PARANOID" != "-1" && "$PARANOID" != 0 && "$PARANOID" != 1 ]]; then
            PERF_NOTE="not root and perf_event_paranoid=$PARANOID: perf samples user space only, so the kernel"
            PERF_NOTE="$PERF_NOTE column is empty; compare with the system time of the /proc table"
        fi
    fi
    if [[ -n "$PERF_NOTE" ]]; then
        echo "== perf: $PERF_NOTE" >&2
    fi
    build_server_jar
    require_free_ports "PROFILE_PORTS=\"origin nginx nio netty\"" \
        "$ORIGIN_PORT" "$NGINX_PORT" "$NIO_PORT" "$NETTY_PORT"
fi
if [[ $INPROCESS == 1 ]]; then
    if [[ ! -f "$BENCH_JAR" ]] || [[ -n "$(find . -path ./.git -prune -o -path '*/target' -prune -o -path ./bench/lib \
            -prune -o \( -name '*.java' -o -name 'pom.xml' \) -newer "$BENCH_JAR" -print -quit)" ]]; then
        echo "== building $BENCH_JAR"
        ./mvnw -B -q -DskipTests package -pl bench -am
    fi
fi
echo "== machine: $(nproc) CPUs, kernel $(uname -r), load: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------------------------------------ part 1
# CPU ticks of a proxy, as "utime stime loops gc jit": a JVM's whole process (utime and stime of its stat count
# threads that ended too) and its threads by name (/proc/PID/task); nginx's master and workers, the workers as its
# event loops. Ticks of threads that ended between two readings are in utime/stime but in no group ("other").
cpu_breakdown() {
    local proxy=$1 pid=$2 f stat comm rest utime stime ppid u=0 s=0 loops=0 gc=0 jit=0
    if [[ "$proxy" == nginx ]]; then
        for f in /proc/[0-9]*/stat; do
            { read -r stat <"$f"; } 2>/dev/null || continue
            rest="${stat##*) }"
            read -r _ ppid _ _ _ _ _ _ _ _ _ utime stime _ <<<"$rest"
            if [[ "${stat%% *}" == "$pid" ]]; then
                u=$(( u + utime )); s=$(( s + stime ))
            elif [[ "$ppid" == "$pid" ]]; then
                u=$(( u + utime )); s=$(( s + stime )); loops=$(( loops + utime + stime ))
            fi
        done
        echo "$u $s $loops 0 0"
        return
    fi
    for f in /proc/"$pid"/task/[0-9]*/stat; do
        { read -r stat <"$f"; } 2>/dev/null || continue  # a thread that ended meanwhile
        comm="${stat#*(}"
        comm="${comm%)*}"
        rest="${stat##*) }"
        read -r _ _ _ _ _ _ _ _ _ _ _ utime stime _ <<<"$rest"
        case "$comm" in
            vconn-nio-*|vconn-netty-*) loops=$(( loops + utime + stime )) ;;
            "GC Thread"*|"G1 "*) gc=$(( gc + utime + stime )) ;;
            "C1 CompilerThre"*|"C2 CompilerThre"*) jit=$(( jit + utime + stime )) ;;
        esac
    done
    # The process after its threads: what ran in between counts in the total, so "other" does not go below zero.
    read -r stat <"/proc/$pid/stat"
    rest="${stat##*) }"
    read -r _ _ _ _ _ _ _ _ _ _ _ u s _ <<<"$rest"
    echo "$u $s $loops $gc $jit"
}

proxy_pid() { case "$1" in nginx) echo "$NGINX_PID" ;; nio) echo "$NIO_PID" ;; netty) echo "$NETTY_PID" ;; esac; }
proxy_port() { case "$1" in nginx) echo "$NGINX_PORT" ;; nio) echo "$NIO_PORT" ;; netty) echo "$NETTY_PORT" ;; esac; }
# The processes perf attaches to: the JVM, or nginx's master and workers.
perf_pids() {
    if [[ "$1" == nginx ]]; then
        { echo "$NGINX_PID"; child_pids "$NGINX_PID"; } | paste -sd,
    else
        proxy_pid "$1"
    fi
}

# Sorts perf's samples of one window by thread and by where the code lies; appends "proxy class name samples" rows
# to $WORK/samples.tsv. Classes: runtime (all samples of a JVM's JIT compiler and GC threads), kernel, libc, jvm
# (libjvm.so), java (JIT-compiled: the perf map names a Java method, "type pkg.Class.method(args)"), stubs (the perf
# map names the interpreter, an adapter or a stub: "Interpreter", "StubRoutines (2)"), program (nginx's own binary),
# native (any other library, the vDSO, and code perf could not place).
classify_samples() {
    local proxy=$1 report=$2
    awk -F'\t' -v proxy="$proxy" '
        function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
        NF >= 5 {
            n = trim($2) + 0; comm = trim($3); dso = trim($4); sym = trim($5)
            mark = substr(sym, 1, 3); sym = trim(substr(sym, 4))
            if (proxy != "nginx" && comm ~ /^(C[12] CompilerThre|GC Thread|G1 )/) c = "runtime"
            else if (mark == "[k]" || dso ~ /^\[kernel/) c = "kernel"
            else if (dso ~ /^(libc|libpthread)[.-]/) c = "libc"
            else if (dso == "libjvm.so") c = "jvm"
            else if (dso ~ /^perf-[0-9]+\.map$/ || dso ~ /^\[JIT\] tid [0-9]+$/) {
                if (sym ~ /^0x/) c = "native"             # no name in the map
                else if (sym ~ /[^ ]\(.*\)$/) c = "java"  # "void pkg.Class.method(int)"
                else c = "stubs"                          # "Interpreter", "StubRoutines (2)", "IC/CI adapters"
            }
            else if (dso == "nginx") c = "program"
            else c = "native"
            name = sym
            if (c == "java") {  # "void dev.vconn.x.Y.m(int)": the method without return type and arguments
                sub(/\(.*$/, "", name); k = split(name, parts, " "); name = parts[k]; sub(/^dev\.vconn\./, "", name)
                sub(/\$\$Lambda\$[0-9]+\/0x[0-9a-f]+/, "$$Lambda", name)  # one name for a lambda in every run
            } else if (c != "kernel") {
                name = sym " (" dso ")"
            }
            printf "%s\t%s\t%s\t%d\n", proxy, c, name, n
        }' "$report" >>"$WORK/samples.tsv"
}

# One window of wrk -t2 -c50 on /100b against proxy $2 in round $1, mode $3 (cpu or perf); appends to $WORK/cpu.tsv:
# round proxy mode requests seconds utime stime loops gc jit (ticks).
window() {
    local round=$1 proxy=$2 mode=$3 pid before after out requests seconds perf_pid="" tag
    pid="$(proxy_pid "$proxy")"
    tag="$proxy-$round"
    if [[ "$mode" == perf ]]; then
        perf record -e cpu-clock -F 999 -g -p "$(perf_pids "$proxy")" -o "$WORK/$tag.data" -- sleep $(( DURATION + 1 )) \
            >"$WORK/$tag.perf.log" 2>&1 &
        perf_pid=$!
        STARTED+=("$perf_pid")
        sleep 0.5  # perf has attached
    fi
    before="$(cpu_breakdown "$proxy" "$pid")"
    out="$(wrk -t2 -c50 -d"${DURATION}s" "http://127.0.0.1:$(proxy_port "$proxy")/100b")"
    after="$(cpu_breakdown "$proxy" "$pid")"
    requests="$(awk '/requests in/ { print $1 }' <<<"$out")"
    seconds="$(awk '/requests in/ { sub(/s,$/, "", $4); print $4 }' <<<"$out")"
    # shellcheck disable=SC2086
    set -- $before $after
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$proxy" "$mode" "$requests" "$seconds" \
        $(( $6 - $1 )) $(( $7 - $2 )) $(( $8 - $3 )) $(( $9 - $4 )) $(( ${10} - $5 )) >>"$WORK/cpu.tsv"
    printf '   round %s  %-5s %-4s %8s req in %5ss  CPU %6.1f us/req (user %5.1f, system %5.1f)\n' "$round" "$proxy" \
        "$mode" "$requests" "$seconds" \
        "$(awk -v t=$(( $6 + $7 - $1 - $2 )) -v h="$HZ" -v n="$requests" 'BEGIN { print (n > 0 ? t / h * 1e6 / n : 0) }')" \
        "$(awk -v t=$(( $6 - $1 )) -v h="$HZ" -v n="$requests" 'BEGIN { print (n > 0 ? t / h * 1e6 / n : 0) }')" \
        "$(awk -v t=$(( $7 - $2 )) -v h="$HZ" -v n="$requests" 'BEGIN { print (n > 0 ? t / h * 1e6 / n : 0) }')"
    if [[ "$mode" == perf ]]; then
        wait "$perf_pid" || true
        forget_pid "$perf_pid"
        if [[ "$proxy" != nginx ]]; then
            # Names for the JIT-compiled code as it lies now (code freed since the samples stays unnamed: "native").
            PERF_MAPS+=("/tmp/perf-$pid.map")
            "$JCMD" "$pid" Compiler.perfmap >/dev/null 2>&1 || echo "   (jcmd $pid Compiler.perfmap failed)" >&2
        fi
        perf report -i "$WORK/$tag.data" --no-children --sort comm,dso,sym -g none --stdio -q -n -t $'\t' \
            >"$WORK/$tag.report" 2>"$WORK/$tag.report.log" || true
        classify_samples "$proxy" "$WORK/$tag.report"
        if [[ -n "$KEEP" ]]; then
            cp "$WORK/$tag.data" "$WORK/$tag.report" "$KEEP/"
            [[ "$proxy" != nginx && -f "/tmp/perf-$pid.map" ]] && cp "/tmp/perf-$pid.map" "$KEEP/$tag.perf-$pid.map"
        fi
        rm -f "$WORK/$tag.data"
    fi
}

PROXIES=(nginx nio netty)
printf '' >"$WORK/cpu.tsv"
printf '' >"$WORK/samples.tsv"
if [[ $SOCKET == 1 ]]; then
    start_origin_and_nginx_proxy
    start_vconn nio "$NIO_PORT"
    NIO_PID=$!
    start_vconn netty "$NETTY_PORT"
    NETTY_PID=$!
    wait_ready "http://127.0.0.1:$ORIGIN_PORT/100b" "http://127.0.0.1:$NGINX_PORT/100b" \
        "http://127.0.0.1:$NIO_PORT/100b" "http://127.0.0.1:$NETTY_PORT/100b"

    echo "== part 1: warm-up ${WARMUP} s per proxy (wrk -t2 -c50, /100b)"
    for proxy in "${PROXIES[@]}"; do
        wrk -t2 -c50 -d"${WARMUP}s" "http://127.0.0.1:$(proxy_port "$proxy")/100b" >/dev/null
    done
    modes=(cpu)
    [[ $PERF == 1 ]] && modes+=(perf)
    for (( round = 1; round <= ROUNDS; round++ )); do
        echo "== part 1: round $round of $ROUNDS (${DURATION} s per window)"
        for proxy in "${PROXIES[@]}"; do
            for mode in "${modes[@]}"; do
                window "$round" "$proxy" "$mode"
            done
        done
    done
    # Stops the servers now so that part 2 has the cores (cleanup skips what has ended).
    for pid in "$NIO_PID" "$NETTY_PID" "$NGINX_PID" "$ORIGIN_PID"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        forget_pid "$pid"
    done
fi
LOAD_PART1_END="$(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------------------------------------ part 2
# Two JMH runs per transport. Run 1, as the benchmark runs: -prof gc (B per transaction) and JFR execution samples.
# Run 2, allocation by class: with -XX:-UseTLAB every allocation goes through the JVM's runtime, which records it as a
# jdk.ObjectAllocationOutsideTLAB event with its class and size, so the bytes per class are counted, not sampled.
# (The sampled jdk.ObjectAllocationSample gets one sample per TLAB refill; in a benchmark that repeats the same
# transaction, the refills fall on the same few allocations of the cycle, and a run's top classes were up to 15x off.)
# Run 2 is much slower (no TLAB, an event per object), so it measures 2 s; its shares are scaled to run 1's B/op.
cat >"$WORK/exec.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="bench/profile.sh exec" description="execution samples">
  <event name="jdk.ExecutionSample">
    <setting name="enabled">true</setting>
    <setting name="period">2 ms</setting>
  </event>
</configuration>
JFC
cat >"$WORK/alloc.jfc" <<'JFC'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="bench/profile.sh alloc" description="every allocation outside a TLAB">
  <event name="jdk.ObjectAllocationOutsideTLAB">
    <setting name="enabled">true</setting>
    <setting name="stackTrace">true</setting>
  </event>
</configuration>
JFC
JMH_ALLOC_ITERATIONS="-wi 2 -w 2 -i 2 -r 1"
JMH_ALLOC_MEASURED_S=2
: >"$WORK/inproc.tsv"
# One JMH run of the in-process keep-alive transactions on transport $1 into $WORK/jmh-$2-$1.log, with the JFR
# settings $WORK/$2.jfc recorded into $WORK/$2-$1.jfr; the other arguments go to JMH.
jmh_inprocess() {
    local transport=$1 kind=$2 vm_options=$3
    shift 3
    # The class's own fork arguments (a command line -jvmArgsAppend replaces them) plus the recording.
    vm_options="-Xms1g -Xmx1g -XX:+AlwaysPreTouch $vm_options -XX:StartFlightRecording=dumponexit=true"
    vm_options="$vm_options,filename=$WORK/$kind-$transport.jfr,settings=$WORK/$kind.jfc"
    # shellcheck disable=SC2086
    "$JAVA" $JMH_JAVA_OPTS -jar "$BENCH_JAR" 'HttpConnectBenchmark\.transactions' -p transport="$transport" \
        -p path=inprocess -p keepAlive=true -f 1 "$@" -jvmArgsAppend "$vm_options" \
        >"$WORK/jmh-$kind-$transport.log" 2>&1 || { tail -n 30 "$WORK/jmh-$kind-$transport.log" >&2; exit 1; }
}
# A JMH score (the figure before "±") of the first line matching $1 in log $2.
score() {
    awk -v pat="$1" '$0 ~ pat && s == "" { for (i = 2; i <= NF; i++) if ($i == "±") s = $(i - 1); if (s == "") s = $(NF - 1) }
        END { print s }' "$2"
}
if [[ $INPROCESS == 1 ]]; then
    for transport in nio netty; do
        echo "== part 2: HttpConnectBenchmark inprocess keep-alive, $transport: -prof gc + JFR execution samples"
        # shellcheck disable=SC2086
        jmh_inprocess "$transport" exec "" $JMH_ITERATIONS -prof gc
        ops="$(score '^HttpConnectBenchmark\.transactions +' "$WORK/jmh-exec-$transport.log")"
        norm="$(score 'gc\.alloc\.rate\.norm' "$WORK/jmh-exec-$transport.log")"
        "$JAVA" bench/lib/JfrSummary.java "$WORK/exec-$transport.jfr" "$JMH_MEASURED_S" >"$WORK/exec-$transport.tsv"
        echo "   $transport: ${ops} tx/s, ${norm} B/tx; $(head -2 "$WORK/exec-$transport.tsv" | tail -1 | tr '\t' ' ')"
        echo "== part 2: HttpConnectBenchmark inprocess keep-alive, $transport: every allocation (-XX:-UseTLAB, JFR)"
        # shellcheck disable=SC2086
        jmh_inprocess "$transport" alloc "-XX:-UseTLAB" $JMH_ALLOC_ITERATIONS
        "$JAVA" bench/lib/JfrSummary.java "$WORK/alloc-$transport.jfr" "$JMH_ALLOC_MEASURED_S" \
            >"$WORK/alloc-$transport.tsv"
        echo "   $transport: $(head -1 "$WORK/alloc-$transport.tsv" | tr '\t' ' ') (bytes, objects)"
        printf '%s\t%s\t%s\n' "$transport" "${ops//,/}" "${norm//,/}" >>"$WORK/inproc.tsv"
        if [[ -n "$KEEP" ]]; then
            cp "$WORK"/{exec,alloc}-"$transport".{jfr,tsv} "$WORK"/jmh-{exec,alloc}-"$transport".log "$KEEP/"
        fi
    done
fi

ELAPSED=$(( $(date +%s) - START ))
LOAD_END="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== done measuring in $((ELAPSED / 60)) min $((ELAPSED % 60)) s; load at start $LOAD_START, at end $LOAD_END"

# ------------------------------------------------------------------------------------------------ report
median_awk='function median(list,   n, i, j, t, a) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n == 0 ? 0 : n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

RUN_LINE="$(date -u -d "@$START" '+%Y-%m-%d %H:%M UTC'); $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo \
    | cut -d: -f2- | sed 's/^ *//'); $(uname -sr); $("$JAVA" -XshowSettings:properties -version 2>&1 \
    | awk -F' = ' '/java.vm.name/ { n = $2 } /java.vm.version/ { v = $2 } END { print n " " v }')"
LOAD_NOTE="load average (1/5/15 min) at start $LOAD_START, at end $LOAD_END"
[[ -n "${BENCH_NOTE:-}" ]] && LOAD_NOTE="$LOAD_NOTE; $BENCH_NOTE"

socket_region() {
    echo "<!-- BEGIN GENERATED by bench/profile.sh (socket path); edits in here are lost -->"
    echo "## Profile: where a proxied request's CPU goes (bench/profile.sh, part 1)"
    echo
    report_banners
    echo "Run: $RUN_LINE; $("$NGINX" -v 2>&1 | sed 's/^nginx version: //'); $(perf --version 2>/dev/null || echo 'no perf')."
    local windows="a $DURATION s CPU window"
    [[ $PERF == 1 ]] && windows="$windows and a $DURATION s perf window"
    echo "Settings: 100 B file, \`wrk -t2 -c50\`, $ROUNDS round(s) of $windows per proxy after a $WARMUP s warm-up"
    echo "each; vconn JVM options \`$VCONN_JAVA_OPTS\`; perf \`record -e cpu-clock -F 999 -g\`"
    echo "(kernel.perf_event_paranoid=$PARANOID, run as $(id -un)). ${LOAD_NOTE}."
    [[ -n "$PERF_NOTE" ]] && { echo; echo "**perf: $PERF_NOTE.**"; }
    echo
    echo "CPU per request from \`/proc\` in the CPU windows (perf not running), medians over the rounds; the thread groups"
    echo "are part of the total: event loops (vconn's loop threads, nginx's workers), GC (\`GC Thread\`, \`G1 *\`), JIT"
    echo "(compiler threads), other (the rest, and threads that ended during the window)."
    echo
    echo "| proxy | req/s | CPU µs/req | user | system | event loops | GC | JIT | other |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    awk -F'\t' -v h="$HZ" "$median_awk"'
        function add(k, v) { vals[k] = (k in vals) ? vals[k] " " v : v }
        $3 == "cpu" && $4 > 0 {
            f = 1e6 / h / $4
            add($2 SUBSEP "rps", $4 / $5); add($2 SUBSEP "all", ($6 + $7) * f); add($2 SUBSEP "u", $6 * f)
            add($2 SUBSEP "s", $7 * f); add($2 SUBSEP "l", $8 * f); add($2 SUBSEP "g", $9 * f)
            o = $6 + $7 - $8 - $9 - $10
            add($2 SUBSEP "j", $10 * f); add($2 SUBSEP "o", (o > 0 ? o : 0) * f)
        }
        END {
            np = split("nginx nio netty", p, " ")
            for (i = 1; i <= np; i++) {
                k = p[i]
                if (!((k SUBSEP "all") in vals)) continue
                jvm = k != "nginx"
                printf "| %s | %.0f | %.1f | %.1f | %.1f | %.1f | %s | %s | %.1f |\n",
                    jvm ? "vconn " k : "nginx proxy_pass", median(vals[k SUBSEP "rps"]), median(vals[k SUBSEP "all"]),
                    median(vals[k SUBSEP "u"]), median(vals[k SUBSEP "s"]), median(vals[k SUBSEP "l"]),
                    jvm ? sprintf("%.1f", median(vals[k SUBSEP "g"])) : "-",
                    jvm ? sprintf("%.1f", median(vals[k SUBSEP "j"])) : "-", median(vals[k SUBSEP "o"])
            }
        }' "$WORK/cpu.tsv"
    echo
    if [[ $PERF == 0 ]]; then
        echo "No perf profile in this run (see above)."
    else
        echo "Where the CPU goes, from perf's samples in the perf windows (all rounds together): each class's share of the"
        echo "proxy's samples times its CPU µs/req above (the share in brackets). A JVM's compiler and GC threads are one"
        echo "column whatever code they ran; the other columns are the event loops' and other threads' samples by where"
        echo "the code lies: \"user space\" is the sum of libc (mostly the system call wrappers), the JVM runtime"
        echo "(libjvm.so: allocation slow paths, safepoints, locks), JIT-compiled Java, the interpreter and stubs, nginx's"
        echo "own code and other libraries (libnio, Netty's epoll library, the vDSO, and code perf could not place: JIT"
        echo "code freed before the map was written). perf's own cost shows in the last column: the CPU µs/req of the perf"
        echo "windows against the CPU windows'."
        echo
        echo "| proxy | samples | kernel | user space | libc | JVM runtime | JIT Java | interp./stubs | nginx code | other |" \
            "compiler + GC threads | µs/req with perf |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        awk -F'\t' -v h="$HZ" "$median_awk"'
            function add(k, v) { vals[k] = (k in vals) ? vals[k] " " v : v }
            FILENAME ~ /cpu.tsv$/ { if ($4 > 0) add($2 SUBSEP $3, ($6 + $7) * 1e6 / h / $4); next }
            { s[$1 SUBSEP $2] += $4; tot[$1] += $4 }
            function cell(p, c,   x) {
                x = s[p SUBSEP c] / tot[p]
                return sprintf("%.1f (%.0f %%)", x * us[p], x * 100)
            }
            END {
                np = split("nginx nio netty", pr, " ")
                for (i = 1; i <= np; i++) {
                    p = pr[i]
                    if (tot[p] == 0) continue
                    us[p] = median(vals[p SUBSEP "cpu"])
                    s[p SUBSEP "user"] = tot[p] - s[p SUBSEP "kernel"] - s[p SUBSEP "runtime"]
                    jvm = p != "nginx"
                    printf "| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.1f |\n",
                        jvm ? "vconn " p : "nginx proxy_pass", tot[p], cell(p, "kernel"), cell(p, "user"), cell(p, "libc"),
                        jvm ? cell(p, "jvm") : "-", jvm ? cell(p, "java") : "-", jvm ? cell(p, "stubs") : "-",
                        jvm ? "-" : cell(p, "program"), cell(p, "native"), jvm ? cell(p, "runtime") : "-",
                        median(vals[p SUBSEP "perf"])
                }
                # The sentence to quote: kernel against kernel, Java against nginx user space.
                if (tot["nginx"] > 0) {
                    nk = s["nginx" SUBSEP "kernel"] / tot["nginx"] * us["nginx"]
                    nu = s["nginx" SUBSEP "user"] / tot["nginx"] * us["nginx"]
                    for (i = 2; i <= np; i++) {
                        p = pr[i]
                        if (tot[p] == 0) continue
                        printf "\nvconn %s spends %.1f µs/req in the kernel against nginx'"'"'s %.1f, and %.1f µs/req in Java (JIT code,", p,
                            s[p SUBSEP "kernel"] / tot[p] * us[p], nk, (s[p SUBSEP "java"] + s[p SUBSEP "stubs"]) / tot[p] * us[p]
                        printf " interpreter and stubs) plus %.1f in the JVM runtime and %.1f in libc and other libraries against",
                            s[p SUBSEP "jvm"] / tot[p] * us[p], (s[p SUBSEP "libc"] + s[p SUBSEP "native"]) / tot[p] * us[p]
                        printf " nginx'"'"'s %.1f µs/req in user space.\n", nu
                    }
                }
            }' "$WORK/cpu.tsv" <(awk -F'\t' -v OFS='\t' '{ print $1, $2, $3, $4 }' "$WORK/samples.tsv")
        echo
        echo "vconn's top Java frames (self time, overloads together), µs per request (share of the proxy's samples times"
        echo "its CPU µs/req):"
        echo
        echo "| # | vconn nio: frame | µs/req | vconn netty: frame | µs/req |"
        echo "|---:|---|---:|---|---:|"
        top_frames() {  # $1 proxy, $2 class, $3 how many: "name<TAB>µs/req" lines, heaviest first
            awk -F'\t' -v h="$HZ" -v want="$1" -v cls="$2" "$median_awk"'
                FILENAME ~ /cpu.tsv$/ { if ($2 == want && $3 == "cpu" && $4 > 0) l = l " " ($6 + $7) * 1e6 / h / $4; next }
                $1 == want { tot += $4; if ($2 == cls) n[$3] += $4 }
                END { us = median(l); for (k in n) printf "%s\t%.2f\n", k, n[k] / tot * us }' \
                "$WORK/cpu.tsv" "$WORK/samples.tsv" | sort -t$'\t' -k2,2 -gr | awk -v n="$3" 'NR <= n'
        }
        paste <(top_frames nio java 15) <(top_frames netty java 15) | awk -F'\t' '
            { printf "| %d | `%s` | %s | `%s` | %s |\n", NR, $1, $2, $3 == "" ? "-" : $3, $4 }'
        echo
        echo "nginx's top user-space symbols (self), µs per request:"
        echo
        echo "| # | symbol (library) | µs/req |"
        echo "|---:|---|---:|"
        { top_frames nginx program 12; top_frames nginx libc 12; top_frames nginx native 12; } \
            | sort -t$'\t' -k2,2 -gr | awk 'NR <= 12' | awk -F'\t' '{ printf "| %d | `%s` | %s |\n", NR, $1, $2 }'
    fi
    echo
    echo "<!-- END GENERATED by bench/profile.sh (socket path) -->"
}

inprocess_region() {
    echo "<!-- BEGIN GENERATED by bench/profile.sh (in-process path); edits in here are lost -->"
    echo "## Profile: what an in-process transaction allocates and runs (bench/profile.sh, part 2)"
    echo
    report_banners
    echo "Run: $RUN_LINE. Per transport, JMH \`HttpConnectBenchmark.transactions -p path=inprocess -p keepAlive=true"
    echo "-f 1 $JMH_ITERATIONS -prof gc\` with JFR execution samples every 2 ms (the last $JMH_MEASURED_S s count: the"
    echo "measurement iterations), then \`$JMH_ALLOC_ITERATIONS\` with \`-XX:-UseTLAB\` and JFR's"
    echo "\`jdk.ObjectAllocationOutsideTLAB\`: every allocation of the last $JMH_ALLOC_MEASURED_S s with its class and size."
    echo "${LOAD_NOTE}."
    echo
    awk -F'\t' '{ printf "- %s: %.0f transactions/s, %.0f B per transaction (`-prof gc`)\n", $1, $2, $3 }' \
        "$WORK/inproc.tsv"
    echo
    echo "Allocation per transaction by class, top 15: each class's share of the bytes counted without TLABs, times"
    echo "\`-prof gc\`'s B per transaction of the first run; \"allocated at\" is the vconn frame that allocated most of the"
    echo "class's bytes on nio (the first vconn frame of the stack)."
    echo
    echo "| class | nio B/tx | netty B/tx | allocated at (nio) |"
    echo "|---|---:|---:|---|"
    awk -F'\t' '
        FILENAME ~ /inproc.tsv$/ { norm[$1] = $3; next }
        { t = FILENAME; sub(/^.*alloc-/, "", t); sub(/\.tsv$/, "", t) }
        $1 == "alloc_total" { total[t] = $2; next }
        $1 == "alloc" { w[t SUBSEP $2] += $3; sum[$2] += 0; if (t == "nio") site[$2] = $4 }
        END {
            for (c in sum) {
                b = 0
                for (tt in norm) if (total[tt] > 0) { v[tt SUBSEP c] = w[tt SUBSEP c] / total[tt] * norm[tt]; b += v[tt SUBSEP c] }
                printf "%s\t%.1f\t%.1f\t%.1f\t%s\n", c, b, v["nio" SUBSEP c], v["netty" SUBSEP c], (c in site) ? site[c] : "-"
            }
        }' "$WORK/inproc.tsv" "$WORK"/alloc-*.tsv | sort -t$'\t' -k2,2 -gr | awk 'NR <= 15' | awk -F'\t' '
        { printf "| `%s` | %.0f | %.0f | `%s` |\n", $1, $3, $4, $5; n += $3; m += $4 }
        END { printf "| top 15 together | %.0f | %.0f | |\n", n, m }'
    awk -F'\t' '{ b[$1] = $3 } END { printf "| all classes (`-prof gc`) | %.0f | %.0f | |\n", b["nio"], b["netty"] }' \
        "$WORK/inproc.tsv"
    echo
    echo "Top frames of the execution samples (self, all threads: the loop runs the transactions, the benchmark thread"
    echo "parks), share of the samples:"
    echo
    echo "| frame | nio | netty |"
    echo "|---|---:|---:|"
    awk -F'\t' '
        { t = FILENAME; sub(/^.*exec-/, "", t); sub(/\.tsv$/, "", t) }
        $1 == "exec_total" { total[t] = $2; next }
        $1 == "exec" { n[t SUBSEP $2] = $3; seen[$2] = 1 }
        END {
            for (f in seen) {
                a = total["nio"] ? n["nio" SUBSEP f] / total["nio"] * 100 : 0
                b = total["netty"] ? n["netty" SUBSEP f] / total["netty"] * 100 : 0
                printf "%s\t%.2f\t%.1f\t%.1f\n", f, a + b, a, b
            }
        }' "$WORK"/exec-*.tsv | sort -t$'\t' -k2,2 -gr | awk 'NR <= 15' | awk -F'\t' '
        { printf "| `%s` | %.1f %% | %.1f %% |\n", $1, $3, $4 }'
    awk -F'\t' '{ t = FILENAME; sub(/^.*exec-/, "", t); sub(/\.tsv$/, "", t) } $1 == "exec_total" { n[t] = $2 }
        END { printf "| (samples) | %d | %d |\n", n["nio"], n["netty"] }' "$WORK"/exec-*.tsv
    echo
    echo "<!-- END GENERATED by bench/profile.sh (in-process path) -->"
}

if [[ $SOCKET == 1 ]]; then
    socket_region >"$WORK/socket.md"
    cat "$WORK/socket.md"
fi
if [[ $INPROCESS == 1 ]]; then
    inprocess_region >"$WORK/inprocess.md"
    cat "$WORK/inprocess.md"
fi
if [[ $REPORT == 0 ]]; then
    exit 0
fi
if [[ $SOCKET == 1 ]]; then
    BEGIN_MARK="<!-- BEGIN GENERATED by bench/profile.sh (socket path); edits in here are lost -->"
    END_MARK="<!-- END GENERATED by bench/profile.sh (socket path) -->"
    splice_report "$WORK/socket.md"
fi
if [[ $INPROCESS == 1 ]]; then
    BEGIN_MARK="<!-- BEGIN GENERATED by bench/profile.sh (in-process path); edits in here are lost -->"
    END_MARK="<!-- END GENERATED by bench/profile.sh (in-process path) -->"
    splice_report "$WORK/inprocess.md"
fi
echo "done: BENCHMARKS.md (run took $((ELAPSED / 60)) min $((ELAPSED % 60)) s)"
