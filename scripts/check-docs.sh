#!/usr/bin/env bash
# Docs must be true (issue 12 B7), as far as a script can tell, over README.md,
# SECURITY.md and every docs/*.md:
#   - no promise of a later release ("arrive in later releases", "(later)",
#     "not yet behind …"): a feature either exists and is described, or the
#     docs say it does not exist;
#   - every relative link points to a file that exists;
#   - every source path named (dir/file.c, dir/file.h) exists;
#   - docs/clients.md keeps the mcp-remote block the client matrix runs
#     (tests/integration/clients_suite.sh) and the README links to it.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
files=(README.md SECURITY.md docs/*.md)

# phrases that announce a future release instead of stating what is there
stale='in (a )?later release|later releases|arrives? in a later|arrive in later|\((later|later releases)\)|not yet behind|will use the admin|until [a-z -]+ lands?|as they land'
if grep -nEi "$stale" "${files[@]}"; then
	echo "docs announce later releases (above): say what exists now"
	fail=1
fi

# relative links [text](path) and [text](path#anchor) must name existing files
for f in "${files[@]}"; do
	dir=$(dirname "$f")
	while IFS= read -r target; do
		path=${target%%#*}
		[ -z "$path" ] && continue
		case "$path" in
		http://* | https://* | mailto:*) continue ;;
		esac
		if [ ! -e "$dir/$path" ]; then
			echo "$f: link to missing file $target"
			fail=1
		fi
	done < <(grep -oE '\]\([^) ]+\)' "$f" | sed -E 's/^\]\(//; s/\)$//')
done

# every source path the docs name (docs/architecture.md walks the tree file
# by file) must exist: a renamed or split file updates the docs with it
while IFS=: read -r f p; do
	if [ ! -e "$p" ]; then
		echo "$f: names $p, which does not exist"
		fail=1
	fi
done < <(grep -oHE '\b[a-z_]+/[a-z_0-9/]+\.[ch]\b' "${files[@]}" | sort -u)

if ! grep -q '<!-- matrix: mcp-remote -->' docs/clients.md 2>/dev/null; then
	echo "docs/clients.md: the mcp-remote block the client matrix runs is missing"
	fail=1
fi
if ! grep -q '(docs/clients.md)' README.md; then
	echo "README.md does not link docs/clients.md"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "ok: ${#files[@]} documents: no later-release promises, relative links resolve"
exit "$fail"
