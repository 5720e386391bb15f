#!/usr/bin/env bash
# Security suite (issue 6, DESIGN §4.2, §4.3, §8): the dispatch chain through MCP against
# the production binary BUILD_DIR/imapgate — the generated posture x token cap x override x
# tool matrix (tools/list membership and tools/call outcome), cross-tenant responses
# indistinguishable from "not found", rate limits, the circuit breaker, `imapgate check`'s
# matrix and unknown override names. Driver: tests/integration/security_matrix.py.
# Accounts point at an unreachable loopback port: no mail server is needed.
# Prints TAP-like lines ("ok - …" / "not ok - …"); exit 1 if any "not ok".
# Bounded: SUITE_BUDGET seconds (default 600).
#
# usage: tests/integration/security_suite.sh BUILD_DIR
# env:   KEEP_TMP=1  keep the temporary directory (config, logs)
set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - security_suite: build dir $1 not found"
	exit 1
}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
budget=${SUITE_BUDGET:-600}
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

if [ ! -x "$build/imapgate" ]; then
	echo "not ok - security_suite: $build/imapgate not built"
	exit 1
fi
tmp=$(mktemp -d /tmp/igsec.XXXXXX)
out="$tmp/out.tap"
# every tools/call result (the whole matrix: success and refusal of every tool), checked
# against the tools' output schemas below
export IG_RESULT_LOG="$tmp/tool_results.jsonl"
timeout -k 10 "$budget" "$PY" "$root/tests/integration/security_matrix.py" "$build/imapgate" "$tmp" \
	>"$out" 2>"$tmp/driver.stderr"
rc=$?
# the detail of every passing cell would be thousands of lines: failures, notes and
# summaries are printed
cat "$out"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "not ok - security_suite: time budget of ${budget}s exhausted"
	rc=1
fi
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$tmp"/serve.log 2>/dev/null; then
	echo "not ok - security_suite: sanitizer report in the gateway log"
	rc=1
fi
"$PY" "$root/tests/integration/tool_results.py" "$IG_RESULT_LOG" security_suite || rc=1
if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
	echo "not ok - security_suite: driver exited $rc"
fi
if [ "${KEEP_TMP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
	echo "# security_suite: logs kept in $tmp"
else
	rm -rf "$tmp"
fi
[ "$rc" -eq 0 ]
