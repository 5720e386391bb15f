#!/usr/bin/env python3
"""Runs the README's first-try command (scripts/quickstart.sh) against an
already built binary, exactly as a newcomer would, and checks that it shows
real, sanitized mail over MCP and that Ctrl-C stops everything it started.
Prints TAP-style ok / not ok lines.

  demo_driver.py TOP BIN
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

top, binary = sys.argv[1], sys.argv[2]
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(("ok - " if cond else "not ok - ") + name + ("" if cond else "  # " + detail))
    sys.stdout.flush()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def call(url, token, tool, args):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": tool, "arguments": args,
                       "_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
                                 "io.modelcontextprotocol/clientCapabilities": {}}}}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call", "Mcp-Name": tool})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["result"]


def codes(res):
    return {w["code"] for w in res["structuredContent"].get("security_warnings", [])}


workdir = tempfile.mkdtemp(prefix="igqs.")
port = free_port()
out_path = os.path.join(workdir, "out.txt")
out = open(out_path, "w")
# a terminal's Ctrl-C: SIGINT to the whole foreground process group
p = subprocess.Popen([os.path.join(top, "scripts/quickstart.sh"), "--bin", binary,
                      "--port", str(port), "--dir", os.path.join(workdir, "qs")],
                     cwd=top, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
text = ""
deadline = time.time() + 90
while time.time() < deadline and "listening" not in text and p.poll() is None:
    time.sleep(0.2)
    text = open(out_path).read()
check("quickstart starts and prints the banner", "listening" in text and "Press Ctrl-C" in text,
      text[-400:])
m_tok = re.search(r"^\s+(igt_[A-Za-z0-9_-]{43})$", text, re.M)
m_url = re.search(r"imapgate is starting at (http://\S+)", text)
m_dv = re.search(r"/tmp/igdemo\.\w+", open(os.path.join(workdir, "qs", "imapgate.conf")).read()
                 if os.path.exists(os.path.join(workdir, "qs", "imapgate.conf")) else "")
check("banner shows a token and the URL", bool(m_tok and m_url))
check("banner shows curl examples for search and fetch_message",
      "mcp search" in text and "mcp fetch_message" in text)
if m_tok and m_url:
    tok, url = m_tok.group(1), m_url.group(1)
    try:
        r = call(url, tok, "list_folders", {})
        names = [f["name"] for f in r["structuredContent"]["untrusted"]["folders"]]
        check("list_folders shows the demo mailbox", "INBOX" in names, str(names))
        r = call(url, tok, "search", {"folder": "INBOX", "limit": 50})
        msgs = r["structuredContent"]["untrusted"]["messages"]
        check("search returns the 20 sample messages", len(msgs) == 20 and not r.get("isError"),
              json.dumps(r)[:300])
        m20 = [m for m in msgs if m.get("uid") == 20]
        w20 = {w["code"] for m in m20 for w in m.get("security_warnings", [])}
        check("search envelopes carry their own warnings (invisible characters in 20's subject)",
              any(c.startswith("unicode_") for c in w20) and "\\u200b" not in json.dumps(m20),
              json.dumps(m20)[:400])
        r = call(url, tok, "search", {"folder": "INBOX", "from": "bob"})
        check("search by sender finds Bob's messages",
              len(r["structuredContent"]["untrusted"]["messages"]) == 2, json.dumps(r)[:300])
        r = call(url, tok, "fetch_message", {"folder": "INBOX", "uid": 17})
        body = json.dumps(r["structuredContent"]["untrusted"])
        check("fetch_message 17: hidden instructions detected and not shown",
              "html_hidden_content_detected" in codes(r) and "exfil@attacker" not in body,
              json.dumps(r)[:400])
        r = call(url, tok, "fetch_message", {"folder": "INBOX", "uid": 18})
        check("fetch_message 18: look-alike sender and deceptive link flagged",
              {"lookalike_confusable_domain", "html_link_text_href_mismatch"} <= codes(r),
              str(codes(r)))
        r = call(url, tok, "fetch_message", {"folder": "INBOX", "uid": 19})
        check("fetch_message 19: file name trick flagged",
              "lookalike_filename_extension_spoof" in codes(r), str(codes(r)))
    except Exception as e:  # a failed call is a failed check, not a crash
        check("demo calls answered", False, repr(e))
os.killpg(p.pid, signal.SIGINT)
try:
    rc = p.wait(timeout=40)
except subprocess.TimeoutExpired:
    os.killpg(p.pid, signal.SIGKILL)
    rc = None
text = open(out_path).read()
check("Ctrl-C stops the quickstart", rc == 130, "rc=%r" % rc)
check("Ctrl-C stopped the gateway and the demo Dovecot",
      "stopped the gateway and the demo Dovecot" in text and
      (m_dv is None or not os.path.exists(m_dv.group(0))), text[-300:])
leftover = subprocess.run(["pgrep", "-f", "igdemo"], capture_output=True, text=True).stdout
check("no demo process left running", leftover.strip() == "", leftover)
sys.exit(0 if all(results) else 1)
