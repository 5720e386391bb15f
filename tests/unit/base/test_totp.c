/* base/totp.c: the RFC 4226 Appendix D and RFC 6238 Appendix B test vectors
 * (SHA-1), and RFC 4648 §10's base32 vectors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "base/totp.h"

static const unsigned char rfc_key[] = "12345678901234567890";

static void
test_hotp_rfc4226(void **state)
{
	static const char *const want[] = {"755224", "287082", "359152", "969429", "338314",
	                                   "254676", "287922", "162583", "399871", "520489"};
	char out[9];
	uint64_t c;

	(void)state;
	for (c = 0; c < 10; c++) {
		assert_int_equal(totp_hotp(rfc_key, 20, c, 6, out), 0);
		assert_string_equal(out, want[c]);
	}
}

static void
test_totp_rfc6238(void **state)
{
	static const struct {
		int64_t t;
		int64_t step;
		const char *code;
	} v[] = {
	    {59, 0x1, "94287082"},
	    {1111111109, 0x23523EC, "07081804"},
	    {1111111111, 0x23523ED, "14050471"},
	    {1234567890, 0x273EF07, "89005924"},
	    {2000000000, 0x3F940AA, "69279037"},
	    {20000000000, 0x27BC86AA, "65353130"},
	};
	char out[9];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(totp_step(v[i].t), v[i].step);
		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)v[i].step, 8, out), 0);
		assert_string_equal(out, v[i].code);
		/* 6 digits are the last 6 of the 8 (mod 10^6 of the same value) */
		assert_int_equal(totp_hotp(rfc_key, 20, (uint64_t)v[i].step, 6, out), 0);
		assert_string_equal(out, v[i].code + 2);
	}
	assert_int_equal(totp_step(-5), 0);
	assert_int_equal(totp_step(29), 0);
	assert_int_equal(totp_step(30), 1);
	assert_int_equal(totp_hotp(rfc_key, 20, 1, 5, out), -1);
	assert_string_equal(out, "");
	assert_int_equal(totp_hotp(rfc_key, 20, 1, 9, out), -1);
}

static void
test_base32(void **state)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const want[] = {"",        "MY",       "MZXQ",      "MZXW6",
	                                   "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI"};
	char out[TOTP_B32_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < 7; i++) {
		assert_int_equal(
		    totp_b32_encode((const unsigned char *)in[i], strlen(in[i]), out, sizeof(out)),
		    strlen(want[i]));
		assert_string_equal(out, want[i]);
	}
	assert_int_equal(totp_b32_encode(rfc_key, 20, out, sizeof(out)), TOTP_B32_LEN);
	assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	/* too small: nothing written but "" */
	assert_int_equal(totp_b32_encode(rfc_key, 20, out, TOTP_B32_LEN), 0);
	assert_string_equal(out, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hotp_rfc4226),
	    cmocka_unit_test(test_totp_rfc6238),
	    cmocka_unit_test(test_base32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
