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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402

BIN, TMP = sys.argv[1], sys.argv[2]
failures = 0
VERSION = mcp_client.VERSION
META = mcp_client.META


def ok(cond, what, why=""):
    global failures
    if cond:
        print(f"ok - http_suite: {what}", flush=True)
    else:
        failures += 1
        print(f"not ok - http_suite: {what}" + (f" ({why})" if why else ""), flush=True)
    return cond


UNREACHABLE = mcp_client.free_port()
open(os.path.join(TMP, "pw"), "w").write("secret-password\n")


class Gateway:
    """One `imapgate serve` with its own data_dir and config; stopped by PID."""

    def __init__(self, name, server_lines="", data=None, account_lines=None):
        self.name = name
        self.port = mcp_client.free_port()
        self.data = data or os.path.join(TMP, "data-" + name)
        self.conf = os.path.join(TMP, name + ".conf")
        self.log = os.path.join(TMP, f"serve-{name}.log")
        with open(self.conf, "w") as f:
            f.write(f"[server]\nlisten = 127.0.0.1:{self.port}\ndata_dir = {self.data}\n"
                    f"log_level = info\n{server_lines}\n\n"
                    "[defaults]\ntoken_rate_limit = off\nrate_limit = off\n\n"
                    + (f"[account a]\nhost = 127.0.0.1\nport = {UNREACHABLE}\n"
                       f"user = a@example.test\npassword_file = {TMP}/pw\n"
                       if account_lines is None else account_lines))
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
    st = session_ping(conn, gw.port, token_a, sids[0])
    ok(st == 404, "sessions: its oldest idle session was evicted (404)", f"got {st}")
    conn.close()


# --- A6: connection exhaustion ------------------------------------------------

def connect_from(src, port, timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def is_closed(s):
    """True when the server closed s (EOF or reset); False while it is open."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)


def wait_closed(socks, want, bound=10):
    """Polls until at least want of socks are closed (at most bound seconds)."""
    end = time.monotonic() + bound
    while True:
        n = sum(1 for s in socks if is_closed(s))
        if n >= want or time.monotonic() > end:
            return n
        time.sleep(0.05)


def timed_request(port, token):
    t0 = time.monotonic()
    try:
        resp = raw(port, build(mcp_lines(port, token), body_of()), timeout=5)
    except OSError as e:
        return 0, time.monotonic() - t0, str(e)
    return status_of(resp), time.monotonic() - t0, ""


def check_exhaustion(gw, token):
    import threading
    port = gw.port
    idle, slow, failed = [], [], 0
    # 2,000 idle connections from 8 addresses (250 each: under the per-address cap, so
    # the global cap is what they hit), 500 slow ones from 2 more
    for i in range(2000):
        try:
            idle.append(connect_from(f"127.0.1.{1 + i % 8}", port))
        except OSError:
            failed += 1
    for i in range(500):
        try:
            s = connect_from(f"127.0.2.{1 + i % 2}", port)
            s.sendall(b"P")
            slow.append(s)
        except OSError:
            failed += 1
    stop = threading.Event()
    line = b"OST /mcp HTTP/1.1\r\nX-Slow: " + b"a" * 10000

    def trickle():
        k = 0
        while not stop.is_set() and k < len(line):
            for s in slow:
                try:
                    s.send(line[k:k + 1])
                except OSError:
                    pass
            k += 1
            stop.wait(1.0)

    th = threading.Thread(target=trickle, daemon=True)
    th.start()
    results = [timed_request(port, token) for _ in range(5)]
    stop.set()
    th.join(timeout=10)
    bad = [r for r in results if r[0] != 200 or r[1] >= 1.0]
    ok(not bad, "exhaustion: with 2,000 idle and 500 one-byte-per-second connections, "
       "5 normal requests are each answered (200) within 1 s",
       f"{bad}; {failed} attacker connects failed")
    open_now = sum(1 for s in idle + slow if not is_closed(s))
    ok(open_now <= 512, "exhaustion: at most max_connections (512) attacker connections are "
       "held open", f"{open_now} open")
    for s in idle + slow:
        s.close()


def sse_get(port, token, sid, src="127.0.0.1", extra=b""):
    """Opens the session's standalone GET stream; returns (socket, status)."""
    s = connect_from(src, port, timeout=10)
    s.sendall(b"GET /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
              b"Accept: text/event-stream\r\nMcp-Session-Id: %s\r\n"
              b"MCP-Protocol-Version: 2025-11-25\r\n%s\r\n"
              % (port, token.encode(), sid.encode(), extra))
    head = b""
    while b"\r\n" not in head:
        d = s.recv(4096)
        if not d:
            break
        head += d
    return s, status_of(head)


def new_session(port, token, src="127.0.0.1", extra=b""):
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "http_checks", "version": "1"}}}
                      ).encode()
    s = connect_from(src, port, timeout=10)
    s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
              b"Content-Type: application/json\r\nAccept: application/json, "
              b"text/event-stream\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n"
              % (port, token.encode(), extra, len(body)) + body)
    resp = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        resp += d
    s.close()
    for l in resp.split(b"\r\n"):
        if l.lower().startswith(b"mcp-session-id:"):
            return l.split(b":", 1)[1].strip().decode()
    return None


def check_refuse():
    """Past the cap with every connection busy, a new one is refused at once."""
    gw = Gateway("refuse", "max_connections = 4\nmax_streams_per_token = 64")
    gateways.append(gw)
    token = gw.token("r")
    if not ok(gw.start(), "refuse: gateway with max_connections = 4 starts"):
        return
    streams = []
    opened = []
    for _ in range(4):
        s, st = sse_get(gw.port, token, new_session(gw.port, token))
        streams.append(s)
        opened.append(st)
    s = connect_from("127.0.0.1", gw.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    s.settimeout(10)
    try:
        got = s.recv(4096)
        refused = got == b""
    except ConnectionResetError:
        refused = True
    except socket.timeout:
        refused = False
    ok(opened == [200] * 4 and refused,
       "refuse: with 4 streams open, a 5th connection is closed at once, not queued",
       f"streams {opened}, refused {refused}")
    s.close()
    for x in streams:
        x.close()
    gw.stop()


def check_deadline():
    gw = Gateway("deadline", "request_timeout_s = 2")
    gateways.append(gw)
    token = gw.token("d")
    if not ok(gw.start(), "deadline: gateway with request_timeout_s = 2 starts"):
        return
    # a head that keeps coming, one byte every 200 ms, is cut within the deadline
    s = connect_from("127.0.0.1", gw.port)
    line = b"POST /mcp HTTP/1.1\r\nX-Slow: " + b"a" * 400
    t0 = time.monotonic()
    closed = False
    for k in range(len(line)):
        try:
            s.send(line[k:k + 1])
        except OSError:
            closed = True
            break
        if is_closed(s):
            closed = True
            break
        time.sleep(0.2)
    ok(closed and time.monotonic() - t0 < 30,
       "deadline: a head sent one byte at a time is cut (request_timeout_s)")
    s.close()
    # a complete head with a body that trickles is cut too
    body = body_of()
    s = connect_from("127.0.0.1", gw.port)
    s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
              b"Content-Type: application/json\r\nAccept: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % (gw.port, token.encode(), len(body) + 1000))
    closed = False
    for k in range(400):
        try:
            s.send(b" ")
        except OSError:
            closed = True
            break
        if is_closed(s):
            closed = True
            break
        time.sleep(0.2)
    ok(closed, "deadline: a body sent one byte at a time is cut (request_timeout_s)")
    s.close()
    st, dt, err = timed_request(gw.port, token)
    ok(st == 200, "deadline: a normal request is still 200", f"{st} {err}")
    gw.stop()


def check_proxies():
    gw = Gateway("proxy", "trusted_proxies = 127.0.0.2\nmax_connections_per_ip = 3")
    gateways.append(gw)
    token = gw.token("p")
    if not ok(gw.start(), "proxies: gateway with trusted_proxies = 127.0.0.2 starts"):
        return
    port = gw.port
    # a direct peer holds at most 3 connections: its oldest waiting ones are evicted
    direct = [connect_from("127.0.0.3", port) for _ in range(6)]
    n = wait_closed(direct, 3)
    ok(n == 3, "proxies: an untrusted peer keeps at most max_connections_per_ip (3) "
       "connections", f"{n} of 6 closed")
    # the trusted proxy is not one client: 6 connections from it stay open
    via = [connect_from("127.0.0.2", port) for _ in range(6)]
    st = status_of(raw(port, build(mcp_lines(port, token), body_of()), src="127.0.0.2"))
    n = sum(1 for s in via if is_closed(s))
    ok(st == 200 and n == 0, "proxies: the trusted proxy's connections are not capped per "
       "address", f"status {st}, {n} of 6 closed")
    for s in direct + via:
        s.close()
    # behind the proxy, the cap applies to the client it names
    xff = b"X-Forwarded-For: 198.51.100.9, 203.0.113.7\r\n"
    streams = []
    for _ in range(3):
        sid = new_session(port, token, "127.0.0.2", xff)
        s, st = sse_get(port, token, sid, "127.0.0.2", xff)
        streams.append(s)
    cases = [
        ("127.0.0.2", [("X-Forwarded-For", "203.0.113.7")], 503,
         "the named client (X-Forwarded-For) at its cap is 503"),
        ("127.0.0.2", [("Forwarded", "for=203.0.113.7;proto=https")], 503,
         "the named client (Forwarded) at its cap is 503"),
        ("127.0.0.2", [("X-Forwarded-For", "203.0.113.7, 127.0.0.2")], 503,
         "a trusted hop on the right is skipped"),
        ("127.0.0.2", [("X-Forwarded-For", "203.0.113.7, 203.0.113.8")], 200,
         "the right-most untrusted hop is the client (another client: 200)"),
        ("127.0.0.2", [("X-Forwarded-For", "203.0.113.8")], 200,
         "another client behind the proxy is 200"),
        ("127.0.0.3", [("X-Forwarded-For", "203.0.113.7")], 200,
         "an untrusted peer's X-Forwarded-For is ignored (200)"),
        ("127.0.0.3", [("Forwarded", "for=203.0.113.7")], 200,
         "an untrusted peer's Forwarded is ignored (200)"),
    ]
    for src, extra, want, what in cases:
        st = status_of(raw(port, build(mcp_lines(port, token) + extra, body_of()), src=src))
        ok(st == want, "proxies: " + what, f"got {st}")
    for s in streams:
        s.close()
    log = open(gw.log, errors="replace").read()
    ok("client=203.0.113.8" in log and "client=127.0.0.3" in log,
       "proxies: the request log names the client address used")
    gw.stop()


def check_token_caps():
    gw = Gateway("caps", "max_streams_per_token = 2\nmax_calls_per_token = 2")
    gateways.append(gw)
    ta, tb = gw.token("a"), gw.token("b")
    if not ok(gw.start(), "token caps: gateway starts"):
        return
    port = gw.port
    streams = []
    sts = []
    for _ in range(2):
        s, st = sse_get(port, ta, new_session(port, ta))
        streams.append(s)
        sts.append(st)
    s3, st3 = sse_get(port, ta, new_session(port, ta))
    ok(sts == [200, 200] and st3 == 429, "token caps: a token's third open stream is 429",
       f"{sts} then {st3}")
    sb, stb = sse_get(port, tb, new_session(port, tb))
    ok(stb == 200, "token caps: another token's stream is 200", f"got {stb}")
    for s in streams + [s3, sb]:
        s.close()
    gw.stop()


def check_call_cap():
    """In-flight calls per token: the account's IMAP server accepts and never
    answers, so tools/call list_folders stays in progress."""
    import threading
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    held = []
    stop = threading.Event()

    def accept_loop():
        hole.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(hole.accept()[0])
            except OSError:
                pass

    th = threading.Thread(target=accept_loop, daemon=True)
    th.start()
    gw = Gateway("calls", "max_calls_per_token = 2\nshutdown_timeout_s = 1",
                 account_lines=f"[account a]\nhost = 127.0.0.1\nport = {hole.getsockname()[1]}\n"
                 f"user = a@example.test\npassword_file = {TMP}/pw\nconnect_timeout_s = 120\n")
    gateways.append(gw)
    ta, tb = gw.token("a"), gw.token("b")
    try:
        if not ok(gw.start(), "call cap: gateway starts"):
            return
        port = gw.port
        call = body_of("tools/call", {"name": "list_folders", "arguments": {"account": "a"}})
        lines = mcp_lines(port, ta, "tools/call") + [("Mcp-Name", "list_folders")]
        hung = []
        for _ in range(2):
            s = connect_from("127.0.0.1", port, timeout=60)
            s.sendall(build(lines, call))
            hung.append(s)
        got = 0
        end = time.monotonic() + 20
        while time.monotonic() < end:
            got = status_of(raw(port, build(mcp_lines(port, ta), body_of())))
            if got == 429:
                break
            time.sleep(0.05)
        ok(got == 429, "call cap: with 2 calls in progress, the token's next request is 429",
           f"last {got}")
        st = status_of(raw(port, build(mcp_lines(port, tb), body_of())))
        ok(st == 200, "call cap: another token's request is 200", f"got {st}")
        for s in hung:
            s.close()
    finally:
        gw.stop()
        stop.set()
        th.join(timeout=5)
        for c in held:
            c.close()
        hole.close()


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
    check_exhaustion(gw, token)
    check_lock(gw, token)
    rc = gw.stop()
    ok(rc == 0, "gateway exits 0 on SIGTERM", f"exit {rc}")
    check_refuse()
    check_deadline()
    check_proxies()
    check_token_caps()
    check_call_cap()


try:
    main()
finally:
    for g in gateways:
        g.stop()
sys.exit(1 if failures else 0)
