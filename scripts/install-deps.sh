#!/usr/bin/env bash
# Install the Debian 12 packages imapgate builds, tests and benchmarks with (DESIGN §15).
# Idempotent: installs only what is missing, and prints nothing when everything is present.
# Usage: scripts/install-deps.sh [--runtime|--build]
#   --runtime  only what the binary needs to run (the container's final stage)
#   --build    what building needs, without the test and benchmark tools (Docker build stage)
set -euo pipefail

# curl is a runtime package: the container HEALTHCHECK and operators' debugging use it.
# publicsuffix is the Public Suffix List file libpsl loads at start (docs/content.md).
runtime=(libmicrohttpd12 libmbedtls14 libmbedx509-1 libmbedcrypto7 libjson-c5 libcurl4
	libssl3 libsqlite3-0 libsodium23 libgmime-3.0-0 libgumbo1 libicu72 libinih1 libpsl5
	publicsuffix ca-certificates curl)
build=(build-essential cmake pkg-config clang libclang-rt-14-dev
	libmicrohttpd-dev libmbedtls-dev libjson-c-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
	libsodium-dev libgmime-3.0-dev libgumbo-dev libicu-dev libinih-dev libpsl-dev libcmocka-dev
	sqlite3 jq)
# chromium: the browser oracle of tests/visibility (test-only, never in the container)
tests=(nodejs npm wrk python3 python3-jsonschema openssl dovecot-imapd clang-tidy chromium)

want=("${runtime[@]}")
case "${1:-}" in
--runtime) ;;
--build) want+=("${build[@]}") ;;
"") want+=("${build[@]}" "${tests[@]}") ;;
*)
	echo "usage: $0 [--runtime|--build]" >&2
	exit 2
	;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# The machine may carry its own Node.js outside dpkg; any node >= 18 with npm is enough.
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	keep=()
	for p in "${missing[@]}"; do
		case "$p" in nodejs | npm) ;; *) keep+=("$p") ;; esac
	done
	missing=("${keep[@]+"${keep[@]}"}")
fi
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root or install them)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing dovecot-imapd would start Debian's own Dovecot on 143/993; the
# tests run their own. A policy-rc.d that exits 101 keeps services from
# starting during this install only (an existing one is left alone).
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
