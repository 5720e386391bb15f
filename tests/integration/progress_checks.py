#!/usr/bin/env python3
"""Checks for tests/integration/progress_suite.sh (see its header)."""
import base64, http.client, imaplib, json, os, re, ssl, sys, threading, time
from email import message_from_bytes, policy
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402

root, build, tmp, port, token = sys.argv[1:6]
port = int(port)
dv = os.path.join(tmp, "dv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
pw = open(os.path.join(dv, "alice.pw")).read()
audit_path = os.path.join(tmp, "data", "audit", "audit.jsonl")
count_path = os.path.join(tmp, "proxy.count")
url = "http://127.0.0.1:%d/mcp" % port
LEGACY = "2025-11-25"
fails = 0


def out(name, cond, why=""):
    global fails
    if not cond:
        fails += 1
    print("%s - progress_suite: %s%s" % ("ok" if cond else "not ok", name,
                                         "" if cond or not why else " (%s)" % str(why)[:400]), flush=True)


def poll(pred, limit=60):
    """pred() until it is truthy or limit seconds passed; its last value."""
    end = time.monotonic() + limit
    v = pred()
    while not v and time.monotonic() < end:
        time.sleep(0.1)
        v = pred()
    return v


def audit(kind, tool, status=None):
    try:
        lines = open(audit_path).read().splitlines()
    except OSError:
        return []
    recs = []
    for l in lines:
        try:
            r = json.loads(l)
        except ValueError:
            continue
        f = r.get("fields") or r
        if r.get("kind") == kind and f.get("tool") == tool and (status is None or f.get("status") == status):
            recs.append(f)
    return recs


def relayed():
    try:
        return int(open(count_path).read().strip() or 0)
    except (OSError, ValueError):
        return 0


# ------------------------------------------------------------------ mail
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
c.check_hostname = False
c.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=c, timeout=120)
m.login("alice", pw)


def msg(i, att=None):
    e = EmailMessage()
    e["From"] = "Sender %d <s%d@example.org>" % (i, i)
    e["To"] = "alice@example.org"
    e["Subject"] = "message %d" % i
    e["Message-ID"] = "<progress-%d@example.org>" % i
    e["Date"] = "Mon, 1 Jan 2024 00:00:00 +0000"
    e.set_content("body %d\n" % i)
    if att is not None:
        e.add_attachment(att, maintype="application", subtype="octet-stream", filename="a.bin")
    return e.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def append(folder, raw):
    typ, data = m.append(folder, None, None, raw)
    if typ != "OK":
        raise RuntimeError("APPEND %s: %r" % (folder, data))
    return int(re.search(rb"APPENDUID \d+ (\d+)", data[0]).group(1))


BIG_N = 300
for f in ("Big", "Huge", "Small", "Medium"):
    m.create(f)
for i in range(BIG_N):
    append("Big", msg(i, b"x" * 64 if i % 3 == 0 else None))
huge_raw = msg(9999, os.urandom(12 << 20))
huge_uid = append("Huge", huge_raw)
small_uid = append("Small", msg(1))
# over LIM_FETCH_CHUNK (read in partial fetches), under what one answer carries
medium_raw = msg(9998, os.urandom(1800 * 1024))
medium_uid = append("Medium", medium_raw)
m.logout()
out("mail loaded (%d messages in Big, %d bytes in Huge)" % (BIG_N, len(huge_raw)), True)


# ------------------------------------------------------------------ MCP
def headers(extra=None):
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
         "Authorization": "Bearer " + token}
    h.update(extra or {})
    return h


def events(resp):
    """Yields the JSON messages of an SSE response as they arrive (or the
    one message of a JSON answer)."""
    if (resp.getheader("Content-Type") or "").startswith("application/json"):
        yield json.loads(resp.read())
        return
    data = []
    while True:
        line = resp.readline()
        if not line:
            return
        line = line.decode().rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].strip())
        elif line == "":
            text = "\n".join(data).strip()
            data = []
            if text:
                yield json.loads(text)


def open_call(body, hdrs):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/mcp", json.dumps(body), hdrs)
    return conn, conn.getresponse()


def modern_call(tool, args, token_value, rid=1):
    meta = dict(mcp_client.META, progressToken=token_value)
    body = {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
            "params": {"name": tool, "arguments": args, "_meta": meta}}
    return open_call(body, headers({"MCP-Protocol-Version": mcp_client.VERSION,
                                    "Mcp-Method": "tools/call", "Mcp-Name": tool}))


def progress_of(ev, tok):
    if ev.get("method") != "notifications/progress":
        return None
    p = ev.get("params") or {}
    return p if p.get("progressToken") == tok else None


def progress_run(tool, args, tok):
    """A 2026-07-28 call with progress token tok read to its end: the
    progress notifications for tok and the final response (None if none)."""
    conn, r = modern_call(tool, args, tok)
    ps, final = [], None
    for ev in events(r):
        p = progress_of(ev, tok)
        if p is not None:
            ps.append(p)
        elif "id" in ev:
            final = ev
    conn.close()
    return ps, final


def work_stopped(era, event, start, before):
    """After a download of huge_raw was cancelled (relayed() was start when it
    began, before at the cancel): the IMAP work stopped, and the worker
    serves the next call on a clean connection."""
    time.sleep(0.5)
    after = relayed()
    out("%s download: the IMAP work stopped (%d of %d bytes relayed before, %d after the %s)"
        % (era, before - start, len(huge_raw), after - before, event),
        before - start < len(huge_raw) and after - before < len(huge_raw) // 2, (start, before, after))
    r3 = mcp_client.call(url, token, "fetch_message", {"account": "slow", "folder": "Small",
                                                      "uid": small_uid})
    out("%s: the worker serves the next call on a clean connection" % era,
        "result" in r3 and not r3["result"].get("isError"), json.dumps(r3)[:300])


def increasing(ps):
    vals = [p.get("progress") for p in ps]
    return all(isinstance(v, (int, float)) for v in vals) and all(a < b for a, b in zip(vals, vals[1:])) \
        and all(p.get("total") is None or p["progress"] <= p["total"] for p in ps)


# 1. server-path search of an uncached folder reports progress (2026-07-28)
ps, final = progress_run("search", {"account": "alice", "folder": "Big", "has_attachment": True,
                                    "limit": 5}, "s-1")
res = (final or {}).get("result") or {}
meta = (res.get("structuredContent") or {}).get("meta") or {}
out("search of an uncached folder answers from the server", meta.get("source") == "server"
    and not res.get("isError"), json.dumps(final)[:300])
out("search: >= 1 progress notification with the request's token", len(ps) >= 1, ps)
out("search: progress strictly increases and stays within total", increasing(ps), ps)
out("search: the last progress reached its total",
    bool(ps) and ps[-1].get("total") is not None and ps[-1]["progress"] == ps[-1]["total"], ps)
out("search: every progress message is from the closed vocabulary",
    all(p.get("message") in (None, "folder checked", "searched on the server", "fetching envelopes")
        for p in ps), ps)
# without a progressToken: plain JSON, no notification
r2 = mcp_client.call(url, token, "search", {"account": "alice", "folder": "Big", "limit": 3})
out("search without progressToken answers as before", "result" in r2 and not r2["result"].get("isError"), r2)


# 2. legacy session: progress on the POST's stream, notifications/cancelled
#    stops the download; a queued call cancelled before it ran is skipped
def legacy_post(body, sid):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("POST", "/mcp", json.dumps(body),
                 headers({"Mcp-Session-Id": sid, "MCP-Protocol-Version": LEGACY}))
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
conn.request("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "progress", "version": "1"}}}),
    headers())
r = conn.getresponse()
sid = r.getheader("Mcp-Session-Id")
r.read()
conn.close()
out("legacy session opened", bool(sid))
st, _ = legacy_post({"jsonrpc": "2.0", "method": "notifications/initialized"}, sid)

dl_args = {"account": "slow", "folder": "Huge", "uid": huge_uid, "part_id": "2"}
n_dl_cancelled = len(audit("tool_end", "download_attachment", "cancelled"))
n_fm_cancelled = len(audit("tool_end", "fetch_message", "cancelled"))
n_fm_start = len(audit("tool_start", "fetch_message"))
start = relayed()
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
conn.request("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 11, "method": "tools/call", "params": {
    "name": "download_attachment", "arguments": dl_args, "_meta": {"progressToken": "d-1"}}}),
    headers({"Mcp-Session-Id": sid, "MCP-Protocol-Version": LEGACY}))
r = conn.getresponse()
ps = []
it = events(r)
for ev in it:
    p = progress_of(ev, "d-1")
    if p is not None:
        ps.append(p)
        break
    if "id" in ev:
        break
out("legacy download: a progress notification on the POST's stream", len(ps) == 1, ps)
if ps:
    out("legacy download: progress counts bytes of the message's size",
        0 < ps[0]["progress"] < ps[0].get("total", 0) and ps[0]["total"] >= len(huge_raw) - 2, ps)
# a second call queues behind the download on the same account worker
queued = {}


def second():
    queued["status"], queued["body"] = legacy_post({"jsonrpc": "2.0", "id": 12, "method": "tools/call", "params": {
        "name": "fetch_message", "arguments": {"account": "slow", "folder": "Small", "uid": small_uid}}}, sid)


t = threading.Thread(target=second, daemon=True)
t.start()
poll(lambda: len(audit("tool_start", "fetch_message")) > n_fm_start, 30)
st, _ = legacy_post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                     "params": {"requestId": 12, "reason": "test"}}, sid)
before = relayed()
st2, _ = legacy_post({"jsonrpc": "2.0", "method": "notifications/cancelled",
                      "params": {"requestId": 11, "reason": "test"}}, sid)
out("notifications/cancelled accepted (202)", st == 202 and st2 == 202, (st, st2))
rec = poll(lambda: audit("tool_end", "download_attachment", "cancelled")[n_dl_cancelled:], 60)
out("legacy download: audited as cancelled (ERR_CANCELLED)",
    bool(rec) and rec[0].get("error_code") == "ERR_CANCELLED", rec)
rec2 = poll(lambda: audit("tool_end", "fetch_message", "cancelled")[n_fm_cancelled:], 60)
out("legacy: the call cancelled while queued is audited as cancelled", bool(rec2), rec2)
t.join(60)
body = queued.get("body") or b""
out("legacy: a client still waiting for the skipped call reads ERR_CANCELLED",
    queued.get("status") == 200 and b'"ERR_CANCELLED"' in body, (queued.get("status"), body[:300]))
conn.close()
work_stopped("legacy", "cancel", start, before)

# 3. 2026-07-28: closing the response stream cancels the download
n_dl_cancelled = len(audit("tool_end", "download_attachment", "cancelled"))
start = relayed()
conn, r = modern_call("download_attachment", dl_args, "d-2")
ps = []
for ev in events(r):
    p = progress_of(ev, "d-2")
    if p is not None:
        ps.append(p)
        break
    if "id" in ev:
        break
out("2026-07-28 download: a progress notification on the response stream", len(ps) == 1, ps)
before = relayed()
r.close()
conn.close()
rec = poll(lambda: audit("tool_end", "download_attachment", "cancelled")[n_dl_cancelled:], 60)
out("2026-07-28 download: closing the stream cancels it (audited cancelled)",
    bool(rec) and rec[0].get("error_code") == "ERR_CANCELLED", rec)
work_stopped("2026-07-28", "close", start, before)

# 4. an uncancelled download of a message over LIM_FETCH_CHUNK, read in
#    partial fetches, is byte-identical (and reports progress to the end)
ps, final = progress_run("download_attachment", {"account": "alice", "folder": "Medium",
                                                 "uid": medium_uid, "part_id": "2"}, "d-3")
res = (final or {}).get("result") or {}
blob = None
for item in res.get("content") or []:
    if item.get("type") == "resource":
        blob = (item.get("resource") or {}).get("blob")
orig = message_from_bytes(medium_raw, policy=policy.default)
part = list(orig.iter_attachments())[0].get_content()
out("a download read in partial fetches is byte-identical",
    blob is not None and base64.b64decode(blob) == part, json.dumps(final)[:300])
out("its progress increases to the message's size",
    len(ps) >= 1 and increasing(ps) and ps[-1]["progress"] == ps[-1].get("total")
    and ps[-1]["progress"] >= len(medium_raw) - 2, ps)

# 5. a result larger than one answer can carry (the 17 MB attachment, whose
#    base64 is over LIM_TOOL_RESULT) is that call's typed ERR_TOO_LARGE, with
#    its id, as a JSON answer and over SSE, not a transport failure (HTTP
#    500, id null); and
#    the account serves the next call
huge_args = {"account": "alice", "folder": "Huge", "uid": huge_uid, "part_id": "2"}
r = mcp_client.call(url, token, "download_attachment", huge_args, 120, max_bytes=64 << 20)
res = r.get("result") or {}
out("a result over LIM_TOOL_RESULT is the call's ERR_TOO_LARGE (JSON answer, its id)",
    "http_error" not in r and r.get("id") == 1 and res.get("isError") is True
    and mcp_client.error_code(res) == "ERR_TOO_LARGE" and "structuredContent" not in res,
    json.dumps(r)[:300])
conn, r = modern_call("download_attachment", huge_args, "d-4")
final = [ev for ev in events(r) if "id" in ev]
conn.close()
res = (final[-1] if final else {}).get("result") or {}
out("over SSE (progress token): the same typed ERR_TOO_LARGE ends the stream",
    mcp_client.error_code(res) == "ERR_TOO_LARGE", json.dumps(final)[:300])
r3 = mcp_client.call(url, token, "fetch_message", {"account": "alice", "folder": "Medium", "uid": medium_uid})
out("the account serves the next call", "result" in r3 and not r3["result"].get("isError"),
    json.dumps(r3)[:300])
sys.exit(1 if fails else 0)
