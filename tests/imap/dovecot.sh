#!/usr/bin/env bash
# A throwaway Dovecot for tests only (DESIGN §14; facts in ../shared/DOVECOT-NOTES.md).
#   tests/imap/dovecot.sh start DIR [--no-fill] [--classic]
#                                                 start, fill mailboxes, write DIR/env;
#                                                 --classic: the classic layout (namespace
#                                                 prefix "INBOX.", separator ".": every
#                                                 folder is INBOX.name, as on Cyrus/Courier)
#   tests/imap/dovecot.sh stop DIR                stop by DIR/run/master.pid and wait
# DIR should be short (Unix socket paths under DIR/run are limited to 108 bytes);
# it is created when missing. Nothing is read from /etc/dovecot.
#
# Written to DIR:
#   env          shell-sourceable: IMAPS_PORT, IMAP_PORT, FINGERPRINT, CA_FILE, CERT_FILE,
#                KEY_FILE, DOVECOT_DIR, DOVECOT_CONF, START_MS
#   cert.pem     the CA certificate that signed the server certificate (use as tls_ca_file)
#   server.pem / server.key   the server's leaf certificate and key (CN/SAN 127.0.0.1, localhost)
#   fingerprint  SHA-256 of the leaf certificate's DER, colon-separated upper-case hex
#   alice.pw, bob.pw   the throwaway users' passwords (no newline)
#   dovecot.conf, dovecot.log, passwd, mail/USER/Maildir
# Every process started here is bounded: the master is stopped by PID; the
# fill step has a timeout.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
	echo "usage: dovecot.sh start|stop DIR [--no-fill] [--classic]" >&2
	exit 2
}

now_ms() { date +%s%3N; }
# Debian's python3 starts in ~30 ms; a pyenv shim first on PATH costs ~300 ms per call
PY=${PYTHON:-python3}
[ -z "${PYTHON:-}" ] && [ -x /usr/bin/python3 ] && PY=/usr/bin/python3

children() { # PIDs whose parent is $1 (from /proc: procps may be missing)
	local parent=$1 f st
	for f in /proc/[0-9]*/stat; do
		read -r st 2>/dev/null <"$f" || continue
		st=${st##*) } # after "(comm) ": state ppid ...
		set -- $st
		if [ "${2:-}" = "$parent" ]; then
			f=${f#/proc/}
			echo "${f%/stat}"
		fi
	done
}

stop() {
	local pidf="$dir/run/master.pid" pid kids k
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	if kill -0 "$pid" 2>/dev/null; then
		kids=$(children "$pid")
		kill -TERM "$pid"
		# the master signals its children, sleeps a second for them and exits (~2.5 s)
		for _ in $(seq 1 200); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			kill -KILL "$pid" 2>/dev/null || true
			echo "dovecot.sh: master $pid did not stop in 10 s, killed" >&2
			for k in $kids; do # only the children seen under this master
				kill -KILL "$k" 2>/dev/null || true
			done
		fi
	fi
	rm -f "$pidf"
}

free_ports() { # two distinct free ports on 127.0.0.1
	"$PY" -c 'import socket
a=socket.socket();a.bind(("127.0.0.1",0));b=socket.socket();b.bind(("127.0.0.1",0))
print(a.getsockname()[1],b.getsockname()[1])'
}

if [ "$cmd" = stop ]; then
	stop
	exit 0
fi
[ "$cmd" = start ] || {
	echo "usage: dovecot.sh start|stop DIR [--no-fill] [--classic]" >&2
	exit 2
}
fill=1
ns_prefix=""
ns_sep=/
for a in "${@:3}"; do
	case "$a" in
	--no-fill) fill=0 ;;
	--classic) ns_prefix="INBOX." ns_sep=. ;;
	*)
		echo "dovecot.sh: unknown option $a" >&2
		exit 2
		;;
	esac
done

t0=$(now_ms)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -f "$dir/run/master.pid" ] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null; then
	echo "dovecot.sh: already running in $dir" >&2
	exit 1
fi
if [ "${#dir}" -gt 60 ]; then
	echo "dovecot.sh: DIR path too long for Unix sockets (${#dir} > 60): $dir" >&2
	exit 2
fi
# mail and auth users must be able to traverse DIR (mktemp -d makes it 0700) and
# every directory above it
chmod 0755 "$dir"
if [ "$(id -u)" -eq 0 ]; then
	p=$(dirname "$dir")
	while [ "$p" != / ]; do
		if [ "$(( $(stat -c %a "$p" | sed 's/.*\(.\)$/\1/') & 1 ))" -eq 0 ]; then
			echo "dovecot.sh: $p is not searchable by others (chmod o+x it): Dovecot's users must reach $dir" >&2
			exit 1
		fi
		p=$(dirname "$p")
	done
fi
mkdir -p "$dir/run" "$dir/state" "$dir/mail"

# --- certificates: a throwaway CA and a leaf signed by it (EC P-256: fast) ---
# SAN carries 127.0.0.1 as an IP and also as a DNS name: mbedTLS 2.28 (Debian 12)
# matches the host name only against dNSName entries.
(
	cd "$dir"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout ca.key -out cert.pem -days 2 -subj "/CN=imapgate test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
	printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:127.0.0.1,DNS:localhost\n' >server.ext
	openssl x509 -req -in server.csr -CA cert.pem -CAkey ca.key -CAcreateserial \
		-days 2 -sha256 -extfile server.ext -out server.pem 2>/dev/null
	rm -f server.csr server.ext cert.srl
	chmod 0600 ca.key
	chmod 0640 server.key
)
fp=$(openssl x509 -in "$dir/server.pem" -noout -fingerprint -sha256 | sed 's/^.*=//')
printf '%s\n' "$fp" >"$dir/fingerprint"

# --- users ---
if [ "$(id -u)" -eq 0 ]; then
	mail_uid=$(id -u nobody)
	mail_gid=$(id -g nobody)
	chown -R "$mail_uid:$mail_gid" "$dir/mail"
	chgrp dovecot "$dir/server.key"
else
	mail_uid=$(id -u)
	mail_gid=$(id -g)
fi
: >"$dir/passwd"
for u in alice bob; do
	pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=\n')
	printf '%s' "$pw" >"$dir/$u.pw"
	chmod 0600 "$dir/$u.pw"
	printf '%s:{PLAIN}%s:%s:%s::%s::\n' "$u" "$pw" "$mail_uid" "$mail_gid" "$dir/mail/$u" >>"$dir/passwd"
done
if [ "$(id -u)" -eq 0 ]; then
	chgrp dovecot "$dir/passwd"
	chmod 0640 "$dir/passwd"
else
	chmod 0600 "$dir/passwd"
fi

# --- config ---
read -r imaps_port imap_port < <(free_ports)
if [ "$(id -u)" -eq 0 ]; then
	users="default_internal_user = dovecot
default_login_user = dovenull"
	chroot_login="chroot = login"
	chroot_anvil="chroot = empty"
else
	me=$(id -un)
	users="default_internal_user = $me
default_internal_group = $(id -gn)
default_login_user = $me"
	chroot_login="chroot ="
	chroot_anvil="chroot ="
fi
cat >"$dir/dovecot.conf" <<CONF
# generated by tests/imap/dovecot.sh — test only, includes nothing from /etc
base_dir = $dir/run
state_dir = $dir/state
instance_name = imapgate-test-$$
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
protocols = imap
listen = 127.0.0.1
$users
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
first_valid_gid = 0
mail_location = maildir:~/Maildir
mail_home = $dir/mail/%n
# throwaway data: no fsync (APPENDs are several times faster)
mail_fsync = never

ssl = yes
ssl_cert = <$dir/server.pem
ssl_key = <$dir/server.key
ssl_min_protocol = TLSv1.2
ssl_dh = </usr/share/dovecot/dh.pem
# loopback counts as secure anyway; say it explicitly
disable_plaintext_auth = no
auth_mechanisms = plain login

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%n $dir/passwd
}

namespace inbox {
  inbox = yes
  prefix = $ns_prefix
  separator = $ns_sep
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

# Suites configure many gateway accounts for the same user (send_suite: ten),
# and every account's worker keeps a warm connection for the cache sync;
# Dovecot's default of 10 per user+IP would refuse the suite's own clients.
protocol imap {
  mail_max_userip_connections = 64
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
    ssl = yes
  }
  $chroot_login
  process_min_avail = 0
}
service anvil {
  $chroot_anvil
}
service pop3-login {
  inet_listener pop3 {
    port = 0
  }
  inet_listener pop3s {
    port = 0
  }
}
service submission-login {
  inet_listener submission {
    port = 0
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
  }
}
# CONDSTORE, QRESYNC, MOVE, IDLE, ESEARCH, LIST-STATUS, SPECIAL-USE, UIDPLUS are
# offered after login by 2.3 without plugins.
imap_idle_notify_interval = 2 mins
CONF

# Dovecot keeps its inherited stdio open: never hand it a pipe.
dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.stdout" 2>&1 || {
	echo "dovecot.sh: dovecot failed to start:" >&2
	tail -20 "$dir/dovecot.stdout" "$dir/dovecot.log" >&2 2>/dev/null
	exit 1
}

# wait until both listeners answer (bounded: 5 s)
up=0
for _ in $(seq 1 100); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$imap_port") 2>/dev/null &&
		(exec 3<>"/dev/tcp/127.0.0.1/$imaps_port") 2>/dev/null; then
		up=1
		break
	fi
	sleep 0.05
done
if [ "$up" -ne 1 ]; then
	echo "dovecot.sh: listeners did not come up in 5 s" >&2
	tail -20 "$dir/dovecot.log" >&2 2>/dev/null
	stop
	exit 1
fi
t_up=$(now_ms)

cat >"$dir/env" <<ENV
IMAPS_PORT=$imaps_port
IMAP_PORT=$imap_port
FINGERPRINT=$fp
CA_FILE=$dir/cert.pem
CERT_FILE=$dir/server.pem
KEY_FILE=$dir/server.key
DOVECOT_DIR=$dir
DOVECOT_CONF=$dir/dovecot.conf
ENV

if [ "$fill" -eq 1 ]; then
	if ! timeout 60 "$PY" "$here/fill.py" --dir "$dir" >"$dir/fill.log" 2>&1; then
		echo "dovecot.sh: fill failed:" >&2
		tail -20 "$dir/fill.log" >&2
		stop
		exit 1
	fi
fi
t1=$(now_ms)
echo "START_MS=$((t1 - t0))" >>"$dir/env"
echo "dovecot.sh: started in $((t1 - t0)) ms (listening after $((t_up - t0)) ms; imaps $imaps_port, imap+starttls $imap_port; pid $(cat "$dir/run/master.pid"))"
