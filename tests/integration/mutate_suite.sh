#!/usr/bin/env bash
# Mutating tools suite (issue 7 part 1, DESIGN §4.3, §8): a throwaway Dovecot
# (tests/imap/dovecot.sh) and two scripted servers without MOVE
# (tests/imap/hostile_imap.py no-move, no-move-no-uidplus), then the gateway
# (BUILD_DIR/imapgate-test serve) driven over MCP (stateless 2026-07-28):
#   - every mutation (mark_read, mark_unread, flag, unflag, add_label, remove_label,
#     move_message, delete_message, expunge, create_folder, rename_folder,
#     delete_folder) checked with an INDEPENDENT IMAP client (python imaplib over
#     IMAPS, verified against the test CA), and — when the binary has `search` — with
#     the cache: for folders already synced, cache.db (read straight from the file) equals
#     the server the moment each mutating call returns (flags, moved messages gone from
#     the source and present in the destination, deleted -> in Trash, expunged gone,
#     renamed/deleted folders and their children gone from the cache), and the next
#     `search` agrees (source "cache"; flag criteria; old folder name not found);
#   - guards: every protected folder x rename/delete -> ERR_PROTECTED_FOLDER, parents
#     of protected folders, renames onto/into protected names, expunge/delete_folder
#     outside expunge_folders -> ERR_EXPUNGE_DENIED with the server unchanged,
#     expected_uidvalidity mismatch, the keyword and input validation tables;
#   - the MOVE fallback: COPY + STORE \Deleted + UID EXPUNGE of exactly the moved
#     UIDs (a message someone else marked \Deleted stays), new UIDs from COPYUID and
#     server_non_atomic_move_fallback; without UIDPLUS the move is refused untouched.
# Prints TAP-like lines ("ok - …" / "not ok - …"); exit 1 if any "not ok".
# Bounded: the whole suite ends within SUITE_BUDGET seconds (default 300).
#
# usage: tests/integration/mutate_suite.sh BUILD_DIR
# env:   KEEP_TMP=1  keep the temporary directory (logs, configs)
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init mutate_suite 300 igmut "$@"

if [ ! -x "$bin" ]; then
	nok "imapgate-test built" "$bin missing"
	exit 1
fi

# ---------------------------------------------------------------- servers
ig_dovecot_start --no-fill
ok "Dovecot started in ${START_MS} ms"
declare -A hport
for s in no-move no-move-no-uidplus; do
	ig_bg "h-$s" "$PY" "$root/tests/imap/hostile_imap.py" --port 0 --scenario "$s" \
		--cert "$CERT_FILE" --key "$KEY_FILE" --max-seconds "$budget" --log "$tmp/$s.log"
done
for s in no-move no-move-no-uidplus; do
	hport[$s]=$(ig_wait_port "$tmp/h-$s.out")
	if [ -z "${hport[$s]}" ]; then
		nok "scripted server $s starts" "$(head -c 300 "$tmp/h-$s.err")"
		exit 1
	fi
done
ok "scripted servers without MOVE listening (${hport[no-move]}, ${hport[no-move-no-uidplus]})"

# ---------------------------------------------------------------- gateway
gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
printf 'hostile-password' >"$tmp/hostile.pw"
chmod 0600 "$tmp/hostile.pw"
{
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = destructive\n\n'
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT" \
		"posture = destructive" "protected_folders = Keep, Projects/Vault" \
		"expunge_folders = Scratch, Scratch/Old, Keep, Gone"
	for s in no-move no-move-no-uidplus; do
		ig_conf_account "h-$s" "${hport[$s]}" implicit hostile "$tmp/hostile.pw" "$FINGERPRINT" \
			"posture = destructive"
	done
} >"$conf"
token=$(ig_token mutate-suite --posture destructive)
if [ -n "$token" ]; then ok "token created"; else
	nok "token created" "$(head -c 300 "$ig_cli_err")"
	exit 1
fi
if ig_gateway_start; then ok "gateway serves"; else
	nok "gateway starts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"
	exit 1
fi

cat >"$tmp/checks.py" <<'PY'
import imaplib, json, os, re, sqlite3, ssl, sys, time
tmp, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sys.path.insert(0, os.environ["IG_SUITE_DIR"])
import mcp_client  # noqa: E402
dv = os.path.join(tmp, "dv")
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
pw = open(os.path.join(dv, "alice.pw")).read()
url = "http://127.0.0.1:%d/mcp" % port
fails = 0

def out(name, cond, why=""):
    global fails
    if cond:
        print("ok - mutate_suite: %s" % name, flush=True)
    else:
        fails += 1
        print("not ok - mutate_suite: %s%s" % (name, " (%s)" % str(why)[:400] if why else ""), flush=True)

def rpc(method, params, name=None, limit=60):
    return mcp_client.rpc(url, token, method, params, name, limit)

def call(tool, account="alice", **args):
    args = dict(args, account=account)
    r = rpc("tools/call", {"name": tool, "arguments": args}, tool)
    res = r.get("result") or {}
    sc = res.get("structuredContent") or {}
    if res.get("isError"):
        return ((res.get("_meta") or {}).get("imapgate/error") or {}).get("code") or "isError without code", sc
    if "result" not in r:
        return "protocol: %s" % json.dumps(r)[:300], {}
    return None, sc

# --- the independent client ---
def imap():
    ctx = ssl.create_default_context(cafile=env["CA_FILE"])
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx, timeout=10)
    m.login("alice", pw)
    return m

def q(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'

def folders():
    m = imap()
    typ, data = m.list('""', '"*"')
    m.logout()
    names = set()
    for line in data:
        line = line.decode()
        names.add(line.split(' "/" ', 1)[1].strip('"'))
    return names

def uids(folder):
    m = imap()
    m.select(q(folder), readonly=True)
    typ, data = m.uid("SEARCH", None, "ALL")
    m.logout()
    return [int(x) for x in data[0].split()]

def flags(folder):
    """{uid: set(flags)}"""
    m = imap()
    m.select(q(folder), readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(UID FLAGS)")
    m.logout()
    got = {}
    for line in data:
        if not line:
            continue
        s = line.decode() if isinstance(line, bytes) else line[0].decode()
        mu = re.search(r"UID (\d+)", s)
        mf = re.search(r"FLAGS \(([^)]*)\)", s)
        if mu and mf:
            got[int(mu.group(1))] = set(mf.group(1).split())
    return got

def msgids(folder):
    """{uid: Message-ID}"""
    m = imap()
    m.select(q(folder), readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    m.logout()
    got = {}
    for item in data:
        if isinstance(item, tuple):
            mu = re.search(rb"UID (\d+)", item[0])
            mi = re.search(rb"<([^>]+)>", item[1])
            if mu and mi:
                got[int(mu.group(1))] = mi.group(1).decode()
    return got

def uidvalidity(folder):
    m = imap()
    typ, data = m.status(q(folder), "(UIDVALIDITY)")
    m.logout()
    return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

def setup():
    m = imap()
    for f in ("Mut", "Keep", "Projects", "Projects/Vault", "Scratch", "Scratch/Old", "Plain", "Gone"):
        m.create(q(f))
    for i in range(1, 13):
        msg = ("From: Tester <t@example.org>\r\nTo: alice@example.test\r\nSubject: mutate %d\r\n"
               "Message-ID: <mut-%d@example.org>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nbody %d\r\n" % (i, i, i))
        m.append(q("Mut"), None, None, msg.encode())
    for i in range(1, 6):
        msg = ("From: t@example.org\r\nSubject: scratch %d\r\nMessage-ID: <scr-%d@example.org>\r\n\r\nx\r\n" % (i, i))
        m.append(q("Scratch"), None, None, msg.encode())
    m.logout()
setup()

tl = rpc("tools/list", {}, limit=10)
names = {t.get("name") for t in (tl.get("result") or {}).get("tools", [])}
want = {"mark_read", "mark_unread", "flag", "unflag", "add_label", "remove_label", "move_message",
        "delete_message", "expunge", "create_folder", "rename_folder", "delete_folder"}
out("tools/list offers the 12 mutating tools", want <= names, "missing %s" % sorted(want - names))
has_search = "search" in names

def search_agrees(folder, expect_uids, label):
    """The next search (cache) agrees with the server at once (when search exists)."""
    if not has_search:
        return
    code, sc = call("search", folder=folder, limit=100)
    got = set()
    def walk(o):
        if isinstance(o, dict):
            if isinstance(o.get("uid"), int):
                got.add(o["uid"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(sc)
    out("search agrees at once after %s (%s)" % (label, folder), code is None and got == set(expect_uids),
        "code %s, search %s, server %s" % (code, sorted(got), sorted(expect_uids)))

cache_db = os.path.join(tmp, "data", "cache.db")

def cache_rows(folder):
    """{uid: flags} of folder as cache.db holds it now (None: no folder row)."""
    if not os.path.exists(cache_db):
        return None
    con = sqlite3.connect("file:%s?mode=ro" % cache_db, uri=True, timeout=10)
    try:
        r = con.execute("SELECT id, uidvalidity FROM folders WHERE account = ? AND name = ?",
                        ("alice", folder)).fetchone()
        if r is None:
            return None
        rows = con.execute("SELECT uid, flags FROM messages WHERE folder_id = ? AND uidvalidity = ?",
                           (r[0], r[1])).fetchall()
    finally:
        con.close()
    return {u: set(f.split()) - {"\\Recent"} for u, f in rows}

def server_rows(folder):
    return {u: f - {"\\Recent"} for u, f in flags(folder).items()}

def cache_agrees(folder, label):
    """cache.db equals the server as soon as the call returned (the job synced it)."""
    if not has_search:
        return
    c, sv = cache_rows(folder), server_rows(folder)
    out("cache.db equals the server right after %s (%s)" % (label, folder), c == sv,
        "cache %s server %s" % (c, sv))

def search_uids(folder, **crit):
    code, sc = call("search", folder=folder, limit=100, **crit)
    got = [m.get("uid") for m in ((sc.get("untrusted") or {}).get("messages") or [])]
    return code, set(got), (sc.get("meta") or {}).get("source")

def wait_cached(folders_, budget=60):
    """Searches each folder until the answer comes from the cache (idle sync done)."""
    if not has_search:
        return
    end = time.time() + budget
    pending = list(folders_)
    while pending and time.time() < end:
        pending = [f for f in pending if search_uids(f)[2] != "cache"]
        if pending:
            time.sleep(0.5)
    out("folders synced into the cache before the mutations (%s)" % ", ".join(folders_), not pending,
        "still not cached: %s" % pending)

def search_flags_agree(folder, flag, crit, label):
    if not has_search:
        return
    sv = server_rows(folder)
    want_on = {u for u, f in sv.items() if flag in f}
    code1, on, src1 = search_uids(folder, **{crit: True})
    code2, off, src2 = search_uids(folder, **{crit: False})
    out("search %s=true/false agrees at once after %s (%s)" % (crit, label, folder),
        code1 is None and code2 is None and on == want_on and off == set(sv) - want_on
        and src1 == src2 == "cache",
        "codes %s/%s on %s off %s server %s sources %s/%s" % (code1, code2, sorted(on), sorted(off),
                                                              sorted(want_on), src1, src2))

wait_cached(["Mut", "Archive", "Trash", "Scratch"])
mut = uids("Mut")
uv = uidvalidity("Mut")
out("setup: 12 messages in Mut (independent client)", len(mut) == 12, mut)
u1, u2, u3, u4, u5, u6 = mut[:6]

# --- flags
for tool, flag, present in (("mark_read", "\\Seen", True), ("mark_unread", "\\Seen", False),
                            ("flag", "\\Flagged", True), ("unflag", "\\Flagged", False)):
    if present is False:  # start from the opposite state set by the independent client
        m = imap(); m.select(q("Mut")); m.uid("STORE", "%d,%d" % (u1, u2), "+FLAGS", "(%s)" % flag); m.logout()
    code, sc = call(tool, folder="Mut", uids=[u1, u2])
    f = flags("Mut")
    meta = sc.get("meta") or {}
    out("%s uids [%d,%d]: server shows %s %s" % (tool, u1, u2, flag, "set" if present else "cleared"),
        code is None and all((flag in f[u]) == present for u in (u1, u2)) and (flag in f[u3]) is False
        and meta.get("uids") == [u1, u2] and meta.get("uidvalidity") == uv and meta.get("account") == "alice",
        "code %s meta %s flags %s" % (code, meta, {u: f.get(u) for u in (u1, u2, u3)}))
    cache_agrees("Mut", tool)
    search_flags_agree("Mut", flag, "seen" if flag == "\\Seen" else "flagged", tool)
search_agrees("Mut", uids("Mut"), "flag changes")

code, sc = call("add_label", folder="Mut", uid=u3, label="$Todo")
out("add_label $Todo: keyword on the server", code is None and "$Todo" in flags("Mut")[u3], code)
cache_agrees("Mut", "add_label")
code, sc = call("remove_label", folder="Mut", uid=u3, label="$Todo")
out("remove_label $Todo: keyword gone from the server", code is None and "$Todo" not in flags("Mut")[u3], code)
cache_agrees("Mut", "remove_label")

before = flags("Mut")
bad_labels = ["\\Seen", "\\Flagged", "\\Deleted", "\\Draft", "\\Answered", "\\Recent", "\\*",
              "two words", "a(b", "a)b", "a{b", "a\"b", "a\\b", "a%b", "a*b", "a]b", "caf\u00e9",
              "\u00ff", "\u200bx", "x\ty", "x\r\nA1 LOGOUT", "x\u0000y", "", "k" * 257]
res = []
for lab in bad_labels:
    code, sc = call("add_label", folder="Mut", uid=u4, label=lab)
    res.append((lab, code))
# NUL never reaches the tool: the strict JSON parser refuses "\u0000" (-32700)
wrong = [(l, c) for l, c in res if c != "ERR_INVALID_INPUT" and not ("\0" in l and "-32700" in (c or ""))]
out("add_label refuses %d bad keywords (system flags, space, parens, quotes, %%, *, ], non-ASCII, 8-bit, controls, empty, 257 bytes) with ERR_INVALID_INPUT" % len(bad_labels),
    not wrong, wrong)
out("refused keywords left the server unchanged", flags("Mut") == before)
code, sc = call("add_label", folder="Mut", uid=u4, label="k" * 50)
out("a 50-byte keyword (Dovecot's mail_max_keyword_length) is set", code is None and "k" * 50 in flags("Mut")[u4], code)
code, sc = call("add_label", folder="Mut", uid=u4, label="k" * 256)
out("a 256-byte keyword passes the gateway; Dovecot's refusal (NO [CANNOT]) comes back as ERR_NOT_POSSIBLE",
    code == "ERR_NOT_POSSIBLE" and "k" * 256 not in flags("Mut")[u4], code)

# --- missing messages, validation, uidvalidity
code, sc = call("mark_read", folder="Mut", uids=[u5, 999999])
meta = sc.get("meta") or {}
out("mark_read with one missing UID: acts on the other, reports missing_uids",
    code is None and meta.get("uids") == [u5] and meta.get("missing_uids") == [999999] and "\\Seen" in flags("Mut")[u5], sc)
code, sc = call("mark_read", folder="Mut", uid=999999)
out("mark_read on a missing UID -> ERR_NOT_FOUND", code == "ERR_NOT_FOUND", code)
code, sc = call("mark_read", folder="No such folder", uid=1)
out("mark_read in a missing folder -> ERR_NOT_FOUND", code == "ERR_NOT_FOUND", code)
invalid = [("uid and uids", dict(folder="Mut", uid=u1, uids=[u2])),
           ("neither uid nor uids", dict(folder="Mut")),
           ("101 uids", dict(folder="Mut", uids=list(range(1, 102)))),
           ("repeated uid", dict(folder="Mut", uids=[u1, u1])),
           ("uid 0", dict(folder="Mut", uid=0)),
           ("uid 2^32", dict(folder="Mut", uid=4294967296)),
           ("uid as string", dict(folder="Mut", uid="1")),
           ("folder missing", dict(uid=u1)),
           ("folder with CR LF", dict(folder="Mut\r\nA1 DELETE INBOX", uid=u1)),
           ("folder with a wildcard", dict(folder="M*", uid=u1)),
           ("folder with RLO", dict(folder="Mut\u202e", uid=u1)),
           ("folder of 256 bytes", dict(folder="f" * 256, uid=u1)),
           ("unknown argument", dict(folder="Mut", uid=u1, extra=1)),
           ("expected_uidvalidity 0", dict(folder="Mut", uid=u1, expected_uidvalidity=0))]
wrong = []
for label, a in invalid:
    code, sc = call("mark_read", **a)
    if code not in ("ERR_INVALID_INPUT",) and not (code or "").startswith("protocol:"):
        wrong.append((label, code))
out("%d invalid inputs refused before any IMAP work" % len(invalid), not wrong, wrong)

before = flags("Mut")
code, sc = call("flag", folder="Mut", uid=u6, expected_uidvalidity=uv + 1)
out("expected_uidvalidity mismatch -> ERR_UID_VALIDITY_CHANGED, nothing changed",
    code == "ERR_UID_VALIDITY_CHANGED" and flags("Mut") == before, code)
code, sc = call("flag", folder="Mut", uid=u6, expected_uidvalidity=uv)
out("expected_uidvalidity match -> flagged", code is None and "\\Flagged" in flags("Mut")[u6], code)

# --- move
ids = msgids("Mut")
arch_before = set(uids("Archive"))
code, sc = call("move_message", folder="Mut", uids=[u1, u2], destination="Archive")
meta = sc.get("meta") or {}
arch = msgids("Archive")
nu = meta.get("new_uids") or []
ok_map = len(nu) == 2 and all(isinstance(n, int) and arch.get(n) == ids[u] for n, u in zip(nu, (u1, u2)))
out("move_message Mut -> Archive: gone from Mut, in Archive under new_uids (same Message-ID), MOVE used",
    code is None and u1 not in uids("Mut") and u2 not in uids("Mut") and ok_map
    and meta.get("server_non_atomic_move_fallback") is False and meta.get("destination_uidvalidity") == uidvalidity("Archive"),
    "code %s meta %s archive %s" % (code, meta, arch))
cache_agrees("Mut", "move_message (source)")
cache_agrees("Archive", "move_message (destination)")
if has_search:
    c_mut, c_arch = cache_rows("Mut") or {}, cache_rows("Archive") or {}
    out("cache.db: moved messages absent from the source, present in the destination under new_uids",
        u1 not in c_mut and u2 not in c_mut and all(n in c_arch for n in nu), "mut %s archive %s new %s" % (sorted(c_mut), sorted(c_arch), nu))
    code_s, got_s, src_s = search_uids("Archive")
    out("search of the destination finds the moved messages at once (cache)",
        code_s is None and set(nu) <= got_s and src_s == "cache", "code %s got %s src %s" % (code_s, got_s, src_s))
search_agrees("Mut", uids("Mut"), "move (source)")
search_agrees("Archive", uids("Archive"), "move (destination)")
code, sc = call("move_message", folder="Mut", uid=u3, destination="Nowhere")
out("move to a missing folder -> ERR_NOT_FOUND, message stays", code == "ERR_NOT_FOUND" and u3 in uids("Mut"), code)
code, sc = call("move_message", folder="Mut", uid=u3, destination="Mut")
out("move onto its own folder -> ERR_INVALID_INPUT", code == "ERR_INVALID_INPUT", code)

# --- delete_message
trash_before = set(uids("Trash"))
code, sc = call("delete_message", folder="Mut", uid=u3)
meta = sc.get("meta") or {}
tr = msgids("Trash")
nu = (meta.get("new_uids") or [None])[0]
out("delete_message: moved to \\Trash (independent client finds it there)",
    code is None and u3 not in uids("Mut") and tr.get(nu) == ids[u3] and
    (sc.get("untrusted") or {}).get("destination") == "Trash", "code %s sc %s" % (code, sc))
cache_agrees("Mut", "delete_message (source)")
cache_agrees("Trash", "delete_message (\\Trash)")
if has_search:
    code_s, got_s, src_s = search_uids("Trash")
    code_m, got_m, src_m = search_uids("Mut")
    out("search at once after delete_message: in Trash, not in the source (cache)",
        code_s is None and nu in got_s and u3 not in got_m and src_s == src_m == "cache",
        "trash %s mut %s sources %s/%s" % (sorted(got_s), sorted(got_m), src_s, src_m))
code, sc = call("delete_message", folder="Trash", uid=nu)
out("delete_message inside Trash -> ERR_INVALID_INPUT, message stays", code == "ERR_INVALID_INPUT" and nu in uids("Trash"), code)

# --- expunge
m = imap(); m.select(q("Mut")); m.uid("STORE", str(u4), "+FLAGS", "(\\Deleted)"); m.logout()
code, sc = call("expunge", folder="Mut")
out("expunge outside expunge_folders -> ERR_EXPUNGE_DENIED, \\Deleted message still there",
    code == "ERR_EXPUNGE_DENIED" and u4 in uids("Mut"), code)
code, sc = call("expunge", folder="Mut", uid=u4)
out("expunge with uid outside expunge_folders -> ERR_EXPUNGE_DENIED", code == "ERR_EXPUNGE_DENIED" and u4 in uids("Mut"), code)
s = uids("Scratch")
m = imap(); m.select(q("Scratch")); m.uid("STORE", "%d,%d" % (s[0], s[1]), "+FLAGS", "(\\Deleted)"); m.logout()
code, sc = call("expunge", folder="Scratch", uids=[s[0], s[2]])
left = uids("Scratch")
out("expunge uids in an allowed folder: only the listed \\Deleted one goes (UID EXPUNGE)",
    code is None and s[0] not in left and s[1] in left and s[2] in left and (sc.get("meta") or {}).get("expunged_count") == 1,
    "code %s left %s sc %s" % (code, left, sc))
code, sc = call("expunge", folder="Scratch")
left = uids("Scratch")
out("expunge a whole allowed folder: every \\Deleted message goes",
    code is None and s[1] not in left and set(s[2:]) <= set(left) and (sc.get("meta") or {}).get("expunged_count") == 1, "code %s left %s" % (code, left))
cache_agrees("Scratch", "expunge")
search_agrees("Scratch", left, "expunge")

# --- folders
code, sc = call("create_folder", folder="Neu/Unterordner \u00e4")
out("create_folder (non-ASCII, nested): the server lists it", code is None and "Neu/Unterordner &AOQ-" in folders(), code)
code, sc = call("create_folder", folder="Mut")
out("create_folder of an existing name -> ERR_INVALID_INPUT", code == "ERR_INVALID_INPUT", code)
for bad in ("/lead", "trail/", "a//b", "a/../b"):
    code, sc = call("create_folder", folder=bad)
    out("create_folder %r refused (delimiter rules), nothing created" % bad,
        code == "ERR_INVALID_INPUT" and not any(n.startswith(("lead", "trail", "a/")) for n in folders()), code)
if has_search:
    m = imap()
    m.create(q("Plain/Child"))
    for fo in ("Plain", "Plain/Child"):
        m.append(q(fo), None, None, ("From: t@example.org\r\nSubject: plain\r\nMessage-ID: <pl-%s@example.org>\r\n\r\nx\r\n" % fo.replace("/", "-")).encode())
    m.logout()
    wait_cached(["Plain", "Plain/Child", "Scratch/Old"])
code, sc = call("rename_folder", folder="Plain", new_name="Plain2")
f = folders()
out("rename_folder Plain -> Plain2: the server lists the new name only", code is None and "Plain2" in f and "Plain" not in f, code)
if has_search:
    out("cache.db: the renamed folder and its child are gone under their old names",
        cache_rows("Plain") is None and cache_rows("Plain/Child") is None,
        "Plain %s Plain/Child %s" % (cache_rows("Plain"), cache_rows("Plain/Child")))
    code_o, got_o, _ = search_uids("Plain")
    code_c, got_c, _ = search_uids("Plain/Child")
    code_n, got_n, _ = search_uids("Plain2")
    code_nc, got_nc, _ = search_uids("Plain2/Child")
    out("search after rename_folder: old names not found, new names find the messages",
        code_o == "ERR_NOT_FOUND" and code_c == "ERR_NOT_FOUND" and code_n is None and got_n == set(uids("Plain2"))
        and len(got_n) == 1 and code_nc is None and got_nc == set(uids("Plain2/Child")) and len(got_nc) == 1,
        "old %s/%s new %s %s child %s %s" % (code_o, code_c, code_n, got_n, code_nc, got_nc))
    out("cache.db: the old names did not come back after those searches",
        cache_rows("Plain") is None and cache_rows("Plain/Child") is None)
code, sc = call("rename_folder", folder="Missing", new_name="X")
out("rename_folder of a missing folder -> ERR_NOT_FOUND", code == "ERR_NOT_FOUND", code)
code, sc = call("delete_folder", folder="Plain2")
out("delete_folder outside expunge_folders -> ERR_EXPUNGE_DENIED, folder stays", code == "ERR_EXPUNGE_DENIED" and "Plain2" in folders(), code)
code, sc = call("delete_folder", folder="Scratch/Old")
out("delete_folder in expunge_folders: gone from the server", code is None and "Scratch/Old" not in folders(), code)
if has_search:
    out("cache.db: the deleted folder is gone from the cache at once", cache_rows("Scratch/Old") is None
        and cache_rows("Scratch") is not None, cache_rows("Scratch/Old"))
    code_d, _, _ = search_uids("Scratch/Old")
    out("search of the deleted folder -> ERR_NOT_FOUND", code_d == "ERR_NOT_FOUND", code_d)
code, sc = call("delete_folder", folder="Gone/Never")
out("delete_folder of a missing folder -> ERR_EXPUNGE_DENIED or ERR_NOT_FOUND", code in ("ERR_EXPUNGE_DENIED", "ERR_NOT_FOUND"), code)

# --- protected folders: every one x rename/delete
before = folders()
protected = ["INBOX", "inbox", "Inbox", "Sent", "Drafts", "Trash", "Keep", "Projects/Vault"]
wrong = []
for p in protected:
    for tool, args in (("rename_folder", dict(folder=p, new_name="Renamed-" + p.replace("/", "-"))),
                       ("delete_folder", dict(folder=p))):
        code, sc = call(tool, **args)
        if code != "ERR_PROTECTED_FOLDER":
            wrong.append((tool, p, code))
out("%d protected folders x rename/delete -> ERR_PROTECTED_FOLDER (Keep is also on the expunge list)" % len(protected),
    not wrong, wrong)
wrong = []
for tool, args in (("delete_folder", dict(folder="Projects")),
                   ("rename_folder", dict(folder="Projects", new_name="P2")),
                   ("rename_folder", dict(folder="Plain2", new_name="Sent")),
                   ("rename_folder", dict(folder="Plain2", new_name="sent")),
                   ("rename_folder", dict(folder="Plain2", new_name="INBOX")),
                   ("rename_folder", dict(folder="Plain2", new_name="Trash/Plain2")),
                   ("rename_folder", dict(folder="Plain2", new_name="INBOX/Sent")),  # INBOX/x is allowed (classic layout), INBOX/Sent is not
                   ("rename_folder", dict(folder="Plain2", new_name="Keep"))):
    code, sc = call(tool, **args)
    if code != "ERR_PROTECTED_FOLDER":
        wrong.append((tool, args, code))
out("parents of protected folders, and renames onto or into protected names -> ERR_PROTECTED_FOLDER",
    not wrong, wrong)
out("the refused folder operations left the server's folder list unchanged", folders() == before,
    sorted(set(folders()) ^ set(before)))

# --- no MOVE: the UIDPLUS fallback on the scripted server
code, sc = call("move_message", account="h-no-move", folder="INBOX", uids=[1, 2], destination="Archive")
meta = sc.get("meta") or {}
warn = [w.get("code") for w in sc.get("security_warnings") or []]
log = open(os.path.join(tmp, "no-move.log")).read()
cmds = [l[3:] for l in log.splitlines() if l.startswith("C: ")]
state = [l[3:] for l in log.splitlines() if l.startswith("S: ")][-1:] or [""]
exp_cmds = [c for c in cmds if re.search(r"\bEXPUNGE\b", c)]
out("no MOVE: COPY + STORE \\Deleted + UID EXPUNGE of exactly UIDs 1:2, fallback flagged, new UIDs from COPYUID",
    code is None and meta.get("server_non_atomic_move_fallback") is True and "server_non_atomic_move_fallback" in warn
    and meta.get("new_uids") == [1, 2] and meta.get("destination_uidvalidity") == 12
    and any(re.search(r"UID COPY 1:2 \"?Archive", c) for c in cmds)
    and any(re.search(r"UID STORE 1:2 \+FLAGS.SILENT \(\\Deleted\)", c) for c in cmds)
    and [c.split(" ", 1)[1] for c in exp_cmds] == ["UID EXPUNGE 1:2"],
    "code %s meta %s warn %s cmds %s" % (code, meta, warn, cmds))
out("no MOVE: the message someone else marked \\Deleted (UID 3) is still in INBOX",
    "INBOX=3D,4,5" in state[0] and "Archive=1,2" in state[0], state)
code, sc = call("move_message", account="h-no-move-no-uidplus", folder="INBOX", uid=1, destination="Archive")
log = open(os.path.join(tmp, "no-move-no-uidplus.log")).read()
out("neither MOVE nor UIDPLUS: the move is refused and nothing was copied, flagged or expunged",
    code == "ERR_IMAP_PROTOCOL" and not re.search(r"UID (COPY|STORE)|EXPUNGE", log), "code %s log %s" % (code, log[-500:]))
sys.exit(1 if fails else 0)
PY
timeout -k 5 $((budget - 30)) "$PY" "$tmp/checks.py" "$tmp" "$gw_port" "$token" 2>>"$tmp/py.stderr" | tee -a "$results"
rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	nok "checks ran to the end" "exit $rc: $(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
fi

# ---------------------------------------------------------------- stop
if kill -0 "$gw_pid" 2>/dev/null; then
	kill -TERM "$gw_pid"
	for _ in $(seq 1 200); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$gw_pid" 2>/dev/null; then
		nok "gateway exits on SIGTERM within 10 s"
		kill -KILL "$gw_pid"
	fi
	wait "$gw_pid" 2>/dev/null
else
	nok "gateway still running at the end" "$(tail -3 "$tmp/gateway.log" | tr '\n' ' ')"
fi
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/gateway.log"; then
	nok "no sanitizer report in the gateway log" "$(grep -m1 -E 'Sanitizer|runtime error' "$tmp/gateway.log")"
else
	ok "no sanitizer report in the gateway log"
fi
if grep -qE 'hostile-password|igt_' "$tmp/gateway.log"; then nok "gateway log carries no password or token"; else ok "gateway log carries no password or token"; fi

! grep -q '^not ok' "$results"
