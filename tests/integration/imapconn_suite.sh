#!/usr/bin/env bash
# IMAP client robustness (issue 12, items A2, A4, C6): a throwaway Dovecot
# (tests/imap/dovecot.sh), a hostile server (tests/imap/hostile_imap.py
# scenario `refuse`), an SMTP sink, two gateways (BUILD_DIR/imapgate-test
# serve) and tests/integration/imapconn_checks.py:
#   - A2: `search` on its server path over a 50,000-message folder (UNSEEN:
#     25,000 hits, SUBJECT "a"), with ESEARCH offered and with Dovecot's
#     capability list lacking it (imap_capability): exact totals, no
#     ERR_TOO_LARGE. The second gateway's cache.db is unusable (a directory),
#     so every search takes the server path and nothing syncs 50,000 messages;
#   - A4: Dovecot stopped and started under every read tool (one account per
#     tool, warm connections, search answered from the cache first): the next
#     call answers normally (retried once on a new session); while Dovecot is
#     down every read tool answers ERR_CONNECTION_LOST, never ERR_INTERNAL;
#   - C6: the hostile server refuses with each RFC 5530 code (+ TRYCREATE,
#     HASCHILDREN): the specific error code, never the server's text;
#     `imapgate probe` on implicit TLS shows the capabilities after login,
#     and against an SMTP port says it speaks SMTP.
# TAP-like lines; exit 1 on any "not ok". Bounded by SUITE_BUDGET (default 600 s).
# usage: tests/integration/imapconn_suite.sh BUILD_DIR
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init imapconn_suite 600 igic "$@"

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
ig_dovecot_start --no-fill
ok "Dovecot started"

# RFC 5530 codes (+ RFC 3501 TRYCREATE, RFC 9051 HASCHILDREN) and the error
# code each must become; the hostile server refuses with the code it is
# given as the user name
codes="UNAVAILABLE:ERR_SERVER_UNAVAILABLE AUTHENTICATIONFAILED:ERR_AUTH
AUTHORIZATIONFAILED:ERR_AUTH EXPIRED:ERR_AUTH PRIVACYREQUIRED:ERR_AUTH
CONTACTADMIN:ERR_PERMISSION_DENIED NOPERM:ERR_PERMISSION_DENIED INUSE:ERR_IN_USE
EXPUNGEISSUED:ERR_NOT_FOUND CORRUPTION:ERR_SERVER_ERROR SERVERBUG:ERR_SERVER_ERROR
CLIENTBUG:ERR_IMAP_PROTOCOL CANNOT:ERR_NOT_POSSIBLE LIMIT:ERR_SERVER_LIMIT
OVERQUOTA:ERR_OVER_QUOTA ALREADYEXISTS:ERR_INVALID_INPUT NONEXISTENT:ERR_NOT_FOUND
TRYCREATE:ERR_NOT_FOUND HASCHILDREN:ERR_HAS_CHILDREN"
echo "$codes" | tr ' ' '\n' >"$tmp/codes.txt"
ig_hostile_start refuse
: >"$tmp/hostile.ports"
ig_hostile_ports refuse
ig_bg smtp "$PY" "$root/tests/smtp/smtp_sink.py" --port 0 --cert "$CERT_FILE" --key "$KEY_FILE" \
	--out "$tmp/smtp" --max-seconds "$budget"
ig_bg smtps "$PY" "$root/tests/smtp/smtp_sink.py" --port 0 --cert "$CERT_FILE" --key "$KEY_FILE" \
	--out "$tmp/smtps" --tls implicit --max-seconds "$budget"
smtp_port=$(ig_wait_port "$tmp/smtp.out")
[ -n "$smtp_port" ] || nok "SMTP sink starts" "$(head -c 300 "$tmp/smtp.err")"
smtps_port=$(ig_wait_port "$tmp/smtps.out")
[ -n "$smtps_port" ] || nok "SMTP sink (implicit TLS) starts" "$(head -c 300 "$tmp/smtps.err")"

tools="list_folders search fetch_message get_thread list_attachments download_attachment list_labels"
printf 'x' >"$tmp/hostile.pw"
chmod 0600 "$tmp/hostile.pw"
gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = full\n\n'
	for t in $tools; do
		ig_conf_account "r-$t" "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
			"warm_folders = INBOX" "connect_timeout_s = 5" "command_timeout_s = 20"
	done
	read -r _ hport <"$tmp/hostile.ports"
	while IFS=: read -r code _; do
		ig_conf_account "n-$code" "$hport" implicit "$code" "$tmp/hostile.pw" "$FINGERPRINT" \
			"connect_timeout_s = 3" "command_timeout_s = 5"
	done <"$tmp/codes.txt"
	ig_conf_account probe-tls "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
	ig_conf_account probe-untrusted "$IMAPS_PORT" implicit alice "$dv/alice.pw" \
		"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"
	ig_conf_account probe-smtp "${smtp_port:-1}" starttls alice "$dv/alice.pw" "$FINGERPRINT" \
		"connect_timeout_s = 5"
	ig_conf_account probe-smtp-tls "${smtp_port:-1}" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
		"connect_timeout_s = 5"
	ig_conf_account probe-smtps "${smtps_port:-1}" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
		"connect_timeout_s = 5"
} >"$conf"
token=$(ig_token imapconn)
[ -n "$token" ] && ok "token created" || { nok "token created" "$(head -c 300 "$tmp/token.err")"; exit 1; }
ig_gateway_start && ok "gateway serves" || { nok "gateway starts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"; exit 1; }
gw1_pid=$gw_pid gw1_port=$gw_port

# the second gateway: no usable cache (cache.db is a directory), one account
# for the big searches
conf2="$tmp/imapgate2.conf"
gw_port=$(ig_free_port)
mkdir -p "$tmp/data2/cache.db"
chmod 0700 "$tmp/data2"
{
	printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s/data2\nshutdown_timeout_s = 5\n\n' \
		"$gw_port" "$tmp"
	printf '[defaults]\nposture = full\n\n'
	ig_conf_account big "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
		"command_timeout_s = 120"
} >"$conf2"
token2=$("$bin" token create --name big --config "$conf2" 2>>"$ig_cli_err")
conf_save=$conf conf=$conf2
pids+=("$gw1_pid")
gw_pid=""
ig_gateway_start gateway2.log && ok "second gateway (no cache) serves" || {
	nok "second gateway starts" "$(tail -5 "$tmp/gateway2.log" | tr '\n' ' ')"
	exit 1
}
gw2_pid=$gw_pid gw2_port=$gw_port
conf=$conf_save

# --- C6: probe -------------------------------------------------------------
out=$(timeout 60 "$bin" probe probe-tls --config "$conf" 2>"$tmp/probe.err")
rc=$?
echo "$out" >"$tmp/probe-tls.out"
pre=$(echo "$out" | sed -n 's/^capabilities: //p')
post=$(echo "$out" | sed -n 's/^capabilities_after_login: //p')
if [ "$rc" -eq 0 ] && [ -n "$post" ] && echo " $post " | grep -q " MOVE " &&
	echo " $post " | grep -q " CONDSTORE " && ! echo " $pre " | grep -q " MOVE "; then
	ok "probe on implicit TLS shows the capabilities after login (MOVE, CONDSTORE)"
else
	nok "probe on implicit TLS shows the capabilities after login" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi
if grep -q '"kind":"auth","principal":"cli:probe","account":"probe-tls"' "$tmp/data/audit/audit.jsonl" 2>/dev/null; then
	ok "probe's login is audited (auth, principal cli:probe)"
else
	nok "probe's login is audited"
fi
out=$(timeout 60 "$bin" probe probe-untrusted --config "$conf" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && ! echo "$out" | grep -q '^capabilities_after_login:' &&
	echo "$out" | grep -q '^login: not attempted'; then
	ok "probe does not log in when the certificate would be refused"
else
	nok "probe does not log in to an untrusted server" "rc=$rc $(echo "$out" | tr '\n' '|')"
fi
for a in probe-smtp probe-smtp-tls probe-smtps; do
	out=$(timeout 60 "$bin" probe "$a" --config "$conf" 2>&1)
	rc=$?
	if [ "$rc" -eq 1 ] && echo "$out" | grep -q '^error: .*speaks SMTP, not IMAP'; then
		ok "probe against an SMTP port ($a) says it speaks SMTP"
	else
		nok "probe against an SMTP port ($a) says so" "rc=$rc $(echo "$out" | tr '\n' '|')"
	fi
done

timeout -k 5 $((budget - 60)) "$PY" "$root/tests/integration/imapconn_checks.py" \
	"$root" "$tmp" "$gw1_port" "$token" "$gw2_port" "$token2" 2>>"$tmp/py.stderr" | tee -a "$results"
rc=${PIPESTATUS[0]}
if ! grep -q 'imapconn_suite: checks completed' "$results"; then
	nok "imapconn_checks.py ended with $rc before completing" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
fi

for g in "1:$gw1_pid:gateway.log" "2:$gw2_pid:gateway2.log"; do
	IFS=: read -r n p log <<<"$g"
	kill -TERM "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	grc=$?
	if [ "$grc" -eq 0 ]; then ok "gateway $n exits cleanly on SIGTERM"; else nok "gateway $n exit status $grc"; fi
	if grep -qE 'ERROR: AddressSanitizer|runtime error:|LeakSanitizer' "$tmp/$log"; then
		nok "no sanitizer report (gateway $n)" "$(grep -m2 -E 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/$log" | tr '\n' ' ')"
	else
		ok "no sanitizer report in gateway $n's log"
	fi
done
gw_pid=""
p=$(grep -c '^ok' "$results")
f=$(grep -c '^not ok' "$results")
echo "imapconn_suite: $p passed, $f failed"
[ "$f" -eq 0 ]
