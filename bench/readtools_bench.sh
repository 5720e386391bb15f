#!/usr/bin/env bash
# Read tools latency, side by side (not a test; prints figures, never asserts
# timings): a throwaway Dovecot loaded with the corpus (../shared/corpus and
# tests/corpus) plus a 20-message thread, the gateway from BUILD_DIR, then
#   fetch_message over MCP (HTTP + token + worker job + BODY.PEEK[] + content
#   pipeline + fenced text) vs python imaplib's bare UID FETCH BODY.PEEK[] of
#   the same messages on one open connection (what any client pays), and
#   get_thread vs the bare UID SEARCH HEADER + UID FETCH envelope commands.
# usage: bench/readtools_bench.sh BUILD_DIR [ROUNDS]
set -u -o pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [ROUNDS]}" && pwd)
rounds=${2:-3}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
tmp=$(mktemp -d /tmp/igrb.XXXXXX)
chmod 0711 "$tmp"
dv="$tmp/dv"
gw=""
cleanup() {
	[ -n "$gw" ] && kill -TERM "$gw" 2>/dev/null && wait "$gw" 2>/dev/null
	"$root/tests/imap/dovecot.sh" stop "$dv" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
"$root/tests/imap/dovecot.sh" start "$dv" --no-fill >/dev/null || exit 1
# shellcheck disable=SC1091
. "$dv/env"
port=$("$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
conf="$tmp/imapgate.conf"
printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\n\n[account alice]\nhost = 127.0.0.1\nport = %s\ntls = implicit\nuser = alice\npassword_file = %s\ntls_fingerprint_sha256 = %s\n' \
	"$port" "$tmp" "$IMAPS_PORT" "$dv/alice.pw" "$FINGERPRINT" >"$conf"
token=$("$build/imapgate" token create --name bench --config "$conf") || exit 1
"$build/imapgate" serve --config "$conf" </dev/null >/dev/null 2>"$tmp/gw.log" &
gw=$!
for _ in $(seq 1 100); do curl -sf --max-time 1 "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
IMAPGATE_TOKEN=$token "$PY" - "$root" "$dv" "$port" "$rounds" <<'PY'
import email.policy, glob, imaplib, json, os, re, ssl, statistics, sys, time, urllib.request
from email.message import EmailMessage
root, dv, port, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=c)
m.login("alice", open(os.path.join(dv, "alice.pw")).read())
files = sorted(glob.glob(os.path.join(root, "..", "shared", "corpus", "**", "input.eml"), recursive=True)
               + glob.glob(os.path.join(root, "tests", "corpus", "*", "input.eml")))
uids, total = [], 0
for f in files:
    raw = open(f, "rb").read()
    if b"\r\n" not in raw:
        raw = raw.replace(b"\n", b"\r\n")
    typ, d = m.append("INBOX", None, None, raw)
    uids.append(int(re.search(rb"APPENDUID \d+ (\d+)", d[0]).group(1)))
    total += len(raw)
prev = []
for i in range(20):
    e = EmailMessage(policy=email.policy.SMTP)
    e["From"], e["To"], e["Subject"] = "a@example.org", "b@example.org", "thread %d" % i
    e["Message-ID"] = "<t%d@bench>" % i
    if prev:
        e["In-Reply-To"], e["References"] = "<%s>" % prev[-1], " ".join("<%s>" % p for p in prev)
    e.set_content("message %d" % i)
    typ, d = m.append("INBOX", None, None, e.as_bytes())
    last = int(re.search(rb"APPENDUID \d+ (\d+)", d[0]).group(1))
    prev.append("t%d@bench" % i)
tok = os.environ["IMAPGATE_TOKEN"]
url = "http://127.0.0.1:%s/mcp" % port
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
def call(tool, args):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                       "params": {"name": tool, "arguments": args, "_meta": META}}).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
        "Authorization": "Bearer " + tok, "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call", "Mcp-Name": tool})
    with urllib.request.urlopen(req, timeout=60) as r:
        res = json.loads(r.read())["result"]
    if res.get("isError") and res["_meta"]["imapgate/error"]["code"] != "ERR_TOO_LARGE":
        raise SystemExit("bench invalid: %s" % res["_meta"]["imapgate/error"])
def timed(fn, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); fn(); ts.append((time.perf_counter() - t) * 1000)
    return ts
def pct(ts, p):
    ts = sorted(ts); return ts[min(len(ts) - 1, int(len(ts) * p))]
m.select("INBOX", readonly=True)
gw, imap = [], []
for _ in range(rounds):
    for u in uids:
        gw += timed(lambda: call("fetch_message", {"folder": "INBOX", "uid": u}), 1)
        imap += timed(lambda: m.uid("FETCH", str(u), "(BODY.PEEK[])"), 1)
print("messages: %d (%d bytes), rounds: %d" % (len(uids), total, rounds))
print("fetch_message over MCP      p50 %.2f ms  p99 %.2f ms  mean %.2f ms" % (pct(gw, .5), pct(gw, .99), statistics.mean(gw)))
print("bare UID FETCH BODY.PEEK[]  p50 %.2f ms  p99 %.2f ms  mean %.2f ms" % (pct(imap, .5), pct(imap, .99), statistics.mean(imap)))
print("ratio (gateway mean / bare fetch mean): %.1fx  (sanitizing throughput %.1f MB/s end to end)"
      % (statistics.mean(gw) / statistics.mean(imap), total * rounds / (sum(gw) / 1000) / 1e6))
crit = " ".join("OR OR HEADER Message-ID \"<%s>\" HEADER References \"<%s>\" HEADER In-Reply-To \"<%s>\"" % (p, p, p) for p in prev[:1])
def bare_thread():
    typ, d = m.uid("SEARCH", None, 'OR HEADER References "<t0@bench>" HEADER Message-ID "<t0@bench>"')
    s = b",".join(d[0].split()).decode()
    m.uid("FETCH", s, "(UID ENVELOPE FLAGS INTERNALDATE RFC822.SIZE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (REFERENCES LIST-ID)])")
gt = timed(lambda: call("get_thread", {"folder": "INBOX", "uid": last}), 20 * rounds)
bt = timed(bare_thread, 20 * rounds)
print("get_thread (20 messages)    p50 %.2f ms  p99 %.2f ms" % (pct(gt, .5), pct(gt, .99)))
print("bare SEARCH HEADER + FETCH  p50 %.2f ms  p99 %.2f ms" % (pct(bt, .5), pct(bt, .99)))
m.logout()
PY
