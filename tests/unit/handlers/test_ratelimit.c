/* Tests handlers/ratelimit.c with a fake clock: burst, steady state,
 * retry_after_ms, all-or-nothing takes, independence of keys, slow rates
 * without rounding to zero, and eviction of full buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "handlers/ratelimit.h"

static int64_t fake_now;

static int64_t
fake_ms(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static const struct ig_clock fake = {fake_ms, NULL};

static enum ig_err
take1(struct rl *r, const char *key, uint32_t count, uint32_t period_s, int64_t *retry)
{
	struct rl_req q = {key, {count, period_s}};

	return rl_take(r, &q, 1, retry);
}

static void
test_burst_then_steady(void **state)
{
	struct rl *r;
	int64_t retry = 0;
	int i;
	int passed;

	(void)state;
	fake_now = 5000;
	r = rl_new(&fake);
	assert_non_null(r);
	/* a full bucket: the whole burst passes at once, then refusal */
	for (i = 0; i < 60; i++)
		assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_OK);
	assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_ELIMIT);
	assert_int_equal(retry, 1000); /* one token per second */
	fake_now += 999;
	assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_ELIMIT);
	assert_int_equal(retry, 1);
	fake_now += 1;
	assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_OK);
	/* steady state: over 10 simulated minutes, one call every 100 ms gets
	 * exactly the rate (60/min) through */
	passed = 0;
	for (i = 0; i < 6000; i++) {
		fake_now += 100;
		if (take1(r, "t:1", 60, 60, &retry) == IG_OK)
			passed++;
	}
	assert_int_equal(passed, 600);
	/* idle for long: refills to capacity, never beyond */
	fake_now += 3600 * 1000;
	for (i = 0; i < 60; i++)
		assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_OK);
	assert_int_equal(take1(r, "t:1", 60, 60, &retry), IG_ELIMIT);
	rl_free(r);
}

static void
test_slow_rate(void **state)
{
	struct rl *r;
	int64_t retry = 0;

	(void)state;
	fake_now = 0;
	r = rl_new(&fake);
	assert_int_equal(take1(r, "a:x:send", 1, 86400, &retry), IG_OK);
	assert_int_equal(take1(r, "a:x:send", 1, 86400, &retry), IG_ELIMIT);
	assert_int_equal(retry, 86400 * 1000);
	fake_now += 86400 * 1000 - 1;
	assert_int_equal(take1(r, "a:x:send", 1, 86400, &retry), IG_ELIMIT);
	fake_now += 1;
	assert_int_equal(take1(r, "a:x:send", 1, 86400, &retry), IG_OK);
	rl_free(r);
}

static void
test_all_or_nothing(void **state)
{
	struct rl *r;
	int64_t retry = 0;
	struct rl_req two[2] = {{"t:7", {10, 1}}, {"a:acc", {1, 10}}};
	struct rl_req unlimited[2] = {{"t:8", {0, 1}}, {"a:other", {2, 1}}};
	int i;

	(void)state;
	fake_now = 0;
	r = rl_new(&fake);
	assert_int_equal(rl_take(r, two, 2, &retry), IG_OK);
	/* the account bucket is empty: the token bucket must not pay */
	for (i = 0; i < 20; i++) {
		assert_int_equal(rl_take(r, two, 2, &retry), IG_ELIMIT);
		assert_int_equal(retry, 10000);
	}
	for (i = 0; i < 9; i++)
		assert_int_equal(take1(r, "t:7", 10, 1, &retry), IG_OK);
	assert_int_equal(take1(r, "t:7", 10, 1, &retry), IG_ELIMIT);
	/* count 0 is unlimited and holds no bucket */
	for (i = 0; i < 2; i++)
		assert_int_equal(rl_take(r, unlimited, 2, &retry), IG_OK);
	assert_int_equal(rl_take(r, unlimited, 2, &retry), IG_ELIMIT);
	assert_int_equal(rl_count(r), 3);
	rl_free(r);
}

static void
test_keys_independent(void **state)
{
	struct rl *r;
	int64_t retry = 0;
	char key[32];
	int i;

	(void)state;
	fake_now = 0;
	r = rl_new(&fake);
	/* tenant A exhausted; every other tenant unaffected */
	while (take1(r, "t:A", 5, 60, &retry) == IG_OK)
		;
	for (i = 0; i < 1000; i++) {
		(void)snprintf(key, sizeof(key), "t:%d", i);
		assert_int_equal(take1(r, key, 5, 60, &retry), IG_OK);
	}
	assert_int_equal(take1(r, "t:A", 5, 60, &retry), IG_ELIMIT);
	rl_free(r);
}

static void
test_eviction(void **state)
{
	struct rl *r;
	int64_t retry = 0;
	char key[32];
	int i;
	int busy = 0;

	(void)state;
	fake_now = 0;
	r = rl_new(&fake);
	/* more keys than the table holds, each used once: full again after
	 * a second, so old ones are evicted instead of refusing new ones */
	for (i = 0; i < LIM_RATE_BUCKETS * 2; i++) {
		(void)snprintf(key, sizeof(key), "k:%d", i);
		if (take1(r, key, 1, 1, &retry) != IG_OK)
			busy++;
		if (i % 1000 == 0)
			fake_now += 1000;
	}
	assert_true(rl_count(r) <= LIM_RATE_BUCKETS);
	assert_true(busy < LIM_RATE_BUCKETS / 8);
	rl_free(r);
}

static void
test_invalid(void **state)
{
	struct rl *r;
	int64_t retry = 0;
	char key[200];

	(void)state;
	r = rl_new(NULL); /* the real clock */
	assert_int_equal(take1(r, "x", 1, 0, &retry), IG_EINVAL);
	assert_int_equal(take1(r, "x", LIM_RATE_COUNT + 1, 1, &retry), IG_EINVAL);
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_int_equal(take1(r, key, 1, 1, &retry), IG_EINVAL);
	assert_int_equal(take1(r, "ok", 1, 1, &retry), IG_OK);
	rl_free(r);
	rl_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_steady), cmocka_unit_test(test_slow_rate),
		cmocka_unit_test(test_all_or_nothing),    cmocka_unit_test(test_keys_independent),
		cmocka_unit_test(test_eviction),          cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
