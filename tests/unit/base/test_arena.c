/* Tests base/arena.c: the byte cap, alignment, and requests whose rounding
 * would overflow. */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/arena.h"

static void
test_alignment(void **state)
{
	static const size_t sizes[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 100, 4095, 9000, 1};
	struct arena *a = arena_new(1 << 20);
	size_t i;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = arena_alloc(a, sizes[i]);

		assert_non_null(p);
		assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
		memset(p, 0xa5, sizes[i]); /* ASan: the whole request is usable */
	}
	arena_free(a);
}

static void
test_cap_enforced(void **state)
{
	struct arena *a = arena_new(1024);
	size_t got = 0;

	(void)state;
	assert_non_null(a);
	while (arena_alloc(a, 100) != NULL) {
		got++;
		assert_true(arena_used(a) <= 1024);
	}
	assert_true(got > 0);
	assert_true(got <= 1024 / 100);
	assert_true(arena_used(a) <= 1024);
	/* A refused request changes nothing; a smaller one may still fit. */
	assert_null(arena_alloc(a, 1024));
	arena_free(a);

	a = arena_new(4096);
	assert_non_null(a);
	assert_null(arena_alloc(a, 4097));
	assert_int_equal(arena_used(a), 0);
	assert_non_null(arena_alloc(a, 4096));
	assert_null(arena_alloc(a, 1));
	arena_free(a);

	a = arena_new(0);
	assert_non_null(a);
	assert_null(arena_alloc(a, 1));
	arena_free(a);
}

static void
test_overflow_sized_requests(void **state)
{
	struct arena *a = arena_new(SIZE_MAX);
	void *p;

	(void)state;
	assert_non_null(a);
	assert_null(arena_alloc(a, SIZE_MAX));
	assert_null(arena_alloc(a, SIZE_MAX - 1));
	/* Rounds without wrapping, but the chunk header on top would wrap. */
	assert_null(arena_alloc(a, SIZE_MAX - alignof(max_align_t)));
	assert_null(arena_alloc(a, SIZE_MAX - 2 * alignof(max_align_t)));
	assert_int_equal(arena_used(a), 0);
	/* Still usable afterwards. */
	p = arena_alloc(a, 32);
	assert_non_null(p);
	memset(p, 0, 32);
	arena_free(a);
}

static void
test_large_and_strdup(void **state)
{
	struct arena *a = arena_new(1 << 20);
	char *big;
	char *s;
	char *e;

	(void)state;
	assert_non_null(a);
	/* Bigger than one chunk. */
	big = arena_alloc(a, 100000);
	assert_non_null(big);
	memset(big, 'x', 100000);
	s = arena_strdup(a, SL_LIT("hello"));
	assert_string_equal(s, "hello");
	e = arena_strdup(a, (struct slice){NULL, 0});
	assert_non_null(e);
	assert_string_equal(e, "");
	/* The copy stops at the slice length, not at a NUL. */
	s = arena_strdup(a, (struct slice){"abcdef", 3});
	assert_string_equal(s, "abc");
	assert_non_null(arena_alloc(a, 0));
	arena_free(a);
	arena_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment),
		cmocka_unit_test(test_cap_enforced),
		cmocka_unit_test(test_overflow_sized_requests),
		cmocka_unit_test(test_large_and_strdup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
