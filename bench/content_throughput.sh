#!/bin/sh
# Content pipeline throughput and memory (DESIGN §13: >= 20 MB/s per core on a
# realistic mixed corpus; memory bounded by the limits). Builds nothing: pass
# the build directory that holds content_bench (a Release or RelWithDebInfo
# build; sanitizer builds measure the sanitizer).
#
#   bench/content_throughput.sh [BUILD_DIR] [SECONDS]
#
# Prints three JSON lines (throughput on one core, peak RSS on a 25 MB message,
# the HTML path on HTML-heavy mail: html_to_text alone and msg_sanitize) and
# writes them to bench/results/content-<timestamp>.json. With HTML_DIR set, the
# HTML path runs on the .eml/.html files there instead of the generated mail.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-"$here/../build"}
seconds=${2:-5}
bin="$build/content_bench"
if [ ! -x "$bin" ]; then
	echo "content_throughput: $bin not found; build the content_bench target" >&2
	exit 2
fi
mkdir -p "$here/results"
out="$here/results/content-$(date -u +%Y%m%dT%H%M%SZ).json"
# One core: the figure is per core by construction (single thread, CPU time).
pin=""
if command -v taskset >/dev/null 2>&1; then
	pin="taskset -c 0"
fi
{
	$pin "$bin" --seconds "$seconds"
	$pin "$bin" --big
	if [ -n "${HTML_DIR:-}" ]; then
		$pin "$bin" --dir "$HTML_DIR" --seconds "$seconds"
	else
		$pin "$bin" --html --seconds "$seconds"
	fi
} | tee "$out"
