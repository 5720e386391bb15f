#!/usr/bin/env bash
# The browser oracle in CI (issue 14): the fixed seed set of generated mails
# (tests/visibility/env.sh VIS_CI_SEEDS, 300 cases) judged by headless chromium and by
# BUILD_DIR's `imapgate sanitize`; per marker, text the browser shows must be in body_text
# and text it hides must not. Today's known disagreements are in tests/visibility/known.json:
# the suite fails on any NEW disagreement and on any known one that now agrees (then run
# tests/visibility/update-known and commit the shorter list). TAP lines, one per feature
# class with its counts. Bounded: SUITE_BUDGET seconds (default 900).
# usage: tests/integration/visibility_suite.sh BUILD_DIR
set -u -o pipefail
if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "$1" 2>/dev/null && pwd) || {
	echo "not ok - visibility_suite: build dir $1 not found"
	exit 1
}
vis="$root/tests/visibility"
# shellcheck source-path=SCRIPTDIR source=../visibility/env.sh
. "$vis/env.sh"
if ! vis_setup; then
	echo "not ok - visibility_suite: pinned node + puppeteer-core and chromium available"
	exit 1
fi
echo "ok - visibility_suite: pinned node + puppeteer-core and chromium available"
out=$(mktemp -d /tmp/igvis.XXXXXX)
cd "$vis" || exit 1
timeout -k 10 "${SUITE_BUDGET:-900}" "$VIS_NODE" run.mjs --build "$build" --seeds "$VIS_CI_SEEDS" \
	--known "$vis/known.json" --tap --quiet --out "$out/disagreements"
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "not ok - visibility_suite: time budget of ${SUITE_BUDGET:-900}s exhausted"
fi
if [ "$rc" -ne 0 ]; then
	echo "# disagreeing cases kept in $out/disagreements"
else
	rm -rf "$out"
fi
exit "$rc"
