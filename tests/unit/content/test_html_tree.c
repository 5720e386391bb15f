/* Tests content/html_tree.c: gumbo's capped memory (refusal at the cap,
 * blocks reused after free, everything released without walking the tree,
 * the bound on what is held) and the element classes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "content/html_int.h"

static struct gmem *
gmem_new(size_t cap)
{
	struct gmem *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	m->cap = cap;
	return m;
}

static void
doc(struct buf *b, size_t rows)
{
	buf_init(b, (size_t)8 * 1024 * 1024);
	buf_puts(b, "<html><head><style>.x{color:red}</style></head><body><table>");
	for (size_t i = 0; i < rows; i++)
		buf_appendf(b, "<tr><td class=\"c%zu\" style=\"padding:4px\"><a href=\"https://"
		               "example.com/%zu\">row %zu</a> some text &amp; more</td></tr>",
		            i, i, i);
	buf_puts(b, "</table></body></html>");
	assert_int_equal(buf_err(b), IG_OK);
}

/* A parse that fits: a tree comes back, live and held are counted, and
 * html_gmem_free_all releases everything (ASan reports a leak otherwise). */
static void
test_parse_and_free(void **state)
{
	struct gmem *m = gmem_new(LIM_HTML_PARSE_MEM);
	enum ig_err err = IG_OK;
	struct buf b;
	GumboOutput *g;

	(void)state;
	doc(&b, 2000);
	g = html_gumbo_parse_capped(m, buf_slice(&b), &err);
	assert_non_null(g);
	assert_int_equal(err, IG_OK);
	assert_non_null(g->root);
	assert_true(m->live > 0);
	assert_true(m->held >= m->live);
	assert_true(m->held <= m->cap * GMEM_HELD_FACTOR);
	html_gmem_free_all(m);
	assert_int_equal(m->live, 0);
	assert_int_equal(m->held, 0);
	assert_null(m->chunks);
	assert_null(m->head);
	/* The same struct parses again after being emptied. */
	g = html_gumbo_parse_capped(m, buf_slice(&b), &err);
	assert_non_null(g);
	html_gmem_free_all(m);
	buf_free(&b);
	free(m);
}

/* Over the cap: NULL and IG_ELIMIT, never a partial tree; whatever was
 * allocated before the cut is still released by html_gmem_free_all. */
static void
test_cap_refuses(void **state)
{
	struct gmem *m = gmem_new((size_t)64 * 1024);
	enum ig_err err = IG_OK;
	struct buf b;

	(void)state;
	doc(&b, 5000);
	assert_null(html_gumbo_parse_capped(m, buf_slice(&b), &err));
	assert_int_equal(err, IG_ELIMIT);
	assert_true(m->live <= m->cap);
	html_gmem_free_all(m);
	assert_int_equal(m->held, 0);
	buf_free(&b);
	free(m);
}

/* gumbo builds tag names and attribute values in temporary buffers that it
 * frees: freed blocks must be reused, so what is held stays near what is
 * live instead of growing with every temporary (without reuse this document
 * holds 3.3x what is live; with it 1.8x: headers and rounding). */
static void
test_freed_blocks_reused(void **state)
{
	struct gmem *m = gmem_new(LIM_HTML_PARSE_MEM);
	enum ig_err err = IG_OK;
	struct buf b;

	(void)state;
	buf_init(&b, (size_t)4 * 1024 * 1024);
	for (size_t i = 0; i < 20000; i++)
		buf_puts(&b, "<div title=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" "
		             "class=\"x y z\">t</div>");
	assert_int_equal(buf_err(&b), IG_OK);
	assert_non_null(html_gumbo_parse_capped(m, buf_slice(&b), &err));
	assert_true(m->held <= 2 * m->live + (size_t)1024 * 1024);
	html_gmem_free_all(m);
	buf_free(&b);
	free(m);
}

static void
test_kind_of(void **state)
{
	static const struct {
		const char *name;
		enum ekind kind;
	} cases[] = {
	    {"address", EK_BLOCK1}, {"applet", EK_DROP}, {"br", EK_BR},       {"b", EK_INLINE},
	    {"bra", EK_INLINE},     {"h1", EK_BLOCK2},   {"h6", EK_BLOCK2},    {"h7", EK_INLINE},
	    {"img", EK_IMG},        {"li", EK_LI},       {"ol", EK_LIST},      {"td", EK_CELL},
	    {"tr", EK_TR},          {"pre", EK_PRE},     {"xmp", EK_PRE},      {"video", EK_DROP},
	    {"ul", EK_LIST},        {"a", EK_INLINE},    {"zzz", EK_INLINE},   {"span", EK_INLINE},
	    {"divx", EK_INLINE},    {"di", EK_INLINE},   {"div", EK_BLOCK1},   {"", EK_INLINE},
	    {"template", EK_DROP},  {"th", EK_CELL},     {"\xc3\xa9", EK_INLINE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(html_kind_of(sl_from_cstr(cases[i].name)), cases[i].kind);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_and_free),
	    cmocka_unit_test(test_cap_refuses),
	    cmocka_unit_test(test_freed_blocks_reused),
	    cmocka_unit_test(test_kind_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
