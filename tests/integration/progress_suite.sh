#!/usr/bin/env bash
# Progress and cancellation of real tools (issue #12 B5): a throwaway Dovecot
# (tests/imap/dovecot.sh), the gateway (BUILD_DIR/imapgate-test serve) with
# two accounts on the same mailbox — "alice" direct, "slow" through
# tests/imap/throttle_proxy.py, which paces the server's bytes (1 MB/s) and
# counts them — and MCP calls in both eras (tests/integration/progress_checks.py):
#   - a server-path search of an uncached 300-message folder with a
#     progressToken yields progress notifications, strictly increasing, the
#     last at its total (2026-07-28, response stream);
#   - a 16 MB download_attachment with a progressToken reports progress on a
#     legacy session's POST stream; notifications/cancelled stops it: the
#     audit log's tool_end says "cancelled" (ERR_CANCELLED), the proxy relays
#     well under half the message after the cancel, and the next call on the
#     account succeeds (clean connection); a call queued behind it and
#     cancelled before it ran is skipped and audited "cancelled";
#   - the same download in 2026-07-28, cancelled by closing the response stream;
#   - an uncancelled 2.5 MB download (read in partial fetches of
#     LIM_FETCH_CHUNK) is byte-identical, its progress reaching the size.
# TAP-like lines; exit 1 on any "not ok". Bounded by SUITE_BUDGET (default 600 s).
# usage: tests/integration/progress_suite.sh BUILD_DIR
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init progress_suite 600 igpr "$@"

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
ig_dovecot_start --no-fill
ok "Dovecot started"

ig_bg proxy "$PY" "$root/tests/imap/throttle_proxy.py" --to "$IMAPS_PORT" --rate 1000000 \
	--count "$tmp/proxy.count" --max-seconds "$budget"
proxy_port=$(ig_wait_port "$tmp/proxy.out")
[ -n "$proxy_port" ] && ok "throttling proxy listens" || { nok "throttling proxy starts" "$(head -c 300 "$tmp/proxy.err")"; exit 1; }

gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5" "log_level = info"
	printf '[defaults]\nposture = readonly\n\n'
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
	ig_conf_account slow "$proxy_port" implicit alice "$dv/alice.pw" "$FINGERPRINT"
} >"$conf"
token=$(ig_token progress)
[ -n "$token" ] && ok "token created" || { nok "token created" "$(head -c 300 "$tmp/token.err")"; exit 1; }
ig_gateway_serve

ig_run_checks progress_checks.py "$root" "$build" "$tmp" "$gw_port" "$token"
ig_gateway_stop
ig_summary
