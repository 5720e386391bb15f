#ifndef IG_IMAP_CONN_H
#define IG_IMAP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

/* One IMAP connection: socket, TLS, greeting, STARTTLS, capabilities and the
 * command/response loop with deadlines. Used by one thread at a time (the
 * account's worker). Server texts never reach an error message unfiltered. */

struct imap_conn;
struct imap_resp;

/* What went wrong, in the terms DESIGN §4.4 distinguishes. */
enum imap_fail {
	IMAP_FAIL_NONE,
	IMAP_FAIL_NOT_FOUND, /* no such mailbox (NO [TRYCREATE] / [NONEXISTENT]) */
	IMAP_FAIL_EXISTS,    /* [ALREADYEXISTS] */
	IMAP_FAIL_REFUSED,   /* any other NO */
	IMAP_FAIL_TLS,       /* TLS setup, certificate, pin, STARTTLS missing */
	IMAP_FAIL_AUTH,      /* login refused, or no usable mechanism */
	IMAP_FAIL_TIMEOUT,   /* a deadline passed */
	IMAP_FAIL_CONN_LOST, /* connect failed, connection dropped, BYE */
	IMAP_FAIL_PROTOCOL,  /* malformed or unexpected response, BAD */
	IMAP_FAIL_TOO_LARGE, /* a response limit was hit */
	IMAP_FAIL_UNSUPPORTED, /* the server lacks a needed capability */
	IMAP_FAIL_CONFIG,    /* unusable account configuration (password file ...) */
	IMAP_FAIL_BUSY,      /* the account's queue is full */
	IMAP_FAIL_INVALID,   /* a bad argument (CR/LF/NUL, bad name) */
	IMAP_FAIL_INTERNAL,
	IMAP_FAIL_CANCELLED, /* the job's caller cancelled it (stopped at a safe point) */
	/* NO with an RFC 5530 / RFC 9051 response code (imap_code_fail) */
	IMAP_FAIL_HAS_CHILDREN,  /* [HASCHILDREN] */
	IMAP_FAIL_OVER_QUOTA,    /* [OVERQUOTA] */
	IMAP_FAIL_SERVER_LIMIT,  /* [LIMIT] */
	IMAP_FAIL_NO_PERMISSION, /* [NOPERM], [CONTACTADMIN] */
	IMAP_FAIL_IN_USE,        /* [INUSE] */
	IMAP_FAIL_UNAVAILABLE,   /* [UNAVAILABLE] */
	IMAP_FAIL_SERVER_ERROR,  /* [SERVERBUG], [CORRUPTION] */
	IMAP_FAIL_CANNOT,        /* [CANNOT] */
	IMAP_FAIL_EXPUNGED,      /* [EXPUNGEISSUED] */
};
#define IMAP_FAIL_LAST IMAP_FAIL_EXPUNGED

/* A failure and a short message safe to show: static text plus at most
 * LIM_IMAP_TEXT bytes of filtered server text, never credentials. */
struct imap_error {
	enum imap_fail fail;
	char msg[320];
	/* The server answered the command itself with a tagged NO/BAD that
	 * names no server fault ([UNAVAILABLE], [SERVERBUG]): it is alive, and
	 * the refusal is about the command (DESIGN §8: not a health failure).
	 * Cleared by imap_error_set. */
	bool refused;
};

/* Stable lower-case name ("tls", "timeout", ...). */
const char *imap_fail_str(enum imap_fail f);
/* The failure a tagged NO with response code `code` (enum imap_code,
 * imap/parse.h) stands for: RFC 3501 TRYCREATE, RFC 5530 and RFC 9051
 * HASCHILDREN each to a specific one; no code or another code is
 * IMAP_FAIL_REFUSED. */
enum imap_fail imap_code_fail(int code);
/* Sets err (first failure wins when err->fail is already set and keep is
 * true). */
void imap_error_set(struct imap_error *err, enum imap_fail f, const char *fmt, ...)
	IG_PRINTF(3, 4);
/* Copies at most LIM_IMAP_TEXT bytes of untrusted server text into out with
 * controls, quotes and non-ASCII replaced; returns out. */
char *imap_text_filter(char *out, size_t outsz, struct slice text);

struct imap_conn_opts {
	const char *host;
	unsigned port;
	bool starttls;        /* false: implicit TLS */
	const char *ca_file;  /* NULL: system store */
	bool pinned;
	unsigned char pin[32];
	bool probe;           /* imapgate probe: report the certificate, do not trust it */
	unsigned connect_timeout_s;
	unsigned command_timeout_s;
	unsigned long long log_id; /* hashed account id for log lines */
};

/* Connects, completes TLS (implicit or STARTTLS, never plaintext), reads the
 * greeting and the capabilities. NULL with *err set on failure. The host and
 * ca_file strings must outlive the connection. */
struct imap_conn *imap_conn_open(const struct imap_conn_opts *o, struct imap_error *err);
/* Whether the server at o's host and port greets in plaintext like an SMTP
 * server ("220"), within o's connect timeout (imapgate probe names the
 * mix-up). A TLS-wrapped SMTP greeting fails imap_conn_open with a message
 * saying so. */
bool imap_port_speaks_smtp(const struct imap_conn_opts *o);
/* Closes without LOGOUT; NULL-safe. */
void imap_conn_free(struct imap_conn *c);

/* Capability check (case-insensitive), e.g. "MOVE", "AUTH=PLAIN". */
bool imap_conn_has_cap(const struct imap_conn *c, const char *cap);
size_t imap_conn_n_caps(const struct imap_conn *c);
const char *imap_conn_cap(const struct imap_conn *c, size_t i);
/* True after PREAUTH or a successful login. */
bool imap_conn_authenticated(const struct imap_conn *c);
void imap_conn_set_authenticated(struct imap_conn *c);
/* True once the connection cannot be used any more (timeout, drop, BYE,
 * protocol error): the owner should free it and reconnect. */
bool imap_conn_broken(const struct imap_conn *c);
/* Marks the connection broken on purpose: its session is known to hold a
 * wrong view of the server (the owner reconnects; a new session sees the
 * mailboxes as they are). */
void imap_conn_retire(struct imap_conn *c);
/* False only when no mailbox can be selected: nothing was SELECTed or
 * EXAMINEd since the connection opened or since the owner reported a
 * completed UNSELECT (imap_conn_note_unselected). */
bool imap_conn_maybe_selected(const struct imap_conn *c);
void imap_conn_note_unselected(struct imap_conn *c);
/* UTF8=ACCEPT was enabled: mailbox names travel as UTF-8. */
bool imap_conn_utf8(const struct imap_conn *c);
void imap_conn_set_utf8(struct imap_conn *c, bool on);
void imap_conn_fingerprint(const struct imap_conn *c, unsigned char out[32]);
const char *imap_conn_tls_version(const struct imap_conn *c);
const char *imap_conn_tls_cipher(const struct imap_conn *c);
bool imap_conn_tls_verified(const struct imap_conn *c);
/* Every later command must also end by deadline_ms (0: no job deadline). */
void imap_conn_set_job_deadline(struct imap_conn *c, int64_t deadline_ms);
/* Lets larger responses through after login. */
void imap_conn_set_authenticated_limits(struct imap_conn *c);

/* --- commands --- */

/* A command being built: tag, verb, arguments. Strings become quoted strings
 * or literals as needed; CR, LF and NUL make the command invalid. The buffer
 * is wiped when freed (it may hold a password). */
struct imap_cmd {
	struct imap_conn *c;
	struct buf b;
	char tag[16];
	size_t sync[8];   /* offsets after which the server's '+' is awaited */
	size_t n_sync;
	bool invalid;
	/* Optional (NULL: not wanted): receives the tagged OK's response code
	 * as "NAME arg" (raw server text, untrusted), e.g. "COPYUID 7 1:2 5:6";
	 * left empty when the reply has no code. */
	struct buf *tagged_code_r;
};

void imap_cmd_init(struct imap_cmd *cmd, struct imap_conn *c, const char *verb);
/* Appends SP and trusted protocol text (atoms, sequence sets, lists we build). */
void imap_cmd_atom(struct imap_cmd *cmd, const char *text);
void imap_cmd_atomf(struct imap_cmd *cmd, const char *fmt, ...) IG_PRINTF(2, 3);
/* Appends SP and s as a quoted string or literal. */
void imap_cmd_string(struct imap_cmd *cmd, struct slice s);
/* Appends SP and the mailbox name (UTF-8 in; modified UTF-7 on the wire
 * unless UTF8=ACCEPT is on). */
void imap_cmd_mailbox(struct imap_cmd *cmd, struct slice utf8_name);
void imap_cmd_free(struct imap_cmd *cmd);

/* Called for every untagged response while a command runs. Returning
 * anything but IG_OK marks the command failed with IMAP_FAIL_PROTOCOL
 * (IG_ELIMIT: IMAP_FAIL_TOO_LARGE) but still reads up to the tagged reply. */
typedef enum ig_err (*imap_untagged_fn)(void *ctx, const struct imap_resp *r);

/* Sends cmd and reads responses until its tagged reply, within the command
 * timeout and the job deadline. Returns IMAP_FAIL_NONE for OK; otherwise the
 * classified failure with err set. *code_r (may be NULL) gets the tagged
 * reply's response code and code_num values for APPENDUID/COPYUID. */
enum imap_fail imap_cmd_run(struct imap_cmd *cmd, imap_untagged_fn fn, void *ctx,
			    uint32_t code_num_r[2], struct imap_error *err);

/* For IDLE and AUTHENTICATE: sends a raw line (CRLF added); IG_OK or the
 * failure in err. */
enum imap_fail imap_conn_send_line(struct imap_conn *c, struct slice line, struct imap_error *err);
/* Reads the next response before deadline_ms (IDLE: untagged updates, '+'). */
enum imap_fail imap_conn_read(struct imap_conn *c, int64_t deadline_ms,
			      const struct imap_resp **r_r, struct imap_error *err);
/* Like imap_conn_read, but with soft set, reaching the deadline returns
 * IMAP_FAIL_TIMEOUT without marking the connection broken (IDLE's own wait;
 * a partial response stays in the parser). */
enum imap_fail imap_conn_read_soft(struct imap_conn *c, int64_t deadline_ms, bool soft,
				   const struct imap_resp **r_r, struct imap_error *err);

#endif
