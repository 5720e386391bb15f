#!/usr/bin/env bash
# Read tools end to end (issue 5, DESIGN §4.3/§4.4): a throwaway Dovecot
# (tests/imap/dovecot.sh) loaded over IMAP APPEND with every message of
# ../shared/corpus and tests/corpus plus a thread and attachment fixtures, the
# gateway (BUILD_DIR/imapgate-test serve), and MCP calls (stateless 2026-07-28,
# python urllib) of fetch_message, get_thread, list_attachments,
# download_attachment and list_labels, checked against what was loaded:
#   - fetch_message == `imapgate sanitize` on the same file (meta location
#     fields aside), byte for byte, for every corpus message;
#   - threads, attachments (sha256/size of the original part, declared vs
#     sniffed type), labels, \Seen never set, NOT_FOUND/UIDVALIDITY errors;
#   - the text content item fences the untrusted part (§4.4);
#   - hostile servers (bad ENVELOPE / BODYSTRUCTURE, empty FETCH): typed
#     errors, the gateway alive.
# TAP-like lines; exit 1 on any "not ok". Bounded by SUITE_BUDGET (default 600 s).
# usage: tests/integration/readtools_suite.sh BUILD_DIR
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init readtools_suite 600 igrt "$@"

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
ig_dovecot_start --no-fill
ok "Dovecot started"
shared="$root/../shared/corpus"
if [ -d "$shared" ]; then
	ok "../shared/corpus present"
else
	echo "# readtools_suite: ../shared/corpus absent: only tests/corpus is loaded (notice, not a failure)"
fi

# hostile servers: malformed FETCH answers, and a server whose FETCH is empty
hostile=(bad-envelope bad-bodystructure good fetch-oversize fetch-huge-literal)
for s in "${hostile[@]}"; do
	ig_hostile_start "$s"
done
: >"$tmp/hostile.ports"
ig_hostile_ports "${hostile[@]}"

gw_port=$(ig_free_port)
printf 'hostile-password' >"$tmp/hostile.pw"
chmod 0600 "$tmp/hostile.pw"
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = full\n\n'
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
	while read -r s port; do
		ig_conf_account "h-$s" "$port" implicit hostile "$tmp/hostile.pw" "$FINGERPRINT" \
			"connect_timeout_s = 2" "command_timeout_s = 3"
	done <"$tmp/hostile.ports"
} >"$conf"
token=$(ig_token readtools)
[ -n "$token" ] && ok "token created" || { nok "token created" "$(head -c 300 "$tmp/token.err")"; exit 1; }
ig_gateway_serve

ig_run_checks readtools_checks.py "$root" "$build" "$tmp" "$gw_port" "$token" "$gw_pid"
ig_gateway_stop
ig_summary
