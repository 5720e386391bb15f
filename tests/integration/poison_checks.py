#!/usr/bin/env python3
"""Checks for tests/integration/poison_suite.sh (see its header). Standard library only.

usage: poison_checks.py BIN TMP   (TMP holds the suite's Dovecot in TMP/dv)
env:   POISON_KINDS=addresses,line,...  only these over-limit kinds (default: all);
       POISON_A12=0  leave out the cache.db checks (and the flag_check_s option, so an
       older gateway can run the A1 checks)"""
import atexit, email.utils, imaplib, json, os, signal, sqlite3, ssl, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402

BIN, TMP = sys.argv[1:3]
DV = os.path.join(TMP, "dv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(DV, "env")) if "=" in l)
PW = open(os.path.join(DV, "alice.pw")).read()
fails = 0
N_NORMAL = 10


def out(name, cond, why=""):
    global fails
    if not cond:
        fails += 1
    print("%s - poison_suite: %s%s" % ("ok" if cond else "not ok", name,
                                       "" if cond or not why else " (%s)" % str(why)[:600]),
          flush=True)
    return cond


def imap():
    ctx = ssl.create_default_context(cafile=os.path.join(DV, "cert.pem"))
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx, timeout=120)
    m.login("alice", PW)
    return m


def fold(items, sep=" "):
    """Items joined into header lines of about 70 bytes (CRLF + space folds)."""
    lines, cur = [], ""
    for it in items:
        if cur and len(cur) + len(it) + 1 > 70:
            lines.append(cur)
            cur = it
        else:
            cur = cur + sep + it if cur else it
    lines.append(cur)
    return "\r\n ".join(lines)


def head(subject, msgid, extra="", to="Alice <alice@example.test>"):
    return ("From: Sender <sender@example.org>\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n"
            "Message-ID: <%s>\r\n%sMIME-Version: 1.0\r\n" %
            (to, subject, email.utils.formatdate(1700000000), msgid, extra))


def normal(kind, i):
    return (head("normal %s %d" % (kind, i), "n-%s-%d@example.org" % (kind, i)) +
            "Content-Type: text/plain; charset=utf-8\r\n\r\nbody %d\r\n" % i).encode()


def nested(depth):
    body = "Content-Type: text/plain\r\n\r\ndeep\r\n"
    for d in range(depth):
        b = "b%d" % d
        body = ('Content-Type: multipart/mixed; boundary="%s"\r\n\r\n--%s\r\n%s\r\n--%s--\r\n'
                % (b, b, body, b))
    return body


def poison(kind, tag):
    """A message over one parser limit (see the suite header)."""
    mid = "p-%s-%s@example.org" % (kind, tag)
    subj = "poison %s %s" % (kind, tag)
    text = "Content-Type: text/plain\r\n\r\npoison\r\n"
    if kind == "addresses":  # > LIM_IMAP_ADDRESSES in To
        to = fold(["u%d@example.org," % k for k in range(1100)])[:-1]
        return (head(subj, mid, to=to) + text).encode()
    if kind == "nesting":  # MIME deeper than LIM_IMAP_BODY_DEPTH
        return (head(subj, mid) + nested(24)).encode()
    if kind == "parts":  # more than LIM_IMAP_BODY_PARTS entities
        parts = "".join("--pp\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % k
                        for k in range(1100))
        return (head(subj, mid) + 'Content-Type: multipart/mixed; boundary="pp"\r\n\r\n' +
                parts + "--pp--\r\n").encode()
    if kind == "header":  # a large folded Subject with a large folded References
        big = fold(["w%06d" % k for k in range(1000000)])
        refs = fold(["<r%d-%s@example.org>" % (k, tag) for k in range(100000)])
        return (head(subj + " " + big, mid, extra="References: %s\r\n" % refs) + text).encode()
    if kind == "line":  # one unfolded Subject line longer than LIM_IMAP_LINE
        return (head(subj + " " + "x" * 70000, mid) + text).encode()
    if kind == "literal":  # a References field over LIM_IMAP_LITERAL (25 MiB)
        refs = fold(["<r%07d@example.org>" % k for k in range(1150000)])
        return (head(subj, mid, extra="References: %s\r\n" % refs) + text).encode()
    raise ValueError(kind)


CHECK_S = 3  # flag_check_s: the rolling flag check's interval
N_FLAGS = 30  # messages of the Flags folder (A12)
KINDS = ["addresses", "nesting", "parts", "header", "line", "literal"]
# Over a limit of the envelope fetch: listed as placeholders. Dovecot 2.3 keeps
# the other two under it (it sends long strings as literals and cuts a header
# block at 10 MiB): "header" must simply stay searchable, and "literal" (a
# 26 MiB message) is over the limit of the body fetch (index_bodies,
# fetch_message) only.
PLACEHOLDER = {"addresses", "nesting", "parts", "line"}
if os.environ.get("POISON_KINDS"):
    KINDS = [k for k in KINDS if k in os.environ["POISON_KINDS"].split(",")]
    PLACEHOLDER &= set(KINDS)
A12 = os.environ.get("POISON_A12", "1") != "0"

# ------------------------------------------------------------------ gateway
port = None
proc = None
log_n = 0
conf = os.path.join(TMP, "imapgate.conf")
data_dir = os.path.join(TMP, "data")
url = None
token = None


def write_conf(extra=""):
    with open(conf, "w") as f:
        f.write("[server]\nlisten = 127.0.0.1:%d\ndata_dir = %s\nshutdown_timeout_s = 5\n\n"
                % (port, data_dir))
        f.write("[defaults]\nposture = full\n\n")
        f.write("[account alice]\nhost = 127.0.0.1\nport = %s\ntls = implicit\nuser = alice\n"
                "password_file = %s\ntls_fingerprint_sha256 = %s\nposture = full\n"
                "warm_folders = INBOX, %s\nindex_bodies = 50\n%s"
                "connect_timeout_s = 5\ncommand_timeout_s = 60\n%s\n"
                % (env["IMAPS_PORT"], os.path.join(DV, "alice.pw"), env["FINGERPRINT"],
                   ", ".join(["Flags"] + ["P-" + k for k in KINDS]),
                   "flag_check_s = %d\n" % CHECK_S if A12 else "", extra))


def start():
    global proc, log_n
    log_n += 1
    proc = mcp_client.serve(BIN, conf, os.path.join(TMP, "gateway-%d.log" % log_n))
    return mcp_client.wait_healthz(proc, port, 400)


def stop():
    global proc
    if proc is None:
        return None
    rc = mcp_client.stop(proc, limit=60)
    proc = None
    return rc


@atexit.register
def stop_left():
    """A gateway still running when the checks end early (an exception) is stopped too."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(10)


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the suite's timeout: atexit still runs


def log_text():
    return open(os.path.join(TMP, "gateway-%d.log" % log_n)).read()


def call(tool, args, limit=120):
    r = mcp_client.call(url, token, tool, dict(args, account="alice"), limit,
                        max_bytes=64 << 20)
    if "http_error" in r:
        return None, "http %s" % r["http_error"], r
    return mcp_client.outcome(r)


def search(args):
    return call("search", args)


def wait_cached(folder, total, limit_s=240):
    t = time.monotonic()
    last = None
    while time.monotonic() - t < limit_s:
        sc, err, r = search({"folder": folder, "limit": 1})
        last = (err, r if err else sc.get("meta"))
        if sc and sc["meta"]["source"] == "cache" and sc["meta"]["total"] == total:
            return True, last
        time.sleep(0.3)
    return False, last


def warned(envl):
    return any(w.get("code") == "envelope_over_limit" for w in envl.get("security_warnings", []))


def server_uids(m, folder):
    m.select('"%s"' % folder, readonly=True)
    typ, data = m.uid("SEARCH", None, "ALL")
    return sorted(int(x) for x in data[0].split())


# ------------------------------------------------------------------ data
m = imap()
m.create("Quarantine")
for k in KINDS:
    m.create("P-" + k)
    for i in range(N_NORMAL):
        m.append("P-" + k, None, None, normal(k, i))
    m.append("P-" + k, None, None, poison(k, "a"))
out("loaded %d folders of %d normal messages and one over-limit message" % (len(KINDS), N_NORMAL),
    True)
m.create("Flags")
for i in range(N_FLAGS):
    fl = " ".join(x for x, on in (("\\Seen", i % 3 == 0), ("\\Flagged", i % 4 == 0)) if on)
    m.append("Flags", "(%s)" % fl if fl else None, None, normal("flags", i))

port = mcp_client.free_port()
url = "http://127.0.0.1:%d/mcp" % port
write_conf()
tr = subprocess.run([BIN, "token", "create", "--name", "poison", "--posture", "full",
                     "--config", conf], capture_output=True, text=True, timeout=60)
token = tr.stdout.strip()
if not out("token created", bool(token), tr.stderr):
    sys.exit(1)
if not out("gateway starts", start(), ""):
    sys.exit(1)


def check_folder(k, n_poison):
    folder = "P-" + k
    total = N_NORMAL + n_poison
    n_bad = n_poison if k in PLACEHOLDER else 0
    # server path (advanced_query is answered by the server), every page
    sc, err, r = search({"folder": folder, "advanced_query": "ALL", "limit": 100})
    msgs = (sc or {}).get("untrusted", {}).get("messages", [])
    bad = [e for e in msgs if warned(e)]
    out("%s, %d over-limit: server path lists all %d, the over-limit ones as placeholders "
        "with envelope_over_limit" % (folder, n_poison, total),
        err is None and sc["meta"]["source"] == "server" and sc["meta"]["total"] == total
        and len(msgs) == total and len(bad) == n_bad, (err, r) if err else
        [(e.get("uid"), (e.get("subject") or "")[:40], e.get("security_warnings")) for e in msgs])
    sc, err, r = search({"folder": folder, "advanced_query": "SUBJECT normal", "limit": 5})
    out("%s: server-path page without the over-limit message answers" % folder,
        err is None and sc["meta"]["total"] == N_NORMAL, (err, r))
    # cached path
    okc, last = wait_cached(folder, total)
    out("%s: the folder is cached with every message (the sync did not stop at the "
        "over-limit one)" % folder, okc, last)
    sc, err, r = search({"folder": folder, "limit": 100})
    msgs = (sc or {}).get("untrusted", {}).get("messages", [])
    bad = [e for e in msgs if warned(e)]
    out("%s: cached search lists all, the over-limit ones with envelope_over_limit" % folder,
        err is None and len(msgs) == total and len(bad) == n_bad, (err, r))
    sc, err, r = search({"folder": folder, "subject": "normal %s 3" % k})
    out("%s: a cached search for a normal message finds it" % folder,
        err is None and sc["meta"]["total"] == 1, (err, r))
    return [e for e in msgs if not (e.get("subject") or "").startswith("normal")]


for k in KINDS:
    bad = check_folder(k, 1)
    if len(bad) != 1:
        continue
    uid = bad[0]["uid"]
    out("P-%s: the over-limit message keeps the server's INTERNALDATE and size" % k,
        bad[0].get("internaldate") is not None and bad[0].get("size", 0) > 0, bad[0])
    sc, err, r = call("get_thread", {"folder": "P-" + k, "uid": uid})
    out("P-%s: get_thread answers on the over-limit message" % k,
        err is None and any(e.get("uid") == uid for e in sc["untrusted"]["messages"]), (err, r))
    sc, err, r = call("fetch_message", {"folder": "P-" + k, "uid": uid})
    out("P-%s: fetch_message answers, or a clear per-message ERR_TOO_LARGE" % k,
        err is None or err == "ERR_TOO_LARGE", (err, r))

# one more over-limit message per folder, delivered while the gateway runs (delta)
for k in KINDS:
    m.append("P-" + k, None, None, poison(k, "b"))
for k in KINDS:
    check_folder(k, 2)

# move them away: the folder goes back to its normal messages
for k in KINDS:
    sc, err, r = search({"folder": "P-" + k, "limit": 100})
    uids = [e["uid"] for e in (sc or {}).get("untrusted", {}).get("messages", [])
            if not (e.get("subject") or "").startswith("normal")]
    sc, err, r = call("move_message", {"folder": "P-" + k, "uids": uids,
                                       "destination": "Quarantine"})
    out("P-%s: move_message moves the over-limit messages away" % k, err is None, (err, r))
    srv = server_uids(m, "P-" + k)
    sc, err, r = search({"folder": "P-" + k, "limit": 100})
    out("P-%s: afterwards the folder holds only its normal messages (server and search agree)"
        % k, err is None and len(srv) == N_NORMAL and sc["meta"]["total"] == N_NORMAL,
        (err, len(srv), r))
sc, err, r = search({"folder": "Quarantine", "advanced_query": "ALL", "limit": 100})
out("Quarantine holds them all, the envelope over-limit ones as placeholders", err is None and
    sc["meta"]["total"] == 2 * len(KINDS) and
    sum(1 for e in sc["untrusted"]["messages"] if warned(e)) == 2 * len(PLACEHOLDER), (err, r))
ph = [e["uid"] for e in (sc or {}).get("untrusted", {}).get("messages", []) if warned(e)]
if ph:
    sc, err, r = call("delete_message", {"folder": "Quarantine", "uid": ph[0]})
    out("delete_message moves an over-limit message to \\Trash", err is None, (err, r))
    sc, err, r = search({"folder": "Trash", "advanced_query": "ALL", "limit": 100})
    out("\\Trash lists it, as a placeholder", err is None and
        any(warned(e) for e in sc["untrusted"]["messages"]), (err, r))

# ------------------------------------------------------------------ A12
def server_flags(folder):
    """{uid: (seen, flagged)} as the server has them."""
    m.select('"%s"' % folder, readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS)")
    res = {}
    for line in data:
        line = line.decode() if isinstance(line, bytes) else line[0].decode()
        uid = int(line.split("UID ")[1].split()[0].rstrip(")"))
        fl = line.split("FLAGS (")[1].split(")")[0]
        res[uid] = ("\\Seen" in fl, "\\Flagged" in fl)
    return res


def agrees(folder):
    """Whether search (rows, flags and the kept counts) agrees with the server."""
    srv = server_flags(folder)
    sc, err, r = search({"folder": folder, "limit": 100})
    if err or sc["meta"]["source"] != "cache":
        return False, (err, r)
    got = {e["uid"]: ("\\Seen" in e["flags"], "\\Flagged" in e["flags"])
           for e in sc["untrusted"]["messages"]}
    unseen, err1, _ = search({"folder": folder, "seen": False, "limit": 1})
    flagged, err2, _ = search({"folder": folder, "flagged": True, "limit": 1})
    want = (sum(1 for v in srv.values() if not v[0]), sum(1 for v in srv.values() if v[1]))
    have = (unseen["meta"]["total"] if unseen else None,
            flagged["meta"]["total"] if flagged else None)
    ok = got == srv and sc["meta"]["total"] == len(srv) and have == want
    return ok, {"rows_differ": sorted(u for u in srv if got.get(u) != srv[u]),
                "total": sc["meta"]["total"], "counts": have, "want": want}


def corrupt(folder):
    """Flips \\Seen and \\Flagged of every row and the folder's kept counts,
    within valid values (the file stays a valid cache.db)."""
    db = sqlite3.connect(os.path.join(data_dir, "cache.db"), timeout=30)
    fid = db.execute("SELECT id FROM folders WHERE name = ?", (folder,)).fetchone()[0]
    db.execute("UPDATE messages SET seen = 1 - seen, flagged = 1 - flagged, flags = CASE"
               " WHEN flags LIKE '%\\Seen%' THEN '\\Flagged' ELSE '\\Seen' END"
               " WHERE folder_id = ?", (fid,))
    db.execute("UPDATE folders SET n_unseen = 1, n_msgs = n_msgs + 1 WHERE id = ?", (fid,))
    db.commit()
    db.close()


lt = log_text()
out("the background sync never failed (no retry loop)",
    "background sync failed" not in lt and "server response over a limit" not in lt,
    [l for l in lt.splitlines() if "failed" in l or "limit" in l][:5])
if not A12:
    rc = stop()
    out("gateway exits cleanly", rc == 0, rc)
    print("ok - poison_suite: done" if fails == 0 else "not ok - poison_suite: done (%d failed)"
          % fails, flush=True)
    sys.exit(1 if fails else 0)
okc, last = wait_cached("Flags", N_FLAGS)
ok1, why = agrees("Flags") if okc else (False, last)
out("Flags: cached, and search agrees with the server", ok1, why)
rc = stop()
out("gateway stops", rc == 0, rc)
corrupt("Flags")
out("cache.db edited while the gateway was stopped (\\Seen, \\Flagged, counts)", True)
out("gateway starts again", start(), "")
ok2, why = agrees("Flags")
out("at start the flag check corrects rows and counts: search agrees with the server", ok2, why)
# while running: a direct edit is corrected by the rolling check within
# flag_check_s (+ one idle pass); polled, with a generous bound
corrupt("Flags")
t0 = time.monotonic()
ok3, why = False, None
while time.monotonic() - t0 < 20 * CHECK_S + 60:
    ok3, why = agrees("Flags")
    if ok3:
        break
    time.sleep(0.5)
out("while running, the rolling check (flag_check_s = %d) corrects a direct edit" % CHECK_S,
    ok3, why)
lt = log_text()
out("the corrections were logged", "differed from the server; corrected" in lt and
    "counts differed from the rows; corrected" in lt)

lt = log_text()
out("after the restart too, the background sync never failed",
    "background sync failed" not in lt and "server response over a limit" not in lt,
    [l for l in lt.splitlines() if "failed" in l or "limit" in l][:5])
rc = stop()
out("gateway exits cleanly", rc == 0, rc)
print("ok - poison_suite: done" if fails == 0 else "not ok - poison_suite: done (%d failed)"
      % fails, flush=True)
sys.exit(1 if fails else 0)
