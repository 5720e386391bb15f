/* Tests the shapes real MCP clients check (issue #12 B1, B2) over every
 * production tool and every error path of handlers/tools.c and toolkit.c:
 * - every inputSchema and outputSchema is in a single-type dialect (each
 *   schema node has one `type` name; no type arrays, combinators, $ref,
 *   const or nullable; arrays have items; required names properties);
 * - every error result (tool_call_error, tool_call_error_retry,
 *   tk_imap_error for each failure) has isError, no structuredContent (SDK
 *   v1 would validate it against the tool's outputSchema), its code in
 *   _meta["imapgate/error"] and in the text item's first word. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "handlers/accounts.h"
#include "handlers/errors.h"
#include "handlers/call.h"
#include "handlers/toolkit.h"
#include "handlers/tools.h"
#include "imap/conn.h"
#include "base/json.h"

static const char *const forbidden[] = {
	"anyOf", "oneOf", "allOf",    "not",      "$ref",        "$defs",       "definitions",
	"const", "if",    "then",     "else",     "nullable",    "patternProperties",
	"prefixItems",
};

/* Fails (naming the path) when s is not a single-type dialect schema. */
static void
dialect_check(struct json_object *s, const char *path, int depth)
{
	struct json_object *type, *v, *props = NULL;
	const char *t;
	char sub[512];
	size_t i;

	if (depth > 32 || !json_object_is_type(s, json_type_object))
		fail_msg("%s: not a schema object", path);
	if (!json_object_object_get_ex(s, "type", &type) ||
	    !json_object_is_type(type, json_type_string))
		fail_msg("%s: `type` is not one type name", path);
	t = json_object_get_string(type);
	if (strcmp(t, "object") != 0 && strcmp(t, "array") != 0 && strcmp(t, "string") != 0 &&
	    strcmp(t, "integer") != 0 && strcmp(t, "number") != 0 && strcmp(t, "boolean") != 0)
		fail_msg("%s: type %s", path, t);
	for (i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		if (json_object_object_get_ex(s, forbidden[i], NULL))
			fail_msg("%s: uses %s", path, forbidden[i]);
	if (strcmp(t, "array") == 0) {
		if (!json_object_object_get_ex(s, "items", &v))
			fail_msg("%s: array without items", path);
		(void)snprintf(sub, sizeof(sub), "%s.items", path);
		dialect_check(v, sub, depth + 1);
	}
	if (strcmp(t, "object") != 0)
		return;
	if (json_object_object_get_ex(s, "additionalProperties", &v) &&
	    !json_object_is_type(v, json_type_boolean))
		fail_msg("%s: additionalProperties is a schema", path);
	(void)json_object_object_get_ex(s, "properties", &props);
	if (props != NULL) {
		json_object_object_foreach(props, k, ps)
		{
			(void)snprintf(sub, sizeof(sub), "%s.%s", path, k);
			dialect_check(ps, sub, depth + 1);
		}
	}
	if (json_object_object_get_ex(s, "required", &v)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			const char *r = json_object_get_string(json_object_array_get_idx(v, i));

			if (props == NULL || !json_object_object_get_ex(props, r, NULL))
				fail_msg("%s: required %s is not a property", path, r);
		}
	}
}

static void
test_schemas_single_type(void **state)
{
	const char *error = NULL;
	struct tool_registry *reg = tool_registry_new(NULL, 0, &error);
	size_t i, n_out = 0;

	(void)state;
	assert_non_null(reg);
	assert_true(tool_registry_count(reg) > 10);
	for (i = 0; i < tool_registry_count(reg); i++) {
		size_t len = 0;
		const char *text = tool_registry_entry_json(reg, i, &len);
		struct json_object *t = json_tokener_parse(text); /* our own output */
		struct json_object *s;
		char path[256];

		assert_non_null(t);
		assert_true(json_object_object_get_ex(t, "inputSchema", &s));
		(void)snprintf(path, sizeof(path), "%s.inputSchema",
			       tool_registry_at(reg, i)->name);
		dialect_check(s, path, 0);
		if (json_object_object_get_ex(t, "outputSchema", &s)) {
			(void)snprintf(path, sizeof(path), "%s.outputSchema",
				       tool_registry_at(reg, i)->name);
			dialect_check(s, path, 0);
			n_out++;
		}
		json_object_put(t);
	}
	assert_true(n_out > 0);
	tool_registry_free(reg);
}

/* The error result shape for code; the call is cleared after. */
static void
expect_error(struct tool_call *call, const char *code, bool retry)
{
	struct json_object *r = call->result;
	struct json_object *v, *err, *content;
	const char *text;

	assert_non_null(r);
	assert_true(json_object_object_get_ex(r, "isError", &v));
	assert_true(json_object_get_boolean(v));
	assert_false(json_object_object_get_ex(r, "structuredContent", NULL));
	err = tool_result_error(r);
	assert_non_null(err);
	assert_true(json_object_object_get_ex(err, "code", &v));
	assert_string_equal(json_object_get_string(v), code);
	assert_true(json_object_object_get_ex(err, "message", &v));
	assert_true(json_object_get_string_len(v) > 0);
	assert_int_equal(json_object_object_get_ex(err, "retry_after_ms", &v), retry);
	assert_true(json_object_object_get_ex(r, "content", &content));
	text = json_object_get_string(
		json_object_object_get(json_object_array_get_idx(content, 0), "text"));
	assert_non_null(text);
	assert_int_equal(strncmp(text, code, strlen(code)), 0);
	assert_int_equal(strncmp(text + strlen(code), ": ", 2), 0);
	tool_call_clear(call);
}

static void
test_error_results(void **state)
{
	static const struct tool_def def = {.name = "list_folders"};
	struct tool_call call;
	int f;

	(void)state;
	memset(&call, 0, sizeof(call));
	call.def = &def;
	tool_call_error(&call, TOOL_ERR_NOT_FOUND, "no such account");
	expect_error(&call, "ERR_NOT_FOUND", false);
	tool_call_error_retry(&call, TOOL_ERR_RATE_LIMITED, "slow down", 1500);
	expect_error(&call, "ERR_RATE_LIMITED", true);
	/* no message: the code's default sentence */
	tool_call_error_retry(&call, TOOL_ERR_CIRCUIT_OPEN, NULL, 20);
	expect_error(&call, "ERR_CIRCUIT_OPEN", true);
	for (f = IMAP_FAIL_NOT_FOUND; f <= IMAP_FAIL_INTERNAL; f++) {
		struct imap_error err;

		imap_error_set(&err, f, "NO whatever");
		tk_imap_error(&call, &err);
		expect_error(&call, tool_err_code(tool_err_from_imap(err.fail)), false);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schemas_single_type),
		cmocka_unit_test(test_error_results),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
