#!/usr/bin/env bash
# STYLE §3: unbounded string functions are not used anywhere in the sources.
set -euo pipefail
cd "$(dirname "$0")/.."
# every top-level source folder (a new one is covered without editing this)
# and the C tests; bench/ drivers are not shipped
mapfile -t dirs < <(git ls-files '*.c' '*.h' | cut -d/ -f1 | sort -u | grep -vxE 'tests|bench')
hits=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets|sscanf)\s*\(' \
	--include='*.c' --include='*.h' "${dirs[@]}" tests/fuzz tests/unit 2>/dev/null || true)
if [ -n "$hits" ]; then
	echo "banned functions found:"
	echo "$hits"
	exit 1
fi
echo "ok: no banned functions"
