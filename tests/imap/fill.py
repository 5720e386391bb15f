#!/usr/bin/env python3
"""Fill the throwaway Dovecot (tests/imap/dovecot.sh) over IMAPS with imaplib.

Creates the non-ASCII folders and APPENDs a few messages from the shared corpus
(read at test time from ../shared/corpus/upstream/*/input.eml, never copied
into the project) plus generated ones. Writes DIR/expected.json with the folder
names (decoded) and the message/unseen counts each user's folders must show.

  fill.py --dir DIR [--corpus PATH]
"""
import argparse
import base64
import email.utils
import glob
import json
import os
import ssl
import sys
import time
import imaplib

NON_ASCII = ["Entwürfe", "Entwürfe/Überweisungen", "日本語"]
SPECIAL = {"Drafts": "\\Drafts", "Sent": "\\Sent", "Trash": "\\Trash",
           "Junk": "\\Junk", "Archive": "\\Archive"}


def mutf7_encode(s):
    """RFC 3501 §5.1.3 modified UTF-7."""
    out, buf = [], []

    def flush():
        if buf:
            b = "".join(buf).encode("utf-16-be")
            out.append("&" + base64.b64encode(b).decode().rstrip("=").replace("/", ",") + "-")
            buf.clear()
    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def mutf7_decode(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "&":
            j = s.index("-", i)
            if j == i + 1:
                out.append("&")
            else:
                b64 = s[i + 1:j].replace(",", "/")
                b64 += "=" * (-len(b64) % 4)
                out.append(base64.b64decode(b64).decode("utf-16-be"))
            i = j + 1
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generated(user, n, folder, subject_prefix="Test message"):
    date = email.utils.formatdate(time.time() - 3600 * (100 - n), localtime=False)
    body = ("Hello %s,\r\n\r\nthis is generated message %d for %s.\r\n" % (user, n, folder)) * 3
    return ("From: Sender %d <sender%d@example.org>\r\n"
            "To: %s <%s@example.test>\r\n"
            "Subject: %s %d\r\n"
            "Date: %s\r\n"
            "Message-ID: <gen-%s-%d-%s@example.org>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Transfer-Encoding: 8bit\r\n"
            "\r\n%s" % (n, n, user, user, subject_prefix, n, date, user, n,
                         base64.b32encode(folder.encode()).decode().strip("="), body)).encode()


def japanese(user):
    subj = "=?UTF-8?B?" + base64.b64encode("日本語のテスト".encode()).decode() + "?="
    return ("From: =?UTF-8?B?5bGx55Sw?= <yamada@example.jp>\r\nTo: %s@example.test\r\n"
            "Subject: %s\r\nDate: %s\r\nMessage-ID: <jp-%s@example.jp>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "こんにちは。\r\n" % (user, subj, email.utils.formatdate(), user)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--corpus", default=os.path.normpath(
        os.path.join(here, "..", "..", "..", "shared", "corpus", "upstream")))
    ap.add_argument("--corpus-count", type=int, default=4)
    a = ap.parse_args()

    env = {}
    with open(os.path.join(a.dir, "env")) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            env[k] = v
    ctx = ssl.create_default_context(cafile=os.path.join(a.dir, "cert.pem"))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2

    corpus = sorted(glob.glob(os.path.join(a.corpus, "*", "input.eml")))[:a.corpus_count]
    if not corpus:
        print("fill.py: no corpus messages under %s (using generated ones only)" % a.corpus,
              file=sys.stderr)

    # plan: user -> folder -> list of (bytes, flags)
    plan = {
        "alice": {
            "INBOX": [(open(p, "rb").read(), "") for p in corpus]
                     + [(generated("alice", i, "INBOX"), "(\\Seen)" if i % 3 == 0 else "")
                        for i in range(1, 13)],
            "Sent": [(generated("alice", i, "Sent", "Sent item"), "(\\Seen)") for i in range(1, 4)],
            "Drafts": [(generated("alice", 1, "Drafts", "Draft"), "(\\Draft \\Seen)")],
            "Archive": [(generated("alice", i, "Archive"), "(\\Seen)") for i in range(1, 3)],
            "Entwürfe/Überweisungen": [(generated("alice", i, "Ueberweisungen", "Überweisung"), "")
                                       for i in range(1, 3)],
            "日本語": [(japanese("alice"), "")],
        },
        "bob": {
            "INBOX": [(generated("bob", i, "INBOX"), "") for i in range(1, 6)],
            "Junk": [(generated("bob", 1, "Junk", "Spam"), "")],
            "日本語": [],
        },
    }
    expected = {}
    for user, folders in plan.items():
        pw = open(os.path.join(a.dir, user + ".pw")).read()
        m = imaplib.IMAP4_SSL("127.0.0.1", int(env["IMAPS_PORT"]), ssl_context=ctx, timeout=20)
        m.login(user, pw)
        for name in NON_ASCII:
            if user == "bob" and name.startswith("Entw"):
                continue
            typ, data = m.create(quote(mutf7_encode(name)))
            if typ != "OK":
                raise SystemExit("CREATE %s: %s %r" % (name, typ, data))
        for folder, msgs in folders.items():
            for raw, flags in msgs:
                typ, data = m.append(quote(mutf7_encode(folder)), flags or None, None, raw)
                if typ != "OK":
                    raise SystemExit("APPEND %s: %s %r" % (folder, typ, data))
        typ, data = m.list('""', '"*"')
        exp = {}
        for line in data:
            line = line.decode()
            attrs = line[line.index("(") + 1:line.index(")")].split()
            raw = line.rsplit(" ", 1)[1] if not line.endswith('"') else \
                line[line.rindex('"', 0, len(line) - 1) + 1:-1]
            name = mutf7_decode(raw)
            typ, st = m.status(quote(raw), "(MESSAGES UNSEEN)")
            if typ != "OK":
                raise SystemExit("STATUS %s: %r" % (name, st))
            s = st[0].decode()
            parts = s[s.rindex("(") + 1:s.rindex(")")].split()
            kv = dict(zip(parts[0::2], parts[1::2]))
            exp[name] = {"attributes": attrs, "messages": int(kv["MESSAGES"]),
                         "unseen": int(kv["UNSEEN"]), "raw": raw}
        for f, su in SPECIAL.items():
            if su not in exp.get(f, {}).get("attributes", []):
                raise SystemExit("%s: %s lacks %s: %r" % (user, f, su, exp.get(f)))
        for name in NON_ASCII if user == "alice" else ["日本語"]:
            if name not in exp:
                raise SystemExit("%s: folder %s missing after CREATE" % (user, name))
        expected[user] = exp
        m.logout()
    with open(os.path.join(a.dir, "expected.json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1, sort_keys=True)
    total = sum(v["messages"] for u in expected.values() for v in u.values())
    print("fill.py: %d messages in %d folders (%d from the corpus)"
          % (total, sum(len(u) for u in expected.values()), len(corpus)))


if __name__ == "__main__":
    main()
