#!/usr/bin/env bash
# The folder is the layer (docs/architecture.md): fails on an #include that
# breaks the dependency rules, on a folder's *_int.h included from outside it,
# and on JSON parsed anywhere but base/json.c (untrusted JSON enters only
# through base/json.h). Tests may include what their mirrored folder may
# (tests/unit/<folder>/ as <folder>), fuzz targets and benchmarks anything
# but cli/.
set -euo pipefail
cd "$(dirname "$0")/.."

# What each folder may include besides itself.
declare -A allow=(
	[base]=""
	[content]="base"
	[store]="base"
	[imap]="base content store"
	[handlers]="base content imap store"
	[server]="base handlers store"
	[web]="base handlers store"
	[cli]="base content store imap handlers server web"
)

fail=0
n=0
bad() {
	echo "$1"
	fail=1
}

while IFS= read -r f; do
	case "$f" in
	tests/unit/*/*) layer=$(echo "$f" | cut -d/ -f3) ;;
	tests/* | bench/*) layer="tests" ;;
	*/*) layer=${f%%/*} ;;
	*) continue ;;
	esac
	if [ "$layer" != "tests" ] && [ -z "${allow[$layer]+x}" ]; then
		bad "$f: folder '$layer' has no layer rule (add it to scripts/check-layers.sh and docs/architecture.md)"
		continue
	fi
	while IFS=: read -r line inc; do
		n=$((n + 1))
		dir=${inc%%/*}
		[ -n "${allow[$dir]+x}" ] || continue # not one of ours (tests/unit/sibling_bin.h, ...)
		if [[ "$inc" == *_int.h ]] && [ "$dir" != "$layer" ]; then
			bad "$f:$line: includes $inc, internal to $dir/"
			continue
		fi
		[ "$dir" = "$layer" ] && continue
		if [ "$layer" = "tests" ]; then
			[ "$dir" = "cli" ] && bad "$f:$line: includes $inc (nothing includes cli/)"
			continue
		fi
		case " ${allow[$layer]} " in
		*" $dir "*) ;;
		*) bad "$f:$line: $layer/ may not include $inc (allowed: ${allow[$layer]:-nothing of ours})" ;;
		esac
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$f" |
		sed -E 's/^([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1:\2/')
done < <(git ls-files '*.c' '*.h' | grep -v node_modules)

# Untrusted JSON enters only through base/json.h.
while IFS= read -r hit; do
	bad "$hit: JSON parsed outside base/json.c (use base/json.h)"
done < <(git grep -nE '\bjson_tokener_(parse|new)|\bjson_object_from_(file|fd)\b' -- '*.c' '*.h' ':!base/json.c' ':!tests' ':!bench' || true)

[ "$fail" -eq 0 ] && echo "ok: $n includes follow the layer rules"
exit "$fail"
