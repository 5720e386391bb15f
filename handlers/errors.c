/* The MCP error table (handlers/errors.h): one row per enum tool_err with
 * its wire code, default sentence, the internal error that stands for it
 * and what it says to the circuit breaker; then the rows that map IMAP and
 * SMTP failures onto it. A code, a failure or a sentence lives in one row,
 * so they cannot drift apart (they did in #12's merges when the IMAP codes
 * and sentences were two lists). tests/unit/handlers/test_errors.c checks
 * every row; a failure added to enum imap_fail or enum smtp_fail without a
 * row here fails it. */
#include "handlers/errors.h"

#include <stddef.h>
#include <string.h>

struct err_row {
	const char *code;
	const char *text;          /* default sentence; NULL: none */
	enum ig_err ig;            /* tool_err_from_ig; IG_OK: none (but NONE's) */
	enum tool_err_fault fault; /* for the breaker */
};

#define ROWS(a) (sizeof(a) / sizeof((a)[0]))

static const struct err_row rows[TOOL_ERR_LAST + 1] = {
	[TOOL_ERR_NONE] = {"OK", "no error", IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_INVALID_INPUT] = {"ERR_INVALID_INPUT", NULL, IG_EINVAL, TOOL_FAULT_NONE},
	[TOOL_ERR_NOT_FOUND] = {"ERR_NOT_FOUND", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_UID_VALIDITY_CHANGED] = {"ERR_UID_VALIDITY_CHANGED", NULL, IG_OK,
					   TOOL_FAULT_NONE},
	[TOOL_ERR_TOO_LARGE] = {"ERR_TOO_LARGE", NULL, IG_ELIMIT, TOOL_FAULT_NONE},
	[TOOL_ERR_POSTURE_DENIED] = {"ERR_POSTURE_DENIED", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_PROTECTED_FOLDER] = {"ERR_PROTECTED_FOLDER", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_EXPUNGE_DENIED] = {"ERR_EXPUNGE_DENIED", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_RATE_LIMITED] = {"ERR_RATE_LIMITED",
				   "rate limit reached for this token or account; retry later",
				   IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_CIRCUIT_OPEN] = {"ERR_CIRCUIT_OPEN",
				   "the account's mail server is failing; calls are paused", IG_OK,
				   TOOL_FAULT_NONE},
	[TOOL_ERR_BUSY] = {"ERR_BUSY", "the account is busy; retry shortly", IG_OK,
			   TOOL_FAULT_NONE},
	[TOOL_ERR_CANCELLED] = {"ERR_CANCELLED", "the client cancelled the call", IG_OK,
				TOOL_FAULT_NONE},
	[TOOL_ERR_CONFIG] = {"ERR_CONFIG", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_INTERNAL] = {"ERR_INTERNAL", "internal error", IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_AUTH] = {"ERR_AUTH", NULL, IG_OK, TOOL_FAULT_AUTH},
	[TOOL_ERR_TLS] = {"ERR_TLS", NULL, IG_OK, TOOL_FAULT_SERVICE},
	[TOOL_ERR_TIMEOUT] = {"ERR_TIMEOUT", NULL, IG_OK, TOOL_FAULT_SERVICE},
	[TOOL_ERR_CONNECTION_LOST] = {"ERR_CONNECTION_LOST", NULL, IG_OK, TOOL_FAULT_SERVICE},
	[TOOL_ERR_IMAP_PROTOCOL] = {"ERR_IMAP_PROTOCOL", NULL, IG_OK, TOOL_FAULT_SERVICE},
	[TOOL_ERR_SMTP_PROTOCOL] = {"ERR_SMTP_PROTOCOL", NULL, IG_OK, TOOL_FAULT_SERVICE},
	/* a refusal of the call's own command: its health is not in question */
	[TOOL_ERR_HAS_CHILDREN] = {"ERR_HAS_CHILDREN", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_OVER_QUOTA] = {"ERR_OVER_QUOTA", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_SERVER_LIMIT] = {"ERR_SERVER_LIMIT", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_PERMISSION_DENIED] = {"ERR_PERMISSION_DENIED", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_IN_USE] = {"ERR_IN_USE", NULL, IG_OK, TOOL_FAULT_NONE},
	/* ... except when the server says it is unwell */
	[TOOL_ERR_SERVER_UNAVAILABLE] = {"ERR_SERVER_UNAVAILABLE", NULL, IG_OK,
					 TOOL_FAULT_SERVICE},
	[TOOL_ERR_SERVER_ERROR] = {"ERR_SERVER_ERROR", NULL, IG_OK, TOOL_FAULT_SERVICE},
	[TOOL_ERR_NOT_POSSIBLE] = {"ERR_NOT_POSSIBLE", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_TOOL] = {"ERR_TOOL", NULL, IG_OK, TOOL_FAULT_NONE},
	[TOOL_ERR_UNKNOWN] = {"ERR_UNKNOWN", NULL, IG_OK, TOOL_FAULT_NONE},
};

static const struct err_row *
row(enum tool_err e)
{
	size_t i = (size_t)e;

	return i < ROWS(rows) && rows[i].code != NULL ? &rows[i] : &rows[TOOL_ERR_INTERNAL];
}

const char *
tool_err_code(enum tool_err e)
{
	return row(e)->code;
}

const char *
tool_err_text(enum tool_err e)
{
	return row(e)->text;
}

enum tool_err_fault
tool_err_fault(enum tool_err e)
{
	return row(e)->fault;
}

bool
tool_err_parse(const char *s, enum tool_err *e_r)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < ROWS(rows); i++) {
		if (rows[i].code != NULL && strcmp(rows[i].code, s) == 0) {
			*e_r = (enum tool_err)i;
			return true;
		}
	}
	return false;
}

enum tool_err
tool_err_from_ig(enum ig_err e)
{
	size_t i;

	for (i = 0; i < ROWS(rows); i++) {
		if (rows[i].code != NULL && rows[i].ig == e && (e != IG_OK || i == TOOL_ERR_NONE))
			return (enum tool_err)i;
	}
	return TOOL_ERR_INTERNAL;
}

/* ---- IMAP failures (imap/conn.h) ------------------------------------------ */

struct imap_row {
	enum tool_err err;
	const char *text;
};

static const struct imap_row imap_rows[IMAP_FAIL_LAST + 1] = {
	[IMAP_FAIL_NONE] = {TOOL_ERR_NONE, "no error"},
	[IMAP_FAIL_NOT_FOUND] = {TOOL_ERR_NOT_FOUND, "the mail server has no such folder"},
	[IMAP_FAIL_EXISTS] = {TOOL_ERR_INVALID_INPUT, "the folder already exists on the mail server"},
	[IMAP_FAIL_REFUSED] = {TOOL_ERR_IMAP_PROTOCOL, "the mail server refused the command"},
	[IMAP_FAIL_TLS] = {TOOL_ERR_TLS, "the TLS connection to the mail server failed"},
	[IMAP_FAIL_AUTH] = {TOOL_ERR_AUTH, "the mail server refused the account's login"},
	[IMAP_FAIL_TIMEOUT] = {TOOL_ERR_TIMEOUT, "the mail server did not answer in time"},
	[IMAP_FAIL_CONN_LOST] = {TOOL_ERR_CONNECTION_LOST,
				 "the connection to the mail server was lost"},
	[IMAP_FAIL_PROTOCOL] = {TOOL_ERR_IMAP_PROTOCOL,
				"the mail server's answer was malformed or a refusal"},
	[IMAP_FAIL_TOO_LARGE] = {TOOL_ERR_TOO_LARGE, "the mail server's answer exceeded a limit"},
	[IMAP_FAIL_UNSUPPORTED] = {TOOL_ERR_IMAP_PROTOCOL,
				   "the mail server lacks a needed capability"},
	[IMAP_FAIL_CONFIG] = {TOOL_ERR_CONFIG, "the account's configuration is unusable"},
	[IMAP_FAIL_BUSY] = {TOOL_ERR_BUSY, "the account is busy; retry shortly"},
	[IMAP_FAIL_INVALID] = {TOOL_ERR_INVALID_INPUT,
			       "an argument cannot be sent to the mail server"},
	[IMAP_FAIL_INTERNAL] = {TOOL_ERR_INTERNAL, "internal error"},
	[IMAP_FAIL_CANCELLED] = {TOOL_ERR_CANCELLED, "the client cancelled the call"},
	[IMAP_FAIL_HAS_CHILDREN] = {TOOL_ERR_HAS_CHILDREN, "the folder has subfolders; the mail "
							   "server refuses this while they exist"},
	[IMAP_FAIL_OVER_QUOTA] = {TOOL_ERR_OVER_QUOTA,
				  "the mailbox is over its quota on the mail server"},
	[IMAP_FAIL_SERVER_LIMIT] = {TOOL_ERR_SERVER_LIMIT,
				    "the mail server refused: a limit of the server was reached"},
	[IMAP_FAIL_NO_PERMISSION] = {TOOL_ERR_PERMISSION_DENIED,
				     "the mail server denies the account this access"},
	[IMAP_FAIL_IN_USE] = {TOOL_ERR_IN_USE,
			      "the folder is in use by another session; retry later"},
	[IMAP_FAIL_UNAVAILABLE] = {TOOL_ERR_SERVER_UNAVAILABLE,
				   "the mail server is temporarily unavailable; retry later"},
	[IMAP_FAIL_SERVER_ERROR] = {TOOL_ERR_SERVER_ERROR,
				    "the mail server reported an internal error"},
	[IMAP_FAIL_CANNOT] = {TOOL_ERR_NOT_POSSIBLE,
			      "the mail server cannot do this (e.g. a name it does not allow)"},
	[IMAP_FAIL_EXPUNGED] = {TOOL_ERR_NOT_FOUND,
				"a message was expunged by another session meanwhile"},
};

static const struct imap_row *
imap_row(enum imap_fail f)
{
	size_t i = (size_t)f;

	return i < ROWS(imap_rows) && imap_rows[i].text != NULL ? &imap_rows[i] : NULL;
}

enum tool_err
tool_err_from_imap(enum imap_fail f)
{
	return imap_row(f) != NULL ? imap_row(f)->err : TOOL_ERR_INTERNAL;
}

const char *
tool_err_imap_text(enum imap_fail f)
{
	return imap_row(f) != NULL ? imap_row(f)->text : "internal error";
}

/* ---- SMTP failures (imap/smtp.h) ------------------------------------------ */

static const enum tool_err smtp_rows[SMTP_FAIL_LAST + 1] = {
	[SMTP_OK] = TOOL_ERR_NONE,
	[SMTP_FAIL_PROTOCOL] = TOOL_ERR_SMTP_PROTOCOL,
	[SMTP_FAIL_AUTH] = TOOL_ERR_AUTH,
	[SMTP_FAIL_TLS] = TOOL_ERR_TLS,
	[SMTP_FAIL_CONN] = TOOL_ERR_CONNECTION_LOST,
	[SMTP_FAIL_TIMEOUT] = TOOL_ERR_TIMEOUT,
	[SMTP_FAIL_CONFIG] = TOOL_ERR_CONFIG,
	[SMTP_FAIL_INTERNAL] = TOOL_ERR_INTERNAL,
};

enum tool_err
tool_err_from_smtp(enum smtp_fail f)
{
	size_t i = (size_t)f;

	return i < ROWS(smtp_rows) ? smtp_rows[i] : TOOL_ERR_INTERNAL;
}
