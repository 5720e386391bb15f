#!/usr/bin/env bash
# MCP-overhead benchmark (DESIGN §13): ping and tools/list throughput and latency of
# imapgate versus a reference server built with the official TypeScript SDK
# (bench/ref-server), same machine, same load generator, same settings.
# A benchmark, not a test: it prints figures and never asserts timings. It exits
# non-zero only when the measurement itself is invalid (non-2xx answers, wrong
# JSON-RPC results, socket errors) or on usage/set-up errors.
#
# usage: bench/mcp_overhead.sh [options] IMAPGATE_URL [IMAPGATE_TOKEN]
#        bench/mcp_overhead.sh [options] --ref-only
# The token may instead come from the environment variable IMAPGATE_TOKEN (keeps it out
# of `ps`). See bench/README.md.
#
# Load generator: wrk (Debian package) with bench/wrk/post.lua, not autocannon, because
#  - wrk is C + LuaJIT: per request it costs a fraction of what autocannon (Node, one
#    event loop) costs, and on a 2-core machine the load generator shares the CPU with
#    the server, so a cheap generator distorts the result least and can still saturate
#    a fast C server from a single core;
#  - its latency histogram (HdrHistogram-style, µs resolution) gives exact p50/p99, and
#    post.lua exports them as JSON from done() — no scraping of human output;
#  - post.lua sees every response (status and body), so non-2xx and non-"result"
#    answers are counted exactly (wrk's own counter only counts status >= 400).
# Caveat: wrk is closed-loop (each connection waits for its answer before sending the
# next), so latencies are "at the throughput the server sustains", not at a fixed rate.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REF_DIR=$HERE/ref-server
LUA=$HERE/wrk/post.lua
RESULTS_DIR=$HERE/results
PROTO=2025-11-25
P99_TARGET_MS=2
RATIO_TARGET=10

DURATION=10
WARMUP=2
CONNECTIONS=10
THREADS=
PIN=auto
REF_ONLY=0
NODE_BIN=${NODE_BIN:-node}
METHODS=(ping tools/list)

usage() {
    cat <<EOF
usage: $0 [options] IMAPGATE_URL [IMAPGATE_TOKEN]
       $0 [options] --ref-only
  IMAPGATE_URL        e.g. http://127.0.0.1:8080/mcp
  IMAPGATE_TOKEN      igt_… bearer token (or set env IMAPGATE_TOKEN instead)
options:
  --duration S        measured seconds per method and server (default $DURATION)
  --warmup S          discarded warm-up seconds before each measurement (default $WARMUP)
  --connections N     concurrent keep-alive connections (default $CONNECTIONS)
  --threads N         wrk threads (default: number of CPUs given to the load generator)
  --no-pin            do not pin processes with taskset
  --node PATH         node binary for the reference server (default: node on PATH)
  --ref-only          benchmark only the reference server (no imapgate needed)
  -h, --help          this text
EOF
}

die() { echo "mcp_overhead: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --duration) DURATION=${2:?}; shift 2 ;;
        --warmup) WARMUP=${2:?}; shift 2 ;;
        --connections) CONNECTIONS=${2:?}; shift 2 ;;
        --threads) THREADS=${2:?}; shift 2 ;;
        --no-pin) PIN=no; shift ;;
        --node) NODE_BIN=${2:?}; shift 2 ;;
        --ref-only) REF_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        --) shift; break ;;
        -*) usage >&2; die "unknown option $1" ;;
        *) break ;;
    esac
done
for v in DURATION WARMUP CONNECTIONS ${THREADS:+THREADS}; do
    [[ ${!v} =~ ^[0-9]+$ ]] && [ "${!v}" -ge 1 ] || die "--${v,,} must be a positive integer"
done
[ "$DURATION" -le 600 ] || die "--duration is capped at 600 s"
[ "$WARMUP" -le 60 ] || die "--warmup is capped at 60 s"

IG_URL= IG_TOKEN=
if [ "$REF_ONLY" = 0 ]; then
    [ $# -ge 1 ] || { usage >&2; die "IMAPGATE_URL missing (or use --ref-only)"; }
    IG_URL=$1
    IG_TOKEN=${2:-${IMAPGATE_TOKEN:-}}
    [ -n "$IG_TOKEN" ] || die "IMAPGATE_TOKEN missing (argument or environment)"
    [[ $IG_URL =~ ^http://[^/]+/ ]] || die "IMAPGATE_URL must look like http://HOST:PORT/mcp"
else
    [ $# -eq 0 ] || die "--ref-only takes no URL/token"
fi

# ---------------------------------------------------------------- prerequisites
need_pkgs=()
for c in wrk jq curl; do command -v "$c" >/dev/null || need_pkgs+=("$c"); done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing ${need_pkgs[*]} with apt-get…"
        timeout 300 apt-get install -y --no-install-recommends "${need_pkgs[@]}" >/dev/null
    else
        die "missing ${need_pkgs[*]}: run 'sudo apt-get install ${need_pkgs[*]}'"
    fi
fi
command -v "$NODE_BIN" >/dev/null || die "node not found (install Node >= 20 or pass --node PATH)"
if [ ! -d "$REF_DIR/node_modules/@modelcontextprotocol/sdk" ]; then
    echo "installing the reference server's dependencies (npm ci)…"
    (cd "$REF_DIR" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed in $REF_DIR"
fi

# ---------------------------------------------------------------- CPU layout
NCPU=$(nproc)
SERVER_CPUS= LOADGEN_CPUS=
if [ "$PIN" = auto ] && command -v taskset >/dev/null && [ "$NCPU" -ge 2 ]; then
    # Load generator on the last CPU, servers on the others: the two never fight over a
    # core, and both servers get the same CPUs. (imapgate is started by the caller; pin
    # it the same way: taskset -c "$SERVER_CPUS" imapgate …  — its affinity is reported.)
    LOADGEN_CPUS=$((NCPU - 1))
    if [ "$NCPU" -eq 2 ]; then SERVER_CPUS=0; else SERVER_CPUS=0-$((NCPU - 2)); fi
    LOADGEN_NCPU=1
    PIN=yes
else
    PIN=no
    LOADGEN_NCPU=$NCPU
fi
[ -n "$THREADS" ] || THREADS=$LOADGEN_NCPU
[ "$THREADS" -le "$CONNECTIONS" ] || THREADS=$CONNECTIONS
pin_loadgen() { if [ "$PIN" = yes ]; then taskset -c "$LOADGEN_CPUS" "$@"; else "$@"; fi; }

# ---------------------------------------------------------------- clean-up
umask 077   # the work directory holds the tokens (curl header files)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcp_overhead.XXXXXX")
REF_PID=
declare -A SESSION_URL SESSION_AUTH   # session id → url / curl auth header file, for DELETE at exit
cleanup() {
    local rc=$?
    set +e
    if [ -n "${WRK_PID:-}" ]; then
        kill -TERM "$WRK_PID" 2>/dev/null
        wait "$WRK_PID" 2>/dev/null
    fi
    for s in "${!SESSION_URL[@]}"; do
        curl -s -o /dev/null --max-time 2 -X DELETE "${SESSION_URL[$s]}" \
            -H "@${SESSION_AUTH[$s]}" -H "Mcp-Session-Id: $s" \
            -H "MCP-Protocol-Version: $PROTO"
    done
    if [ -n "$REF_PID" ] && kill -0 "$REF_PID" 2>/dev/null; then
        kill -TERM "$REF_PID" 2>/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$REF_PID" 2>/dev/null || break; sleep 0.3; done
        kill -KILL "$REF_PID" 2>/dev/null
        wait "$REF_PID" 2>/dev/null
    fi
    rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- reference server
REF_TOKEN=igt_ref_$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
# Upper bound on the reference server's life, whatever happens to this script.
REF_LIFE=$(( (WARMUP + DURATION + 30) * ${#METHODS[@]} + 120 ))
(
    cd "$REF_DIR"
    export REF_TOKEN REF_PORT=0 NODE_ENV=production
    if [ "$PIN" = yes ]; then
        exec timeout -k 5 "$REF_LIFE" taskset -c "$SERVER_CPUS" "$NODE_BIN" server.mjs
    else
        exec timeout -k 5 "$REF_LIFE" "$NODE_BIN" server.mjs
    fi
) >"$WORK/ref.out" 2>"$WORK/ref.err" &
REF_PID=$!
REF_URL=
for _ in $(seq 1 100); do
    REF_URL=$(sed -n 's/^LISTENING //p' "$WORK/ref.out" 2>/dev/null || true)
    [ -n "$REF_URL" ] && break
    kill -0 "$REF_PID" 2>/dev/null || break
    sleep 0.15
done
if [ -z "$REF_URL" ]; then
    cat "$WORK/ref.err" >&2
    echo "mcp_overhead: reference server did not start" >&2
    exit 1
fi
REF_NODE_PID=$(pgrep -P "$REF_PID" | head -1 || true)   # node under `timeout`
[ -n "$REF_NODE_PID" ] || REF_NODE_PID=$REF_PID
REF_NODE_VERSION=$("$NODE_BIN" --version)
SDK_VERSION=$(jq -r .version "$REF_DIR/node_modules/@modelcontextprotocol/sdk/package.json")

# ---------------------------------------------------------------- MCP helpers
INVALID=()            # reasons the measurement is invalid
invalid() { INVALID+=("$*"); echo "!! INVALID: $*" >&2; }
fatal() { echo "mcp_overhead: $*" >&2; exit 1; }

# The token goes to curl through a header file, not argv.
auth_file() {  # label token → path of a curl header file
    printf 'Authorization: Bearer %s\n' "$2" >"$WORK/$1.auth"
    echo "$WORK/$1.auth"
}
# mcp_post URL AUTHFILE SESSION BODY OUT → prints the HTTP status; OUT.h headers, OUT.b body
mcp_post() {
    local args=(-s --max-time 5 -o "$5.b" -D "$5.h" -w '%{http_code}' -X POST "$1"
        -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'
        -H "MCP-Protocol-Version: $PROTO")
    [ -n "$2" ] && args+=(-H "@$2")
    [ -n "$3" ] && args+=(-H "Mcp-Session-Id: $3")
    curl "${args[@]}" --data-binary "$4" || true
}
# The JSON-RPC message of a response, whether sent as JSON or as one SSE event.
json_of() {
    if grep -qi '^content-type: *text/event-stream' "$1.h"; then
        sed -n 's/^data: \{0,1\}//p' "$1.b" | grep -v '^$' | tail -1
    else
        cat "$1.b"
    fi
}
content_type() { grep -i '^content-type:' "$1.h" | head -1 | cut -d: -f2- | tr -d ' \r'; }

# mcp_init LABEL URL AUTHFILE → sets SESSION and NEGOTIATED
mcp_init() {
    local label=$1 url=$2 auth=$3 o=$WORK/$1-init st
    st=$(mcp_post "$url" "$auth" "" \
        '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"'"$PROTO"'","capabilities":{},"clientInfo":{"name":"imapgate-mcp-overhead-bench","version":"1"}}}' "$o")
    [ "$st" = 200 ] || fatal "$label: initialize answered HTTP $st: $(head -c 300 "$o.b" 2>/dev/null)"
    json_of "$o" | jq -e '.jsonrpc == "2.0" and .id == 0 and (.result.protocolVersion | type == "string")' >/dev/null \
        || fatal "$label: initialize result is not a valid JSON-RPC result: $(head -c 300 "$o.b")"
    NEGOTIATED=$(json_of "$o" | jq -r .result.protocolVersion)
    SESSION=$(grep -i '^mcp-session-id:' "$o.h" | head -1 | cut -d: -f2- | tr -d ' \r')
    [ -n "$SESSION" ] || fatal "$label: initialize answer has no Mcp-Session-Id header"
    SESSION_URL[$SESSION]=$url
    SESSION_AUTH[$SESSION]=$auth
    st=$(mcp_post "$url" "$auth" "$SESSION" '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$o-n")
    case $st in
        202) ;;
        2??) echo "warning: $label answered notifications/initialized with $st (spec: 202)" >&2 ;;
        *) fatal "$label: notifications/initialized answered HTTP $st" ;;
    esac
}

# verify LABEL URL AUTHFILE SESSION METHOD ID → checks one answer; sets V_CT V_BYTES V_TOOLS
verify() {
    local label=$1 url=$2 auth=$3 session=$4 method=$5 id=$6 o st filter
    o=$WORK/$label-verify-${5//\//_}-$6
    st=$(mcp_post "$url" "$auth" "$session" '{"jsonrpc":"2.0","id":'"$id"',"method":"'"$method"'"}' "$o")
    [ "$st" = 200 ] || fatal "$label: $method answered HTTP $st: $(head -c 300 "$o.b" 2>/dev/null)"
    filter='.jsonrpc == "2.0" and .id == '"$id"' and (has("error") | not) and (.result | type == "object")'
    [ "$method" = tools/list ] &&
        filter+=' and (.result.tools | type == "array") and any(.result.tools[]; .name == "list_accounts")'
    json_of "$o" | jq -e "$filter" >/dev/null \
        || fatal "$label: $method answer is not the expected JSON-RPC result: $(head -c 400 "$o.b")"
    V_CT=$(content_type "$o")
    V_BYTES=$(wc -c <"$o.b")
    V_TOOLS=null
    [ "$method" = tools/list ] && V_TOOLS=$(json_of "$o" | jq '.result.tools | length')
    return 0
}

# auth_check LABEL URL → "ok" if a missing and a wrong token both get 401 + WWW-Authenticate
auth_check() {
    local label=$1 url=$2 o=$WORK/$1-noauth st1 st2 www
    st1=$(mcp_post "$url" "" "" '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$o")
    www=$(grep -ci '^www-authenticate: *bearer' "$o.h" || true)
    printf 'Authorization: Bearer igt_wrong_%s\n' "$RANDOM" >"$WORK/wrong.auth"
    st2=$(mcp_post "$url" "$WORK/wrong.auth" "" '{"jsonrpc":"2.0","id":1,"method":"ping"}' "$o-w")
    if [ "$st1" = 401 ] && [ "$st2" = 401 ] && [ "$www" -ge 1 ]; then
        echo ok
    else
        echo "no token→$st1, wrong token→$st2, WWW-Authenticate: Bearer present=$www"
    fi
}

# CPU seconds (user+sys, all threads) used so far by PID, or empty.
cpu_secs() {
    [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || { echo ""; return; }
    sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f", ($12 + $13) / hz}'
}
# Seconds PID's threads spent runnable but waiting for a CPU (other load), or empty.
wait_secs() {
    [ -n "${1:-}" ] && [ -d "/proc/$1/task" ] || { echo ""; return; }
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ w += $2 } END { printf "%.3f", w / 1e9 }'
}
# "0m1.250s" → 1.250
mins_to_secs() { awk '{ split($0, a, "m"); sub("s", "", a[2]); printf "%.3f", a[1] * 60 + a[2] }' <<<"$1"; }

# run_wrk URL TOKEN SESSION METHOD IDBASE SECONDS OUT → OUT.json (post.lua), OUT.txt, OUT.cpu
# wrk runs in the background and the shell waits for it, so INT/TERM are handled at once.
WRK_PID=
run_wrk() {
    local rc=0 cmd t0 t1
    export BENCH_METHOD=$4 BENCH_TOKEN=$2 BENCH_SESSION=$3 BENCH_PROTO=$PROTO \
        BENCH_ID_BASE=$5 BENCH_THREADS=$THREADS BENCH_OUT=$7.json
    cmd=(timeout -k 5 $(($6 + 30)) wrk -t "$THREADS" -c "$CONNECTIONS" -d "$6s" --timeout 2s --latency -s "$LUA" "$1")
    [ "$PIN" = yes ] && cmd=(taskset -c "$LOADGEN_CPUS" "${cmd[@]}")
    times >"$7.times0"   # builtin: CPU time of the children reaped so far
    "${cmd[@]}" >"$7.txt" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || rc=$?
    WRK_PID=
    times >"$7.times1"
    unset BENCH_TOKEN BENCH_SESSION
    [ "$rc" = 0 ] || { cat "$7.txt" >&2; fatal "wrk failed (exit $rc) against $1"; }
    [ -s "$7.json" ] || { cat "$7.txt" >&2; fatal "wrk produced no summary against $1"; }
    # the children's user + system time that appeared during the run = the load generator's
    t0=$(tail -1 "$7.times0"); t1=$(tail -1 "$7.times1")
    awk -v a="$(mins_to_secs "${t0% *}") $(mins_to_secs "${t0#* }")" \
        -v b="$(mins_to_secs "${t1% *}") $(mins_to_secs "${t1#* }")" \
        'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.3f %.3f\n", y[1] - x[1], y[2] - x[2] }' >"$7.cpu"
}

# Find the PID listening on URL's loopback port (to report CPU use and affinity).
listener_pid() {
    local hostport=${1#http://}; hostport=${hostport%%/*}
    local port=${hostport##*:}
    [[ $port =~ ^[0-9]+$ ]] || return 0
    ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}

# ---------------------------------------------------------------- servers
SERVERS=(reference)
declare -A URL AUTH TOKEN PID AUTHCHK AFFINITY
URL[reference]=$REF_URL
TOKEN[reference]=$REF_TOKEN
AUTH[reference]=$(auth_file reference "$REF_TOKEN")
PID[reference]=$REF_NODE_PID
if [ "$REF_ONLY" = 0 ]; then
    SERVERS+=(imapgate)
    URL[imapgate]=$IG_URL
    TOKEN[imapgate]=$IG_TOKEN
    AUTH[imapgate]=$(auth_file imapgate "$IG_TOKEN")
    PID[imapgate]=$(listener_pid "$IG_URL" || true)
fi
for srv in "${SERVERS[@]}"; do
    AFFINITY[$srv]=unknown
    if [ -n "${PID[$srv]}" ] && command -v taskset >/dev/null; then
        AFFINITY[$srv]=$(taskset -pc "${PID[$srv]}" 2>/dev/null | sed 's/.*: //' || echo unknown)
    fi
done

# How busy is the machine before we start? (1 s sample of /proc/stat, all CPUs)
cpu_busy_pct() {
    local a b
    a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x); split(b, y); t = 0
        for (i = 2; i <= n; i++) t += y[i] - x[i]
        idle = (y[5] - x[5]) + (y[6] - x[6]); printf "%d", t ? 100 * (t - idle) / t : 0 }'
}
BUSY_BEFORE=$(cpu_busy_pct)

echo "== MCP overhead benchmark ($(date -u +%FT%TZ))"
echo "   machine: $NCPU CPU(s), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), load avg $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$BUSY_BEFORE" -ge 10 ]; then
    echo "   WARNING: the machine was ${BUSY_BEFORE}% busy (all CPUs) before the run: other processes compete; figures are noisy"
fi
if [ "$PIN" = yes ]; then
    echo "   pinning: load generator on CPU $LOADGEN_CPUS, reference server on CPU $SERVER_CPUS"
else
    echo "   pinning: none (load generator and servers share all CPUs)"
fi
echo "   wrk: $THREADS thread(s), $CONNECTIONS connections, ${WARMUP}s warm-up + ${DURATION}s measured per method and server"
echo "   reference: $REF_URL — @modelcontextprotocol/sdk $SDK_VERSION on node $REF_NODE_VERSION, CPUs ${AFFINITY[reference]}"
if [ "$REF_ONLY" = 0 ]; then
    echo "   imapgate:  $IG_URL — pid ${PID[imapgate]:-not visible}, CPUs ${AFFINITY[imapgate]}"
    if [ "$PIN" = yes ] && [ "${AFFINITY[imapgate]}" != "$SERVER_CPUS" ]; then
        echo "   note: imapgate is not pinned like the reference server; start it with 'taskset -c $SERVER_CPUS …' for a like-for-like comparison"
    fi
fi
for srv in "${SERVERS[@]}"; do
    AUTHCHK[$srv]=$(auth_check "$srv" "${URL[$srv]}")
    [ "${AUTHCHK[$srv]}" = ok ] || echo "warning: $srv auth check: ${AUTHCHK[$srv]} (expected 401 + WWW-Authenticate: Bearer)" >&2
done

# ---------------------------------------------------------------- runs
RUNS_JSON=$WORK/runs.jsonl
: >"$RUNS_JSON"
declare -A SRV_TOOLS SRV_PROTO
for method in "${METHODS[@]}"; do
    for srv in "${SERVERS[@]}"; do
        tag=$srv-${method//\//_}
        echo "-- $method on $srv: handshake, check, ${WARMUP}s warm-up, ${DURATION}s measured…"
        mcp_init "$srv" "${URL[$srv]}" "${AUTH[$srv]}"
        SRV_PROTO[$srv]=$NEGOTIATED
        verify "$srv" "${URL[$srv]}" "${AUTH[$srv]}" "$SESSION" "$method" 1
        ct=$V_CT bytes=$V_BYTES
        [ "$V_TOOLS" != null ] && SRV_TOOLS[$srv]=$V_TOOLS
        run_wrk "${URL[$srv]}" "${TOKEN[$srv]}" "$SESSION" "$method" 100000000 "$WARMUP" "$WORK/$tag-warm"
        srv_cpu0=$(cpu_secs "${PID[$srv]}") srv_wait0=$(wait_secs "${PID[$srv]}")
        run_wrk "${URL[$srv]}" "${TOKEN[$srv]}" "$SESSION" "$method" 200000000 "$DURATION" "$WORK/$tag"
        srv_cpu1=$(cpu_secs "${PID[$srv]}") srv_wait1=$(wait_secs "${PID[$srv]}")
        # the session must still answer correctly after the load
        ( verify "$srv" "${URL[$srv]}" "${AUTH[$srv]}" "$SESSION" "$method" 2 ) ||
            invalid "$srv/$method: wrong answer after the load (see above)"
        read -r lg_u lg_s <"$WORK/$tag.cpu"
        jq -c -n --slurpfile w "$WORK/$tag.json" \
            --arg server "$srv" --arg method "$method" --arg ct "$ct" --argjson bytes "$bytes" \
            --arg c0 "$srv_cpu0" --arg c1 "$srv_cpu1" --arg w0 "$srv_wait0" --arg w1 "$srv_wait1" --argjson lgu "$lg_u" --argjson lgs "$lg_s" '
            $w[0] as $r | ($r.duration_us / 1e6) as $secs |
            {server: $server, method: $method, content_type: $ct, response_bytes: $bytes,
             duration_s: $secs, requests: $r.requests,
             rps: ($r.requests / $secs),
             latency_ms: ($r.latency_us | with_entries(.value /= 1000)),
             ok: $r.ok, non_2xx: $r.bad_status, bad_jsonrpc: $r.bad_body,
             socket_errors: ($r.errors.connect + $r.errors.read + $r.errors.write + $r.errors.timeout),
             wrk_errors: $r.errors,
             server_cpu_pct: (if $c0 != "" and $c1 != "" then (($c1 | tonumber) - ($c0 | tonumber)) / $secs * 100 else null end),
             server_cpu_wait_pct: (if $w0 != "" and $w1 != "" then (($w1 | tonumber) - ($w0 | tonumber)) / $secs * 100 else null end),
             loadgen_cpu_pct: (($lgu + $lgs) / $secs * 100)}' >>"$RUNS_JSON"
        jq -r '"   \(.requests) requests, \(.non_2xx) non-2xx, \(.bad_jsonrpc) bad JSON-RPC, \(.socket_errors) socket errors"' <<<"$(tail -1 "$RUNS_JSON")"
    done
done

# ---------------------------------------------------------------- report
for line in $(jq -r 'select(.non_2xx > 0 or .bad_jsonrpc > 0 or .socket_errors > 0)
        | "\(.server)/\(.method):non-2xx=\(.non_2xx),bad-jsonrpc=\(.bad_jsonrpc),socket-errors=\(.socket_errors)"' "$RUNS_JSON"); do
    invalid "$line"
done
for srv in "${SERVERS[@]}"; do
    [ "${SRV_TOOLS[$srv]:-x}" = "${SRV_TOOLS[reference]:-x}" ] ||
        echo "note: tools/list sizes differ: $srv lists ${SRV_TOOLS[$srv]:-?} tools, reference ${SRV_TOOLS[reference]:-?} (compare response bytes below)"
done

echo
printf '%-10s | %-9s | %9s | %7s | %7s | %8s | %7s | %6s | %5s | %7s | %7s\n' \
    method server 'req/s' 'p50 ms' 'p99 ms' 'p99.9 ms' 'non-2xx' 'bad' 'sockE' 'srv CPU' 'wrk CPU'
printf -- '-%.0s' {1..104}; echo
jq -r '[.method, .server, (.rps | floor), .latency_ms.p50, .latency_ms.p99, .latency_ms.p99_9,
        .non_2xx, .bad_jsonrpc, .socket_errors,
        (if .server_cpu_pct == null then "?" else "\(.server_cpu_pct | floor)%" end),
        "\(.loadgen_cpu_pct | floor)%"] | @tsv' "$RUNS_JSON" |
while IFS=$'\t' read -r m s rps p50 p99 p999 n2 bad se sc lc; do
    printf '%-10s | %-9s | %9s | %7.3f | %7.3f | %8.3f | %7s | %6s | %5s | %7s | %7s\n' \
        "$m" "$s" "$rps" "$p50" "$p99" "$p999" "$n2" "$bad" "$se" "$sc" "$lc"
done
echo "(CPU: 100% = one core, measured from /proc over the measured run; response sizes:" \
    "$(jq -r -s 'map("\(.server) \(.method) \(.response_bytes) B") | unique | join(", ")' "$RUNS_JSON"))"
echo

[ ${#INVALID[@]} -eq 0 ] || echo "!!! the figures below are INVALID (failed requests during the load, see the end)"
SUMMARY=$(jq -s --argjson ratio "$RATIO_TARGET" --argjson p99 "$P99_TARGET_MS" --argjson refonly "$REF_ONLY" '
    group_by(.method) | map(
        (map(select(.server == "reference"))[0]) as $ref |
        (map(select(.server == "imapgate"))[0]) as $ig |
        {method: .[0].method,
         reference_rps: $ref.rps, reference_p99_ms: $ref.latency_ms.p99,
         imapgate_rps: $ig.rps, imapgate_p99_ms: $ig.latency_ms.p99,
         throughput_ratio: (if $ig then $ig.rps / $ref.rps else null end),
         throughput_target_met: (if $ig then ($ig.rps / $ref.rps) >= $ratio else null end),
         p99_target_met: (if $ig then $ig.latency_ms.p99 <= $p99 else null end)})' "$RUNS_JSON")
jq -r --argjson ratio "$RATIO_TARGET" --argjson p99 "$P99_TARGET_MS" '.[] |
    if .imapgate_rps == null then
        "\(.method): reference \(.reference_rps | floor) req/s, p99 \(.reference_p99_ms) ms — target ≥\($ratio)×: n/a (--ref-only); p99 ≤ \($p99) ms target applies to imapgate"
    else
        "\(.method): imapgate/reference throughput = \(.throughput_ratio * 100 | round / 100)× — target ≥\($ratio)×: \(if .throughput_target_met then "met" else "not met" end); imapgate p99 = \(.imapgate_p99_ms) ms — target ≤ \($p99) ms: \(if .p99_target_met then "met" else "not met" end)"
    end' <<<"$SUMMARY"
jq -r --argjson n "$LOADGEN_NCPU" 'select(.loadgen_cpu_pct >= 90 * $n) |
    "warning: wrk used \(.loadgen_cpu_pct | floor)% CPU for \(.server)/\(.method): the load generator is near saturation, so that server'"'"'s throughput is a lower bound"' "$RUNS_JSON"

jq -r 'select(.server_cpu_wait_pct != null and .server_cpu_wait_pct >= 5) |
    "warning: \(.server) waited for a CPU \(.server_cpu_wait_pct | floor)% of the \(.method) run (runnable, but other processes had the CPU): its figures are understated"' "$RUNS_JSON"
jq -r --argjson n "$LOADGEN_NCPU" 'select(.loadgen_cpu_pct < 90 * $n and .server_cpu_pct != null and .server_cpu_pct < 80 and (.server_cpu_wait_pct // 0) < 5) |
    "note: neither \(.server) (\(.server_cpu_pct | floor)% CPU) nor wrk (\(.loadgen_cpu_pct | floor)%) was CPU-bound for \(.method): latency-bound (scheduling or the server serialising requests)"' "$RUNS_JSON"

# ---------------------------------------------------------------- JSON results
mkdir -p "$RESULTS_DIR"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT_FILE=$RESULTS_DIR/mcp_overhead-$STAMP.json
INVALID_JSON=$(printf '%s\n' "${INVALID[@]+"${INVALID[@]}"}" | jq -R -s 'split("\n") | map(select(. != ""))')
jq -n --slurpfile runs "$RUNS_JSON" --argjson summary "$SUMMARY" --argjson invalid "$INVALID_JSON" \
    --arg date "$(date -u +%FT%TZ)" --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
    --argjson ncpu "$NCPU" --arg kernel "$(uname -r)" --arg loadavg "$(cut -d' ' -f1-3 /proc/loadavg)" --argjson busy "$BUSY_BEFORE" \
    --arg pin "$PIN" --arg srvcpus "$SERVER_CPUS" --arg lgcpus "$LOADGEN_CPUS" \
    --arg wrk "$(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)" \
    --argjson duration "$DURATION" --argjson warmup "$WARMUP" --argjson conns "$CONNECTIONS" --argjson threads "$THREADS" \
    --arg proto "$PROTO" --argjson refonly "$REF_ONLY" \
    --arg sdk "$SDK_VERSION" --arg node "$REF_NODE_VERSION" \
    --arg ref_aff "${AFFINITY[reference]}" --arg ref_auth "${AUTHCHK[reference]}" --arg ref_tools "${SRV_TOOLS[reference]:-}" \
    --arg ref_proto "${SRV_PROTO[reference]:-}" \
    --arg ig_url "$IG_URL" --arg ig_aff "${AFFINITY[imapgate]:-}" --arg ig_auth "${AUTHCHK[imapgate]:-}" \
    --arg ig_tools "${SRV_TOOLS[imapgate]:-}" --arg ig_proto "${SRV_PROTO[imapgate]:-}" '
    {benchmark: "mcp_overhead", date: $date, valid: ($invalid | length == 0), invalid_reasons: $invalid,
     machine: {cpus: $ncpu, cpu_model: $cpu, kernel: $kernel, load_avg_before: $loadavg, cpu_busy_pct_before: $busy},
     settings: {load_generator: $wrk, duration_s: $duration, warmup_s: $warmup, connections: $conns,
                wrk_threads: $threads, pinning: $pin, server_cpus: $srvcpus, loadgen_cpus: $lgcpus,
                mcp_protocol_version: $proto, ref_only: ($refonly == 1)},
     targets: {throughput_ratio_min: 10, imapgate_p99_ms_max: 2},
     servers: ({reference: {implementation: "@modelcontextprotocol/sdk \($sdk) McpServer + StreamableHTTPServerTransport (enableJsonResponse)",
                           node: $node, cpus: $ref_aff, auth_check: $ref_auth, protocol_version: $ref_proto,
                           tools: ($ref_tools | tonumber? // null)}}
               + (if $refonly == 1 then {} else
                  {imapgate: {url: $ig_url, cpus: $ig_aff, auth_check: $ig_auth, protocol_version: $ig_proto,
                              tools: ($ig_tools | tonumber? // null)}} end)),
     summary: $summary, runs: $runs}' >"$OUT_FILE"
echo "results: ${OUT_FILE#"$PWD"/}"

if [ ${#INVALID[@]} -gt 0 ]; then
    echo >&2
    echo "!!! MEASUREMENT INVALID — the figures above include failed requests:" >&2
    printf '!!!   %s\n' "${INVALID[@]}" >&2
    exit 1
fi
exit 0
