#!/usr/bin/env bash
# HTTP layer suite (issue 12 hardening, docs/transport.md, docs/deployment.md): the
# production binary BUILD_DIR/imapgate against raw sockets, no mail server needed
# (the account points at an unreachable loopback port). Driver:
# tests/integration/http_checks.py —
#   - header hygiene: NUL, bare CR/LF and every other control byte in every position of
#     every header line, and a table of malformed Host values (IPv6 literals included),
#     all answered 400; percent-encoded URLs are not decoded;
#   - connection exhaustion: 2,000 idle and 500 one-byte-per-second connections, and a
#     normal request is still answered within 1 s; slow heads are cut at the request
#     deadline; trusted_proxies decides whose Forwarded/X-Forwarded-For is believed;
#     per-token caps on open streams and in-flight calls;
#   - legacy sessions: one token filling its session cap leaves every other token's
#     `initialize` unaffected;
#   - a second `serve` on the same data_dir is refused while CLI commands keep working.
# Prints TAP-like lines ("ok - …" / "not ok - …"); exit 1 if any "not ok".
# Bounded: SUITE_BUDGET seconds (default 300); every process it starts is stopped by PID.
#
# usage: tests/integration/http_suite.sh BUILD_DIR
# env:   KEEP_TMP=1  keep the temporary directory (config, logs)
set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - http_suite: build dir $1 not found"
	exit 1
}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
budget=${SUITE_BUDGET:-300}
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

if [ ! -x "$build/imapgate" ]; then
	echo "not ok - http_suite: $build/imapgate not built"
	exit 1
fi
# 2,500 client sockets at once plus the gateway's own
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
tmp=$(mktemp -d /tmp/ighttp.XXXXXX)
out="$tmp/out.tap"
timeout -k 10 "$budget" "$PY" "$root/tests/integration/http_checks.py" "$build/imapgate" "$tmp" \
	>"$out" 2>"$tmp/driver.stderr"
rc=$?
cat "$out"
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "not ok - http_suite: time budget of ${budget}s exhausted"
	rc=1
fi
if grep -q "ERROR: AddressSanitizer\|runtime error:" "$tmp"/serve*.log 2>/dev/null; then
	echo "not ok - http_suite: sanitizer report in a gateway log"
	rc=1
fi
if [ "$rc" -ne 0 ] && ! grep -q '^not ok' "$out"; then
	echo "not ok - http_suite: driver exited $rc ($(tail -c 300 "$tmp/driver.stderr" | tr '\n' ' '))"
fi
if [ "${KEEP_TMP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
	echo "# http_suite: logs kept in $tmp"
else
	rm -rf "$tmp"
fi
[ "$rc" -eq 0 ]
