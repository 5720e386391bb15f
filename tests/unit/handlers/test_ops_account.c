/* handlers/ops_account.c: account status from a process without workers:
 * the configured accounts, live facts unknown, and cache facts (absent;
 * then a cache.db with a folder searched just now and one long ago). */
#include "tests/unit/handlers/test_ops_fixture.h"

#include <sodium.h>
#include <time.h>

#include "handlers/ops_account.h"
#include "store/cache.h"

struct rows {
	size_t n;
	char warm[256];
};

static void
row(const struct ops_account_status *s, void *ctx)
{
	struct rows *r = ctx;
	size_t i;

	r->n++;
	assert_string_equal(s->cfg->name, "work");
	assert_false(s->live);
	assert_false(s->worker_running);
	assert_int_equal(s->connected, -1);
	assert_null(s->breaker);
	assert_int_equal(s->last_sync, 0);
	assert_false(s->warm_more);
	r->warm[0] = '\0';
	for (i = 0; i < s->n_warm; i++) {
		size_t used = strlen(r->warm);

		(void)snprintf(r->warm + used, sizeof(r->warm) - used, "%s;", s->warm[i]);
	}
}

static void
test_no_cache(void **state)
{
	struct fx *fx = *state;
	struct ops_cache_facts cache;
	struct rows r = {0};
	char path[160];
	struct stat st;

	assert_int_equal(ops_account_status(fx->cfg, NULL, NULL, row, &r, &cache), IG_OK);
	assert_int_equal(r.n, 1);
	assert_false(cache.present);
	assert_false(cache.readable);
	assert_int_equal(cache.bytes, 0);
	assert_string_equal(r.warm, "");
	/* a status query never creates the cache */
	(void)snprintf(path, sizeof(path), "%s/cache.db", fx->data);
	assert_int_not_equal(stat(path, &st), 0);
}

static void
test_cache_facts(void **state)
{
	struct fx *fx = *state;
	struct cache_file *file = cache_file_new(fx->data);
	struct cache *c = NULL;
	struct cache_folder f;
	struct ops_cache_facts cache;
	struct rows r = {0};
	const char *error = NULL;
	int64_t now = (int64_t)time(NULL);

	assert_non_null(file);
	assert_int_equal(cache_open(file, &c, NULL, &error), IG_OK);
	assert_int_equal(cache_folder_reset(c, sl_from_cstr("work"), sl_from_cstr("Projects"), 7, &f),
			 IG_OK);
	assert_int_equal(cache_folder_touch(c, f.id, now), IG_OK);
	assert_int_equal(cache_folder_reset(c, sl_from_cstr("work"), sl_from_cstr("Old"), 7, &f),
			 IG_OK);
	assert_int_equal(cache_folder_touch(c, f.id, now - (int64_t)2 * LIM_SYNC_RECENT_S), IG_OK);
	assert_int_equal(cache_folder_reset(c, sl_from_cstr("other"), sl_from_cstr("Elsewhere"), 7,
					    &f),
			 IG_OK);
	assert_int_equal(cache_folder_touch(c, f.id, now), IG_OK);
	cache_close(c);
	assert_int_equal(ops_account_status(fx->cfg, NULL, NULL, row, &r, &cache), IG_OK);
	assert_int_equal(r.n, 1);
	assert_true(cache.present);
	assert_true(cache.readable);
	assert_true(cache.bytes > 0);
	assert_string_equal(r.warm, "Projects;");
	cache_file_free(file);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_facts, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
