#!/usr/bin/env bash
# Audit log suite (issue 6 part 5, DESIGN §9): the gateway (BUILD_DIR/imapgate-test)
# against a throwaway Dovecot (alice), driven hard over MCP by parallel clients
# (list_accounts, list_folders, fetch_message of a message carrying a body marker and
# a raw recipient, create_draft to a raw recipient, bad tokens), then:
#   - kill -9 at seeded random moments, AUDIT_ROUNDS times (default 10): after each,
#     `imapgate audit verify` reports a valid chain with at most one torn final record,
#     and the next start appends to a chain that still verifies;
#   - `audit query` answers while the server runs;
#   - a clean SIGTERM run ends with process_end; auth records carry the fingerprint;
#   - the token secrets, a rejected token, the IMAP password, the body marker and the
#     raw recipient addresses appear neither in the audit files nor in stderr;
#   - verify matches the log against its checkpoint; an edited last record fails it,
#     and the next start records the mismatch instead of hiding it.
# Prints TAP-like lines; exit 1 if any "not ok". Bounded by SUITE_BUDGET (default 600 s).
#
# usage: tests/integration/audit_suite.sh BUILD_DIR
# env:   KEEP_TMP=1 keep the temporary directory; AUDIT_SEED, AUDIT_ROUNDS
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init audit_suite 600 igaud "$@"
rounds=${AUDIT_ROUNDS:-10}
seed=${AUDIT_SEED:-4242}
load_pid=""
ig_cli_err="$tmp/cli.err" # searched for secrets below
ig_on_exit() { # the gateway is killed, not stopped: it may be mid-round
	[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
	[ -n "$gw_pid" ] && kill -KILL "$gw_pid" 2>/dev/null
}

[ -x "$bin" ] || { nok "binary $bin exists"; exit 1; }
ig_dovecot_start --no-fill
ok "dovecot started"

# Markers that must never reach the audit log or the logs.
body_marker="BODYMARK-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
rcpt_in_mail="inbound-rcpt-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')@victim.example"
rcpt_draft="draft-rcpt-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')@exfil.example"
bad_token="igt_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | head -c 43)"

# One message in alice's INBOX carrying the body marker and a raw recipient.
if timeout 30 "$PY" - "$IMAPS_PORT" "$CA_FILE" "$(cat "$dv/alice.pw")" "$body_marker" "$rcpt_in_mail" <<'PY' >"$tmp/append.log" 2>&1; then
import imaplib, ssl, sys
port, ca, pw, marker, rcpt = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
ctx = ssl.create_default_context(cafile=ca)
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx)
m.login("alice", pw)
msg = ("From: Mallory <mallory@attacker.example>\r\nTo: <%s>\r\nSubject: audit test\r\n"
       "Message-ID: <audit-test@attacker.example>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n"
       "Content-Type: text/plain; charset=utf-8\r\n\r\nHello %s line\u2028two\r\n" % (rcpt, marker))
m.append("INBOX", None, None, msg.encode())
m.logout()
PY
	ok "test message appended"
else
	nok "test message appended" "$(tail -3 "$tmp/append.log" | tr '\n' ' ')"
fi

gw_port=$(ig_free_port)
data="$tmp/data"
conf="$tmp/gw.conf"
{
	ig_conf_server "audit_max_bytes = 256k" "log_level = info"
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
} >"$conf"
gw() { "$bin" --config "$conf" "$@"; }

token=$(ig_token agent-a)
token2=$(ig_token agent-b)
tok_rev=$(ig_token short-lived)
gw token revoke short-lived 2>>"$tmp/cli.err"
[ ${#token} -eq 47 ] && [ ${#token2} -eq 47 ]
check "tokens created" $?


cat >"$tmp/load.py" <<'PY'
import json, os, sys, threading, random, time
sys.path.insert(0, os.environ["IG_SUITE_DIR"])
import mcp_client  # noqa: E402
port, tok, tok2, bad, rcpt, marker, seconds = sys.argv[1:8]
seconds = float(seconds)
url = "http://127.0.0.1:%s/mcp" % port
stop = time.monotonic() + seconds
counts = {"ok": 0, "err": 0}
lock = threading.Lock()

def call(tool, args, token):
    try:
        return "http_error" not in mcp_client.call(url, token, tool, args, limit=20)
    except Exception:
        return False

def worker(n):
    rnd = random.Random(n)
    while time.monotonic() < stop:
        t = rnd.random()
        if t < 0.25:
            res = call("list_accounts", {}, tok)
        elif t < 0.5:
            res = call("list_folders", {"account": "alice"}, tok2)
        elif t < 0.8:
            res = call("fetch_message", {"account": "alice", "folder": "INBOX", "uid": 1}, tok)
        elif t < 0.9:
            res = call("create_draft", {"account": "alice",
                                        "to": [{"name": "Ex Fil", "address": rcpt}],
                                        "subject": "s " + marker, "body_text": marker + "\u2028x\r\ny"}, tok)
        elif t < 0.93:
            # refused by the chain (default posture draft-safe): a rejected tool_end
            res = call("send_email", {"account": "alice",
                                      "to": [{"name": "Ex Fil", "address": rcpt}],
                                      "subject": "s " + marker, "body_text": marker}, tok)
        else:
            res = call("list_accounts", {}, bad)
        with lock:
            counts["ok" if res else "err"] += 1

ths = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
for t in ths: t.start()
for t in ths: t.join()
print(json.dumps(counts))
PY

verify() { # verify LABEL: exit 0, at most one TORN line, nothing else
	local out rc torn
	out=$(gw audit verify 2>&1)
	rc=$?
	torn=$(echo "$out" | grep -c '^TORN' || true)
	echo "$out" >>"$tmp/verify.log"
	if [ "$rc" -eq 0 ] && [ "$torn" -le 1 ] && ! echo "$out" | grep -q '^FAIL'; then
		ok "$1: chain valid ($(echo "$out" | grep '^ok:' | cut -c5-))$([ "$torn" -gt 0 ] && echo ", $torn torn final record reported")"
	else
		nok "$1: chain valid" "$(echo "$out" | head -3 | tr '\n' ' ')"
	fi
}

RANDOM=$seed
for r in $(seq 1 "$rounds"); do
	if ! ig_gateway_start "gw-$r.err"; then
		nok "round $r: gateway started" "$(tail -3 "$tmp/gw-$r.err" | tr '\n' ' ')"
		break
	fi
	timeout -k 5 60 "$PY" "$tmp/load.py" "$gw_port" "$token" "$token2" "$bad_token" "$rcpt_draft" "$body_marker" 30 >"$tmp/load-$r.json" 2>>"$tmp/load.err" &
	load_pid=$!
	# a seeded moment between 0.3 and 2.3 s into heavy auditing
	ms=$((300 + RANDOM % 2000))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	if [ "$r" -eq 1 ]; then
		n=$(gw audit query --kind tool_end --limit 3 2>/dev/null | wc -l)
		[ "$n" -eq 3 ]
		check "audit query answers while the server appends" $? "got $n lines"
	fi
	kill -KILL "$gw_pid" 2>/dev/null
	wait "$gw_pid" 2>/dev/null
	gw_pid=""
	kill "$load_pid" 2>/dev/null
	wait "$load_pid" 2>/dev/null
	load_pid=""
	verify "round $r (kill -9 after ${ms} ms)"
done

# A clean run after the crashes: the chain continues, process_end is written.
if ig_gateway_start "gw-final.err"; then
	timeout -k 5 30 "$PY" "$tmp/load.py" "$gw_port" "$token" "$token2" "$bad_token" "$rcpt_draft" "$body_marker" 2 >"$tmp/load-final.json" 2>>"$tmp/load.err"
	kill -TERM "$gw_pid"
	wait "$gw_pid"
	check "SIGTERM exit status 0" $?
	gw_pid=""
	verify "after restart and clean stop"
	out=$(gw audit verify 2>&1)
	echo "$out" | grep -q '^TORN'
	[ $? -ne 0 ]
	check "no torn record after a clean run (a torn tail was repaired)" $?
else
	nok "final gateway started"
fi

# through a file: `grep -q` closing the pipe early would fail the query (pipefail)
q() { gw audit query "$@" >"$tmp/q.out" 2>>"$tmp/q.err"; cat "$tmp/q.out" || true; }
[ "$(q --kind process_start | wc -l)" -eq $((rounds + 1)) ]
check "one process_start per run" $? "$(q --kind process_start | wc -l)"
[ "$(q --kind process_end | wc -l)" -eq 1 ]
check "process_end only for the clean stop" $?
q --kind auth --account alice --limit 1 | grep -qi "\"fingerprint_sha256\":\"$FINGERPRINT\""
check "auth record carries the observed fingerprint" $? "$(q --kind auth --limit 1 | head -c 300)"
[ "$(q --kind token | grep -c '"event":"created"')" -eq 3 ] && [ "$(q --kind token | grep -c '"event":"revoked"')" -eq 1 ]
check "token created/revoked records" $?
q --kind token | grep -q '"event":"rejected","reason":"invalid","token_sha256_prefix":"[0-9a-f]\{8\}"'
check "rejected tokens recorded by hash prefix" $?
q --kind tool_end --tool fetch_message --token agent-a --limit 1 | grep -q '"ids":\["INBOX/1"[],]'
check "tool_end result_summary lists the message read" $? "$(q --kind tool_end --tool fetch_message --limit 1 | head -c 400)"
q --kind tool_end --tool send_email --token agent-a --limit 1 | grep '"status":"rejected"' | grep -q '"error_code":"ERR_POSTURE_DENIED"'
check "a call the chain refuses is recorded as rejected with its code" $? "$(q --kind tool_end --tool send_email --limit 1 | head -c 400)"
[ "$(q --kind tool_start --tool send_email | wc -l)" -eq 0 ]
check "a refused call has no tool_start (it never ran)" $?
q --kind tool_end --tool create_draft | grep -q '"provenance":{"window_s":600,"count":[1-9][0-9]*,"ids":\[[^]]*"alice:INBOX/1"'
check "create_draft provenance names what agent-a read" $? "$(q --kind tool_end --tool create_draft --limit 1 | head -c 600)"
q --kind tool_start --tool create_draft --limit 1 | grep -q '"to":\[{"name":"<redacted:6>","address":"rcpt_[0-9a-f]\{32\}"}\]'
check "create_draft recipients hashed, names redacted" $? "$(q --kind tool_start --tool create_draft --limit 1 | head -c 600)"
[ "$(ls "$data/audit" | grep -c '^audit-[0-9]*\.jsonl$')" -ge 1 ]
check "rotation happened under load (audit_max_bytes = 256k)" $? "$(ls "$data/audit" | tr '\n' ' ')"
[ "$(stat -c %a "$data/audit/audit.jsonl")" = 600 ] && [ "$(stat -c %a "$data/audit")" = 700 ]
check "audit file 0600, directory 0700" $?

# Secrets and mail content never reach the audit files or stderr.
pw=$(cat "$dv/alice.pw")
for pair in "token secret:$token" "second token secret:$token2" "revoked token secret:$tok_rev" \
	"rejected token:$bad_token" "IMAP password:$pw" "body marker:$body_marker" \
	"inbound recipient:$rcpt_in_mail" "draft recipient:$rcpt_draft"; do
	label=${pair%%:*}
	val=${pair#*:}
	if [ -n "$val" ] && ! grep -rqF -- "$val" "$data/audit" "$tmp"/gw-*.err "$tmp/cli.err"; then
		ok "no $label in the audit log or stderr"
	else
		nok "no $label in the audit log or stderr"
	fi
done
# the load did reach the mail (so the absence above means something)
grep -q '"ok": [1-9]' "$tmp/load-final.json"
check "load generator got answers" $? "$(cat "$tmp/load-final.json" 2>/dev/null)"
q --kind tool_end --tool fetch_message --limit 1 | grep -q '"status":"ok"'
check "fetch_message succeeded at least once" $?
# The checkpoint outside the log (data_dir/audit.head, keyed with data_dir/audit.key)
# matched after all those kill -9 rounds; an edit of the last record (which the
# chain alone cannot reveal) fails verify, and the next gateway start neither
# hides it nor refuses to run: its first record carries checkpoint_mismatch.
out=$(gw audit verify 2>&1)
echo "$out" | grep -q '^checkpoint: seq [0-9]* matches$'
check "verify checks the log against its checkpoint" $? "$(echo "$out" | tail -2 | tr '\n' ' ')"
[ "$(stat -c %a "$data/audit.key")" = 600 ] && [ "$(stat -c %a "$data/audit.head")" = 600 ] &&
	[ ! -e "$data/audit/audit.key" ]
check "checkpoint key 0600 outside the audit directory" $?
"$PY" - "$data/audit/audit.jsonl" <<'PY'
import sys
p = sys.argv[1]
lines = open(p, "rb").read().split(b"\n")
assert lines[-1] == b"" and b'"kind":"process_end"' in lines[-2]
assert b'"signal":15,' in lines[-2]
lines[-2] = lines[-2].replace(b'"signal":15,', b'"signal":9,')
open(p, "wb").write(b"\n".join(lines))
PY
out=$(gw audit verify 2>&1)
rc=$?
[ "$rc" -eq 1 ] && echo "$out" | grep -q '^FAIL: .*differs from the checkpoint'
check "an edited last record fails verify" $? "rc=$rc $(echo "$out" | head -2 | tr '\n' ' ')"
if ig_gateway_start "gw-tamper.err"; then
	kill -TERM "$gw_pid"
	wait "$gw_pid"
	check "the gateway runs on after the log was tampered with (exit 0)" $?
	gw_pid=""
	out=$(gw audit verify 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && echo "$out" | grep -q 'did not match its checkpoint.*(record_changed)'
	check "the next start keeps the evidence (checkpoint_mismatch)" $? "rc=$rc $(echo "$out" | head -2 | tr '\n' ' ')"
else
	nok "gateway started after the tampering"
fi

if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$tmp"/gw-*.err; then
	nok "no sanitizer report"
else
	ok "no sanitizer report"
fi

grep -q '^not ok' "$results" && exit 1
exit 0
