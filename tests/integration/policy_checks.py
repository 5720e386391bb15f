#!/usr/bin/env python3
"""Checks for tests/integration/policy_suite.sh (see its header)."""
import base64, imaplib, json, os, re, ssl, sys
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402

tmp, port, noisy, reader, dv, dvc = sys.argv[1:7]
url = "http://127.0.0.1:%s/mcp" % port
fails = 0


def out(name, cond, why=""):
    global fails
    if not cond:
        fails += 1
    print("%s - policy_suite: %s%s" % ("ok" if cond else "not ok", name,
                                       "" if cond or not why else " (%s)" % str(why)[:400]), flush=True)


def call(tool, args, token=noisy, limit=60):
    return mcp_client.call_result(url, token, tool, args, limit)


code = mcp_client.error_code


def sc(res):
    return res.get("structuredContent") or {}


def imap(d):
    env = dict(l.strip().split("=", 1) for l in open(os.path.join(d, "env")) if "=" in l)
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=c, timeout=30)
    m.login("alice", open(os.path.join(d, "alice.pw")).read())
    return m


def append(m, folder, raw, flags=None):
    typ, data = m.append(folder, flags, None, raw)
    if typ != "OK":
        raise RuntimeError("APPEND %s: %r" % (folder, data))
    mm = re.search(rb"APPENDUID (\d+) (\d+)", data[0])
    return int(mm.group(1)), int(mm.group(2))


def simple(subject, body="hello"):
    msg = EmailMessage()
    msg["From"] = "Alice <alice@example.org>"
    msg["To"] = "bob@example.org"
    msg["Subject"] = subject
    msg["Message-ID"] = "<%s@example.org>" % subject.replace(" ", ".")
    msg.set_content(body)
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


ma = imap(dv)
mc = imap(dvc)
v_inbox, uid1 = append(ma, "INBOX", simple("policy one"))
_, uid2 = append(ma, "INBOX", simple("policy two"))
append(mc, "INBOX", simple("classic one"))

# ------------------------------------------------ C4: list_labels
res = call("list_labels", {"account": "alice", "folder": "INBOX"}, reader)
m_, u = sc(res).get("meta") or {}, sc(res).get("untrusted") or {}
out("list_labels: new_keywords_allowed from the server's \\* in PERMANENTFLAGS",
    code(res) is None and m_.get("new_keywords_allowed") is True, repr(res)[:300])
out("list_labels: permanent_flags as the server announces them",
    {"\\Seen", "\\Flagged", "\\Deleted"} <= set(u.get("permanent_flags") or []), repr(u)[:300])
res = call("fetch_message", {"account": "alice", "folder": "INBOX", "uid": uid1}, reader)
out("list_labels changed no flag (\\Seen not set)", code(res) is None
    and "\\Seen" not in (sc(res).get("meta") or {}).get("flags", []), repr(res)[:300])

# ------------------------------------------------ C5: search meta.uidvalidity
sources = {}
for i in range(40):  # the first call warms the folder; the cache answers once synced
    res = call("search", {"account": "alice", "folder": "INBOX", "subject": "policy"}, reader)
    mt = sc(res).get("meta") or {}
    sources[mt.get("source")] = mt
    if "cache" in sources:
        break
res = call("search", {"account": "alice", "folder": "INBOX", "advanced_query": "ALL"})
sources["server"] = sc(res).get("meta") or {}
for src in ("cache", "server"):
    mt = sources.get(src)
    out("search (%s path): meta.uidvalidity is the folder's" % src,
        mt is not None and mt.get("uidvalidity") == v_inbox, repr(mt)[:300])
res = call("mark_read", {"account": "alice", "folder": "INBOX", "uids": [uid2],
                         "expected_uidvalidity": sources["server"].get("uidvalidity")})
out("meta.uidvalidity passed back as expected_uidvalidity is accepted", code(res) is None, repr(res)[:300])
res = call("mark_read", {"account": "alice", "folder": "INBOX", "uids": [uid2],
                         "expected_uidvalidity": v_inbox + 1})
out("a wrong expected_uidvalidity is refused", code(res) == "ERR_UID_VALIDITY_CHANGED", repr(res)[:300])

# ------------------------------------------------ C1: the classic layout, every folder tool
res = call("list_folders", {"account": "classic"})
names = json.dumps(sc(res))
out("classic: list_folders shows INBOX.x folders", "INBOX.Sent" in names, names[:300])
ops = [
    ("create_folder", {"folder": "INBOX.Work"}, None),
    ("rename_folder", {"folder": "INBOX.Work", "new_name": "INBOX.Old"}, None),
    ("create_folder", {"folder": "INBOX.Old.Sub"}, None),
    ("rename_folder", {"folder": "INBOX.Old.Sub", "new_name": "INBOX.Sub2"}, None),
    ("create_folder", {"folder": "INBOX.Gone"}, None),
    ("delete_folder", {"folder": "INBOX.Gone"}, None),
    ("rename_folder", {"folder": "INBOX", "new_name": "INBOX.Renamed"}, "ERR_PROTECTED_FOLDER"),
    ("rename_folder", {"folder": "inbox", "new_name": "INBOX.Renamed"}, "ERR_PROTECTED_FOLDER"),
    ("delete_folder", {"folder": "INBOX"}, "ERR_PROTECTED_FOLDER"),
    ("rename_folder", {"folder": "INBOX.Sent", "new_name": "INBOX.Sent2"}, "ERR_PROTECTED_FOLDER"),
    ("rename_folder", {"folder": "INBOX.Drafts", "new_name": "INBOX.D2"}, "ERR_PROTECTED_FOLDER"),
    ("delete_folder", {"folder": "INBOX.Trash"}, "ERR_PROTECTED_FOLDER"),
    ("rename_folder", {"folder": "INBOX.Old", "new_name": "INBOX.Trash.Old"}, "ERR_PROTECTED_FOLDER"),
    ("rename_folder", {"folder": "INBOX.Old", "new_name": "INBOX.Sent"}, "ERR_PROTECTED_FOLDER"),
]
for tool, args, want in ops:
    res = call(tool, dict(args, account="classic"))
    out("classic: %s %s -> %s" % (tool, json.dumps(args), want or "ok"), code(res) == want, repr(res)[:300])
typ, data = mc.list()
listed = b" ".join(data)
out("classic: the server shows the renames", b"INBOX.Old" in listed and b"INBOX.Sub2" in listed
    and b"INBOX.Gone" not in listed and b"INBOX.Work" not in listed, listed[:300])
res = call("search", {"account": "classic", "folder": "INBOX", "subject": "classic"})
uids = [x["uid"] for x in (sc(res).get("untrusted") or {}).get("messages", [])]
res = call("move_message", {"account": "classic", "folder": "INBOX", "uids": uids[:1],
                            "destination": "INBOX.Old"})
out("classic: move_message into INBOX.Old", bool(uids) and code(res) is None, repr(res)[:300])

# ------------------------------------------------ A5: the fence property over every tool
# Every sender-controlled field of one message carries "cnry" (header names and
# values, display names, domains, MIME type and parameters, file name, charset
# label) and so does server data (a folder name, a keyword). No tool result may
# show it outside the fenced part of its text, nor in structuredContent outside
# `untrusted`; the caller's own arguments never contain it.
CANARY = (
    "From: \"support@cnryclaim.com\" <x@cnryfrom.com>\n"
    "Reply-To: r@cnryreply.net\n"
    "To: t@xn--cnrypuny-i1a.com, u@xn--cnrymx-tvf.com\n"
    "Cc: c@cnrycc.org\n"
    "Subject: cnrysubject\n"
    "Message-ID: <cnrymsgid@cnryfrom.com>\n"
    "List-Id: <cnrylist.cnryfrom.com>\n"
    "X-Cnryhdr: =?utf-8?q?cnryopen\n"
    "X-Cnryhdr2: cnryclose?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"cnryb\"\n"
    "\n"
    "--cnryb\n"
    "Content-Type: text/plain; charset=\"x-cnrycharset\"\n"
    "\n"
    "cnrybody http://cnryx.com/a http://xn--cnry-86d.com/b http://xn--cnrypuny-i1a.com/c\n"
    "--cnryb\n"
    "Content-Type: application/x-cnrydecl; name=\"cnryfile.txt      .exe\"\n"
    "Content-Disposition: attachment; filename=\"cnryfile.txt      .exe\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAA=\n"
    "--cnryb--\n").replace("\n", "\r\n").encode()
ma.create("Cnryfolder")
ma.create("Moved")
_, ucan = append(ma, "INBOX", CANARY)
_, ureply = append(ma, "INBOX", simple("re canary").replace(
    b"Subject:", b"In-Reply-To: <cnrymsgid@cnryfrom.com>\r\nSubject:", 1))
ma.select("INBOX")
ma.uid("STORE", str(ucan), "+FLAGS", "($cnrykw)")
FENCE = re.compile("\u27e6untrusted-([0-9a-f]{32})\u27e7\n.*\n\u27e6/untrusted-\\1\u27e7", re.S)


def outside(res):
    """Everything of a result a client sees outside the fence, lower-cased."""
    parts = []
    for c in res.get("content") or []:
        if c.get("type") == "text":
            parts.append(FENCE.sub("", c.get("text", "")))
        elif c.get("type") == "resource":
            r = dict(c.get("resource") or {})
            r.pop("blob", None)  # the attachment's bytes, by request
            parts.append(json.dumps(r))
    parts.append(json.dumps({k: v for k, v in sc(res).items() if k != "untrusted"}))
    return "\n".join(parts).lower()


att = [a for a in (sc(call("list_attachments", {"account": "alice", "folder": "INBOX", "uid": ucan}))
                   .get("untrusted") or {}).get("attachments", [])]
part = att[0]["part_id"] if att else "2"
A = {"account": "alice"}
M = dict(A, folder="INBOX", uid=ucan)
fence_calls = [
    ("fetch_message", M), ("fetch_message", dict(M, include_html=True)),
    ("list_attachments", M), ("download_attachment", dict(M, part_id=part)),
    ("get_thread", M), ("get_thread", dict(M, include_sent=True)),
    ("get_thread", dict(M, uid=ureply)),
    ("search", dict(A, folder="INBOX")), ("search", dict(A, folder="INBOX", advanced_query="ALL")),
    ("search", dict(A, folder="INBOX", subject="canary")),
    ("list_labels", dict(A, folder="INBOX")), ("list_folders", A), ("list_accounts", {}),
    ("mark_read", dict(A, folder="INBOX", uids=[ucan])), ("flag", dict(A, folder="INBOX", uids=[ucan])),
    ("add_label", dict(A, folder="INBOX", uids=[ucan], label="$seen-by-test")),
    ("create_draft", dict(A, to=[{"address": "bob@example.org"}], subject="x", body_text="y",
                          in_reply_to={"folder": "INBOX", "uid": ucan})),
    ("move_message", dict(A, folder="INBOX", uids=[ureply], destination="Moved")),
    ("fetch_message", dict(M, expected_uidvalidity=1)),
    ("download_attachment", dict(M, part_id="9")),
    ("delete_message", dict(A, folder="INBOX", uids=[ucan])),
]
leaks, seen = [], set()
for tool, args in fence_calls:
    res = call(tool, args)
    o = outside(res)
    if "http_error" in res or "cnry" in o:
        i = o.find("cnry")
        leaks.append("%s %s: %r" % (tool, json.dumps(args)[:60], o[max(0, i - 80):i + 40] if i >= 0 else res))
    elif "cnry" in json.dumps(sc(res).get("untrusted") or {}).lower():
        seen.add(tool)
# the hostile server's own words: folder names (its \\Sent, \\Drafts, \\Trash),
# flags, response texts (a name the caller passes back as an argument is the
# caller's: meta echoes arguments, docs/transport.md)
H = {"account": "h-canary"}
for tool, args in [("list_folders", H), ("list_labels", dict(H, folder="INBOX")),
                   ("search", dict(H, folder="INBOX")), ("fetch_message", dict(H, folder="INBOX", uid=1)),
                   ("get_thread", dict(H, folder="INBOX", uid=1, include_sent=True)),
                   ("create_draft", dict(H, to=[{"address": "bob@example.org"}], subject="x", body_text="y")),
                   ("add_label", dict(H, folder="INBOX", uids=[1], label="$x")),
                   ("move_message", dict(H, folder="INBOX", uids=[1], destination="INBOX")),
                   ("delete_message", dict(H, folder="INBOX", uids=[1])),
                   ("create_folder", dict(H, folder="New"))]:
    res = call(tool, args)
    fence_calls.append((tool, args))
    o = outside(res)
    if "http_error" in res or "cnry" in o:
        i = o.find("cnry")
        leaks.append("%s %s: %r" % (tool, json.dumps(args)[:60], o[max(0, i - 80):i + 40] if i >= 0 else res))
    elif "cnry" in json.dumps(sc(res).get("untrusted") or {}).lower():
        seen.add("h:" + tool)
out("fence: no sender or server text outside the fence in any of %d results" % len(fence_calls),
    not leaks, "; ".join(leaks)[:1200])
want = {"fetch_message", "list_attachments", "download_attachment", "get_thread", "search",
        "list_labels", "list_folders", "h:list_folders", "h:list_labels"}
out("fence: the canaries do reach those results inside the fence", want <= seen, sorted(want - seen))

# ------------------------------------------------ A3: refusals never trip the breaker for others
long_label = "k" * 60  # Dovecot refuses keywords over 50 bytes: NO [CANNOT]
refused = [
    ("add_label", {"account": "alice", "folder": "INBOX", "uids": [uid1], "label": long_label}),
    ("remove_label", {"account": "alice", "folder": "INBOX", "uids": [uid1], "label": long_label}),
    ("search", {"account": "alice", "folder": "INBOX", "advanced_query": "FOOBAR"}),
    ("search", {"account": "alice", "folder": "INBOX", "advanced_query": "UID 0:x"}),
    ("search", {"account": "alice", "folder": "INBOX", "advanced_query": "HEADER"}),
    ("search", {"account": "alice", "folder": "INBOX", "advanced_query": "SENTBEFORE notadate"}),
    ("move_message", {"account": "alice", "folder": "INBOX", "uids": [uid1], "destination": "Nowhere"}),
    ("create_folder", {"account": "classic", "folder": "Outside"}),
    ("rename_folder", {"account": "classic", "folder": "INBOX.Old", "new_name": "Outside"}),
    ("list_labels", {"account": "alice", "folder": "Nowhere"}),
    ("fetch_message", {"account": "alice", "folder": "Nowhere", "uid": 1}),
    ("add_label", {"account": "classic", "folder": "INBOX.Old", "uids": [1], "label": long_label}),
    ("search", {"account": "classic", "folder": "INBOX", "advanced_query": "FOOBAR"}),
    ("search", {"account": "alice", "folder": "Nowhere"}),
    ("get_thread", {"account": "alice", "folder": "Nowhere", "uid": 1}),
    ("list_attachments", {"account": "alice", "folder": "Nowhere", "uid": 1}),
    ("download_attachment", {"account": "alice", "folder": "Nowhere", "uid": 1, "part_id": "2"}),
    ("mark_read", {"account": "alice", "folder": "Nowhere", "uids": [1]}),
    ("flag", {"account": "classic", "folder": "Outside", "uids": [1]}),
    ("delete_message", {"account": "alice", "folder": "Nowhere", "uids": [1]}),
    ("create_draft", {"account": "alice", "to": [{"address": "b@example.org"}], "subject": "x",
                      "body_text": "y", "in_reply_to": {"folder": "Nowhere", "uid": 1}}),
    ("delete_folder", {"account": "alice", "folder": "Gone"}),
    ("rename_folder", {"account": "alice", "folder": "Nowhere", "new_name": "Elsewhere"}),
]
codes = {}
for i in range(100):
    tool, args = refused[i % len(refused)]
    c = code(call(tool, args))
    codes.setdefault(tool + " " + json.dumps(args)[:60], set()).add(c)
bad = {k: v for k, v in codes.items() if None in v or "ERR_CIRCUIT_OPEN" in v}
out("100 refused calls: each gets its own error, never ERR_CIRCUIT_OPEN", not bad, repr(bad)[:400])
for acct in ("alice", "classic"):
    for tool, args in [("search", {"folder": "INBOX"}), ("list_folders", {}),
                       ("list_labels", {"folder": "INBOX"})]:
        res = call(tool, dict(args, account=acct), reader)
        out("after them, another token's %s on %s is untouched" % (tool, acct), code(res) is None, repr(res)[:200])
res = call("fetch_message", {"account": "alice", "folder": "INBOX", "uid": uid1}, reader)
out("after them, another token's fetch_message is untouched", code(res) is None, repr(res)[:200])
ma.logout()
mc.logout()
sys.exit(1 if fails else 0)
