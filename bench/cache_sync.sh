#!/usr/bin/env bash
# Cache and sync benchmark (DESIGN §13; issue 5 "Benchmark"): loads N generated
# messages (default 100,000) into a throwaway Dovecot and prints, side by side,
#   - initial sync time vs Dovecot streaming the same UID FETCH 1:* to a null client;
#   - delta sync after 100 new messages;
#   - cached `search` over MCP, p50/p99 for typical queries, vs the same query
#     answered with IMAP UID SEARCH + UID FETCH of the page's envelopes;
#   - full-text (indexed bodies) text search vs the server's SEARCH TEXT.
# A benchmark, not a test: it prints figures and never asserts timings; it exits
# non-zero only on set-up errors or invalid measurements (error answers).
#
# usage: bench/cache_sync.sh [--messages N] [--bodies N] [--iterations N] [BUILD_DIR]
#   BUILD_DIR defaults to ./build (a RelWithDebInfo build: never benchmark ASan).
# Loading: messages are written straight into the folder's Maildir (tmp/ then cur/,
# flags in the name, mtime = INTERNALDATE) and Dovecot indexes them at the first
# SELECT (timed and reported separately), which is ~50x faster than APPEND.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
messages=100000
bodies=2000
iterations=200
build=$root/build
while [ $# -gt 0 ]; do
	case "$1" in
	--messages) messages=$2; shift 2 ;;
	--bodies) bodies=$2; shift 2 ;;
	--iterations) iterations=$2; shift 2 ;;
	-h | --help) sed -n 2,17p "$0"; exit 0 ;;
	*) build=$1; shift ;;
	esac
done
bin=$build/imapgate
[ -x "$bin" ] || { echo "cache_sync.sh: $bin not built" >&2; exit 2; }
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

tmp=$(mktemp -d /tmp/igbench.XXXXXX)
chmod 0711 "$tmp"
cleanup() {
	"$root/tests/imap/dovecot.sh" stop "$tmp/dv" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
"$root/tests/imap/dovecot.sh" start "$tmp/dv" --no-fill >/dev/null
mkdir -p "$here/results"
timeout -k 5 3000 "$PY" "$here/cache_bench.py" --bin "$bin" --dv "$tmp/dv" --tmp "$tmp" \
	--messages "$messages" --bodies "$bodies" --iterations "$iterations" \
	--results "$here/results"
