/* handlers/ops_outbox.c: list (the pending filter) and get; the decisions
 * under the audit policy are tests/unit/handlers/test_ops.c. */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>

#include "handlers/ops_outbox.h"

static void
collect(const struct outbox_entry *e, void *ctx)
{
	buf_appendf(ctx, "%lld:%s ", (long long)e->id, outbox_state_str(e->state));
}

static void
test_list(void **state)
{
	struct fx *fx = *state;
	const char *error = NULL;
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(ops_outbox_list(fx->st, false, collect, &b, &error), IG_OK);
	assert_null(error);
	buf_putc(&b, '\0');
	assert_string_equal(b.p, "2:sending 1:pending ");
	b.len = 0;
	assert_int_equal(ops_outbox_list(fx->st, true, collect, &b, &error), IG_OK);
	buf_putc(&b, '\0');
	assert_string_equal(b.p, "1:pending ");
	buf_free(&b);
}

static void
test_get(void **state)
{
	struct fx *fx = *state;
	struct outbox_entry *e = NULL;
	const char *error = NULL;

	assert_int_equal(ops_outbox_get(fx->st, fx->pending, &e, &error), IG_OK);
	assert_null(error);
	assert_int_equal(e->mime_len, sizeof(mime) - 1);
	assert_memory_equal(e->mime, mime, e->mime_len);
	outbox_entry_free(e);
	e = NULL;
	assert_int_equal(ops_outbox_get(fx->st, 999999, &e, &error), IG_ENOTFOUND);
	assert_string_equal(error, "not found");
	assert_null(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
