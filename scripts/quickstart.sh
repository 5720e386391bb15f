#!/usr/bin/env bash
# First try on a fresh Debian 12 machine: installs what is needed, builds,
# starts a throwaway Dovecot on 127.0.0.1 with a sample mailbox (ordinary mail
# and a few adversarial messages), configures the gateway for it, creates a
# token, prints the URL and curl examples, and runs the gateway in the
# foreground. Ctrl-C stops the gateway and the Dovecot this script started.
#   scripts/quickstart.sh [--port N] [--dir DIR] [--bin PATH]
#     --dir  where the configuration and data live (default ./quickstart)
#     --bin  an already built imapgate (skips installing and building)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
port=8080
dir="$top/quickstart"
bin=""
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	--bin) bin=$2; shift 2 ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--port N] [--dir DIR] [--bin PATH]" >&2; exit 2 ;;
	esac
done

if [ -z "$bin" ]; then
	scripts/install-deps.sh
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build -j2 --target imapgate >/dev/null
	bin="$top/build/imapgate"
fi

mkdir -p "$dir"
chmod 700 "$dir"
dir=$(cd "$dir" && pwd)

# The demo's Dovecot lives under /tmp: its Unix socket paths must stay short
# and every directory above it must be reachable by Dovecot's users.
dv=$(mktemp -d /tmp/igdemo.XXXXXX)
gw_pid=""
cleanup() {
	trap - INT TERM EXIT
	if [ -n "$gw_pid" ] && kill -0 "$gw_pid" 2>/dev/null; then
		kill -TERM "$gw_pid" 2>/dev/null || true
		wait "$gw_pid" 2>/dev/null || true
	fi
	tests/imap/dovecot.sh stop "$dv" >/dev/null 2>&1 || true
	rm -rf "$dv"
	echo "quickstart: stopped the gateway and the demo Dovecot"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tests/imap/dovecot.sh start "$dv" --no-fill >/dev/null
# shellcheck disable=SC1091
. "$dv/env"
n_msgs=$(python3 scripts/demo_mailbox.py --port "$IMAPS_PORT" --ca "$CA_FILE" \
	--user alice --password-file "$dv/alice.pw")

# Rewritten on every run: the demo Dovecot's port and certificate change.
conf="$dir/imapgate.conf"
cat >"$conf" <<CONF
; imapgate quickstart configuration (docs/configuration.md), written by
; scripts/quickstart.sh for its throwaway Dovecot on 127.0.0.1
[server]
listen = 127.0.0.1:$port
data_dir = $dir/data

[account demo]
host = 127.0.0.1
port = $IMAPS_PORT
tls = implicit
user = alice
password_file = $dv/alice.pw
tls_ca_file = $CA_FILE
posture = draft-safe
CONF
"$bin" check --config "$conf" >/dev/null
name="quickstart-$(date +%Y%m%d-%H%M%S)-$$"
token=$("$bin" token create --config "$conf" --name "$name" 2>/dev/null)
url="http://127.0.0.1:$port/mcp"

cat <<MSG

imapgate is starting at $url  (configuration: $conf)
Mail account "demo": a throwaway Dovecot on 127.0.0.1:$IMAPS_PORT with $n_msgs messages in INBOX.
A new token was created (shown once; revoke with: $bin token revoke $name --config $conf):

  $token

Paste this helper into a shell (stateless MCP 2026-07-28 requests with curl):

mcp() { curl -s $url \\
  -H 'Authorization: Bearer $token' \\
  -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
  -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/call' -H "Mcp-Name: \$1" \\
  -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"'"\$1"'","arguments":'"\$2"',"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'; echo; }

Then try:

  mcp list_folders '{}'
  mcp search '{"folder":"INBOX","limit":5}'
  mcp search '{"folder":"INBOX","from":"bob"}'
  mcp fetch_message '{"folder":"INBOX","uid":17}'   # hidden instructions in HTML
  mcp fetch_message '{"folder":"INBOX","uid":18}'   # look-alike sender, deceptive link
  mcp fetch_message '{"folder":"INBOX","uid":19}'   # right-to-left trick in a file name

Each answer separates what the gateway knows (meta) from what the mail says
(untrusted) and lists what it defused (security_warnings).
Press Ctrl-C to stop the gateway and the demo Dovecot.

MSG
"$bin" serve --config "$conf" &
gw_pid=$!
wait "$gw_pid"
