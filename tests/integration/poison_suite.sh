#!/usr/bin/env bash
# One message must never poison a folder (issue 12 A1) and wrong values in a
# valid cache.db are corrected (issue 12 A12). A throwaway Dovecot
# (tests/imap/dovecot.sh) and the gateway (BUILD_DIR/imapgate-test serve),
# driven by tests/integration/poison_checks.py, which starts and stops the
# gateway itself (by PID):
#   - for every parser limit (addresses, MIME nesting, MIME parts, a large
#     Subject with a large folded header, line length, literal size) a folder
#     of normal messages plus one over-limit message, loaded before the
#     gateway starts (initial sync) and one more delivered later (delta):
#     search answers on the cached and the server path, the over-limit one
#     as a placeholder with envelope_over_limit; get_thread and fetch_message
#     answer (fetch: a clear per-message error at worst); move_message moves
#     it away; the background sync does not fail or loop;
#   - \Seen / \Flagged values and per-folder counts changed in cache.db while
#     the gateway is stopped are corrected at start, and while it runs within
#     the configured flag_check_s.
# TAP-like lines; exit 1 on any "not ok". Bounded by SUITE_BUDGET (default 900 s).
# usage: tests/integration/poison_suite.sh BUILD_DIR
# env:   POISON_KINDS=line,literal,... only those over-limit kinds; POISON_A12=0 without the
#        cache.db checks (an older gateway without flag_check_s can then run the rest)
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init poison_suite 900 igpo "$@"

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
ig_dovecot_start --no-fill
ok "Dovecot started"

# The checks own the gateway processes they start (by PID) and stop them.
ig_run_checks poison_checks.py "$bin" "$tmp"
if ! grep -q "^ok - poison_suite: done" "$results"; then
	nok "checks ran to the end" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
fi
if cat "$tmp"/gateway-*.log 2>/dev/null | grep -qE 'ERROR: AddressSanitizer|runtime error:'; then
	nok "no sanitizer report" "$(cat "$tmp"/gateway-*.log | grep -m2 -E 'AddressSanitizer|runtime error' | tr '\n' ' ')"
else
	ok "no sanitizer report in the gateway logs"
fi
ig_summary
