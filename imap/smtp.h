#ifndef IG_IMAP_SMTP_H
#define IG_IMAP_SMTP_H

#include <stdbool.h>
#include <stddef.h>

#include "base/slice.h"

/* The SMTP client (libcurl): one transaction per call, TLS always (smtps://
 * or smtp:// with STARTTLS required, CURLUSESSL_ALL), a certificate pin on
 * the leaf's SHA-256 (like IMAP) or a CA bundle, AUTH when a user is set,
 * connect / whole-transaction / low-speed deadlines. curl_global_init must
 * have run in main before any thread. Server replies are untrusted: errors
 * carry gateway text and at most the numeric reply code. */

/* How a send failed. The MCP error code of each is in handlers/errors.c
 * (tool_err_from_smtp): this layer knows nothing of MCP. */
enum smtp_fail {
	SMTP_OK,
	SMTP_FAIL_PROTOCOL, /* 4xx/5xx or a malformed reply */
	SMTP_FAIL_AUTH,     /* AUTH refused */
	SMTP_FAIL_TLS,      /* TLS, certificate, pin, STARTTLS missing */
	SMTP_FAIL_CONN,     /* connect failed or dropped */
	SMTP_FAIL_TIMEOUT,  /* a deadline passed */
	SMTP_FAIL_CONFIG,   /* bad URL, unreadable password file */
	SMTP_FAIL_INTERNAL,
};
#define SMTP_FAIL_LAST SMTP_FAIL_INTERNAL

struct smtp_opts {
	const char *url;           /* smtps://host[:port] or smtp://host[:port] */
	const char *user;          /* NULL: no AUTH */
	const char *password_file; /* read at each send, wiped after */
	const char *password_env;
	bool pinned;               /* pin replaces CA verification */
	unsigned char pin[32];     /* SHA-256 of the leaf certificate (DER) */
	const char *ca_file;       /* NULL: system store */
	unsigned connect_timeout_s; /* 0: LIM_SMTP_CONNECT_S */
	unsigned timeout_s;         /* 0: LIM_SMTP_TOTAL_S */
	const char *helo_domain;   /* EHLO argument; NULL: curl's default */
};

struct smtp_result {
	enum smtp_fail fail;
	long reply_code;   /* last SMTP reply code seen (0: none) */
	/* All message bytes were handed over and the failure came later (no
	 * final reply, connection lost): the server may have accepted the
	 * message. The sender records such a send as uncertain. */
	bool maybe_delivered;
	char msg[160];     /* gateway text; never the server's words */
};

/* Sends msg (any line endings: normalized to CRLF; curl dot-stuffs and
 * terminates DATA) from `from` to exactly rcpts. Blocks for at most the
 * deadlines; returns the outcome in *res. */
void smtp_send(const struct smtp_opts *o, const char *from, const char *const *rcpts,
	       size_t n_rcpts, struct slice msg, struct smtp_result *res);

/* A static name for logs ("protocol", "auth", ...). */
const char *smtp_fail_str(enum smtp_fail f);

#endif
