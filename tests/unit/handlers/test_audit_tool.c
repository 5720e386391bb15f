/* store/audit_redact.c, handlers/audit_tool.c: every ARG_AUDIT_* treatment, args hash,
 * result summary and provenance. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/audit.h"
#include "store/audit_redact.h"
#include "handlers/audit_tool.h"
#include "handlers/tools.h"
#include "base/json.h"

static const struct tool_arg_rule rules[] = {
	{"account", ARG_AUDIT_VERBATIM, 0},
	{"folder", ARG_AUDIT_VERBATIM, 0},
	{"uid", ARG_AUDIT_VERBATIM, 0},
	{"subject", ARG_AUDIT_TEXT, 0},
	{"body_text", ARG_AUDIT_TEXT, 0},
	{"to", ARG_AUDIT_RECIPIENTS, 0},
	{"cc", ARG_AUDIT_RECIPIENTS, 0},
	{"bcc", ARG_AUDIT_RECIPIENTS, 0},
	{"password", ARG_AUDIT_SECRET, 0},
	{NULL, 0, 0},
};

struct fx {
	char dir[64];
	struct audit *a;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	const char *error = NULL;

	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/ig-redact-XXXXXX");
	if (mkdtemp(f->dir) == NULL || audit_open(f->dir, &f->a, &error) != IG_OK)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	audit_close(f->a);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct json_object *
parse(const char *s)
{
	struct json_object *o = NULL;

	assert_int_equal(json_parse_strict(sl_from_cstr(s), &o, NULL), IG_OK);
	return o;
}

static const char *
get(struct json_object *o, const char *k)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, k, &v))
		return NULL;
	return json_object_get_string(v);
}

static void
test_redaction(void **state)
{
	struct fx *f = *state;
	struct json_object *args = parse(
		"{\"account\":\"work\",\"folder\":\"INBOX\\r\\nX\",\"uid\":42,"
		"\"subject\":\"Secret plans\",\"body_text\":\"BODY-MARKER \\u2028 line\","
		"\"to\":[{\"name\":\"Alice Liddell\",\"address\":\"Alice@Example.COM\"},"
		"\"bob@example.org\"],\"cc\":\" alice@example.com \","
		"\"bcc\":[{\"address\":\"carol@example.net\",\"extra\":\"x\"}],"
		"\"password\":\"hunter2\",\"unlisted\":\"free text\"}");
	struct json_object *r = audit_tool_redact_args(f->a, rules, args);
	struct json_object *to;
	struct json_object *v;
	const char *text;
	const char *h1;
	const char *h2;

	(void)state;
	assert_non_null(r);
	text = json_object_to_json_string(r);
	assert_string_equal(get(r, "account"), "work");
	assert_string_equal(get(r, "folder"), "INBOX\r\nX");
	assert_true(json_object_object_get_ex(r, "uid", &v));
	assert_int_equal(json_object_get_int(v), 42);
	assert_string_equal(get(r, "subject"), "<redacted:12>");
	assert_string_equal(get(r, "body_text"), "<redacted:20>");
	assert_string_equal(get(r, "unlisted"), "<redacted:9>");
	assert_false(json_object_object_get_ex(r, "password", NULL));
	assert_null(strstr(text, "hunter2"));
	assert_null(strstr(text, "example"));
	assert_null(strstr(text, "Alice"));
	assert_null(strstr(text, "BODY-MARKER"));
	assert_true(json_object_object_get_ex(r, "to", &to));
	assert_int_equal(json_object_array_length(to), 2);
	v = json_object_array_get_idx(to, 0);
	assert_string_equal(get(v, "name"), "<redacted:13>");
	h1 = get(v, "address");
	assert_int_equal(strncmp(h1, "rcpt_", 5), 0);
	assert_int_equal(strlen(h1), 37);
	/* the same address, differently cased and padded, hashes the same */
	h2 = get(r, "cc");
	assert_string_equal(h1, h2);
	assert_int_equal(strncmp(json_object_get_string(json_object_array_get_idx(to, 1)), "rcpt_", 5),
			 0);
	assert_string_not_equal(json_object_get_string(json_object_array_get_idx(to, 1)), h1);
	assert_true(json_object_object_get_ex(r, "bcc", &v));
	assert_string_equal(get(json_object_array_get_idx(v, 0), "extra"), "<redacted:1>");
	json_object_put(r);
	json_object_put(args);
}

static void
test_args_hash(void **state)
{
	struct fx *f = *state;
	struct json_object *a1 = parse("{\"a\":1,\"b\":{\"y\":\"2\",\"x\":[1,2]}}");
	struct json_object *a2 = parse("{\"b\":{\"x\":[1,2],\"y\":\"2\"},\"a\":1}");
	struct json_object *a3 = parse("{\"b\":{\"x\":[2,1],\"y\":\"2\"},\"a\":1}");
	char h1[65];
	char h2[65];
	char h3[65];

	audit_args_hash(f->a, a1, h1);
	audit_args_hash(f->a, a2, h2);
	audit_args_hash(f->a, a3, h3);
	assert_string_equal(h1, h2); /* canonical: member order does not matter */
	assert_string_not_equal(h1, h3);
	assert_int_equal(strlen(h1), 64);
	{ /* an empty object and nested empty ones (canonical form of {}) */
		struct json_object *e = parse("{\"a\":{},\"b\":[]}");
		struct json_object *e0 = parse("{}");

		audit_args_hash(f->a, e, h3);
		audit_args_hash(f->a, e0, h2);
		assert_string_not_equal(h2, h3);
		json_object_put(e);
		json_object_put(e0);
	}
	json_object_put(a1);
	json_object_put(a2);
	json_object_put(a3);
}

static void
nop_run(struct tool_call *call)
{
	(void)call;
}

static const struct tool_arg_rule read_rules[] = {
	{"account", ARG_AUDIT_VERBATIM, 0},
	{"query", ARG_AUDIT_TEXT, 0},
	{NULL, 0, 0},
};

static const struct tool_def t_read = {
	.name = "search", .min_posture = POSTURE_READONLY, .rate_class = TOOL_RATE_READ,
	.account_scoped = true, .args = read_rules, .run = nop_run,
};
static const struct tool_def t_send = {
	.name = "send_email", .min_posture = POSTURE_FULL, .rate_class = TOOL_RATE_SEND,
	.account_scoped = true, .args = rules, .run = nop_run,
};

/* The last line of the log, parsed. */
static struct json_object *
last_record(struct fx *f)
{
	char path[128];
	char *buf;
	FILE *fp;
	long n;
	char *start;
	struct json_object *o = NULL;

	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", f->dir);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	buf[n - 1] = '\0';
	start = strrchr(buf, '\n');
	start = start != NULL ? start + 1 : buf;
	assert_int_equal(json_parse_strict(sl_from_cstr(start), &o, NULL), IG_OK);
	free(buf);
	return o;
}

static void
test_tool_records(void **state)
{
	struct fx *f = *state;
	struct audit_span sp;
	struct json_object *args = parse("{\"account\":\"work\",\"query\":\"invoice\"}");
	struct json_object *result = parse(
		"{\"content\":[{\"type\":\"text\",\"text\":\"abc\"}],\"structuredContent\":{"
		"\"meta\":{\"account\":\"work\",\"folder\":\"INBOX\"},\"untrusted\":{\"messages\":["
		"{\"uid\":7,\"subject\":\"s\"},{\"uid\":9,\"folder\":\"Archive\"},"
		"{\"message_id\":\"<x@victim.example>\"}]},"
		"\"security_warnings\":[{\"code\":\"lookalike_mixed_script\"},"
		"{\"code\":\"lookalike_mixed_script\"},{\"code\":\"Bad Code!\"}]}}");
	struct json_object *send_args = parse("{\"account\":\"work\",\"to\":\"x@y.z\","
					      "\"subject\":\"hi\",\"body_text\":\"b\"}");
	struct json_object *err_result =
		parse("{\"isError\":true,\"_meta\":{\"imapgate/error\":{\"code\":"
		      "\"ERR_POSTURE_DENIED\",\"message\":\"no\"}}}");
	struct json_object *rec;
	struct json_object *v;
	struct json_object *sum;
	struct json_object *ids;
	const char *text;

	assert_int_equal(audit_tool_start(f->a, &t_read, "agent", "work", args, &sp), IG_OK);
	assert_true(sp.started);
	rec = last_record(f);
	assert_string_equal(get(rec, "kind"), "tool_start");
	assert_string_equal(get(rec, "principal"), "agent");
	assert_string_equal(get(rec, "tool"), "search");
	assert_string_equal(get(rec, "call_id"), sp.call_id);
	assert_true(json_object_object_get_ex(rec, "args", &v));
	assert_string_equal(get(v, "query"), "<redacted:7>");
	assert_int_equal(strlen(get(rec, "args_sha256")), 64);
	json_object_put(rec);

	assert_int_equal(audit_tool_end(f->a, &t_read, "agent", "work", &sp, result, 0), IG_OK);
	rec = last_record(f);
	text = json_object_to_json_string(rec);
	assert_null(strstr(text, "victim"));
	assert_string_equal(get(rec, "kind"), "tool_end");
	assert_string_equal(get(rec, "status"), "ok");
	assert_true(json_object_object_get_ex(rec, "result_summary", &sum));
	assert_true(json_object_object_get_ex(sum, "ids", &ids));
	assert_int_equal(json_object_array_length(ids), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)), "INBOX/7");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 1)), "Archive/9");
	assert_int_equal(strncmp(json_object_get_string(json_object_array_get_idx(ids, 2)), "mid_", 4),
			 0);
	assert_true(json_object_object_get_ex(sum, "warnings", &v));
	assert_int_equal(json_object_get_int(v), 3);
	assert_true(json_object_object_get_ex(sum, "warning_codes", &v));
	assert_string_equal(get(v, "lookalike_mixed_script"), "2");
	assert_string_equal(get(v, "other"), "1");
	assert_true(json_object_object_get_ex(sum, "bytes", &v));
	assert_true(json_object_get_int(v) > 10);
	json_object_put(rec);

	/* a side-effecting call by the same principal carries what it read */
	assert_int_equal(audit_tool_start(f->a, &t_send, "agent", "work", send_args, &sp), IG_OK);
	rec = last_record(f);
	text = json_object_to_json_string(rec);
	assert_null(strstr(text, "x@y.z"));
	json_object_put(rec);
	assert_int_equal(audit_tool_end(f->a, &t_send, "agent", "work", &sp, err_result, 0), IG_OK);
	rec = last_record(f);
	assert_string_equal(get(rec, "status"), "error");
	assert_string_equal(get(rec, "error_code"), "ERR_POSTURE_DENIED");
	assert_true(json_object_object_get_ex(rec, "provenance", &v));
	assert_true(json_object_object_get_ex(v, "ids", &ids));
	assert_int_equal(json_object_array_length(ids), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ids, 0)),
			    "work:INBOX/7");
	json_object_put(rec);
	/* another principal read nothing */
	assert_int_equal(audit_tool_start(f->a, &t_send, "other", "work", send_args, &sp), IG_OK);
	assert_int_equal(audit_tool_end(f->a, &t_send, "other", "work", &sp, NULL, -32602), IG_OK);
	rec = last_record(f);
	assert_string_equal(get(rec, "status"), "rpc_error");
	assert_true(json_object_object_get_ex(rec, "provenance", &v));
	assert_string_equal(get(v, "count"), "0");
	json_object_put(rec);
	assert_true(audit_tool_side_effecting(&t_send));
	assert_false(audit_tool_side_effecting(&t_read));

	json_object_put(args);
	json_object_put(result);
	json_object_put(send_args);
	json_object_put(err_result);
}

/* Argument names that carry mail text, recipients or secrets: never
 * recorded verbatim, whatever tool takes them. */
static bool
name_is_sensitive(const char *n)
{
	static const char *const exact[] = {"to", "cc", "bcc", "from", "reply_to", "recipients",
					    "address", "name", "text", "query", "password",
					    "token", "secret", NULL};
	static const char *const part[] = {"body", "subject", "text", "query", "password",
					   "secret", "address", NULL};
	size_t i;

	for (i = 0; exact[i] != NULL; i++) {
		if (strcmp(n, exact[i]) == 0)
			return true;
	}
	for (i = 0; part[i] != NULL; i++) {
		if (strstr(n, part[i]) != NULL)
			return true;
	}
	return false;
}

/* The value shapes an argument may take, each carrying the marker. */
static struct json_object *
marked_value(int shape, const char *mark)
{
	char s[160];

	switch (shape) {
	case 0:
		return json_object_new_string(mark);
	case 1:
		(void)snprintf(s, sizeof(s), "[\"%s@example.test\",{\"name\":\"%s\",\"address\":\"%s@x.test\"}]",
			       mark, mark, mark);
		return parse(s);
	default:
		(void)snprintf(s, sizeof(s), "{\"k\":\"%s\",\"n\":[\"%s\"]}", mark, mark);
		return parse(s);
	}
}

/* For every built-in tool and every argument its audit rule does not mark
 * verbatim, no value shape leaks into the redacted record; and no argument
 * whose name says mail text, recipients or secrets is marked verbatim. */
static void
test_every_tool_every_argument(void **state)
{
	struct fx *f = *state;
	const char *error = NULL;
	struct tool_registry *reg = tool_registry_new(NULL, 0, &error);
	size_t checked = 0;
	size_t i;

	assert_non_null(reg);
	for (i = 0; i < tool_registry_count(reg); i++) {
		const struct tool_def *t = tool_registry_at(reg, i);
		const struct tool_arg_rule *r;

		for (r = t->args; r->name != NULL; r++) {
			int shape;

			if (r->audit == ARG_AUDIT_VERBATIM) {
				if (name_is_sensitive(r->name))
					fail_msg("%s.%s is audited verbatim", t->name, r->name);
				continue;
			}
			for (shape = 0; shape < 3; shape++) {
				struct json_object *args = json_object_new_object();
				struct json_object *red;
				const char *text;

				json_object_object_add(args, r->name,
						       marked_value(shape, "LEAKMARK"));
				red = audit_tool_redact_args(f->a, t->args, args);
				assert_non_null(red);
				text = json_object_to_json_string(red);
				if (strstr(text, "LEAKMARK") != NULL)
					fail_msg("%s.%s leaks (shape %d): %s", t->name, r->name, shape,
						 text);
				if (r->audit == ARG_AUDIT_SECRET &&
				    json_object_object_get_ex(red, r->name, NULL))
					fail_msg("%s.%s: a secret is recorded", t->name, r->name);
				json_object_put(red);
				json_object_put(args);
				checked++;
			}
		}
	}
	assert_true(checked > 0);
	tool_registry_free(reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_redaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_args_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tool_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_tool_every_argument, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
