#!/usr/bin/env bash
# First try on a fresh Debian 12 machine: installs what is needed, builds,
# writes a local configuration (no mail accounts yet), creates a token, prints
# the URL and a ready-to-paste curl example, and runs the gateway in the
# foreground (Ctrl-C stops it).
#   scripts/quickstart.sh [--port N] [--dir DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
port=8080
dir="$top/quickstart"
while [ $# -gt 0 ]; do
	case "$1" in
	--port) port=$2; shift 2 ;;
	--dir) dir=$2; shift 2 ;;
	-h | --help) sed -n '2,7p' "$0"; exit 0 ;;
	*) echo "usage: $0 [--port N] [--dir DIR]" >&2; exit 2 ;;
	esac
done

scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target imapgate >/dev/null
bin="$top/build/imapgate"

mkdir -p "$dir"
chmod 700 "$dir"
conf="$dir/imapgate.conf"
if [ ! -f "$conf" ]; then
	cat >"$conf" <<CONF
; imapgate quickstart configuration (docs/configuration.md)
[server]
listen = 127.0.0.1:$port
data_dir = $dir/data
CONF
fi
"$bin" check --config "$conf" >/dev/null
name="quickstart-$(date +%Y%m%d-%H%M%S)"
token=$("$bin" token create --config "$conf" --name "$name" 2>/dev/null)
url="http://127.0.0.1:$port/mcp"

cat <<MSG

imapgate is starting at $url  (configuration: $conf)
A new token was created (shown once; revoke with: $bin token revoke $name --config $conf):

  $token

List the tools with curl (stateless MCP 2026-07-28 request):

  curl -s $url \\
    -H 'Authorization: Bearer $token' \\
    -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\
    -H 'MCP-Protocol-Version: 2026-07-28' -H 'Mcp-Method: tools/list' \\
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}'

No mail accounts are configured yet: add an [account NAME] section (docs/configuration.md).
Press Ctrl-C to stop.

MSG
exec "$bin" serve --config "$conf"
