#!/usr/bin/env python3
"""HTTP layer suite driver (issue 12): see http_suite.sh. Raw sockets against
the production binary; the one account points at an unreachable port.

usage: http_checks.py BIN TMPDIR
Prints TAP-like lines; exit status 1 when any "not ok"."""
import json
import os
import socket
import subprocess
import sys
import time

BIN, TMP = sys.argv[1], sys.argv[2]
failures = 0
VERSION = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {}}


def ok(cond, what, why=""):
    global failures
    if cond:
        print(f"ok - http_suite: {what}", flush=True)
    else:
        failures += 1
        print(f"not ok - http_suite: {what}" + (f" ({why})" if why else ""), flush=True)
    return cond


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


UNREACHABLE = free_port()
open(os.path.join(TMP, "pw"), "w").write("secret-password\n")


class Gateway:
    """One `imapgate serve` with its own data_dir and config; stopped by PID."""

    def __init__(self, name, server_lines="", data=None):
        self.name = name
        self.port = free_port()
        self.data = data or os.path.join(TMP, "data-" + name)
        self.conf = os.path.join(TMP, name + ".conf")
        self.log = os.path.join(TMP, f"serve-{name}.log")
        with open(self.conf, "w") as f:
            f.write(f"[server]\nlisten = 127.0.0.1:{self.port}\ndata_dir = {self.data}\n"
                    f"log_level = info\n{server_lines}\n\n"
                    "[defaults]\ntoken_rate_limit = off\nrate_limit = off\n\n"
                    f"[account a]\nhost = 127.0.0.1\nport = {UNREACHABLE}\n"
                    f"user = a@example.test\npassword_file = {TMP}/pw\n")
        self.proc = None

    def cli(self, *args):
        return subprocess.run([BIN, "--config", self.conf, *args], capture_output=True,
                              text=True, timeout=60)

    def token(self, name):
        r = self.cli("token", "create", "--name", name, "--accounts", "a")
        if r.returncode != 0:
            raise RuntimeError("token create: " + r.stderr)
        return r.stdout.strip()

    def start(self, wait=True):
        log = open(self.log, "ab")
        self.proc = subprocess.Popen([BIN, "--config", self.conf, "serve"], stdout=log,
                                     stderr=log, stdin=subprocess.DEVNULL)
        if not wait:
            return True
        for _ in range(200):
            try:
                if raw(self.port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       b"Connection: close\r\n\r\n", timeout=2).startswith(b"HTTP/1.1 200"):
                    return True
            except OSError:
                pass
            if self.proc.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc is None:
            return 0
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        return rc


gateways = []


def raw(port, data, timeout=10, src=None):
    """Sends data on a new connection and returns everything read until the
    server closes (or the timeout)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src:
            s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(data)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def body_of(method="tools/list", params=None, rid=1):
    p = dict(params or {})
    p["_meta"] = META
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": p}).encode()


def mcp_lines(port, token, method="tools/list", host=None):
    """The header lines of a stateless request (name, value) in order."""
    return [("Host", host if host is not None else f"127.0.0.1:{port}"), ("Authorization", "Bearer " + token),
            ("Content-Type", "application/json"), ("Accept", "application/json"),
            ("MCP-Protocol-Version", VERSION), ("Mcp-Method", method),
            ("X-Extra", "some value")]


def build(lines, body, target=b"/mcp", raw_lines=None):
    head = b"POST " + target + b" HTTP/1.1\r\n"
    for n, v in lines:
        head += (n.encode() if isinstance(n, str) else n) + b": " + \
            (v.encode() if isinstance(v, str) else v) + b"\r\n"
    if raw_lines:
        head += raw_lines
    head += b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    return head + body


# --- A9: header hygiene ---------------------------------------------------

def check_hygiene(gw, token):
    port = gw.port
    body = body_of()
    base = mcp_lines(port, token)
    ok(status_of(raw(port, build(base, body))) == 200, "hygiene: the plain request is 200")
    ok(status_of(raw(port, build(base + [("X-Empty", ""), ("X-Tab", "a\tb"),
                                           ("X-Obs", b"caf\xc3\xa9"), ("Cookie", "a=b; c=d")],
                                 body))) == 200,
       "hygiene: empty values, inner HTAB, obs-text and a Cookie are accepted")
    # every control byte but HTAB (LF and CR alone included), in every position of
    # every header line: name start/middle/end, value start/middle/end
    bad_bytes = [b for b in range(0x20) if b != 0x09] + [0x7f]
    wrong = []
    total = 0
    for i in range(len(base)):
        name, value = base[i]
        for b in bad_bytes:
            c = bytes([b])
            n, v = name.encode(), value.encode()
            variants = {
                "name-start": (c + n, v), "name-middle": (n[:2] + c + n[2:], v),
                "name-end": (n + c, v), "value-start": (n, c + v),
                "value-middle": (n, v[:3] + c + v[3:]), "value-end": (n, v + c),
            }
            for pos, (nn, vv) in variants.items():
                lines = list(base)
                lines[i] = (nn, vv)
                st = status_of(raw(port, build(lines, body)))
                total += 1
                if st != 400:
                    wrong.append(f"{name} {pos} 0x{b:02x} -> {st}")
    ok(not wrong, f"hygiene: {total} requests with a control byte in a header line are all 400",
       "; ".join(wrong[:8]) + (f" … {len(wrong)} in all" if len(wrong) > 8 else ""))
    # NUL before a well-formed line; the classic "valid token, NUL, junk"
    cases = {
        "Bearer <token>\\0junk": build([l if l[0] != "Authorization" else
                                        (l[0], ("Bearer " + token).encode() + b"\x00junk")
                                        for l in base], body),
        "a line starting with NUL": build(base, body, raw_lines=b"\x00X-After: y\r\n"),
        "a folded (obs-fold) line": build(base, body, raw_lines=b"X-Fold: a\r\n b\r\n"),
        "a bare-LF line end": build(base, body, raw_lines=b"X-LF: a\nX-Next: b\r\n"),
        "whitespace before the colon": build(base, body, raw_lines=b"X-Sp : a\r\n"),
    }
    for what, req in cases.items():
        st = status_of(raw(port, req))
        ok(st == 400, f"hygiene: {what} is 400", f"got {st}")
    # the request line: a percent-encoded NUL is not decoded into the route
    st = status_of(raw(port, build(base, body, target=b"/mcp%00junk")))
    ok(st == 404, "hygiene: /mcp%00junk is not /mcp (404)", f"got {st}")


def check_host(gw, token):
    port = gw.port
    body = body_of()
    malformed = ["localhost:1@evil", "localhost:1@evil.example", "user@localhost",
                 "localhost:", "localhost:0", "localhost:65536", "localhost:123456",
                 f"localhost:{port}:1", f"localhost:{port}a", "local host", "localhost/",
                 "localhost?x", "localhost#x", "%6cocalhost", ":8080", "", "[::1",
                 "[::1]x", "[::1]:", "[::1]:99999", f"[::1]:{port}:1", "[fe80::1%25lo]",
                 "[::g]", "[]", "[127.0.0.1]", "::1", f"::1:{port}", "[v1.x]",
                 "localhost,evil.example", "localhost;x", "local\\host", "[::1]]"]
    wrong = []
    for h in malformed:
        st = status_of(raw(port, build(mcp_lines(port, token, host=h), body)))
        if st != 400:
            wrong.append(f"{h!r} -> {st}")
    ok(not wrong, f"host: {len(malformed)} malformed Host values are all 400", "; ".join(wrong))
    good = [f"127.0.0.1:{port}", "127.0.0.1", "localhost", f"LOCALHOST:{port}",
            f"[::1]:{port}", "[::1]"]
    wrong = []
    for h in good:
        st = status_of(raw(port, build(mcp_lines(port, token, host=h), body)))
        if st != 200:
            wrong.append(f"{h!r} -> {st}")
    ok(not wrong, "host: the loopback names (with and without port, IPv6 literal) are 200",
       "; ".join(wrong))
    wrong = []
    for h in ["evil.example", f"evil.example:{port}", "[2001:db8::1]", "10.0.0.1"]:
        st = status_of(raw(port, build(mcp_lines(port, token, host=h), body)))
        if st != 403:
            wrong.append(f"{h!r} -> {st}")
    ok(not wrong, "host: well-formed foreign hosts are 403", "; ".join(wrong))


# --- A8: one server per data_dir -------------------------------------------

def check_lock(gw, token):
    def refused(g, what, needle):
        g.start(wait=False)
        try:
            rc = g.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = None
        g.proc = None if rc is not None else g.proc
        log = open(g.log, errors="replace").read()
        ok(rc == 1 and needle in log, f"lock: {what} is refused with a clear error",
           f"exit {rc}; log tail {log[-300:]!r}")

    # the same config twice (same data_dir, same listen address)
    twin = Gateway("twin", data=gw.data)
    twin.conf = gw.conf
    gateways.append(twin)
    refused(twin, "a second serve with the same config", "another imapgate serve is running")
    # another listen address, same data_dir
    other_port = Gateway("otherport", data=gw.data)
    gateways.append(other_port)
    refused(other_port, "a second serve on the same data_dir (other port)",
            "another imapgate serve is running")
    # another data_dir, the same listen address: no SO_REUSEPORT sharing
    same_addr = Gateway("sameaddr")
    same_addr.port = gw.port
    with open(same_addr.conf, "w") as f:
        f.write(open(gw.conf).read().replace(gw.data, same_addr.data))
    gateways.append(same_addr)
    refused(same_addr, "a second serve on the same address (other data_dir)", "cannot listen")
    # CLI commands beside the running server keep working
    for args in (["audit", "query"], ["audit", "verify"], ["token", "list"],
                 ["outbox", "list"]):
        r = gw.cli(*args)
        ok(r.returncode == 0, f"lock: `imapgate {' '.join(args)}` works while serve runs",
           f"exit {r.returncode}: {r.stderr.strip()[:200]}")
    st = status_of(raw(gw.port, build(mcp_lines(gw.port, token), body_of())))
    ok(st == 200, "lock: the first server still answers", f"got {st}")


# --- A7: legacy sessions per token ------------------------------------------

def initialize(conn, port, token):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "http_checks", "version": "1"}}})
    conn.request("POST", "/mcp", body, {"Host": f"127.0.0.1:{port}",
                                         "Authorization": "Bearer " + token,
                                         "Content-Type": "application/json",
                                         "Accept": "application/json, text/event-stream"})
    r = conn.getresponse()
    r.read()
    return r.status, r.getheader("Mcp-Session-Id")


def session_ping(conn, port, token, sid):
    conn.request("POST", "/mcp", json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"}),
                 {"Host": f"127.0.0.1:{port}", "Authorization": "Bearer " + token,
                  "Content-Type": "application/json", "Mcp-Session-Id": sid,
                  "MCP-Protocol-Version": "2025-11-25",
                  "Accept": "application/json, text/event-stream"})
    r = conn.getresponse()
    r.read()
    return r.status


def check_sessions(gw, token_a, token_b, max_sessions):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=30)
    statuses = {}
    sids = []
    for _ in range(max_sessions + 50):
        st, sid = initialize(conn, gw.port, token_a)
        statuses[st] = statuses.get(st, 0) + 1
        sids.append(sid)
    ok(statuses == {200: max_sessions + 50},
       f"sessions: one token opens {max_sessions + 50} sessions (max_sessions {max_sessions}),"
       " each initialize 200", str(statuses))
    st, sid = initialize(conn, gw.port, token_b)
    ok(st == 200 and sid, "sessions: another token's initialize is still 200", f"got {st}")
    if sid:
        ok(session_ping(conn, gw.port, token_b, sid) == 200,
           "sessions: the other token's session works")
    ok(session_ping(conn, gw.port, token_a, sids[-1]) == 200,
       "sessions: the flooding token's newest session works")
    ok(session_ping(conn, gw.port, token_a, sids[0]) == 404,
       "sessions: its oldest idle session was evicted (404)")
    conn.close()


def main():
    gw = Gateway("main", "max_sessions = 100")
    gateways.append(gw)
    token = gw.token("main")
    token_b = gw.token("other")
    if not ok(gw.start(), "gateway starts"):
        return
    check_hygiene(gw, token)
    check_host(gw, token)
    check_sessions(gw, token, token_b, 100)
    check_lock(gw, token)
    rc = gw.stop()
    ok(rc == 0, "gateway exits 0 on SIGTERM", f"exit {rc}")


try:
    main()
finally:
    for g in gateways:
        g.stop()
sys.exit(1 if failures else 0)
