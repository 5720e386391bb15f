/* handlers/ops_audit.c: the `audit query` filter, the checkpoint lookup of
 * `audit verify`, and the log opened for audited actions. */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>

#include "handlers/ops_audit.h"

static void
append(struct audit *a, const char *kind, const char *principal, const char *account,
       const char *tool)
{
	struct json_object *f = json_object_new_object();

	if (tool != NULL)
		json_object_object_add(f, "tool", json_object_new_string(tool));
	assert_int_equal(audit_append(a, kind, principal, account, f, false), IG_OK);
	json_object_put(f);
}

struct seen {
	size_t n;
	size_t stop_after; /* 0: never stop */
	char last[512];
};

static bool
seen_one(const char *line, size_t len, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	(void)snprintf(s->last, sizeof(s->last), "%.*s", (int)len, line);
	return s->stop_after == 0 || s->n < s->stop_after;
}

static size_t
query(struct fx *fx, const struct ops_audit_filter *q, struct seen *s)
{
	char path[160];

	(void)snprintf(path, sizeof(path), "%s/audit", fx->data);
	memset(s->last, 0, sizeof(s->last));
	s->n = 0;
	assert_int_equal(ops_audit_query(path, q, seen_one, s), IG_OK);
	return s->n;
}

static void
test_query_filter(void **state)
{
	struct fx *fx = *state;
	struct ops_audit_filter q;
	struct seen s = {0};

	append(fx->audit, "tool_start", "agent-a", "work", "search");
	append(fx->audit, "tool_start", "agent-b", "home", "fetch");
	append(fx->audit, "token", NULL, NULL, NULL);
	memset(&q, 0, sizeof(q));
	q.kind = "tool_start";
	assert_int_equal(query(fx, &q, &s), 2);
	q.tool = "fetch";
	assert_int_equal(query(fx, &q, &s), 1);
	assert_non_null(strstr(s.last, "\"principal\":\"agent-b\""));
	memset(&q, 0, sizeof(q));
	q.token = "agent-a";
	assert_int_equal(query(fx, &q, &s), 1);
	memset(&q, 0, sizeof(q));
	q.account = "home";
	assert_int_equal(query(fx, &q, &s), 1);
	/* the fixture's 12 padding records, then the 3 above */
	memset(&q, 0, sizeof(q));
	assert_int_equal(query(fx, &q, &s), 15);
	q.limit = 4;
	assert_int_equal(query(fx, &q, &s), 4);
	/* the callback may stop early */
	q.limit = 0;
	s.stop_after = 2;
	assert_int_equal(query(fx, &q, &s), 2);
	s.stop_after = 0;
	/* time: everything is from now, nothing from before 2000 */
	q.have_until = true;
	q.until_ms = 946684800000LL;
	assert_int_equal(query(fx, &q, &s), 0);
	q.have_until = false;
	q.have_since = true;
	q.since_ms = 946684800000LL;
	assert_int_equal(query(fx, &q, &s), 15);
}

static void
test_checkpoint_dir(void **state)
{
	struct fx *fx = *state;
	char path[200];
	char out[4096];
	char want[300];

	(void)snprintf(path, sizeof(path), "%s/audit/", fx->data);
	assert_true(ops_audit_checkpoint_dir(path, out, sizeof(out)));
	(void)snprintf(want, sizeof(want), "%s/audit/..", fx->data);
	assert_string_equal(out, want);
	(void)snprintf(path, sizeof(path), "%s/audit/audit.jsonl", fx->data);
	assert_true(ops_audit_checkpoint_dir(path, out, sizeof(out)));
	assert_string_equal(out, want);
	/* a rotated file alone, or nothing there: no checkpoint covers it */
	(void)snprintf(path, sizeof(path), "%s/audit/audit-1.jsonl", fx->data);
	assert_false(ops_audit_checkpoint_dir(path, out, sizeof(out)));
	(void)snprintf(path, sizeof(path), "%s/c.conf", fx->root);
	assert_false(ops_audit_checkpoint_dir(path, out, sizeof(out)));
}

static void
test_verify(void **state)
{
	struct fx *fx = *state;
	struct audit_verify_report r;
	char path[160];

	(void)snprintf(path, sizeof(path), "%s/audit", fx->data);
	assert_int_equal(ops_audit_verify(path, fx->data, 0, NULL, &r), IG_OK);
	assert_true(r.ok);
	assert_true(r.checkpoint);
	assert_int_equal(r.records, 12);
	assert_int_equal(ops_audit_verify(path, NULL, 0, NULL, &r), IG_OK);
	assert_true(r.ok);
	assert_false(r.checkpoint);
	(void)snprintf(path, sizeof(path), "%s/nothing", fx->root);
	assert_int_equal(ops_audit_verify(path, NULL, 0, NULL, &r), IG_ENOTFOUND);
}

static void
test_open(void **state)
{
	struct fx *fx = *state;
	struct audit *a = NULL;
	const char *error = NULL;

	assert_int_equal(ops_audit_open(fx->cfg, &a, &error), IG_OK);
	assert_non_null(a);
	audit_close(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_query_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
