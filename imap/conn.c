/* IMAP connection and command loop.
 * RFC 3501 §2.2 (commands and responses), §6.2.1 (STARTTLS), §7.1.4 (BYE),
 * §7.1.5 (PREAUTH); RFC 9051 §6.2.1; RFC 8314 (implicit TLS preferred);
 * RFC 7888 (LITERAL+/LITERAL-); RFC 2595 §3.1 (discard pre-TLS state).
 *
 * No plaintext ever carries a credential: a connection is either TLS from
 * the first byte or upgraded by STARTTLS, which must be advertised; a server
 * that refuses, or that greets with PREAUTH before TLS, is refused. Every
 * wait has a deadline (per command and per job), because a per-read timeout
 * never trips on a server that drips one byte at a time. */
#include "imap/conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sodium.h>

#include "base/limits.h"
#include "base/log.h"
#include "imap/mutf7.h"
#include "imap/parse.h"
#include "imap/tls.h"

#define CONN_INBUF 16384

struct imap_conn {
	int fd;
	struct imap_tls *tls;
	struct imap_parser *parser;
	char in[CONN_INBUF];
	size_t in_pos, in_len;
	struct imap_conn_opts o;
	char **caps;
	size_t n_caps;
	unsigned tag_seq;
	bool authenticated;
	bool broken;
	bool utf8;
	bool maybe_selected; /* a SELECT/EXAMINE was sent since the last UNSELECT */
	int64_t job_deadline; /* 0: none */
};

static const char *const fail_names[] = {
	"none",     "not_found",    "exists",     "refused",     "tls",
	"auth",     "timeout",      "conn_lost",  "protocol",    "too_large",
	"unsupported", "config",    "busy",       "invalid",     "internal",
	"cancelled",
	"has_children", "over_quota", "server_limit", "no_permission", "in_use",
	"unavailable", "server_error", "cannot",   "expunged",
};

const char *
imap_fail_str(enum imap_fail f)
{
	if ((size_t)f < sizeof(fail_names) / sizeof(fail_names[0]))
		return fail_names[f];
	return "internal";
}

void
imap_error_set(struct imap_error *err, enum imap_fail f, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	err->fail = f;
	err->refused = false;
	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above */
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
}

char *
imap_text_filter(char *out, size_t outsz, struct slice text)
{
	size_t n = text.len < LIM_IMAP_TEXT ? text.len : LIM_IMAP_TEXT;

	return log_safe(out, outsz, text.p, n);
}

/* --- capabilities --- */

static void
caps_clear(struct imap_conn *c)
{
	size_t i;

	for (i = 0; i < c->n_caps; i++)
		free(c->caps[i]);
	free(c->caps);
	c->caps = NULL;
	c->n_caps = 0;
}

static void
caps_set(struct imap_conn *c, const struct slice *names, size_t n)
{
	size_t i;

	caps_clear(c);
	if (n > LIM_IMAP_CAPS)
		n = LIM_IMAP_CAPS;
	c->caps = calloc(n + 1, sizeof(*c->caps));
	if (c->caps == NULL)
		return;
	for (i = 0; i < n; i++) {
		c->caps[c->n_caps] = strndup(names[i].p, names[i].len);
		if (c->caps[c->n_caps] != NULL)
			c->n_caps++;
	}
}

bool
imap_conn_has_cap(const struct imap_conn *c, const char *cap)
{
	size_t i;

	for (i = 0; i < c->n_caps; i++) {
		if (strcasecmp(c->caps[i], cap) == 0)
			return true;
	}
	return false;
}

size_t
imap_conn_n_caps(const struct imap_conn *c)
{
	return c->n_caps;
}

const char *
imap_conn_cap(const struct imap_conn *c, size_t i)
{
	return i < c->n_caps ? c->caps[i] : NULL;
}

bool
imap_conn_authenticated(const struct imap_conn *c)
{
	return c->authenticated;
}

void
imap_conn_set_authenticated(struct imap_conn *c)
{
	c->authenticated = true;
	imap_conn_set_authenticated_limits(c);
}

void
imap_conn_set_authenticated_limits(struct imap_conn *c)
{
	imap_parser_set_max(c->parser, LIM_IMAP_RESPONSE);
}

bool
imap_conn_broken(const struct imap_conn *c)
{
	return c->broken;
}

void
imap_conn_retire(struct imap_conn *c)
{
	c->broken = true;
}

bool
imap_conn_maybe_selected(const struct imap_conn *c)
{
	return c->maybe_selected;
}

void
imap_conn_note_unselected(struct imap_conn *c)
{
	c->maybe_selected = false;
}

bool
imap_conn_utf8(const struct imap_conn *c)
{
	return c->utf8;
}

void
imap_conn_set_utf8(struct imap_conn *c, bool on)
{
	c->utf8 = on;
}

void
imap_conn_fingerprint(const struct imap_conn *c, unsigned char out[32])
{
	imap_tls_fingerprint(c->tls, out);
}

const char *
imap_conn_tls_version(const struct imap_conn *c)
{
	return imap_tls_version(c->tls);
}

const char *
imap_conn_tls_cipher(const struct imap_conn *c)
{
	return imap_tls_cipher(c->tls);
}

bool
imap_conn_tls_verified(const struct imap_conn *c)
{
	return imap_tls_verified(c->tls);
}

void
imap_conn_set_job_deadline(struct imap_conn *c, int64_t deadline_ms)
{
	c->job_deadline = deadline_ms;
}

static int64_t
cmd_deadline(const struct imap_conn *c)
{
	int64_t d = imap_now_ms() + (int64_t)c->o.command_timeout_s * 1000;

	if (c->job_deadline != 0 && c->job_deadline < d)
		d = c->job_deadline;
	return d;
}

/* --- raw I/O --- */

static enum imap_fail
io_fail(struct imap_conn *c, enum ig_err e, struct imap_error *err, const char *what)
{
	c->broken = true;
	if (e == IG_ELIMIT) {
		imap_error_set(err, IMAP_FAIL_TIMEOUT, "timed out %s", what);
		return IMAP_FAIL_TIMEOUT;
	}
	imap_error_set(err, IMAP_FAIL_CONN_LOST, "connection lost %s", what);
	return IMAP_FAIL_CONN_LOST;
}

static enum ig_err
raw_write(struct imap_conn *c, const char *p, size_t len, int64_t deadline)
{
	size_t off = 0;

	if (c->tls != NULL)
		return imap_tls_write(c->tls, p, len, deadline);
	/* Plaintext only carries the greeting, CAPABILITY and STARTTLS. */
	while (off < len) {
		ssize_t n = send(c->fd, p + off, len - off, MSG_NOSIGNAL);
		enum ig_err e;

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return IG_EIO;
		e = imap_fd_wait(c->fd, POLLOUT, deadline);
		if (e != IG_OK)
			return e;
	}
	return IG_OK;
}

static enum ig_err
raw_read(struct imap_conn *c, int64_t deadline)
{
	size_t n = 0;
	enum ig_err e;

	c->in_pos = 0;
	c->in_len = 0;
	if (c->tls != NULL) {
		e = imap_tls_read(c->tls, c->in, sizeof(c->in), &n, deadline);
		if (e != IG_OK)
			return e;
		c->in_len = n;
		return IG_OK;
	}
	for (;;) {
		ssize_t r = recv(c->fd, c->in, sizeof(c->in), 0);

		if (r > 0) {
			c->in_len = (size_t)r;
			return IG_OK;
		}
		if (r == 0)
			return IG_EIO;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return IG_EIO;
		e = imap_fd_wait(c->fd, POLLIN, deadline);
		if (e != IG_OK)
			return e;
	}
}

enum imap_fail
imap_conn_read(struct imap_conn *c, int64_t deadline_ms, const struct imap_resp **r_r,
	       struct imap_error *err)
{
	return imap_conn_read_soft(c, deadline_ms, false, r_r, err);
}

enum imap_fail
imap_conn_read_soft(struct imap_conn *c, int64_t deadline_ms, bool soft,
		    const struct imap_resp **r_r, struct imap_error *err)
{
	const char *perr = NULL;
	enum ig_err e;
	size_t used;

	if (c->broken) {
		imap_error_set(err, IMAP_FAIL_CONN_LOST, "connection unusable");
		return IMAP_FAIL_CONN_LOST;
	}
	for (;;) {
		/* Checked per response too: a server that floods keeps the
		 * buffer full and would otherwise never reach a wait. */
		if (imap_now_ms() >= deadline_ms) {
			if (soft) {
				imap_error_set(err, IMAP_FAIL_TIMEOUT, "wait ended");
				return IMAP_FAIL_TIMEOUT;
			}
			return io_fail(c, IG_ELIMIT, err, "waiting for the server");
		}
		if (c->in_pos < c->in_len) {
			e = imap_parser_feed(c->parser, c->in + c->in_pos, c->in_len - c->in_pos,
					     &used, r_r, &perr);
			c->in_pos += used;
			if (e == IG_OK)
				return IMAP_FAIL_NONE;
			if (e != IG_AGAIN) {
				c->broken = true;
				if (e == IG_ELIMIT) {
					imap_error_set(err, IMAP_FAIL_TOO_LARGE,
						       "server response over a limit: %s", perr);
					return IMAP_FAIL_TOO_LARGE;
				}
				imap_error_set(err, IMAP_FAIL_PROTOCOL, "malformed server response: %s",
					       perr != NULL ? perr : "?");
				return IMAP_FAIL_PROTOCOL;
			}
		}
		e = raw_read(c, deadline_ms);
		if (e == IG_ELIMIT && soft) {
			imap_error_set(err, IMAP_FAIL_TIMEOUT, "wait ended");
			return IMAP_FAIL_TIMEOUT;
		}
		if (e != IG_OK)
			return io_fail(c, e, err, "waiting for the server");
	}
}

enum imap_fail
imap_conn_send_line(struct imap_conn *c, struct slice line, struct imap_error *err)
{
	int64_t d = cmd_deadline(c);
	enum ig_err e;

	if (c->broken) {
		imap_error_set(err, IMAP_FAIL_CONN_LOST, "connection unusable");
		return IMAP_FAIL_CONN_LOST;
	}
	e = raw_write(c, line.p, line.len, d);
	if (e == IG_OK)
		e = raw_write(c, "\r\n", 2, d);
	if (e != IG_OK)
		return io_fail(c, e, err, "sending a command");
	return IMAP_FAIL_NONE;
}

/* --- commands --- */

void
imap_cmd_init(struct imap_cmd *cmd, struct imap_conn *c, const char *verb)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->c = c;
	/* "a" + a counter: unique per connection, never a special character */
	(void)snprintf(cmd->tag, sizeof(cmd->tag), "a%u", ++c->tag_seq);
	buf_init(&cmd->b, LIM_IMAP_RESPONSE);
	buf_puts(&cmd->b, cmd->tag);
	buf_putc(&cmd->b, ' ');
	buf_puts(&cmd->b, verb);
	if (strcmp(verb, "SELECT") == 0 || strcmp(verb, "EXAMINE") == 0)
		c->maybe_selected = true;
}

void
imap_cmd_atom(struct imap_cmd *cmd, const char *text)
{
	buf_putc(&cmd->b, ' ');
	buf_puts(&cmd->b, text);
}

void
imap_cmd_atomf(struct imap_cmd *cmd, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start above */
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		cmd->invalid = true;
		return;
	}
	imap_cmd_atom(cmd, tmp);
}

void
imap_cmd_string(struct imap_cmd *cmd, struct slice s)
{
	bool quotable = s.len <= 1024;
	size_t i;

	if (s.len > LIM_IMAP_ARG) {
		cmd->invalid = true;
		return;
	}
	for (i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch == '\0' || ch == '\r' || ch == '\n') {
			cmd->invalid = true;
			return;
		}
		/* 8-bit text is only quotable once UTF8=ACCEPT is on */
		if (ch >= 0x80 && !cmd->c->utf8)
			quotable = false;
		if (ch < 0x20 || ch == 0x7f)
			quotable = false;
	}
	buf_putc(&cmd->b, ' ');
	if (quotable) {
		buf_putc(&cmd->b, '"');
		for (i = 0; i < s.len; i++) {
			if (s.p[i] == '"' || s.p[i] == '\\')
				buf_putc(&cmd->b, '\\');
			buf_putc(&cmd->b, s.p[i]);
		}
		buf_putc(&cmd->b, '"');
		return;
	}
	/* A literal: non-synchronizing when LITERAL+ (or LITERAL- for small
	 * ones) is offered, else wait for the server's '+'. */
	if (imap_conn_has_cap(cmd->c, "LITERAL+") ||
	    (imap_conn_has_cap(cmd->c, "LITERAL-") && s.len <= 4096)) {
		buf_appendf(&cmd->b, "{%zu+}\r\n", s.len);
	} else {
		buf_appendf(&cmd->b, "{%zu}\r\n", s.len);
		if (cmd->n_sync == sizeof(cmd->sync) / sizeof(cmd->sync[0])) {
			cmd->invalid = true;
			return;
		}
		cmd->sync[cmd->n_sync++] = cmd->b.len;
	}
	buf_append(&cmd->b, s.p, s.len);
}

void
imap_cmd_mailbox(struct imap_cmd *cmd, struct slice name)
{
	struct buf enc;

	if (name.len == 0 || name.len > LIM_IMAP_MAILBOX) {
		cmd->invalid = true;
		return;
	}
	if (cmd->c->utf8) {
		imap_cmd_string(cmd, name);
		return;
	}
	buf_init(&enc, 4 * (size_t)LIM_IMAP_MAILBOX);
	if (imap_mutf7_encode(name, &enc) != IG_OK)
		cmd->invalid = true;
	else
		imap_cmd_string(cmd, buf_slice(&enc));
	buf_free(&enc);
}

void
imap_cmd_free(struct imap_cmd *cmd)
{
	/* The buffer may hold a password (LOGIN, AUTHENTICATE). */
	if (cmd->b.p != NULL)
		sodium_memzero(cmd->b.p, cmd->b.cap);
	buf_free(&cmd->b);
}

/* Generic handling every response gets, whoever asked. */
static void
conn_note(struct imap_conn *c, const struct imap_resp *r)
{
	/* CAPABILITY data, or a [CAPABILITY ...] code on a status response */
	if ((r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_U_CAPABILITY) ||
	    (r->code == IMAP_CODE_CAPABILITY &&
	     (r->kind == IMAP_RESP_TAGGED ||
	      (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_U_COND))))
		caps_set(c, r->u.caps.names, r->u.caps.n);
	if (r->kind == IMAP_RESP_UNTAGGED && r->type == IMAP_U_COND && r->code == IMAP_CODE_ALERT) {
		char t[LIM_IMAP_TEXT + 1];

		log_warn(0, "msg=\"IMAP server alert\" account=%llx text=\"%s\"",
			 c->o.log_id, imap_text_filter(t, sizeof(t), r->text));
	}
}

/* Whether a tagged NO/BAD reports trouble of the server itself (RFC 5530
 * UNAVAILABLE, SERVERBUG, CORRUPTION) rather than a refusal of the command:
 * the same codes that map to ERR_SERVER_UNAVAILABLE / ERR_SERVER_ERROR. */
static bool
server_fault(const struct imap_resp *r)
{
	return r->code == IMAP_CODE_UNAVAILABLE || r->code == IMAP_CODE_SERVERBUG ||
	       r->code == IMAP_CODE_CORRUPTION;
}

/* Classifies a tagged NO/BAD. */
static enum imap_fail
tagged_fail(const struct imap_resp *r, struct imap_error *err)
{
	char t[LIM_IMAP_TEXT + 1];
	enum imap_fail f;

	(void)imap_text_filter(t, sizeof(t), r->text);
	if (r->cond == IMAP_BAD) {
		imap_error_set(err, IMAP_FAIL_PROTOCOL, "server rejected the command: %s", t);
		return IMAP_FAIL_PROTOCOL;
	}
	f = imap_code_fail(r->code);
	imap_error_set(err, f, "server said NO: %s", t);
	return f;
}

enum imap_fail
imap_code_fail(int code)
{
	switch ((enum imap_code)code) {
	case IMAP_CODE_TRYCREATE:
	case IMAP_CODE_NONEXISTENT:
		return IMAP_FAIL_NOT_FOUND;
	case IMAP_CODE_ALREADYEXISTS:
		return IMAP_FAIL_EXISTS;
	case IMAP_CODE_AUTHENTICATIONFAILED:
	case IMAP_CODE_AUTHORIZATIONFAILED:
	case IMAP_CODE_PRIVACYREQUIRED:
	case IMAP_CODE_EXPIRED:
		return IMAP_FAIL_AUTH;
	case IMAP_CODE_HASCHILDREN:
		return IMAP_FAIL_HAS_CHILDREN;
	case IMAP_CODE_OVERQUOTA:
		return IMAP_FAIL_OVER_QUOTA;
	case IMAP_CODE_LIMIT:
		return IMAP_FAIL_SERVER_LIMIT;
	case IMAP_CODE_NOPERM:
	case IMAP_CODE_CONTACTADMIN:
		return IMAP_FAIL_NO_PERMISSION;
	case IMAP_CODE_INUSE:
		return IMAP_FAIL_IN_USE;
	case IMAP_CODE_UNAVAILABLE:
		return IMAP_FAIL_UNAVAILABLE;
	case IMAP_CODE_SERVERBUG:
	case IMAP_CODE_CORRUPTION:
		return IMAP_FAIL_SERVER_ERROR;
	case IMAP_CODE_CANNOT:
		return IMAP_FAIL_CANNOT;
	case IMAP_CODE_EXPUNGEISSUED:
		return IMAP_FAIL_EXPUNGED;
	case IMAP_CODE_CLIENTBUG: /* the server faults our command */
		return IMAP_FAIL_PROTOCOL;
	default:
		return IMAP_FAIL_REFUSED;
	}
}

enum imap_fail
imap_cmd_run(struct imap_cmd *cmd, imap_untagged_fn fn, void *ctx, uint32_t code_num_r[2],
	     struct imap_error *err)
{
	struct imap_conn *c = cmd->c;
	int64_t deadline;
	size_t off = 0;
	size_t k = 0;
	size_t untagged = 0;
	enum imap_fail f;
	enum imap_fail cb_fail = IMAP_FAIL_NONE;
	enum ig_err e;
	const struct imap_resp *r;

	if (cmd->invalid || buf_err(&cmd->b) != IG_OK) {
		imap_error_set(err, IMAP_FAIL_INVALID, "invalid command argument");
		return IMAP_FAIL_INVALID;
	}
	if (c->broken) {
		imap_error_set(err, IMAP_FAIL_CONN_LOST, "connection unusable");
		return IMAP_FAIL_CONN_LOST;
	}
	deadline = cmd_deadline(c);
	buf_puts(&cmd->b, "\r\n");
	if (buf_err(&cmd->b) != IG_OK) {
		imap_error_set(err, IMAP_FAIL_INVALID, "command too long");
		return IMAP_FAIL_INVALID;
	}
	for (;;) {
		size_t end = k < cmd->n_sync ? cmd->sync[k] : cmd->b.len;

		e = raw_write(c, cmd->b.p + off, end - off, deadline);
		if (e != IG_OK)
			return io_fail(c, e, err, "sending a command");
		off = end;
		/* Read until the tagged reply, or the '+' a literal waits for. */
		for (;;) {
			f = imap_conn_read(c, deadline, &r, err);
			if (f != IMAP_FAIL_NONE)
				return f;
			conn_note(c, r);
			if (r->kind == IMAP_RESP_CONTINUE) {
				if (k < cmd->n_sync)
					break;
				c->broken = true;
				imap_error_set(err, IMAP_FAIL_PROTOCOL, "unexpected continuation");
				return IMAP_FAIL_PROTOCOL;
			}
			if (r->kind == IMAP_RESP_TAGGED) {
				if (!sl_eq_cstr(r->tag, cmd->tag)) {
					c->broken = true;
					imap_error_set(err, IMAP_FAIL_PROTOCOL,
						       "reply to a command never sent");
					return IMAP_FAIL_PROTOCOL;
				}
				if (r->cond != IMAP_OK) {
					f = tagged_fail(r, err);
					if (err != NULL)
						err->refused = !server_fault(r);
					return f;
				}
				if (code_num_r != NULL) {
					code_num_r[0] = r->code_num[0];
					code_num_r[1] = r->code_num[1];
				}
				if (cmd->tagged_code_r != NULL && r->code != IMAP_CODE_NONE) {
					buf_append(cmd->tagged_code_r, r->code_name.p,
						   r->code_name.len);
					if (r->code_arg.len > 0) {
						buf_putc(cmd->tagged_code_r, ' ');
						buf_append(cmd->tagged_code_r, r->code_arg.p,
							   r->code_arg.len);
					}
				}
				if (cb_fail != IMAP_FAIL_NONE)
					return cb_fail;
				return IMAP_FAIL_NONE;
			}
			if (++untagged > LIM_IMAP_UNTAGGED) {
				c->broken = true;
				imap_error_set(err, IMAP_FAIL_TOO_LARGE, "too many untagged responses");
				return IMAP_FAIL_TOO_LARGE;
			}
			if (r->type == IMAP_U_COND && r->cond == IMAP_BYE) {
				char t[LIM_IMAP_TEXT + 1];

				c->broken = true;
				imap_error_set(err, IMAP_FAIL_CONN_LOST, "server closed: %s",
					       imap_text_filter(t, sizeof(t), r->text));
				return IMAP_FAIL_CONN_LOST;
			}
			if (fn != NULL && cb_fail == IMAP_FAIL_NONE) {
				e = fn(ctx, r);
				if (e != IG_OK) {
					cb_fail = e == IG_ELIMIT ? IMAP_FAIL_TOO_LARGE
						  : e == IG_ENOMEM ? IMAP_FAIL_INTERNAL
								   : IMAP_FAIL_PROTOCOL;
					imap_error_set(err, cb_fail, "unexpected server data");
				}
			}
		}
		k++;
	}
}

/* --- opening --- */

static enum imap_fail
tcp_connect(struct imap_conn *c, int64_t deadline, struct imap_error *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC};
	struct addrinfo *res = NULL;
	struct addrinfo *ai;
	char port[16];
	int rc;
	bool timed_out = false;

	(void)snprintf(port, sizeof(port), "%u", c->o.port);
	/* getaddrinfo cannot be bounded; it runs on this account's worker only. */
	rc = getaddrinfo(c->o.host, port, &hints, &res);
	if (rc != 0) {
		imap_error_set(err, IMAP_FAIL_CONN_LOST, "cannot resolve the IMAP host");
		return IMAP_FAIL_CONN_LOST;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		int one = 1;
		enum ig_err e;

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
			(void)close(fd);
			continue;
		}
		e = imap_fd_wait(fd, POLLOUT, deadline);
		if (e == IG_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 &&
		    soerr == 0) {
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			c->fd = fd;
			freeaddrinfo(res);
			return IMAP_FAIL_NONE;
		}
		timed_out = e == IG_ELIMIT;
		(void)close(fd);
		if (timed_out)
			break;
	}
	freeaddrinfo(res);
	if (timed_out) {
		imap_error_set(err, IMAP_FAIL_TIMEOUT, "timed out connecting to the IMAP server");
		return IMAP_FAIL_TIMEOUT;
	}
	imap_error_set(err, IMAP_FAIL_CONN_LOST, "cannot connect to the IMAP server");
	return IMAP_FAIL_CONN_LOST;
}

static enum imap_fail
tls_handshake(struct imap_conn *c, int64_t deadline, struct imap_error *err)
{
	struct imap_tls_opts to = {.host = c->o.host,
				   .ca_file = c->o.ca_file,
				   .pinned = c->o.pinned,
				   .probe = c->o.probe};
	const char *why = NULL;
	enum ig_err e;

	memcpy(to.pin, c->o.pin, sizeof(to.pin));
	e = imap_tls_start(c->fd, &to, deadline, &c->tls, &why);
	sodium_memzero(to.pin, sizeof(to.pin));
	if (e == IG_OK)
		return IMAP_FAIL_NONE;
	c->broken = true;
	if (e == IG_ELIMIT) {
		imap_error_set(err, IMAP_FAIL_TIMEOUT, "%s", why);
		return IMAP_FAIL_TIMEOUT;
	}
	imap_error_set(err, IMAP_FAIL_TLS, "%s", why != NULL ? why : "TLS failed");
	return IMAP_FAIL_TLS;
}

static enum imap_fail
capability(struct imap_conn *c, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	imap_cmd_init(&cmd, c, "CAPABILITY");
	f = imap_cmd_run(&cmd, NULL, NULL, NULL, err);
	imap_cmd_free(&cmd);
	if (f == IMAP_FAIL_NONE && !imap_conn_has_cap(c, "IMAP4rev1") &&
	    !imap_conn_has_cap(c, "IMAP4rev2")) {
		imap_error_set(err, IMAP_FAIL_PROTOCOL, "server is not IMAP4rev1");
		return IMAP_FAIL_PROTOCOL;
	}
	return f;
}

static enum imap_fail
starttls(struct imap_conn *c, int64_t deadline, struct imap_error *err)
{
	struct imap_cmd cmd;
	enum imap_fail f;

	if (!imap_conn_has_cap(c, "STARTTLS")) {
		imap_error_set(err, IMAP_FAIL_TLS, "server does not offer STARTTLS");
		return IMAP_FAIL_TLS;
	}
	imap_cmd_init(&cmd, c, "STARTTLS");
	f = imap_cmd_run(&cmd, NULL, NULL, NULL, err);
	imap_cmd_free(&cmd);
	if (f != IMAP_FAIL_NONE) {
		c->broken = true;
		imap_error_set(err, IMAP_FAIL_TLS, "server refused STARTTLS");
		return IMAP_FAIL_TLS;
	}
	/* Anything the server sent after its OK arrived in plaintext: an
	 * attacker could have injected it. Drop it, and forget the plaintext
	 * capabilities (RFC 3501 §6.2.1). */
	if (c->in_pos < c->in_len)
		log_warn(0, "msg=\"discarded bytes sent before the TLS handshake\" "
				      "account=%llx bytes=%zu",
			 c->o.log_id, c->in_len - c->in_pos);
	c->in_pos = 0;
	c->in_len = 0;
	imap_parser_reset(c->parser);
	caps_clear(c);
	return tls_handshake(c, deadline, err);
}

static const char speaks_smtp[] =
	"the server speaks SMTP, not IMAP (it greets with 220): check the port";

/* An SMTP server greets with "220 " or "220-" (RFC 5321 §4.2): a port
 * mix-up worth naming. The greeting is the first thing read. */
static bool
greeting_is_smtp(const struct imap_conn *c)
{
	return c->in_len >= 4 && memcmp(c->in, "220", 3) == 0 && (c->in[3] == ' ' || c->in[3] == '-');
}

bool
imap_port_speaks_smtp(const struct imap_conn_opts *o)
{
	struct imap_conn c;
	struct imap_error e = {.fail = IMAP_FAIL_NONE};
	int64_t deadline = imap_now_ms() + (int64_t)(o->connect_timeout_s != 0 ? o->connect_timeout_s : 5) * 1000;
	bool smtp = false;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.o = *o;
	if (tcp_connect(&c, deadline, &e) == IMAP_FAIL_NONE && raw_read(&c, deadline) == IG_OK)
		smtp = greeting_is_smtp(&c);
	if (c.fd >= 0)
		(void)close(c.fd);
	return smtp;
}

struct imap_conn *
imap_conn_open(const struct imap_conn_opts *o, struct imap_error *err)
{
	struct imap_conn *c = calloc(1, sizeof(*c));
	int64_t deadline = imap_now_ms() + (int64_t)o->connect_timeout_s * 1000;
	const struct imap_resp *r;
	enum imap_fail f;
	bool preauth = false;

	if (c == NULL) {
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		return NULL;
	}
	c->fd = -1;
	c->o = *o;
	/* Until login, responses are small: a pre-auth server cannot make us
	 * buffer megabytes. */
	c->parser = imap_parser_new(LIM_IMAP_PREAUTH_RESPONSE);
	if (c->parser == NULL) {
		imap_error_set(err, IMAP_FAIL_INTERNAL, "out of memory");
		goto fail;
	}
	if (tcp_connect(c, deadline, err) != IMAP_FAIL_NONE)
		goto fail;
	if (!o->starttls && tls_handshake(c, deadline, err) != IMAP_FAIL_NONE)
		goto fail;
	c->job_deadline = deadline;
	f = imap_conn_read(c, deadline, &r, err);
	if (f != IMAP_FAIL_NONE || greeting_is_smtp(c)) {
		if (greeting_is_smtp(c))
			imap_error_set(err, IMAP_FAIL_PROTOCOL, "%s", speaks_smtp);
		goto fail;
	}
	if (r->kind != IMAP_RESP_UNTAGGED || r->type != IMAP_U_COND ||
	    (r->cond != IMAP_OK && r->cond != IMAP_PREAUTH && r->cond != IMAP_BYE)) {
		imap_error_set(err, IMAP_FAIL_PROTOCOL, "unexpected greeting");
		goto fail;
	}
	if (r->cond == IMAP_BYE) {
		char t[LIM_IMAP_TEXT + 1];

		imap_error_set(err, IMAP_FAIL_CONN_LOST, "server refused the connection: %s",
			       imap_text_filter(t, sizeof(t), r->text));
		goto fail;
	}
	preauth = r->cond == IMAP_PREAUTH;
	if (preauth && o->starttls) {
		/* Authenticated before TLS: STARTTLS is no longer possible and
		 * going on would be a downgrade. */
		imap_error_set(err, IMAP_FAIL_TLS, "server sent PREAUTH before TLS");
		goto fail;
	}
	conn_note(c, r);
	if (o->starttls) {
		if (c->n_caps == 0 && capability(c, err) != IMAP_FAIL_NONE)
			goto fail;
		if (starttls(c, deadline, err) != IMAP_FAIL_NONE)
			goto fail;
	}
	if ((o->starttls || c->n_caps == 0) && capability(c, err) != IMAP_FAIL_NONE)
		goto fail;
	if (preauth)
		imap_conn_set_authenticated(c);
	c->job_deadline = 0;
	return c;
fail:
	if (err->fail == IMAP_FAIL_NONE)
		imap_error_set(err, IMAP_FAIL_INTERNAL, "connection failed");
	imap_conn_free(c);
	return NULL;
}

void
imap_conn_free(struct imap_conn *c)
{
	if (c == NULL)
		return;
	imap_tls_free(c->tls);
	if (c->fd >= 0)
		(void)close(c->fd);
	imap_parser_free(c->parser);
	caps_clear(c);
	sodium_memzero(c->o.pin, sizeof(c->o.pin));
	free(c);
}
