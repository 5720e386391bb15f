/* Tests imap/uidset.c: UID set expansion and formatting (RFC 3501 §9) and
 * COPYUID (RFC 4315 §3) with the limits, every prefix of valid input, and
 * the malformed forms a hostile server may send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "imap/uidset.h"

static void
test_parse_valid(void **state)
{
	uint32_t out[16];
	size_t n = 99;

	(void)state;
	assert_int_equal(imap_uidset_parse(sl_from_cstr("7"), out, 16, &n), IG_OK);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 7);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("304,319:320"), out, 16, &n), IG_OK);
	assert_int_equal(n, 3);
	assert_int_equal(out[0], 304);
	assert_int_equal(out[1], 319);
	assert_int_equal(out[2], 320);
	/* a range in either order covers the same values, ascending */
	assert_int_equal(imap_uidset_parse(sl_from_cstr("5:3,9"), out, 16, &n), IG_OK);
	assert_int_equal(n, 4);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[2], 5);
	assert_int_equal(out[3], 9);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("4294967295"), out, 16, &n), IG_OK);
	assert_int_equal(out[0], 4294967295u);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("4294967294:4294967295"), out, 16, &n),
			 IG_OK);
	assert_int_equal(n, 2);
}

static void
test_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "1,,2", "0", "1:0", "01", "1:02", "-1", "+1", "1 2",
		"1:2:3", "*", "1:*", "4294967296", "99999999999", "1;2", "a", "1:", ":1",
		"1\r\n",
	};
	uint32_t out[16];
	size_t n = 5;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(imap_uidset_parse(sl_from_cstr(bad[i]), out, 16, &n), IG_EINVAL);
		assert_int_equal(n, 0);
	}
	/* NUL inside */
	assert_int_equal(imap_uidset_parse((struct slice){"1\0" "2", 3}, out, 16, &n), IG_EINVAL);
}

static void
test_parse_limit(void **state)
{
	uint32_t out[4];
	size_t n = 5;

	(void)state;
	assert_int_equal(imap_uidset_parse(sl_from_cstr("1:4"), out, 4, &n), IG_OK);
	assert_int_equal(n, 4);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("1:5"), out, 4, &n), IG_ELIMIT);
	assert_int_equal(n, 0);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("1:3,9,10"), out, 4, &n), IG_ELIMIT);
	/* a huge range is refused by its count, never expanded */
	assert_int_equal(imap_uidset_parse(sl_from_cstr("1:4294967295"), out, 4, &n), IG_ELIMIT);
	assert_int_equal(imap_uidset_parse(sl_from_cstr("4294967295:1"), out, 4, &n), IG_ELIMIT);
}

/* Every proper prefix of a valid set either parses to a prefix-consistent
 * result or is refused; none crashes or reads past its length. */
static void
test_parse_prefixes(void **state)
{
	static const char full[] = "12,300:302,7,4294967295";
	static uint32_t out[1024]; /* "12,300:3" is 3..300 */
	size_t len;

	(void)state;
	for (len = 0; len <= sizeof(full) - 1; len++) {
		char *copy = malloc(len + 1); /* exact size: ASan sees any overread */
		size_t n = 0;
		enum ig_err e;

		assert_non_null(copy);
		memcpy(copy, full, len);
		e = imap_uidset_parse((struct slice){copy, len}, out, 1024, &n);
		if (len == 0 || full[len - 1] == ',' || full[len - 1] == ':')
			assert_int_equal(e, IG_EINVAL);
		else
			assert_int_equal(e, IG_OK);
		free(copy);
	}
}

static void
fmt(const uint32_t *u, size_t n, const char *want)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(imap_uidset_format(u, n, &b), IG_OK);
	assert_int_equal(buf_err(&b), IG_OK);
	assert_string_equal(b.p, want);
	buf_free(&b);
}

static void
test_format(void **state)
{
	static const uint32_t a[] = {7};
	static const uint32_t b[] = {3, 1, 2, 7, 9, 8, 2};
	static const uint32_t c[] = {4294967295u, 1};
	static const uint32_t zero[] = {5, 0};
	uint32_t back[16];
	size_t n = 0;
	struct buf buf;

	(void)state;
	fmt(a, 1, "7");
	fmt(b, 7, "1:3,7:9");
	fmt(c, 2, "1,4294967295");
	buf_init(&buf, 64);
	assert_int_equal(imap_uidset_format(zero, 2, &buf), IG_EINVAL);
	assert_int_equal(imap_uidset_format(a, 0, &buf), IG_EINVAL);
	/* round trip */
	assert_int_equal(imap_uidset_format(b, 7, &buf), IG_OK);
	assert_int_equal(imap_uidset_parse(buf_slice(&buf), back, 16, &n), IG_OK);
	assert_int_equal(n, 6);
	assert_int_equal(back[0], 1);
	assert_int_equal(back[5], 9);
	buf_free(&buf);
}

static void
test_copyuid(void **state)
{
	struct imap_copyuid *cu = calloc(1, sizeof(*cu));
	static const char *const bad[] = {
		"",
		"38505",
		"38505 304",
		"38505 304 ",
		"0 1 2",
		"38505 1:2 5",      /* counts differ */
		"38505 1 2 3",      /* extra member */
		"38505  1 2",       /* double space */
		"x 1 2",
		"38505 1,* 2,3",
	};
	size_t i;

	(void)state;
	assert_non_null(cu);
	/* RFC 4315 §3 example */
	assert_int_equal(imap_copyuid_parse(sl_from_cstr("38505 304,319:320 3956:3958"), cu), IG_OK);
	assert_int_equal(cu->uidvalidity, 38505);
	assert_int_equal(cu->n, 3);
	assert_int_equal(imap_copyuid_lookup(cu, 304), 3956);
	assert_int_equal(imap_copyuid_lookup(cu, 319), 3957);
	assert_int_equal(imap_copyuid_lookup(cu, 320), 3958);
	assert_int_equal(imap_copyuid_lookup(cu, 321), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(imap_copyuid_parse(sl_from_cstr(bad[i]), cu), IG_OK);
		assert_int_equal(cu->n, 0);
		assert_int_equal(imap_copyuid_lookup(cu, 304), 0);
	}
	/* more pairs than kept: refused as a whole, not truncated */
	assert_int_equal(imap_copyuid_parse(sl_from_cstr("9 1:1001 2001:3001"), cu), IG_ELIMIT);
	assert_int_equal(cu->n, 0);
	assert_int_equal(imap_copyuid_parse(sl_from_cstr("9 1:1000 2001:3000"), cu), IG_OK);
	assert_int_equal(cu->n, 1000);
	assert_int_equal(imap_copyuid_lookup(cu, 1000), 3000);
	free(cu);
}

/* COPYUID arguments cut at every byte: refused or parsed, never more. */
static void
test_copyuid_prefixes(void **state)
{
	static const char full[] = "38505 304,319:320 3956:3958";
	struct imap_copyuid *cu = calloc(1, sizeof(*cu));
	size_t len;

	(void)state;
	assert_non_null(cu);
	for (len = 0; len < sizeof(full) - 1; len++) {
		char *copy = malloc(len + 1);

		assert_non_null(copy);
		memcpy(copy, full, len);
		/* every proper prefix lacks the third part or breaks the count */
		assert_int_not_equal(imap_copyuid_parse((struct slice){copy, len}, cu), IG_OK);
		assert_int_equal(cu->n, 0);
		free(copy);
	}
	free(cu);
}

struct ranges {
	uint32_t v[16][2];
	size_t n;
};

static void
range_fn(void *ctx, uint32_t a, uint32_t b)
{
	struct ranges *r = ctx;

	assert_true(r->n < 16);
	r->v[r->n][0] = a;
	r->v[r->n][1] = b;
	r->n++;
}

/* imap_uidset_ranges: ranges as written (no expansion), each ascending, and
 * nothing reported for a set that turns out malformed at its end. */
static void
test_ranges(void **state)
{
	static const char *const bad[] = {
		"", "0", "1,", ",1", "1:*", "*", "4294967296", "1::2", "1:2:3", "01", "1 ,2",
		"1,,2", ":5", "5:", "1:3,0",
	};
	struct ranges r;
	size_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(imap_uidset_ranges(SL_LIT("1:3,7,9:8"), 16, range_fn, &r), IG_OK);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[0][0], 1);
	assert_int_equal(r.v[0][1], 3);
	assert_int_equal(r.v[1][0], 7);
	assert_int_equal(r.v[1][1], 7);
	assert_int_equal(r.v[2][0], 8);
	assert_int_equal(r.v[2][1], 9);
	/* a huge range is one call, not four billion */
	memset(&r, 0, sizeof(r));
	assert_int_equal(imap_uidset_ranges(SL_LIT("1:4294967295"), 1, range_fn, &r), IG_OK);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0][1], 4294967295u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0, sizeof(r));
		assert_int_equal(imap_uidset_ranges(sl_from_cstr(bad[i]), 16, range_fn, &r),
				 IG_EINVAL);
		assert_int_equal(r.n, 0);
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(imap_uidset_ranges(SL_LIT("1,2,3"), 2, range_fn, &r), IG_ELIMIT);
	assert_int_equal(r.n, 0);
	assert_int_equal(imap_uidset_ranges(SL_LIT("1,2,3"), 3, range_fn, &r), IG_OK);
	assert_int_equal(r.n, 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_valid),    cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_limit),    cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_format),         cmocka_unit_test(test_copyuid),
		cmocka_unit_test(test_copyuid_prefixes), cmocka_unit_test(test_ranges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
