#!/usr/bin/env bash
# STYLE §3: unbounded string functions are not used anywhere in the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets|sscanf)\s*\(' \
	--include='*.c' --include='*.h' base audit server handlers store imap content web tests/fuzz tests/unit 2>/dev/null || true)
if [ -n "$hits" ]; then
	echo "banned functions found:"
	echo "$hits"
	exit 1
fi
echo "ok: no banned functions"
