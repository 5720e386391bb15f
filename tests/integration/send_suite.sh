#!/usr/bin/env bash
# Send suite (issue 7, DESIGN §10, docs/sending.md): a throwaway Dovecot
# (tests/imap/dovecot.sh), SMTP sinks on loopback (tests/smtp/smtp_sink.py: one
# well-behaved with STARTTLS, one that delays the final reply, one that answers 554),
# and the gateway (BUILD_DIR/imapgate-test serve) driven over MCP:
#   create_draft (flags, no Bcc, reply threading), injection attempts through every
#   field, send_email -> pending (nothing reaches the sink), an agent token cannot
#   approve through the admin API, a tampered entry cannot be approved, CLI approval ->
#   exactly one message with the approved RCPT TO set, CRLF and dot handling, no Bcc in
#   DATA or in the Sent copy, 5xx -> failed without server text, and kill -9 during a
#   send -> no second delivery after restart (entry `uncertain`).
# Prints TAP-like lines; exit 1 if any "not ok". Bounded by SUITE_BUDGET (default 300 s).
#
# usage: tests/integration/send_suite.sh BUILD_DIR
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init send_suite 300 igsend "$@"

ig_dovecot_start
ok "Dovecot started"

# ---------------------------------------------------------------- SMTP sinks
start_sink() { # start_sink VAR NAME MODE TLS: VAR gets the sink's port ("" when none)
	ig_bg "sink-$2" "$PY" "$root/tests/smtp/smtp_sink.py" --port 0 --cert "$CERT_FILE" \
		--key "$KEY_FILE" --out "$tmp/sink-$2" --mode "$3" --tls "$4" --delay 8 \
		--max-seconds "$budget"
	printf -v "$1" '%s' "$(ig_wait_port "$tmp/sink-$2.out")"
}
start_sink p_ok ok ok starttls
start_sink p_slow slow delay implicit
start_sink p_bad bad 5xx starttls
start_sink p_notls notls no-starttls starttls
start_sink p_drop drop drop-mid-data starttls
start_sink p_temp temp 4xx starttls
start_sink p_refuse refuse refuse-starttls starttls
start_sink p_auto auto ok starttls
start_sink p_pin pin ok implicit
if [ -n "$p_ok" ] && [ -n "$p_slow" ] && [ -n "$p_bad" ] && [ -n "$p_notls" ] && [ -n "$p_drop" ] &&
	[ -n "$p_temp" ] && [ -n "$p_refuse" ] && [ -n "$p_auto" ] && [ -n "$p_pin" ]; then
	ok "SMTP sinks listening"
else
	nok "SMTP sinks start" "$(cat "$tmp"/sink-*.err | head -c 300)"
	exit 1
fi

ig_wrong_cert
gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = full\ndraft_rate_limit = 10000/h\nsend_rate_limit = 10000/h\n\n'
	acct() { # acct NAME SMTP_URL TLSLINE
		ig_conf_account "$1" "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
			"address = alice@example.test" "smtp_url = $2" "smtp_user = alice" \
			"smtp_password_file = $dv/alice.pw" "$3"
	}
	acct alice "smtp://127.0.0.1:$p_ok" "smtp_tls_ca_file = $CA_FILE"
	acct slow "smtps://127.0.0.1:$p_slow" "smtp_tls_fingerprint_sha256 = $FINGERPRINT"
	acct bad "smtp://127.0.0.1:$p_bad" "smtp_tls_fingerprint_sha256 = $FINGERPRINT"
	acct notls "smtp://127.0.0.1:$p_notls" "smtp_tls_ca_file = $CA_FILE"
	acct drop "smtp://127.0.0.1:$p_drop" "smtp_tls_ca_file = $CA_FILE"
	acct temp "smtp://127.0.0.1:$p_temp" "smtp_tls_ca_file = $CA_FILE"
	acct refuse "smtp://127.0.0.1:$p_refuse" "smtp_tls_ca_file = $CA_FILE"
	acct wrongpin "smtps://127.0.0.1:$p_pin" "smtp_tls_fingerprint_sha256 = $wrong_fp"
	acct limited "smtp://127.0.0.1:$p_ok" "smtp_tls_ca_file = $CA_FILE
allowed_recipients = *@example.test, partner@example.org
daily_send_quota = 2"
	acct auto "smtp://127.0.0.1:$p_auto" "smtp_tls_ca_file = $CA_FILE
send_requires_approval = false
allowed_recipients = *@example.test"
	acct autonolist "smtp://127.0.0.1:$p_auto" "smtp_tls_ca_file = $CA_FILE
send_requires_approval = false"
} >"$conf"

agent=$(ig_token agent --posture full)
admin=$(ig_token admin --admin)
other=$(ig_token other --posture full)
if [ -n "$agent" ] && [ -n "$admin" ] && [ -n "$other" ]; then ok "tokens created"; else nok "tokens created" "$(head -c 300 "$tmp/token.err")"; exit 1; fi

if ig_gateway_start; then ok "gateway serves"; else nok "gateway starts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"; exit 1; fi
echo "$gw_pid" >"$tmp/gw.pid"

cat >"$tmp/checks.py" <<'PY'
import email, email.policy, email.utils, imaplib, json, os, sqlite3, ssl, subprocess, sys, time
import urllib.request, urllib.error
tmp, port, agent, admin, other, bin_, conf = sys.argv[1:8]
sys.path.insert(0, os.environ["IG_SUITE_DIR"])
import mcp_client  # noqa: E402
dv = os.path.join(tmp, "dv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
url = "http://127.0.0.1:%s/mcp" % port
fails = 0

def out(name, cond, why=""):
    global fails
    if cond:
        print("ok - send_suite: %s" % name, flush=True)
    else:
        fails += 1
        print("not ok - send_suite: %s%s" % (name, " (%s)" % str(why)[:400] if why else ""), flush=True)

def rpc(method, params, name=None, tok=None, limit=60):
    return mcp_client.rpc(url, tok or agent, method, params, name, limit)

def tool(name, args, tok=None):
    r = rpc("tools/call", {"name": name, "arguments": args}, name, tok)
    res = r.get("result") or {}
    sc = res.get("structuredContent") or {}
    if res.get("isError"):
        return None, ((res.get("_meta") or {}).get("imapgate/error") or {}).get("code"), r
    if "result" not in r:
        return None, "protocol", r
    return sc, None, r

def admin_api(method, path, tok, body=None):
    req = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path), method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, json.loads(r.read().decode() or "{}")
    except urllib.error.HTTPError as e:
        return e.code, e.read(2000).decode("utf-8", "replace")

def imap():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=c, timeout=20)
    m.login("alice", open(os.path.join(dv, "alice.pw")).read())
    return m

def fetch(m, folder, uid):
    m.select('"%s"' % folder)
    typ, d = m.uid("FETCH", str(uid), "(FLAGS BODY.PEEK[])")
    flags = d[0][0].decode()
    return flags, d[0][1]

def sink(name):
    return os.path.join(tmp, "sink-" + name)

def connects(name):
    try:
        return len(open(os.path.join(sink(name), "connects.log")).read().splitlines())
    except FileNotFoundError:
        return 0

def db():
    return sqlite3.connect(os.path.join(tmp, "data", "state.db"), timeout=10)

def entry_state(i):
    with db() as c:
        r = c.execute("SELECT state, last_error FROM outbox WHERE id = ?", (i,)).fetchone()
    return r

def wait_state(i, states, limit=20):
    t = time.monotonic() + limit
    while time.monotonic() < t:
        r = entry_state(i)
        if r and r[0] in states:
            return r
        time.sleep(0.2)
    return entry_state(i)

def cli(*args):
    return subprocess.run([bin_, "outbox", "--config", conf] + list(args), capture_output=True,
                          text=True, timeout=30)

# ---- tokens created and revoked while the server (and its outbox sender, with its
# own state.db connection) runs are seen at once (regression: a second connection in
# the process must not drop the token check's SQLite file locks) ----
def token_cli(*args):
    return subprocess.run([bin_, "token"] + list(args) + ["--config", conf], capture_output=True,
                          text=True, timeout=30)
for i in range(3):
    tool("list_pending", {"account": "alice"})  # each call opens and closes a state.db connection
    t = token_cli("create", "--name", "late-%d" % i, "--posture", "full").stdout.strip()
    sc, code, r = tool("list_pending", {"account": "alice"}, tok=t)
    ok1 = sc is not None
    token_cli("revoke", "late-%d" % i)
    sc, code, r2 = tool("list_pending", {"account": "alice"}, tok=t)
    out("token created while serving works at once, revoked is refused at once (%d)" % i,
        ok1 and r2.get("http_error") == 401, (r, r2))

# ---- list_accounts shows the configured address, not the login (#12 C.3) ----
sc, code, r = tool("list_accounts", {})
accs = {a["name"]: a for a in (sc or {}).get("accounts", [])}
out("list_accounts shows the configured address, not the login name",
    accs.get("alice", {}).get("address") == "alice@example.test" and
    all(a.get("address") != "alice" for a in accs.values()), r)

# ---- create_draft ----
sc, code, r = tool("create_draft", {"account": "alice", "to": [{"name": "Bob", "address": "bob@example.test"}],
                                     "bcc": [{"address": "hidden@example.test"}],
                                     "subject": "Draft one", "body_text": "hello\n.\nworld"})
out("create_draft succeeds", sc is not None, r)
if sc:
    meta = sc["meta"]
    out("create_draft returns folder (the server's name: untrusted), uid and message id",
        (sc.get("untrusted") or {}).get("folder") == "Drafts" and "folder" not in meta
        and meta.get("folder_special_use") == "\\Drafts" and meta.get("uid") and
        meta.get("message_id", "").startswith("<") and meta["message_id"].endswith("@example.test>"), sc)
    m = imap()
    flags, raw = fetch(m, "Drafts", meta["uid"])
    out("draft stored with \\Draft and $PendingReview", "\\Draft" in flags and "$PendingReview" in flags, flags)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out("draft has no Bcc header and no hidden recipient", "bcc" not in [k.lower() for k in msg.keys()] and b"hidden@" not in raw, raw[:300])
    out("draft is valid MIME text/plain utf-8 with CRLF", msg.get_content_type() == "text/plain" and
        msg.get_content_charset() == "utf-8" and b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), raw[:300])
    out("draft Message-ID matches the tool's", msg["Message-ID"] == meta["message_id"], msg["Message-ID"])
    m.logout()

# reply draft: parent = first INBOX message with a Message-ID
m = imap()
m.select("INBOX")
typ, d = m.uid("SEARCH", "HEADER", "Message-ID", "@")
uids = d[0].split()
parent_uid = int(uids[0]) if uids else None
if parent_uid:
    typ, d = m.uid("FETCH", str(parent_uid), "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID REFERENCES SUBJECT)])")
    ph = email.message_from_bytes(d[0][1], policy=email.policy.compat32)
    pmid = ph["Message-ID"].strip()
    sc, code, r = tool("create_draft", {"account": "alice", "to": [{"address": "bob@example.test"}],
                                         "subject": "Re: RE: re: thread", "body_text": "reply",
                                         "in_reply_to": {"folder": "INBOX", "uid": parent_uid}})
    out("reply draft succeeds", sc is not None, r)
    if sc:
        flags, raw = fetch(m, "Drafts", sc["meta"]["uid"])
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        irt = (msg["In-Reply-To"] or "").strip()
        refs = " ".join((msg["References"] or "").split())
        out("reply In-Reply-To is the parent's Message-ID with angle brackets", irt == pmid and irt.startswith("<") and irt.endswith(">"), (irt, pmid))
        out("reply References ends with the parent's id", refs.endswith(pmid), refs)
        out("reply subject has exactly one Re:", msg["Subject"] == "Re: thread", msg["Subject"])
m.logout()

# ---- injection through every field ----
inj = [
    ("to address with CRLF", {"to": [{"address": "a@example.test\r\nBcc: evil@example.test"}]}),
    ("to address with LF", {"to": [{"address": "a@example.test\nX: y"}]}),
    ("to address with two addresses", {"to": [{"address": "a@example.test, evil@example.test"}]}),
    ("to address with angle brackets", {"to": [{"address": "<evil@example.test>"}]}),
    ("cc name with CRLF", {"cc": [{"name": "x\r\nBcc: evil@example.test", "address": "c@example.test"}]}),
    ("bcc address with NUL", {"bcc": [{"address": "b@example.test\u0000evil@example.test"}]}),
    ("subject with CRLF", {"subject": "hi\r\nBcc: evil@example.test"}),
    ("subject with LF", {"subject": "hi\nX-Injected: 1"}),
    ("subject with NUL", {"subject": "hi\u0000there"}),
    ("subject with U+2028", {"subject": "hi\u2028there"}),
    ("body with NUL", {"body_text": "a\u0000b"}),
    ("in_reply_to folder with CRLF", {"in_reply_to": {"folder": "INBOX\r\nA1 LOGOUT", "uid": 1}}),
    ("in_reply_to with an extra field", {"in_reply_to": {"folder": "INBOX", "uid": 1, "x": 1}}),
    ("recipient with an extra field", {"to": [{"address": "a@example.test", "bcc": "evil@example.test"}]}),
]
for label, over in inj:
    for t in ("create_draft", "send_email"):
        args = {"account": "alice", "to": [{"address": "a@example.test"}], "subject": "s", "body_text": "b"}
        args.update(over)
        sc, code, r = tool(t, args)
        if "NUL" in label:  # the transport already refuses \u0000 in JSON strings
            out("%s: %s -> refused" % (t, label), code == "ERR_INVALID_INPUT" or
                (r.get("http_error") == 400 and "-32700" in r.get("body", "")), r)
        else:
            out("%s: %s -> ERR_INVALID_INPUT" % (t, label), code == "ERR_INVALID_INPUT", r)

# ---- send_email: pending, nothing reaches the sink ----
body = "line one\n.\nafter a lone dot\r.\r\n..two dots\r\nbare CR\rbare LF\n.leading dot\n.\r\nend"
sc, code, r = tool("send_email", {"account": "alice",
                                   "to": [{"name": 'Evil" <evil@example.test>, "X', "address": "bob@example.test"}],
                                   "cc": [{"name": "Carol", "address": "carol@example.test"}],
                                   "bcc": [{"address": "secret@example.test"}],
                                   "subject": "Quarterly numbers ✓", "body_text": body})
out("send_email returns pending_approval with an outbox id", sc is not None and sc["meta"].get("status") == "pending_approval" and sc["meta"].get("outbox_id"), r)
oid = sc["meta"]["outbox_id"] if sc else 0
time.sleep(2.5)
out("without approval nothing reaches the sink", connects("ok") == 0, connects("ok"))
sc2, code, r = tool("list_pending", {"account": "alice"})
ids = [e["outbox_id"] for e in (sc2 or {}).get("meta", {}).get("entries", [])]
out("list_pending shows the token's entry as pending", oid in ids and sc2["meta"]["entries"][0]["state"] == "pending", r)
sc3, code, r = tool("list_pending", {"account": "alice"}, tok=other)
out("list_pending never shows another token's entries", sc3 is not None and oid not in [e["outbox_id"] for e in sc3["meta"]["entries"]], r)

# ---- the admin API: an agent token cannot approve, even its own entry ----
st, b = admin_api("POST", "/admin/outbox/%d/approve" % oid, agent, {})
out("agent token cannot approve through the admin API (403)", st == 403, (st, b))
st, b = admin_api("GET", "/admin/outbox", agent)
out("agent token cannot list the admin outbox (403)", st == 403, (st, b))
out("entry still pending after the refused approval", entry_state(oid)[0] == "pending", entry_state(oid))
st, b = admin_api("GET", "/admin/outbox/%d" % oid, admin)
out("admin token reads the entry with its hash", st == 200 and isinstance(b, dict) and len(b.get("hash", "")) == 64, (st, b))

# ---- the admin API's account status: live facts from the workers and breakers ----
st, b = admin_api("GET", "/admin/accounts", agent)
out("agent token cannot read account status (403)", st == 403, (st, b))
st, b = admin_api("GET", "/admin/accounts", admin)
acc = {a["name"]: a for a in (b.get("accounts", []) if isinstance(b, dict) else [])}
al = acc.get("alice", {})
out("account status: alice's worker is running, logged in, breaker closed, a sync time",
    st == 200 and b.get("live") is True and al.get("worker_running") is True and
    al.get("connected") is True and al.get("breaker") == "closed" and
    isinstance(al.get("last_sync"), int) and abs(al["last_sync"] - time.time()) < 600, (st, b))

# ---- tampering: an entry modified in state.db cannot be approved ----
sc, code, r = tool("send_email", {"account": "alice", "to": [{"address": "bob@example.test"}],
                                   "subject": "tamper me", "body_text": "original"})
tid = sc["meta"]["outbox_id"] if sc else 0
with db() as c:
    mime = c.execute("SELECT mime FROM outbox WHERE id = ?", (tid,)).fetchone()[0]
    c.execute("UPDATE outbox SET mime = ? WHERE id = ?", (bytes(mime).replace(b"original", b"modified"), tid))
p = cli("approve", str(tid))
out("CLI refuses to approve a tampered entry", p.returncode == 1 and "changed" in p.stderr and entry_state(tid)[0] == "pending", (p.returncode, p.stderr))
st, b = admin_api("POST", "/admin/outbox/%d/approve" % tid, admin, {})
out("admin API refuses to approve a tampered entry (409)", st == 409 and entry_state(tid)[0] == "pending", (st, b))
p = cli("reject", str(tid))
out("CLI rejects an entry", p.returncode == 0 and entry_state(tid)[0] == "rejected", (p.returncode, p.stderr))

# ---- approve via CLI: exactly one delivery, exact RCPT set, dot handling, no Bcc ----
p = cli("show", str(oid))
out("outbox show prints the envelope (Bcc in rcpt_to only) and hash", p.returncode == 0 and "rcpt_to: secret@example.test" in p.stdout and "hash: " in p.stdout, p.stderr)
p = cli("approve", str(oid), "--by", "ops")
out("CLI approves", p.returncode == 0, p.stderr)
r2 = wait_state(oid, ("sent", "failed", "uncertain"))
out("approved entry is sent", r2 and r2[0] == "sent", r2)
time.sleep(0.5)
out("the sink saw exactly one connection", connects("ok") == 1, connects("ok"))
rc = open(os.path.join(sink("ok"), "1.rcpt")).read().split()
out("RCPT TO is exactly to+cc+bcc", sorted(rc) == sorted(["bob@example.test", "carol@example.test", "secret@example.test"]), rc)
out("MAIL FROM is the account address", open(os.path.join(sink("ok"), "1.from")).read().split()[0] == "<alice@example.test>")
rawsess = open(os.path.join(sink("ok"), "1.raw"), "rb").read()
eml = open(os.path.join(sink("ok"), "1.eml"), "rb").read()
out("exactly one DATA in the session", rawsess.count(b"DATA\r\n") == 1 and rawsess.count(b"\r\n.\r\n") == 1, rawsess.count(b"\r\n.\r\n"))
out("DATA has CRLF endings only (no bare CR or LF)", b"\r" not in eml.replace(b"\r\n", b"") and b"\n" not in eml.replace(b"\r\n", b""))
out("Bcc never appears in DATA", b"secret@" not in eml and b"bcc:" not in eml.lower())
msg = email.message_from_bytes(eml, policy=email.policy.default)
tos = email.utils.getaddresses(msg.get_all("To", []))
out("a hostile display name stays one recipient", [a for _, a in tos] == ["bob@example.test"], tos)
out("no injected headers", msg.get("X-Injected") is None and msg["Bcc"] is None)
text = msg.get_content().replace("\r\n", "\n")
exp = body.replace("\r\n", "\n").replace("\r", "\n")
out("body arrives intact after dot-stuffing (lone dots, leading dots)", text.rstrip("\n") == exp.rstrip("\n"), (text, exp))
out("subject survives encoding", msg["Subject"] == "Quarterly numbers ✓", msg["Subject"])
# copy in Sent with \Seen and no Bcc
m = imap()
m.select("Sent")
typ, d = m.uid("SEARCH", "HEADER", "Message-ID", msg["Message-ID"].strip("<>"))
su = d[0].split()
if su:
    flags, raw = fetch(m, "Sent", int(su[-1]))
    out("Sent copy has \\Seen and no Bcc", "\\Seen" in flags and b"secret@" not in raw, flags)
else:
    out("Sent copy exists", False, "not found")
m.logout()
p = cli("approve", str(oid))
out("a sent entry cannot be approved again", p.returncode == 1 and connects("ok") == 1, p.stderr)

# ---- 5xx -> failed, no server text ----
sc, code, r = tool("send_email", {"account": "bad", "to": [{"address": "bob@example.test"}], "subject": "x", "body_text": "y"})
bid = sc["meta"]["outbox_id"]
st, b = admin_api("POST", "/admin/outbox/%d/approve" % bid, admin, {})
out("admin API approves (200)", st == 200, (st, b))
r2 = wait_state(bid, ("sent", "failed", "uncertain"))
out("554 after DATA -> failed", r2 and r2[0] == "failed", r2)
out("last_error carries no server text", r2 and "script" not in (r2[1] or "") and "no thanks" not in (r2[1] or ""), r2)

# ---- STARTTLS not offered -> failed, nothing sent in clear ----
sc, code, r = tool("send_email", {"account": "notls", "to": [{"address": "bob@example.test"}], "subject": "x", "body_text": "secret body"})
nid = sc["meta"]["outbox_id"]
cli("approve", str(nid))
r2 = wait_state(nid, ("sent", "failed", "uncertain"))
raw = b"".join(open(os.path.join(sink("notls"), f), "rb").read() for f in os.listdir(sink("notls")) if f.endswith(".raw"))
out("no STARTTLS offered -> failed, no AUTH or mail in clear", r2 and r2[0] == "failed" and b"AUTH" not in raw and b"MAIL FROM" not in raw, (r2, raw[:200]))

# ---- more SMTP failures: each ends the entry once, never a retry ----
def send_and_approve(account, subject="x"):
    sc, code, r = tool("send_email", {"account": account, "to": [{"address": "bob@example.test"}],
                                       "subject": subject, "body_text": "secret body"})
    if not sc:
        return None, r
    i = sc["meta"]["outbox_id"]
    cli("approve", str(i))
    return i, wait_state(i, ("sent", "failed", "uncertain"))

def sink_bytes(name):
    d = sink(name)
    return b"".join(open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d)) if f.endswith(".raw"))

i, r2 = send_and_approve("drop")
time.sleep(1.5)
out("dropped mid-DATA -> failed or uncertain, one connection, no retry",
    r2 and r2[0] in ("failed", "uncertain") and connects("drop") == 1, (r2, connects("drop")))
i, r2 = send_and_approve("temp")
time.sleep(1.5)
out("451 after DATA -> failed (ERR_SMTP_PROTOCOL), no retry", r2 and r2[0] == "failed" and connects("temp") == 1, (r2, connects("temp")))
i, r2 = send_and_approve("refuse")
out("STARTTLS refused -> failed, no AUTH or envelope in clear",
    r2 and r2[0] == "failed" and b"AUTH" not in sink_bytes("refuse") and b"MAIL FROM" not in sink_bytes("refuse"), (r2, sink_bytes("refuse")[:200]))
i, r2 = send_and_approve("wrongpin")
out("wrong SMTP pin -> failed before AUTH", r2 and r2[0] == "failed" and b"AUTH" not in sink_bytes("pin") and b"MAIL" not in sink_bytes("pin"), (r2, sink_bytes("pin")[:100]))
with db() as c:
    errs = [r[0] or "" for r in c.execute("SELECT last_error FROM outbox WHERE state = 'failed'")]
out("failure texts are the gateway's own (no SMTP server text)", errs and not any("try later" in e or "no thanks" in e or "script" in e for e in errs), errs)

# ---- allow-list and quota apply before an entry exists ----
with db() as c:
    before = c.execute("SELECT count(*) FROM outbox").fetchone()[0]
sc, code, r = tool("send_email", {"account": "limited", "to": [{"address": "bob@example.test"}],
                                   "bcc": [{"address": "leak@evil.test"}], "subject": "x", "body_text": "y"})
out("a Bcc outside allowed_recipients -> ERR_POSTURE_DENIED", code == "ERR_POSTURE_DENIED", r)
sc, code, r = tool("send_email", {"account": "limited", "to": [{"address": "Partner@Example.ORG"}], "subject": "x", "body_text": "y"})
out("an exact allowed address matches case-insensitively", sc is not None, r)
sc, code, r = tool("send_email", {"account": "limited", "to": [{"address": "bob@example.test"}], "subject": "x", "body_text": "y"})
sc, code, r = tool("send_email", {"account": "limited", "to": [{"address": "bob@example.test"}], "subject": "x", "body_text": "y"})
out("daily_send_quota = 2: the third send -> ERR_RATE_LIMITED", code == "ERR_RATE_LIMITED", r)
with db() as c:
    after = c.execute("SELECT count(*) FROM outbox").fetchone()[0]
out("refused sends created no entry", after == before + 2, (before, after))

# ---- autonomous sending (send_requires_approval = false) ----
sc, code, r = tool("send_email", {"account": "autonolist", "to": [{"address": "bob@example.test"}], "subject": "x", "body_text": "y"})
out("autonomous sending without allowed_recipients -> ERR_CONFIG", code == "ERR_CONFIG", r)
sc, code, r = tool("send_email", {"account": "auto", "to": [{"address": "bob@example.test"}], "subject": "auto", "body_text": "y"})
out("autonomous send_email -> queued_autonomous", sc is not None and sc["meta"]["status"] == "queued_autonomous", r)
if sc:
    r2 = wait_state(sc["meta"]["outbox_id"], ("sent", "failed", "uncertain"))
    out("autonomous entry sent without approval", r2 and r2[0] == "sent" and connects("auto") == 1, (r2, connects("auto")))

# ---- kill -9 during a send ----
sc, code, r = tool("send_email", {"account": "slow", "to": [{"address": "bob@example.test"}], "subject": "slow", "body_text": "z"})
kid = sc["meta"]["outbox_id"]
cli("approve", str(kid))
t = time.monotonic() + 20
while time.monotonic() < t and not os.path.exists(os.path.join(sink("slow"), "1.eml")):
    time.sleep(0.1)
pid = int(open(os.path.join(tmp, "gw.pid")).read())
os.kill(pid, 9)
print("KILLED %d %d" % (pid, kid), flush=True)
sys.exit(1 if fails else 0)
PY

timeout -k 5 200 "$PY" "$tmp/checks.py" "$tmp" "$gw_port" "$agent" "$admin" "$other" "$bin" "$conf" \
	2>"$tmp/py.stderr" | tee -a "$results" >"$tmp/checks.out"
cat "$tmp/checks.out"
kid=$(awk '$1=="KILLED"{print $3}' "$tmp/checks.out")
if [ -z "$kid" ]; then
	nok "checks ran to the kill -9 step" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
	exit 1
fi
wait "$gw_pid" 2>/dev/null
if ig_gateway_start; then ok "gateway restarts after kill -9"; else nok "gateway restarts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"; fi
sleep 12 # longer than the sink's delay: a resend would have connected by now
n=$(wc -l <"$tmp/sink-slow/connects.log")
state=$(sqlite3 "$tmp/data/state.db" "SELECT state FROM outbox WHERE id = $kid")
if [ "$n" -eq 1 ] && [ "$state" = uncertain ]; then
	ok "kill -9 during DATA: no second delivery, entry uncertain"
else
	nok "kill -9 during DATA: no second delivery" "connections=$n state=$state"
fi
# the audit log: send_intent (fsync'ed) for the interrupted send, written before the
# sink accepted the connection; approvals from the CLI and the admin API recorded
cat >"$tmp/audit_check.py" <<'PY'
import datetime, json, sys
tmp, kid = sys.argv[1], int(sys.argv[2])
recs = [json.loads(l) for l in open(tmp + "/data/audit/audit.jsonl")]
intent = [r for r in recs if r["kind"] == "send_intent" and r.get("outbox_id") == kid]
conn_ns = int(open(tmp + "/sink-slow/connects.log").read().split()[1])
if not intent:
    print("not ok - send_suite: audit has send_intent for the interrupted send")
else:
    ts = datetime.datetime.strptime(intent[0]["ts"].replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    ok = ts.timestamp() * 1e9 <= conn_ns
    print("%sok - send_suite: audit send_intent precedes the SMTP connect" % ("" if ok else "not "))
rec = [r for r in recs if r["kind"] == "send_result" and r.get("outbox_id") == kid and r.get("recovered") is True
       and r.get("result") == "uncertain" and r.get("error_code") == "interrupted"]
print("%sok - send_suite: the restart that marks the interrupted send uncertain writes its send_result" % ("" if len(rec) == 1 else "not "))
res = [r for r in recs if r["kind"] == "send_result"]
print("%sok - send_suite: audit has send_result records with path" % ("" if res and all("path" in r for r in res) else "not "))
appr = [r for r in recs if r["kind"] == "approval"]
print("%sok - send_suite: audit has approvals from the CLI and the admin API" % (
    "" if any(r.get("approver", "").startswith("cli:") for r in appr) and any(r.get("principal") == "admin" for r in appr) else "not "))
txt = open(tmp + "/data/audit/audit.jsonl").read()
print("%sok - send_suite: audit carries no recipient or body in clear" % ("" if "secret@example.test" not in txt and "lone dot" not in txt else "not "))
PY
"$PY" "$tmp/audit_check.py" "$tmp" "$kid" | tee -a "$results"
if "$bin" audit verify --config "$conf" >"$tmp/verify.out" 2>&1; then
	ok "audit verify passes"
else
	nok "audit verify passes" "$(head -c 300 "$tmp/verify.out")"
fi
kill -TERM "$gw_pid" 2>/dev/null
wait "$gw_pid" 2>/dev/null
if grep -q 'ERROR: AddressSanitizer\|runtime error:' "$tmp/gateway.log"; then
	nok "no sanitizer report" "$(grep -m1 'AddressSanitizer\|runtime error' "$tmp/gateway.log")"
else
	ok "no sanitizer report"
fi
! grep -q '^not ok' "$results"
