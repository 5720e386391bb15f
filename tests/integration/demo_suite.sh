#!/usr/bin/env bash
# The README's first-try command, run as a newcomer would (against BUILD_DIR's
# production binary so that no build is repeated): a throwaway Dovecot with the
# sample mailbox, real sanitized mail over MCP, Ctrl-C stops everything.
# usage: tests/integration/demo_suite.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-}" 2>/dev/null && pwd) || {
	echo "not ok - demo_suite: build dir ${1:-} not found"
	exit 1
}
[ -x "$build/imapgate" ] || {
	echo "not ok - demo_suite: $build/imapgate missing"
	exit 1
}
exec timeout 300 python3 "$top/tests/integration/demo_driver.py" "$top" "$build/imapgate"
