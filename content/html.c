/* HTML mail → the text a human sees, and a sanitized HTML subset.
 *
 * Standards: WHATWG HTML (parsing through gumbo's HTML5 tokenizer and tree
 * builder so the tree is the one a browser builds; the UA stylesheet's
 * display:none elements; "rules for parsing a legacy colour value"; the
 * hidden attribute), CSS 2.1 (visual formatting: block boxes, whitespace
 * collapsing in normal flow, visibility inheritance, the cascade), CSS Color
 * Level 4 (see css.c), RFC 3986 (absolute URLs in href).
 *
 * Threat (DESIGN §2): a crafted mail hides instructions from the human and
 * shows them to the agent. So every construct a browser would not paint is
 * dropped and reported, and where the rules are ambiguous the renderer errs
 * towards dropping. The tree is walked with explicit stacks (gumbo's own
 * tree destructor is recursive, so the tree is freed through a tracking
 * allocator instead), every loop is bounded by the LIM_HTML_* and LIM_CSS_*
 * caps, and gumbo's memory is capped by that allocator, which longjmps out
 * of the parser when the cap is reached (gumbo cannot handle NULL).
 *
 * This file holds the walk over the tree and the entry points. Beside it:
 * html_tree.c (gumbo memory, tree helpers, element classes), html_style.c
 * (hidden-content methods and the per-element computed state), html_link.c
 * (href classification, link-text domain checks), html_out.c (the text and
 * sanitized-HTML writer). */
#include "content/html.h"

#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/css.h"
#include "content/html_int.h"

#define LOC_HTML "body.html"

/* enum hmethod (html_int.h) as named in warnings. */
static const char *const hmethod_names[HM_COUNT_] = {
    "display_none",
    "visibility_hidden",
    "opacity",
    "font_size",
    "hidden_attribute",
    "mso_hide",
    "zero_size",
    "offscreen",
    "text_indent",
    "clip",
    "transform",
    "color_match",
    "transparent_text",
    "content_visibility",
    "dialog_closed",
    "details_closed",
    "line_height",
    "unevaluable_color",
    "hidden_some_viewports",
    "font_size_raised",
};

/* ---- the walk ------------------------------------------------------------------ */

struct frame {
	const GumboNode *node;
	size_t next;                        /* next child to visit */
	struct istate is[CSS_MQ_VIEWPORTS]; /* per viewport class */
	unsigned hid;                       /* viewport classes in which this subtree is hidden */
	unsigned hmeth;                     /* enum hmethod bits that hid it there */
	struct css_elem ce;
	enum ekind kind;
	unsigned ol_n; /* list: next number (ol) */
	bool ordered;
	bool cell_seen;      /* tr: a cell was opened already */
	bool details_closed; /* <details> without open: only its first <summary> shows */
	bool summary_seen;
	bool link; /* a with href */
	bool mso;  /* inside mso-hide:all: hidden in Outlook only (kept, reported) */
	/* Per viewport class: an inline box with a large negative left margin
	 * pulled the rest of this block container's current line off the page
	 * (html_pulls_line); cleared at the next <br> or block boundary. */
	unsigned line_off;
	/* Per viewport class: the stack index of the frame whose line this
	 * element's inline content is on (itself when its box is not inline) */
	unsigned short holder[CSS_MQ_VIEWPORTS];
	enum href_kind hk;
	struct slice href, host;
	size_t link_start;   /* output length when the link opened */
	const char *san_tag; /* html_sanitize: the tag emitted, to close it */
	char tagbuf[32];
};

struct walker {
	struct writer w;
	struct html_base base; /* <base href>, and the hrefs resolved against it */
	/* One stylesheet per viewport class: viewports that no media query of
	 * the message tells apart share a class (most mail has one). */
	struct css_sheet *sheets[CSS_MQ_VIEWPORTS];
	unsigned nclass;
	unsigned allc;                       /* (1 << nclass) - 1 */
	unsigned class_vp[CSS_MQ_VIEWPORTS]; /* a viewport of each class */
	const GumboNode **styles;            /* <style> elements, document order */
	size_t nstyles, styles_cap;
	struct html_stats st;
	struct frame *stack;
	size_t depth;
	struct buf scratch; /* normalized style="" of the current element */
	size_t nodes;
	unsigned hidden; /* bitmask of enum hmethod seen with text */
	size_t list_depth;
	size_t cdata_depth; /* frame index under which a CDATA run is being dropped */
	bool cdata_skip;
	bool cdata_seen;
	bool sanitize;
	bool budget_out;
	enum ig_err css_err; /* a <style> block did not fit its caps */
};

static void
prepass(struct walker *k, const GumboNode *root)
{
	const GumboNode *n = root;

	while (n != NULL) {
		bool skip = false;

		if (n->type == GUMBO_NODE_TEMPLATE) {
			skip = true;
		} else if (n->type == GUMBO_NODE_ELEMENT) {
			GumboTag t = n->v.element.tag;

			if (t == GUMBO_TAG_SCRIPT) {
				k->st.scripts++;
				skip = true;
			} else if (t == GUMBO_TAG_STYLE) {
				const GumboVector *ch = &n->v.element.children;

				k->st.styles++;
				skip = true;
				/* SVG <style> applies to the whole document too. */
				if (n->v.element.tag_namespace == GUMBO_NAMESPACE_MATHML ||
				    ch->length == 0)
					goto next;
				if (k->nstyles == k->styles_cap) {
					size_t nc = k->styles_cap == 0 ? 8 : k->styles_cap * 2;
					const GumboNode **ns = realloc(
					    (void *)k->styles, nc * sizeof(const GumboNode *));

					if (ns == NULL) {
						k->css_err = IG_ENOMEM;
						goto next;
					}
					k->styles = ns;
					k->styles_cap = nc;
				}
				k->styles[k->nstyles++] = n;
			} else if (t == GUMBO_TAG_BASE) {
				html_base_note(&k->base, n);
			} else if (t == GUMBO_TAG_IMG || t == GUMBO_TAG_IMAGE) {
				struct slice src = html_href_trim(attr(n, "src"));

				if ((src.len > 0 && !prefix_nocase(src, "data:") &&
				     !prefix_nocase(src, "cid:")) ||
				    attr(n, "srcset").len > 0)
					k->st.remote_images++;
			}
			struct slice bg = html_href_trim(attr(n, "background"));

			if (bg.len > 0 && !prefix_nocase(bg, "data:") && !prefix_nocase(bg, "cid:"))
				k->st.remote_images++;
		}
	next:
		n = html_node_next(n, root, skip);
	}
}

/* Viewports in which <style media="..."> applies (all without the
 * attribute); -1 when the query is too deep to decide. */
static int
style_media(const GumboNode *n, struct buf *norm, unsigned *mask)
{
	const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, "media");

	*mask = CSS_MQ_ALL;
	if (a == NULL)
		return 0;
	buf_reset(norm);
	css_normalize(sl_from_cstr(a->value), norm);
	if (buf_err(norm) != IG_OK)
		return -1;
	return css_media_eval(buf_slice(norm), mask);
}

/* Evaluates every media query of the collected <style> elements, groups the
 * viewports into classes with identical outcomes, and builds one sheet per
 * class from the text with each @media prelude resolved for that class.
 * A rule that does not fit could be the one that hides something: over a
 * cap (text, rules, nesting of a query) the render fails (fail closed). */
static enum ig_err
sheets_build(struct walker *k)
{
	unsigned differ[CSS_MQ_VIEWPORTS] = {0}, vp_class[CSS_MQ_VIEWPORTS];
	size_t nq = 0;
	struct buf norm, res;
	enum ig_err err = IG_OK;

	buf_init(&norm, LIM_CSS_TEXT);
	buf_init(&res, LIM_CSS_TEXT + LIM_CSS_TEXT / 2);
	for (size_t i = 0; i < k->nstyles && err == IG_OK; i++) {
		const GumboVector *ch = &k->styles[i]->v.element.children;
		unsigned m;

		if (style_media(k->styles[i], &norm, &m) != 0) {
			err = IG_ELIMIT;
			break;
		}
		if (m != CSS_MQ_ALL) {
			nq++;
			css_media_differ_add(differ, m);
		}
		for (size_t j = 0; j < ch->length; j++) {
			const GumboNode *c = ch->data[j];

			if (c->type != GUMBO_NODE_TEXT && c->type != GUMBO_NODE_WHITESPACE &&
			    c->type != GUMBO_NODE_CDATA)
				continue;
			if (css_media_scan(sl_from_cstr(c->v.text.text), differ, &nq) != 0) {
				err = IG_ELIMIT;
				break;
			}
		}
	}
	k->nclass = 0;
	for (unsigned v = 0; v < CSS_MQ_VIEWPORTS; v++)
		vp_class[v] = CSS_MQ_VIEWPORTS;
	for (unsigned v = 0; v < CSS_MQ_VIEWPORTS && err == IG_OK; v++) {
		if (vp_class[v] != CSS_MQ_VIEWPORTS)
			continue;
		k->class_vp[k->nclass] = v;
		for (unsigned w = v; w < CSS_MQ_VIEWPORTS; w++)
			if (vp_class[w] == CSS_MQ_VIEWPORTS && !((differ[v] >> w) & 1u))
				vp_class[w] = k->nclass;
		k->sheets[k->nclass] = css_sheet_new();
		if (k->sheets[k->nclass++] == NULL)
			err = IG_ENOMEM;
	}
	k->allc = (1u << k->nclass) - 1;
	for (unsigned c = 0; c < k->nclass && err == IG_OK; c++) {
		unsigned vp = k->class_vp[c];

		for (size_t i = 0; i < k->nstyles && err == IG_OK; i++) {
			const GumboVector *ch = &k->styles[i]->v.element.children;
			unsigned m;

			if (style_media(k->styles[i], &norm, &m) != 0 || !((m >> vp) & 1u))
				continue; /* errors were caught above */
			for (size_t j = 0; j < ch->length && err == IG_OK; j++) {
				const GumboNode *n = ch->data[j];
				struct slice t;

				if (n->type != GUMBO_NODE_TEXT &&
				    n->type != GUMBO_NODE_WHITESPACE && n->type != GUMBO_NODE_CDATA)
					continue;
				t = sl_from_cstr(n->v.text.text);
				if (nq > 0) {
					/* the text as written: selectors are case- and
					 * escape-sensitive, css_sheet_add parses them */
					buf_reset(&res);
					css_media_resolve(t, vp, &res);
					if (buf_err(&res) != IG_OK) {
						err = IG_ELIMIT;
						break;
					}
					t = buf_slice(&res);
				}
				err = css_sheet_add(k->sheets[c], t);
			}
		}
	}
	buf_free(&norm);
	buf_free(&res);
	return err;
}

static struct frame *
nearest(struct walker *k, enum ekind kind)
{
	for (size_t i = k->depth; i > 0; i--)
		if (k->stack[i - 1].kind == kind)
			return &k->stack[i - 1];
	return NULL;
}

static const char *const san_allowed[] = {
    "a",      "b",     "blockquote", "br", "code",  "div", "em",    "h1", "h2",  "h3",
    "h4",     "h5",    "h6",         "hr", "i",     "li",  "ol",    "p",  "pre", "span",
    "strong", "table", "tbody",      "td", "tfoot", "th",  "thead", "tr", "u",   "ul",
};

static const char *
san_tag(struct slice name)
{
	for (size_t i = 0; i < sizeof(san_allowed) / sizeof(san_allowed[0]); i++)
		if (sl_eq_cstr(name, san_allowed[i]))
			return san_allowed[i];
	return NULL;
}

static void
san_open(struct walker *k, struct frame *f)
{
	const GumboNode *n = f->node;
	struct writer *w = &k->w;
	struct slice v;

	html_w_raw(w, "<", 1);
	html_w_raw(w, f->san_tag, strlen(f->san_tag));
	if (f->link && (f->hk == HREF_WEB || f->hk == HREF_MAILTO)) {
		html_w_raw(w, " href=\"", 7);
		html_w_escaped(w, html_href_trim(f->href).p, html_href_trim(f->href).len);
		html_w_raw(w, "\"", 1);
	}
	if ((v = attr(n, "title")).len > 0) {
		html_w_raw(w, " title=\"", 8);
		html_w_escaped(w, v.p, v.len > 512 ? u8_cut(v.p, 512) : v.len);
		html_w_raw(w, "\"", 1);
	}
	if (f->kind == EK_CELL) {
		static const char *const span[] = {"colspan", "rowspan"};

		for (size_t i = 0; i < 2; i++) {
			bool digits = true;

			v = attr(n, span[i]);
			for (size_t j = 0; j < v.len; j++)
				digits = digits && v.p[j] >= '0' && v.p[j] <= '9';
			if (v.len == 0 || v.len > 3 || !digits)
				continue;
			html_w_raw(w, " ", 1);
			html_w_raw(w, span[i], strlen(span[i]));
			html_w_raw(w, "=\"", 2);
			html_w_raw(w, v.p, v.len);
			html_w_raw(w, "\"", 1);
		}
	}
	html_w_raw(w, ">", 1);
}

/* The frame of the block container (in viewport class cl) that holds the
 * current line: the innermost open element whose box there is not inline
 * (the root frame at worst); kept per frame, so this costs nothing. */
static struct frame *
line_holder(struct walker *k, unsigned cl)
{
	return &k->stack[k->stack[k->depth - 1].holder[cl]];
}

/* A forced break or a block boundary ends the current line in every class. */
static void
line_end(struct walker *k)
{
	for (unsigned cl = 0; cl < k->nclass; cl++)
		line_holder(k, cl)->line_off &= ~(1u << cl);
}

/* Enters element n under frame f: decides hidden/dropped, pushes a frame. */
static void
enter(struct walker *k, struct frame *f, const GumboNode *n)
{
	struct css_decls d[CSS_MQ_VIEWPORTS];
	double opacity[CSS_MQ_VIEWPORTS] = {0};
	struct frame *c;
	char tmp[32];
	struct slice name, v;
	enum ekind kind;
	unsigned mask;

	if (n->type == GUMBO_NODE_TEMPLATE || n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
		return; /* template contents and svg/math are never rendered as text */
	name = html_tag_name(n, tmp, sizeof(tmp));
	kind = html_kind_of(name);
	if (kind == EK_DROP || kind == EK_IMG)
		return;

	struct css_elem ce = {name, attr(n, "id"), attr(n, "class"), k->depth > 1 ? &f->ce : NULL,
	                      n};
	unsigned hid = f->hid, meth = 0;
	bool mso = f->mso;

	v = attr(n, "style");
	if (v.len > 0) {
		/* Never cut: the last declaration may be the one that hides. */
		buf_reset(&k->scratch);
		css_normalize(v, &k->scratch);
	}
	for (unsigned cl = 0; cl < k->nclass; cl++) {
		memset(&d[cl], 0, sizeof(d[cl]));
		if (!css_sheet_match(k->sheets[cl], &ce, &d[cl])) {
			k->budget_out = true;
			return;
		}
		if (v.len > 0)
			css_decls_apply(&d[cl], buf_slice(&k->scratch), CSS_PRIO_INLINE);
		opacity[cl] = f->is[cl].opacity;
		if ((f->hid >> cl) & 1u)
			continue; /* already hidden in this class */
		mask = html_subtree_hidden(&d[cl], n, &f->is[cl], &opacity[cl]);
		/* mso-hide:all hides only in Outlook for Windows; every other
		 * client (and a browser) shows the text, so it is kept and
		 * reported instead of removed. */
		if (mask & (1u << HM_MSO_HIDE)) {
			mso = true;
			mask &= ~(1u << HM_MSO_HIDE);
		}
		if (html_pulls_line(&d[cl], n, &f->is[cl]))
			line_holder(k, cl)->line_off |= 1u << cl;
		if (mask != 0) {
			hid |= 1u << cl;
			meth |= mask;
		}
	}
	if (hid == k->allc) {
		if (html_subtree_has_text(n)) {
			k->hidden |= meth | f->hmeth;
			k->st.hidden_removed++;
		}
		return;
	}
	if (k->depth >= LIM_HTML_DEPTH) {
		k->st.truncated = true; /* deeper than any real layout: not rendered */
		return;
	}
	if (kind == EK_BR) {
		line_end(k);
		if (k->sanitize)
			html_w_raw(&k->w, "<br>", 4);
		else
			html_w_br(&k->w);
		return;
	}
	c = &k->stack[k->depth++];
	memset(c, 0, sizeof(*c));
	c->node = n;
	c->kind = kind;
	memcpy(c->tagbuf, name.p, name.len < sizeof(c->tagbuf) ? name.len : sizeof(c->tagbuf));
	c->ce = ce;
	c->ce.tag =
	    (struct slice){c->tagbuf, name.len < sizeof(c->tagbuf) ? name.len : sizeof(c->tagbuf)};
	c->link = n->v.element.tag == GUMBO_TAG_A && has_attr(n, "href");
	c->details_closed = n->v.element.tag == GUMBO_TAG_DETAILS && !has_attr(n, "open");
	c->hid = hid;
	c->hmeth = f->hmeth | meth;
	c->mso = mso;
	for (unsigned cl = 0; cl < k->nclass; cl++) {
		html_inherit_state(&d[cl], n, &f->is[cl], &c->is[cl], c->link);
		c->is[cl].opacity = opacity[cl];
		if (kind == EK_PRE)
			c->is[cl].pre = true;
		/* a block-level box starts on a new line: the line it interrupts
		 * in its container is over, and it holds its own lines */
		c->holder[cl] = f->holder[cl];
		if (c->is[cl].disp != HD_INLINE && c->is[cl].disp != HD_CONTENTS) {
			k->stack[f->holder[cl]].line_off &= ~(1u << cl);
			c->holder[cl] = (unsigned short)(k->depth - 1);
		}
	}
	if (c->link) {
		c->hk = html_href_resolve(&k->base, attr(n, "href"), &c->href, &c->host);
		if (c->hk != HREF_NONE)
			k->st.links++;
		if (c->hk == HREF_BAD)
			k->st.unparsable_hrefs++;
	}
	if (kind == EK_LIST) {
		c->ordered = n->v.element.tag == GUMBO_TAG_OL;
		c->ol_n = 1;
		k->list_depth++;
	}
	if (k->sanitize) {
		c->san_tag = san_tag(name);
		if (c->san_tag != NULL)
			san_open(k, c);
		if (c->link)
			c->link_start = k->w.out->len;
		return;
	}
	switch (kind) {
	case EK_BLOCK1:
		html_w_block(&k->w, 1);
		break;
	case EK_BLOCK2:
	case EK_PRE:
		html_w_block(&k->w, 2);
		break;
	case EK_LIST:
		html_w_block(&k->w, k->list_depth == 1 ? 2 : 1);
		break;
	case EK_TR:
		html_w_block(&k->w, 1);
		break;
	case EK_LI: {
		struct frame *l = nearest(k, EK_LIST);
		char num[24];

		html_w_block(&k->w, 1);
		html_w_flush(&k->w);
		for (size_t i = 1; i < k->list_depth; i++)
			html_w_raw(&k->w, "  ", 2);
		if (l != NULL && l->ordered) {
			int len = snprintf(num, sizeof(num), "%u. ", l->ol_n++);

			if (len > 0)
				html_w_raw(&k->w, num, (size_t)len);
		} else {
			html_w_raw(&k->w, "- ", 2);
		}
		k->w.trail_nl = 0;
		break;
	}
	case EK_CELL: {
		struct frame *r = nearest(k, EK_TR);

		if (r != NULL && r->cell_seen && k->w.want_nl == 0)
			k->w.want_sep = true;
		if (r != NULL)
			r->cell_seen = true;
		break;
	}
	default:
		break;
	}
	if (c->link)
		c->link_start = k->w.out->len;
}

static bool
text_eq_href(struct slice text, struct slice href)
{
	href = html_href_trim(href);
	if (prefix_nocase(href, "mailto:")) {
		href.p += 7;
		href.len -= 7;
	} else if (prefix_nocase(href, "tel:")) {
		href.p += 4;
		href.len -= 4;
	}
	while (href.len > 0 && href.p[href.len - 1] == '/')
		href.len--;
	while (text.len > 0 && text.p[text.len - 1] == '/')
		text.len--;
	return html_host_eq(text, href);
}

static void
leave(struct walker *k, struct frame *f)
{
	struct writer *w = &k->w;

	if (f->link) {
		struct slice text = {w->out->p + f->link_start, w->out->len - f->link_start};

		while (text.len > 0 && ascii_ws((unsigned char)text.p[0])) {
			text.p++;
			text.len--;
		}
		if (f->hk != HREF_NONE && f->hk != HREF_TEL &&
		    html_link_text_mismatch(text, f->host))
			k->st.link_mismatches++;
		if (!k->sanitize && f->hk != HREF_NONE && (f->hk != HREF_BAD || f->host.len > 0) &&
		    !text_eq_href(text, f->href)) {
			if (text.len == 0) {
				html_w_flush(w);
				html_w_raw(w, "[", 1);
			} else {
				html_w_raw(w, " [", 2);
			}
			html_w_href(w, f->href);
			html_w_raw(w, "]", 1);
			w->trail_nl = 0;
			w->want_space = false;
		}
	}
	if (k->sanitize) {
		if (f->san_tag != NULL && f->kind != EK_BR && strcmp(f->san_tag, "hr") != 0) {
			html_w_raw(w, "</", 2);
			html_w_raw(w, f->san_tag, strlen(f->san_tag));
			html_w_raw(w, ">", 1);
		}
	} else {
		switch (f->kind) {
		case EK_BLOCK1:
		case EK_TR:
		case EK_LI:
			html_w_block(w, 1);
			break;
		case EK_BLOCK2:
		case EK_PRE:
			html_w_block(w, 2);
			break;
		case EK_LIST:
			html_w_block(w, k->list_depth == 1 ? 2 : 1);
			break;
		default:
			break;
		}
	}
	if (f->kind == EK_LIST && k->list_depth > 0)
		k->list_depth--;
	if (f->link)
		html_base_release(&k->base, f->href);
}

static void
on_text(struct walker *k, const struct frame *f, const GumboNode *n)
{
	const char *p = n->v.text.text;
	size_t len = strlen(p);
	unsigned hid, tm;
	bool unknown = false, raised = false;
	int hm;

	if (k->cdata_skip) {
		/* "<![CDATA[" in HTML content is a bogus comment ending at the first
		 * '>', so the rest of the would-be section is text a browser shows
		 * but other parsers (and mail clients) do not: too ambiguous to
		 * keep. Dropped up to "]]>". */
		const char *e = memmem(p, len, "]]>", 3);

		if (e == NULL)
			return;
		len -= (size_t)(e + 3 - p);
		p = e + 3;
		k->cdata_skip = false;
	}
	/* Per viewport class: hidden by an ancestor there, or by the text's
	 * own computed style. Hidden in every class: removed. Hidden in some
	 * only: a person on some device sees it, so it is kept and reported
	 * (method=hidden_some_viewports). */
	hid = f->hid;
	tm = 0;
	for (unsigned cl = 0; cl < k->nclass; cl++) {
		if ((hid >> cl) & 1u)
			continue;
		if (line_holder(k, cl)->line_off & (1u << cl)) {
			hid |= 1u << cl; /* the rest of a line pulled off the page */
			tm |= 1u << HM_OFFSCREEN;
			continue;
		}
		hm = html_text_hidden(&f->is[cl]);
		if (hm >= 0) {
			hid |= 1u << cl;
			tm |= 1u << hm;
			continue;
		}
		if (f->is[cl].color_unknown || f->is[cl].bg_unknown)
			unknown = true;
		if (html_text_font_raised(&f->is[cl]))
			raised = true;
	}
	if (hid == k->allc) {
		if (!html_text_blank(p, len)) {
			k->hidden |= tm | f->hmeth;
			k->st.hidden_removed++;
		}
		return;
	}
	if (hid != 0 && !html_text_blank(p, len))
		k->hidden |= 1u << HM_SOME_VIEWPORTS;
	if (f->mso && !html_text_blank(p, len))
		k->hidden |= 1u << HM_MSO_HIDE;
	/* Fail closed on colours we cannot evaluate (color-mix(), var(), ...):
	 * dropping would lose legitimate text styled by newer CSS, keeping it
	 * silently could pass text the reader never sees. So it is kept and
	 * reported (method=unevaluable_color) so the agent is warned. */
	if (unknown && !html_text_blank(p, len))
		k->hidden |= 1u << HM_UNEVALUABLE_COLOR;
	if (raised && !html_text_blank(p, len))
		k->hidden |= 1u << HM_FONT_RAISED;
	if (k->sanitize)
		html_w_escaped(&k->w, p, len);
	else
		html_w_text(&k->w, p, len, f->is[0].pre);
}

static void
on_comment(struct walker *k, const GumboNode *n)
{
	const char *t = n->v.text.text;

	if (strncmp(t, "[CDATA[", 7) == 0 && strstr(t, "]]") == NULL) {
		k->cdata_skip = true;
		k->cdata_depth = k->depth - 1;
		k->cdata_seen = true;
	}
}

/* A closed <details> renders only its first <summary> child (WHATWG HTML
 * §4.11.1); everything else is skipped, and reported when it has text. */
static bool
details_skip(struct walker *k, struct frame *f, const GumboNode *n)
{
	if (n->type == GUMBO_NODE_ELEMENT && n->v.element.tag == GUMBO_TAG_SUMMARY &&
	    !f->summary_seen) {
		f->summary_seen = true;
		return false;
	}
	if (n->type == GUMBO_NODE_COMMENT)
		return false;
	if (((n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA) &&
	     !html_text_blank(n->v.text.text, strlen(n->v.text.text))) ||
	    (n->type == GUMBO_NODE_ELEMENT && html_subtree_has_text(n))) {
		k->hidden |= 1u << HM_DETAILS_CLOSED;
		k->st.hidden_removed++;
	}
	return true;
}

static void
walk(struct walker *k, const GumboNode *doc)
{
	struct frame *root = &k->stack[0];

	memset(root, 0, sizeof(*root));
	root->node = doc;
	for (unsigned cl = 0; cl < k->nclass; cl++)
		root->is[cl] = (struct istate){.color = {0, 0, 0, 255},
		                               .bg = {255, 255, 255, 255},
		                               .font_px = 16,
		                               .opacity = 1,
		                               .disp = HD_BLOCK};
	k->depth = 1;
	while (k->depth > 0 && !k->budget_out && !k->w.full) {
		struct frame *f = &k->stack[k->depth - 1];
		const GumboVector *ch = html_node_children(f->node);
		const GumboNode *n;

		if (ch == NULL || f->next >= ch->length) {
			leave(k, f);
			if (k->cdata_skip && k->cdata_depth + 1 >= k->depth)
				k->cdata_skip = false;
			k->depth--;
			continue;
		}
		n = ch->data[f->next++];
		if (++k->nodes > LIM_HTML_NODES) {
			k->st.truncated = true;
			break;
		}
		if (f->details_closed && details_skip(k, f, n))
			continue;
		switch (n->type) {
		case GUMBO_NODE_TEXT:
		case GUMBO_NODE_WHITESPACE:
		case GUMBO_NODE_CDATA:
			on_text(k, f, n);
			break;
		case GUMBO_NODE_COMMENT:
			on_comment(k, n);
			break;
		case GUMBO_NODE_ELEMENT:
		case GUMBO_NODE_TEMPLATE:
			enter(k, f, n);
			break;
		default:
			break;
		}
	}
	if (k->w.full)
		k->st.truncated = true;
}

static void
report(const struct walker *k, struct warn_list *wl)
{
	if (wl == NULL)
		return;
	for (unsigned m = 0; m < HM_COUNT_; m++)
		if (k->hidden & (1u << m))
			warn_add(wl, "html_hidden_content_detected", LOC_HTML, "method=%s",
			         hmethod_names[m]);
	if (k->st.scripts > 0)
		warn_add(wl, "html_script_stripped", LOC_HTML, "count=%zu", k->st.scripts);
	if (k->st.styles > 0)
		warn_add(wl, "html_style_stripped", LOC_HTML, "count=%zu", k->st.styles);
	if (k->st.remote_images > 0)
		warn_add(wl, "html_remote_image_stripped", LOC_HTML, "count=%zu",
		         k->st.remote_images);
	if (k->st.link_mismatches > 0)
		warn_add(wl, "html_link_text_href_mismatch", LOC_HTML, "count=%zu",
		         k->st.link_mismatches);
	if (k->st.unparsable_hrefs > 0)
		warn_add(wl, "html_anchor_unparsable_href", LOC_HTML, "count=%zu",
		         k->st.unparsable_hrefs);
	if (k->cdata_seen)
		warn_add(wl, "html_ambiguous_markup_dropped", LOC_HTML, "construct=cdata");
	/* every viewport class's sheet holds the same rules (only the @media
	 * conditions differ): the first one's count is the message's */
	if (k->nclass > 0 && css_sheet_unsupported(k->sheets[0]) > 0)
		warn_add(wl, "html_css_selector_unsupported", LOC_HTML, "count=%zu",
		         css_sheet_unsupported(k->sheets[0]));
}

/* Upper bound of the element nesting gumbo will build, from a light scan of
 * the tags: gumbo's tree builder checks scopes by walking the stack of open
 * elements, so deep nesting costs depth x tags (200k nested <div>s take
 * minutes). Void elements and raw-text contents are not counted; unclosed
 * formatting elements are. Returns false when nesting exceeds the limit. */
static bool
nesting_ok(struct slice h)
{
	static const char *const voids[] = {"area",    "base",   "br",    "col",  "embed",
	                                    "hr",      "img",    "input", "link", "meta",
	                                    "param",   "source", "track", "wbr",  "basefont",
	                                    "bgsound", "keygen", "frame", "image"};
	static const char *const raws[] = {"script", "style", "textarea", "title", "xmp"};
	size_t depth = 0, i = 0;

	while (i < h.len) {
		const char *lt = memchr(h.p + i, '<', h.len - i);
		size_t st;

		if (lt == NULL)
			break;
		i = (size_t)(lt - h.p) + 1;
		if (i >= h.len)
			break;
		if (h.p[i] == '!') {
			const char *e = NULL;

			if (h.len - i >= 3 && h.p[i + 1] == '-' && h.p[i + 2] == '-')
				e = memmem(h.p + i + 3, h.len - i - 3, "-->", 3);
			else
				e = memchr(h.p + i, '>', h.len - i);
			i = e != NULL ? (size_t)(e - h.p) + 1 : h.len;
			continue;
		}
		if (h.p[i] == '/') {
			if (depth > 0)
				depth--;
			continue;
		}
		if (!((h.p[i] >= 'a' && h.p[i] <= 'z') || (h.p[i] >= 'A' && h.p[i] <= 'Z')))
			continue;
		st = i;
		while (i < h.len &&
		       ((h.p[i] >= 'a' && h.p[i] <= 'z') || (h.p[i] >= 'A' && h.p[i] <= 'Z') ||
		        (h.p[i] >= '0' && h.p[i] <= '9')))
			i++;
		char name[12];
		size_t nl = i - st;
		bool is_void = false;

		if (nl < sizeof(name)) {
			for (size_t k = 0; k < nl; k++)
				name[k] = lower(h.p[st + k]);
			name[nl] = '\0';
			for (size_t k = 0; k < sizeof(voids) / sizeof(voids[0]) && !is_void; k++)
				is_void = strcmp(name, voids[k]) == 0;
			for (size_t k = 0; k < sizeof(raws) / sizeof(raws[0]); k++) {
				char endtag[16];
				const char *e;

				if (strcmp(name, raws[k]) != 0)
					continue;
				/* Raw text: skip to the end tag (lowercase is what mail
				 * uses; a mixed-case one only makes the estimate larger). */
				(void)snprintf(endtag, sizeof(endtag), "</%s", raws[k]);
				e = memmem(h.p + i, h.len - i, endtag, strlen(endtag));
				if (e == NULL)
					e = memmem(h.p + i, h.len - i, "</", 2);
				i = e != NULL ? (size_t)(e - h.p) : h.len;
				is_void = true;
				break;
			}
		}
		if (!is_void && ++depth > LIM_HTML_NESTING)
			return false;
	}
	return true;
}

static enum ig_err
html_run(struct slice html, struct buf *out, struct warn_list *wl, struct html_stats *st,
         bool sanitize)
{
	struct gmem *m = NULL;
	struct walker *k = NULL;
	GumboOutput *g;
	enum ig_err err = IG_ENOMEM;
	size_t start = out->len;

	/* Refused, not cut: a <style> block after the cut could be what hides
	 * earlier text. */
	if (html.len > LIM_HTML_INPUT || !nesting_ok(html))
		return IG_ELIMIT;
	m = calloc(1, sizeof(*m));
	k = calloc(1, sizeof(*k));
	if (m == NULL || k == NULL)
		goto out;
	m->cap = LIM_HTML_PARSE_MEM;
	k->stack = malloc(LIM_HTML_DEPTH * sizeof(*k->stack)); /* each frame set on push */
	if (k->stack == NULL)
		goto out;
	buf_init(&k->scratch, LIM_HTML_INPUT); /* normalizing never grows CSS */
	k->w = (struct writer){.out = out, .max = out->max};
	k->sanitize = sanitize;
	g = html_gumbo_parse_capped(m, html, &err);
	if (g == NULL)
		goto out;
	prepass(k, g->document);
	if (k->css_err == IG_OK)
		k->css_err = sheets_build(k);
	if (k->css_err != IG_OK) {
		err = k->css_err;
		goto out;
	}
	walk(k, g->document);
	if (k->budget_out) {
		err = IG_ELIMIT;
		goto out;
	}
	if (sanitize && k->w.full) {
		/* Text is escaped, so '<' only starts a tag and '&' a reference:
		 * a cut after the last one that was not completed removes it. */
		size_t cut = out->len;

		for (size_t i = out->len; i > start; i--) {
			char ch = out->p[i - 1];

			if (ch == '>' || ch == ';')
				break;
			if (ch == '<' || ch == '&')
				cut = i - 1;
		}
		out->len = cut;
		if (out->p != NULL)
			out->p[out->len] = '\0';
	}
	if (!sanitize) {
		while (out->len > start &&
		       (out->p[out->len - 1] == ' ' || out->p[out->len - 1] == '\n'))
			out->len--;
		if (out->p != NULL)
			out->p[out->len] = '\0';
	}
	report(k, wl);
	if (st != NULL)
		*st = k->st;
	err = IG_OK;
out:
	if (err != IG_OK && out->p != NULL) {
		out->len = start; /* nothing half-sanitized is handed back */
		out->p[start] = '\0';
	}
	if (m != NULL)
		html_gmem_free_all(m);
	if (k != NULL) {
		buf_free(&k->scratch);
		html_base_free(&k->base);
		for (unsigned cl = 0; cl < k->nclass; cl++)
			css_sheet_free(k->sheets[cl]);
		free((void *)k->styles);
		free(k->stack);
	}
	free(k);
	free(m);
	return err;
}

enum ig_err
html_to_text(struct slice html, struct buf *out, struct warn_list *w, struct html_stats *st)
{
	return html_run(html, out, w, st, false);
}

enum ig_err
html_sanitize(struct slice html, struct buf *out, struct warn_list *w)
{
	return html_run(html, out, w, NULL, true);
}
