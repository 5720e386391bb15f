/* Tests imap/mutf7.c: RFC 3501 §5.1.3 examples, round trips (BMP and
 * non-BMP) and the non-canonical forms decoding must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/utf8.h"
#include "imap/mutf7.h"

static void
check_pair(const char *utf8, const char *mutf7)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(imap_mutf7_encode(sl_from_cstr(utf8), &b), IG_OK);
	assert_string_equal(b.p != NULL ? b.p : "", mutf7);
	buf_reset(&b);
	assert_int_equal(imap_mutf7_decode(sl_from_cstr(mutf7), &b), IG_OK);
	assert_string_equal(b.p != NULL ? b.p : "", utf8);
	buf_free(&b);
}

static void
test_known_pairs(void **state)
{
	(void)state;
	check_pair("", "");
	check_pair("INBOX", "INBOX");
	check_pair("&", "&-");
	check_pair("a&b", "a&-b");
	/* RFC 3501 §5.1.3 example */
	check_pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
		   "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	check_pair("\xc3\xa4rger", "&AOQ-rger");
	check_pair("Entw\xc3\xbc rfe", "Entw&APw- rfe");
	check_pair("Gel\xc3\xb6scht", "Gel&APY-scht");
	/* non-BMP: U+1F600 as a surrogate pair */
	check_pair("\xf0\x9f\x98\x80", "&2D3eAA-");
	check_pair("x\xf0\x9f\x98\x80\xc3\xa4y", "x&2D3eAADk-y");
}

static void
test_round_trip(void **state)
{
	static const uint32_t cps[] = {0x80, 0xe4, 0x7ff, 0x800, 0xfffd, 0xffff, 0x10000,
				       0x1f600, 0x10ffff, 0x4e2d};
	size_t i;
	size_t j;

	(void)state;
	for (i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		for (j = 1; j <= 4; j++) {
			char in[64];
			size_t n = 0;
			size_t k;
			struct buf enc;
			struct buf dec;

			for (k = 0; k < j; k++)
				n += u8_encode(cps[(i + k) % 10], in + n);
			in[n++] = '.';
			buf_init(&enc, 4096);
			buf_init(&dec, 4096);
			assert_int_equal(imap_mutf7_encode((struct slice){in, n}, &enc), IG_OK);
			assert_int_equal(imap_mutf7_decode(buf_slice(&enc), &dec), IG_OK);
			assert_int_equal(dec.len, n);
			assert_memory_equal(dec.p, in, n);
			buf_free(&enc);
			buf_free(&dec);
		}
	}
}

static void
expect_bad_decode(const char *s)
{
	struct buf b;

	buf_init(&b, 4096);
	if (imap_mutf7_decode(sl_from_cstr(s), &b) != IG_EINVAL)
		fail_msg("accepted %s", s);
	buf_free(&b);
}

static void
test_invalid(void **state)
{
	struct buf b;

	(void)state;
	expect_bad_decode("&");          /* not closed */
	expect_bad_decode("&AOQ");       /* not closed */
	expect_bad_decode("&AGE-");      /* 'a' must be written directly */
	expect_bad_decode("&ACY-");      /* '&' must be "&-" */
	expect_bad_decode("&AOQ-&AOQ-"); /* two adjacent runs */
	expect_bad_decode("&AOR-");      /* non-zero pad bits */
	expect_bad_decode("&AOQA-");     /* a partial UTF-16 unit */
	expect_bad_decode("&2D0-");      /* lone high surrogate */
	expect_bad_decode("&3gA-");      /* lone low surrogate */
	expect_bad_decode("&AAA-");      /* NUL */
	expect_bad_decode("&AAo-");      /* LF */
	expect_bad_decode("&AO/-");      /* '/' is not modified base64 */
	expect_bad_decode("a\x01");      /* control */
	expect_bad_decode("\xc3\xa4");   /* 8-bit */
	expect_bad_decode("a\x7f");

	buf_init(&b, 4096);
	assert_int_equal(imap_mutf7_encode(SL_LIT("a\nb"), &b), IG_EINVAL);
	assert_int_equal(imap_mutf7_encode(SL_LIT("a\0b"), &b), IG_EINVAL);
	assert_int_equal(imap_mutf7_encode(SL_LIT("\xc3"), &b), IG_EINVAL);
	assert_int_equal(imap_mutf7_encode(SL_LIT("\xed\xa0\x80"), &b), IG_EINVAL);
	buf_free(&b);
	/* the output maximum is honoured */
	buf_init(&b, 3);
	assert_int_equal(imap_mutf7_decode(SL_LIT("abcdef"), &b), IG_ELIMIT);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_pairs),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
