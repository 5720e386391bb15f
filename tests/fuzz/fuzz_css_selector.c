/* libFuzzer target for content/css_select.c and the selector side of
 * content/css_sheet.c. The input is a selector X, optionally followed by a
 * NUL byte and an HTML document (otherwise a fixed document with varied
 * attributes, siblings and nesting is used). Checks, besides memory safety
 * and the matching budget:
 *  - "X{display:none}" and ":not(X){display:none}" split the elements: when
 *    both rules are kept (X valid, no pseudo-element, not a never-matching
 *    state) every element is hidden by exactly one of them;
 *  - ":is(X)" hides the same elements as X.
 * Bytes that would end the rule ('{', '}', ';') are mapped to spaces. */
#include <gumbo.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "content/css.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEL 4096
#define MAX_NODES 4096
#define MAX_HTML 16384

static const char fixed_html[] =
    "<!DOCTYPE html><html lang=en><body class='body Main' id=top>"
    "<div id=a class='x y' data-role='meta info' title=Hello dir=rtl>"
    "<p id=b class=keep lang=de-AT>one</p><p id=c data-track=open>two</p>"
    "<span id=d class=X></span><p id=e><!-- c --></p><a id=f href='https://e.test/'>l</a>"
    "<ul id=g><li id=h>i</li><li id=i class='x'>j</li><li id=j type=A>k</li></ul></div>"
    "<table id=k><tr><td id=l>1</td><td id=m colspan=2>2</td></tr></table>"
    "<section id=n><h2 id=o>t</h2><details id=p open><summary>s</summary>d</details>"
    "<my-el id=q data-x='a-b c'>c</my-el><div id=r contenteditable><b id=s>e</b></div>"
    "</section><svg id=t><rect id=u></rect></svg></body></html>";

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static struct css_sheet *
sheet_of(const char *pre, const char *sel, size_t n, const char *post)
{
	struct css_sheet *s = css_sheet_new();
	struct buf b;

	if (s == NULL)
		abort();
	buf_init(&b, (size_t)3 * MAX_SEL);
	buf_puts(&b, pre);
	buf_append(&b, sel, n);
	buf_puts(&b, post);
	buf_puts(&b, "{display:none}");
	if (buf_err(&b) != IG_OK || css_sheet_add(s, buf_slice(&b)) != IG_OK) {
		css_sheet_free(s);
		s = NULL;
	}
	buf_free(&b);
	return s;
}

/* 1 hidden, 0 not, -1 budget out. */
static int
hides(struct css_sheet *s, const GumboNode *n)
{
	const GumboAttribute *id = gumbo_get_attribute(&n->v.element.attributes, "id");
	const GumboAttribute *cl = gumbo_get_attribute(&n->v.element.attributes, "class");
	const char *tag = n->v.element.tag == GUMBO_TAG_UNKNOWN
	                      ? "x-unknown"
	                      : gumbo_normalized_tagname(n->v.element.tag);
	struct css_elem e = {sl_from_cstr(tag),
	                     id != NULL ? sl_from_cstr(id->value) : sl_from_cstr(""),
	                     cl != NULL ? sl_from_cstr(cl->value) : sl_from_cstr(""), NULL, n};
	struct css_decls d;

	memset(&d, 0, sizeof(d));
	if (!css_sheet_match(s, &e, &d))
		return -1;
	return d.s[CP_DISPLAY].set;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char sel[MAX_SEL];
	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul != NULL ? (size_t)(nul - data) : size;
	struct css_sheet *plain = NULL, *neg = NULL, *is = NULL;
	const GumboNode *stack[MAX_NODES];
	size_t sp = 0, seen = 0;
	GumboOutput *g;
	char *html;

	if (n > MAX_SEL)
		n = MAX_SEL;
	for (size_t i = 0; i < n; i++) {
		sel[i] = (char)data[i];
		if (sel[i] == '{' || sel[i] == '}' || sel[i] == ';')
			sel[i] = ' ';
	}
	if (nul != NULL) {
		size_t hl = size - n - 1;

		if (hl > MAX_HTML)
			hl = MAX_HTML; /* gumbo's tree destructor recurses: keep it shallow */

		html = malloc(hl + 1);
		if (html == NULL)
			return 0;
		memcpy(html, nul + 1, hl);
		html[hl] = '\0';
	} else {
		html = strdup(fixed_html);
		if (html == NULL)
			return 0;
	}
	plain = sheet_of("", sel, n, "");
	neg = sheet_of(":not(", sel, n, ")");
	is = sheet_of(":is(", sel, n, ")");
	g = gumbo_parse(html);
	if (g == NULL || plain == NULL)
		goto out;
	/* At the top of a sheet a leading CDO/CDC is skipped, inside :not()
	 * it is invalid: such inputs are only run, not compared. */
	size_t lead = 0;

	while (lead < n) {
		if (is_space(sel[lead])) {
			lead++;
		} else if (lead + 1 < n && sel[lead] == '/' && sel[lead + 1] == '*') {
			const char *e = lead + 2 < n ? memmem(sel + lead + 2, n - lead - 2, "*/", 2) : NULL;

			lead = e != NULL ? (size_t)(e - sel) + 2 : n;
		} else {
			break;
		}
	}
	bool cdo = (n - lead >= 3 && memcmp(sel + lead, "-->", 3) == 0) ||
	           (n - lead >= 4 && memcmp(sel + lead, "<!--", 4) == 0);
	bool compare = !cdo && css_sheet_rules(plain) > 0 && css_sheet_unsupported(plain) == 0;
	bool cmp_neg =
	    compare && neg != NULL && css_sheet_rules(neg) > 0 && css_sheet_unsupported(neg) == 0;
	bool cmp_is =
	    compare && is != NULL && css_sheet_rules(is) > 0 && css_sheet_unsupported(is) == 0;

	stack[sp++] = g->root;
	while (sp > 0 && seen++ < MAX_NODES) {
		const GumboNode *e = stack[--sp];
		int a, b;

		if (e->type != GUMBO_NODE_ELEMENT)
			continue;
		a = hides(plain, e);
		if (cmp_neg && a >= 0 && (b = hides(neg, e)) >= 0 && a == b)
			abort();
		if (cmp_is && a >= 0 && (b = hides(is, e)) >= 0 && a != b)
			abort();
		for (size_t i = e->v.element.children.length; i > 0 && sp < MAX_NODES; i--)
			stack[sp++] = e->v.element.children.data[i - 1];
	}
out:
	if (g != NULL)
		gumbo_destroy_output(&kGumboDefaultOptions, g);
	css_sheet_free(plain);
	css_sheet_free(neg);
	css_sheet_free(is);
	free(html);
	return 0;
}
