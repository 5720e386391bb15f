/* web/api.c: the admin API routes. The outbox decisions follow the audit
 * policy of handlers/ops.h (the "cannot audit -> no change" property of
 * tests/unit/handlers/test_ops_fixture.h: 5xx with the reason while the log
 * cannot grow, state.db unchanged; then 200 and a verifiable record); the
 * accounts route reports handlers/ops_account.h's status; every route is
 * for admin tokens only. */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>

#include "web/api.h"

/* --- the admin actions: each sets r->ok when it reported success --- */

static void
admin(struct fx *fx, const char *verb, struct result *r)
{
	struct token_info who;
	char url[96];
	struct buf out;
	unsigned status;

	memset(&who, 0, sizeof(who));
	(void)snprintf(who.name, sizeof(who.name), "boss");
	who.admin = true;
	(void)snprintf(url, sizeof(url), "/admin/outbox/%lld/%s", (long long)fx->pending, verb);
	buf_init(&out, 65536);
	status = admin_outbox_handle(fx->cfg, fx->audit, &who, "POST", url, (struct slice){"", 0},
				     &out);
	(void)snprintf(r->text, sizeof(r->text), "%u %.*s", status, (int)out.len, out.p);
	buf_free(&out);
	r->ok = status == 200;
	if (!r->ok)
		assert_true(status >= 500 && status <= 599);
}

static void
a_admin_approve(struct fx *fx, struct result *r)
{
	admin(fx, "approve", r);
}

static void
a_admin_reject(struct fx *fx, struct result *r)
{
	admin(fx, "reject", r);
}

static const struct action actions[] = {
	{"admin approve", a_admin_approve, "audit log cannot be written",
	 "\"decision\":\"approved\""},
	{"admin reject", a_admin_reject, "audit log cannot be written",
	 "\"decision\":\"rejected\""},
};

static void
test_admin_approve(void **state)
{
	run_one(state, &actions[0]);
}

static void
test_admin_reject(void **state)
{
	run_one(state, &actions[1]);
}

/* One request through a route with an admin (or agent) token. */
static unsigned
call(struct fx *fx, bool admin_token, const char *method, const char *url, const char *body,
     char *text, size_t size)
{
	struct admin_ctx ctx = {fx->cfg, fx->audit, NULL, NULL};
	struct token_info who;
	struct buf out;
	unsigned status;

	memset(&who, 0, sizeof(who));
	(void)snprintf(who.name, sizeof(who.name), "%s", admin_token ? "boss" : "agent");
	who.admin = admin_token;
	buf_init(&out, 1 << 20);
	status = strncmp(url, ADMIN_ACCOUNTS_PATH, sizeof(ADMIN_ACCOUNTS_PATH) - 1) == 0
			 ? admin_accounts_route(&ctx, &who, method, url, sl_from_cstr(body), &out)
			 : admin_outbox_route(&ctx, &who, method, url, sl_from_cstr(body), &out);
	assert_int_equal(buf_err(&out), IG_OK);
	(void)snprintf(text, size, "%.*s", (int)out.len, out.p != NULL ? out.p : "");
	buf_free(&out);
	return status;
}

/* An agent token never gets past a route, whatever it asks. */
static void
test_admin_only(void **state)
{
	struct fx *fx = *state;
	char url[96];
	char text[65536];
	char *before = snapshot(fx);
	char *after;

	(void)snprintf(url, sizeof(url), "/admin/outbox/%lld/approve", (long long)fx->pending);
	assert_int_equal(call(fx, false, "POST", url, "", text, sizeof(text)), 403);
	assert_non_null(strstr(text, "not an admin token"));
	assert_int_equal(call(fx, false, "GET", "/admin/outbox", "", text, sizeof(text)), 403);
	assert_int_equal(call(fx, false, "GET", "/admin/accounts", "", text, sizeof(text)), 403);
	after = snapshot(fx);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* The outbox routes: list, show, methods, ids, a decision and its hash. */
static void
test_outbox_routes(void **state)
{
	struct fx *fx = *state;
	char url[96];
	char body[160];
	char text[65536];
	struct outbox_entry *e = NULL;
	char hex[OUTBOX_HASH_HEX + 1];

	assert_int_equal(call(fx, true, "GET", "/admin/outbox", "", text, sizeof(text)), 200);
	assert_non_null(strstr(text, "\"entries\":["));
	assert_non_null(strstr(text, "\"state\":\"pending\""));
	assert_int_equal(call(fx, true, "POST", "/admin/outbox", "", text, sizeof(text)), 405);
	assert_int_equal(call(fx, true, "GET", "/admin/outbox/abc", "", text, sizeof(text)), 404);
	assert_int_equal(call(fx, true, "GET", "/admin/outbox/999999", "", text, sizeof(text)),
			 404);
	(void)snprintf(url, sizeof(url), "/admin/outbox/%lld", (long long)fx->pending);
	assert_int_equal(call(fx, true, "GET", url, "", text, sizeof(text)), 200);
	assert_non_null(strstr(text, "\"hash\":\""));
	assert_non_null(strstr(text, "\"rcpt_to\":[\"bob@example.test\"]"));
	(void)snprintf(url, sizeof(url), "/admin/outbox/%lld/approve", (long long)fx->pending);
	assert_int_equal(call(fx, true, "GET", url, "", text, sizeof(text)), 405);
	assert_int_equal(call(fx, true, "POST", url, "[1]", text, sizeof(text)), 400);
	/* a hash other than the entry's: refused, still pending */
	(void)snprintf(body, sizeof(body), "{\"hash\":\"%064d\"}", 0);
	assert_int_equal(call(fx, true, "POST", url, body, text, sizeof(text)), 409);
	assert_int_equal(outbox_get(fx->st, fx->pending, &e), IG_OK);
	assert_int_equal(e->state, OUTBOX_PENDING);
	outbox_hash_hex(e->hash, hex);
	outbox_entry_free(e);
	(void)snprintf(body, sizeof(body), "{\"hash\":\"%s\"}", hex);
	assert_int_equal(call(fx, true, "POST", url, body, text, sizeof(text)), 200);
	assert_string_equal(text, "{\"id\":1,\"state\":\"approved\"}");
	assert_int_equal(call(fx, true, "POST", url, body, text, sizeof(text)), 409);
	assert_non_null(strstr(text, "not pending"));
}

/* Account status from a process without workers: the configured account,
 * live facts null, cache facts (no cache.db here: absent, 0 bytes). */
static void
test_accounts_route(void **state)
{
	struct fx *fx = *state;
	char text[65536];

	assert_int_equal(call(fx, true, "GET", "/admin/accounts", "", text, sizeof(text)), 200);
	assert_non_null(strstr(text, "\"live\":false"));
	assert_non_null(strstr(text, "\"cache_present\":false"));
	assert_non_null(strstr(text, "\"cache_bytes\":0"));
	assert_non_null(strstr(text, "\"name\":\"work\""));
	assert_non_null(strstr(text, "\"worker_running\":null"));
	assert_non_null(strstr(text, "\"breaker\":null"));
	assert_non_null(strstr(text, "\"warm_folders_recent\":[]"));
	assert_int_equal(call(fx, true, "POST", "/admin/accounts", "", text, sizeof(text)), 405);
	assert_int_equal(call(fx, true, "GET", "/admin/accounts/work", "", text, sizeof(text)),
			 404);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_admin_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_reject, setup, teardown),
		cmocka_unit_test_setup_teardown(test_admin_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outbox_routes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accounts_route, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
