/* Tests base/buf.c: the hard maximum, the sticky error, NUL termination,
 * appendf and JSON string escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"

static void
test_append_and_terminate(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 64);
	assert_int_equal(b.len, 0);
	buf_puts(&b, "abc");
	buf_putc(&b, 'd');
	buf_append(&b, "ef\0gh", 5);
	assert_int_equal(buf_err(&b), IG_OK);
	assert_int_equal(b.len, 9);
	assert_memory_equal(b.p, "abcdef\0gh", 9);
	assert_int_equal(b.p[b.len], '\0');
	buf_append(&b, NULL, 0);
	assert_int_equal(b.len, 9);
	buf_free(&b);
	assert_null(b.p);
	buf_free(&b); /* twice is fine */
	buf_free(NULL);
}

static void
test_max_and_sticky_error(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	buf_puts(&b, "abcd"); /* exactly the maximum */
	assert_int_equal(buf_err(&b), IG_OK);
	assert_string_equal(b.p, "abcd");
	buf_putc(&b, 'e');
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	assert_int_equal(b.len, 4);
	/* Sticky: later appends that would fit are ignored too. */
	buf_puts(&b, "");
	buf_consume(&b, 4);
	buf_putc(&b, 'x');
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	assert_int_equal(b.len, 0);
	buf_appendf(&b, "%d", 1);
	assert_int_equal(b.len, 0);
	buf_reset(&b);
	assert_int_equal(buf_err(&b), IG_OK);
	buf_putc(&b, 'x');
	assert_string_equal(b.p, "x");
	buf_free(&b);

	/* A failing append leaves the content as it was. */
	buf_init(&b, 5);
	buf_puts(&b, "abc");
	buf_puts(&b, "def");
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	assert_string_equal(b.p, "abc");
	buf_free(&b);

	buf_init(&b, 0);
	buf_putc(&b, 'a');
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	buf_free(&b);
}

static void
test_overflowing_length(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	buf_puts(&b, "ab");
	/* len + n wraps around: must be a limit error, never a small copy. */
	buf_append(&b, "x", SIZE_MAX);
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	assert_string_equal(b.p, "ab");
	buf_free(&b);
}

static void
test_size_max_maximum(void **state)
{
	struct buf b;

	(void)state;
	/* The largest maximum must not wrap the "max + 1 for the NUL" sum. */
	buf_init(&b, SIZE_MAX);
	buf_puts(&b, "hello");
	assert_int_equal(buf_err(&b), IG_OK);
	assert_true(b.cap >= 6);
	assert_string_equal(b.p, "hello");
	buf_free(&b);
}

static void
test_growth(void **state)
{
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < (1 << 20); i++)
		buf_putc(&b, (char)('a' + i % 26));
	assert_int_equal(buf_err(&b), IG_OK);
	assert_int_equal(b.len, 1 << 20);
	assert_true(b.cap <= (1 << 20) + 1); /* never more than max + NUL */
	assert_int_equal(b.p[b.len], '\0');
	assert_int_equal(b.p[12345], 'a' + 12345 % 26);
	buf_putc(&b, 'x');
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	buf_free(&b);
}

static void
test_appendf(void **state)
{
	struct buf b;
	char big[600];

	(void)state;
	buf_init(&b, 32);
	buf_appendf(&b, "%s=%d;", "n", 42);
	buf_appendf(&b, "%zu", (size_t)7);
	assert_int_equal(buf_err(&b), IG_OK);
	assert_string_equal(b.p, "n=42;7");
	buf_appendf(&b, "%s", "");
	assert_string_equal(b.p, "n=42;7");
	buf_reset(&b);
	buf_appendf(&b, "%032d", 5); /* exactly the maximum */
	assert_int_equal(buf_err(&b), IG_OK);
	assert_int_equal(b.len, 32);
	buf_appendf(&b, "%d", 1);
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	assert_int_equal(b.len, 32);
	buf_free(&b);

	/* Longer than the first allocation: the second vsnprintf pass must see
	 * the grown buffer. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	buf_init(&b, 4096);
	buf_puts(&b, "<");
	buf_appendf(&b, "%s>", big);
	assert_int_equal(buf_err(&b), IG_OK);
	assert_int_equal(b.len, 1 + 599 + 1);
	assert_int_equal(b.p[599], 'z');
	assert_int_equal(b.p[600], '>');
	buf_free(&b);
}

static void
test_json_str(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		const char *out;
	} cases[] = {
		{"", 0, "\"\""},
		{"plain", 5, "\"plain\""},
		{"a\"b", 3, "\"a\\\"b\""},
		{"a\\b", 3, "\"a\\\\b\""},
		{"\n\r\t", 3, "\"\\n\\r\\t\""},
		{"\x01\x1f", 2, "\"\\u0001\\u001f\""},
		{"\0", 1, "\"\\u0000\""},
		{"\b\f", 2, "\"\\u0008\\u000c\""},
		{"\x7f", 1, "\"\\u007f\""},
		{"caf\xc3\xa9", 5, "\"caf\xc3\xa9\""}, /* UTF-8 passes through */
		{"/", 1, "\"/\""},
		{"\"\"", 2, "\"\\\"\\\"\""},
	};
	struct buf b;
	size_t i;

	(void)state;
	buf_init(&b, 256);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		buf_json_str(&b, (struct slice){cases[i].in, cases[i].len});
		assert_int_equal(buf_err(&b), IG_OK);
		assert_string_equal(b.p, cases[i].out);
	}
	buf_free(&b);

	/* Escaping counts against the maximum: 4 controls need 2 + 24 bytes. */
	buf_init(&b, 25);
	buf_json_str(&b, SL_LIT("\x01\x02\x03\x04"));
	assert_int_equal(buf_err(&b), IG_ELIMIT);
	buf_free(&b);
	buf_init(&b, 26);
	buf_json_str(&b, SL_LIT("\x01\x02\x03\x04"));
	assert_int_equal(buf_err(&b), IG_OK);
	buf_free(&b);
}

static void
test_consume_and_take(void **state)
{
	struct buf b;
	char *s;

	(void)state;
	buf_init(&b, 64);
	buf_puts(&b, "hello world");
	buf_consume(&b, 6);
	assert_string_equal(b.p, "world");
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	buf_puts(&b, "taken");
	s = buf_take(&b);
	assert_string_equal(s, "taken");
	free(s);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	/* Taking an empty buffer still gives a string the caller frees. */
	s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_terminate),
		cmocka_unit_test(test_max_and_sticky_error),
		cmocka_unit_test(test_overflowing_length),
		cmocka_unit_test(test_size_max_maximum),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_appendf),
		cmocka_unit_test(test_json_str),
		cmocka_unit_test(test_consume_and_take),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
