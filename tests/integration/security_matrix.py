#!/usr/bin/env python3
"""Security suite driver (issue 6): the dispatch chain through MCP, against the
production binary (`imapgate`), every account pointing at an unreachable port.

1. Discovery: an all-powerful token lists every registered tool; each tool's
   minimum posture and sub-capabilities come from its tools/list `_meta` (the
   posture table in code), cross-checked with DESIGN §4.3 for the tools it names.
2. GENERATED matrix: account posture (4) x account override set x token cap (4)
   x token override set, one token per cell holding exactly one account. Override
   sets are generated from the discovered tool names. For every cell: tools/list
   membership == expectation, and tools/call of EVERY tool (arguments generated
   from its inputSchema) is ERR_POSTURE_DENIED exactly when expected; every
   sub-capability likewise.
3. Cross-tenant: tokens A (account ta) and B (account tb); for every tool with an
   `account` argument, A naming B's account gets the byte-identical response of A
   naming a nonexistent account (same request id), in both protocol eras.
4. Rate limits (token bucket, retry_after_ms, other tenant unaffected), circuit
   breaker (ERR_CIRCUIT_OPEN with retry_after_ms after 5 service errors, other
   account unaffected), legacy-session tools/list filtered like the stateless one,
   `imapgate check` matrix, unknown override names refused by serve/check/token.

Prints TAP-like lines; exit status 1 when any "not ok".
usage: security_matrix.py BIN TMPDIR
"""
import http.client
import json
import os
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mcp_client  # noqa: E402  (record(): results checked against output schemas)

BIN, TMP = sys.argv[1], sys.argv[2]
POSTURES = ["readonly", "draft-safe", "full", "destructive"]
RANK = {p: i for i, p in enumerate(POSTURES)}
# DESIGN §4.3: the minimum posture of the tools it names
DESIGN = {}
for names, p in [
    ("list_accounts use_account list_folders search fetch_message get_thread list_attachments "
     "download_attachment list_labels", "readonly"),
    ("mark_read mark_unread flag unflag add_label remove_label move_message create_draft "
     "list_pending", "draft-safe"),
    ("send_email delete_message create_folder rename_folder", "full"),
    ("expunge delete_folder", "destructive"),
]:
    for n in names.split():
        DESIGN[n] = p
DESIGN_SUB = {"search.advanced_query": "full", "fetch_message.include_html": "full"}

failures = 0
passes = 0
meta = {}  # tool name -> {min, subs, scoped, schema}


def ok(cond, what):
    global failures, passes
    if cond:
        passes += 1
    else:
        failures += 1
        print(f"not ok - security_suite: {what}", flush=True)
    return cond


def say_ok(what):
    print(f"ok - security_suite: {what}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


PORT = free_port()
DATA = os.path.join(TMP, "data")
CONF = os.path.join(TMP, "imapgate.conf")
UNREACHABLE = free_port()  # nothing listens: connection refused at once
open(os.path.join(TMP, "pw"), "w").write("secret-password\n")


def account(name, posture, extra=""):
    return (f"[account {name}]\nhost = 127.0.0.1\nport = {UNREACHABLE}\nuser = {name}@example.test\n"
            f"password_file = {TMP}/pw\nposture = {posture}\n{extra}\n")


def write_conf(accounts):
    with open(CONF, "w") as f:
        f.write(f"[server]\nlisten = 127.0.0.1:{PORT}\ndata_dir = {DATA}\nlog_level = warn\n\n"
                "[defaults]\ntoken_rate_limit = off\nrate_limit = off\n"
                "draft_rate_limit = off\nsend_rate_limit = off\n\n")
        f.write("".join(accounts))


def cli(*args, check=True):
    r = subprocess.run([BIN, "--config", CONF, *args], capture_output=True, text=True, timeout=60)
    if check and r.returncode != 0:
        raise RuntimeError(f"imapgate {' '.join(args)}: {r.returncode} {r.stderr.strip()}")
    return r


def token(name, accounts, cap, allow="", deny="", rate=None):
    a = ["token", "create", "--name", name, "--accounts", accounts, "--posture", cap]
    if allow:
        a += ["--tools-allow", allow]
    if deny:
        a += ["--tools-deny", deny]
    if rate:
        a += ["--rate-limit", rate]
    return cli(*a).stdout.strip()


server = None


def start():
    global server
    log = open(os.path.join(TMP, "serve.log"), "ab")
    server = subprocess.Popen([BIN, "--config", CONF, "serve"], stdout=log, stderr=log)
    for _ in range(100):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return
        except OSError:
            pass
        if server.poll() is not None:
            raise RuntimeError("gateway exited at start")
        time.sleep(0.1)
    raise RuntimeError("gateway not ready")


def stop():
    global server
    if server is None:
        return 0
    server.terminate()
    try:
        rc = server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        rc = server.wait()
    server = None
    return rc


META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}
conn_cache = {}


def post(tok, method, params, rid=1, name=None, session=None, raw=False):
    """One JSON-RPC request. Stateless 2026-07-28 unless session is given."""
    headers = {"Authorization": f"Bearer {tok}", "Content-Type": "application/json",
               "Accept": "application/json"}
    params = dict(params)
    if session is None:
        params["_meta"] = META
        headers["MCP-Protocol-Version"] = "2026-07-28"
        headers["Mcp-Method"] = method
        if name is not None:
            headers["Mcp-Name"] = name
    else:
        headers["Mcp-Session-Id"] = session[0]
        headers["MCP-Protocol-Version"] = session[1]
    body = json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
    for attempt in range(2):
        c = conn_cache.get("c")
        if c is None:
            c = conn_cache["c"] = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        try:
            c.request("POST", "/mcp", body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
            break
        except (OSError, http.client.HTTPException):
            c.close()
            conn_cache.pop("c", None)
            if attempt == 1:
                raise
    if raw:
        return data
    resp = json.loads(data)
    if method == "tools/call" and session is None and isinstance(resp.get("result"), dict):
        mcp_client.record("http://127.0.0.1:%d/mcp" % PORT, tok, name, resp["result"])
    return resp


def legacy_session(tok, version="2025-11-25"):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request("POST", "/mcp", body=json.dumps({
        "jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": version, "capabilities": {},
                   "clientInfo": {"name": "security-suite", "version": "1"}}}),
        headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json",
                 "Accept": "application/json, text/event-stream"})
    r = c.getresponse()
    r.read()
    sid = r.getheader("Mcp-Session-Id")
    c.close()
    return (sid, version)


def tools_list(tok, session=None):
    r = post(tok, "tools/list", {}, session=session)
    return r["result"]["tools"]


def call(tok, tool, args, rid=7, session=None, raw=False):
    return post(tok, "tools/call", {"name": tool, "arguments": args}, rid=rid, name=tool,
                session=session, raw=raw)


def code_of(resp):
    if "error" in resp:
        return "RPC:%s" % resp["error"].get("code")
    res = resp["result"]
    if not res.get("isError"):
        return "OK"
    return res.get("_meta", {}).get("imapgate/error", {}).get("code", "ERR_?")


def gen(schema, name=None, acct=None):
    """A minimal valid value for schema."""
    if name == "account" and acct is not None:
        return acct
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    t = schema.get("type")
    if isinstance(t, list):
        t = [x for x in t if x != "null"][0] if len(t) > 1 else t[0]
    if t == "string":
        n = max(schema.get("minLength", 1), 1)
        v = "INBOX" if name and "folder" in name else "x" * n
        return v[: schema.get("maxLength", len(v))] if len(v) >= n else "x" * n
    if t in ("integer", "number"):
        lo = schema.get("minimum", 1)
        if "exclusiveMinimum" in schema:
            lo = schema["exclusiveMinimum"] + 1
        v = max(lo, 1)
        return min(v, schema.get("maximum", v))
    if t == "boolean":
        return False
    if t == "array":
        return [gen(schema.get("items", {}), name) for _ in range(schema.get("minItems", 0))]
    if t == "object":
        props = schema.get("properties", {})
        return {k: gen(props.get(k, {}), k, acct) for k in schema.get("required", [])}
    return "x"


def args_for(tool, acct):
    """Generated arguments, naming the account explicitly for mail tools."""
    a = gen(meta[tool]["schema"], acct=acct)
    if meta[tool]["scoped"]:
        a["account"] = acct
    return a


def used_value(schema):
    """A value that counts as using a sub-capability argument."""
    t = schema.get("type")
    if t == "boolean" or (isinstance(t, list) and "boolean" in t):
        return True
    v = gen(schema)
    return v if v not in (None, False) else "x"


def names(lst):
    return [x.strip() for x in (lst or "").split(",") if x.strip()]


def leaves(ov, name):
    allow, deny = ov
    if name in names(deny):
        return False
    return not names(allow) or name in names(allow)


def main():
    # ---- 1. discovery ----------------------------------------------------------------
    write_conf([account("solo", "destructive")])
    root = token("root", "*", "destructive")
    start()
    tools = tools_list(root)
    stop()
    by_name = {t["name"]: t for t in tools}
    for t in tools:
        m = t.get("_meta", {})
        props = t["inputSchema"].get("properties", {})
        meta[t["name"]] = {
            "min": m.get("imapgate/minPosture"),
            "subs": m.get("imapgate/subCapabilities", {}),
            "scoped": "account" in props,
            "schema": t["inputSchema"],
        }
        ok(meta[t["name"]]["min"] in RANK, f"{t['name']}: _meta states its minimum posture")
        if t["name"] in DESIGN:
            ok(meta[t["name"]]["min"] == DESIGN[t["name"]],
               f"{t['name']}: minimum posture {meta[t['name']]['min']} matches DESIGN §4.3")
        else:
            print(f"# {t['name']}: not in the DESIGN §4.3 table (posture from code: "
                  f"{meta[t['name']]['min']})")
        for sub, p in meta[t["name"]]["subs"].items():
            if sub in DESIGN_SUB:
                ok(p == DESIGN_SUB[sub], f"{sub}: posture {p} matches DESIGN §4.3")
    say_ok(f"discovered {len(tools)} tools: {', '.join(sorted(by_name))}")

    scoped = sorted(n for n in meta if meta[n]["scoped"])
    unscoped = sorted(n for n in meta if not meta[n]["scoped"])
    subs = sorted(s for n in meta for s in meta[n]["subs"])
    # generated override sets: none, deny one scoped tool (+ one sub-capability),
    # allow-list of every other tool (+ every other sub-capability)
    acct_sets = [("", "")]
    if scoped:
        acct_sets.append(("", ",".join([scoped[0]] + subs[:1])))
        allow = scoped[1::2] + subs[1::2]
        acct_sets.append((",".join(allow) if allow else scoped[0], ""))
    tok_sets = [("", "")]
    every = sorted(meta)
    tok_sets.append(("", ",".join(every[-1:] + subs[-1:])))
    allow = every[::2] + subs[::2]
    tok_sets.append((",".join(allow), ""))

    # ---- 2. the matrix ---------------------------------------------------------------
    accts = []
    cells = []
    for ap in POSTURES:
        for ai, aset in enumerate(acct_sets):
            name = f"a{RANK[ap]}{ai}"
            extra = ""
            if aset[0]:
                extra += f"tools_allow = {aset[0]}\n"
            if aset[1]:
                extra += f"tools_deny = {aset[1]}\n"
            accts.append(account(name, ap, extra))
            cells.append((name, ap, aset))
    # cross-tenant, rate-limit and breaker accounts
    accts += [account("ta", "destructive"), account("tb", "destructive"),
              account("brk", "full"), account("other", "full")]
    write_conf(accts)
    tokens = []
    for (aname, ap, aset) in cells:
        for cap in POSTURES:
            for ti, tset in enumerate(tok_sets):
                tname = f"m_{aname}_{RANK[cap]}{ti}"
                secret = token(tname, aname, cap, allow=tset[0], deny=tset[1])
                tokens.append((secret, tname, aname, ap, aset, cap, tset))
    say_ok(f"created {len(tokens)} matrix tokens ({len(cells)} accounts x 4 caps x "
           f"{len(tok_sets)} token override sets)")
    r = cli("check")
    if ok(r.returncode == 0 and "tool matrix" in r.stdout and "m_a00_30" in r.stdout
          and "m_a32_22" in r.stdout, "imapgate check prints the tool matrix for every token"):
        say_ok("imapgate check prints the tool matrix of every token")
    start()
    n_calls = 0
    for (secret, tname, aname, ap, aset, cap, tset) in tokens:
        def allowed(tool):
            m = meta[tool]
            eff = min(RANK[ap], RANK[cap]) if m["scoped"] else RANK[cap]
            return (RANK[m["min"]] <= eff and leaves(tset, tool)
                    and (not m["scoped"] or leaves(aset, tool)))

        def sub_allowed(tool, sub):
            m = meta[tool]
            eff = min(RANK[ap], RANK[cap]) if m["scoped"] else RANK[cap]
            return (allowed(tool) and RANK[m["subs"][sub]] <= eff and leaves(tset, sub)
                    and (not m["scoped"] or leaves(aset, sub)))

        listed = {t["name"] for t in tools_list(secret)}
        want = {n for n in meta if allowed(n)}
        ok(listed == want, f"{tname}: tools/list {sorted(listed)} == expected {sorted(want)}")
        for tool in sorted(meta):
            args = args_for(tool, aname)
            c = code_of(call(secret, tool, args))
            n_calls += 1
            if allowed(tool):
                ok(c != "ERR_POSTURE_DENIED" and not c.startswith("RPC"),
                   f"{tname}: {tool} allowed (got {c})")
            else:
                ok(c == "ERR_POSTURE_DENIED", f"{tname}: {tool} denied (got {c})")
            for sub in sorted(meta[tool]["subs"]):
                arg = sub.split(".", 1)[1]
                a2 = dict(args)
                a2[arg] = used_value(meta[tool]["schema"]["properties"][arg])
                c = code_of(call(secret, tool, a2))
                n_calls += 1
                if sub_allowed(tool, sub):
                    ok(c != "ERR_POSTURE_DENIED", f"{tname}: {sub} allowed (got {c})")
                else:
                    ok(c == "ERR_POSTURE_DENIED", f"{tname}: {sub} denied (got {c})")
    say_ok(f"matrix: {len(tokens)} tokens x {len(meta)} tools, {n_calls} calls checked")

    # ---- 3. cross-tenant ---------------------------------------------------------------
    stop()
    ta = token("tenant_a", "ta", "destructive")
    tb = token("tenant_b", "tb", "destructive")
    start()
    checked = 0
    for tool in scoped:
        for era in ("stateless", "legacy"):
            sess = None if era == "stateless" else legacy_session(ta)
            theirs = call(ta, tool, args_for(tool, "tb"), rid=42, session=sess, raw=True)
            nowhere = call(ta, tool, args_for(tool, "no_such_acct"), rid=42, session=sess,
                           raw=True)
            ok(theirs == nowhere, f"cross-tenant {era}: {tool} naming another tenant's account "
               f"answers exactly like a nonexistent one")
            ok(b"ERR_NOT_FOUND" in theirs, f"cross-tenant {era}: {tool} -> ERR_NOT_FOUND")
            ok(b"tb" not in theirs.replace(b"\"tb\"", b""), f"cross-tenant {era}: {tool} "
               "response does not name the other account")
            checked += 1
        # and B still reaches its own account
        ok(code_of(call(tb, tool, args_for(tool, "tb"))) != "ERR_NOT_FOUND",
           f"cross-tenant: {tool} reaches the token's own account")
    say_ok(f"cross-tenant: {checked} tool x era pairs indistinguishable from not found")

    # legacy tools/list is filtered like the stateless one
    for (secret, tname, *_rest) in tokens[:: max(1, len(tokens) // 12)]:
        s = legacy_session(secret)
        ok({t["name"] for t in tools_list(secret, session=s)} ==
           {t["name"] for t in tools_list(secret)},
           f"{tname}: legacy-session tools/list == stateless tools/list")
    say_ok("legacy-session tools/list filtered exactly like the stateless one")

    # 2025-03-26 batches run the chain synchronously: same list, same refusals
    batch_checked = 0
    for (secret, tname, aname, ap, aset, cap, tset) in tokens[:: max(1, len(tokens) // 24)]:
        s = legacy_session(secret, "2025-03-26")
        want = {t["name"] for t in tools_list(secret)}
        denied = sorted(n for n in meta if n not in want)
        reqs = [{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}]
        for i, n in enumerate(denied):
            reqs.append({"jsonrpc": "2.0", "id": 2 + i, "method": "tools/call",
                         "params": {"name": n, "arguments": args_for(n, aname)}})
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        c.request("POST", "/mcp", body=json.dumps(reqs), headers={
            "Authorization": f"Bearer {secret}", "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream", "Mcp-Session-Id": s[0],
            "MCP-Protocol-Version": "2025-03-26"})
        r = c.getresponse()
        out = {m["id"]: m for m in json.loads(r.read())}
        c.close()
        ok({t["name"] for t in out[1]["result"]["tools"]} == want,
           f"{tname}: batch tools/list == stateless tools/list")
        for i, n in enumerate(denied):
            ok(code_of(out[2 + i]) == "ERR_POSTURE_DENIED",
               f"{tname}: batch call of {n} denied (got {code_of(out[2 + i])})")
        batch_checked += 1
    say_ok(f"2025-03-26 batches: {batch_checked} tokens, lists and refusals as stateless")

    # ---- 4. rate limits and breaker -----------------------------------------------------
    stop()
    rl = token("limited", "other", "full", rate="3/min")
    free = token("unlimited", "other", "full")
    brk = token("breaker", "brk,other", "full")
    start()
    codes = [code_of(call(rl, "list_accounts", {})) for _ in range(3)]
    ok(codes == ["OK"] * 3, f"rate limit: burst of 3 passes ({codes})")
    r = call(rl, "list_accounts", {})
    err = r["result"].get("_meta", {}).get("imapgate/error", {})
    ok(err.get("code") == "ERR_RATE_LIMITED" and isinstance(err.get("retry_after_ms"), int)
       and 0 < err["retry_after_ms"] <= 20000,
       f"rate limit: 4th call refused with retry_after_ms ({err})")
    ok(code_of(call(free, "list_accounts", {})) == "OK",
       "rate limit: another token is unaffected")
    say_ok("rate limits: burst, refusal with retry_after_ms, tenants independent")
    if "list_folders" in meta:
        seen = [code_of(call(brk, "list_folders", {"account": "brk"})) for _ in range(5)]
        ok(all(c in ("ERR_CONNECTION_LOST", "ERR_TIMEOUT") for c in seen),
           f"breaker: unreachable server -> service errors ({seen})")
        r = call(brk, "list_folders", {"account": "brk"})
        err = r["result"].get("_meta", {}).get("imapgate/error", {})
        ok(err.get("code") == "ERR_CIRCUIT_OPEN" and 0 < err.get("retry_after_ms", 0) <= 5000,
           f"breaker: 6th call -> ERR_CIRCUIT_OPEN with retry_after_ms ({err})")
        c = code_of(call(brk, "list_folders", {"account": "other"}))
        ok(c != "ERR_CIRCUIT_OPEN", f"breaker: another account is unaffected ({c})")
        say_ok("circuit breaker: opens after 5 service errors, other accounts unaffected")
    rc = stop()
    ok(rc == 0, f"gateway exits 0 on SIGTERM (got {rc})")

    # ---- 5. unknown override names ------------------------------------------------------
    write_conf([account("solo", "full", "tools_deny = list_folders, no_such_tool\n")])
    r = cli("check", check=False)
    ok(r.returncode == 1 and "[account solo] tools_deny: unknown tool or sub-capability "
       "'no_such_tool'" in r.stderr, f"check refuses an unknown override name ({r.stderr.strip()})")
    r = subprocess.run([BIN, "--config", CONF, "serve"], capture_output=True, text=True,
                       timeout=30)
    ok(r.returncode == 1 and "no_such_tool" in r.stderr, "serve refuses an unknown override name")
    write_conf([account("solo", "full")])
    r = cli("token", "create", "--name", "bad", "--tools-deny", "list_folders.account",
            check=False)
    ok(r.returncode == 2 and "list_folders.account" in r.stderr,
       "token create refuses a name that is no tool or sub-capability")
    say_ok("unknown override names refused by check, serve and token create")
    say_ok(f"{passes} checks passed, {failures} failed")
    return 1 if failures else 0


try:
    rc = main()
except Exception as e:  # a crash is a failure, never a pass
    print(f"not ok - security_suite: driver error: {e!r}", flush=True)
    rc = 1
finally:
    stop()
sys.exit(rc)
