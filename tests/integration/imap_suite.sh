#!/usr/bin/env bash
# IMAP integration suite (issue 3 "Test harness", DESIGN §14): a throwaway Dovecot
# (tests/imap/dovecot.sh) and one scripted hostile server per scenario
# (tests/imap/hostile_imap.py), then
#   1. harness checks with python imaplib/ssl, independent of the gateway: pinned
#      IMAPS and CA-verified STARTTLS logins, capabilities, special-use and non-ASCII
#      folders, and every hostile scenario behaving as scripted;
#   2. the gateway (BUILD_DIR/imapgate-test serve) with two Dovecot accounts (alice:
#      implicit TLS + pin; bob: STARTTLS + tls_ca_file), a wrong pin, and one account
#      per hostile scenario, driven over MCP (stateless 2026-07-28 requests):
#      list_folders for alice and bob at once, every scenario -> its error code within
#      a bound, RSS bounded, process alive, alice answering while hung accounts are
#      being called, clean SIGTERM exit and no sanitizer report.
# Prints TAP-like lines ("ok - …" / "not ok - …"); exit 1 if any "not ok".
# Bounded: the whole suite ends within SUITE_BUDGET seconds (default 600).
#
# usage: tests/integration/imap_suite.sh BUILD_DIR
# env:   KEEP_TMP=1  keep the temporary directory (logs, configs, responses)
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init imap_suite 600 igimap "$@"

run_py() { # run_py LIMIT SCRIPT ARGS…: a python check script, TAP lines passed through
	local limit=$1
	shift
	timeout -k 5 "$limit" "$PY" "$@" 2>>"$tmp/py.stderr" | tee -a "$results"
	local rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		nok "$(basename "$1") timed out after ${limit}s"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		nok "$(basename "$1") crashed (exit $rc)" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
	fi
}

# ---------------------------------------------------------------- Dovecot
ig_dovecot_start
ok "Dovecot started and filled in ${START_MS} ms"
echo "# $ig_out"

# a certificate that is not Dovecot's: the wrong-cert server and the wrong pin
ig_wrong_cert

# ---------------------------------------------------------------- hostile servers
scenarios=(never-answer slow-greeting drop-mid-literal huge-literal long-line deep-nesting
	nul-in-quoted untagged-flood bad-envelope bad-bodystructure starttls-injection wrong-cert
	bye-at-greeting good forged-ok forged-ok-literal overflow-literal noselect-folder)
: >"$tmp/hostile.ports"
for s in "${scenarios[@]}"; do
	if [ "$s" = wrong-cert ]; then
		ig_hostile_start "$s" "$tmp/wrong.pem" "$tmp/wrong.key"
	else
		ig_hostile_start "$s"
	fi
	echo "$s ${pids[-1]}" >>"$tmp/hostile.pids"
done
ig_hostile_ports "${scenarios[@]}"
[ "$(wc -l <"$tmp/hostile.ports")" -eq "${#scenarios[@]}" ] && ok "${#scenarios[@]} hostile servers listening"

# ---------------------------------------------------------------- certificate names (CA mode)
# A test CA and leaves that differ only in how they name the server; each is
# served by a well-behaved hostile_imap.py. mbedTLS 2.28 matches only dNSName
# entries and falls back to the CN: the gateway matches IP hosts against
# iPAddress entries itself and refuses a certificate without SAN.
tlsnames=(ip-only dns-only cn-only wildcard)
tls_leaf() { # tls_leaf NAME CN [SAN]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tmp/n-$1.key" -out "$tmp/n-$1.csr" -subj "/CN=$2" 2>/dev/null
	{
		printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n'
		printf 'extendedKeyUsage=serverAuth\n'
		[ -n "${3:-}" ] && printf 'subjectAltName=%s\n' "$3"
	} >"$tmp/n-$1.ext"
	openssl x509 -req -in "$tmp/n-$1.csr" -CA "$tmp/nca.pem" -CAkey "$tmp/nca.key" \
		-CAcreateserial -days 2 -extfile "$tmp/n-$1.ext" -out "$tmp/n-$1.pem" 2>/dev/null
}
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-keyout "$tmp/nca.key" -out "$tmp/nca.pem" -subj "/CN=imapgate test names CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
tls_leaf ip-only "not-a-name" "IP:127.0.0.1"
tls_leaf dns-only "127.0.0.1" "DNS:localhost"
tls_leaf cn-only "localhost"
tls_leaf wildcard "localhost" "DNS:*.localhost"
for n in "${tlsnames[@]}"; do
	ig_bg "n-$n" "$PY" "$root/tests/imap/hostile_imap.py" --port 0 --scenario good \
		--cert "$tmp/n-$n.pem" --key "$tmp/n-$n.key" --max-seconds "$budget"
done
: >"$tmp/names.ports"
for n in "${tlsnames[@]}"; do
	port=$(ig_wait_port "$tmp/n-$n.out")
	if [ -n "$port" ]; then echo "$n $port" >>"$tmp/names.ports"; else nok "names server $n starts" "$(head -c 300 "$tmp/n-$n.err")"; fi
done
[ "$(wc -l <"$tmp/names.ports")" -eq "${#tlsnames[@]}" ] && ok "${#tlsnames[@]} certificate-name servers listening"

# ---------------------------------------------------------------- 1. harness checks
cat >"$tmp/harness_checks.py" <<'PY'
import hashlib, imaplib, json, os, socket, ssl, subprocess, sys, time
sys.path.insert(0, os.path.join(sys.argv[1], "tests", "imap"))
from fill import mutf7_decode  # noqa: E402
root, dv, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
env = dict(l.strip().split("=", 1) for l in open(os.path.join(dv, "env")) if "=" in l)
ports = dict(l.split() for l in open(os.path.join(tmp, "hostile.ports")))
fails = 0

def ok(name, cond, why=""):
    global fails
    if cond:
        print("ok - imap_suite: harness: %s" % name, flush=True)
    else:
        fails += 1
        print("not ok - imap_suite: harness: %s%s" % (name, " (%s)" % why if why else ""), flush=True)

def check(name, fn):
    try:
        r = fn()
        ok(name, r is True or r is None, "" if r in (True, None) else str(r)[:300])
    except Exception as e:  # noqa: BLE001
        ok(name, False, "%s: %s" % (type(e).__name__, str(e)[:300]))

pw = {u: open(os.path.join(dv, u + ".pw")).read() for u in ("alice", "bob")}
fp = env["FINGERPRINT"].replace(":", "").lower()

def pinned_ctx():
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = ssl.TLSVersion.TLSv1_2
    return c

def ca_ctx(cafile):
    c = ssl.create_default_context(cafile=cafile)
    c.minimum_version = ssl.TLSVersion.TLSv1_2
    return c

def leaf_fp(sslsock):
    return hashlib.sha256(sslsock.getpeercert(binary_form=True)).hexdigest()

# --- Dovecot ---
def dovecot_pinned():
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=pinned_ctx(), timeout=10)
    got = leaf_fp(m.sock)
    if got != fp:
        return "fingerprint %s != %s" % (got, fp)
    m.login("alice", pw["alice"])
    typ, data = m.capability()
    caps = set(data[0].decode().upper().split())
    need = {"CONDSTORE", "QRESYNC", "MOVE", "IDLE", "SPECIAL-USE", "LIST-STATUS", "UIDPLUS", "ESEARCH"}
    m.logout()
    return True if need <= caps else "missing capabilities %s" % sorted(need - caps)
check("Dovecot IMAPS with pinned leaf fingerprint: login, CONDSTORE/QRESYNC/MOVE/IDLE/SPECIAL-USE/LIST-STATUS", dovecot_pinned)

def dovecot_starttls():
    m = imaplib.IMAP4("127.0.0.1", int(env["IMAP_PORT"]), timeout=10)
    if "STARTTLS" not in m.capabilities:
        return "STARTTLS not advertised"
    m.starttls(ssl_context=ca_ctx(env["CA_FILE"]))
    m.login("bob", pw["bob"])
    m.logout()
check("Dovecot STARTTLS verified against cert.pem (CA) and host 127.0.0.1: login", dovecot_starttls)

def dovecot_wrong_ca():
    try:
        imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ca_ctx(os.path.join(tmp, "wrong.pem")), timeout=10)
    except ssl.SSLCertVerificationError:
        return True
    return "connected although the CA is wrong"
check("Dovecot refused when verified against another CA", dovecot_wrong_ca)

def dovecot_folders():
    exp = json.load(open(os.path.join(dv, "expected.json")))
    m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ca_ctx(env["CA_FILE"]), timeout=10)
    m.login("alice", pw["alice"])
    typ, data = m.list('""', '"*"')
    names = {}
    for line in data:
        line = line.decode()
        attrs = line[line.index("(") + 1:line.index(")")]
        raw = line.split(' "/" ', 1)[1].strip('"')
        names[mutf7_decode(raw)] = attrs
    m.logout()
    for n in ("Entwürfe/Überweisungen", "日本語"):
        if n not in names:
            return "non-ASCII folder %r missing: %r" % (n, sorted(names))
    for f, su in (("Drafts", "\\Drafts"), ("Sent", "\\Sent"), ("Trash", "\\Trash"), ("Junk", "\\Junk"), ("Archive", "\\Archive")):
        if su not in names.get(f, ""):
            return "%s lacks %s" % (f, su)
    if set(names) != set(exp["alice"]):
        return "LIST %r != expected.json %r" % (sorted(names), sorted(exp["alice"]))
    if exp["alice"]["INBOX"]["messages"] < 10:
        return "INBOX has only %d messages" % exp["alice"]["INBOX"]["messages"]
check("Dovecot alice: special-use folders, non-ASCII folders round-trip (mUTF-7), counts in expected.json", dovecot_folders)

# --- hostile servers (the scenarios behave as scripted) ---
def connect(scen, tls=True, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", int(ports[scen])), timeout=timeout)
    if tls:
        s = pinned_ctx().wrap_socket(s)
    return s

def read_until(s, pred, limit=4 << 20, timeout=5.0):
    buf, t = b"", time.monotonic() + timeout
    while not pred(buf) and len(buf) < limit and time.monotonic() < t:
        s.settimeout(max(0.05, t - time.monotonic()))
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        if not d:
            return buf, True
        buf += d
    return buf, False

def login_and(scen, cmd, tls=True):
    s = connect(scen, tls)
    g, _ = read_until(s, lambda b: b"\r\n" in b)
    if not g.startswith(b"* OK"):
        raise AssertionError("greeting %r" % g[:80])
    s.sendall(b"a1 LOGIN u p\r\n")
    r, _ = read_until(s, lambda b: b"a1 " in b)
    if b"a1 OK" not in r:
        raise AssertionError("login %r" % r[:80])
    s.sendall(b"a2 " + cmd + b"\r\n")
    return s

def never_answer():
    s = connect("never-answer", tls=False)
    t = time.monotonic()
    buf, eof = read_until(s, lambda b: len(b) > 0, timeout=1.5)
    s.close()
    return True if not buf and not eof and time.monotonic() - t >= 1.4 else "got %r eof=%s" % (buf[:40], eof)
check("hostile never-answer: silent after accept (no TLS handshake, no greeting)", never_answer)

def slow_greeting():
    s = connect("slow-greeting")
    buf, _ = read_until(s, lambda b: False, timeout=2.5)
    s.close()
    return True if 1 <= len(buf) <= 4 and buf.startswith(b"*") else "%d bytes in 2.5 s: %r" % (len(buf), buf)
check("hostile slow-greeting: about one byte per second", slow_greeting)

def drop_mid_literal():
    s = login_and("drop-mid-literal", b'LIST "" "*"')
    buf, eof = read_until(s, lambda b: False, timeout=3)
    return True if eof and buf.endswith(b"{100}\r\n0123456789") else "eof=%s %r" % (eof, buf[-60:])
check("hostile drop-mid-literal: {100} then 10 bytes then EOF", drop_mid_literal)

def huge_literal():
    s = login_and("huge-literal", b'LIST "" "*"')
    buf, eof = read_until(s, lambda b: b"{4294967296}\r\n" in b)
    s.close()
    return True if b"{4294967296}\r\n" in buf and not eof else "%r" % buf[:80]
check("hostile huge-literal: announces {4294967296} and stays open", huge_literal)

def long_line():
    s = login_and("long-line", b'LIST "" "*"')
    buf, eof = read_until(s, lambda b: len(b) >= (1 << 20) + 20, timeout=10)
    s.close()
    return True if len(buf) >= (1 << 20) + 20 and buf.count(b"\r\n") == 0 else "%d bytes, %d CRLF, eof=%s" % (len(buf), buf.count(b"\r\n"), eof)
check("hostile long-line: 1 MiB without CRLF", long_line)

def deep_nesting():
    s = login_and("deep-nesting", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: b"a2 OK" in b)
    s.close()
    return True if b"(" * 10000 in buf and b"a2 OK" in buf else "%d bytes" % len(buf)
check("hostile deep-nesting: 10,000 '(' in a LIST response", deep_nesting)

def nul_in_quoted():
    s = login_and("nul-in-quoted", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: b"a2 OK" in b)
    s.close()
    return True if b'"IN\x00BOX"' in buf else "%r" % buf[:80]
check("hostile nul-in-quoted: NUL inside a quoted string", nul_in_quoted)

def untagged_flood():
    s = login_and("untagged-flood", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: len(b) >= 1 << 20, limit=1 << 21, timeout=5)
    s.close()
    lines = set(buf.split(b"\r\n")[:-1])
    return True if len(buf) >= 1 << 20 and lines == {b"* 1 EXISTS"} else "%d bytes, lines %r" % (len(buf), list(lines)[:3])
check("hostile untagged-flood: at least 1 MiB of '* 1 EXISTS', no tagged answer", untagged_flood)

def bad_envelope():
    s = login_and("bad-envelope", b"UID FETCH 1 (ENVELOPE)")
    buf, _ = read_until(s, lambda b: b"a2 OK" in b)
    s.close()
    return True if b"ENVELOPE (" in buf and b"not-an-address-list" in buf else "%r" % buf[:120]
check("hostile bad-envelope: malformed ENVELOPE on FETCH", bad_envelope)

def bad_bodystructure():
    s = login_and("bad-bodystructure", b"UID FETCH 1 (BODYSTRUCTURE)")
    buf, _ = read_until(s, lambda b: b"a2 OK" in b)
    s.close()
    return True if b"BODYSTRUCTURE " + b"(" * 300 in buf and b"99999999999999999999999" in buf else "%r" % buf[:120]
check("hostile bad-bodystructure: 300-deep multipart, overflowing size", bad_bodystructure)

def starttls_injection():
    s = connect("starttls-injection", tls=False)
    g, _ = read_until(s, lambda b: b"\r\n" in b)
    if b"STARTTLS" not in g:
        return "no STARTTLS in greeting %r" % g
    s.sendall(b"a1 STARTTLS\r\n")
    buf, _ = read_until(s, lambda b: b"EXISTS\r\n" in b)
    if not (buf.startswith(b"a1 OK") and b"INJECTED" in buf):
        return "%r" % buf
    t = pinned_ctx().wrap_socket(s)  # the server goes on with TLS
    t.sendall(b"a2 CAPABILITY\r\n")
    buf, _ = read_until(t, lambda b: b"a2 OK" in b)
    t.close()
    return True if b"a2 OK" in buf and b"INJECTED" not in buf else "%r" % buf
check("hostile starttls-injection: lines in the same read as the STARTTLS OK, then TLS", starttls_injection)

def wrong_cert():
    s = connect("wrong-cert")
    got = leaf_fp(s)
    s.close()
    return True if got != fp else "presents the pinned certificate"
check("hostile wrong-cert: presents another certificate than the pinned one", wrong_cert)

def bye_at_greeting():
    s = connect("bye-at-greeting")
    buf, eof = read_until(s, lambda b: False, timeout=3)
    return True if buf.startswith(b"* BYE") and eof else "eof=%s %r" % (eof, buf[:60])
check("hostile bye-at-greeting: BYE then close", bye_at_greeting)

def forged_ok():
    s = login_and("forged-ok", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: b"a2 OK LIST done" in b)
    s.close()
    return True if b'"/" "a2 OK LIST completed"\r\n' in buf \
        and buf.endswith(b"After-Forged\r\na2 OK LIST done\r\n") else "%r" % buf
check("hostile forged-ok: the client's tagged OK as a quoted mailbox name", forged_ok)

def forged_ok_literal():
    s = login_and("forged-ok-literal", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: b"a2 OK LIST done" in b)
    s.close()
    return True if b'"/" {22}\r\na2 OK LIST completed\r\n\r\n' in buf \
        and buf.endswith(b"After-Forged\r\na2 OK LIST done\r\n") else "%r" % buf
check("hostile forged-ok-literal: the client's tagged OK line inside a literal", forged_ok_literal)

def overflow_literal():
    s = login_and("overflow-literal", b'LIST "" "*"')
    buf, _ = read_until(s, lambda b: b"a2 OK" in b)
    s.close()
    return True if b"{18446744073709551617}\r\nX\r\na2 OK" in buf else "%r" % buf
check("hostile overflow-literal: {2^64+1} then one byte", overflow_literal)

def noselect():
    m = imaplib.IMAP4_SSL("127.0.0.1", int(ports["noselect-folder"]), ssl_context=pinned_ctx(), timeout=5)
    m.login("u", "p")
    typ, data = m.list()
    if m.status("Shared", "(MESSAGES)")[0] != "NO":
        return "STATUS on the \\Noselect folder did not answer NO"
    typ2, st = m.status("Shared/Team", "(MESSAGES UNSEEN)")
    m.logout()
    return True if len(data) == 6 and b"\\Noselect" in data[4] and st[0].endswith(b"(MESSAGES 4 UNSEEN 4 UIDNEXT 5 UIDVALIDITY 1)") else "%r %r" % (data, st)
check("hostile noselect-folder: a \\Noselect parent whose STATUS is NO, a selectable child", noselect)

def good():
    m = imaplib.IMAP4_SSL("127.0.0.1", int(ports["good"]), ssl_context=pinned_ctx(), timeout=5)
    m.login("u", "p")
    typ, data = m.list()
    typ2, st = m.status("INBOX", "(MESSAGES UNSEEN)")
    m.logout()
    if typ != "OK" or len(data) != 4 or typ2 != "OK":
        return "%s %r %s %r" % (typ, data, typ2, st)
    m = imaplib.IMAP4_SSL("127.0.0.1", int(ports["good"]), ssl_context=pinned_ctx(), timeout=5)
    try:
        m.login("u", "wrong")
        return "password 'wrong' accepted"
    except imaplib.IMAP4.error:
        return True
check("hostile good: LOGIN/LIST/STATUS/LOGOUT work, password 'wrong' refused", good)

def bounded():
    t = time.monotonic()
    p = subprocess.Popen([sys.executable, os.path.join(root, "tests/imap/hostile_imap.py"), "--port", "0",
                          "--scenario", "untagged-flood", "--max-seconds", "1.5"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = int(p.stdout.readline().split()[1])
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.recv(100)  # a connection is being served when the deadline hits
        rc = p.wait(timeout=5)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    d = time.monotonic() - t
    return True if d < 4 else "ran %.1f s (rc %s)" % (d, rc)
check("hostile servers end after --max-seconds even with a client connected", bounded)
sys.exit(1 if fails else 0)
PY
run_py 120 "$tmp/harness_checks.py" "$root" "$dv" "$tmp"

# ---------------------------------------------------------------- 2. the gateway
if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	[ -z "$(grep '^not ok' "$results")" ]
	exit 1
fi

# Account timeout keys: whatever docs/configuration.md names in the [account NAME]
# table (the IMAP client adds them); connect ~2 s, command ~3 s.
timeout_lines=""
timeouts_found=0
while IFS= read -r key; do
	[ -n "$key" ] || continue
	case "$key" in
	*connect*) v=2 ;;
	*command* | *cmd*) v=3 ;;
	*) continue ;;
	esac
	case "$key" in *_ms) v=$((v * 1000)) ;; esac
	timeout_lines+="$key = $v"$'\n'
	timeouts_found=$((timeouts_found + 1))
done < <(awk '/^## `\[account NAME\]`/{a=1;next} /^## /{a=0} a' "$root/docs/configuration.md" |
	grep -oE '^\| `[a-z_]*timeout[a-z_]*`' | tr -d '|` ')
if [ "$timeouts_found" -ge 2 ]; then
	ok "account connect/command timeout keys documented: $(printf '%s' "$timeout_lines" | tr '\n' ' ')"
else
	nok "account connect/command timeout keys documented in docs/configuration.md" "found: $(printf '%s' "$timeout_lines" | tr '\n' ' ')"
fi

gw_port=$(ig_free_port)
printf 'hostile-password' >"$tmp/hostile.pw"
printf 'wrong' >"$tmp/wrong.pw"
chmod 0600 "$tmp/hostile.pw" "$tmp/wrong.pw"
conf="$tmp/imapgate.conf"
write_conf() {
	ig_conf_server "shutdown_timeout_s = 5"
	printf '[defaults]\nposture = readonly\n\n'
	acct() { # acct NAME PORT TLS USER PWFILE PIN|ca:FILE
		ig_conf_account "$@" "${timeout_lines%$'\n'}"
	}
	acct alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
	acct bob "$IMAP_PORT" starttls bob "$dv/bob.pw" "ca:$CA_FILE"
	acct alice-wrong-pin "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$wrong_fp"
	acct bob-wrong-ca "$IMAP_PORT" starttls bob "$dv/bob.pw" "ca:$tmp/wrong.pem"
	while read -r s port; do
		tls=implicit
		[ "$s" = starttls-injection ] && tls=starttls
		acct "h-$s" "$port" "$tls" hostile "$tmp/hostile.pw" "$FINGERPRINT"
	done <"$tmp/hostile.ports"
	gp=$(awk '$1=="good"{print $2}' "$tmp/hostile.ports")
	acct h-good-wrong-password "$gp" implicit hostile "$tmp/wrong.pw" "$FINGERPRINT"
	acct h-good-wrong-ca-file "$(awk '$1=="wrong-cert"{print $2}' "$tmp/hostile.ports")" implicit hostile "$tmp/hostile.pw" "ca:$CA_FILE"
	# certificate names: NAME HOST against the names CA (see above)
	nacct() { # nacct ACCOUNT CERT HOST
		printf '[account %s]\nhost = %s\nport = %s\ntls = implicit\nuser = hostile\n' \
			"$1" "$3" "$(awk -v n="$2" '$1==n{print $2}' "$tmp/names.ports")"
		printf 'password_file = %s\ntls_ca_file = %s\n%s\n\n' "$tmp/hostile.pw" "$tmp/nca.pem" \
			"${timeout_lines%$'\n'}"
	}
	nacct n-ip-only-by-ip ip-only 127.0.0.1
	nacct n-dns-only-by-name dns-only localhost
	nacct n-dns-only-by-ip dns-only 127.0.0.1
	nacct n-cn-only-by-name cn-only localhost
	nacct n-wildcard-bare-name wildcard localhost
}
write_conf >"$conf"

token=$(ig_token imap-suite)
if [ -z "$token" ] && [ "$timeouts_found" -gt 0 ] && grep -q 'timeout[a-z_]*: unknown key' "$tmp/token.err"; then
	nok "the binary accepts the documented account timeout keys" "$(head -c 200 "$tmp/token.err")"
	timeout_lines=""
	timeouts_found=0
	write_conf >"$conf"
	: >"$tmp/token.err"
	token=$(ig_token imap-suite)
fi
# a second token for the hostile accounts, so a per-token rate limit cannot starve alice's checks
token2=$(ig_token imap-suite-hostile)
if [ -n "$token" ] && [ -n "$token2" ]; then ok "tokens created"; else nok "tokens created" "$(head -c 300 "$tmp/token.err")"; fi
if ig_gateway_start; then
	ok "gateway serves with $(grep -c '^\[account' "$conf") accounts configured"
else
	nok "gateway starts with the IMAP accounts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"
	exit 1
fi

cat >"$tmp/gateway_checks.py" <<'PY'
import json, os, sys, threading, time
tmp, port, token, token2, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
sys.path.insert(0, os.environ["IG_SUITE_DIR"])
import mcp_client  # noqa: E402
timeouts_set = sys.argv[6] == "1"
asan = sys.argv[7] == "1"  # ASan keeps freed memory in quarantine (256 MB): RSS says little
dv = os.path.join(tmp, "dv")
exp = json.load(open(os.path.join(dv, "expected.json")))
url = "http://127.0.0.1:%d/mcp" % port
fails = 0

def out(name, cond, why=""):
    global fails
    if cond:
        print("ok - imap_suite: %s" % name, flush=True)
    else:
        fails += 1
        print("not ok - imap_suite: %s%s" % (name, " (%s)" % why if why else ""), flush=True)

def rpc(method, params, name=None, limit=60, tok=None):
    return mcp_client.rpc(url, tok or token, method, params, name, limit)

def call(account, limit=60, tok=None):
    t = time.monotonic()
    try:
        r = rpc("tools/call", {"name": "list_folders", "arguments": {"account": account}}, "list_folders", limit, tok)
    except Exception as e:  # noqa: BLE001
        r = {"exception": "%s: %s" % (type(e).__name__, e)}
    return r, time.monotonic() - t

def err_code(r):
    res = r.get("result") or {}
    if res.get("isError"):
        return ((res.get("_meta") or {}).get("imapgate/error") or {}).get("code") or "isError without code"
    if "error" in r or "http_error" in r or "exception" in r:
        return "protocol: %s" % json.dumps(r)[:200]
    return None

def rss_kb():
    for l in open("/proc/%d/status" % pid):
        if l.startswith("VmRSS:"):
            return int(l.split()[1])
    return -1

def alive():
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False

def folders_of(r):
    """{name: dict} for every object in structuredContent that names a folder."""
    found = {}
    def walk(o):
        if isinstance(o, dict):
            for k in ("name", "path", "folder", "mailbox"):
                if isinstance(o.get(k), str):
                    found[o[k]] = o
                    break
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(((r.get("result") or {}).get("structuredContent")) or {})
    return found

def num(o, *keys):
    for k, v in o.items():
        if isinstance(v, dict):
            x = num(v, *keys)
            if x is not None:
                return x
        elif isinstance(v, int) and not isinstance(v, bool) and any(s in k.lower() for s in keys):
            return v
    return None

def check_account(user, r):
    code = err_code(r)
    if code:
        return "error %s" % code
    got = folders_of(r)
    e = exp[user]
    missing = [n for n in e if n not in got]
    if missing:
        return "folders missing %r; got %r" % (missing, sorted(got)[:20])
    raw = [n for n in got if "&" in n and "-" in n]
    if raw:
        return "names not decoded from modified UTF-7: %r" % raw
    for n, f in e.items():
        blob = json.dumps(got[n]).lower()
        for a in f["attributes"]:
            a = a.lstrip("\\").lower()
            if a in ("drafts", "sent", "trash", "junk", "archive") and a not in blob:
                return "%s lacks special-use %s: %s" % (n, a, blob[:200])
        m = num(got[n], "messages", "total", "exists")
        u = num(got[n], "unseen")
        if m != f["messages"] or u != f["unseen"]:
            return "%s counts messages=%r unseen=%r, expected %d/%d" % (n, m, u, f["messages"], f["unseen"])
    return True

# availability
tl = rpc("tools/list", {}, limit=10)
names = [t.get("name") for t in (tl.get("result") or {}).get("tools", [])]
if "list_folders" not in names:
    print("not ok - imap_suite: list_folders not available yet", flush=True)
    print("# dependent checks not run: alice+bob at once, wrong pin/CA -> ERR_TLS, hostile "
          "scenarios -> error codes within bounds, RSS bound, liveness, hung-account isolation "
          "(tools: %s)" % ",".join(n for n in names if n), flush=True)
    sys.exit(1)
out("tools/list offers list_folders", True)

rss0 = rss_kb()
# --- alice and bob at once
res = {}
th = [threading.Thread(target=lambda a=a: res.__setitem__(a, call(a, 30))) for a in ("alice", "bob")]
[t.start() for t in th]
[t.join() for t in th]
for a, how in (("alice", "implicit TLS + pinned fingerprint"), ("bob", "STARTTLS + tls_ca_file")):
    r, d = res[a]
    v = check_account(a, r)
    out("list_folders %s (%s) at the same time as the other: special-use, decoded non-ASCII names, counts (%.2f s)" % (a, how, d),
        v is True, v if v is not True else "")
    if v is not True:
        open(os.path.join(tmp, "resp-%s.json" % a), "w").write(json.dumps(r, ensure_ascii=False, indent=1))

# --- every hostile scenario and the TLS refusals, all at once (each its own account/worker)
bound = 15.0 if timeouts_set else 45.0
EXPECT = {
    "alice-wrong-pin": {"ERR_TLS"},
    "bob-wrong-ca": {"ERR_TLS"},
    "h-never-answer": {"ERR_TIMEOUT"},
    "h-slow-greeting": {"ERR_TIMEOUT"},
    "h-drop-mid-literal": {"ERR_CONNECTION_LOST"},
    "h-huge-literal": {"ERR_TOO_LARGE", "ERR_IMAP_PROTOCOL"},
    "h-long-line": {"ERR_TOO_LARGE", "ERR_IMAP_PROTOCOL"},
    "h-deep-nesting": {"ERR_IMAP_PROTOCOL", "ERR_TOO_LARGE"},
    "h-nul-in-quoted": {"ERR_IMAP_PROTOCOL"},
    "h-untagged-flood": {"ERR_TIMEOUT", "ERR_TOO_LARGE"},
    # list_folders never FETCHes: the malformed FETCH arrives unsolicited before LIST's OK;
    # ignoring it or refusing the response are both fine (300-deep BODYSTRUCTURE: a depth cap)
    "h-bad-envelope": {None, "ERR_IMAP_PROTOCOL"},
    "h-bad-bodystructure": {None, "ERR_IMAP_PROTOCOL", "ERR_TOO_LARGE"},
    # success (with the injected lines discarded) or a refusal
    "h-starttls-injection": {None, "ERR_IMAP_PROTOCOL", "ERR_TLS"},
    "h-wrong-cert": {"ERR_TLS"},
    "h-good-wrong-ca-file": {"ERR_TLS"},
    "h-bye-at-greeting": {"ERR_CONNECTION_LOST", "ERR_IMAP_PROTOCOL"},
    "h-good": {None},
    # a forged "<tag> OK" in a quoted string or literal must not end LIST early; a
    # mailbox name with CR LF (the literal) may be refused
    "h-forged-ok": {None},
    "h-forged-ok-literal": {None, "ERR_IMAP_PROTOCOL"},
    "h-overflow-literal": {"ERR_IMAP_PROTOCOL", "ERR_TOO_LARGE"},
    # RFC 3501: STATUS on a \Noselect folder is NO; the listing must still succeed
    "h-noselect-folder": {None},
    "h-good-wrong-password": {"ERR_AUTH"},
    # certificate names in CA mode (#12 C.2): an IP host matches an iPAddress SAN only, a
    # DNS host a dNSName SAN only (a CN, or a wildcard for the bare name, is never enough)
    "n-ip-only-by-ip": {None},
    "n-dns-only-by-name": {None},
    "n-dns-only-by-ip": {"ERR_TLS"},
    "n-cn-only-by-name": {"ERR_TLS"},
    "n-wildcard-bare-name": {"ERR_TLS"},
}
res, alive_after = {}, {}
def one(a):
    res[a] = call(a, bound + 30, token2)
    alive_after[a] = alive()
th = [threading.Thread(target=one, args=(a,)) for a in EXPECT]
[t.start() for t in th]
# while the hung accounts are being called: alice answers, and fast
time.sleep(0.5)
r, d = call("alice", 30)
v = check_account("alice", r)
hung_pending = [a for a in ("h-never-answer", "h-slow-greeting", "h-untagged-flood", "h-huge-literal") if a not in res]
out("alice answers in %.2f s while %d hung accounts are being called" % (d, len(hung_pending)),
    v is True and d < 5 and len(hung_pending) >= 2, v if v is not True else "%.2f s, pending %r" % (d, hung_pending))
[t.join(bound + 40) for t in th]
for a, want in EXPECT.items():
    if a not in res:
        out("%s: answered" % a, False, "no answer within %.0f s" % (bound + 40))
        continue
    r, d = res[a]
    code = err_code(r)
    label = "%s -> %s in %.2f s" % (a, code or "success", d)
    why = []
    if code not in want:
        why.append("expected %s" % " or ".join(sorted(w or "success" for w in want)))
    if d > bound:
        why.append("over the %.0f s bound" % bound)
    if a == "h-starttls-injection" and "INJECTED" in json.dumps(r):
        why.append("the injected plaintext reached the result")
    if a.startswith("h-forged-ok") and code is None and "After-Forged" not in folders_of(r):
        why.append("LIST ended at the forged OK: folders %r" % sorted(folders_of(r)))
    if a == "h-noselect-folder" and code is None:
        got = folders_of(r)
        if "Shared/Team" not in got or num(got["Shared/Team"], "messages", "total", "exists") != 4:
            why.append("Shared/Team missing or without its count: %r" % sorted(got))
    if a == "h-good" and code is None:
        got = folders_of(r)
        if not {"INBOX", "Sent", "Entwürfe"} <= set(got):
            why.append("folders %r" % sorted(got))
        elif num(got["INBOX"], "messages", "total", "exists") != 3:
            why.append("INBOX count from STATUS")
    if code and "protocol:" not in code:
        msg = json.dumps(((r.get("result") or {}).get("_meta") or {}).get("imapgate/error", {}))
        if "hostile-password" in msg or "INJECTED" in msg:
            why.append("error message echoes a secret or server text")
    if not alive_after.get(a):
        why.append("gateway died")
    out(label, not why, "; ".join(why))
    if why:
        open(os.path.join(tmp, "resp-%s.json" % a), "w").write(json.dumps(r, ensure_ascii=False, indent=1))

rss1 = rss_kb()
out("gateway alive after every scenario", alive())
limit_mb = 640 if asan else 64
out("RSS bounded: %d kB before, %d kB after the scenarios (+%d kB, limit %d MB%s)"
    % (rss0, rss1, rss1 - rss0, limit_mb, ", ASan quarantine included" if asan else ""),
    rss1 > 0 and rss1 - rss0 < limit_mb * 1024, "grew by %d kB" % (rss1 - rss0))
# and the good accounts still work afterwards
r, d = call("alice", 30)
v = check_account("alice", r)
out("alice still works after the scenarios (%.2f s)" % d, v is True, v if v is not True else "")
r, d = call("h-good", 30, token2)
out("hostile 'good' account still works after the scenarios", err_code(r) is None, str(err_code(r)))
sys.exit(1 if fails else 0)
PY
run_py $((budget - 60)) "$tmp/gateway_checks.py" "$tmp" "$gw_port" "$token" "$token2" "$gw_pid" \
	"$([ "$timeouts_found" -ge 2 ] && echo 1 || echo 0)" "$(grep -qa __asan_init "$bin" && echo 1 || echo 0)"

# ---------------------------------------------------------------- stop the gateway
if kill -0 "$gw_pid" 2>/dev/null; then
	kill -TERM "$gw_pid"
	for _ in $(seq 1 200); do kill -0 "$gw_pid" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$gw_pid" 2>/dev/null; then
		nok "gateway exits on SIGTERM within 10 s"
		kill -KILL "$gw_pid"
		wait "$gw_pid" 2>/dev/null
	else
		wait "$gw_pid"
		rc=$?
		[ "$rc" -eq 0 ] && ok "gateway exits 0 on SIGTERM" || nok "gateway exits 0 on SIGTERM" "exit $rc"
	fi
else
	wait "$gw_pid"
	nok "gateway still running at the end" "exit $?: $(tail -3 "$tmp/gateway.log" | tr '\n' ' ')"
fi
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$tmp/gateway.log"; then
	nok "no sanitizer report in the gateway log" "$(grep -m1 -E 'Sanitizer|runtime error' "$tmp/gateway.log")"
else
	ok "no sanitizer report in the gateway log"
fi
if grep -qE 'hostile-password|igt_' "$tmp/gateway.log"; then nok "gateway log carries no password or token"; else ok "gateway log carries no password or token"; fi

# ---------------------------------------------------------------- 3. client commands
# every IMAP command of the client library against this Dovecot, last because it
# changes the mailboxes the checks above count (unit_imap_test_cmd skips its cases
# without IG_DOVECOT_DIR; here it must run them all)
if [ -x "$build/unit_imap_test_cmd" ]; then
	if out=$(IG_DOVECOT_DIR="$dv" timeout 300 "$build/unit_imap_test_cmd" 2>&1) &&
		! printf '%s' "$out" | grep -q SKIPPED; then
		ok "client commands against Dovecot ($(printf '%s' "$out" | grep -c '\[       OK \]') cmocka cases)"
	else
		nok "client commands against Dovecot" "$(printf '%s' "$out" | grep -E 'FAIL|SKIP|Error' | head -3 | tr '\n' ' ')"
	fi
else
	nok "client commands against Dovecot" "unit_imap_test_cmd not built"
fi

! grep -q '^not ok' "$results"
