#!/usr/bin/env python3
"""Checks for tests/integration/imapconn_suite.sh (see its header).

argv: ROOT TMP GW1_PORT TOKEN1 GW2_PORT TOKEN2. Dovecot runs in TMP/dv; this
script stops it (tests/imap/dovecot.sh stop, by the master's PID) and starts
it again from the same dovecot.conf, so the ports stay the same."""
import email.utils, imaplib, os, re, socket, ssl, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402

root, tmp, port1, token1, port2, token2 = sys.argv[1:7]
dv = os.path.join(tmp, "dv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
conf = os.path.join(dv, "dovecot.conf")
pw = open(os.path.join(dv, "alice.pw")).read()
fails = 0
BIG = 50000
TOOLS = ["list_folders", "search", "fetch_message", "get_thread", "list_attachments",
         "download_attachment", "list_labels"]


def out(name, cond, why=""):
    global fails
    if not cond:
        fails += 1
    print("%s - imapconn_suite: %s%s" % ("ok" if cond else "not ok", name,
                                         "" if cond or not why else " (%s)" % str(why)[:600]),
          flush=True)


def call(port, token, tool, args, limit=150):
    url = "http://127.0.0.1:%s/mcp" % port
    r = mcp_client.call(url, token, tool, args, limit, max_bytes=64 << 20)
    if "http_error" in r:
        return {"http_error": r["http_error"]}
    return r.get("result") or {}


def code(res):
    return mcp_client.error_code(res)


def sc(res):
    return res.get("structuredContent") or {}


def ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(env["CA_FILE"])
    c.check_hostname = False
    return c


def imap():
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx(), timeout=60)
    m.login("alice", pw)
    return m


def port_open():
    try:
        socket.create_connection(("127.0.0.1", int(env["IMAPS_PORT"])), timeout=1).close()
        return True
    except OSError:
        return False


def proc_stat(pid):
    """(ppid, starttime) of pid, or None when it is gone."""
    try:
        st = open("/proc/%d/stat" % pid).read()
    except OSError:
        return None
    f = st[st.rindex(")") + 2:].split()
    return int(f[1]), f[19]


def master_children():
    """This suite's Dovecot master's children: (pid, starttime)."""
    master = int(open(os.path.join(dv, "run", "master.pid")).read().strip())
    kids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            s = proc_stat(int(d))
            if s is not None and s[0] == master:
                kids.append((int(d), s[1]))
    return kids


def dv_stop():
    """Stops this suite's Dovecot like a crash or restart does to its clients:
    the master by its PID (dovecot.sh), then any of its imap processes that
    outlived it (they keep serving open sessions otherwise), by PID."""
    kids = master_children()
    subprocess.run([os.path.join(root, "tests/imap/dovecot.sh"), "stop", dv], timeout=60,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    for pid, start in kids:
        s = proc_stat(pid)
        if s is not None and s[1] == start:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
    def gone(pid, start):  # one read: the process may exit between two
        s = proc_stat(pid)
        return s is None or s[1] != start
    for _ in range(100):
        if all(gone(p, s0) for p, s0 in kids):
            break
        time.sleep(0.05)
    return not port_open()


def dv_start():
    with open(os.path.join(dv, "dovecot.stdout"), "ab") as f:
        subprocess.run(["dovecot", "-c", conf], stdin=subprocess.DEVNULL, stdout=f, stderr=f,
                       timeout=60, check=False)
    for _ in range(200):
        if port_open():
            return True
        time.sleep(0.05)
    return False


def dv_capability_override(caps):
    """Rewrites dovecot.conf's imap_capability line (None: removes it)."""
    text = open(conf).read()
    text = re.sub(r"(?m)^imap_capability = .*\n", "", text)
    if caps is not None:
        text = "imap_capability = %s\n" % caps + text
    with open(conf, "w") as f:
        f.write(text)


# ------------------------------------------------------------------ load
m = imap()


def append(folder, raw, flags=None):
    typ, data = m.append(folder, flags, None, raw)
    if typ != "OK":
        raise RuntimeError("APPEND %s: %r" % (folder, data))
    return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))


def msg(subject, mid, extra=""):
    return ("From: Bob <bob@example.org>\r\nTo: Alice <alice@example.test>\r\n"
            "Subject: %s\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <%s>\r\n%s"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n"
            % (subject, mid, extra)).encode()


u_root = append("INBOX", msg("Plan", "root@x"))
u_reply = append("INBOX", msg("Re: Plan", "reply@x", "In-Reply-To: <root@x>\r\nReferences: <root@x>\r\n"))
att = (b"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.test>\r\nSubject: Report\r\n"
       b"Date: Mon, 1 Jan 2024 11:00:00 +0000\r\nMessage-ID: <att@x>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
       b"See attached.\r\n--b1\r\nContent-Type: text/plain; name=notes.txt\r\n"
       b"Content-Disposition: attachment; filename=notes.txt\r\n\r\nsome notes\r\n--b1--\r\n")
u_att = append("INBOX", att)
m.select("INBOX")
m.uid("STORE", str(u_root), "+FLAGS", "(label1)")

# the big folder, written straight into its Maildir: even numbers \Seen
m.create("Big")
base = os.path.join(dv, "mail", "alice", "Maildir", ".Big")
st = os.stat(base)
subj_a = 0
t0 = time.monotonic()
for i in range(1, BIG + 1):
    subject = "note %d %s" % (i, "about a plan" if i % 4 == 0 else "to you")
    subj_a += "a" in subject.lower()
    when = 1600000000 + i * 60
    name = "%d.M%dP%d.ic" % (when, i, os.getpid())
    t = os.path.join(base, "tmp", name)
    with open(t, "wb") as f:
        f.write(("From: s%d@example.org\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <big%d@x>\r\n"
                 "\r\nbody\r\n" % (i % 50, subject, email.utils.formatdate(when), i)).encode())
    os.utime(t, (when, when))
    os.chown(t, st.st_uid, st.st_gid)
    os.rename(t, os.path.join(base, "cur", name + ":2," + ("S" if i % 2 == 0 else "")))
typ, cnt = m.select("Big", readonly=True)
unseen = BIG // 2
out("Big folder loaded (%d messages in %.1f s)" % (BIG, time.monotonic() - t0),
    typ == "OK" and int(cnt[0]) == BIG, cnt)
typ, caps = m.capability()
dovecot_caps = caps[0].decode().split()
m.logout()

ARGS = {
    "list_folders": {},
    "search": {"folder": "INBOX", "subject": "Plan"},
    "fetch_message": {"folder": "INBOX", "uid": u_root},
    "get_thread": {"folder": "INBOX", "uid": u_reply},
    "list_attachments": {"folder": "INBOX", "uid": u_att},
    "download_attachment": {"folder": "INBOX", "uid": u_att, "part_id": "2"},
    "list_labels": {"folder": "INBOX"},
}


def read_call(tool):
    return call(port1, token1, tool, dict(ARGS[tool], account="r-" + tool))


# ------------------------------------------------------------------ A2
def big_searches(label):
    r = call(port2, token2, "search", {"account": "big", "folder": "Big", "seen": False,
                                       "limit": 5})
    meta = sc(r).get("meta") or {}
    out("%s: search seen=false over %d messages: total %d from the server" % (label, BIG, unseen),
        code(r) is None and meta.get("total") == unseen and meta.get("source") == "server"
        and meta.get("returned") == 5, repr(r)[:400])
    r = call(port2, token2, "search", {"account": "big", "folder": "Big", "subject": "a",
                                       "limit": 3})
    meta = sc(r).get("meta") or {}
    out("%s: search subject \"a\" over %d messages: total %d" % (label, BIG, subj_a),
        code(r) is None and meta.get("total") == subj_a and meta.get("returned") == 3,
        repr(r)[:400])
    r = call(port2, token2, "search", {"account": "big", "folder": "Big", "limit": 1,
                                       "offset": BIG - 1})
    meta = sc(r).get("meta") or {}
    msgs = (sc(r).get("untrusted") or {}).get("messages") or []
    out("%s: search ALL over %d messages: total and the last page" % (label, BIG),
        code(r) is None and meta.get("total") == BIG and len(msgs) == 1, repr(r)[:400])


out("Dovecot offers ESEARCH", "ESEARCH" in dovecot_caps, dovecot_caps)
big_searches("with ESEARCH")

# ------------------------------------------------------------------ A4
for t in TOOLS:
    r = read_call(t)
    out("warm-up: %s answers" % t, code(r) is None, repr(r)[:300])
# search answered from the cache first: the cached path is where an UNSELECT
# on a dead connection used to be lost
src = None
for _ in range(60):
    r = read_call("search")
    src = (sc(r).get("meta") or {}).get("source")
    if src == "cache":
        break
    time.sleep(0.5)
out("warm-up: search answers from the cache", src == "cache", src)


def log_count(pattern):
    try:
        return open(os.path.join(tmp, "gateway.log"), errors="replace").read().count(pattern)
    except OSError:
        return 0


for rnd in (1, 2):
    if rnd == 2:
        # each account's last job leaves a mailbox selected: the next job's
        # first command on the dead connection is then UNSELECT (the cached
        # search's freshness check), whose failure used to be lost
        for t in TOOLS:
            r = call(port1, token1, "fetch_message", dict(ARGS["fetch_message"], account="r-" + t))
            out("round 2: r-%s has INBOX selected" % t, code(r) is None, repr(r)[:300])
    retries0 = log_count("job retried on a new session")
    out("round %d: Dovecot stopped" % rnd, dv_stop())
    out("round %d: Dovecot started again on the same ports" % rnd, dv_start())
    for t in TOOLS:
        r = read_call(t)
        out("round %d: %s after the restart answers normally" % (rnd, t), code(r) is None,
            repr(r)[:300])
    out("round %d: the calls were retried on a new session (gateway log)" % rnd,
        log_count("job retried on a new session") > retries0,
        log_count("job retried on a new session"))

out("Dovecot stopped (calls while it is down)", dv_stop())
for t in TOOLS:
    r = read_call(t)
    out("server down: %s answers ERR_CONNECTION_LOST" % t, code(r) == "ERR_CONNECTION_LOST",
        repr(r)[:300])

# ------------------------------------------------------------------ A2 without ESEARCH
no_es = [c for c in dovecot_caps if c.upper() not in ("ESEARCH", "ESORT", "CONTEXT=SEARCH",
                                                      "CONTEXT=SORT", "SEARCHRES")]
dv_capability_override(" ".join(no_es))
out("Dovecot started without ESEARCH", dv_start())
m = imap()
typ, caps = m.capability()
m.logout()
out("Dovecot no longer offers ESEARCH", "ESEARCH" not in caps[0].decode().split(), caps)
# back up: every read tool answers again (the connect backoff may delay it)
for t in TOOLS:
    r = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        r = read_call(t)
        if code(r) is None:
            break
        time.sleep(0.5)
    out("server back: %s answers again" % t, code(r) is None, repr(r)[:300])
big_searches("without ESEARCH")

# ------------------------------------------------------------------ C6
for line in open(os.path.join(tmp, "codes.txt")):
    line = line.strip()
    if not line:
        continue
    imap_code, want = line.split(":")
    r = call(port1, token1, "list_folders", {"account": "n-" + imap_code}, limit=60)
    text = repr(r)
    out("NO [%s] -> %s" % (imap_code, want), code(r) == want, text[:300])
    out("NO [%s]: the server's text stays out of the result" % imap_code,
        "SERVER-TEXT" not in text and "IGNORE" not in text, text[:300])

out("checks completed", True)
sys.exit(1 if fails else 0)
