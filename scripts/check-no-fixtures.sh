#!/usr/bin/env bash
# The production binary must not be able to expose the conformance fixture
# tools: their names must not even be present in it (issue 2, item 7).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/imapgate}
test_bin=${2:-build/imapgate-test}
[ -x "$bin" ] || { echo "missing $bin (build first)"; exit 1; }
fixtures="test_simple_text test_image_content test_audio_content test_embedded_resource test_multiple_content_types test_error_handling test_tool_with_progress test_tool_with_logging json_schema_2020_12_tool test_reconnection test_missing_capability test_custom_header"
fail=0
for name in $fixtures; do
	if grep -qaF "$name" "$bin"; then
		echo "production binary contains fixture tool '$name'"
		fail=1
	fi
	# the check itself must be able to fail: the test binary does contain them
	if [ -x "$test_bin" ] && ! grep -qaF "$name" "$test_bin"; then
		echo "test binary lacks fixture '$name' (is this check still meaningful?)"
		fail=1
	fi
done
[ "$fail" -eq 0 ] && echo "ok: $bin carries no fixture tools"
exit "$fail"
