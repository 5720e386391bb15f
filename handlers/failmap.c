/* The IMAP -> MCP error table: one row per enum imap_fail (imap/conn.h), so
 * the code and the sentence of a failure cannot drift apart. A failure added
 * to the enum without a row here fails tests/unit/handlers/test_accounts.c. */
#include "handlers/failmap.h"

#include <stddef.h>

struct fail_row {
	const char *code;
	const char *text;
};

static const struct fail_row rows[IMAP_FAIL_LAST + 1] = {
	[IMAP_FAIL_NONE] = {"OK", "no error"},
	[IMAP_FAIL_NOT_FOUND] = {"ERR_NOT_FOUND", "the mail server has no such folder"},
	[IMAP_FAIL_EXISTS] = {"ERR_INVALID_INPUT", "the folder already exists on the mail server"},
	[IMAP_FAIL_REFUSED] = {"ERR_IMAP_PROTOCOL", "the mail server refused the command"},
	[IMAP_FAIL_TLS] = {"ERR_TLS", "the TLS connection to the mail server failed"},
	[IMAP_FAIL_AUTH] = {"ERR_AUTH", "the mail server refused the account's login"},
	[IMAP_FAIL_TIMEOUT] = {"ERR_TIMEOUT", "the mail server did not answer in time"},
	[IMAP_FAIL_CONN_LOST] = {"ERR_CONNECTION_LOST", "the connection to the mail server was lost"},
	[IMAP_FAIL_PROTOCOL] = {"ERR_IMAP_PROTOCOL",
				"the mail server's answer was malformed or a refusal"},
	[IMAP_FAIL_TOO_LARGE] = {"ERR_TOO_LARGE", "the mail server's answer exceeded a limit"},
	[IMAP_FAIL_UNSUPPORTED] = {"ERR_IMAP_PROTOCOL", "the mail server lacks a needed capability"},
	[IMAP_FAIL_CONFIG] = {"ERR_CONFIG", "the account's configuration is unusable"},
	[IMAP_FAIL_BUSY] = {"ERR_BUSY", "the account is busy; retry shortly"},
	[IMAP_FAIL_INVALID] = {"ERR_INVALID_INPUT", "an argument cannot be sent to the mail server"},
	[IMAP_FAIL_INTERNAL] = {"ERR_INTERNAL", "internal error"},
	[IMAP_FAIL_CANCELLED] = {"ERR_CANCELLED", "the client cancelled the call"},
	[IMAP_FAIL_HAS_CHILDREN] = {"ERR_HAS_CHILDREN", "the folder has subfolders; the mail "
							"server refuses this while they exist"},
	[IMAP_FAIL_OVER_QUOTA] = {"ERR_OVER_QUOTA", "the mailbox is over its quota on the mail server"},
	[IMAP_FAIL_SERVER_LIMIT] = {"ERR_SERVER_LIMIT",
				    "the mail server refused: a limit of the server was reached"},
	[IMAP_FAIL_NO_PERMISSION] = {"ERR_PERMISSION_DENIED",
				     "the mail server denies the account this access"},
	[IMAP_FAIL_IN_USE] = {"ERR_IN_USE", "the folder is in use by another session; retry later"},
	[IMAP_FAIL_UNAVAILABLE] = {"ERR_SERVER_UNAVAILABLE",
				   "the mail server is temporarily unavailable; retry later"},
	[IMAP_FAIL_SERVER_ERROR] = {"ERR_SERVER_ERROR", "the mail server reported an internal error"},
	[IMAP_FAIL_CANNOT] = {"ERR_NOT_POSSIBLE",
			      "the mail server cannot do this (e.g. a name it does not allow)"},
	[IMAP_FAIL_EXPUNGED] = {"ERR_NOT_FOUND",
				"a message was expunged by another session meanwhile"},
};

static const struct fail_row *
row(enum imap_fail f)
{
	size_t i = (size_t)f;

	return i < sizeof(rows) / sizeof(rows[0]) && rows[i].code != NULL ? &rows[i] : NULL;
}

const char *
imap_fail_code(enum imap_fail f)
{
	return row(f) != NULL ? row(f)->code : "ERR_INTERNAL";
}

const char *
imap_fail_text(enum imap_fail f)
{
	return row(f) != NULL ? row(f)->text : "internal error";
}
