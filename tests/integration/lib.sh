# shellcheck shell=bash disable=SC2034,SC2154
# (SC2034/SC2154: the globals below are set here for the suites, and conf
# and gw_port are set by them)
# What the integration suites share, sourced by them (not a suite itself:
# scripts/test.sh runs every *_suite.sh). A suite starts with
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   ig_suite_init NAME DEFAULT_BUDGET TMP_PREFIX "$@"
#
# and then has: the TAP helpers emit/ok/nok/check; a temporary directory
# removed at exit (kept with KEEP_TMP=1 or after any "not ok"); a watchdog
# that ends the suite after SUITE_BUDGET seconds; and at exit, only the
# processes the suite started are stopped, by PID (those in pids and gw_pid;
# a suite that tracks others defines ig_on_exit, which runs first), then the
# throwaway Dovecot, and every tools/call result the suite's checks made
# through mcp_client.py is checked against its tool's outputSchema
# (tool_results.py; a mismatch is a "not ok" and fails the suite). Then, as the suite needs them: ig_dovecot_start,
# ig_bg / ig_wait_port / ig_hostile_start / ig_hostile_ports, ig_wrong_cert,
# ig_free_port, ig_conf_server / ig_conf_account, ig_token, ig_gateway_start /
# ig_gateway_serve / ig_gateway_stop, ig_run_checks, and last ig_summary.
#
# Globals set by ig_suite_init: suite, build, root, bin, budget, PY, tmp, dv,
# results, pids, gw_pid, watchdog, ig_cli_err; exported: IG_SUITE_DIR (this
# folder, where the checks find mcp_client.py). The suite sets conf (the
# gateway config path) and gw_port (ig_free_port) before the gateway helpers.

ig_suite_init() { # ig_suite_init NAME DEFAULT_BUDGET TMP_PREFIX BUILD_DIR…
	suite=$1
	budget=${SUITE_BUDGET:-$2}
	local prefix=$3
	shift 3
	if [ $# -ne 1 ]; then
		echo "usage: $0 BUILD_DIR" >&2
		exit 2
	fi
	build=$(cd "$1" 2>/dev/null && pwd) || {
		echo "not ok - $suite: build dir $1 not found"
		exit 1
	}
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	# the embedded checks import mcp_client from here (sys.path)
	export IG_SUITE_DIR="$root/tests/integration"
	bin="$build/imapgate-test"
	PY=${PYTHON:-python3}
	[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
	# short: Dovecot's Unix sockets live under it (108-byte limit)
	tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
	chmod 0711 "$tmp" # Dovecot's mail and auth users traverse it
	dv="$tmp/dv"
	results="$tmp/results.tap"
	: >"$results"
	# mcp_client.py logs every tools/call result here; ig_cleanup checks
	# them against the tools' output schemas (tool_results.py)
	export IG_RESULT_LOG="$tmp/tool_results.jsonl"
	pids=() # test servers started by the suite, stopped by PID at exit
	gw_pid=""
	watchdog=""
	ig_cli_err="$tmp/token.err" # stderr of ig_token
	trap ig_cleanup EXIT
	trap 'echo "not ok - $suite: time budget of ${budget}s exhausted"; exit 1' TERM
	(
		sleep "$budget" &
		s=$!
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		wait "$s" && kill -TERM $$ 2>/dev/null
	) </dev/null >/dev/null 2>&1 &
	watchdog=$!
}

emit() { echo "$1" | tee -a "$results"; }
ok() { emit "ok - $suite: $1"; }
nok() { emit "not ok - $suite: $1${2:+ ($2)}"; }
check() { if [ "$2" -eq 0 ]; then ok "$1"; else nok "$1" "${3:-}"; fi; } # check NAME STATUS [WHY]

# True when PID is a child of this shell that has not been reaped: a PID
# already waited for may belong to someone else by now.
ig_own() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) } # after "(comm) ": state ppid …
	# shellcheck disable=SC2086
	set -- $st
	[ "${2:-}" = "$$" ]
}

ig_cleanup() {
	local p
	[ -n "$watchdog" ] && kill "$watchdog" 2>/dev/null
	if declare -F ig_on_exit >/dev/null; then ig_on_exit; fi
	for p in "${pids[@]}" $gw_pid; do ig_own "$p" && kill -TERM "$p" 2>/dev/null; done
	for p in "${pids[@]}" $gw_pid; do ig_own "$p" && wait "$p" 2>/dev/null; done
	"$root/tests/imap/dovecot.sh" stop "$dv" >/dev/null 2>&1
	"$PY" "$root/tests/integration/tool_results.py" "$IG_RESULT_LOG" "$suite" | tee -a "$results"
	local schema_rc=${PIPESTATUS[0]}
	if [ "${KEEP_TMP:-0}" = 1 ] || grep -q '^not ok' "$results" 2>/dev/null; then
		echo "# $suite: logs kept in $tmp"
	else
		rm -rf "$tmp"
	fi
	[ "$schema_rc" -eq 0 ] || exit 1
}

# Starts the throwaway Dovecot in $dv (tests/imap/dovecot.sh; extra arguments
# such as --no-fill are passed on) and sources $dv/env: IMAPS_PORT,
# IMAP_PORT, FINGERPRINT, CA_FILE, CERT_FILE, KEY_FILE, START_MS. On failure
# prints nok "Dovecot starts" with the script's last lines and ends the
# suite. The script's output stays in ig_out.
ig_dovecot_start() {
	if ! ig_out=$("$root/tests/imap/dovecot.sh" start "$dv" "$@" 2>&1); then
		nok "Dovecot starts" "$(printf '%s' "$ig_out" | tail -5 | tr '\n' ' ')"
		exit 1
	fi
	# shellcheck disable=SC1091
	. "$dv/env"
}

# ig_bg NAME CMD…: runs CMD in the background with stdout in $tmp/NAME.out and
# stderr in $tmp/NAME.err; its PID joins pids (stopped at exit).
ig_bg() {
	local name=$1
	shift
	"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pids+=($!)
}

# ig_wait_port FILE: prints the port a test server announced in FILE (a line
# "listening PORT"), waiting up to 5 s; prints nothing when none came.
ig_wait_port() {
	local port=""
	for _ in $(seq 1 100); do
		port=$(awk '$1=="listening"{print $2}' "$1" 2>/dev/null)
		[ -n "$port" ] && break
		sleep 0.05
	done
	echo "$port"
}

# ig_hostile_start SCENARIO [CERT KEY]: one tests/imap/hostile_imap.py server
# (output in $tmp/h-SCENARIO.out/.err) with Dovecot's certificate unless
# another is given, ending by itself after the suite's budget.
ig_hostile_start() {
	ig_bg "h-$1" "$PY" "$root/tests/imap/hostile_imap.py" --port 0 --scenario "$1" \
		--cert "${2:-$CERT_FILE}" --key "${3:-$KEY_FILE}" --max-seconds "$budget"
}

# ig_hostile_ports SCENARIO…: waits for each started hostile server and
# appends "SCENARIO PORT" to $tmp/hostile.ports; nok for one without a port.
ig_hostile_ports() {
	local s port
	for s in "$@"; do
		port=$(ig_wait_port "$tmp/h-$s.out")
		if [ -n "$port" ]; then
			echo "$s $port" >>"$tmp/hostile.ports"
		else
			nok "hostile server $s starts" "$(head -c 300 "$tmp/h-$s.err")"
		fi
	done
}

# A self-signed certificate that is not Dovecot's ($tmp/wrong.pem, key
# $tmp/wrong.key) and its SHA-256 fingerprint in wrong_fp: for wrong-pin and
# wrong-CA checks.
ig_wrong_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-keyout "$tmp/wrong.key" -out "$tmp/wrong.pem" -subj "/CN=127.0.0.1" \
		-addext "subjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost" 2>/dev/null
	wrong_fp=$(openssl x509 -in "$tmp/wrong.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
}

# Prints a TCP port free on 127.0.0.1 (for the gateway's listen address).
ig_free_port() {
	"$PY" -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'
}

# ig_conf_server [LINE…]: the gateway's [server] section: listen on
# 127.0.0.1:$gw_port, data in $tmp/data, then the given lines.
ig_conf_server() {
	printf '[server]\nlisten = 127.0.0.1:%s\ndata_dir = %s/data\n' "$gw_port" "$tmp"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	printf '\n'
}

# ig_conf_account NAME PORT TLS USER PASSWORD_FILE PIN|ca:FILE [LINE…]: an
# [account NAME] section for an IMAP server on 127.0.0.1 (TLS implicit or
# starttls), its certificate pinned by SHA-256 fingerprint or verified
# against the CA file after "ca:", then the given lines.
ig_conf_account() {
	printf '[account %s]\nhost = 127.0.0.1\nport = %s\ntls = %s\nuser = %s\npassword_file = %s\n' \
		"$1" "$2" "$3" "$4" "$5"
	case "$6" in
	ca:*) printf 'tls_ca_file = %s\n' "${6#ca:}" ;;
	*) printf 'tls_fingerprint_sha256 = %s\n' "$6" ;;
	esac
	shift 6
	[ $# -gt 0 ] && printf '%s\n' "$@"
	printf '\n'
}

# ig_token NAME [OPTION…]: creates a token in $conf's state and prints its
# secret (nothing on failure); stderr is appended to $ig_cli_err.
ig_token() {
	"$bin" token create --name "$1" "${@:2}" --config "$conf" 2>>"$ig_cli_err"
}

# ig_gateway_start [LOG]: starts `$bin serve --config $conf` (stdout appended
# to $tmp/gateway.out, stderr to $tmp/LOG, default gateway.log) with its PID
# in gw_pid, and waits up to 10 s until /healthz answers on $gw_port.
# Returns 1 when it does not, or when the gateway exited.
ig_gateway_start() {
	"$bin" serve --config "$conf" </dev/null >>"$tmp/gateway.out" 2>>"$tmp/${1:-gateway.log}" &
	gw_pid=$!
	for _ in $(seq 1 200); do
		curl -sf --max-time 1 "http://127.0.0.1:$gw_port/healthz" >/dev/null && return 0
		kill -0 "$gw_pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# ig_gateway_serve: ig_gateway_start, then ok "gateway serves", or nok
# "gateway starts" with the log's last lines and the suite ends.
ig_gateway_serve() {
	ig_gateway_start && ok "gateway serves" || {
		nok "gateway starts" "$(tail -5 "$tmp/gateway.log" | tr '\n' ' ')"
		exit 1
	}
}

# ig_run_checks SCRIPT [ARG…]: runs tests/integration/SCRIPT with ARGs under
# $PY, bounded by the suite's budget less 30 s, its TAP lines added to the
# results and its stderr to $tmp/py.stderr; an exit status other than 0 or 1
# (a crash, the timeout) is a "not ok".
ig_run_checks() {
	local rc
	timeout -k 5 $((budget - 30)) "$PY" "$root/tests/integration/$1" "${@:2}" \
		2>>"$tmp/py.stderr" | tee -a "$results"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		nok "$1 ended with $rc" "$(tail -3 "$tmp/py.stderr" | tr '\n' ' ')"
	fi
}

# ig_gateway_stop: SIGTERM to the gateway ig_gateway_start started; ok when
# it exits with 0, and when $tmp/gateway.log holds no sanitizer report.
ig_gateway_stop() {
	local grc
	kill -TERM "$gw_pid" 2>/dev/null
	wait "$gw_pid" 2>/dev/null
	grc=$?
	if [ "$grc" -eq 0 ]; then ok "gateway exits cleanly on SIGTERM"; else nok "gateway exit status $grc" "$(grep -m3 -E 'ERROR: AddressSanitizer|runtime error' "$tmp/gateway.log" | tr '\n' ' ')"; fi
	if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$tmp/gateway.log"; then
		nok "no sanitizer report" "$(grep -m2 -E 'AddressSanitizer|runtime error' "$tmp/gateway.log" | tr '\n' ' ')"
	else
		ok "no sanitizer report in the gateway log"
	fi
}

# ig_summary: prints "SUITE: P passed, F failed"; the suite's last
# command, its status is the suite's (1 when anything failed).
ig_summary() {
	local p f
	p=$(grep -c '^ok' "$results")
	f=$(grep -c '^not ok' "$results")
	echo "$suite: $p passed, $f failed"
	[ "$f" -eq 0 ]
}
