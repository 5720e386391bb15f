#!/usr/bin/env bash
# The command line as a property (#12 A.13): `imapgate --help` promises that
# the global options are "also accepted after the command". For every command
# and sub-command the help lists, --config FILE (and -c FILE, --config=FILE)
# is put in every position after the command: it must never be refused as an
# unknown option and must be the configuration used (a path that does not
# exist is named in the error), and with a real configuration the command
# works the same wherever the option stands. No Dovecot and no gateway: the
# commands that talk to a server are only run up to loading the config.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init cli 120 igcli "$@"

mkdir -p "$tmp/data"
conf="$tmp/imapgate.conf"
gw_port=$(ig_free_port)
printf 'pw' >"$tmp/pw"
chmod 0600 "$tmp/pw"
{
	ig_conf_server
	printf '[account acct]\nhost = 127.0.0.1\nport = 1\ntls = implicit\nuser = u@example.test\n'
	printf 'password_file = %s\ntls_fingerprint_sha256 = %s\n' "$tmp/pw" "$(printf '%064d' 0)"
} >"$conf"
printf 'a long enough password\n' >"$tmp/userpw"
printf 'From: a@example.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nbody\r\n' >"$tmp/m.eml"

"$PY" - "$bin" "$conf" "$tmp" <<'EOF' | tee -a "$results"
import itertools, re, subprocess, sys
bin_, conf, tmp = sys.argv[1:4]
bogus = tmp + "/no-such-dir/imapgate.conf"

def out(name, cond, why=""):
    print(("ok - cli: %s" % name) if cond else ("not ok - cli: %s (%s)" % (name, str(why)[:300])), flush=True)

def run(args, timeout=20):
    p = subprocess.run([bin_] + args, capture_output=True, text=True, timeout=timeout,
                       env={"PATH": "/usr/bin:/bin", "IMAPGATE_CONFIG": ""})
    return p.returncode, p.stdout, p.stderr

# Every command and sub-command of the help, with operands that parse. `uses`
# says whether it loads the configuration; `good` whether it succeeds with the
# suite's config (the others fail for a reason of their own, not a usage error).
n = itertools.count()
CASES = {
    "serve": dict(args=lambda: [], uses=True, good=None),
    "check": dict(args=lambda: [], uses=True, good=True),
    "token create": dict(args=lambda: ["--name", "t%d" % next(n)], uses=True, good=True),
    "token list": dict(args=lambda: ["--json"], uses=True, good=True),
    "token revoke": dict(args=lambda: ["no-such-token"], uses=True, good=False),
    "probe": dict(args=lambda: ["acct"], uses=True, good=False),
    "sanitize": dict(args=lambda: [tmp + "/m.eml"], uses=False, good=True),
    "outbox list": dict(args=lambda: [], uses=True, good=True),
    "outbox show": dict(args=lambda: ["1"], uses=True, good=False),
    "outbox approve": dict(args=lambda: ["1"], uses=True, good=False),
    "outbox reject": dict(args=lambda: ["1"], uses=True, good=False),
    "audit verify": dict(args=lambda: [], uses=True, good=True),
    "audit query": dict(args=lambda: [], uses=True, good=True),
    "accounts": dict(args=lambda: ["--json"], uses=True, good=True),
    "user add": dict(args=lambda: ["--password-file", tmp + "/userpw", "u%d" % next(n)], uses=True, good=True),
    "user list": dict(args=lambda: ["--json"], uses=True, good=True),
    "user passwd": dict(args=lambda: ["ops", "--password-file", tmp + "/userpw"], uses=True, good=True),
    "user disable": dict(args=lambda: ["ops"], uses=True, good=True),
    "user enable": dict(args=lambda: ["ops"], uses=True, good=True),
    "user remove": dict(args=lambda: ["no-such-user"], uses=True, good=False),
    "user totp": dict(args=lambda: ["disable", "ops"], uses=True, good=True),
}

# the help is the list of commands: a new one without a case here fails
rc, help_, _ = run(["--help"])
listed = set()
for line in help_.split("Commands:")[1].split("\n\n")[0].strip().splitlines():
    words = line.split()
    subs = len(words) > 1 and re.fullmatch(r"[a-z]+(\|[a-z]+)+", words[1])
    for sub in words[1].split("|") if subs else [None]:
        listed.add(words[0] if sub is None else "%s %s" % (words[0], sub))
out("every command in --help has a case (%d)" % len(listed), listed == set(CASES),
    "missing %s, stale %s" % (sorted(listed - set(CASES)), sorted(set(CASES) - listed)))

def placements(cmd, operands, opt):
    """cmd words + operands() with opt (a list) inserted at every position after the
    first word (operands() is called once per placement: names stay unique)."""
    for i in range(1, len(cmd.split() + operands()) + 1):
        words = cmd.split() + operands()
        yield words[:i] + opt + words[i:]

# an audit log to verify and query: creating a token is audited
rc, so, se = run(["token", "create", "--name", "first", "--config", conf])
out("a token can be created (the audit log exists)", rc == 0, se)
rc, so, se = run(["user", "add", "ops", "--password-file", tmp + "/userpw", "--config", conf])
out("an operator user can be added", rc == 0, se)

def usage_refused(rc, err):
    return rc == 2 or "unknown option" in err or "missing argument" in err

for cmd, case in sorted(CASES.items()):
    bad, wrong = 0, []
    for form in (["--config", bogus], ["-c", bogus], ["--config=" + bogus]):
        for argv in placements(cmd, case["args"], form):
            rc, so, se = run(argv)
            if usage_refused(rc, se) or (case["uses"] and (rc == 0 or bogus not in se)) or \
                    (not case["uses"] and rc != 0):
                bad += 1
                wrong.append((argv, rc, se.strip()[:120]))
    out("%s: --config in every position is taken as the configuration" % cmd, bad == 0, wrong[:3])
    if case["good"] is None:
        continue
    wrong = []
    for argv in placements(cmd, case["args"], ["--config", conf]):
        rc, so, se = run(argv)
        if usage_refused(rc, se) or (rc == 0) != case["good"]:
            wrong.append((argv, rc, se.strip()[:120]))
    out("%s: works the same wherever --config stands" % cmd, not wrong, wrong[:3])

# operator users (handlers/ops_user.c): the lifecycle through the command line
import json
def user(args, stdin=None):
    p = subprocess.run([bin_, "--config", conf, "user"] + args, capture_output=True, text=True,
                       timeout=20, input=stdin, env={"PATH": "/usr/bin:/bin", "IMAPGATE_CONFIG": ""})
    return p.returncode, p.stdout, p.stderr

def users():
    rc, so, se = user(["list", "--json"])
    return {u["name"]: u for u in json.loads(so)} if rc == 0 else {}

rc, so, se = user(["add", "alice", "--accounts", "acct", "--max-posture", "readonly"],
                  stdin="a long enough password\n")
u = users().get("alice", {})
out("user add: password from standard input; list --json shows accounts and max posture",
    rc == 0 and u.get("accounts") == "acct" and u.get("max_posture") == "readonly"
    and u.get("admin") is False and u.get("totp") is False, (rc, se, u))
rc, so, se = user(["add", "alice"], stdin="a long enough password\n")
out("user add: a duplicate name is refused", rc == 1 and "exists" in se, (rc, se))
rc, so, se = user(["add", "bob"], stdin="too short\n")
out("user add: a short password is refused", rc == 2 and "at least 12" in se and "bob" not in users(), (rc, se))
for argv in (["add", "bob", "--password", "a long enough password"],
             ["add", "bob", "--password=a long enough password"],
             ["add", "bob", "a long enough password"]):
    rc, so, se = user(argv, stdin="")
    how = argv[2].split("=")[0] if argv[2].startswith("--") else "as an operand"
    out("user add %s: a password on the command line is refused" % how,
        rc == 2 and "long enough" not in se and "bob" not in users(), (rc, se))
rc, so, se = user(["add", "bob", "--accounts", "nope"], stdin="a long enough password\n")
out("user add: an account not in the configuration is refused", rc == 2 and "nope" in se, (rc, se))
rc, so, se = user(["add", "root", "--admin"], stdin="a long enough password\n")
out("user add --admin", rc == 0 and users().get("root", {}).get("admin") is True, (rc, se))
rc, so, se = user(["list"])
out("user list: a table with every user", rc == 0 and so.startswith("NAME") and "alice" in so and "root" in so, so)
rc, so, se = user(["passwd", "alice"], stdin="another long password\n")
out("user passwd", rc == 0 and users()["alice"]["updated_at"] >= u.get("updated_at", 0), (rc, se))
rc, so, se = user(["passwd", "nobody"], stdin="another long password\n")
out("user passwd: an unknown user", rc == 1 and "no user" in se, (rc, se))
rc, so, se = user(["disable", "alice"])
out("user disable", rc == 0 and users()["alice"]["disabled"] is True, (rc, se))
rc, so, se = user(["enable", "alice"])
out("user enable", rc == 0 and users()["alice"]["disabled"] is False, (rc, se))
rc, so, se = user(["totp", "enable", "alice"])
lines = so.split("\n")
out("user totp enable: the otpauth URI and the base32 secret, once, on stdout",
    rc == 0 and lines[0].startswith("otpauth://totp/imapgate:alice?secret=" + lines[1] + "&")
    and re.fullmatch(r"[A-Z2-7]{32}", lines[1]) and users()["alice"]["totp"] is True, (rc, so, se))
rc, so2, se = user(["list", "--json"])
log = open(tmp + "/data/audit/audit.jsonl").read()
out("the TOTP secret is in neither the list nor the audit log",
    lines[1] not in so2 and lines[1] not in log, "")
rc, so, se = user(["totp", "disable", "alice"])
out("user totp disable", rc == 0 and users()["alice"]["totp"] is False, (rc, se))
rc, so, se = user(["remove", "alice"])
out("user remove", rc == 0 and "alice" not in users(), (rc, se))
rc, so, se = user(["remove", "alice"])
out("user remove: an unknown user", rc == 1, (rc, se))
log = open(tmp + "/data/audit/audit.jsonl").read()
events = [json.loads(l).get("event") for l in log.splitlines() if '"kind":"user"' in l]
out("every user change has its audit record",
    all(e in events for e in ("added", "passwd", "disabled", "enabled", "totp_enabled",
                              "totp_disabled", "removed")) and "long enough" not in log, events)

# "--" ends option scanning: what follows is an operand, not the global option
rc, so, se = run(["--config", conf, "sanitize", "--", "--config"])
out("'--' ends option scanning (the next --config is an operand)", rc != 0 and "cannot read --config" in se, se)
rc, so, se = run(["check", "--config"])
out("--config without a FILE is a usage error", rc == 2 and "needs a FILE" in se, (rc, se))
EOF
grep -q '^not ok' "$results" && exit 1
exit 0
