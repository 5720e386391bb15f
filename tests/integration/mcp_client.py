"""The MCP client of the integration suites' checks: one JSON-RPC request
POSTed to the gateway's /mcp, stateless MCP 2026-07-28 (the protocol version
in _meta and the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers),
the answer read as JSON or as SSE (its last data line).

When IG_RESULT_LOG names a file (lib.sh sets it for every suite), every
tools/call result is appended to it as a JSON line {"url", "tool", "result"},
and, once per gateway URL and token, the tools/list answer as {"url",
"tools"}: tool_results.py checks each result against its tool's
outputSchema at the end of the suite.

For checks that run gateways of their own: free_port picks a port, serve
starts one, wait_healthz waits until it answers, stop ends it.

The embedded scripts import it after sys.path.insert(0, SUITE_DIR) (lib.sh
exports IG_SUITE_DIR); not a suite itself."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

VERSION = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {}}


def rpc(url, token, method, params, name=None, limit=60, max_bytes=16 << 20):
    """The decoded JSON-RPC response to method(params) with bearer token;
    {"http_error": status, "body": text} when the gateway answers an HTTP
    error. name (the tool) goes into Mcp-Name; limit is the timeout in
    seconds, max_bytes the most of the answer read."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method,
                       "params": dict(params, _meta=META)}).encode()
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
         "Authorization": "Bearer " + token, "MCP-Protocol-Version": VERSION,
         "Mcp-Method": method}
    if name:
        h["Mcp-Name"] = name
    req = urllib.request.Request(url, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=limit) as r:
            raw = r.read(max_bytes).decode()
    except urllib.error.HTTPError as e:
        return {"http_error": e.code, "body": e.read(4096).decode("utf-8", "replace")}
    if raw.lstrip().startswith(("event:", "data:", "id:", ":")):  # SSE: the last data line
        data = [l[5:].strip() for l in raw.splitlines() if l.startswith("data:")]
        raw = data[-1] if data else "{}"
    resp = json.loads(raw)
    if method == "tools/call" and isinstance(resp, dict) and isinstance(resp.get("result"), dict):
        record(url, token, params.get("name"), resp["result"])
    return resp


_listed = set()  # (url, token) whose tools/list is in the log


def record(url, token, tool, result):
    """Appends a tools/call result (and the tool list of url as token sees
    it, once) to the IG_RESULT_LOG file; for checks with their own HTTP
    client too."""
    path = os.environ.get("IG_RESULT_LOG")
    if not path:
        return
    lines = []
    if (url, token) not in _listed:
        _listed.add((url, token))
        try:
            lst = rpc(url, token, "tools/list", {}, None, 30)
        except (OSError, ValueError):  # the gateway went away: no schemas from it
            lst = None
        tools = (lst.get("result") or {}).get("tools") if isinstance(lst, dict) else None
        if isinstance(tools, list):
            lines.append({"url": url, "tools": tools})
    lines.append({"url": url, "tool": tool, "result": result})
    with open(path, "a", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l) + "\n")


def call(url, token, tool, args, limit=60, max_bytes=16 << 20):
    """rpc of tools/call for tool with arguments args."""
    return rpc(url, token, "tools/call", {"name": tool, "arguments": args}, tool, limit,
               max_bytes)


def call_result(url, token, tool, args, limit=60, max_bytes=16 << 20):
    """The result of call (a tools/call result object; {} when the answer
    has none), or {"http_error": status} when the gateway answers an HTTP
    error."""
    r = call(url, token, tool, args, limit, max_bytes)
    if "http_error" in r:
        return {"http_error": r["http_error"]}
    return r.get("result") or {}


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def serve(binary, conf, log_path):
    """Starts `binary serve --config conf`, its stderr to log_path (new), and
    returns the process."""
    logf = open(log_path, "w")
    return subprocess.Popen([binary, "serve", "--config", conf], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=logf)


def wait_healthz(proc, port, tries):
    """True once /healthz on port answers, polled up to tries times 50 ms
    apart; False when it does not, or proc has exited."""
    for _ in range(tries):
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=1).read()
            return True
        except Exception:  # noqa: BLE001
            if proc.poll() is not None:
                return False
            time.sleep(0.05)
    return False


def stop(proc, sig=signal.SIGTERM, limit=30):
    """Sends sig to proc and returns its exit status; killed when it has not
    exited within limit seconds."""
    proc.send_signal(sig)
    try:
        return proc.wait(limit)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(10)


def outcome(resp):
    """A tools/call response as (structuredContent, None, resp) for a success,
    (None, its error code, resp) for an error result, (None, "protocol",
    resp) when it carries no result."""
    res = resp.get("result") or {}
    sc = res.get("structuredContent") or {}
    if res.get("isError"):
        return None, error_code(res), resp
    if "result" not in resp:
        return None, "protocol", resp
    return sc, None, resp


def error_code(result):
    """The error code of a tools/call result (its _meta "imapgate/error";
    an error result has no structuredContent), None for a success."""
    if not result.get("isError"):
        return None
    return ((result.get("_meta") or {}).get("imapgate/error") or {}).get("code", "isError")
