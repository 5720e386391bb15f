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
 * of the parser when the cap is reached (gumbo cannot handle NULL). */
#include "content/html.h"

#include <gumbo.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "content/css.h"

#define LOC_HTML "body.html"

/* Off-screen thresholds: CSS px. -100px already moves any short text out of
 * view at the left edge; legitimate layouts use a few px at most. */
#define OFFSCREEN_NEG (-100.0)
#define OFFSCREEN_POS 3000.0
#define TINY_FONT_PX 1.0  /* at or below: unreadable */
#define TINY_SIZE_PX 1.0  /* width/height at or below, with overflow hidden */
#define MIN_OPACITY 0.05  /* at or below: invisible */
#define MIN_TEXT_ALPHA 13 /* of 255, about 0.05 */
#define LIM_HREF_OUT 2048 /* bytes of an href rendered into the text */
#define LIM_LINK_TEXT 512 /* bytes of link text examined for domain names */

/* ---- gumbo memory: tracked, capped, freed without recursion ------------- */

union ghdr {
	struct {
		union ghdr *prev, *next;
		size_t size;
	} h;
	max_align_t align;
};

struct gmem {
	union ghdr *head;
	size_t live;
	size_t cap;
	jmp_buf jb;
};

static void *
gmem_alloc(void *ud, size_t n)
{
	struct gmem *m = ud;
	union ghdr *h;
	size_t total;

	if (__builtin_add_overflow(n, sizeof(union ghdr), &total) || m->live + n > m->cap)
		longjmp(m->jb, 1);
	h = malloc(total);
	if (h == NULL)
		longjmp(m->jb, 2);
	h->h.prev = NULL;
	h->h.next = m->head;
	h->h.size = n;
	if (m->head != NULL)
		m->head->h.prev = h;
	m->head = h;
	m->live += n;
	return h + 1;
}

static void
gmem_free(void *ud, void *p)
{
	struct gmem *m = ud;
	union ghdr *h;

	if (p == NULL)
		return;
	h = (union ghdr *)p - 1;
	if (h->h.prev != NULL)
		h->h.prev->h.next = h->h.next;
	else
		m->head = h->h.next;
	if (h->h.next != NULL)
		h->h.next->h.prev = h->h.prev;
	m->live -= h->h.size;
	free(h);
}

static void
gmem_free_all(struct gmem *m)
{
	union ghdr *h = m->head;

	while (h != NULL) {
		union ghdr *next = h->h.next;

		free(h);
		h = next;
	}
	m->head = NULL;
	m->live = 0;
}

/* Kept apart so that nothing the caller uses is live across setjmp. */
static GumboOutput *
gumbo_parse_capped(struct gmem *m, struct slice html, enum ig_err *err)
{
	GumboOptions opt = kGumboDefaultOptions;
	int r;

	opt.allocator = gmem_alloc;
	opt.deallocator = gmem_free;
	opt.userdata = m;
	opt.max_errors = 0; /* parse errors are not used; do not store them */
	r = setjmp(m->jb);
	if (r != 0) {
		*err = r == 1 ? IG_ELIMIT : IG_ENOMEM;
		return NULL;
	}
	return gumbo_parse_with_options(&opt, html.p, html.len);
}

/* ---- tree helpers ------------------------------------------------------- */

static const GumboVector *
node_children(const GumboNode *n)
{
	if (n->type == GUMBO_NODE_DOCUMENT)
		return &n->v.document.children;
	if (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE)
		return &n->v.element.children;
	return NULL;
}

/* Next node in document order within root, optionally skipping n's subtree;
 * uses parent links so it needs no stack. */
static const GumboNode *
node_next(const GumboNode *n, const GumboNode *root, bool skip_children)
{
	const GumboVector *ch = node_children(n);

	if (!skip_children && ch != NULL && ch->length > 0)
		return ch->data[0];
	while (n != root && n != NULL) {
		const GumboNode *p = n->parent;
		const GumboVector *sib = p != NULL ? node_children(p) : NULL;

		if (sib != NULL && n->index_within_parent + 1 < sib->length)
			return sib->data[n->index_within_parent + 1];
		n = p;
	}
	return NULL;
}

static struct slice
attr(const GumboNode *n, const char *name)
{
	const GumboAttribute *a = gumbo_get_attribute(&n->v.element.attributes, name);

	return a != NULL ? sl_from_cstr(a->value) : (struct slice){NULL, 0};
}

static bool
has_attr(const GumboNode *n, const char *name)
{
	return gumbo_get_attribute(&n->v.element.attributes, name) != NULL;
}

/* Lowercase tag name; unknown (custom) elements come from the source text. */
static struct slice
tag_name(const GumboNode *n, char *tmp, size_t tmpsz)
{
	if (n->v.element.tag != GUMBO_TAG_UNKNOWN)
		return sl_from_cstr(gumbo_normalized_tagname(n->v.element.tag));
	GumboStringPiece p = n->v.element.original_tag;
	size_t k = 0;

	gumbo_tag_from_original_text(&p);
	for (; k < p.length && k + 1 < tmpsz; k++) {
		char c = p.data[k];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		tmp[k] = c;
	}
	tmp[k] = '\0';
	return (struct slice){tmp, k};
}

static bool
ascii_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* True when s has nothing a reader would notice: ASCII whitespace, NBSP,
 * soft hyphen, zero-width and other blank format characters that preheader
 * padding and spacer cells are made of. */
static bool
text_blank(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (ascii_ws(c)) {
			i++;
			continue;
		}
		if (len - i >= 2 && c == 0xC2 &&
		    ((unsigned char)p[i + 1] == 0xA0 || (unsigned char)p[i + 1] == 0xAD)) {
			i += 2;
			continue;
		}
		if (len - i >= 2 && c == 0xCD && (unsigned char)p[i + 1] == 0x8F) {
			i += 2; /* U+034F combining grapheme joiner */
			continue;
		}
		if (len - i >= 3 && c == 0xE2 && (unsigned char)p[i + 1] == 0x80 &&
		    (unsigned char)p[i + 2] >= 0x80 && (unsigned char)p[i + 2] <= 0x8F) {
			i += 3; /* U+2000..U+200F spaces, ZWSP, ZWNJ, ZWJ, marks */
			continue;
		}
		if (len - i >= 3 && c == 0xE2 && (unsigned char)p[i + 1] == 0x81 &&
		    (unsigned char)p[i + 2] == 0xA0) {
			i += 3; /* U+2060 word joiner */
			continue;
		}
		if (len - i >= 3 && c == 0xEF && (unsigned char)p[i + 1] == 0xBB &&
		    (unsigned char)p[i + 2] == 0xBF) {
			i += 3; /* U+FEFF */
			continue;
		}
		if (len - i >= 3 && c == 0xE3 && (unsigned char)p[i + 1] == 0x80 &&
		    (unsigned char)p[i + 2] == 0x80) {
			i += 3; /* U+3000 ideographic space */
			continue;
		}
		return false;
	}
	return true;
}

/* Does the subtree under n carry any text? Used to report hidden content
 * only when something was actually hidden (spacer cells and empty hidden
 * divs are everywhere in legitimate mail). Script and style text does not
 * count: it is never shown anyway. */
static bool
subtree_has_text(const GumboNode *n)
{
	const GumboNode *c = n;

	while (c != NULL) {
		bool skip = false;

		if ((c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA) &&
		    !text_blank(c->v.text.text, strlen(c->v.text.text)))
			return true;
		if (c != n && c->type == GUMBO_NODE_ELEMENT &&
		    (c->v.element.tag == GUMBO_TAG_SCRIPT || c->v.element.tag == GUMBO_TAG_STYLE))
			skip = true;
		c = node_next(c, n, skip);
	}
	return false;
}

/* ---- element classes ------------------------------------------------------ */

enum ekind {
	EK_INLINE, /* rendered through */
	EK_DROP,   /* never rendered (UA display:none, active or embedded content) */
	EK_BLOCK1, /* block: one line break around it */
	EK_BLOCK2, /* paragraph-like: a blank line around it */
	EK_BR,
	EK_LI,
	EK_LIST, /* ul/ol: a blank line around the outermost one */
	EK_TR,
	EK_CELL,
	EK_PRE,
	EK_IMG,
};

struct tag_kind {
	const char *name;
	enum ekind kind;
};

/* Sorted for bsearch. DROP follows the brief and the WHATWG rendering
 * section: content a browser does not paint as text, or that is active. */
static const struct tag_kind tag_kinds[] = {
    {"address", EK_BLOCK1},    {"applet", EK_DROP},     {"area", EK_DROP},
    {"article", EK_BLOCK1},    {"aside", EK_BLOCK1},    {"audio", EK_DROP},
    {"base", EK_DROP},         {"basefont", EK_DROP},   {"bgsound", EK_DROP},
    {"blockquote", EK_BLOCK2}, {"body", EK_BLOCK1},     {"br", EK_BR},
    {"button", EK_DROP},       {"canvas", EK_DROP},     {"caption", EK_BLOCK1},
    {"center", EK_BLOCK1},     {"datalist", EK_DROP},   {"dd", EK_BLOCK1},
    {"details", EK_BLOCK1},    {"dialog", EK_BLOCK1},   {"dir", EK_LIST},
    {"div", EK_BLOCK1},        {"dl", EK_BLOCK2},       {"dt", EK_BLOCK1},
    {"embed", EK_DROP},        {"fieldset", EK_BLOCK1}, {"figcaption", EK_BLOCK1},
    {"figure", EK_BLOCK2},     {"footer", EK_BLOCK1},   {"form", EK_BLOCK1},
    {"frame", EK_DROP},        {"frameset", EK_DROP},   {"h1", EK_BLOCK2},
    {"h2", EK_BLOCK2},         {"h3", EK_BLOCK2},       {"h4", EK_BLOCK2},
    {"h5", EK_BLOCK2},         {"h6", EK_BLOCK2},       {"head", EK_DROP},
    {"header", EK_BLOCK1},     {"hgroup", EK_BLOCK1},   {"hr", EK_BLOCK2},
    {"iframe", EK_DROP},       {"image", EK_IMG},       {"img", EK_IMG},
    {"input", EK_DROP},        {"isindex", EK_DROP},    {"keygen", EK_DROP},
    {"legend", EK_BLOCK1},     {"li", EK_LI},           {"link", EK_DROP},
    {"listing", EK_PRE},       {"main", EK_BLOCK1},     {"map", EK_DROP},
    {"math", EK_DROP},         {"menu", EK_LIST},       {"meta", EK_DROP},
    {"nav", EK_BLOCK1},        {"noembed", EK_DROP},    {"noframes", EK_DROP},
    {"noscript", EK_DROP},     {"object", EK_DROP},     {"ol", EK_LIST},
    {"optgroup", EK_DROP},     {"option", EK_DROP},     {"p", EK_BLOCK2},
    {"param", EK_DROP},        {"picture", EK_DROP},    {"plaintext", EK_PRE},
    {"pre", EK_PRE},           {"progress", EK_DROP},   {"rp", EK_DROP},
    {"script", EK_DROP},       {"section", EK_BLOCK1},  {"select", EK_DROP},
    {"source", EK_DROP},       {"style", EK_DROP},      {"summary", EK_BLOCK1},
    {"svg", EK_DROP},          {"table", EK_BLOCK1},    {"td", EK_CELL},
    {"template", EK_DROP},     {"textarea", EK_DROP},   {"th", EK_CELL},
    {"title", EK_DROP},        {"tr", EK_TR},           {"track", EK_DROP},
    {"ul", EK_LIST},           {"video", EK_DROP},      {"xmp", EK_PRE},
};

static enum ekind
kind_of(struct slice name)
{
	size_t lo = 0, hi = sizeof(tag_kinds) / sizeof(tag_kinds[0]);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = tag_kinds[mid].name;
		size_t kl = strlen(k);
		int r = memcmp(name.p, k, name.len < kl ? name.len : kl);

		if (r == 0)
			r = name.len < kl ? -1 : (name.len > kl ? 1 : 0);
		if (r == 0)
			return tag_kinds[mid].kind;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return EK_INLINE;
}

/* ---- hidden-content methods ---------------------------------------------- */

enum hmethod {
	HM_DISPLAY_NONE,
	HM_VISIBILITY,
	HM_OPACITY,
	HM_FONT_SIZE,
	HM_HIDDEN_ATTR,
	HM_MSO_HIDE,
	HM_ZERO_SIZE,
	HM_OFFSCREEN,
	HM_TEXT_INDENT,
	HM_CLIP,
	HM_TRANSFORM,
	HM_COLOR_MATCH,
	HM_TRANSPARENT_TEXT,
	HM_CONTENT_VISIBILITY,
	HM_DIALOG_CLOSED,
	HM_DETAILS_CLOSED,
	HM_LINE_HEIGHT,
	HM_UNEVALUABLE_COLOR, /* a warning only: the text is kept (see text_hidden) */
	HM_COUNT_
};

static const char *const hmethod_names[HM_COUNT_] = {
    "display_none",     "visibility_hidden",
    "opacity",          "font_size",
    "hidden_attribute", "mso_hide",
    "zero_size",        "offscreen",
    "text_indent",      "clip",
    "transform",        "color_match",
    "transparent_text", "content_visibility",
    "dialog_closed",    "details_closed",
    "line_height",      "unevaluable_color",
};

/* ---- per-element computed state --------------------------------------------- */

/* What descendants inherit (or, for bg, see through transparent boxes). */
struct istate {
	struct css_color color; /* text colour, may carry alpha */
	struct css_color fill;  /* -webkit-text-fill-color when fill_set */
	struct css_color bg;    /* effective opaque background behind the box */
	double font_px;
	double opacity; /* product of ancestors' opacity */
	bool fill_set;
	bool color_unknown; /* text colour we could not evaluate */
	bool bg_unknown;    /* background colour we could not evaluate */
	bool vis_hidden;
	bool pre;
};

static struct slice
first_token(struct slice v)
{
	size_t i = 0;

	while (i < v.len && ascii_ws((unsigned char)v.p[i]))
		i++;
	size_t st = i;

	while (i < v.len && !ascii_ws((unsigned char)v.p[i]) && v.p[i] != ',')
		i++;
	return (struct slice){v.p + st, i - st};
}

static bool
has_word(struct slice v, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= v.len; i++) {
		if (memcmp(v.p + i, w, wl) != 0)
			continue;
		bool lb =
		    i == 0 || !((v.p[i - 1] >= 'a' && v.p[i - 1] <= 'z') || v.p[i - 1] == '-');
		bool rb = i + wl == v.len ||
		          !((v.p[i + wl] >= 'a' && v.p[i + wl] <= 'z') || v.p[i + wl] == '-');

		if (lb && rb)
			return true;
	}
	return false;
}

/* Number or percentage ("0.5", "5%") for opacity. */
static bool
opacity_val(struct slice v, double *o)
{
	double px;

	v = first_token(v);
	if (v.len > 0 && v.p[v.len - 1] == '%') {
		if (!css_length_px(v, 16, 1, &px))
			return false;
		*o = px; /* v% of 1 */
		return true;
	}
	if (!css_length_px(v, 16, -1, &px))
		return false;
	*o = px;
	return true;
}

/* The value inside "name(" ... ")" starting at the first '(' after name. */
static bool
func_arg(struct slice v, const char *name, struct slice *arg, size_t *from)
{
	size_t nl = strlen(name);

	for (size_t i = *from; i + nl < v.len; i++) {
		if (memcmp(v.p + i, name, nl) != 0 || v.p[i + nl] != '(')
			continue;
		if (i > 0 && ((v.p[i - 1] >= 'a' && v.p[i - 1] <= 'z') || v.p[i - 1] == '-'))
			continue;
		const char *close = memchr(v.p + i + nl + 1, ')', v.len - i - nl - 1);

		if (close == NULL)
			return false;
		*arg = (struct slice){v.p + i + nl + 1, (size_t)(close - (v.p + i + nl + 1))};
		*from = (size_t)(close - v.p) + 1;
		return true;
	}
	return false;
}

/* Splits a function argument list on commas and whitespace; up to max. */
static size_t
split_args(struct slice a, struct slice *out, size_t max)
{
	size_t n = 0, i = 0;

	while (i < a.len && n < max) {
		while (i < a.len && (ascii_ws((unsigned char)a.p[i]) || a.p[i] == ','))
			i++;
		size_t st = i;

		while (i < a.len && !ascii_ws((unsigned char)a.p[i]) && a.p[i] != ',')
			i++;
		if (i > st)
			out[n++] = (struct slice){a.p + st, i - st};
	}
	return n;
}

static bool
offscreen_px(double v)
{
	return v <= OFFSCREEN_NEG || v >= OFFSCREEN_POS;
}

static bool
transform_hides(struct slice v, bool *offscreen)
{
	static const char *const tr[] = {"translate", "translatex", "translatey", "translate3d"};
	static const char *const sc[] = {"scale", "scalex", "scaley", "scale3d"};
	struct slice args[4], a;
	bool hides = false;

	for (size_t f = 0; f < 4; f++) {
		size_t from = 0;

		while (func_arg(v, tr[f], &a, &from)) {
			size_t n = split_args(a, args, 4);

			for (size_t k = 0; k < n; k++) {
				double px;

				if (css_length_px(args[k], 16, -1, &px) && offscreen_px(px))
					*offscreen = true;
			}
		}
		from = 0;
		while (func_arg(v, sc[f], &a, &from)) {
			size_t n = split_args(a, args, 4);

			for (size_t k = 0; k < n; k++) {
				double s;

				if (opacity_val(args[k], &s) && s > -MIN_OPACITY && s < MIN_OPACITY)
					hides = true;
			}
		}
	}
	/* matrix(a, b, c, d, e, f) and matrix3d(): a collapsed axis (both
	 * entries of a column near 0) paints nothing; e/f (m41/m42) translate. */
	for (size_t f = 0; f < 2; f++) {
		struct slice m[16];
		size_t from = 0;

		while (func_arg(v, f == 0 ? "matrix" : "matrix3d", &a, &from)) {
			size_t n = split_args(a, m, 16), tx = f == 0 ? 4 : 12, cy = f == 0 ? 2 : 4;
			double x[16];
			bool ok = n == (f == 0 ? 6u : 16u);

			for (size_t k = 0; ok && k < n; k++)
				ok = css_length_px(m[k], 16, -1, &x[k]);
			if (!ok)
				continue;
			if ((fabs(x[0]) < MIN_OPACITY && fabs(x[1]) < MIN_OPACITY) ||
			    (fabs(x[cy]) < MIN_OPACITY && fabs(x[cy + 1]) < MIN_OPACITY))
				hides = true;
			if (offscreen_px(x[tx]) || offscreen_px(x[tx + 1]))
				hides = true;
		}
	}
	return hides;
}

/* The standalone translate: and scale: properties (CSS Transforms 2). */
static bool
transform_props_hide(const struct css_decls *d)
{
	struct slice args[3];
	size_t n;

	if (d->s[CP_TRANSLATE].set) {
		n = split_args(d->s[CP_TRANSLATE].val, args, 3);
		for (size_t k = 0; k < n; k++) {
			double px;

			if (css_length_px(args[k], 16, -1, &px) && offscreen_px(px))
				return true;
		}
	}
	if (d->s[CP_SCALE].set) {
		n = split_args(d->s[CP_SCALE].val, args, 3);
		for (size_t k = 0; k < n; k++) {
			double sc;

			if (opacity_val(args[k], &sc) && sc > -MIN_OPACITY && sc < MIN_OPACITY)
				return true;
		}
	}
	return false;
}

/* line-height in px: a bare number multiplies the font size. */
static bool
line_height_px(struct slice v, double font_px, double *px)
{
	size_t i = 0;

	v = first_token(v);
	while (i < v.len && ((v.p[i] >= '0' && v.p[i] <= '9') || v.p[i] == '.' || v.p[i] == '-' ||
	                     v.p[i] == '+'))
		i++;
	if (i == v.len && css_length_px(v, font_px, -1, px)) {
		*px *= font_px;
		return true;
	}
	return css_length_px(v, font_px, font_px, px);
}

static bool
clip_hides(struct slice v)
{
	struct slice a, args[4];
	size_t from = 0;
	double px[4];

	if (!func_arg(v, "rect", &a, &from) || split_args(a, args, 4) != 4)
		return false;
	for (size_t k = 0; k < 4; k++)
		if (!css_length_px(args[k], 16, -1, &px[k]))
			return false; /* auto: that edge is not clipped */
	/* rect(top, right, bottom, left) */
	return px[1] - px[3] <= TINY_SIZE_PX || px[2] - px[0] <= TINY_SIZE_PX;
}

static bool
clip_path_hides(struct slice v)
{
	struct slice a, args[4];
	size_t from = 0;
	double x;

	if (func_arg(v, "inset", &a, &from)) {
		size_t n = split_args(a, args, 4);

		/* inset(50%) and more meet in the middle: nothing left. */
		for (size_t k = 0; k < n; k++)
			if (args[k].len > 0 && args[k].p[args[k].len - 1] == '%' &&
			    css_length_px(args[k], 16, 100, &x) && x >= 50)
				return true;
		return false;
	}
	from = 0;
	if (func_arg(v, "circle", &a, &from) || (from = 0, func_arg(v, "ellipse", &a, &from))) {
		size_t n = split_args(a, args, 2);

		return n > 0 && css_length_px(args[0], 16, 100, &x) && x <= TINY_SIZE_PX;
	}
	return false;
}

static bool
length_le(const struct css_decls *d, enum css_prop p, double limit)
{
	double px;

	return d->s[p].set && css_length_px(first_token(d->s[p].val), 16, -1, &px) && px <= limit;
}

static bool
length_off(const struct css_decls *d, enum css_prop p)
{
	double px;

	return d->s[p].set && css_length_px(first_token(d->s[p].val), 16, -1, &px) &&
	       offscreen_px(px);
}

/* Methods that remove the element's whole subtree. attr_w/attr_h are the
 * width/height attributes (presentational hints) or empty. */
static unsigned
subtree_hidden(const struct css_decls *d, const GumboNode *n, double *opacity)
{
	unsigned m = 0;
	struct slice v;

	if (has_attr(n, "hidden"))
		m |= 1u << HM_HIDDEN_ATTR;
	if (n->v.element.tag == GUMBO_TAG_UNKNOWN || n->v.element.tag == GUMBO_TAG_LAST) {
		/* <dialog> is not in gumbo 0.10's tag table. */
		char tmp[16];
		struct slice t = tag_name(n, tmp, sizeof(tmp));

		if (sl_eq_cstr(t, "dialog") && !has_attr(n, "open"))
			m |= 1u << HM_DIALOG_CLOSED;
	}
	if (d->s[CP_DISPLAY].set && sl_eq_cstr(first_token(d->s[CP_DISPLAY].val), "none"))
		m |= 1u << HM_DISPLAY_NONE;
	if (d->s[CP_MSO_HIDE].set && sl_eq_cstr(first_token(d->s[CP_MSO_HIDE].val), "all"))
		m |= 1u << HM_MSO_HIDE;
	if (d->s[CP_CONTENT_VISIBILITY].set &&
	    sl_eq_cstr(first_token(d->s[CP_CONTENT_VISIBILITY].val), "hidden"))
		m |= 1u << HM_CONTENT_VISIBILITY;

	double op = 1;

	if (d->s[CP_OPACITY].set && opacity_val(d->s[CP_OPACITY].val, &op))
		*opacity *= op < 0 ? 0 : (op > 1 ? 1 : op);
	if (d->s[CP_FILTER].set) {
		struct slice a;
		size_t from = 0;

		while (func_arg(d->s[CP_FILTER].val, "opacity", &a, &from))
			if (opacity_val(a, &op))
				*opacity *= op < 0 ? 0 : (op > 1 ? 1 : op);
	}
	if (*opacity <= MIN_OPACITY)
		m |= 1u << HM_OPACITY;

	bool ov = false;

	for (enum css_prop p = CP_OVERFLOW; p <= CP_OVERFLOW_Y; p++)
		if (d->s[p].set &&
		    (has_word(d->s[p].val, "hidden") || has_word(d->s[p].val, "clip")))
			ov = true;
	if (ov) {
		double px;
		struct slice aw = attr(n, "width"), ah = attr(n, "height");

		if (length_le(d, CP_WIDTH, TINY_SIZE_PX) || length_le(d, CP_HEIGHT, TINY_SIZE_PX) ||
		    length_le(d, CP_MAX_WIDTH, TINY_SIZE_PX) ||
		    length_le(d, CP_MAX_HEIGHT, TINY_SIZE_PX) ||
		    (!d->s[CP_WIDTH].set && aw.len > 0 && css_length_px(aw, 16, -1, &px) &&
		     px <= TINY_SIZE_PX) ||
		    (!d->s[CP_HEIGHT].set && ah.len > 0 && css_length_px(ah, 16, -1, &px) &&
		     px <= TINY_SIZE_PX))
			m |= 1u << HM_ZERO_SIZE;
		/* line-height:0 collapses every line box of an auto-height block
		 * to nothing, and overflow clips the glyphs. */
		if (d->s[CP_LINE_HEIGHT].set && line_height_px(d->s[CP_LINE_HEIGHT].val, 16, &px) &&
		    px <= TINY_SIZE_PX &&
		    !(d->s[CP_HEIGHT].set &&
		      css_length_px(first_token(d->s[CP_HEIGHT].val), 16, -1, &px) &&
		      px > TINY_SIZE_PX))
			m |= 1u << HM_LINE_HEIGHT;
	}

	v = d->s[CP_POSITION].set ? first_token(d->s[CP_POSITION].val) : (struct slice){"", 0};
	if (v.len > 0 && !sl_eq_cstr(v, "static") &&
	    (length_off(d, CP_LEFT) || length_off(d, CP_TOP) || length_off(d, CP_RIGHT) ||
	     length_off(d, CP_BOTTOM)))
		m |= 1u << HM_OFFSCREEN;
	if (length_le(d, CP_MARGIN_LEFT, OFFSCREEN_NEG) ||
	    length_le(d, CP_MARGIN_TOP, OFFSCREEN_NEG))
		m |= 1u << HM_OFFSCREEN;
	if (d->s[CP_MARGIN].set) {
		struct slice mv[4];
		size_t k = split_args(d->s[CP_MARGIN].val, mv, 4);
		double px;

		/* margin: top [right [bottom [left]]] */
		if ((k >= 1 && css_length_px(mv[0], 16, -1, &px) && px <= OFFSCREEN_NEG) ||
		    (k == 4 && css_length_px(mv[3], 16, -1, &px) && px <= OFFSCREEN_NEG) ||
		    ((k == 2 || k == 3) && css_length_px(mv[1], 16, -1, &px) &&
		     px <= OFFSCREEN_NEG))
			m |= 1u << HM_OFFSCREEN;
	}
	if (length_le(d, CP_TEXT_INDENT, OFFSCREEN_NEG))
		m |= 1u << HM_TEXT_INDENT;
	if (d->s[CP_CLIP].set && clip_hides(d->s[CP_CLIP].val))
		m |= 1u << HM_CLIP;
	if (d->s[CP_CLIP_PATH].set && clip_path_hides(d->s[CP_CLIP_PATH].val))
		m |= 1u << HM_CLIP;
	if (d->s[CP_TRANSFORM].set) {
		bool off = false;

		if (transform_hides(d->s[CP_TRANSFORM].val, &off))
			m |= 1u << HM_TRANSFORM;
		if (off)
			m |= 1u << HM_OFFSCREEN;
	}
	if (transform_props_hide(d))
		m |= 1u << HM_TRANSFORM;
	return m;
}

/* v without surrounding ASCII white space. */
static struct slice
sl_trim_css(struct slice v)
{
	size_t i = 0;

	while (i < v.len && ascii_ws((unsigned char)v.p[i]))
		i++;
	v = (struct slice){v.p + i, v.len - i};
	while (v.len > 0 && ascii_ws((unsigned char)v.p[v.len - 1]))
		v.len--;
	return v;
}

static bool
starts_with_fn(struct slice v)
{
	static const char *const fns[] = {"calc(", "min(", "max(", "clamp("};

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (v.len >= strlen(fns[i]) && memcmp(v.p, fns[i], strlen(fns[i])) == 0)
			return true;
	return false;
}

static const struct {
	const char *name;
	double px;
} font_keywords[] = {
    {"xx-small", 9}, {"x-small", 10}, {"small", 13},    {"medium", 16},
    {"large", 18},   {"x-large", 24}, {"xx-large", 32}, {"xxx-large", 48},
};

static bool
font_size_val(struct slice v, double parent, double *px)
{
	v = sl_trim_css(v);
	/* calc() evaluated exactly where it can be; otherwise (min(), max(),
	 * nesting) css_length_px's smallest term, which errs towards hidden. */
	if (starts_with_fn(v))
		return css_calc_px(v, parent, parent, px) || css_length_px(v, parent, parent, px);
	v = first_token(v);
	if (sl_eq_cstr(v, "inherit") || sl_eq_cstr(v, "unset") || sl_eq_cstr(v, "initial"))
		return false;
	if (sl_eq_cstr(v, "smaller")) {
		*px = parent / 1.2;
		return true;
	}
	if (sl_eq_cstr(v, "larger")) {
		*px = parent * 1.2;
		return true;
	}
	for (size_t i = 0; i < sizeof(font_keywords) / sizeof(font_keywords[0]); i++)
		if (sl_eq_cstr(v, font_keywords[i].name)) {
			*px = font_keywords[i].px;
			return true;
		}
	return css_length_px(v, parent, parent, px);
}

/* font shorthand: the size is the first token that parses as one (before
 * an optional "/line-height"). */
static bool
font_shorthand_size(struct slice v, double parent, double *px)
{
	size_t i = 0;

	while (i < v.len) {
		while (i < v.len && ascii_ws((unsigned char)v.p[i]))
			i++;
		size_t st = i, depth = 0;

		/* calc( ... ) stays one token whatever spaces it holds. */
		while (i < v.len && (depth > 0 || (!ascii_ws((unsigned char)v.p[i]) &&
		                                   v.p[i] != '/' && v.p[i] != ','))) {
			if (v.p[i] == '(')
				depth++;
			else if (v.p[i] == ')' && depth > 0)
				depth--;
			i++;
		}
		if (i == st) {
			i++;
			continue;
		}
		struct slice t = {v.p + st, i - st};

		if (((t.p[0] >= '0' && t.p[0] <= '9') || t.p[0] == '.' || t.p[0] == '-' ||
		     t.p[0] == '+') &&
		    font_size_val(t, parent, px)) {
			/* font-weight numbers (400) are unitless; a size has a unit or is 0. */
			if (t.len > 0 && t.p[t.len - 1] >= '0' && t.p[t.len - 1] <= '9' && *px != 0)
				continue;
			return true;
		}
		if (starts_with_fn(t) && font_size_val(t, parent, px))
			return true;
		if (font_size_val(t, parent, px) && !(t.p[0] >= '0' && t.p[0] <= '9'))
			return true;
	}
	return false;
}

/* A colour value css_color_parse could not evaluate that a browser may
 * still paint: color-mix(), var(), relative colours, spaces we do not map,
 * unknown keywords. The CSS-wide keywords and currentcolor only repeat what
 * is inherited, which is known. */
static bool
color_unevaluable(struct slice v)
{
	static const char *const kw[] = {"inherit", "currentcolor", "initial", "unset",
	                                 "revert",  "revert-layer", "none"};

	v = first_token(v);
	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (sl_eq_cstr(v, kw[i]))
			return false;
	return true;
}

/* Computes the state children inherit from parent p for element n. */
static void
inherit_state(const struct css_decls *d, const GumboNode *n, const struct istate *p,
              struct istate *s, bool is_link)
{
	struct css_color c;
	struct slice v;
	double px;

	*s = *p;
	/* font-size vs the font shorthand: whichever won the cascade. */
	if (d->s[CP_FONT_SIZE].set &&
	    (!d->s[CP_FONT].set || d->s[CP_FONT_SIZE].prio >= d->s[CP_FONT].prio)) {
		if (font_size_val(d->s[CP_FONT_SIZE].val, p->font_px, &px))
			s->font_px = px < 0 ? 0 : px;
	} else if (d->s[CP_FONT].set && font_shorthand_size(d->s[CP_FONT].val, p->font_px, &px)) {
		s->font_px = px < 0 ? 0 : px;
	}
	if (d->s[CP_VISIBILITY].set) {
		v = first_token(d->s[CP_VISIBILITY].val);
		if (sl_eq_cstr(v, "hidden") || sl_eq_cstr(v, "collapse"))
			s->vis_hidden = true;
		else if (sl_eq_cstr(v, "visible"))
			s->vis_hidden = false;
	}
	/* Text colour: author CSS, else presentational (<font color>, body
	 * text=), else the UA's link colour for links, else inherited. */
	if (d->s[CP_COLOR].set) {
		if (css_color_parse(d->s[CP_COLOR].val, &c)) {
			s->color = c;
			s->color_unknown = false;
		} else if (color_unevaluable(d->s[CP_COLOR].val)) {
			s->color_unknown = true; /* keeps the inherited colour for the checks */
		}
	} else if (((v = attr(n, "color")).len > 0 ||
	            (n->v.element.tag == GUMBO_TAG_BODY && (v = attr(n, "text")).len > 0)) &&
	           css_legacy_color_parse(v, &c)) {
		s->color = c;
		s->color_unknown = false;
	} else if (is_link) {
		s->color = (struct css_color){0, 0, 0xee, 255};
		s->color_unknown = false;
	}
	if (d->s[CP_TEXT_FILL_COLOR].set) {
		if (css_color_parse(d->s[CP_TEXT_FILL_COLOR].val, &c)) {
			s->fill = c;
			s->fill_set = true;
			s->color_unknown = false;
		} else if (color_unevaluable(d->s[CP_TEXT_FILL_COLOR].val)) {
			s->color_unknown = true;
		}
	}
	/* Background: background-color vs background shorthand by cascade, then
	 * bgcolor=. Semi-transparent backgrounds composite over what is behind.
	 * Background images are never loaded, so their fallback colour is what
	 * the reader sees first. */
	bool have = false;

	if (d->s[CP_BACKGROUND_COLOR].set &&
	    (!d->s[CP_BACKGROUND].set ||
	     d->s[CP_BACKGROUND_COLOR].prio >= d->s[CP_BACKGROUND].prio)) {
		have = css_color_parse(d->s[CP_BACKGROUND_COLOR].val, &c);
		if (!have && color_unevaluable(d->s[CP_BACKGROUND_COLOR].val))
			s->bg_unknown = true;
	} else if (d->s[CP_BACKGROUND].set)
		have = css_color_in_shorthand(d->s[CP_BACKGROUND].val, &c);
	if (!have && (v = attr(n, "bgcolor")).len > 0)
		have = css_legacy_color_parse(v, &c);
	if (have) {
		s->bg = css_blend(c, p->bg);
		if (c.a == 255)
			s->bg_unknown = false; /* an opaque known colour covers the unknown */
	}
}

/* Which per-text method hides text rendered with state s, or -1. */
static int
text_hidden(const struct istate *s)
{
	struct css_color c = s->fill_set ? s->fill : s->color;

	if (s->vis_hidden)
		return HM_VISIBILITY;
	if (s->font_px <= TINY_FONT_PX)
		return HM_FONT_SIZE;
	if (c.a <= MIN_TEXT_ALPHA)
		return HM_TRANSPARENT_TEXT;
	if (css_color_dist2(css_blend(c, s->bg), s->bg) < CSS_INVISIBLE_DIST2)
		return HM_COLOR_MATCH;
	return -1;
}

/* ---- links ------------------------------------------------------------------ */

enum href_kind {
	HREF_NONE, /* empty or "#fragment": a link into the message itself */
	HREF_WEB,  /* absolute http(s) with a dotted host or IP literal */
	HREF_MAILTO,
	HREF_TEL,
	HREF_BAD, /* anything else: javascript:, data:, relative, malformed */
};

static char
lower(char c)
{
	if (c >= 'A' && c <= 'Z')
		c = (char)(c + 32);
	return c;
}

static bool
prefix_nocase(struct slice s, const char *p)
{
	size_t n = strlen(p);

	if (s.len < n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != p[i])
			return false;
	return true;
}

/* WHATWG URL: leading/trailing C0 controls and spaces are stripped. */
static struct slice
href_trim(struct slice h)
{
	while (h.len > 0 && (unsigned char)h.p[0] <= 0x20) {
		h.p++;
		h.len--;
	}
	while (h.len > 0 && (unsigned char)h.p[h.len - 1] <= 0x20)
		h.len--;
	return h;
}

static bool
host_valid(struct slice h)
{
	size_t labels = 0, ll = 0;
	bool alldigit_tld = true;

	if (h.len == 0 || h.len > 253)
		return false;
	if (h.p[0] == '[')
		return h.p[h.len - 1] == ']' && h.len > 2; /* IPv6 literal */
	for (size_t i = 0; i < h.len; i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c == '.') {
			if (ll == 0 || ll > 63)
				return false;
			labels++;
			ll = 0;
			alldigit_tld = true;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c >= 0x80))
			return false;
		if (!(c >= '0' && c <= '9'))
			alldigit_tld = false;
		ll++;
	}
	if (ll == 0) /* trailing dot: the root label */
		return labels >= 2;
	labels++;
	(void)alldigit_tld; /* dotted IPv4 is as acceptable as a name here */
	return labels >= 2 && ll <= 63;
}

/* Classifies an href and extracts the host it points to (lowercase
 * comparison happens later). */
static enum href_kind
href_classify(struct slice h, struct slice *host)
{
	*host = (struct slice){NULL, 0};
	h = href_trim(h);
	if (h.len == 0 || h.p[0] == '#')
		return HREF_NONE;
	for (size_t i = 0; i < h.len; i++)
		if (h.p[i] == '\t' || h.p[i] == '\n' || h.p[i] == '\r')
			return HREF_BAD; /* browsers strip these; mail has no reason to use them */
	if (prefix_nocase(h, "http://") || prefix_nocase(h, "https://")) {
		size_t st = prefix_nocase(h, "http://") ? 7 : 8, e = st;

		while (e < h.len && h.p[e] != '/' && h.p[e] != '?' && h.p[e] != '#' &&
		       h.p[e] != '\\')
			e++;
		struct slice auth = {h.p + st, e - st};
		const char *at = NULL;

		for (size_t i = 0; i < auth.len; i++)
			if (auth.p[i] == '@')
				at = auth.p + i; /* the last '@' ends the userinfo */
		if (at != NULL) {
			auth.len -= (size_t)(at + 1 - auth.p);
			auth.p = at + 1;
		}
		if (auth.len > 0 && auth.p[0] != '[') {
			const char *colon = memchr(auth.p, ':', auth.len);

			if (colon != NULL) {
				for (const char *q = colon + 1; q < auth.p + auth.len; q++)
					if (*q < '0' || *q > '9')
						return HREF_BAD;
				auth.len = (size_t)(colon - auth.p);
			}
		}
		*host = auth;
		return host_valid(auth) ? HREF_WEB : HREF_BAD;
	}
	if (prefix_nocase(h, "mailto:")) {
		struct slice a = {h.p + 7, h.len - 7};
		const char *q = memchr(a.p, '?', a.len);
		const char *at;

		if (q != NULL)
			a.len = (size_t)(q - a.p);
		at = memchr(a.p, '@', a.len);
		if (at == NULL || at == a.p)
			return HREF_BAD;
		*host = (struct slice){at + 1, a.len - (size_t)(at + 1 - a.p)};
		return host_valid(*host) ? HREF_MAILTO : HREF_BAD;
	}
	if (prefix_nocase(h, "tel:")) {
		for (size_t i = 4; i < h.len; i++)
			if (!((h.p[i] >= '0' && h.p[i] <= '9') || h.p[i] == '+' || h.p[i] == '-' ||
			      h.p[i] == ' ' || h.p[i] == '(' || h.p[i] == ')' || h.p[i] == '.'))
				return HREF_BAD;
		return HREF_TEL;
	}
	return HREF_BAD;
}

/* Top-level domains accepted in link text. Two-letter ones are country
 * codes, minus the few that collide with common file extensions. */
static const char *const tlds[] = {
    "app",   "bank",  "biz",  "blog",   "cloud", "club", "com",  "coop", "dev",
    "edu",   "email", "gov",  "info",   "int",   "io",   "live", "mil",  "mobi",
    "name",  "net",   "news", "online", "org",   "page", "pro",  "shop", "site",
    "store", "tech",  "top",  "travel", "vip",   "xyz",  "zone", "app",
};

static bool
tld_ok(struct slice t)
{
	for (size_t i = 0; i < t.len; i++)
		if (!(t.p[i] >= 'a' && t.p[i] <= 'z'))
			return prefix_nocase(t, "xn--");
	if (t.len == 2)
		return !(sl_eq_cstr(t, "js") || sl_eq_cstr(t, "md") || sl_eq_cstr(t, "py") ||
		         sl_eq_cstr(t, "sh") || sl_eq_cstr(t, "gz") || sl_eq_cstr(t, "rs") ||
		         sl_eq_cstr(t, "cs") || sl_eq_cstr(t, "ps") || sl_eq_cstr(t, "db"));
	for (size_t i = 0; i < sizeof(tlds) / sizeof(tlds[0]); i++)
		if (sl_eq_cstr(t, tlds[i]))
			return true;
	return false;
}

/* The registrable part, approximated without the Public Suffix List: the
 * last two labels, or three under a two-letter country code whose second
 * level is a generic one (co.uk, com.au, ne.jp ...). */
static struct slice
host_base(struct slice h)
{
	size_t dots[3] = {0}, nd = 0;

	while (h.len > 0 && h.p[h.len - 1] == '.')
		h.len--;
	for (size_t i = h.len; i > 0 && nd < 3; i--)
		if (h.p[i - 1] == '.')
			dots[nd++] = i - 1;
	if (nd == 0)
		return h;
	size_t tld_len = h.len - dots[0] - 1;
	size_t sld_len = nd >= 2 ? dots[0] - dots[1] - 1 : dots[0];
	size_t keep = nd >= 2 ? dots[1] + 1 : 0;

	if (tld_len == 2 && sld_len <= 3 && nd >= 2)
		keep = nd >= 3 ? dots[2] + 1 : 0;
	return (struct slice){h.p + keep, h.len - keep};
}

static bool
host_eq(struct slice a, struct slice b)
{
	while (a.len > 0 && a.p[a.len - 1] == '.')
		a.len--;
	while (b.len > 0 && b.p[b.len - 1] == '.')
		b.len--;
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower(a.p[i]) != lower(b.p[i]))
			return false;
	return true;
}

/* Does the visible link text name a domain other than the href's? */
static bool
link_text_mismatch(struct slice text, struct slice host)
{
	size_t i = 0, found = 0;

	if (text.len > LIM_LINK_TEXT)
		text.len = LIM_LINK_TEXT;
	while (i < text.len && found < 8) {
		unsigned char c;

		while (i < text.len) {
			c = (unsigned char)text.p[i];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'))
				break;
			i++;
		}
		size_t st = i, last_dot = 0;
		bool dot = false;

		while (i < text.len) {
			c = (unsigned char)text.p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.' || c >= 0x80))
				break;
			if (c == '.') {
				dot = true;
				last_dot = i;
			}
			i++;
		}
		struct slice tok = {text.p + st, i - st};

		while (tok.len > 0 && tok.p[tok.len - 1] == '.') {
			tok.len--; /* sentence punctuation */
			if (last_dot == st + tok.len)
				last_dot = 0;
		}
		if (!dot || tok.len == 0 || last_dot <= st || last_dot >= st + tok.len)
			continue;
		char tl[24];
		struct slice t = {text.p + last_dot + 1, st + tok.len - last_dot - 1};

		if (t.len < 2 || t.len >= sizeof(tl))
			continue;
		for (size_t k = 0; k < t.len; k++)
			tl[k] = lower(t.p[k]);
		if (!tld_ok((struct slice){tl, t.len}) || !host_valid(tok))
			continue;
		found++;
		if (host.len == 0 || !host_eq(host_base(tok), host_base(host)))
			return true;
	}
	return false;
}

/* ---- output ----------------------------------------------------------------- */

struct writer {
	struct buf *out;
	size_t max;        /* bytes the output may hold */
	unsigned want_nl;  /* line breaks owed before the next text */
	unsigned trail_nl; /* line breaks at the end of the output */
	bool want_space;
	bool want_sep; /* a table-cell separator is owed */
	bool full;
};

/* Length of the longest prefix of p[0..n) that does not end inside a UTF-8
 * sequence (p is valid UTF-8 up to where it was cut). */
static size_t
u8_cut(const char *p, size_t n)
{
	size_t lead = n, need;
	unsigned char c;

	while (lead > 0 && ((unsigned char)p[lead - 1] & 0xC0) == 0x80 && n - lead < 3)
		lead--;
	if (lead == 0)
		return n;
	c = (unsigned char)p[lead - 1];
	if (c < 0x80)
		return n;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
	return n - (lead - 1) >= need ? n : lead - 1;
}

/* Appends at most what fits, cutting on a UTF-8 boundary. */
static void
w_raw(struct writer *w, const char *p, size_t n)
{
	size_t room;

	if (w->full || n == 0)
		return;
	room = w->max > w->out->len ? w->max - w->out->len : 0;
	if (n > room) {
		n = room;
		while (n > 0 && ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		w->full = true;
	}
	buf_append(w->out, p, n);
	if (buf_err(w->out) != IG_OK)
		w->full = true;
}

static bool
w_line_start(const struct writer *w)
{
	return w->out->len == 0 || w->trail_nl > 0;
}

/* Settles owed breaks/separators before visible content. */
static void
w_flush(struct writer *w)
{
	if (w->out->len > 0 && w->want_nl > w->trail_nl) {
		static const char nls[] = "\n\n";
		unsigned k = w->want_nl - w->trail_nl;

		w_raw(w, nls, k > 2 ? 2 : k);
		w->trail_nl = w->want_nl;
	} else if (!w_line_start(w) && w->want_sep) {
		w_raw(w, " | ", 3);
	} else if (!w_line_start(w) && w->want_space) {
		w_raw(w, " ", 1);
	}
	w->want_nl = 0;
	w->want_space = false;
	w->want_sep = false;
}

static void
w_block(struct writer *w, unsigned k)
{
	if (k > w->want_nl)
		w->want_nl = k;
	w->want_space = false;
	w->want_sep = false;
}

static void
w_br(struct writer *w)
{
	w_flush(w);
	w_raw(w, "\n", 1);
	w->trail_nl++;
	w->want_space = false;
}

/* Visible text with CSS normal-flow whitespace collapsing (or preserved in
 * pre). */
static void
w_text(struct writer *w, const char *p, size_t len, bool pre)
{
	size_t i = 0;

	while (i < len && !w->full) {
		size_t st = i;

		if (pre) {
			while (i < len && p[i] != '\n' && p[i] != '\r')
				i++;
			if (i > st) {
				w_flush(w);
				w_raw(w, p + st, i - st);
				w->trail_nl = 0;
			}
			if (i < len) {
				if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
					i++;
				i++;
				w_br(w);
			}
			continue;
		}
		if (ascii_ws((unsigned char)p[i])) {
			while (i < len && ascii_ws((unsigned char)p[i]))
				i++;
			w->want_space = true;
			continue;
		}
		while (i < len && !ascii_ws((unsigned char)p[i]))
			i++;
		w_flush(w);
		w_raw(w, p + st, i - st);
		w->trail_nl = 0;
	}
}

/* Escaped text for html_sanitize. */
static void
w_escaped(struct writer *w, const char *p, size_t len)
{
	size_t st = 0;

	for (size_t i = 0; i < len && !w->full; i++) {
		const char *rep = NULL;

		switch (p[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			break;
		}
		if (rep == NULL)
			continue;
		w_raw(w, p + st, i - st);
		w_raw(w, rep, strlen(rep));
		st = i + 1;
	}
	w_raw(w, p + st, len - st);
}

/* An href as shown in text: no whitespace or controls, capped. */
static void
w_href(struct writer *w, struct slice h)
{
	char tmp[LIM_HREF_OUT];
	size_t n = 0;

	h = href_trim(h);
	for (size_t i = 0; i < h.len && n + 3 < sizeof(tmp); i++) {
		unsigned char c = (unsigned char)h.p[i];

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == ' ') {
			tmp[n++] = '%';
			tmp[n++] = '2';
			tmp[n++] = '0';
			continue;
		}
		tmp[n++] = (char)c;
	}
	n = u8_cut(tmp, n);
	w_raw(w, tmp, n);
}

/* ---- the walk ------------------------------------------------------------------ */

struct frame {
	const GumboNode *node;
	size_t next; /* next child to visit */
	struct istate is;
	struct css_elem ce;
	enum ekind kind;
	unsigned ol_n; /* list: next number (ol) */
	bool ordered;
	bool cell_seen;      /* tr: a cell was opened already */
	bool details_closed; /* <details> without open: only its first <summary> shows */
	bool summary_seen;
	bool link; /* a with href */
	enum href_kind hk;
	struct slice href, host;
	size_t link_start;   /* output length when the link opened */
	const char *san_tag; /* html_sanitize: the tag emitted, to close it */
	char tagbuf[32];
};

struct walker {
	struct writer w;
	struct css_sheet *sheet;
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
				if (n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
					goto next;
				for (size_t i = 0; i < ch->length && k->css_err == IG_OK; i++) {
					const GumboNode *c = ch->data[i];

					/* A rule that does not fit could be the one that
					 * hides something: over a cap the whole render
					 * fails (fail closed). */
					if (c->type == GUMBO_NODE_TEXT ||
					    c->type == GUMBO_NODE_WHITESPACE)
						k->css_err = css_sheet_add(
						    k->sheet, sl_from_cstr(c->v.text.text));
				}
			} else if (t == GUMBO_TAG_IMG || t == GUMBO_TAG_IMAGE) {
				struct slice src = href_trim(attr(n, "src"));

				if ((src.len > 0 && !prefix_nocase(src, "data:") &&
				     !prefix_nocase(src, "cid:")) ||
				    attr(n, "srcset").len > 0)
					k->st.remote_images++;
			}
			struct slice bg = href_trim(attr(n, "background"));

			if (bg.len > 0 && !prefix_nocase(bg, "data:") && !prefix_nocase(bg, "cid:"))
				k->st.remote_images++;
		}
	next:
		n = node_next(n, root, skip);
	}
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

	w_raw(w, "<", 1);
	w_raw(w, f->san_tag, strlen(f->san_tag));
	if (f->link && (f->hk == HREF_WEB || f->hk == HREF_MAILTO)) {
		w_raw(w, " href=\"", 7);
		w_escaped(w, href_trim(f->href).p, href_trim(f->href).len);
		w_raw(w, "\"", 1);
	}
	if ((v = attr(n, "title")).len > 0) {
		w_raw(w, " title=\"", 8);
		w_escaped(w, v.p, v.len > 512 ? u8_cut(v.p, 512) : v.len);
		w_raw(w, "\"", 1);
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
			w_raw(w, " ", 1);
			w_raw(w, span[i], strlen(span[i]));
			w_raw(w, "=\"", 2);
			w_raw(w, v.p, v.len);
			w_raw(w, "\"", 1);
		}
	}
	w_raw(w, ">", 1);
}

/* Enters element n under frame f: decides hidden/dropped, pushes a frame. */
static void
enter(struct walker *k, struct frame *f, const GumboNode *n)
{
	struct css_decls d;
	struct frame *c;
	char tmp[32];
	struct slice name, v;
	enum ekind kind;
	double opacity = f->is.opacity;
	unsigned mask;

	if (n->type == GUMBO_NODE_TEMPLATE || n->v.element.tag_namespace != GUMBO_NAMESPACE_HTML)
		return; /* template contents and svg/math are never rendered as text */
	name = tag_name(n, tmp, sizeof(tmp));
	kind = kind_of(name);
	if (kind == EK_DROP || kind == EK_IMG)
		return;

	memset(&d, 0, sizeof(d));
	struct css_elem ce = {name, attr(n, "id"), attr(n, "class"), k->depth > 1 ? &f->ce : NULL};

	if (!css_sheet_match(k->sheet, &ce, &d)) {
		k->budget_out = true;
		return;
	}
	v = attr(n, "style");
	if (v.len > 0) {
		/* Never cut: the last declaration may be the one that hides. */
		buf_reset(&k->scratch);
		css_normalize(v, &k->scratch);
		css_decls_apply(&d, buf_slice(&k->scratch), CSS_PRIO_INLINE);
	}
	mask = subtree_hidden(&d, n, &opacity);
	if (mask != 0) {
		if (subtree_has_text(n)) {
			k->hidden |= mask;
			k->st.hidden_removed++;
		}
		return;
	}
	if (k->depth >= LIM_HTML_DEPTH) {
		k->st.truncated = true; /* deeper than any real layout: not rendered */
		return;
	}
	if (kind == EK_BR) {
		if (k->sanitize)
			w_raw(&k->w, "<br>", 4);
		else
			w_br(&k->w);
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
	inherit_state(&d, n, &f->is, &c->is, c->link);
	c->is.opacity = opacity;
	if (c->link) {
		c->href = attr(n, "href");
		c->hk = href_classify(c->href, &c->host);
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
	if (kind == EK_PRE)
		c->is.pre = true;
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
		w_block(&k->w, 1);
		break;
	case EK_BLOCK2:
	case EK_PRE:
		w_block(&k->w, 2);
		break;
	case EK_LIST:
		w_block(&k->w, k->list_depth == 1 ? 2 : 1);
		break;
	case EK_TR:
		w_block(&k->w, 1);
		break;
	case EK_LI: {
		struct frame *l = nearest(k, EK_LIST);
		char num[24];

		w_block(&k->w, 1);
		w_flush(&k->w);
		for (size_t i = 1; i < k->list_depth; i++)
			w_raw(&k->w, "  ", 2);
		if (l != NULL && l->ordered) {
			int len = snprintf(num, sizeof(num), "%u. ", l->ol_n++);

			if (len > 0)
				w_raw(&k->w, num, (size_t)len);
		} else {
			w_raw(&k->w, "- ", 2);
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
	href = href_trim(href);
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
	return host_eq(text, href);
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
		if (f->hk != HREF_NONE && f->hk != HREF_TEL && link_text_mismatch(text, f->host))
			k->st.link_mismatches++;
		if (!k->sanitize && f->hk != HREF_NONE && (f->hk != HREF_BAD || f->host.len > 0) &&
		    !text_eq_href(text, f->href)) {
			if (text.len == 0) {
				w_flush(w);
				w_raw(w, "[", 1);
			} else {
				w_raw(w, " [", 2);
			}
			w_href(w, f->href);
			w_raw(w, "]", 1);
			w->trail_nl = 0;
			w->want_space = false;
		}
	}
	if (k->sanitize) {
		if (f->san_tag != NULL && f->kind != EK_BR && strcmp(f->san_tag, "hr") != 0) {
			w_raw(w, "</", 2);
			w_raw(w, f->san_tag, strlen(f->san_tag));
			w_raw(w, ">", 1);
		}
	} else {
		switch (f->kind) {
		case EK_BLOCK1:
		case EK_TR:
		case EK_LI:
			w_block(w, 1);
			break;
		case EK_BLOCK2:
		case EK_PRE:
			w_block(w, 2);
			break;
		case EK_LIST:
			w_block(w, k->list_depth == 1 ? 2 : 1);
			break;
		default:
			break;
		}
	}
	if (f->kind == EK_LIST && k->list_depth > 0)
		k->list_depth--;
}

static void
on_text(struct walker *k, const struct frame *f, const GumboNode *n)
{
	const char *p = n->v.text.text;
	size_t len = strlen(p);
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
	hm = text_hidden(&f->is);
	if (hm >= 0) {
		if (!text_blank(p, len)) {
			k->hidden |= 1u << hm;
			k->st.hidden_removed++;
		}
		return;
	}
	/* Fail closed on colours we cannot evaluate (color-mix(), var(), ...):
	 * dropping would lose legitimate text styled by newer CSS, keeping it
	 * silently could pass text the reader never sees. So it is kept and
	 * reported (method=unevaluable_color) so the agent is warned. */
	if ((f->is.color_unknown || f->is.bg_unknown) && !text_blank(p, len))
		k->hidden |= 1u << HM_UNEVALUABLE_COLOR;
	if (k->sanitize)
		w_escaped(&k->w, p, len);
	else
		w_text(&k->w, p, len, f->is.pre);
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
	     !text_blank(n->v.text.text, strlen(n->v.text.text))) ||
	    (n->type == GUMBO_NODE_ELEMENT && subtree_has_text(n))) {
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
	root->is = (struct istate){
	    .color = {0, 0, 0, 255}, .bg = {255, 255, 255, 255}, .font_px = 16, .opacity = 1};
	k->depth = 1;
	while (k->depth > 0 && !k->budget_out && !k->w.full) {
		struct frame *f = &k->stack[k->depth - 1];
		const GumboVector *ch = node_children(f->node);
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
	k->sheet = css_sheet_new();
	if (k->stack == NULL || k->sheet == NULL)
		goto out;
	buf_init(&k->scratch, LIM_HTML_INPUT); /* normalizing never grows CSS */
	k->w = (struct writer){.out = out, .max = out->max};
	k->sanitize = sanitize;
	g = gumbo_parse_capped(m, html, &err);
	if (g == NULL)
		goto out;
	prepass(k, g->document);
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
		gmem_free_all(m);
	if (k != NULL) {
		buf_free(&k->scratch);
		css_sheet_free(k->sheet);
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
