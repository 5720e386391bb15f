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
if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - readtools_suite: build dir $1 not found"
	exit 1
}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin="$build/imapgate-test"
budget=${SUITE_BUDGET:-600}
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
tmp=$(mktemp -d /tmp/igrt.XXXXXX)
chmod 0711 "$tmp"
dv="$tmp/dv"
results="$tmp/results.tap"
: >"$results"
pids=()
watchdog=""
cleanup() {
	local p
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	"$root/tests/imap/dovecot.sh" stop "$dv" >/dev/null 2>&1
	if [ "${KEEP_TMP:-0}" = 1 ] || grep -q '^not ok' "$results" 2>/dev/null; then
		echo "# readtools_suite: logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
trap 'echo "not ok - readtools_suite: time budget of ${budget}s exhausted"; exit 1' TERM
(
	sleep "$budget" &
	s=$!
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	wait "$s" && kill -TERM $$ 2>/dev/null
) </dev/null >/dev/null 2>&1 &
watchdog=$!
emit() { echo "$1" | tee -a "$results"; }
ok() { emit "ok - readtools_suite: $1"; }
nok() { emit "not ok - readtools_suite: $1${2:+ ($2)}"; }

if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
if out=$("$root/tests/imap/dovecot.sh" start "$dv" --no-fill 2>&1); then
	# shellcheck disable=SC1091
	. "$dv/env"
	ok "Dovecot started"
else
	nok "Dovecot starts" "$(printf '%s' "$out" | tail -5 | tr '\n' ' ')"
	exit 1
fi
shared="$root/../shared/corpus"
if [ -d "$shared" ]; then
	ok "../shared/corpus present"
else
	echo "# readtools_suite: ../shared/corpus absent: only tests/corpus is loaded (notice, not a failure)"
fi

# hostile servers: malformed FETCH answers, and a server whose FETCH is empty
for s in bad-envelope bad-bodystructure good fetch-oversize fetch-huge-literal; do
	"$PY" "$root/tests/imap/hostile_imap.py" --port 0 --scenario "$s" --cert "$CERT_FILE" \
		--key "$KEY_FILE" --max-seconds "$budget" >"$tmp/h-$s.out" 2>"$tmp/h-$s.err" &
	pids+=($!)
done
: >"$tmp/hostile.ports"
for s in bad-envelope bad-bodystructure good fetch-oversize fetch-huge-literal; do
	port=""
	for _ in $(seq 1 100); do
		port=$(awk '$1=="listening"{print $2}' "$tmp/h-$s.out" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	echo "$s $port" >>"$tmp/hostile.ports"
done

gw_port=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
printf 'hostile-password' >"$tmp/hostile.pw"
chmod 0600 "$tmp/hostile.pw"
conf="$tmp/imapgate.conf"
{
	printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\nshutdown_timeout_s = 5\n\n' "$gw_port" "$tmp"
	printf '[defaults]\nposture = full\n\n'
	printf '[account alice]\nhost = 127.0.0.1\nport = %s\ntls = implicit\nuser = alice\npassword_file = %s\ntls_fingerprint_sha256 = %s\n\n' \
		"$IMAPS_PORT" "$dv/alice.pw" "$FINGERPRINT"
	while read -r s port; do
		printf '[account h-%s]\nhost = 127.0.0.1\nport = %s\ntls = implicit\nuser = hostile\npassword_file = %s\ntls_fingerprint_sha256 = %s\nconnect_timeout_s = 2\ncommand_timeout_s = 3\n\n' \
			"$s" "$port" "$tmp/hostile.pw" "$FINGERPRINT"
	done <"$tmp/hostile.ports"
} >"$conf"
token=$("$bin" token create --name readtools --config "$conf" 2>"$tmp/token.err")
[ -n "$token" ] && ok "token created" || { nok "token created" "$(head -c 300 "$tmp/token.err")"; exit 1; }
"$bin" serve --config "$conf" </dev/null >"$tmp/gateway.out" 2>"$tmp/gateway.log" &
gw_pid=$!
pids+=("$gw_pid")
up=0
for _ in $(seq 1 100); do
	curl -sf --max-time 1 "http://127.0.0.1:$gw_port/healthz" >/dev/null && up=1 && break
	kill -0 "$gw_pid" 2>/dev/null || break
	sleep 0.05
done
[ "$up" -eq 1 ] && ok "gateway serves" || { nok "gateway starts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"; exit 1; }

timeout -k 5 $((budget - 30)) "$PY" "$root/tests/integration/readtools_checks.py" \
	"$root" "$build" "$tmp" "$gw_port" "$token" "$gw_pid" 2>>"$tmp/py.stderr" | tee -a "$results"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	nok "readtools_checks.py ended with $rc" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
fi
kill -TERM "$gw_pid" 2>/dev/null
wait "$gw_pid" 2>/dev/null
grc=$?
if [ "$grc" -eq 0 ]; then ok "gateway exits cleanly on SIGTERM"; else nok "gateway exit status $grc" "$(grep -m3 -E 'ERROR: AddressSanitizer|runtime error' "$tmp/gateway.log" | tr '\n' ' ')"; fi
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$tmp/gateway.log"; then
	nok "no sanitizer report" "$(grep -m2 -E 'AddressSanitizer|runtime error' "$tmp/gateway.log" | tr '\n' ' ')"
else
	ok "no sanitizer report in the gateway log"
fi
p=$(grep -c '^ok' "$results")
f=$(grep -c '^not ok' "$results")
echo "readtools_suite: $p passed, $f failed"
[ "$f" -eq 0 ]
