#ifndef IG_HANDLERS_ERRORS_H
#define IG_HANDLERS_ERRORS_H

#include <stdbool.h>

#include "base/err.h"
#include "imap/conn.h"
#include "imap/smtp.h"

/* The MCP error codes (STYLE §2: one table in handlers/ maps internal
 * errors to them). A tool error is an enum tool_err everywhere in the code;
 * the "ERR_…" text exists only in handlers/errors.c, on the wire and in the
 * audit log. docs/tools.md "Error codes" lists every one (a unit test holds
 * the two in step). */
enum tool_err {
	TOOL_ERR_NONE = 0,             /* no error ("OK"); a zeroed struct has none */
	TOOL_ERR_INVALID_INPUT,
	TOOL_ERR_NOT_FOUND,
	TOOL_ERR_UID_VALIDITY_CHANGED,
	TOOL_ERR_TOO_LARGE,
	TOOL_ERR_POSTURE_DENIED,
	TOOL_ERR_PROTECTED_FOLDER,
	TOOL_ERR_EXPUNGE_DENIED,
	TOOL_ERR_RATE_LIMITED,
	TOOL_ERR_CIRCUIT_OPEN,
	TOOL_ERR_BUSY,
	TOOL_ERR_CANCELLED,
	TOOL_ERR_CONFIG,
	TOOL_ERR_INTERNAL,
	/* the mail server or the way to it */
	TOOL_ERR_AUTH,
	TOOL_ERR_TLS,
	TOOL_ERR_TIMEOUT,
	TOOL_ERR_CONNECTION_LOST,
	TOOL_ERR_IMAP_PROTOCOL,
	TOOL_ERR_SMTP_PROTOCOL,
	/* the mail server's refusal with an RFC 5530 response code */
	TOOL_ERR_HAS_CHILDREN,
	TOOL_ERR_OVER_QUOTA,
	TOOL_ERR_SERVER_LIMIT,
	TOOL_ERR_PERMISSION_DENIED,
	TOOL_ERR_IN_USE,
	TOOL_ERR_SERVER_UNAVAILABLE,
	TOOL_ERR_SERVER_ERROR,
	TOOL_ERR_NOT_POSSIBLE,
	/* only in the audit log and the breaker, never sent by a tool */
	TOOL_ERR_TOOL,                 /* an isError result without a code */
	TOOL_ERR_UNKNOWN,              /* a code that is not one of these */
};
#define TOOL_ERR_LAST TOOL_ERR_UNKNOWN

/* What an error says about the health of the account's mail service, for
 * the circuit breaker (handlers/breaker.c brk_classify). */
enum tool_err_fault {
	TOOL_FAULT_NONE,    /* the call's own outcome: not the server's health */
	TOOL_FAULT_SERVICE, /* the server or the way to it is failing */
	TOOL_FAULT_AUTH,    /* the server refuses the account's credentials */
};

/* The wire code ("ERR_INVALID_INPUT"; "OK" for TOOL_ERR_NONE). Static; a
 * value outside the enum is "ERR_INTERNAL". */
const char *tool_err_code(enum tool_err e);
/* The code's default sentence, or NULL when the code has none (every call
 * then says what failed). Static. */
const char *tool_err_text(enum tool_err e);
/* The code of the wire text s (NUL-terminated; NULL is no code). Returns
 * false, *e_r untouched, for text that is no code of the table. */
bool tool_err_parse(const char *s, enum tool_err *e_r);
/* The code's column for the circuit breaker. */
enum tool_err_fault tool_err_fault(enum tool_err e);

/* An internal error where a call reports it as it stands: IG_EINVAL is
 * TOOL_ERR_INVALID_INPUT, IG_ELIMIT TOOL_ERR_TOO_LARGE, IG_OK
 * TOOL_ERR_NONE, anything else TOOL_ERR_INTERNAL. (A limit of the rate
 * limiter or a full queue means something else: those callers choose.) */
enum tool_err tool_err_from_ig(enum ig_err e);

/* An IMAP failure: the code and the fixed sentence the agent reads. The
 * server's own NO/BAD text is never part of it (it goes to the log,
 * filtered). A value outside enum imap_fail is TOOL_ERR_INTERNAL /
 * "internal error". The sentence is static. */
enum tool_err tool_err_from_imap(enum imap_fail f);
const char *tool_err_imap_text(enum imap_fail f);

/* An SMTP failure (imap/smtp.h); SMTP_OK is TOOL_ERR_NONE, a value outside
 * the enum TOOL_ERR_INTERNAL. */
enum tool_err tool_err_from_smtp(enum smtp_fail f);

#endif
