/* Tests base/utf8.c: a table of the edge cases named in Unicode Table 3-7,
 * then exhaustive agreement with a slow reference decoder for every 1-, 2-
 * and 3-byte sequence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"

struct u8_case {
	const char *bytes;
	size_t len;
	bool valid;
};

#define OK(s) {s, sizeof(s) - 1, true}
#define BAD(s) {s, sizeof(s) - 1, false}

static const struct u8_case u8_cases[] = {
	OK(""),
	OK("plain ascii"),
	OK("\0"),                 /* NUL is well-formed; callers reject it */
	OK("\x7f"),               /* U+007F */
	OK("\xc2\x80"),           /* U+0080 */
	OK("\xdf\xbf"),           /* U+07FF */
	OK("\xe0\xa0\x80"),       /* U+0800 */
	OK("\xed\x9f\xbf"),       /* U+D7FF, last before the surrogates */
	OK("\xee\x80\x80"),       /* U+E000, first after them */
	OK("\xef\xbf\xbf"),       /* U+FFFF */
	OK("\xf0\x90\x80\x80"),   /* U+10000 */
	OK("\xf4\x8f\xbf\xbf"),   /* U+10FFFF */
	OK("caf\xc3\xa9 \xf0\x9f\x98\x80"),
	BAD("\x80"),              /* lone continuation */
	BAD("\xbf"),
	BAD("a\x80" "b"),
	BAD("\xc0\x80"),          /* overlong NUL */
	BAD("\xc0\xaf"),          /* overlong '/' */
	BAD("\xc1\xbf"),          /* overlong U+007F */
	BAD("\xe0\x80\x80"),      /* overlong U+0000 */
	BAD("\xe0\x9f\xbf"),      /* overlong U+07FF */
	BAD("\xf0\x80\x80\x80"),  /* overlong U+0000 */
	BAD("\xf0\x8f\xbf\xbf"),  /* overlong U+FFFF */
	BAD("\xed\xa0\x80"),      /* U+D800 */
	BAD("\xed\xbf\xbf"),      /* U+DFFF */
	BAD("\xed\xa0\xbd\xed\xb8\x80"), /* CESU-8 pair for U+1F600 */
	BAD("\xf4\x90\x80\x80"),  /* U+110000 */
	BAD("\xf5\x80\x80\x80"),
	BAD("\xf7\xbf\xbf\xbf"),
	BAD("\xf8\x88\x80\x80\x80"),
	BAD("\xfc\x84\x80\x80\x80\x80"),
	BAD("\xfe"),
	BAD("\xff"),
	BAD("\xc3"),              /* truncated at the end */
	BAD("\xe2\x82"),
	BAD("\xf0\x9f\x98"),
	BAD("\xc3" "A"),          /* continuation replaced by ASCII */
	BAD("\xe2\x28\xa1"),
	BAD("\xe2\x82\x28"),
	BAD("\xf0\x9f\x98\x28"),
	BAD("\xf0\x28\x8c\xbc"),
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(u8_cases) / sizeof(u8_cases[0]); i++) {
		const struct u8_case *c = &u8_cases[i];
		char *copy = test_malloc(c->len + 1);

		/* An exact-size copy lets ASan catch a read past the end. */
		memcpy(copy, c->bytes, c->len);
		if (u8_valid(copy, c->len) != c->valid)
			fail_msg("case %zu: expected %s", i, c->valid ? "valid" : "invalid");
		test_free(copy);
	}
	assert_true(u8_valid(NULL, 0));
}

/* The definition, decoded the slow way: structure, then value, then the
 * three exclusions (overlong, surrogate, above U+10FFFF). */
static bool
ref_valid(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		uint32_t cp;
		uint32_t min;
		size_t n;
		size_t k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 2;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 3;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 4;
			cp = c & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n;
	}
	return true;
}

static void
test_exhaustive_short(void **state)
{
	unsigned char b[3];
	uint32_t x;

	(void)state;
	for (x = 0; x < 0x100; x++) {
		b[0] = (unsigned char)x;
		assert_int_equal(u8_valid((char *)b, 1), ref_valid(b, 1));
	}
	for (x = 0; x < 0x10000; x++) {
		b[0] = (unsigned char)(x >> 8);
		b[1] = (unsigned char)x;
		assert_int_equal(u8_valid((char *)b, 2), ref_valid(b, 2));
	}
	for (x = 0; x < 0x1000000; x++) {
		b[0] = (unsigned char)(x >> 16);
		b[1] = (unsigned char)(x >> 8);
		b[2] = (unsigned char)x;
		if (u8_valid((char *)b, 3) != ref_valid(b, 3))
			fail_msg("mismatch at %02x %02x %02x", b[0], b[1], b[2]);
	}
}

static void
test_four_byte_leads(void **state)
{
	static const unsigned char tails[] = {0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0xbf, 0xc0, 0xff};
	unsigned char b[4];
	unsigned lead;
	unsigned second;
	size_t t3;
	size_t t4;

	(void)state;
	for (lead = 0xf0; lead <= 0xff; lead++) {
		for (second = 0; second < 0x100; second++) {
			for (t3 = 0; t3 < sizeof(tails); t3++) {
				for (t4 = 0; t4 < sizeof(tails); t4++) {
					b[0] = (unsigned char)lead;
					b[1] = (unsigned char)second;
					b[2] = tails[t3];
					b[3] = tails[t4];
					assert_int_equal(u8_valid((char *)b, 4), ref_valid(b, 4));
				}
			}
		}
	}
}

static void
test_encode_roundtrip(void **state)
{
	char out[4];
	uint32_t cp;

	(void)state;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		size_t n = u8_encode(cp, out);

		if (cp >= 0xd800 && cp <= 0xdfff) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_equal(n, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
		if (!u8_valid(out, n))
			fail_msg("U+%04X encodes to invalid UTF-8", (unsigned)cp);
	}
	assert_int_equal(u8_encode(0x110000, out), 0);
	assert_int_equal(u8_encode(UINT32_MAX, out), 0);
	assert_int_equal(u8_encode(0x20ac, out), 3);
	assert_memory_equal(out, "\xe2\x82\xac", 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_exhaustive_short),
		cmocka_unit_test(test_four_byte_leads),
		cmocka_unit_test(test_encode_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
