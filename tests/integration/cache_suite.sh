#!/usr/bin/env bash
# Cache and sync suite (issue 5 parts 1-2, the search tool; DESIGN §7, §4.3):
# a throwaway Dovecot (tests/imap/dovecot.sh), the gateway (BUILD_DIR/imapgate-test
# serve) with alice's account, and tests/integration/cache_checks.py, which drives
# MCP `search` (stateless 2026-07-28 requests) while python imaplib plays another
# mail client:
#   - initial sync: the folders come to be answered from the cache, equal to the server;
#   - freshness: APPEND, STORE flags, EXPUNGE by the other client show on the next call;
#     UIDVALIDITY reset (folder deleted and recreated) handled;
#   - paging: limit/offset, authenticated cursors (forged/moved ones refused);
#   - advanced_query: posture-gated, validated, answered by the server;
#   - crash safety: kill -9 at seeded random points during the initial sync of
#     thousands of messages (5 rounds), then integrity_check, no duplicate or
#     partial rows, convergence to the server's UID list;
#   - corruption: overwritten pages / wrong user_version between runs are moved
#     aside and rebuilt; no sanitizer report.
# Prints TAP-like lines; exit 1 if any "not ok". Bounded by SUITE_BUDGET (default 600 s).
#
# usage: tests/integration/cache_suite.sh BUILD_DIR
# env:   KEEP_TMP=1 keep the temporary directory; CACHE_SEED=N crash-point seed (default 5)
set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - cache_suite: build dir $1 not found"
	exit 1
}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$build/imapgate-test"
budget=${SUITE_BUDGET:-600}
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

tmp=$(mktemp -d /tmp/igcache.XXXXXX)
chmod 0711 "$tmp"
dv="$tmp/dv"
results="$tmp/results.tap"
: >"$results"
# every tools/call result, checked against the tools' output schemas at the end
export IG_RESULT_LOG="$tmp/tool_results.jsonl"
checks_pid=""

cleanup() {
	[ -n "$checks_pid" ] && kill -TERM "$checks_pid" 2>/dev/null && wait "$checks_pid" 2>/dev/null
	"$root/tests/imap/dovecot.sh" stop "$dv" >/dev/null 2>&1
	if [ "${KEEP_TMP:-0}" = 1 ] || grep -q '^not ok' "$results" 2>/dev/null; then
		echo "# cache_suite: logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

emit() { echo "$1" | tee -a "$results"; }

if [ ! -x "$bin" ]; then
	emit "not ok - cache_suite: $bin not built"
	exit 1
fi
if out=$("$root/tests/imap/dovecot.sh" start "$dv" 2>&1); then
	emit "ok - cache_suite: Dovecot started"
else
	emit "not ok - cache_suite: Dovecot starts ($(printf '%s' "$out" | tail -3 | tr '\n' ' '))"
	exit 1
fi

# The checks script owns the gateway processes it starts (by PID) and stops them.
timeout -k 5 "$budget" "$PY" "$root/tests/integration/cache_checks.py" \
	--bin "$bin" --dv "$dv" --tmp "$tmp" --seed "${CACHE_SEED:-5}" 2>"$tmp/checks.stderr" |
	tee -a "$results" &
checks_pid=$!
wait "$checks_pid"
rc=$?
checks_pid=""
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	emit "not ok - cache_suite: time budget of ${budget}s exhausted"
elif ! grep -q '^ok - cache_suite: done' "$results"; then
	emit "not ok - cache_suite: checks ended early ($(tail -3 "$tmp/checks.stderr" | tr '\n' ' '))"
fi
"$PY" "$root/tests/integration/tool_results.py" "$IG_RESULT_LOG" cache_suite | tee -a "$results"
n_ok=$(grep -c '^ok' "$results")
n_fail=$(grep -c '^not ok' "$results")
echo "# cache_suite: $n_ok passed, $n_fail failed"
[ "$n_fail" -eq 0 ]
