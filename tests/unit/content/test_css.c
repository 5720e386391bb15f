/* Tests content/css.h directly, one group per file behind it: css.c
 * (normalization, declarations, the cascade slots), css_value.c (lengths,
 * calc()), css_color.c (colour syntaxes, legacy colours, blending),
 * css_sheet.c (which rules a sheet keeps), css_select.c (selector matching
 * and specificity) and css_media.c (which @media blocks apply).
 * test_html.c covers the same code through html_to_text; these pin the
 * module's own contract, which a later selector/media engine must keep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "content/css.h"

static bool
slot_is(const struct css_decls *d, enum css_prop p, const char *want)
{
	const struct css_slot *s = &d->s[p];

	return s->set && s->val.len == strlen(want) && memcmp(s->val.p, want, s->val.len) == 0;
}

/* css.c */
static void
test_normalize_and_decls(void **state)
{
	struct buf out;
	struct css_decls d;

	(void)state;
	buf_init(&out, 4096);
	css_normalize(sl_from_cstr("DISPLAY/* x */:NONE;Color:Red"), &out);
	assert_int_equal(buf_err(&out), IG_OK);
	assert_non_null(memmem(out.p, out.len, "display", 7));
	assert_null(memmem(out.p, out.len, "/*", 2));
	assert_null(memmem(out.p, out.len, "NONE", 4));

	memset(&d, 0, sizeof(d));
	css_decls_apply(&d, sl_from_cstr("display:none;width:0;unknown-prop:1"), 1);
	assert_true(slot_is(&d, CP_DISPLAY, "none"));
	assert_true(d.s[CP_WIDTH].set);
	/* A later lower-priority declaration loses; !important wins. */
	css_decls_apply(&d, sl_from_cstr("display:block"), 0);
	assert_true(slot_is(&d, CP_DISPLAY, "none"));
	css_decls_apply(&d, sl_from_cstr("display:block !important"), 0);
	assert_true(slot_is(&d, CP_DISPLAY, "block"));
	buf_free(&out);
}

/* css_value.c */
static void
test_lengths(void **state)
{
	double px = 0;

	(void)state;
	assert_true(css_length_px(sl_from_cstr("12px"), 16, 100, &px));
	assert_true(px == 12.0);
	assert_true(css_length_px(sl_from_cstr("2em"), 16, 100, &px));
	assert_true(px == 32.0);
	assert_true(css_length_px(sl_from_cstr("50%"), 16, 200, &px));
	assert_true(px == 100.0);
	assert_false(css_length_px(sl_from_cstr("50%"), 16, -1, &px));
	assert_false(css_length_px(sl_from_cstr("auto"), 16, 100, &px));
	/* calc() for lengths: the smallest term, never more visible. */
	assert_true(css_length_px(sl_from_cstr("calc(100% - 9999px)"), 16, 100, &px));
	assert_true(px <= -9999.0 + 100.0);
	assert_true(css_calc_px(sl_from_cstr("calc(12px * 0.5)"), 16, 100, &px));
	assert_true(px == 6.0);
	assert_false(css_calc_px(sl_from_cstr("calc(12px / 0)"), 16, 100, &px));
}

/* css_color.c */
static void
test_colors(void **state)
{
	struct css_color c;

	(void)state;
	assert_true(css_color_parse(sl_from_cstr("#fff"), &c));
	assert_true(c.r == 255 && c.g == 255 && c.b == 255 && c.a == 255);
	assert_true(css_color_parse(sl_from_cstr("rgb(1, 2, 3)"), &c));
	assert_true(c.r == 1 && c.g == 2 && c.b == 3 && c.a == 255);
	assert_true(css_color_parse(sl_from_cstr("white"), &c));
	assert_true(c.r == 255 && c.g == 255 && c.b == 255);
	assert_true(css_color_parse(sl_from_cstr("transparent"), &c));
	assert_int_equal(c.a, 0);
	assert_true(css_color_parse(sl_from_cstr("hsl(0, 100%, 50%)"), &c));
	assert_true(c.r == 255 && c.g == 0 && c.b == 0);
	assert_false(css_color_parse(sl_from_cstr("currentcolor"), &c));
	assert_false(css_color_parse(sl_from_cstr("var(--x)"), &c));
	/* WHATWG legacy colour: every string but "" and "transparent" is one. */
	assert_true(css_legacy_color_parse(sl_from_cstr("chucknorris"), &c));
	assert_true(c.r == 0xc0 && c.g == 0 && c.b == 0);
	assert_false(css_legacy_color_parse(sl_from_cstr("transparent"), &c));
	assert_true(css_color_in_shorthand(sl_from_cstr("url(x.png) no-repeat #000"), &c));
	assert_true(c.r == 0 && c.g == 0 && c.b == 0 && c.a == 255);

	struct css_color white = {255, 255, 255, 255}, black = {0, 0, 0, 255};
	struct css_color half = {0, 0, 0, 128};

	assert_int_equal(css_color_dist2(white, white), 0);
	assert_true(css_color_dist2(white, black) > CSS_INVISIBLE_DIST2);
	c = css_blend(half, white);
	assert_true(c.a == 255 && c.r > 100 && c.r < 160);
}

static struct css_sheet *
sheet(const char *text)
{
	struct css_sheet *s = css_sheet_new();

	assert_non_null(s);
	assert_int_equal(css_sheet_add(s, sl_from_cstr(text)), IG_OK);
	return s;
}

/* css_sheet.c */
static void
test_sheet_keeps(void **state)
{
	struct css_sheet *s;

	(void)state;
	css_sheet_free(NULL);
	s = sheet("p{display:none} .a,.b{color:red} div{margin-bottom:3px;cursor:pointer}");
	/* Two selectors of one rule are two rules; a block of irrelevant
	 * properties is not kept. */
	assert_int_equal(css_sheet_rules(s), 3);
	css_sheet_free(s);
	s = sheet("@font-face{font-family:x} @supports (display:grid){p{display:none}}");
	assert_int_equal(css_sheet_rules(s), 1);
	css_sheet_free(s);
}

/* css_select.c */
static void
test_select(void **state)
{
	struct css_sheet *s;
	struct css_decls d;
	struct css_elem div = {sl_from_cstr("div"), sl_from_cstr(""), sl_from_cstr("w x"), NULL};
	struct css_elem span = {sl_from_cstr("span"), sl_from_cstr(""), sl_from_cstr(""), &div};
	struct css_elem p = {sl_from_cstr("p"), sl_from_cstr("i"), sl_from_cstr("T"), &span};

	(void)state;
	s = sheet("div.w p.t{display:none} div>p{visibility:hidden} #i{color:red} p{color:blue}"
	          " a:hover{display:none} p::before{opacity:0}");
	/* The user-action state and the pseudo-element cannot hide text. */
	assert_int_equal(css_sheet_rules(s), 4);
	memset(&d, 0, sizeof(d));
	assert_true(css_sheet_match(s, &p, &d));
	/* Descendant combinator across span; class match is case-insensitive. */
	assert_true(slot_is(&d, CP_DISPLAY, "none"));
	/* Child combinator: p's parent is span, not div. */
	assert_false(d.s[CP_VISIBILITY].set);
	/* Specificity: the id rule beats the later type rule. */
	assert_true(slot_is(&d, CP_COLOR, "red"));
	memset(&d, 0, sizeof(d));
	assert_true(css_sheet_match(s, &span, &d));
	assert_false(d.s[CP_DISPLAY].set);
	css_sheet_free(s);
}

/* css_media.c */
static void
test_media(void **state)
{
	struct css_sheet *s;

	(void)state;
	s = sheet("@media screen{p{display:none}} @media all{p{opacity:0}}"
	          " @media{p{width:0}}");
	assert_int_equal(css_sheet_rules(s), 3);
	css_sheet_free(s);
	/* Outside html.c's per-viewport resolution a feature query applies
	 * when it matches in some viewport; other media types never. */
	s = sheet("@media (max-width:600px){p{display:none}} @media print{p{display:none}}"
	          " @media screen and (min-width:1px){p{display:none}} @media not all{p{top:0}}"
	          " @media (min-width:5000px){p{top:0}}");
	assert_int_equal(css_sheet_rules(s), 2);
	css_sheet_free(s);
}

/* css_media.c: the evaluator against the five viewports
 * (320x568 375x667 touch 2dppx; 600x800 800x600 1280x800). */
static unsigned
mq(const char *q)
{
	unsigned m = 99;

	assert_int_equal(css_media_eval(sl_from_cstr(q), &m), 0);
	return m;
}

static void
test_media_eval(void **state)
{
	(void)state;
	assert_int_equal(mq(""), 0x1f);
	assert_int_equal(mq("screen"), 0x1f);
	assert_int_equal(mq("all"), 0x1f);
	assert_int_equal(mq("print"), 0);
	assert_int_equal(mq("not print"), 0x1f);
	assert_int_equal(mq("only screen"), 0x1f);
	assert_int_equal(mq("tv, handheld"), 0);
	assert_int_equal(mq("print, screen"), 0x1f);
	/* width, min-/max-, ranges, units */
	assert_int_equal(mq("(min-width:0px)"), 0x1f);
	assert_int_equal(mq("(min-width:0)"), 0x1f);
	assert_int_equal(mq("(max-width:600px)"), 0x07);
	assert_int_equal(mq("only screen and (max-width:600px)"), 0x07);
	assert_int_equal(mq("screen and (max-device-width:480px)"), 0x03);
	assert_int_equal(mq("(width >= 600px)"), 0x1c);
	assert_int_equal(mq("(width > 600px)"), 0x18);
	assert_int_equal(mq("(600px <= width)"), 0x1c);
	assert_int_equal(mq("(375px <= width < 800px)"), 0x06);
	assert_int_equal(mq("(800px > width > 320px)"), 0x06);
	assert_int_equal(mq("(width: 375px)"), 0x02);
	assert_int_equal(mq("(min-width: 40em)"), 0x18);
	assert_int_equal(mq("(max-width: 100vw)"), 0x1f);
	assert_int_equal(mq("(height <= 640px)"), 0x09);
	assert_int_equal(mq("(width)"), 0x1f);
	/* and/or/not, nesting */
	assert_int_equal(mq("(min-width:375px) and (max-width:800px)"), 0x0e);
	assert_int_equal(mq("(max-width:320px) or (min-width:1280px)"), 0x11);
	assert_int_equal(mq("not (max-width:600px)"), 0x18);
	assert_int_equal(mq("not screen and (max-width:600px)"), 0x18);
	assert_int_equal(mq("screen and not (max-width:600px)"), 0x18);
	assert_int_equal(mq("((min-width:375px) and ((max-width:800px)))"), 0x0e);
	assert_int_equal(mq("(not (color)) or (orientation:landscape)"), 0x18);
	/* orientation, resolution, colour scheme, pointer */
	assert_int_equal(mq("(orientation:portrait)"), 0x07);
	assert_int_equal(mq("(min-resolution:2dppx)"), 0x03);
	assert_int_equal(mq("(-webkit-min-device-pixel-ratio:1.5)"), 0x03);
	assert_int_equal(mq("(-webkit-device-pixel-ratio:1)"), 0x1c);
	assert_int_equal(mq("(min-resolution:192dpi)"), 0x03);
	assert_int_equal(mq("(prefers-color-scheme:light)"), 0x1f);
	assert_int_equal(mq("(prefers-color-scheme:dark)"), 0);
	assert_int_equal(mq("(hover:none)"), 0x03);
	assert_int_equal(mq("(min-aspect-ratio:4/3)"), 0x18);
	assert_int_equal(mq("(aspect-ratio > 1)"), 0x18);
	assert_int_equal(mq("(color)"), 0x1f);
	assert_int_equal(mq("(monochrome)"), 0);
	/* unknown features and malformed queries: false, also under not */
	assert_int_equal(mq("(frobnicate:1)"), 0);
	assert_int_equal(mq("not (frobnicate:1)"), 0);
	assert_int_equal(mq("(frobnicate:1) or (min-width:0)"), 0x1f);
	assert_int_equal(mq("(min-width:600)"), 0);
	assert_int_equal(mq("(min-orientation:portrait)"), 0);
	assert_int_equal(mq("screen and(min-width:0)"), 0);
	assert_int_equal(mq("screen and (min-width:0) or (color)"), 0);
	assert_int_equal(mq("(min-width:0) and (color) or (grid)"), 0);
	assert_int_equal(mq("garbage{}, screen"), 0x1f);
	assert_int_equal(mq("only (min-width:0)"), 0);
	assert_int_equal(mq("(width < 600px < height)"), 0);
	assert_int_equal(mq("foo(bar), print"), 0);
	assert_int_equal(mq("(min-width:0"), 0);
}

/* Nesting over CSS_MQ_DEPTH is an error, never a silent "false"; resolve
 * rewrites every prelude for one viewport. */
static void
test_media_limits_resolve(void **state)
{
	char q[256];
	unsigned m, differ[CSS_MQ_VIEWPORTS] = {0};
	size_t n = 0, count = 0;
	struct buf out;

	(void)state;
	for (size_t i = 0; i < CSS_MQ_DEPTH + 2; i++)
		q[n++] = '(';
	memcpy(q + n, "color", 5);
	n += 5;
	for (size_t i = 0; i < CSS_MQ_DEPTH + 2; i++)
		q[n++] = ')';
	q[n] = '\0';
	assert_int_equal(css_media_eval(sl_from_cstr(q), &m), -1);
	assert_int_equal(css_media_scan(sl_from_cstr(q), differ, &count), 0); /* no @media */
	buf_init(&out, 4096);
	assert_int_equal(css_media_scan(sl_from_cstr("@media (max-width:600px){a{b:c}}"
	                                             "@media print{x{y:z}} @mediax{}"),
	                                differ, &count),
	                 0);
	assert_int_equal(count, 2);
	assert_int_equal(differ[0], 0x18); /* 320 differs from 800 and 1280 */
	css_media_resolve(sl_from_cstr("@media (max-width:600px){a{b:c}}@media print{x{}}"), 0,
	                  &out);
	assert_string_equal(out.p, "@media all {a{b:c}}@media not all {x{}}");
	buf_reset(&out);
	css_media_resolve(sl_from_cstr("@media (max-width:600px){a{b:c}}"), 4, &out);
	assert_string_equal(out.p, "@media not all {a{b:c}}");
	buf_free(&out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_normalize_and_decls),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_colors),
	    cmocka_unit_test(test_sheet_keeps),
	    cmocka_unit_test(test_select),
	    cmocka_unit_test(test_media),
	    cmocka_unit_test(test_media_eval),
	    cmocka_unit_test(test_media_limits_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
