#!/usr/bin/env bash
# Policy hardening end to end (issue #12: A3, A5, C1, C4, C5): two throwaway
# Dovecots (tests/imap/dovecot.sh; one with the classic layout, namespace
# prefix "INBOX." and separator "."), the gateway (BUILD_DIR/imapgate-test
# serve) and MCP calls from policy_checks.py:
#   - breaker: one token's arguments the server refuses (over-long labels,
#     rejected advanced_query keys, folder names outside the namespace, …)
#     never pause the account for another token;
#   - fence: a message (and server data: folder names, keywords) whose every
#     sender-controlled field carries a canary, and a hostile server
#     (tests/imap/hostile_imap.py --scenario canary) whose folder names, flags
#     and response texts carry it: no canary outside the fenced part of any
#     tool's text, nor in structuredContent outside `untrusted`;
#   - classic layout: every folder tool on INBOX.x folders, INBOX protected;
#   - list_labels: permanent flags and new_keywords_allowed from the server;
#   - search: meta.uidvalidity on both paths, accepted back as
#     expected_uidvalidity, a wrong one refused.
# TAP-like lines; exit 1 on any "not ok". Bounded by SUITE_BUDGET (default 400 s).
# usage: tests/integration/policy_suite.sh BUILD_DIR
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init policy_suite 400 igpo "$@"

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
# the classic-layout Dovecot: its own directory, stopped at exit
dvc="$tmp/dvc"
ig_on_exit() { "$root/tests/imap/dovecot.sh" stop "$dvc" >/dev/null 2>&1; }
if ! out=$("$root/tests/imap/dovecot.sh" start "$dvc" --no-fill --classic 2>&1); then
	nok "classic-layout Dovecot starts" "$(printf '%s' "$out" | tail -3 | tr '\n' ' ')"
	exit 1
fi
classic_port=$(sed -n 's/^IMAPS_PORT=//p' "$dvc/env")
classic_fp=$(sed -n 's/^FINGERPRINT=//p' "$dvc/env")
ig_dovecot_start --no-fill
ok "Dovecots started (standard and classic layout)"
# a server whose own words (folder names, flags, response texts) carry canaries
ig_hostile_start canary
: >"$tmp/hostile.ports"
ig_hostile_ports canary
printf 'hostile-password' >"$tmp/hostile.pw"
chmod 0600 "$tmp/hostile.pw"

gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = destructive\n\n'
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
		"expunge_folders = Gone"
	ig_conf_account classic "$classic_port" implicit alice "$dvc/alice.pw" "$classic_fp" \
		"expunge_folders = INBOX.Gone"
	while read -r s port; do
		ig_conf_account "h-$s" "$port" implicit hostile "$tmp/hostile.pw" "$FINGERPRINT" \
			"connect_timeout_s = 2" "command_timeout_s = 3"
	done <"$tmp/hostile.ports"
} >"$conf"
noisy=$(ig_token noisy)
reader=$(ig_token reader --posture readonly)
if [ -n "$noisy" ] && [ -n "$reader" ]; then ok "tokens created"; else
	nok "tokens created" "$(head -c 300 "$tmp/token.err")"
	exit 1
fi
ig_gateway_serve

ig_run_checks policy_checks.py "$tmp" "$gw_port" "$noisy" "$reader" "$dv" "$dvc"
ig_gateway_stop
ig_summary
