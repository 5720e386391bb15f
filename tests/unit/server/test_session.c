/* Unit tests for server/session.c: ids, token binding, capacity, expiry,
 * termination, stream bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "base/limits.h"
#include "server/session.h"
#include "server/stream.h"

static struct slice
id_of(struct sess *s)
{
	return (struct slice){sess_id(s), SESS_ID_LEN};
}

static void
test_id_format_and_uniqueness(void **state)
{
	struct sess_table *t = sess_table_new(64, 100);
	struct sess *s[64];
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < 64; i++) {
		assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &s[i]), IG_OK);
		assert_int_equal(strlen(sess_id(s[i])), SESS_ID_LEN);
		for (j = 0; j < SESS_ID_LEN; j++)
			assert_non_null(strchr("0123456789abcdef", sess_id(s[i])[j]));
		for (j = 0; j < i; j++)
			assert_string_not_equal(sess_id(s[i]), sess_id(s[j]));
	}
	for (i = 0; i < 64; i++)
		sess_unref(s[i]);
	sess_table_free(t);
}

static void
test_bound_to_token(void **state)
{
	struct sess_table *t = sess_table_new(8, 100);
	struct sess *s;
	struct sess *f = NULL;
	char proto[33];

	(void)state;
	assert_int_equal(sess_create(t, 7, "2025-06-18", 0, &s), IG_OK);
	assert_int_equal(sess_find(t, id_of(s), 7, 1, &f), IG_OK);
	assert_ptr_equal(f, s);
	sess_proto(f, proto, sizeof(proto));
	assert_string_equal(proto, "2025-06-18");
	sess_unref(f);
	/* another token gets the same answer as an unknown id */
	assert_int_equal(sess_find(t, id_of(s), 8, 1, &f), IG_ENOTFOUND);
	assert_null(f);
	assert_int_equal(sess_find(t, SL_LIT("0123456789abcdef0123456789abcdef"), 7, 1, &f),
			 IG_ENOTFOUND);
	assert_int_equal(sess_find(t, SL_LIT("short"), 7, 1, &f), IG_ENOTFOUND);
	assert_int_equal(sess_find(t, (struct slice){"", 0}, 7, 1, &f), IG_ENOTFOUND);
	sess_unref(s);
	sess_table_free(t);
}

static void
test_capacity_and_expiry(void **state)
{
	struct sess_table *t = sess_table_new(2, 10);
	struct sess *a;
	struct sess *b;
	struct sess *c = NULL;
	struct sess *f;

	(void)state;
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &a), IG_OK);
	assert_int_equal(sess_create(t, 1, "2025-11-25", 5, &b), IG_OK);
	assert_int_equal(sess_create(t, 1, "2025-11-25", 6, &c), IG_EBUSY);
	assert_null(c);
	/* a idles past the limit at t=10 and makes room; b is still fresh */
	assert_int_equal(sess_create(t, 1, "2025-11-25", 10, &c), IG_OK);
	assert_int_equal(sess_count(t), 2);
	assert_int_equal(sess_find(t, id_of(a), 1, 10, &f), IG_ENOTFOUND);
	assert_int_equal(sess_find(t, id_of(b), 1, 10, &f), IG_OK);
	sess_unref(f);
	/* use refreshes: b used at 10 survives a sweep at 19 */
	assert_int_equal(sess_expire(t, 19), 0);
	assert_int_equal(sess_expire(t, 21), 2);
	assert_int_equal(sess_count(t), 0);
	sess_unref(a);
	sess_unref(b);
	sess_unref(c);
	sess_table_free(t);
}

/* A7: one token creating sessions as fast as it can never fills the table
 * for another: past its share it evicts its own least recently used idle
 * session, and a session a request holds is never the one evicted. */
static void
test_token_share(void **state)
{
	struct sess_table *t = sess_table_new(LIM_SESSIONS_PER_TOKEN * 3, 100000);
	struct sess *first = NULL;
	char first_id[SESS_ID_LEN];
	struct sess *held = NULL;
	struct sess *last = NULL;
	struct sess *s;
	struct sess *f;
	struct sess *others[LIM_SESSIONS_PER_TOKEN];
	size_t i;

	(void)state;
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &first), IG_OK);
	memcpy(first_id, sess_id(first), SESS_ID_LEN);
	sess_unref(first); /* only the table holds it now: idle */
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &held), IG_OK); /* kept */
	for (i = 0; i < 20 * LIM_SESSIONS_PER_TOKEN; i++) {
		/* the same second for all: ties go to the oldest created */
		assert_int_equal(sess_create(t, 1, "2025-11-25", 1, &s), IG_OK);
		sess_unref(last);
		last = s;
		assert_true(sess_count(t) <= LIM_SESSIONS_PER_TOKEN);
	}
	/* the oldest idle one went, the held one stayed, the newest is there */
	assert_int_equal(sess_find(t, (struct slice){first_id, SESS_ID_LEN}, 1, 5000, &f),
			 IG_ENOTFOUND);
	assert_int_equal(sess_find(t, id_of(held), 1, 5000, &f), IG_OK);
	sess_unref(f);
	assert_int_equal(sess_find(t, id_of(last), 1, 5000, &f), IG_OK);
	sess_unref(f);
	/* every other token still gets its whole share */
	for (i = 0; i < LIM_SESSIONS_PER_TOKEN; i++)
		assert_int_equal(sess_create(t, 2, "2025-11-25", 5000, &others[i]), IG_OK);
	/* token 2 holds all of its sessions: the next is refused, not stolen */
	assert_int_equal(sess_create(t, 2, "2025-11-25", 5000, &s), IG_EBUSY);
	assert_int_equal(sess_create(t, 3, "2025-11-25", 5000, &s), IG_OK);
	sess_unref(s);
	for (i = 0; i < LIM_SESSIONS_PER_TOKEN; i++)
		sess_unref(others[i]);
	sess_unref(held);
	sess_unref(last);
	sess_table_free(t);
}

static void
test_terminate(void **state)
{
	struct sess_table *t = sess_table_new(4, 100);
	struct stream_hub *hub = stream_hub_new();
	struct sess *s;
	struct sess *f;
	struct stream *st;

	(void)state;
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &s), IG_OK);
	st = sess_standalone(s, hub);
	assert_non_null(st);
	sess_terminate(s);
	assert_true(stream_cancelled(st));
	assert_int_equal(sess_find(t, id_of(s), 1, 0, &f), IG_ENOTFOUND);
	assert_int_equal(sess_count(t), 0);
	sess_terminate(s); /* twice is harmless */
	stream_unref(st);
	sess_unref(s);
	sess_table_free(t);
	stream_hub_free(hub);
}

static void
test_streams_per_session(void **state)
{
	struct sess_table *t = sess_table_new(4, 100);
	struct stream_hub *hub = stream_hub_new();
	struct sess *a;
	struct sess *b;
	struct stream *st;
	struct stream *found;
	size_t i;

	(void)state;
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &a), IG_OK);
	assert_int_equal(sess_create(t, 1, "2025-11-25", 0, &b), IG_OK);
	st = stream_new(hub, sess_next_stream_id(a), true);
	assert_int_equal(sess_stream_add(a, st), IG_OK);
	found = sess_stream_find(a, stream_id(st));
	assert_ptr_equal(found, st);
	stream_unref(found);
	/* a stream id of one session is invisible from another */
	assert_null(sess_stream_find(b, stream_id(st)));
	stream_unref(st);
	/* the table forgets finished streams when full, refuses live ones */
	for (i = 0; i < SESS_STREAMS - 1; i++) {
		st = stream_new(hub, sess_next_stream_id(a), true);
		assert_int_equal(sess_stream_add(a, st), IG_OK);
		stream_unref(st);
	}
	st = stream_new(hub, sess_next_stream_id(a), true);
	assert_int_equal(sess_stream_add(a, st), IG_EBUSY);
	found = sess_stream_find(a, 1);
	assert_non_null(found);
	assert_int_equal(stream_finish(found, "{}", 2), IG_OK);
	stream_unref(found);
	assert_int_equal(sess_stream_add(a, st), IG_OK);
	assert_null(sess_stream_find(a, 1));
	stream_unref(st);
	sess_unref(a);
	sess_unref(b);
	sess_table_free(t);
	stream_hub_free(hub);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_format_and_uniqueness),
		cmocka_unit_test(test_bound_to_token),
		cmocka_unit_test(test_capacity_and_expiry),
		cmocka_unit_test(test_token_share),
		cmocka_unit_test(test_terminate),
		cmocka_unit_test(test_streams_per_session),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
