#!/usr/bin/env bash
# clang-tidy with the committed .clang-tidy over every .c file of the
# project's source folders (tests and benchmarks are not checked), with the
# compile flags of BUILD_DIR/compile_commands.json; our own headers are
# checked through the files that include them. Fails on any finding, and on
# a source file the build does not compile (it would be checked with guessed
# flags). Each finding is printed once.
# Usage: scripts/check-tidy.sh [BUILD_DIR]   (default: build; configure first)
# IG_TIDY_JOBS: parallel clang-tidy processes (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${1:-build}
jobs=${IG_TIDY_JOBS:-2}
folders=(base content store imap handlers server web cli)

if ! command -v clang-tidy >/dev/null 2>&1; then
	echo "check-tidy: clang-tidy not found (scripts/install-deps.sh installs it)"
	exit 1
fi
if [ ! -f "$build/compile_commands.json" ]; then
	echo "check-tidy: $build/compile_commands.json missing (run cmake -S . -B $build first)"
	exit 1
fi

mapfile -t files < <(git ls-files -- "${folders[@]/%//*.c}")
if [ "${#files[@]}" -eq 0 ]; then
	echo "check-tidy: no source files found"
	exit 1
fi
missing=0
for f in "${files[@]}"; do
	if ! grep -qF "\"file\": \"$top/$f\"" "$build/compile_commands.json"; then
		echo "check-tidy: $f is not in $build/compile_commands.json (re-run cmake)"
		missing=1
	fi
done
[ "$missing" -eq 0 ] || exit 1

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Our headers by path; system and third-party headers stay filtered out.
header_filter="^$top/($(
	IFS='|'
	echo "${folders[*]}"
))/"
# One file per process: several files in one clang-tidy 14 process leak
# analyzer state between them (false valist.Uninitialized findings). Each
# writes its own log and exit status, so parallel output never interleaves.
# clang-tidy exits non-zero when it cannot compile a file (or crashes); that
# fails the check too.
# shellcheck disable=SC2016 # the sh -c script expands its own arguments
printf '%s\0' "${files[@]}" |
	xargs -0 -n 1 -P "$jobs" sh -c '
		log=$(mktemp "$3/run.XXXXXX")
		b=$1 hf=$2
		shift 3
		clang-tidy -p "$b" --quiet --header-filter="$hf" "$@" >"$log" 2>&1
		echo "$? $*" >"$log.rc"
	' sh "$build" "$header_filter" "$out"

fail=0
findings=$(cat "$out"/run.?????? | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error): ' | sort -u || true)
if [ -n "$findings" ]; then
	printf '%s\n' "$findings" | sed "s|^$top/||"
	echo "check-tidy: $(printf '%s\n' "$findings" | wc -l) finding(s)"
	echo "check-tidy: clang-tidy -p $build FILE shows a finding with its notes"
	fail=1
fi
while read -r rc batch; do
	if [ "$rc" -ne 0 ]; then
		echo "check-tidy: clang-tidy exited $rc on: $batch"
		fail=1
	fi
done < <(cat "$out"/*.rc)
[ "$fail" -eq 0 ] && echo "ok: clang-tidy found nothing in ${#files[@]} files"
exit "$fail"
