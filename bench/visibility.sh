#!/usr/bin/env bash
# The browser oracle at scale (issue 14): N generated mails (default 10,000, seeds from
# START) judged by headless chromium and by BUILD_DIR's `imapgate sanitize`. Prints the
# agreement rate, false-hides (visible text dropped) and leaks (hidden text kept) per
# feature class, and cases per second; writes every disagreeing case (case.html, case.eml,
# verdict.json) to OUT_DIR so engineers can turn them into regression cases. Stops by
# itself after SECONDS (default 1800) even when fewer cases ran. The browser's verdicts
# are cached in bench/results/visibility-cache/ (keyed by generator, oracle and chromium
# versions): a second run after an engine change costs only the pipeline.
# usage: bench/visibility.sh [--start N] [--count N] [--seconds S] [--out DIR] [--no-cache] [BUILD_DIR]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=100000 # away from the CI seed set (1..300)
count=10000
seconds=1800
out=""
cache="$top/bench/results/visibility-cache"
build="$top/build"
while [ $# -gt 0 ]; do
	case "$1" in
	--start) start=$2; shift 2 ;;
	--count) count=$2; shift 2 ;;
	--seconds) seconds=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-cache) cache=""; shift ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	*) build=$1; shift ;;
	esac
done
build=$(cd "$build" && pwd)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
[ -n "$out" ] || out="$top/bench/results/visibility-$stamp"
mkdir -p "$out"
vis="$top/tests/visibility"
# shellcheck source-path=SCRIPTDIR source=../tests/visibility/env.sh
. "$vis/env.sh"
vis_setup
cd "$vis"
args=(--build "$build" --seeds "$start:$count" --time-limit "$seconds" --out "$out/disagreements" --json "$out/results.json" --quiet)
[ -n "$cache" ] && args+=(--cache "$cache")
# the node process stops starting cases at the time limit; timeout is the backstop
timeout -k 10 $((seconds + 300)) nice "$VIS_NODE" run.mjs "${args[@]}" | tee "$out/summary.txt"
echo "disagreeing cases: $out/disagreements ($(find "$out/disagreements" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l))"
