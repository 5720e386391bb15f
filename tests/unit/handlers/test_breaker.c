/* Tests handlers/breaker.c with a fake clock: every state x every outcome
 * class, the sliding window, cooldown doubling and its cap, the single
 * half-open probe, probe release on unrelated outcomes and lost probes, and
 * the error-code classification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "base/limits.h"
#include "handlers/breaker.h"

static int64_t fake_now;

static int64_t
fake_ms(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static const struct ig_clock fake = {fake_ms, NULL};

static struct breaker *
fresh(void)
{
	struct breaker *b;

	fake_now = 1000000;
	b = brk_new(&fake);
	assert_non_null(b);
	return b;
}

/* Admits one call and records o; returns the admission result. */
static enum ig_err
one(struct breaker *b, enum brk_outcome o)
{
	uint64_t t = 0;
	int64_t retry = 0;
	enum ig_err err = brk_admit(b, &t, &retry);

	if (err == IG_OK)
		brk_record(b, t, o);
	else
		assert_true(retry >= 1);
	return err;
}

static void
open_it(struct breaker *b)
{
	int i;

	for (i = 0; i < LIM_BREAKER_ERRORS; i++)
		assert_int_equal(one(b, BRK_SERVICE), IG_OK);
	assert_int_equal(brk_state(b), BRK_OPEN);
}

/* Drives b to half-open: open, then wait out the cooldown. */
static void
half_open(struct breaker *b)
{
	open_it(b);
	fake_now += brk_cooldown_ms(b);
}

static void
test_closed_outcomes(void **state)
{
	struct breaker *b = fresh();
	int i;

	(void)state;
	/* successes and unrelated errors never open it */
	for (i = 0; i < 100; i++) {
		assert_int_equal(one(b, BRK_SUCCESS), IG_OK);
		assert_int_equal(one(b, BRK_UNRELATED), IG_OK);
	}
	assert_int_equal(brk_state(b), BRK_CLOSED);
	/* four service errors: still closed; the fifth within 30 s opens */
	for (i = 0; i < LIM_BREAKER_ERRORS - 1; i++)
		assert_int_equal(one(b, BRK_SERVICE), IG_OK);
	assert_int_equal(brk_state(b), BRK_CLOSED);
	fake_now += LIM_BREAKER_WINDOW_MS - 1;
	assert_int_equal(one(b, BRK_SERVICE), IG_OK);
	assert_int_equal(brk_state(b), BRK_OPEN);
	brk_free(b);

	/* one auth failure opens at once */
	b = fresh();
	assert_int_equal(one(b, BRK_AUTH), IG_OK);
	assert_int_equal(brk_state(b), BRK_OPEN);
	brk_free(b);
}

static void
test_sliding_window(void **state)
{
	struct breaker *b = fresh();
	int i;

	(void)state;
	/* errors spread wider than the window never open it */
	for (i = 0; i < 50; i++) {
		assert_int_equal(one(b, BRK_SERVICE), IG_OK);
		fake_now += LIM_BREAKER_WINDOW_MS / (LIM_BREAKER_ERRORS - 1) + 1;
	}
	assert_int_equal(brk_state(b), BRK_CLOSED);
	/* five within the window do: the oldest of the last five decides */
	fake_now += LIM_BREAKER_WINDOW_MS + 1;
	for (i = 0; i < LIM_BREAKER_ERRORS - 1; i++)
		assert_int_equal(one(b, BRK_SERVICE), IG_OK);
	assert_int_equal(brk_state(b), BRK_CLOSED);
	fake_now += LIM_BREAKER_WINDOW_MS;
	assert_int_equal(one(b, BRK_SERVICE), IG_OK);
	assert_int_equal(brk_state(b), BRK_OPEN);
	brk_free(b);
}

static void
test_open_refuses(void **state)
{
	struct breaker *b = fresh();
	uint64_t t;
	int64_t retry;

	(void)state;
	open_it(b);
	assert_int_equal(brk_admit(b, &t, &retry), IG_EBUSY);
	assert_int_equal(retry, LIM_BREAKER_COOLDOWN_MS);
	fake_now += 1000;
	assert_int_equal(brk_admit(b, &t, &retry), IG_EBUSY);
	assert_int_equal(retry, LIM_BREAKER_COOLDOWN_MS - 1000);
	/* late outcomes of calls admitted while closed change nothing */
	brk_record(b, 0, BRK_SUCCESS);
	brk_record(b, 0, BRK_SERVICE);
	brk_record(b, 0, BRK_AUTH);
	brk_record(b, 0, BRK_UNRELATED);
	assert_int_equal(brk_state(b), BRK_OPEN);
	assert_int_equal(brk_admit(b, &t, &retry), IG_EBUSY);
	brk_free(b);
}

static void
test_half_open_single_probe(void **state)
{
	struct breaker *b = fresh();
	uint64_t t1 = 0;
	uint64_t t2 = 0;
	int64_t retry;

	(void)state;
	half_open(b);
	assert_int_equal(brk_admit(b, &t1, &retry), IG_OK);
	assert_true(t1 != 0);
	assert_int_equal(brk_state(b), BRK_HALF_OPEN);
	/* a second caller waits while the probe is out */
	assert_int_equal(brk_admit(b, &t2, &retry), IG_EBUSY);
	assert_true(retry >= 1);
	/* a non-probe outcome (ticket 0) does not decide anything */
	brk_record(b, 0, BRK_SUCCESS);
	assert_int_equal(brk_state(b), BRK_HALF_OPEN);
	assert_int_equal(brk_admit(b, &t2, &retry), IG_EBUSY);
	/* probe success closes */
	brk_record(b, t1, BRK_SUCCESS);
	assert_int_equal(brk_state(b), BRK_CLOSED);
	assert_int_equal(brk_cooldown_ms(b), LIM_BREAKER_COOLDOWN_MS);
	assert_int_equal(brk_admit(b, &t2, &retry), IG_OK);
	assert_int_equal(t2, 0);
	brk_free(b);
}

static void
test_half_open_outcomes(void **state)
{
	enum brk_outcome o;

	(void)state;
	for (o = BRK_SUCCESS; o <= BRK_AUTH; o++) {
		struct breaker *b = fresh();
		uint64_t t = 0;
		uint64_t t2 = 0;
		int64_t retry;

		half_open(b);
		assert_int_equal(brk_admit(b, &t, &retry), IG_OK);
		brk_record(b, t, o);
		switch (o) {
		case BRK_SUCCESS:
			assert_int_equal(brk_state(b), BRK_CLOSED);
			break;
		case BRK_UNRELATED:
			/* slot released: still half-open, the next call probes */
			assert_int_equal(brk_state(b), BRK_HALF_OPEN);
			assert_int_equal(brk_admit(b, &t2, &retry), IG_OK);
			assert_true(t2 != 0 && t2 != t);
			/* the old ticket is stale now */
			brk_record(b, t, BRK_SERVICE);
			assert_int_equal(brk_state(b), BRK_HALF_OPEN);
			brk_record(b, t2, BRK_SUCCESS);
			assert_int_equal(brk_state(b), BRK_CLOSED);
			break;
		case BRK_SERVICE:
		case BRK_AUTH:
			assert_int_equal(brk_state(b), BRK_OPEN);
			assert_int_equal(brk_cooldown_ms(b), 2 * LIM_BREAKER_COOLDOWN_MS);
			assert_int_equal(brk_admit(b, &t2, &retry), IG_EBUSY);
			assert_int_equal(retry, 2 * LIM_BREAKER_COOLDOWN_MS);
			break;
		}
		brk_free(b);
	}
}

static void
test_cooldown_doubling_and_cap(void **state)
{
	struct breaker *b = fresh();
	int64_t expect = LIM_BREAKER_COOLDOWN_MS;
	uint64_t t;
	int64_t retry;
	int i;

	(void)state;
	open_it(b);
	for (i = 0; i < 20; i++) {
		assert_int_equal(brk_cooldown_ms(b), expect);
		fake_now += expect - 1;
		assert_int_equal(brk_admit(b, &t, &retry), IG_EBUSY);
		assert_int_equal(retry, 1);
		fake_now += 1;
		assert_int_equal(brk_admit(b, &t, &retry), IG_OK);
		brk_record(b, t, BRK_SERVICE);
		expect = expect * 2 > LIM_BREAKER_COOLDOWN_MAX_MS ? LIM_BREAKER_COOLDOWN_MAX_MS
								   : expect * 2;
	}
	assert_int_equal(brk_cooldown_ms(b), LIM_BREAKER_COOLDOWN_MAX_MS);
	/* recovery resets the cooldown */
	fake_now += LIM_BREAKER_COOLDOWN_MAX_MS;
	assert_int_equal(brk_admit(b, &t, &retry), IG_OK);
	brk_record(b, t, BRK_SUCCESS);
	assert_int_equal(brk_cooldown_ms(b), LIM_BREAKER_COOLDOWN_MS);
	open_it(b);
	assert_int_equal(brk_admit(b, &t, &retry), IG_EBUSY);
	assert_int_equal(retry, LIM_BREAKER_COOLDOWN_MS);
	brk_free(b);
}

static void
test_lost_probe(void **state)
{
	struct breaker *b = fresh();
	uint64_t t1 = 0;
	uint64_t t2 = 0;
	int64_t retry;

	(void)state;
	half_open(b);
	assert_int_equal(brk_admit(b, &t1, &retry), IG_OK);
	fake_now += LIM_BREAKER_PROBE_MS - 1;
	assert_int_equal(brk_admit(b, &t2, &retry), IG_EBUSY);
	fake_now += 1;
	/* never stuck: the silent probe's slot goes to the next call */
	assert_int_equal(brk_admit(b, &t2, &retry), IG_OK);
	assert_true(t2 != t1);
	brk_record(b, t1, BRK_SUCCESS); /* the lost one reports late: ignored */
	assert_int_equal(brk_state(b), BRK_HALF_OPEN);
	brk_record(b, t2, BRK_SUCCESS);
	assert_int_equal(brk_state(b), BRK_CLOSED);
	brk_free(b);
}

static void
test_classify(void **state)
{
	static const char *const service[] = {"ERR_TIMEOUT",	     "ERR_CONNECTION_LOST",
					      "ERR_TLS",	     "ERR_IMAP_PROTOCOL",
					      "ERR_SMTP_PROTOCOL",   "ERR_SERVER_UNAVAILABLE",
					      "ERR_SERVER_ERROR"};
	static const char *const unrelated[] = {
		"ERR_HAS_CHILDREN", "ERR_OVER_QUOTA", "ERR_SERVER_LIMIT", "ERR_PERMISSION_DENIED",
		"ERR_IN_USE", "ERR_NOT_POSSIBLE",
		"ERR_NOT_FOUND", "ERR_INVALID_INPUT", "ERR_POSTURE_DENIED", "ERR_RATE_LIMITED",
		"ERR_BUSY", "ERR_CIRCUIT_OPEN", "ERR_TOO_LARGE", "ERR_PROTECTED_FOLDER",
		"ERR_EXPUNGE_DENIED", "ERR_UID_VALIDITY_CHANGED", "ERR_CONFIG", "ERR_INTERNAL",
		"RPC_ERROR", "ERR_TOOL", "ERR_CANCELLED", "", "err_timeout"};
	size_t i;

	(void)state;
	assert_int_equal(brk_classify(NULL), BRK_SUCCESS);
	assert_int_equal(brk_classify("ERR_AUTH"), BRK_AUTH);
	for (i = 0; i < sizeof(service) / sizeof(service[0]); i++)
		assert_int_equal(brk_classify(service[i]), BRK_SERVICE);
	for (i = 0; i < sizeof(unrelated) / sizeof(unrelated[0]); i++)
		assert_int_equal(brk_classify(unrelated[i]), BRK_UNRELATED);
	assert_string_equal(brk_state_str(BRK_HALF_OPEN), "half-open");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closed_outcomes),
		cmocka_unit_test(test_sliding_window),
		cmocka_unit_test(test_open_refuses),
		cmocka_unit_test(test_half_open_single_probe),
		cmocka_unit_test(test_half_open_outcomes),
		cmocka_unit_test(test_cooldown_doubling_and_cap),
		cmocka_unit_test(test_lost_probe),
		cmocka_unit_test(test_classify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
