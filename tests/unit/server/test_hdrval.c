/* Tests server/hdrval.c against SEP-2243 "Value Encoding" and its
 * conformance cases, plus the strictness we add (canonical base64). Raw
 * values are copied into exact-size heap buffers so ASan sees overreads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "base/limits.h"
#include "base/utf8.h"
#include "server/hdrval.h"

static const char b64_alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				"abcdefghijklmnopqrstuvwxyz0123456789+/";

struct hv_case {
	const char *raw;
	enum ig_err err;
	const char *want; /* decoded value when err == IG_OK */
};

static const struct hv_case hv_cases[] = {
	/* Plain values. */
	{"tools/call", IG_OK, "tools/call"},
	{"  tools/call  ", IG_OK, "tools/call"},
	{"\t tools/call \t", IG_OK, "tools/call"},
	{"a b\tc", IG_OK, "a b\tc"},
	{"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", IG_OK, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"},
	{"", IG_OK, ""},
	{"   ", IG_OK, ""},
	{"a\x01" "b", IG_EINVAL, NULL},
	{"a\rb", IG_EINVAL, NULL},
	{"a\nb", IG_EINVAL, NULL},
	{"a\x7f" "b", IG_EINVAL, NULL},
	{"caf\xc3\xa9", IG_EINVAL, NULL},
	{"\xff", IG_EINVAL, NULL},
	{"a\r", IG_EINVAL, NULL}, /* CR is not OWS */
	/* The sentinel form. */
	{"=?base64?SGVsbG8=?=", IG_OK, "Hello"},
	{"  =?base64?SGVsbG8=?=\t", IG_OK, "Hello"},
	{"=?base64?SGVsbG8gV29ybGQ=?=", IG_OK, "Hello World"},
	{"=?base64?SGVsbA==?=", IG_OK, "Hell"},
	{"=?base64?SGk=?=", IG_OK, "Hi"},
	{"=?base64?YWJj?=", IG_OK, "abc"},
	{"=?base64?" "?=", IG_OK, ""}, /* split: "??=" is a C trigraph */
	{"=?base64?YQ0KYg==?=", IG_OK, "a\r\nb"},
	{"=?base64?CXRhYgk=?=", IG_OK, "\ttab\t"},
	{"=?base64?w6k=?=", IG_OK, "\xc3\xa9"},
	{"=?base64?5pel5pys6Kqe?=", IG_OK, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"},
	{"=?base64?8J+YgA==?=", IG_OK, "\xf0\x9f\x98\x80"},
	{"=?base64?ICBwYWRkZWQgIA==?=", IG_OK, "  padded  "},
	{"=?base64?Pz4/fn5+?=", IG_OK, "?>?~~~"}, /* the last two alphabet characters */
	{"=?base64?+/+/?=", IG_EINVAL, NULL},     /* decodes to fb ff bf: not UTF-8 */
	{"=?base64?PT9iYXNlNjQ/SGk/PQ==?=", IG_OK, "=?base64?Hi?="},
	/* Strict base64 (SEP-2243 test table: bad padding, bad characters). */
	{"=?base64?SGVsbG8?=", IG_EINVAL, NULL},
	{"=?base64?SGVsbG8==?=", IG_EINVAL, NULL},
	{"=?base64?SGVsbA===?=", IG_EINVAL, NULL},
	{"=?base64?SGVsbA=?=", IG_EINVAL, NULL},
	{"=?base64?SGk=====?=", IG_EINVAL, NULL},
	{"=?base64?YWJj====?=", IG_EINVAL, NULL},
	{"=?base64?====?=", IG_EINVAL, NULL},
	{"=?base64?S===?=", IG_EINVAL, NULL},
	{"=?base64?SG=k?=", IG_EINVAL, NULL},
	{"=?base64?SGk=SGk=?=", IG_EINVAL, NULL},
	{"=?base64?SGVs!!!bG8=?=", IG_EINVAL, NULL},
	{"=?base64?SGVs bG8=?=", IG_EINVAL, NULL},
	{"=?base64?SGVs\tbG8=?=", IG_EINVAL, NULL},
	{"=?base64?SGVsbG8=\r\n?=", IG_EINVAL, NULL},
	{"=?base64? SGVsbG8=?=", IG_EINVAL, NULL},
	{"=?base64?-_-_?=", IG_EINVAL, NULL},  /* URL-safe alphabet */
	{"=?base64?SGVsbG9=?=", IG_EINVAL, NULL}, /* trailing bits 01 */
	{"=?base64?SGVsbB==?=", IG_EINVAL, NULL}, /* trailing bits 0001 */
	{"=?base64?SGl=?=", IG_EINVAL, NULL},
	{"=?base64?SGVsbG8\x80?=", IG_EINVAL, NULL},
	/* libsodium 1.0.18 accepts this, reading \xaf as '/' (fuzz_hdrval). */
	{"=?base64?PT9iYXNlNjQ\xafSGk/PQ==?=", IG_EINVAL, NULL},
	{"=?base64?SGk\xbd?=", IG_EINVAL, NULL}, /* \xbd: '=' with the high bit */
	/* Decoded payload rules. */
	{"=?base64?AA==?=", IG_EINVAL, NULL},     /* NUL */
	{"=?base64?YQBi?=", IG_EINVAL, NULL},     /* a NUL b */
	{"=?base64?/w==?=", IG_EINVAL, NULL},     /* 0xff */
	{"=?base64?wIA=?=", IG_EINVAL, NULL},     /* overlong C0 80 */
	{"=?base64?7aCA?=", IG_EINVAL, NULL},     /* U+D800 */
	{"=?base64?9JCAgA==?=", IG_EINVAL, NULL}, /* U+110000 */
	{"=?base64?w6?=", IG_EINVAL, NULL},
	/* Without the whole wrapper a value is literal (SEP-2243). */
	{"=?base64?SGVsbG8=", IG_OK, "=?base64?SGVsbG8="},
	{"SGVsbG8=", IG_OK, "SGVsbG8="},
	{"SGVsbG8=?=", IG_OK, "SGVsbG8=?="},
	{"=?BASE64?SGVsbG8=?=", IG_OK, "=?BASE64?SGVsbG8=?="},
	{"=?Base64?SGk=?=", IG_OK, "=?Base64?SGk=?="},
	{"=?base64?=", IG_OK, "=?base64?="},
	{"=?base64?" "?", IG_OK, "=?base64?" "?"},
	{"x=?base64?SGk=?=", IG_OK, "x=?base64?SGk=?="},
	{"=?base64?SGk=?= x", IG_OK, "=?base64?SGk=?= x"},
	{"=?base64?SGVs!!!bG8=", IG_OK, "=?base64?SGVs!!!bG8="},
};

static enum ig_err
decode(const char *raw, size_t n, struct buf *out, const char **msg_r)
{
	char *copy = malloc(n > 0 ? n : 1);
	enum ig_err err;

	assert_non_null(copy);
	if (n > 0)
		memcpy(copy, raw, n);
	err = hdrval_decode((struct slice){copy, n}, out, msg_r);
	free(copy);
	return err;
}

static void
test_table(void **state)
{
	struct buf out;
	size_t i;

	(void)state;
	buf_init(&out, LIM_HEADER_VALUE);
	for (i = 0; i < sizeof(hv_cases) / sizeof(hv_cases[0]); i++) {
		const struct hv_case *c = &hv_cases[i];
		const char *msg = "unset";
		enum ig_err err;

		/* Earlier content must never leak into the result. */
		buf_puts(&out, "stale");
		err = decode(c->raw, strlen(c->raw), &out, &msg);
		if (err != c->err)
			fail_msg("case %zu \"%s\": got %s (%s)", i, c->raw, ig_err_str(err),
				 msg != NULL ? msg : "-");
		if (err == IG_OK) {
			assert_null(msg);
			if (c->want != NULL) {
				assert_int_equal(out.len, strlen(c->want));
				assert_memory_equal(out.p, c->want, out.len);
			}
		} else {
			assert_non_null(msg);
			assert_int_equal(out.len, 0);
		}
	}
	buf_free(&out);
}

static void
test_nul_in_plain_value(void **state)
{
	struct buf out;
	const char *msg = NULL;

	(void)state;
	buf_init(&out, LIM_HEADER_VALUE);
	assert_int_equal(decode("ab\0cd", 5, &out, &msg), IG_EINVAL);
	assert_int_equal(decode("=?base64?SGk=?=\0", 16, &out, &msg), IG_EINVAL);
	buf_free(&out);
}

static void
test_limits(void **state)
{
	char *raw = malloc(LIM_HEADER_VALUE + 1);
	struct buf out;
	struct buf small;
	struct buf wrapped;
	const char *msg = NULL;
	size_t n;
	size_t i;

	(void)state;
	assert_non_null(raw);
	memset(raw, 'a', LIM_HEADER_VALUE + 1);
	buf_init(&out, LIM_HEADER_VALUE);
	assert_int_equal(decode(raw, LIM_HEADER_VALUE, &out, &msg), IG_OK);
	assert_int_equal(out.len, LIM_HEADER_VALUE);
	assert_int_equal(decode(raw, LIM_HEADER_VALUE + 1, &out, &msg), IG_ELIMIT);
	assert_int_equal(out.len, 0);
	/* The limit is on the raw value: trailing OWS counts. */
	memset(raw + LIM_HEADER_VALUE - 1, ' ', 2);
	assert_int_equal(decode(raw, LIM_HEADER_VALUE + 1, &out, &msg), IG_ELIMIT);

	/* The largest sentinel value that fits: 1012 base64 chars = 759 bytes. */
	n = ((size_t)LIM_HEADER_VALUE - 11) / 4 * 4;
	buf_init(&wrapped, LIM_HEADER_VALUE);
	buf_puts(&wrapped, "=?base64?");
	for (i = 0; i < n; i++)
		buf_putc(&wrapped, 'Q');
	buf_puts(&wrapped, "?=");
	assert_int_equal(buf_err(&wrapped), IG_OK);
	assert_int_equal(decode(wrapped.p, wrapped.len, &out, &msg), IG_OK);
	assert_int_equal(out.len, n / 4 * 3);
	buf_free(&wrapped);

	/* The caller's maximum applies to the decoded value. */
	buf_init(&small, 4);
	assert_int_equal(decode("=?base64?SGVsbG8=?=", 19, &small, &msg), IG_ELIMIT);
	assert_int_equal(small.len, 0);
	assert_int_equal(decode("Hell", 4, &small, &msg), IG_OK);
	assert_int_equal(decode("Hello", 5, &small, &msg), IG_ELIMIT);
	buf_free(&small);
	buf_free(&out);
	free(raw);
}

static void
test_matches(void **state)
{
	(void)state;
	assert_true(hdrval_matches(SL_LIT("tools/call"), "tools/call"));
	assert_true(hdrval_matches(SL_LIT("  tools/call "), "tools/call"));
	assert_false(hdrval_matches(SL_LIT("Tools/Call"), "tools/call"));
	assert_false(hdrval_matches(SL_LIT("tools/cal"), "tools/call"));
	assert_false(hdrval_matches(SL_LIT("tools/call"), "tools/cal"));
	assert_true(hdrval_matches(SL_LIT("=?base64?SGVsbG8=?="), "Hello"));
	assert_false(hdrval_matches(SL_LIT("=?base64?SGVsbG8?="), "Hello"));
	assert_false(hdrval_matches(SL_LIT("=?base64?SGVsbG8="), "Hello"));
	assert_true(hdrval_matches(SL_LIT("=?base64?SGVsbG8="), "=?base64?SGVsbG8="));
	assert_true(hdrval_matches(SL_LIT("=?base64?YQ0KYg==?="), "a\r\nb"));
	assert_true(hdrval_matches(SL_LIT("=?base64?" "?="), ""));
	assert_true(hdrval_matches(SL_LIT(""), ""));
	assert_false(hdrval_matches(SL_LIT("a\x01"), "a\x01"));
	assert_false(hdrval_matches(SL_LIT("x"), NULL));
	assert_false(hdrval_matches((struct slice){NULL, 0}, "x"));
	assert_true(hdrval_matches((struct slice){NULL, 0}, ""));
}

/* Every short payload, encoded by libsodium, decodes back exactly when it
 * is UTF-8 without NUL; setting any of the unused bits before the padding
 * makes the same text non-canonical and rejected. */
static void
test_roundtrip_vs_sodium(void **state)
{
	unsigned char payload[8];
	char b64[sodium_base64_ENCODED_LEN(8, sodium_base64_VARIANT_ORIGINAL)];
	char raw[64];
	struct buf out;
	size_t len;
	uint32_t x;

	(void)state;
	assert_true(sodium_init() >= 0);
	buf_init(&out, LIM_HEADER_VALUE);
	for (len = 1; len <= 3; len++) {
		for (x = 0; x < (1u << (8 * len)); x += len == 3 ? 97 : 1) {
			size_t k;
			int n;
			bool want;

			for (k = 0; k < len; k++)
				payload[k] = (unsigned char)(x >> (8 * k));
			(void)sodium_bin2base64(b64, sizeof(b64), payload, len,
						sodium_base64_VARIANT_ORIGINAL);
			n = snprintf(raw, sizeof(raw), "=?base64?%s?=", b64);
			assert_true(n > 0 && (size_t)n < sizeof(raw));
			want = memchr(payload, 0, len) == NULL && u8_valid((char *)payload, len);
			if ((decode(raw, (size_t)n, &out, NULL) == IG_OK) != want)
				fail_msg("%s", raw);
			if (want) {
				assert_int_equal(out.len, len);
				assert_memory_equal(out.p, payload, len);
			}
			if (len < 3) {
				/* "XY==" leaves 4 bits of Y unused, "XYZ=" 2 of Z. */
				char *last = &raw[9 + len];
				int v = (int)(strchr(b64_alpha, *last) - b64_alpha);
				int bits;

				for (bits = 1; bits < (len == 1 ? 16 : 4); bits++) {
					*last = b64_alpha[v | bits];
					assert_int_equal(decode(raw, (size_t)n, &out, NULL),
							 IG_EINVAL);
				}
			}
		}
	}
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_nul_in_plain_value),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_roundtrip_vs_sodium),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
