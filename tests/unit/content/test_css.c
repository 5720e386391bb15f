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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gumbo.h>

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

	/* WCAG contrast against the oracle's 1.2 (docs/content.md) */
	struct css_color f0 = {0xf0, 0xf0, 0xf0, 255}, g99 = {0x99, 0x99, 0x99, 255};
	struct css_color g33 = {0x33, 0x33, 0x33, 255}, g22 = {0x22, 0x22, 0x22, 255};
	struct css_color e6 = {0xe6, 0xe6, 0xe6, 255}, navy = {0x11, 0x18, 0x27, 255};
	struct css_color black70 = {0, 0, 0, 179};

	assert_true(css_text_contrast(white, 1, white) < 1.0001);
	assert_true(css_text_contrast(black, 1, white) > 20.9);
	assert_true(css_text_contrast(f0, 1, white) < CSS_MIN_CONTRAST);     /* 1.14 */
	assert_true(css_text_contrast(g99, 1, white) > 2.8);                 /* footer grey */
	assert_true(css_text_contrast(e6, 1, white) >= CSS_MIN_CONTRAST);    /* 1.25 */
	assert_true(css_text_contrast(g33, 1, g22) >= CSS_MIN_CONTRAST);     /* 1.26 */
	assert_true(css_text_contrast(g33, 1, navy) >= CSS_MIN_CONTRAST);    /* 1.40 */
	assert_true(css_text_contrast(black70, 1, g22) >= CSS_MIN_CONTRAST); /* 1.24 */
	assert_true(css_text_contrast(black, 0.2, white) >= CSS_MIN_CONTRAST);
	assert_true(css_text_contrast(black, 0.05, white) < CSS_MIN_CONTRAST);
	assert_true(css_text_contrast(black, 0.0, white) < 1.0001);
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

/* css_select.c: elements come from a real gumbo tree, as in html.c. */

struct doc {
	GumboOutput *g;
	struct css_sheet *s;
};

static struct doc
doc_new(const char *css, const char *html)
{
	struct doc d = {gumbo_parse(html), sheet(css)};

	assert_non_null(d.g);
	return d;
}

static void
doc_free(struct doc *d)
{
	gumbo_destroy_output(&kGumboDefaultOptions, d->g);
	css_sheet_free(d->s);
}

/* The element with id="id" (document order, explicit stack). */
static const GumboNode *
by_id(const struct doc *d, const char *id)
{
	const GumboNode *stack[256];
	size_t n = 0;

	stack[n++] = d->g->root;
	while (n > 0) {
		const GumboNode *e = stack[--n];
		const GumboAttribute *a;

		if (e->type != GUMBO_NODE_ELEMENT)
			continue;
		a = gumbo_get_attribute(&e->v.element.attributes, "id");
		if (a != NULL && strcmp(a->value, id) == 0)
			return e;
		for (size_t i = e->v.element.children.length; i > 0 && n < 256; i--)
			stack[n++] = e->v.element.children.data[i - 1];
	}
	fail_msg("no element #%s", id);
	return NULL;
}

static struct css_decls
decls_of(struct doc *d, const char *id)
{
	const GumboNode *e = by_id(d, id);
	const GumboAttribute *a = gumbo_get_attribute(&e->v.element.attributes, "class");
	struct css_elem ce = {sl_from_cstr(gumbo_normalized_tagname(e->v.element.tag)),
	                      sl_from_cstr(id), a != NULL ? sl_from_cstr(a->value) : sl_from_cstr(""),
	                      NULL, e};
	struct css_decls out;

	if (e->v.element.tag == GUMBO_TAG_UNKNOWN)
		ce.tag = sl_from_cstr("x-unknown");
	memset(&out, 0, sizeof(out));
	assert_true(css_sheet_match(d->s, &ce, &out));
	return out;
}

/* Does css (rules with display:none) hide the element with that id? */
static bool
hidden(struct doc *d, const char *id)
{
	struct css_decls x = decls_of(d, id);

	return slot_is(&x, CP_DISPLAY, "none");
}

/* Checks that exactly the ids in yes (space separated) are hidden among
 * those of all. */
static void
check_hidden(const char *css, const char *html, const char *all, const char *yes)
{
	struct doc d = doc_new(css, html);
	char buf[512], want[520];
	char *save = NULL;

	(void)snprintf(buf, sizeof(buf), "%s", all);
	(void)snprintf(want, sizeof(want), " %s ", yes);
	for (char *id = strtok_r(buf, " ", &save); id != NULL; id = strtok_r(NULL, " ", &save)) {
		char key[64];
		bool exp;

		(void)snprintf(key, sizeof(key), " %s ", id);
		exp = strstr(want, key) != NULL;
		if (hidden(&d, id) != exp)
			fail_msg("%s: #%s should%s be hidden", css, id, exp ? "" : " not");
	}
	doc_free(&d);
}

static void
test_select(void **state)
{
	struct doc d;
	struct css_decls x;

	(void)state;
	d = doc_new("div.w p.t{display:none} div>p{visibility:hidden} #i{color:red} p{color:blue}"
	            " a:hover{display:none} p::before{opacity:0}",
	            "<div class='w x' id=d><span id=s><p id=i class=T>t</p></span></div>");
	/* The user-action state and the pseudo-element cannot hide text: valid,
	 * not kept. */
	assert_int_equal(css_sheet_rules(d.s), 4);
	assert_int_equal(css_sheet_unsupported(d.s), 0);
	x = decls_of(&d, "i");
	/* Descendant combinator across span; class match is case-insensitive
	 * in quirks mode (no doctype). */
	assert_true(slot_is(&x, CP_DISPLAY, "none"));
	/* Child combinator: p's parent is span, not div. */
	assert_false(x.s[CP_VISIBILITY].set);
	/* Specificity: the id rule beats the later type rule. */
	assert_true(slot_is(&x, CP_COLOR, "red"));
	x = decls_of(&d, "s");
	assert_false(x.s[CP_DISPLAY].set);
	/* Without a tree node nothing matches. */
	{
		struct css_elem ce = {sl_from_cstr("p"), sl_from_cstr("i"), sl_from_cstr("t"),
		                      NULL, NULL};

		memset(&x, 0, sizeof(x));
		assert_true(css_sheet_match(d.s, &ce, &x));
		assert_false(x.s[CP_DISPLAY].set);
	}
	doc_free(&d);
	/* Standards mode: class and id are case-sensitive. */
	check_hidden(".T{display:none} #B{display:none}",
	             "<!DOCTYPE html><p id=a class=t>x</p><p id=B>y</p><p id=b>z</p>", "a B b", "B");
	check_hidden(".T{display:none}", "<p id=a class=t>x</p>", "a", "a");
	/* Type selectors are case-insensitive; universal and namespaces. */
	check_hidden("P{display:none}", "<p id=a>x</p><div id=b></div>", "a b", "a");
	check_hidden("*|p{display:none} |div{display:none}", "<p id=a>x</p><div id=b></div>", "a b",
	             "a");
	check_hidden("div *{display:none}", "<div id=a><p id=b>x</p></div>", "a b", "b");
	check_hidden("*|*.k{display:none}", "<p id=a class=k>x</p><p id=b>y</p>", "a b", "a");
	/* An undeclared namespace prefix is invalid: the rule is dropped. */
	check_hidden("ns|p{display:none}", "<p id=a>x</p>", "a", "");
}

static void
test_select_attributes(void **state)
{
	const char *html = "<p id=a data-role='meta info' lang=en-US title=Hello>x</p>"
	                   "<p id=b data-role='metadata' lang=en title='hello world'>y</p>"
	                   "<p id=c data-role='' lang=english type=TEXT>z</p>"
	                   "<p id=d>w</p>";
	const char *all = "a b c d";

	(void)state;
	check_hidden("[data-role]{display:none}", html, all, "a b c");
	check_hidden("[DATA-ROLE]{display:none}", html, all, "a b c");
	check_hidden("[data-role=metadata]{display:none}", html, all, "b");
	check_hidden("[data-role=\"\"]{display:none}", html, all, "c");
	check_hidden("[data-role~=\"meta\"]{display:none}", html, all, "a");
	check_hidden("[data-role~='']{display:none} [title~='hello world']{display:none}", html, all,
	             "");
	check_hidden("[lang|=en]{display:none}", html, all, "a b");
	check_hidden("[title^=Hel]{display:none}", html, all, "a");
	check_hidden("[title^=hel i]{display:none}", html, all, "a b");
	check_hidden("[title$=lo]{display:none}", html, all, "a");
	check_hidden("[title$=LO i]{display:none}", html, all, "a");
	check_hidden("[title*=\"lo w\"]{display:none}", html, all, "b");
	check_hidden("[title*='' ]{display:none} [title^='']{display:none} [title$=\"\"]{display:none}",
	             html, all, "");
	check_hidden("[title=hello]{display:none}", html, all, "");
	check_hidden("[title=HELLO I]{display:none}", html, all, "a");
	/* type= is in HTML's list of case-insensitive attribute values; data-*
	 * is not. The s flag is invalid in Chromium and WebKit (only Firefox
	 * takes it): the rule is dropped there, so here too, and counted. */
	check_hidden("[type=text]{display:none}", html, all, "c");
	check_hidden("[type=text s]{display:none}", html, all, "");
	check_hidden("[type=TEXT s], #d{display:none}", html, all, "");
	check_hidden("[data-role=METADATA]{display:none}", html, all, "");
	/* white space inside the brackets, the *| and | namespace forms */
	check_hidden("[ title = Hello ]{display:none} [*|lang=en]{display:none}"
	             " [|data-role=\"\"]{display:none}",
	             html, all, "a b c");
	/* invalid: no value, unknown flag, bad operator, unclosed */
	check_hidden("[title=]{display:none}", html, all, "");
	check_hidden("[title=a x]{display:none}", html, all, "");
	check_hidden("[title==a]{display:none}", html, all, "");
	check_hidden("[title{display:none}", html, all, "");
	check_hidden("[x|title]{display:none}", html, all, "");
	/* a tag, then attributes */
	check_hidden("div[data-track=\"open\"]{display:none}",
	             "<div id=a data-track=open>x</div><div id=b data-track=closed>y</div>"
	             "<p id=c data-track=open>z</p>",
	             "a b c", "a");
}

static void
test_select_escapes(void **state)
{
	const char *html = "<!DOCTYPE html><p id=a class='10'>x</p><p id='a:b' class='x.y'>y</p>"
	                   "<p id=c class='\xc3\xa9t\xc3\xa9' title='a\"b'>z</p><p id=d class=A>w</p>";
	const char *all = "a a:b c d";

	(void)state;
	check_hidden(".\\31 0{display:none}", html, all, "a");
	check_hidden(".\\31\n0{display:none}", html, all, "a");
	check_hidden("#a\\:b{display:none} .x\\.y{display:none}", html, all, "a:b");
	check_hidden(".\\e9t\\E9 {display:none}", html, all, "c");
	check_hidden(".\xc3\xa9t\xc3\xa9{display:none}", html, all, "c");
	check_hidden("[title=\"a\\\"b\"]{display:none}", html, all, "c");
	check_hidden("[title='a\\22 b']{display:none}", html, all, "c");
	check_hidden("[class=\"1\\\n0\"]{display:none}", html, all, "a");
	/* an escape keeps its case: .\41 is "A", and .a is not .A here */
	check_hidden(".\\41{display:none}", html, all, "d");
	check_hidden(".a{display:none}", html, all, "");
	/* invalid: a class or id that is not an identifier, a bad string */
	check_hidden(".10{display:none}", html, all, "");
	check_hidden("#1a{display:none}", html, all, "");
	check_hidden("[title='a\nb']{display:none}", html, all, "");
	/* comments inside a selector */
	check_hidden("p/* c */#a{display:none}", html, all, "a");
	check_hidden("div/**/ /**/.A{display:none}", "<div><p id=x class=A>y</p></div>", "x", "x");
}

static void
test_select_logical(void **state)
{
	const char *html = "<div class=body id=body><p id=a class=keep>1</p><p id=b>2</p>"
	                   "<div id=c><span id=d class=k>3</span></div><p id=e class='x y'>4</p>"
	                   "</div><section id=f><h2 id=g>t</h2></section>";
	const char *all = "body a b c d e f g";

	(void)state;
	check_hidden(".body p:not(.keep){display:none}", html, all, "b e");
	check_hidden("p:not(.keep, .x){display:none}", html, all, "b");
	check_hidden(":not(div):not(p):not(html):not(body):not(head){display:none}", html, all,
	             "d f g");
	check_hidden("p:not(div .k){display:none} span:not(div .k){display:none}", html, all,
	             "a b e");
	check_hidden(":is(#a, #b){display:none}", html, all, "a b");
	check_hidden(":is(section, .body) > :is(h2, .keep){display:none}", html, all, "a g");
	check_hidden(":where(#c, #f) *{display:none}", html, all, "d g");
	check_hidden(":where(.nothing) p{display:none}", html, all, "");
	/* forgiving: an invalid member of :is()/:where() is left out */
	check_hidden(":is(:unknown-thing, #a){display:none} :where(::before, #b){display:none}",
	             html, all, "a b");
	check_hidden(":is(){display:none}", html, all, "");
	/* :not() is not forgiving */
	check_hidden("p:not(:unknown-thing){display:none}", html, all, "");
	/* nesting */
	check_hidden(":is(div:not(:is(.body)) span){display:none}", html, all, "d");
	check_hidden("p:not(:is(.keep, :where(.y))){display:none}", html, all, "b");
	/* :has() with every leading combinator */
	check_hidden("div:has(.k){display:none}", html, all, "body c");
	check_hidden("div:has(> .k){display:none}", html, all, "c");
	check_hidden("p:has(+ div){display:none}", html, all, "b");
	check_hidden("p:has(~ .x){display:none}", html, all, "a b");
	check_hidden("p:has(~ div .k){display:none}", html, all, "a b");
	check_hidden("section:has(h2, .nothing){display:none}", html, all, "f");
	check_hidden("*:has(:not(p):not(div)){display:none}", html, all, "body c f");
	check_hidden(":has(){display:none}", html, all, "");
	/* :has() cannot nest (Chromium drops the rule); inside :is() the
	 * forgiving list leaves it out */
	check_hidden("div:has(:has(span)){display:none}", html, all, "");
	check_hidden("div:has(:is(:has(span), .k)){display:none}", html, all, "body c");
	check_hidden("p:has(::before){display:none}", html, all, "");
}

static void
test_select_structural(void **state)
{
	const char *html = "<div id=r><p id=p1>1</p><span id=s1></span><p id=p2>2</p>"
	                   "<p id=p3><!-- c --></p><span id=s2> </span><p id=p4>4</p></div>"
	                   "<ul id=u><li id=only>o</li></ul>";
	const char *all = "r p1 s1 p2 p3 s2 p4 u only";

	(void)state;
	check_hidden("#r > :first-child{display:none}", html, all, "p1");
	check_hidden("#r > :last-child{display:none}", html, all, "p4");
	check_hidden(":only-child{display:none}", html, all, "only");
	check_hidden("#r > :first-of-type{display:none}", html, all, "p1 s1");
	check_hidden("#r > :last-of-type{display:none}", html, all, "s2 p4");
	check_hidden(":only-of-type{display:none}", html, all, "r u only");
	check_hidden("#r > :nth-child(2){display:none}", html, all, "s1");
	check_hidden("#r > :nth-child(odd){display:none}", html, all, "p1 p2 s2");
	check_hidden("#r > :nth-child(EVEN){display:none}", html, all, "s1 p3 p4");
	check_hidden("#r > :nth-child(2n+1){display:none}", html, all, "p1 p2 s2");
	check_hidden("#r > :nth-child( 3n - 1 ){display:none}", html, all, "s1 s2");
	check_hidden("#r > :nth-child(-n+2){display:none}", html, all, "p1 s1");
	check_hidden("#r > :nth-child(n+5){display:none}", html, all, "s2 p4");
	check_hidden("#r > :nth-child(0n+3){display:none}", html, all, "p2");
	check_hidden("#r > :nth-child(-2){display:none}", html, all, "");
	check_hidden("#r > :nth-last-child(1){display:none}", html, all, "p4");
	check_hidden("#r > :nth-last-child(-n+2){display:none}", html, all, "s2 p4");
	check_hidden("#r > :nth-of-type(2){display:none}", html, all, "s2 p2");
	check_hidden("#r > :nth-last-of-type(1){display:none}", html, all, "s2 p4");
	check_hidden("#r > :nth-child(2 of p){display:none}", html, all, "p2");
	check_hidden("#r > :nth-last-child(odd of p, #s2){display:none}", html, all, "p3 p1 p4");
	check_hidden(":root{display:none}", html, all, "");
	check_hidden(":root > body > div{display:none} html:root{color:red}", html, all, "r");
	/* :empty: comments do not count, white space does */
	check_hidden(":empty{display:none}", html, all, "s1 p3");
	/* invalid An+B */
	check_hidden(":nth-child(2 n){display:none}", html, all, "");
	check_hidden(":nth-child(+ 2n){display:none}", html, all, "");
	check_hidden(":nth-child(2n 1){display:none}", html, all, "");
	check_hidden(":nth-child(){display:none}", html, all, "");
	check_hidden(":nth-of-type(1 of p){display:none}", html, all, "");
	check_hidden(":first-child(){display:none}", html, all, "");
}

static void
test_select_states(void **state)
{
	const char *html = "<a id=l href='https://x.test/'>l</a><a id=n name=x>n</a>"
	                   "<details id=det open><summary id=sum>s</summary></details>"
	                   "<div id=ce contenteditable><p id=cep>e</p></div><p id=p lang=de-AT>x</p>"
	                   "<my-el id=cu>c</my-el><div dir=rtl><p id=rtl>r</p></div>";
	const char *all = "l n det sum ce cep p cu rtl";

	(void)state;
	/* a static rendering: no pointer, focus, history, target, form state */
	check_hidden(":hover{display:none} :focus{display:none} :active{display:none}"
	             " :visited{display:none} :target{display:none} :checked{display:none}"
	             " :focus-within{display:none} :focus-visible{display:none}",
	             html, all, "");
	check_hidden("a:link{display:none}", html, all, "l");
	check_hidden(":any-link{display:none}", html, all, "l");
	check_hidden(":open{display:none}", html, all, "det");
	check_hidden(":read-write{display:none}", html, all, "ce cep");
	check_hidden("p:read-only{display:none}", html, all, "p rtl");
	check_hidden(":lang(de){display:none}", html, all, "p");
	check_hidden(":lang(\"fr\", de-AT){display:none}", html, all, "p");
	check_hidden(":dir(rtl){display:none}", html, all, "rtl");
	check_hidden(":not(:defined){display:none}", html, all, "cu");
	check_hidden("p:hover, #p{display:none}", html, all, "p");
}

static void
test_select_combinators(void **state)
{
	const char *html = "<div id=a class=x><div id=b><p id=c class=x>1</p><p id=d>2</p>"
	                   "<span id=e>3</span><p id=f>4</p></div></div>";
	const char *all = "a b c d e f";

	(void)state;
	check_hidden(".x p{display:none}", html, all, "c d f");
	check_hidden(".x > p{display:none}", html, all, "");
	check_hidden(".x>div>p{display:none}", html, all, "c d f");
	check_hidden("p + p{display:none}", html, all, "d");
	check_hidden("p+span{display:none}", html, all, "e");
	check_hidden(".x ~ p{display:none}", html, all, "d f");
	check_hidden(".x~*{display:none}", html, all, "d e f");
	check_hidden("div.x div > .x + p ~ p{display:none}", html, all, "f");
	/* backtracking: the first .x ancestor found is not the one that fits */
	check_hidden(".x > div p{display:none}", html, all, "c d f");
	check_hidden("div div div p{display:none}", html, all, "");
	/* invalid: dangling or doubled combinators, empty members */
	check_hidden("p >{display:none}", html, all, "");
	check_hidden("> p{display:none}", html, all, "");
	check_hidden("p > > p{display:none}", html, all, "");
	check_hidden("p,,span{display:none}", html, all, "");
	check_hidden("p,{display:none}", html, all, "");
	check_hidden("{display:none}", html, all, "");
}

static void
test_select_specificity(void **state)
{
	struct doc d;
	struct css_decls x;
	const char *html = "<div id=w class=c><p id=p class='a b'>x</p></div>";

	(void)state;
	/* :where() adds nothing: the later type rule wins */
	d = doc_new(":where(#w) p{color:red} p{color:blue}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "blue"));
	doc_free(&d);
	/* :is() takes its most specific member, matched or not */
	d = doc_new(":is(p, #nothing){color:red} .a.b{color:blue}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "red"));
	doc_free(&d);
	/* :not() likewise; (1,0,1) beats (0,2,1) */
	d = doc_new("p:not(#zz){color:red} p.a.b{color:blue}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "red"));
	doc_free(&d);
	/* :has() likewise; :nth-child(... of S) is a class plus S */
	d = doc_new("div:has(#p){color:red} #w{color:blue}", html);
	x = decls_of(&d, "w");
	assert_true(slot_is(&x, CP_COLOR, "red"));
	doc_free(&d);
	d = doc_new(":nth-child(1 of .a){color:red} p.a.b{color:blue}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "blue"));
	doc_free(&d);
	d = doc_new(":nth-child(1 of #p){color:red} p.a.b{color:blue}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "red"));
	doc_free(&d);
	/* attribute and pseudo-class count as classes; equal: source order */
	d = doc_new("[id=p]{color:red} .a{color:blue} :first-child{opacity:0} .b{opacity:1}",
	            html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "blue"));
	assert_true(slot_is(&x, CP_OPACITY, "1"));
	doc_free(&d);
	/* !important beats specificity; a selector list gives each member
	 * its own specificity */
	d = doc_new("p{color:red !important} #p{color:blue} #p, p{opacity:0} .a{opacity:1}", html);
	x = decls_of(&d, "p");
	assert_true(slot_is(&x, CP_COLOR, "red"));
	assert_true(slot_is(&x, CP_OPACITY, "0"));
	doc_free(&d);
}

static void
test_select_invalid_drops_rule(void **state)
{
	struct doc d;
	const char *html = "<p id=p>x</p><span id=s>y</span>";

	(void)state;
	/* One bad member drops the whole list, and is counted once. */
	d = doc_new("p, span:unknown-pseudo{display:none} span{opacity:0}", html);
	assert_false(hidden(&d, "p"));
	assert_false(hidden(&d, "s"));
	assert_int_equal(css_sheet_rules(d.s), 1);
	assert_int_equal(css_sheet_unsupported(d.s), 1);
	doc_free(&d);
	/* Rules that could not hide anything are never counted. */
	d = doc_new("p:unknown{cursor:pointer} p::-moz-thing{margin-bottom:0}", html);
	assert_int_equal(css_sheet_unsupported(d.s), 0);
	doc_free(&d);
	/* Pseudo-elements: ::before/::after style generated content only; the
	 * element itself is not hidden; ::first-line is not modelled: not
	 * applied, counted. Other members of the list still apply. */
	d = doc_new("p::before, span{display:none} p:after{display:none}"
	            " p::first-line{color:white} p::-webkit-scrollbar{display:none}",
	            html);
	assert_false(hidden(&d, "p"));
	assert_true(hidden(&d, "s"));
	assert_int_equal(css_sheet_unsupported(d.s), 1);
	doc_free(&d);
	/* Nesting past LIM_CSS_SEL_NEST is not forgiven by :is(): dropped and
	 * counted, never silently changed into something else. */
	d = doc_new(":is(:is(:is(:is(:is(:is(:is(p))))))){display:none}"
	            " :is(:is(:is(:is(:is(:is(span)))))){display:none}",
	            html);
	assert_false(hidden(&d, "p"));
	assert_true(hidden(&d, "s"));
	assert_int_equal(css_sheet_unsupported(d.s), 1);
	doc_free(&d);
	/* A pseudo-element must end the selector. */
	check_hidden("p::before span{display:none} p::before.x{display:none} ::nope{display:none}",
	             html, "p s", "");
	/* A stray brace at the top level joins the next prelude: that rule is
	 * invalid and dropped, the one after it is read. */
	check_hidden("p{color:red}} span{display:none} p{display:none}", html, "p s", "p");
	/* Braces and quotes inside strings and comments do not end a block. */
	check_hidden("[title='}']{display:none} /* } */ p{display:none}", html, "p s", "p");
	check_hidden("p{content:'}'; display:none}", html, "p s", "p");
	/* @media and @supports blocks still nest */
	check_hidden("@media screen{p:unknown{x:y} p{display:none}} @supports (a:b){span{display:none}}",
	             html, "p s", "p s");
}

/* The four examples of issue 14. */
static void
test_select_issue14(void **state)
{
	const char *html = "<div class=body id=body><p id=m data-role='meta x'>meta</p>"
	                   "<p id=t>amount: 12.40 EUR</p><div id=o data-track=open>o</div>"
	                   "<div id=n>n</div><p id=k class=keep>k</p></div>";
	const char *all = "body m t o n k";

	(void)state;
	check_hidden("[data-role~=\"meta\"]{display:none}", html, all, "m");
	check_hidden("div[data-track=\"open\"]{display:none}", html, all, "o");
	check_hidden(":where(.nothing){display:none} :where(#n){display:none}", html, all, "n");
	check_hidden(".body p:not(.keep){display:none}", html, all, "m t");
}

/* :has() and long lists stay inside the matching budget. */
static void
test_select_budget(void **state)
{
	struct css_sheet *s;
	GumboOutput *g;
	char *html = malloc(200000), *css = malloc(200000);
	size_t n = 0;
	bool ok = true;

	(void)state;
	assert_non_null(html);
	assert_non_null(css);
	for (int i = 0; i < 3000; i++)
		n += (size_t)snprintf(html + n, 200000 - n, "<div>");
	(void)snprintf(html + n, 200000 - n, "<p>x</p>");
	(void)snprintf(css, 200000, "div:has(span ~ div div){display:none}");
	s = sheet(css);
	g = gumbo_parse(html);
	/* Walk the nested divs: some element runs the budget out. */
	const GumboNode *e = g->root;

	while (ok && e != NULL) {
		struct css_elem ce = {sl_from_cstr(gumbo_normalized_tagname(e->v.element.tag)),
		                      sl_from_cstr(""), sl_from_cstr(""), NULL, e};
		struct css_decls d;
		const GumboVector *ch = &e->v.element.children;

		memset(&d, 0, sizeof(d));
		ok = css_sheet_match(s, &ce, &d);
		e = NULL;
		for (size_t i = 0; i < ch->length; i++) /* the last: body, not head */
			if (((const GumboNode *)ch->data[i])->type == GUMBO_NODE_ELEMENT)
				e = ch->data[i];
	}
	assert_false(ok);
	gumbo_destroy_output(&kGumboDefaultOptions, g);
	css_sheet_free(s);
	free(html);
	free(css);
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
	/* the text as written: capitals and escapes stay, comments and strings
	 * are not searched, the prelude is normalized to be evaluated */
	buf_reset(&out);
	css_media_resolve(sl_from_cstr("/*@media x{*/[t=\"@media y\"]{}@MEDIA /*c*/ (MAX-WIDTH:"
	                               "600PX){.A\\:b{b:c}}"),
	                  0, &out);
	assert_string_equal(out.p, "/*@media x{*/[t=\"@media y\"]{}@MEDIA all {.A\\:b{b:c}}");
	count = 0;
	assert_int_equal(css_media_scan(sl_from_cstr("/*@media print{*/'@media print{'@Media "
	                                             "PRINT{}"),
	                                differ, &count),
	                 0);
	assert_int_equal(count, 1);
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
	    cmocka_unit_test(test_select_attributes),
	    cmocka_unit_test(test_select_escapes),
	    cmocka_unit_test(test_select_logical),
	    cmocka_unit_test(test_select_structural),
	    cmocka_unit_test(test_select_states),
	    cmocka_unit_test(test_select_combinators),
	    cmocka_unit_test(test_select_specificity),
	    cmocka_unit_test(test_select_invalid_drops_rule),
	    cmocka_unit_test(test_select_issue14),
	    cmocka_unit_test(test_select_budget),
	    cmocka_unit_test(test_media),
	    cmocka_unit_test(test_media_eval),
	    cmocka_unit_test(test_media_limits_resolve),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
