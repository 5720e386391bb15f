/* Tests handlers/errors.c, the one table of MCP error codes: every code is
 * unique and well formed and reads back to itself; every IMAP and SMTP
 * failure maps, to the very code and sentence the separate maps gave before
 * the table (handlers/failmap.c, imap/smtp.c smtp_fail_code: the lists below
 * are theirs, so a changed byte on the wire fails here); the breaker's
 * column is the list handlers/breaker.c had; the internal errors map as the
 * callers mapped them; and docs/tools.md documents exactly these codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "handlers/breaker.h"
#include "handlers/call.h"
#include "handlers/errors.h"
#include "handlers/tools.h"
#include "imap/conn.h"
#include "imap/smtp.h"

static bool
well_formed(const char *s)
{
	size_t i;

	if (strncmp(s, "ERR_", 4) != 0 || s[4] == '\0')
		return false;
	for (i = 4; s[i] != '\0'; i++) {
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_'))
			return false;
	}
	return true;
}

static void
test_codes(void **state)
{
	static const char *const not_codes[] = {
		"", "ERR_", "ERR_NOPE", "err_timeout", "ERR_TIMEOUT ", " ERR_TIMEOUT", "RPC_ERROR",
		"ERR_TIMEOUTX", "ERR_TIME",
	};
	enum tool_err e;

	(void)state;
	assert_string_equal(tool_err_code(TOOL_ERR_NONE), "OK");
	assert_true(tool_err_parse("OK", &e));
	assert_int_equal(e, TOOL_ERR_NONE);
	for (int i = TOOL_ERR_NONE + 1; i <= TOOL_ERR_LAST; i++) {
		const char *c = tool_err_code((enum tool_err)i);

		if (!well_formed(c))
			print_error("code %d: \"%s\"\n", i, c);
		assert_true(well_formed(c));
		for (int j = TOOL_ERR_NONE; j < i; j++)
			assert_string_not_equal(c, tool_err_code((enum tool_err)j));
		e = TOOL_ERR_NONE;
		assert_true(tool_err_parse(c, &e));
		assert_int_equal(e, i);
	}
	for (size_t i = 0; i < sizeof(not_codes) / sizeof(not_codes[0]); i++) {
		e = TOOL_ERR_BUSY;
		assert_false(tool_err_parse(not_codes[i], &e));
		assert_int_equal(e, TOOL_ERR_BUSY); /* untouched */
	}
	assert_false(tool_err_parse(NULL, &e));
	/* outside the enum: the internal error, never a NULL */
	assert_string_equal(tool_err_code((enum tool_err)(TOOL_ERR_LAST + 1)), "ERR_INTERNAL");
	assert_string_equal(tool_err_text((enum tool_err)(TOOL_ERR_LAST + 1)), "internal error");
}

/* The default sentences are the ones the call sites wrote before; a call
 * without a message gets its code's, byte for byte on the wire. */
static void
test_default_text(void **state)
{
	static const struct {
		enum tool_err e;
		const char *text;
	} defaults[] = {
		{TOOL_ERR_BUSY, "the account is busy; retry shortly"},
		{TOOL_ERR_CIRCUIT_OPEN, "the account's mail server is failing; calls are paused"},
		{TOOL_ERR_RATE_LIMITED, "rate limit reached for this token or account; retry later"},
		{TOOL_ERR_CANCELLED, "the client cancelled the call"},
		{TOOL_ERR_INTERNAL, "internal error"},
	};
	static const struct tool_def def = {.name = "list_folders"};
	struct tool_call call;
	struct json_object *err;
	struct json_object *v;
	char want[256];

	(void)state;
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		assert_string_equal(tool_err_text(defaults[i].e), defaults[i].text);
		memset(&call, 0, sizeof(call));
		call.def = &def;
		tool_call_error(&call, defaults[i].e, NULL);
		err = tool_result_error(call.result);
		assert_non_null(err);
		assert_true(json_object_object_get_ex(err, "code", &v));
		assert_string_equal(json_object_get_string(v), tool_err_code(defaults[i].e));
		assert_true(json_object_object_get_ex(err, "message", &v));
		assert_string_equal(json_object_get_string(v), defaults[i].text);
		assert_true(json_object_object_get_ex(call.result, "content", &v));
		(void)snprintf(want, sizeof(want), "%s: %s", tool_err_code(defaults[i].e),
			       defaults[i].text);
		assert_string_equal(json_object_get_string(json_object_object_get(
					    json_object_array_get_idx(v, 0), "text")),
				    want);
		tool_call_clear(&call);
	}
	/* a code without a default sentence and no message: never a NULL */
	assert_null(tool_err_text(TOOL_ERR_NOT_FOUND));
	memset(&call, 0, sizeof(call));
	call.def = &def;
	tool_call_error(&call, TOOL_ERR_NOT_FOUND, NULL);
	assert_true(json_object_object_get_ex(tool_result_error(call.result), "message", &v));
	assert_string_equal(json_object_get_string(v), "internal error");
	tool_call_clear(&call);
}

/* handlers/failmap.c's rows, verbatim. */
static const struct {
	enum imap_fail f;
	const char *code;
	const char *text;
} imap_golden[] = {
	{IMAP_FAIL_NONE, "OK",
	 "no error"},
	{IMAP_FAIL_NOT_FOUND, "ERR_NOT_FOUND",
	 "the mail server has no such folder"},
	{IMAP_FAIL_EXISTS, "ERR_INVALID_INPUT",
	 "the folder already exists on the mail server"},
	{IMAP_FAIL_REFUSED, "ERR_IMAP_PROTOCOL",
	 "the mail server refused the command"},
	{IMAP_FAIL_TLS, "ERR_TLS",
	 "the TLS connection to the mail server failed"},
	{IMAP_FAIL_AUTH, "ERR_AUTH",
	 "the mail server refused the account's login"},
	{IMAP_FAIL_TIMEOUT, "ERR_TIMEOUT",
	 "the mail server did not answer in time"},
	{IMAP_FAIL_CONN_LOST, "ERR_CONNECTION_LOST",
	 "the connection to the mail server was lost"},
	{IMAP_FAIL_PROTOCOL, "ERR_IMAP_PROTOCOL",
	 "the mail server's answer was malformed or a refusal"},
	{IMAP_FAIL_TOO_LARGE, "ERR_TOO_LARGE",
	 "the mail server's answer exceeded a limit"},
	{IMAP_FAIL_UNSUPPORTED, "ERR_IMAP_PROTOCOL",
	 "the mail server lacks a needed capability"},
	{IMAP_FAIL_CONFIG, "ERR_CONFIG",
	 "the account's configuration is unusable"},
	{IMAP_FAIL_BUSY, "ERR_BUSY",
	 "the account is busy; retry shortly"},
	{IMAP_FAIL_INVALID, "ERR_INVALID_INPUT",
	 "an argument cannot be sent to the mail server"},
	{IMAP_FAIL_INTERNAL, "ERR_INTERNAL",
	 "internal error"},
	{IMAP_FAIL_CANCELLED, "ERR_CANCELLED",
	 "the client cancelled the call"},
	{IMAP_FAIL_HAS_CHILDREN, "ERR_HAS_CHILDREN",
	 "the folder has subfolders; the mail server refuses this while they exist"},
	{IMAP_FAIL_OVER_QUOTA, "ERR_OVER_QUOTA",
	 "the mailbox is over its quota on the mail server"},
	{IMAP_FAIL_SERVER_LIMIT, "ERR_SERVER_LIMIT",
	 "the mail server refused: a limit of the server was reached"},
	{IMAP_FAIL_NO_PERMISSION, "ERR_PERMISSION_DENIED",
	 "the mail server denies the account this access"},
	{IMAP_FAIL_IN_USE, "ERR_IN_USE",
	 "the folder is in use by another session; retry later"},
	{IMAP_FAIL_UNAVAILABLE, "ERR_SERVER_UNAVAILABLE",
	 "the mail server is temporarily unavailable; retry later"},
	{IMAP_FAIL_SERVER_ERROR, "ERR_SERVER_ERROR",
	 "the mail server reported an internal error"},
	{IMAP_FAIL_CANNOT, "ERR_NOT_POSSIBLE",
	 "the mail server cannot do this (e.g. a name it does not allow)"},
	{IMAP_FAIL_EXPUNGED, "ERR_NOT_FOUND",
	 "a message was expunged by another session meanwhile"},
};

static void
test_imap_failures(void **state)
{
	(void)state;
	assert_int_equal(sizeof(imap_golden) / sizeof(imap_golden[0]), IMAP_FAIL_LAST + 1);
	for (size_t i = 0; i < sizeof(imap_golden) / sizeof(imap_golden[0]); i++) {
		enum imap_fail f = imap_golden[i].f;

		assert_string_equal(tool_err_code(tool_err_from_imap(f)), imap_golden[i].code);
		assert_string_equal(tool_err_imap_text(f), imap_golden[i].text);
	}
	/* every failure has its own name, an MCP code and a sentence; only
	 * INTERNAL is ERR_INTERNAL */
	for (int f = IMAP_FAIL_NOT_FOUND; f <= IMAP_FAIL_LAST; f++) {
		enum tool_err e = tool_err_from_imap((enum imap_fail)f);

		assert_int_not_equal(e, TOOL_ERR_NONE);
		assert_true(well_formed(tool_err_code(e)));
		assert_int_not_equal(e, TOOL_ERR_TOOL);
		assert_int_not_equal(e, TOOL_ERR_UNKNOWN);
		if (f == IMAP_FAIL_INTERNAL)
			continue;
		assert_int_not_equal(e, TOOL_ERR_INTERNAL);
		assert_string_not_equal(imap_fail_str((enum imap_fail)f), "internal");
		assert_string_not_equal(tool_err_imap_text((enum imap_fail)f), "internal error");
	}
	assert_int_equal(tool_err_from_imap((enum imap_fail)(IMAP_FAIL_LAST + 1)),
			 TOOL_ERR_INTERNAL);
	assert_string_equal(tool_err_imap_text((enum imap_fail)(IMAP_FAIL_LAST + 1)),
			    "internal error");
}

/* imap/smtp.c smtp_fail_code's switch, verbatim. */
static void
test_smtp_failures(void **state)
{
	static const struct {
		enum smtp_fail f;
		const char *code;
	} golden[] = {
		{SMTP_OK, "OK"},
		{SMTP_FAIL_PROTOCOL, "ERR_SMTP_PROTOCOL"},
		{SMTP_FAIL_AUTH, "ERR_AUTH"},
		{SMTP_FAIL_TLS, "ERR_TLS"},
		{SMTP_FAIL_CONN, "ERR_CONNECTION_LOST"},
		{SMTP_FAIL_TIMEOUT, "ERR_TIMEOUT"},
		{SMTP_FAIL_CONFIG, "ERR_CONFIG"},
		{SMTP_FAIL_INTERNAL, "ERR_INTERNAL"},
	};

	(void)state;
	assert_int_equal(sizeof(golden) / sizeof(golden[0]), SMTP_FAIL_LAST + 1);
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++)
		assert_string_equal(tool_err_code(tool_err_from_smtp(golden[i].f)), golden[i].code);
	for (int f = SMTP_OK + 1; f <= SMTP_FAIL_LAST; f++)
		assert_true(well_formed(tool_err_code(tool_err_from_smtp((enum smtp_fail)f))));
	assert_int_equal(tool_err_from_smtp((enum smtp_fail)(SMTP_FAIL_LAST + 1)),
			 TOOL_ERR_INTERNAL);
}

/* The breaker's column is the list handlers/breaker.c held: these seven are
 * the service's health, ERR_AUTH the credentials', nothing else counts. */
static void
test_breaker_column(void **state)
{
	static const char *const service[] = {
		"ERR_TIMEOUT",	     "ERR_CONNECTION_LOST",    "ERR_TLS",	   "ERR_IMAP_PROTOCOL",
		"ERR_SMTP_PROTOCOL", "ERR_SERVER_UNAVAILABLE", "ERR_SERVER_ERROR",
	};

	(void)state;
	for (int i = TOOL_ERR_NONE; i <= TOOL_ERR_LAST; i++) {
		const char *c = tool_err_code((enum tool_err)i);
		enum tool_err_fault want = TOOL_FAULT_NONE;
		enum brk_outcome o = BRK_UNRELATED;

		for (size_t k = 0; k < sizeof(service) / sizeof(service[0]); k++) {
			if (strcmp(c, service[k]) == 0) {
				want = TOOL_FAULT_SERVICE;
				o = BRK_SERVICE;
			}
		}
		if (strcmp(c, "ERR_AUTH") == 0) {
			want = TOOL_FAULT_AUTH;
			o = BRK_AUTH;
		}
		if (tool_err_fault((enum tool_err)i) != want)
			print_error("%s: fault %d, want %d\n", c, tool_err_fault((enum tool_err)i),
				    want);
		assert_int_equal(tool_err_fault((enum tool_err)i), want);
		assert_int_equal(brk_classify(c), o);
	}
	for (size_t k = 0; k < sizeof(service) / sizeof(service[0]); k++) {
		enum tool_err e;

		assert_true(tool_err_parse(service[k], &e));
	}
}

/* The internal errors as the callers mapped them (download/fetch's
 * sanitize_fail, `imapgate sanitize`). */
static void
test_from_ig(void **state)
{
	(void)state;
	assert_int_equal(tool_err_from_ig(IG_OK), TOOL_ERR_NONE);
	assert_int_equal(tool_err_from_ig(IG_EINVAL), TOOL_ERR_INVALID_INPUT);
	assert_int_equal(tool_err_from_ig(IG_ELIMIT), TOOL_ERR_TOO_LARGE);
	for (int e = IG_AGAIN; e <= IG_EINTERNAL; e++) {
		if (e == IG_EINVAL || e == IG_ELIMIT)
			continue;
		assert_int_equal(tool_err_from_ig((enum ig_err)e), TOOL_ERR_INTERNAL);
	}
}

/* docs/tools.md "Error codes" names every code of the table, and every
 * ERR_ code the docs name is one. */
static void
test_docs(void **state)
{
	const char *dir = getenv("IG_SOURCE_DIR");
	char path[4096];
	char *text;
	long n;
	FILE *f;

	(void)state;
	if (dir == NULL)
		skip();
	(void)snprintf(path, sizeof(path), "%s/docs/tools.md", dir);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	(void)fclose(f);

	for (const char *p = strstr(text, "ERR_"); p != NULL; p = strstr(p + 1, "ERR_")) {
		char code[64];
		size_t len = 4;
		enum tool_err e;

		if (p > text && ((p[-1] >= 'A' && p[-1] <= 'Z') || p[-1] == '_'))
			continue; /* inside a longer word */
		while ((p[len] >= 'A' && p[len] <= 'Z') || p[len] == '_')
			len++;
		assert_true(len < sizeof(code));
		memcpy(code, p, len);
		code[len] = '\0';
		if (!tool_err_parse(code, &e))
			print_error("docs/tools.md names %s, which is no code\n", code);
		assert_true(tool_err_parse(code, &e));
	}
	for (int i = TOOL_ERR_NONE + 1; i <= TOOL_ERR_LAST; i++) {
		char row[80];

		/* a row of the table: | `ERR_X` | */
		(void)snprintf(row, sizeof(row), "| `%s` |", tool_err_code((enum tool_err)i));
		if (strstr(text, row) == NULL)
			print_error("docs/tools.md has no row %s\n", row);
		assert_non_null(strstr(text, row));
	}
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_default_text),
		cmocka_unit_test(test_imap_failures),
		cmocka_unit_test(test_smtp_failures),
		cmocka_unit_test(test_breaker_column),
		cmocka_unit_test(test_from_ig),
		cmocka_unit_test(test_docs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
