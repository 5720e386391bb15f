/* Tests content/mime_scrub.c's pre-scan: it must count exactly what the
 * plain byte-by-byte scan it replaced counted (the same refusals with the
 * same reasons) on random input made of the words it looks for, delimiters,
 * quotes, folding and line ends, and byte at a time in the sense that every
 * prefix of an input is scanned as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "base/limits.h"
#include "content/mime_int.h"

/* The reference: the scan as it was before the Horspool skip. */
static enum ig_err
ref_prescan(const char *p, size_t len, const char **error_r)
{
	struct slice bnd[LIM_MIME_PARTS + 1];
	size_t nb = 0, nmsg = 0, ndelim = 0, i = 0, j, hdr_lines = 0;
	bool in_part_hdr = false;

	while (i < len) {
		size_t ls = i, ll;

		while (i < len && p[i] != '\n')
			i++;
		ll = i - ls;
		if (ll > 0 && p[ls + ll - 1] == '\r')
			ll--;
		i = i < len ? i + 1 : i;
		if (in_part_hdr) {
			if (ll == 0) {
				in_part_hdr = false;
			} else if (p[ls] != ' ' && p[ls] != '\t' &&
			           ++hdr_lines > LIM_MIME_HEADERS) {
				*error_r = "more header fields in a part than LIM_MIME_HEADERS";
				return IG_ELIMIT;
			}
		}
		if (ll >= 3 && p[ls] == '-' && p[ls + 1] == '-') {
			for (j = 0; j < nb; j++) {
				if (ll - 2 >= bnd[j].len &&
				    memcmp(p + ls + 2, bnd[j].p, bnd[j].len) == 0) {
					if (++ndelim > 2 * LIM_MIME_PARTS + 2) {
						*error_r = "more MIME parts than LIM_MIME_PARTS";
						return IG_ELIMIT;
					}
					in_part_hdr = true;
					hdr_lines = 0;
					break;
				}
			}
			continue;
		}
		for (j = ls; j < ls + ll; j++) {
			char c = (char)(p[j] | 0x20);

			if (c == 'm' && ci_prefix(p + j, ls + ll - j, "message/")) {
				if (++nmsg > LIM_MIME_PARTS) {
					*error_r = "more nested messages than LIM_MIME_PARTS";
					return IG_ELIMIT;
				}
			} else if (c == 'b' && ci_prefix(p + j, ls + ll - j, "boundary")) {
				size_t q = j + 8, e = ls + ll, s;

				while (q < e && (p[q] == ' ' || p[q] == '\t'))
					q++;
				if (q >= e || p[q] != '=')
					continue;
				q++;
				while (q < e && (p[q] == ' ' || p[q] == '\t'))
					q++;
				if (q < e && p[q] == '"') {
					s = ++q;
					while (q < e && p[q] != '"')
						q++;
				} else {
					s = q;
					while (q < e && p[q] != ';' && p[q] != ' ' && p[q] != '\t')
						q++;
				}
				if (q == s)
					continue;
				if (nb == LIM_MIME_PARTS + 1) {
					*error_r = "more multipart boundaries than LIM_MIME_PARTS";
					return IG_ELIMIT;
				}
				bnd[nb].p = p + s;
				bnd[nb].len = q - s;
				nb++;
			}
		}
	}
	return IG_OK;
}

static const char *const pieces[] = {
    "--",        "--b1",          "--B1",        "--b2--",   "boundary=",    "BOUNDARY = \"b1\"",
    "Boundary=b2;", "boundary=\"", "message/",   "MESSAGE/rfc822", "messag", "bounda",
    "\r\n",      "\n",            "\n\n",        " ",        "\t",           "x",
    "ab",        "m",             "b",           "e",        "/",            "y",
    "ary",       "ge/",           "Content-Type: multipart/mixed; ", "mmessage/", "bboundary=z",
    "\"",        ";",             "=",           "\xc3\xa9", "Subject: s\n", "\n--b1\n",
};

static unsigned long rng_state = 0x9e3779b97f4a7c15UL;

static unsigned long
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void
same(const char *p, size_t n)
{
	const char *e1 = NULL, *e2 = NULL;
	enum ig_err r1 = ref_prescan(p, n, &e1);
	enum ig_err r2 = mime_prescan(p, n, &e2);

	/* The reasons are string literals of two files: compare the text. */
	if (r1 != r2 || (e1 == NULL) != (e2 == NULL) || (e1 != NULL && strcmp(e1, e2) != 0)) {
		fprintf(stderr, "differs on: %.*s\n", (int)n, p);
		fail();
	}
}

static void
test_prescan_random(void **state)
{
	static char buf[16384];
	size_t limited = 0;

	(void)state;
	for (int t = 0; t < 20000; t++) {
		size_t n = 0, k = rng() % (t % 10 == 0 ? 3000 : 60);
		const char *e = NULL;

		for (size_t i = 0; i < k; i++) {
			const char *pc = pieces[rng() % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t l = strlen(pc);

			if (n + l > sizeof(buf))
				break;
			for (size_t j = 0; j < l; j++)
				buf[n++] = pc[j];
		}
		same(buf, n);
		if (t < 200) {
			for (size_t i = 0; i < n; i++)
				same(buf, i);
		}
		if (ref_prescan(buf, n, &e) != IG_OK)
			limited++;
	}
	assert_true(limited > 0); /* the limits were reached, not only the OK path */
}

/* Each limit, reached through the words the scan looks for. */
static void
test_prescan_limits(void **state)
{
	struct buf b;
	const char *e = NULL;

	(void)state;
	buf_init(&b, (size_t)1024 * 1024);
	for (size_t i = 0; i <= LIM_MIME_PARTS + 1; i++) /* one more than the array holds */
		buf_appendf(&b, "Content-Type: multipart/mixed; boundary=\"b%zu\"\n", i);
	assert_int_equal(mime_prescan(b.p, b.len, &e), IG_ELIMIT);
	assert_string_equal(e, "more multipart boundaries than LIM_MIME_PARTS");
	same(b.p, b.len);
	buf_reset(&b);
	for (size_t i = 0; i <= LIM_MIME_PARTS; i++)
		buf_puts(&b, "Content-Type: Message/rfc822\r\n");
	assert_int_equal(mime_prescan(b.p, b.len, &e), IG_ELIMIT);
	assert_string_equal(e, "more nested messages than LIM_MIME_PARTS");
	same(b.p, b.len);
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=zz\n\n");
	for (size_t i = 0; i <= 2 * LIM_MIME_PARTS + 2; i++)
		buf_puts(&b, "--zz\n\ntext\n");
	assert_int_equal(mime_prescan(b.p, b.len, &e), IG_ELIMIT);
	assert_string_equal(e, "more MIME parts than LIM_MIME_PARTS");
	same(b.p, b.len);
	buf_reset(&b);
	buf_puts(&b, "Content-Type: multipart/mixed; boundary=zz\n\n--zz\n");
	for (size_t i = 0; i <= LIM_MIME_HEADERS; i++)
		buf_puts(&b, "X-H: v\n");
	assert_int_equal(mime_prescan(b.p, b.len, &e), IG_ELIMIT);
	assert_string_equal(e, "more header fields in a part than LIM_MIME_HEADERS");
	same(b.p, b.len);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prescan_random),
	    cmocka_unit_test(test_prescan_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
