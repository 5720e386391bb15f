#!/usr/bin/env bash
# Static checks of the Dockerfile against DESIGN §12 (no Docker engine or hadolint needed).
# Usage: scripts/check-dockerfile.sh [DOCKERFILE]   (default: the repository's Dockerfile)
# Prints one `ok -`/`not ok -` line per check, then `check-dockerfile: N passed, N failed`;
# exits 1 when a check fails, 2 on usage errors.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
df=${1:-$root/Dockerfile}
deps=$root/scripts/install-deps.sh
[ -r "$df" ] || { echo "check-dockerfile: cannot read $df" >&2; exit 2; }
ignore=$(dirname "$df")/.dockerignore

# One instruction per line as "STAGE INSTRUCTION ARGS": comments dropped, continuation
# lines joined, the instruction upper-cased, stages numbered from 1.
instr=$(awk '
	/^[ \t]*#/ { next }
	{
		line = $0
		sub(/\r$/, "", line)
		if (line ~ /\\[ \t]*$/) { sub(/\\[ \t]*$/, " ", line); acc = acc line; next }
		acc = acc line
		if (acc ~ /^[ \t]*$/) { acc = ""; next }
		sub(/^[ \t]+/, "", acc)
		gsub(/[ \t]+/, " ", acc)
		n = index(acc, " ")
		kw = toupper(n ? substr(acc, 1, n - 1) : acc)
		rest = n ? substr(acc, n + 1) : ""
		if (kw == "FROM") stage++
		print stage + 0, kw, rest
		acc = ""
	}' "$df")
nstages=$(grep -c '^[0-9]* FROM ' <<<"$instr" || true)
final=$(awk -v s="$nstages" '$1 == s' <<<"$instr")
early=$(awk -v s="$nstages" '$1 < s' <<<"$instr")

pass=0
fail=0
check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "ok - $what"
		pass=$((pass + 1))
	else
		echo "not ok - $what"
		fail=$((fail + 1))
	fi
}
has() { grep -Eq -- "$1" <<<"$2"; }  # has REGEX TEXT
hasnt() { ! grep -Eq -- "$1" <<<"$2"; }

# Every FROM names Debian 12 (bookworm) with an explicit tag, or an earlier stage.
bases_ok() {
	local kw image rest aliases=" "
	while read -r _ kw image rest; do
		[ "$kw" = FROM ] || continue
		case "$image" in --platform=*) read -r image rest <<<"$rest" ;; esac
		case "$image" in
		debian:12 | debian:12-slim | debian:bookworm | debian:bookworm-slim) ;;
		debian:12@sha256:* | debian:12-slim@sha256:* | debian:bookworm@sha256:* | \
			debian:bookworm-slim@sha256:*) ;;
		*) [[ "$aliases" == *" $image "* ]] || return 1 ;;
		esac
		if [[ "$rest" =~ ^[Aa][Ss]\ ([^ ]+) ]]; then aliases+="${BASH_REMATCH[1]} "; fi
	done <<<"$instr"
}

# The last USER of the final stage is set and is neither root nor uid 0.
user_ok() {
	local u
	u=$(awk '$2 == "USER" { u = $3 } END { print u }' <<<"$final")
	[ -n "$u" ] || return 1
	case "${u%%:*}" in root | 0) return 1 ;; esac
}

# The HEALTHCHECK runs a program the runtime stage has: curl (then install-deps.sh --runtime
# must list it), bash or the gateway itself.
probe_ok() {
	local cmd tool list
	cmd=$(awk '$2 == "HEALTHCHECK" { print }' <<<"$final")
	[[ "$cmd" =~ CMD\ +(\[\ *\")?([^\"\ ]+) ]] || return 1
	tool=${BASH_REMATCH[2]}
	case "$tool" in
	curl | /usr/bin/curl)
		list=$(awk '/^runtime=\(/, /\)/' "$deps")
		has '(^|[[:space:](])curl([[:space:])]|$)' "$list" ;;
	bash | /bin/bash | /usr/bin/bash | imapgate | /usr/local/bin/imapgate) ;;
	*) return 1 ;;
	esac
}

# The final stage starts from a fresh Debian image, not from an earlier (build) stage.
fresh_ok() {
	local image
	image=$(awk '$2 == "FROM" { print $3 == "" ? "" : ($3 ~ /^--platform=/ ? $4 : $3) }' \
		<<<"$final")
	[[ "$image" == debian:* ]]
}

check "multi-stage build (at least two FROM)" test "$nstages" -ge 2
check "every base image is debian:12 / bookworm (or an earlier stage)" bases_ok
check "runtime stage starts from a fresh Debian image" fresh_ok
check "build stage installs packages with scripts/install-deps.sh" \
	has '^[0-9]+ RUN .*scripts/install-deps\.sh( |$|&|;)' "$early"
check "build stage installs build packages (not --runtime)" \
	hasnt '^[0-9]+ RUN .*install-deps\.sh +--runtime' "$early"
check "runtime stage runs install-deps.sh --runtime" \
	has '^[0-9]+ RUN .*install-deps\.sh +--runtime' "$final"
check "no package installs outside install-deps.sh" \
	hasnt '^[0-9]+ RUN .*(apt-get|apt|aptitude) +(-[^ ]+ +)*install' "$instr"
check "runtime stage removes the apt lists" has '^[0-9]+ RUN .*rm -rf /var/lib/apt/lists' "$final"
check "release build" has '^[0-9]+ RUN .*CMAKE_BUILD_TYPE=Release' "$early"
check "runtime stage never receives the test binary" hasnt 'imapgate-test' "$final"
check "final USER is set and not root" user_ok
check "service user has fixed uid/gid 10001" has '^[0-9]+ RUN .*useradd .*--uid 10001' "$final"
check "HEALTHCHECK present in the runtime stage" has '^[0-9]+ HEALTHCHECK ' "$final"
check "HEALTHCHECK is not disabled" hasnt '^[0-9]+ HEALTHCHECK +NONE' "$final"
check "HEALTHCHECK probes /healthz on loopback" \
	has '^[0-9]+ HEALTHCHECK .*http://127\.0\.0\.1:8080/healthz' "$final"
check "HEALTHCHECK program exists in the runtime stage" probe_ok
check "ENTRYPOINT is exec form /usr/local/bin/imapgate" \
	has '^[0-9]+ ENTRYPOINT \[ *"/usr/local/bin/imapgate" *\]' "$final"
check "CMD is [\"serve\"]" has '^[0-9]+ CMD \[ *"serve" *\]' "$final"
check "EXPOSE 8080" has '^[0-9]+ EXPOSE (.* )?8080(/tcp)?( |$)' "$final"
check "VOLUME /data" has '^[0-9]+ VOLUME .*/data' "$final"
check "ENV IMAPGATE_SERVER_DATA_DIR=/data" \
	has '^[0-9]+ ENV (.* )?IMAPGATE_SERVER_DATA_DIR=/data( |$)' "$final"
check "ENV IMAPGATE_SERVER_LISTEN=0.0.0.0:8080" \
	has '^[0-9]+ ENV (.* )?IMAPGATE_SERVER_LISTEN=0\.0\.0\.0:8080( |$)' "$final"
check "no ADD (COPY only; no remote fetches)" hasnt '^[0-9]+ ADD ' "$instr"
check "no secrets baked into ENV/ARG" \
	hasnt '^[0-9]+ (ENV|ARG) .*(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY)[A-Z_]*=' "$instr"
check "no sudo, no world-writable chmod" hasnt '(sudo |chmod +(-R +)?[0-7]?[0-7][0-7]7)' "$instr"
check ".dockerignore exists" test -r "$ignore"
ignore_ok() {
	grep -Eq '^/?\.git/?$' "$ignore" && grep -Eq '^/?build/?$' "$ignore" &&
		grep -Eq 'node_modules' "$ignore"
}
check ".dockerignore excludes .git, build and node_modules" ignore_ok

echo "check-dockerfile: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
