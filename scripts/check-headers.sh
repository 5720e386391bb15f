#!/usr/bin/env bash
# STYLE §1: every public header compiles on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=$(pkg-config --cflags json-c libmicrohttpd libsodium sqlite3 gmime-3.0 gumbo icu-uc 2>/dev/null || true)
fail=0
n=0
# every header of every top-level source folder (a new folder is covered
# without editing this); tests/ and bench/ are not the product
mapfile -t headers < <(git ls-files '*.h' | grep -vE '^(tests|bench)/' | grep '/')
for h in "${headers[@]}"; do
	[ -f "$h" ] || continue
	n=$((n + 1))
	printf '#include "%s"\n#include "%s"\n' "$h" "$h" >"$tmp/t.c"
	# shellcheck disable=SC2086
	if ! cc -std=c17 -D_GNU_SOURCE -DIG_VERSION='"0"' -Wall -Wextra -Werror -I. $flags -fsyntax-only "$tmp/t.c" 2>"$tmp/err"; then
		echo "not self-contained: $h"
		cat "$tmp/err"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "ok: $n headers compile alone (and twice)"
exit "$fail"
