/* Hidden-content detection per element (DESIGN §2): the CSS and attribute
 * methods that hide a subtree (display, visibility, opacity, size, position,
 * clip, transform, ...) and the state descendants inherit (colours,
 * background seen through transparent boxes, font size, opacity), from which
 * text that matches its background or is too small to read is found. */
#include "content/html.h"

#include <gumbo.h>
#include <math.h>
#include <string.h>

#include "content/css.h"
#include "content/html_int.h"

/* Off-screen thresholds: CSS px. -100px already moves any short text out of
 * view at the left edge; legitimate layouts use a few px at most. */
#define OFFSCREEN_NEG (-100.0)
#define OFFSCREEN_POS 3000.0
#define TINY_FONT_PX 2.0 /* at or below: unreadable */
/* Chromium's minimum logical font size: the floor for sizes relative to the
 * reader's default (keywords, em and % down from them). */
#define MIN_LOGICAL_FONT_PX 6.0
#define TINY_SIZE_PX 1.0  /* width/height at or below, with overflow hidden */
#define MIN_OPACITY 0.05  /* at or below: invisible */
#define MIN_TEXT_ALPHA 13 /* of 255, about 0.05 */

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

/* A <length-percentage> as px + pct% of a size we do not know; false for
 * what cannot be split so (keywords, calc() with a percentage). */
static bool
len_pct(struct slice t, double *px, double *pct)
{
	*px = 0;
	*pct = 0;
	if (t.len > 0 && t.p[t.len - 1] == '%')
		return css_length_px(t, 16, 100, pct);
	return css_length_px(t, 16, -1, px);
}

/* inset(t r b l [round ...]): nothing is left when the insets of two
 * opposite edges meet; known when both are percentages, or both lengths
 * and negative space remains whatever the box (CSS Masking 1 §5.1). */
static bool
inset_hides(struct slice a)
{
	struct slice args[5];
	size_t n = 0, k = split_args(a, args, 5);
	double px[4], pc[4];

	while (n < k && !sl_eq_cstr(args[n], "round"))
		n++;
	if (n == 0 || n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!len_pct(args[i], &px[i], &pc[i]))
			return false;
	/* the margin-style shorthand: t [r [b [l]]] */
	if (n < 2) {
		px[1] = px[0];
		pc[1] = pc[0];
	}
	if (n < 3) {
		px[2] = px[0];
		pc[2] = pc[0];
	}
	if (n < 4) {
		px[3] = px[1];
		pc[3] = pc[1];
	}
	for (size_t e = 0; e < 2; e++) {
		double ppx = px[e] + px[e + 2], ppc = pc[e] + pc[e + 2];

		if (ppc >= 100 && ppx >= 0)
			return true;
	}
	return false;
}

/* polygon([fill-rule,] x y, ...): its bounding box (what it can paint at
 * most) has no width or no height: every x (or every y) is the same. Only
 * agreement in the percentage part (and lengths within a pixel) counts. */
static bool
polygon_hides(struct slice a)
{
	double x0[2] = {0, 0}, y0[2] = {0, 0};
	bool flat_x = true, flat_y = true;
	size_t i = 0, npt = 0;

	while (i <= a.len) {
		const char *c = i < a.len ? memchr(a.p + i, ',', a.len - i) : NULL;
		size_t end = c != NULL ? (size_t)(c - a.p) : a.len;
		struct slice pt[3];
		size_t n = split_args((struct slice){a.p + i, end - i}, pt, 3);
		double x[2], y[2];

		i = end + 1;
		if (n == 1 && npt == 0 && (sl_eq_cstr(pt[0], "nonzero") || sl_eq_cstr(pt[0], "evenodd")))
			continue;
		if (n != 2 || !len_pct(pt[0], &x[0], &x[1]) || !len_pct(pt[1], &y[0], &y[1]))
			return false;
		if (npt++ == 0) {
			x0[0] = x[0];
			x0[1] = x[1];
			y0[0] = y[0];
			y0[1] = y[1];
			continue;
		}
		flat_x = flat_x && fabs(x[0] - x0[0]) <= TINY_SIZE_PX && fabs(x[1] - x0[1]) < 1e-9;
		flat_y = flat_y && fabs(y[0] - y0[0]) <= TINY_SIZE_PX && fabs(y[1] - y0[1]) < 1e-9;
	}
	return npt > 0 && (flat_x || flat_y);
}

/* clip-path applies to every box, inline ones included (CSS Masking 1). */
static bool
clip_path_hides(struct slice v)
{
	struct slice a, args[2];
	size_t from = 0;
	double px, pc;

	if (func_arg(v, "inset", &a, &from))
		return inset_hides(a);
	from = 0;
	if (func_arg(v, "polygon", &a, &from))
		return polygon_hides(a);
	from = 0;
	if (func_arg(v, "circle", &a, &from)) {
		/* circle(r [at ...]): a radius of (about) nothing */
		return split_args(a, args, 1) == 1 && len_pct(args[0], &px, &pc) && pc <= 0 &&
		       px <= TINY_SIZE_PX;
	}
	from = 0;
	if (func_arg(v, "ellipse", &a, &from)) {
		/* ellipse(rx ry [at ...]): either radius (about) nothing */
		size_t n = split_args(a, args, 2);

		for (size_t k = 0; k < n && k < 2; k++)
			if (len_pct(args[k], &px, &pc) && pc <= 0 && px <= TINY_SIZE_PX)
				return true;
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

/* ---- the element's box ---------------------------------------------------- */

/* The UA stylesheet's display for n (WHATWG HTML §15). */
static enum hdisp
ua_display(const GumboNode *n)
{
	char tmp[32];

	switch (n->v.element.tag) {
	case GUMBO_TAG_TABLE:
		return HD_TABLE;
	case GUMBO_TAG_TR:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT:
	case GUMBO_TAG_COL:
	case GUMBO_TAG_COLGROUP:
		return HD_TABLE_PART;
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
		return HD_CELL;
	default:
		break;
	}
	switch (html_kind_of(html_tag_name(n, tmp, sizeof(tmp)))) {
	case EK_INLINE:
	case EK_BR:
	case EK_IMG:
		return HD_INLINE;
	case EK_DROP:
		return HD_NONE;
	default:
		return HD_BLOCK;
	}
}

/* One display keyword (or the CSS-wide ones, which the caller resolves);
 * returns false for anything the browser would drop as invalid. */
static bool
display_keyword(struct slice v, enum hdisp *r)
{
	static const struct {
		const char *k;
		enum hdisp d;
	} kw[] = {
	    {"none", HD_NONE},
	    {"contents", HD_CONTENTS},
	    {"inline", HD_INLINE},
	    {"ruby", HD_INLINE},
	    {"ruby-base", HD_INLINE},
	    {"ruby-text", HD_INLINE},
	    {"block", HD_BLOCK},
	    {"inline-block", HD_BLOCK},
	    {"list-item", HD_BLOCK},
	    {"flow-root", HD_BLOCK},
	    {"table-caption", HD_BLOCK},
	    {"flex", HD_FLEX},
	    {"inline-flex", HD_FLEX},
	    {"grid", HD_FLEX},
	    {"inline-grid", HD_FLEX},
	    {"-webkit-box", HD_FLEX},
	    {"-webkit-inline-box", HD_FLEX},
	    {"table", HD_TABLE},
	    {"inline-table", HD_TABLE},
	    {"table-row", HD_TABLE_PART},
	    {"table-row-group", HD_TABLE_PART},
	    {"table-header-group", HD_TABLE_PART},
	    {"table-footer-group", HD_TABLE_PART},
	    {"table-column", HD_TABLE_PART},
	    {"table-column-group", HD_TABLE_PART},
	    {"table-cell", HD_CELL},
	};

	for (size_t i = 0; i < sizeof(kw) / sizeof(kw[0]); i++)
		if (sl_eq_cstr(v, kw[i].k)) {
			*r = kw[i].d;
			return true;
		}
	return false;
}

/* The author display value: HD_* in *r and true when the declaration is
 * valid; *revert when it rolls back to the UA value. */
static bool
author_display(const struct css_decls *d, const struct istate *p, enum hdisp ua, enum hdisp *r,
               bool *revert)
{
	struct slice v, t[3];
	size_t n;

	*revert = false;
	if (!d->s[CP_DISPLAY].set)
		return false;
	v = d->s[CP_DISPLAY].val;
	n = split_args(v, t, 3);
	if (n == 1) {
		if (sl_eq_cstr(t[0], "inherit")) {
			*r = p->disp;
			return true;
		}
		if (sl_eq_cstr(t[0], "initial") || sl_eq_cstr(t[0], "unset")) {
			*r = HD_INLINE;
			return true;
		}
		if (sl_eq_cstr(t[0], "revert") || sl_eq_cstr(t[0], "revert-layer")) {
			*revert = true;
			*r = ua;
			return true;
		}
		return display_keyword(t[0], r);
	}
	if (n == 2) {
		/* Two-value syntax: outer (block|inline) and inner (flow,
		 * flow-root, flex, grid, table, list-item). */
		struct slice o = t[0], in = t[1];
		bool blk;

		if (!sl_eq_cstr(o, "block") && !sl_eq_cstr(o, "inline")) {
			o = t[1];
			in = t[0];
		}
		if (!sl_eq_cstr(o, "block") && !sl_eq_cstr(o, "inline"))
			return sl_eq_cstr(t[0], "list-item") && sl_eq_cstr(t[1], "flow-root") &&
			       (*r = HD_BLOCK, true);
		blk = o.p[0] == 'b';
		if (sl_eq_cstr(in, "flow"))
			*r = blk ? HD_BLOCK : HD_INLINE;
		else if (sl_eq_cstr(in, "flow-root") || sl_eq_cstr(in, "list-item"))
			*r = HD_BLOCK;
		else if (sl_eq_cstr(in, "flex") || sl_eq_cstr(in, "grid"))
			*r = HD_FLEX;
		else if (sl_eq_cstr(in, "table"))
			*r = HD_TABLE;
		else
			return false;
		return true;
	}
	return false;
}

/* The computed box of n (after blockification: floats, absolute and fixed
 * positioning, and children of flex and grid containers are blocks). */
static enum hdisp
box_of(const struct css_decls *d, const GumboNode *n, const struct istate *p)
{
	enum hdisp ua = ua_display(n), r;
	bool revert, blockify = p->disp == HD_FLEX;
	struct slice v;

	if (!author_display(d, p, ua, &r, &revert))
		r = ua;
	if (d->s[CP_POSITION].set) {
		v = first_token(d->s[CP_POSITION].val);
		blockify = blockify || sl_eq_cstr(v, "absolute") || sl_eq_cstr(v, "fixed");
	}
	if (d->s[CP_FLOAT].set) {
		v = first_token(d->s[CP_FLOAT].val);
		blockify = blockify || sl_eq_cstr(v, "left") || sl_eq_cstr(v, "right") ||
		           sl_eq_cstr(v, "inline-start") || sl_eq_cstr(v, "inline-end");
	}
	if (blockify && (r == HD_INLINE || r == HD_TABLE_PART || r == HD_CELL))
		r = HD_BLOCK;
	return r;
}

/* The UA's display:none for [hidden] and a closed <dialog> loses to any
 * valid author display other than none/revert (CSS Cascade: author beats
 * user agent). hidden=until-found hides through content-visibility, which
 * display does not override. */
static bool
ua_hidden_overridden(const struct css_decls *d, const struct istate *p)
{
	enum hdisp r;
	bool revert;

	return author_display(d, p, HD_NONE, &r, &revert) && !revert && r != HD_NONE;
}

/* hidden="until-found", ASCII case-insensitively. */
static bool
until_found(struct slice v)
{
	static const char want[] = "until-found";

	if (v.len != sizeof(want) - 1)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (lower(v.p[i]) != want[i])
			return false;
	return true;
}

/* Computed text-indent in px: the element's own, else the inherited one. */
static double
indent_of(const struct css_decls *d, const struct istate *p)
{
	double px;
	struct slice v;

	if (!d->s[CP_TEXT_INDENT].set)
		return p->indent_px;
	v = first_token(d->s[CP_TEXT_INDENT].val);
	if (sl_eq_cstr(v, "initial"))
		return 0;
	if (css_length_px(v, 16, -1, &px))
		return px;
	return p->indent_px;
}

/* ASCII case-insensitive equality of an attribute value and a keyword. */
static bool
attr_is(struct slice v, const char *kw)
{
	return v.len == strlen(kw) && prefix_nocase(v, kw);
}

/* Computed text-align is right (or end: left-to-right text assumed): author
 * CSS, else the align= hint of block elements and table parts (WHATWG HTML
 * §15.3.3, not <table align>, which floats), else inherited. <th> is
 * centred by the UA. */
static bool
align_right_of(const struct css_decls *d, const GumboNode *n, const struct istate *p)
{
	static const char *const right[] = {"right", "end", "-webkit-right"};
	static const char *const other[] = {"left",   "start",          "center",
	                                    "justify", "-webkit-left",   "-webkit-center",
	                                    "initial", "justify-all"};
	GumboTag t = n->v.element.tag;
	struct slice v;

	if (d->s[CP_TEXT_ALIGN].set) {
		v = first_token(d->s[CP_TEXT_ALIGN].val);
		for (size_t i = 0; i < sizeof(right) / sizeof(right[0]); i++)
			if (sl_eq_cstr(v, right[i]))
				return true;
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
			if (sl_eq_cstr(v, other[i]))
				return false;
		if (!sl_eq_cstr(v, "revert") && !sl_eq_cstr(v, "revert-layer"))
			return p->align_right; /* inherit, unset, match-parent, invalid */
	}
	switch (t) {
	case GUMBO_TAG_DIV:
	case GUMBO_TAG_P:
	case GUMBO_TAG_H1:
	case GUMBO_TAG_H2:
	case GUMBO_TAG_H3:
	case GUMBO_TAG_H4:
	case GUMBO_TAG_H5:
	case GUMBO_TAG_H6:
	case GUMBO_TAG_TD:
	case GUMBO_TAG_TH:
	case GUMBO_TAG_TR:
	case GUMBO_TAG_TBODY:
	case GUMBO_TAG_THEAD:
	case GUMBO_TAG_TFOOT:
		v = attr(n, "align");
		if (attr_is(v, "right"))
			return true;
		if (attr_is(v, "left") || attr_is(v, "center") || attr_is(v, "middle") ||
		    attr_is(v, "justify"))
			return false;
		return t == GUMBO_TAG_TH ? false : p->align_right;
	default:
		return p->align_right;
	}
}

/* The position keyword, or "" for static and the CSS-wide keywords. */
static struct slice
position_of(const struct css_decls *d)
{
	struct slice v = d->s[CP_POSITION].set ? first_token(d->s[CP_POSITION].val)
	                                       : (struct slice){"", 0};

	if (sl_eq_cstr(v, "relative") || sl_eq_cstr(v, "absolute") || sl_eq_cstr(v, "fixed") ||
	    sl_eq_cstr(v, "sticky"))
		return v;
	return (struct slice){"", 0};
}

/* A percentage offset of at least pct ("100%"). */
static bool
offset_pct_ge(const struct css_decls *d, enum css_prop p, double pct)
{
	struct slice v = d->s[p].set ? first_token(d->s[p].val) : (struct slice){"", 0};
	double x;

	return v.len > 0 && v.p[v.len - 1] == '%' && css_length_px(v, 16, 100, &x) && x >= pct;
}

/* The offset is auto (not set, or a keyword). */
static bool
offset_auto(const struct css_decls *d, enum css_prop p)
{
	double px;

	return !d->s[p].set || !css_length_px(first_token(d->s[p].val), 16, 100, &px);
}

/* A transform, translate, scale or filter other than none: the box is the
 * containing block of fixed and absolute descendants (CSS Transforms 1
 * §2, Filter Effects 1 §3). */
static bool
makes_cb_fixed(const struct css_decls *d)
{
	static const enum css_prop ps[] = {CP_TRANSFORM, CP_TRANSLATE, CP_SCALE, CP_FILTER};

	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		struct slice v = d->s[ps[i]].set ? first_token(d->s[ps[i]].val)
		                                 : (struct slice){"", 0};

		if (v.len > 0 && !sl_eq_cstr(v, "none") && !sl_eq_cstr(v, "initial") &&
		    !sl_eq_cstr(v, "unset") && !sl_eq_cstr(v, "inherit") && !sl_eq_cstr(v, "revert"))
			return true;
	}
	return false;
}

/* margin-left (or the margin shorthand's left value) at or below
 * OFFSCREEN_NEG. */
static bool
margin_left_off(const struct css_decls *d)
{
	struct slice mv[4];
	size_t k;
	double px;

	if (length_le(d, CP_MARGIN_LEFT, OFFSCREEN_NEG))
		return true;
	if (!d->s[CP_MARGIN].set)
		return false;
	/* margin: top [right [bottom [left]]] */
	k = split_args(d->s[CP_MARGIN].val, mv, 4);
	return (k == 1 && css_length_px(mv[0], 16, -1, &px) && px <= OFFSCREEN_NEG) ||
	       (k == 4 && css_length_px(mv[3], 16, -1, &px) && px <= OFFSCREEN_NEG) ||
	       ((k == 2 || k == 3) && css_length_px(mv[1], 16, -1, &px) && px <= OFFSCREEN_NEG);
}

bool
html_pulls_line(const struct css_decls *d, const GumboNode *n, const struct istate *p)
{
	return box_of(d, n, p) == HD_INLINE && !p->align_right && margin_left_off(d);
}

/* Methods that remove the element's whole subtree, each only where CSS
 * applies the property to the element's box:
 *  - clip: absolutely positioned elements only (CSS 2.1 §11.1.2);
 *  - transform, translate, scale: transformable elements, not non-replaced
 *    inline boxes (CSS Transforms 1 §3);
 *  - text-indent: block containers (inherited, so a block inside an inline
 *    element with it is shifted too);
 *  - width/height/max-*: not inline boxes; tables, rows and cells grow to
 *    their content; overflow applies to block, flex and grid containers;
 *  - margin-top: not inline boxes; margins: not rows or cells;
 *  - content-visibility: block containers (incl. cells and captions), flex
 *    and grid boxes; not inline boxes, and (as chromium) not tables, rows,
 *    row groups or columns;
 *  - sticky positioning does not move the box;
 *  - display:contents generates no box: none of these apply;
 *  - the UA's [hidden] and dialog display:none lose to an author display. */
unsigned
html_subtree_hidden(const struct css_decls *d, const GumboNode *n, const struct istate *p,
                    double *opacity)
{
	unsigned m = 0;
	struct slice v;
	enum hdisp box = box_of(d, n, p);
	bool has_box = box != HD_CONTENTS && box != HD_NONE;
	bool inl = box == HD_INLINE;
	bool table_internal = box == HD_TABLE_PART || box == HD_CELL;
	struct slice hv = attr(n, "hidden");

	if (has_attr(n, "hidden") && (until_found(hv) || !ua_hidden_overridden(d, p)))
		m |= 1u << HM_HIDDEN_ATTR;
	if (n->v.element.tag == GUMBO_TAG_UNKNOWN || n->v.element.tag == GUMBO_TAG_LAST) {
		/* <dialog> is not in gumbo 0.10's tag table. */
		char tmp[16];
		struct slice t = html_tag_name(n, tmp, sizeof(tmp));

		if (sl_eq_cstr(t, "dialog") && !has_attr(n, "open") && !ua_hidden_overridden(d, p))
			m |= 1u << HM_DIALOG_CLOSED;
	}
	if (d->s[CP_DISPLAY].set && sl_eq_cstr(first_token(d->s[CP_DISPLAY].val), "none"))
		m |= 1u << HM_DISPLAY_NONE;
	if (d->s[CP_MSO_HIDE].set && sl_eq_cstr(first_token(d->s[CP_MSO_HIDE].val), "all"))
		m |= 1u << HM_MSO_HIDE;
	if (!has_box)
		return m;
	if ((box == HD_BLOCK || box == HD_FLEX || box == HD_CELL) &&
	    d->s[CP_CONTENT_VISIBILITY].set &&
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

	for (enum css_prop q = CP_OVERFLOW; q <= CP_OVERFLOW_Y; q++)
		if (d->s[q].set &&
		    (has_word(d->s[q].val, "hidden") || has_word(d->s[q].val, "clip")))
			ov = true;
	if (ov && (box == HD_BLOCK || box == HD_FLEX)) {
		double px;
		/* width/height attributes map to properties on table elements
		 * only; they hide when CSS made such an element a block. */
		GumboTag tg = n->v.element.tag;
		bool mapped = tg == GUMBO_TAG_TD || tg == GUMBO_TAG_TH || tg == GUMBO_TAG_TABLE ||
		              tg == GUMBO_TAG_TR;
		struct slice aw = mapped ? attr(n, "width") : (struct slice){NULL, 0};
		struct slice ah = mapped ? attr(n, "height") : (struct slice){NULL, 0};

		if (length_le(d, CP_WIDTH, TINY_SIZE_PX) || length_le(d, CP_HEIGHT, TINY_SIZE_PX) ||
		    length_le(d, CP_MAX_WIDTH, TINY_SIZE_PX) ||
		    length_le(d, CP_MAX_HEIGHT, TINY_SIZE_PX) ||
		    (!d->s[CP_WIDTH].set && aw.len > 0 && css_length_px(aw, 16, -1, &px) &&
		     px <= TINY_SIZE_PX) ||
		    (!d->s[CP_HEIGHT].set && ah.len > 0 && css_length_px(ah, 16, -1, &px) &&
		     px <= TINY_SIZE_PX))
			m |= 1u << HM_ZERO_SIZE;
	}
	if (ov && (box == HD_BLOCK || box == HD_FLEX || box == HD_CELL)) {
		double px;

		/* line-height:0 collapses every line box of an auto-height block
		 * to nothing, and overflow clips the glyphs. */
		if (d->s[CP_LINE_HEIGHT].set && line_height_px(d->s[CP_LINE_HEIGHT].val, 16, &px) &&
		    px <= TINY_SIZE_PX &&
		    !(d->s[CP_HEIGHT].set &&
		      css_length_px(first_token(d->s[CP_HEIGHT].val), 16, -1, &px) &&
		      px > TINY_SIZE_PX))
			m |= 1u << HM_LINE_HEIGHT;
	}

	v = position_of(d);
	bool positioned = v.len > 0 && !sl_eq_cstr(v, "sticky");
	bool abs = sl_eq_cstr(v, "absolute") || sl_eq_cstr(v, "fixed");
	/* The line box's alignment: a block's own, an inline box's container's. */
	bool right = inl ? p->align_right : align_right_of(d, n, p);

	if (positioned && (length_off(d, CP_LEFT) || length_off(d, CP_TOP) ||
	                   length_off(d, CP_RIGHT) || length_off(d, CP_BOTTOM)))
		m |= 1u << HM_OFFSCREEN;
	/* right:100% (bottom:100%) puts an absolute box's right (bottom) edge
	 * on its containing block's left (top) edge: off the page when that
	 * block is the initial one (fixed: the viewport) at 0,0. */
	if (abs && !(sl_eq_cstr(v, "fixed") ? p->cb_fixed : p->cb_abs) &&
	    ((offset_pct_ge(d, CP_RIGHT, 100) && offset_auto(d, CP_LEFT)) ||
	     (offset_pct_ge(d, CP_BOTTOM, 100) && offset_auto(d, CP_TOP))))
		m |= 1u << HM_OFFSCREEN;
	if (!table_internal) {
		bool mleft = margin_left_off(d);
		bool mtop = !inl && length_le(d, CP_MARGIN_TOP, OFFSCREEN_NEG);

		if (d->s[CP_MARGIN].set) {
			struct slice mv[4];
			size_t k = split_args(d->s[CP_MARGIN].val, mv, 4);
			double px;

			/* margin: top [right [bottom [left]]] */
			if (!inl && k >= 1 && css_length_px(mv[0], 16, -1, &px) && px <= OFFSCREEN_NEG)
				mtop = true;
		}
		/* A negative left margin moves the start of an inline box's line, or
		 * the left edge of a block, off the page; right-aligned text stays at
		 * the right edge, which did not move (and under align=right, whose
		 * -webkit-right aligns child blocks too, a block of fixed width as
		 * well: kept, as the browser shows it). */
		if (mtop || (mleft && !right))
			m |= 1u << HM_OFFSCREEN;
	}
	/* text-indent moves the start of the first line: right-aligned text is
	 * placed from the end of the line, which did not move. */
	if (!inl && indent_of(d, p) <= OFFSCREEN_NEG && !right)
		m |= 1u << HM_TEXT_INDENT;
	if (abs && d->s[CP_CLIP].set && clip_hides(d->s[CP_CLIP].val))
		m |= 1u << HM_CLIP;
	if (d->s[CP_CLIP_PATH].set && clip_path_hides(d->s[CP_CLIP_PATH].val))
		m |= 1u << HM_CLIP;
	if (!inl && d->s[CP_TRANSFORM].set) {
		bool off = false;

		if (transform_hides(d->s[CP_TRANSFORM].val, &off))
			m |= 1u << HM_TRANSFORM;
		if (off)
			m |= 1u << HM_OFFSCREEN;
	}
	if (!inl && transform_props_hide(d))
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

/* A font-size in px from the parent's specified size; *abs tells whether
 * it is absolute (Blink's rule: px, pt, rem, calc() are; the keywords are
 * not, being relative to the reader's default size; em, ex, ch, % and
 * smaller/larger are absolute when the parent's size is). */
static bool
font_size_val(struct slice v, double parent, bool parent_abs, double *px, bool *abs)
{
	v = sl_trim_css(v);
	*abs = true;
	/* calc() evaluated exactly where it can be; otherwise (min(), max(),
	 * nesting) css_length_px's smallest term, which errs towards hidden. */
	if (starts_with_fn(v)) {
		if (!css_calc_px(v, parent, parent, px) && !css_length_px(v, parent, parent, px))
			return false;
		if (*px < 0)
			*px = 0; /* calc() clamps to the property's range */
		return true;
	}
	v = first_token(v);
	if (sl_eq_cstr(v, "inherit") || sl_eq_cstr(v, "unset") || sl_eq_cstr(v, "initial"))
		return false;
	if (sl_eq_cstr(v, "smaller") || sl_eq_cstr(v, "larger")) {
		*px = sl_eq_cstr(v, "smaller") ? parent / 1.2 : parent * 1.2;
		*abs = parent_abs;
		return true;
	}
	for (size_t i = 0; i < sizeof(font_keywords) / sizeof(font_keywords[0]); i++)
		if (sl_eq_cstr(v, font_keywords[i].name)) {
			*px = font_keywords[i].px;
			*abs = false;
			return true;
		}
	if (!css_length_px(v, parent, parent, px) || *px < 0)
		return false; /* a negative size is invalid: the declaration is ignored */
	size_t u = v.len;

	while (u > 0 && ((v.p[u - 1] >= 'a' && v.p[u - 1] <= 'z') || v.p[u - 1] == '%'))
		u--;
	struct slice unit = {v.p + u, v.len - u};

	if (sl_eq_cstr(unit, "em") || sl_eq_cstr(unit, "ex") || sl_eq_cstr(unit, "ch") ||
	    sl_eq_cstr(unit, "%"))
		*abs = parent_abs;
	return true;
}

/* font shorthand: the size is the first token that parses as one (before
 * an optional "/line-height"). */
static bool
font_shorthand_size(struct slice v, double parent, bool parent_abs, double *px, bool *abs)
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
		    font_size_val(t, parent, parent_abs, px, abs)) {
			/* font-weight numbers (400) are unitless; a size has a unit or is 0. */
			if (t.len > 0 && t.p[t.len - 1] >= '0' && t.p[t.len - 1] <= '9' && *px != 0)
				continue;
			return true;
		}
		if (starts_with_fn(t) && font_size_val(t, parent, parent_abs, px, abs))
			return true;
		if (font_size_val(t, parent, parent_abs, px, abs) &&
		    !(t.p[0] >= '0' && t.p[0] <= '9'))
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
void
html_inherit_state(const struct css_decls *d, const GumboNode *n, const struct istate *p,
                   struct istate *s, bool is_link)
{
	struct css_color c;
	struct slice v;
	double px;

	*s = *p;
	s->disp = box_of(d, n, p);
	/* Containing blocks: a box with a transform or filter holds fixed and
	 * absolute descendants; a positioned box absolute ones. */
	if (s->disp != HD_CONTENTS && s->disp != HD_NONE) {
		if (s->disp != HD_INLINE && makes_cb_fixed(d))
			s->cb_fixed = true;
		if (s->cb_fixed || position_of(d).len > 0)
			s->cb_abs = true;
	}
	if (s->disp == HD_CONTENTS)
		s->disp = p->disp; /* its children are its parent's children */
	s->indent_px = indent_of(d, p);
	s->align_right = align_right_of(d, n, p);
	/* font-size vs the font shorthand: whichever won the cascade. */
	double pspec = p->font_raised ? p->font_spec_px : p->font_px;
	bool fabs, fset = false;

	if (d->s[CP_FONT_SIZE].set &&
	    (!d->s[CP_FONT].set || d->s[CP_FONT_SIZE].prio >= d->s[CP_FONT].prio))
		fset = font_size_val(d->s[CP_FONT_SIZE].val, pspec, p->font_abs, &px, &fabs);
	else if (d->s[CP_FONT].set)
		fset = font_shorthand_size(d->s[CP_FONT].val, pspec, p->font_abs, &px, &fabs);
	if (fset) {
		/* Chromium's smart minimum: a size relative to the reader's
		 * default is never used below MIN_LOGICAL_FONT_PX (0 stays 0). */
		s->font_abs = fabs;
		s->font_spec_px = px;
		s->font_raised = !fabs && px > 0 && px < MIN_LOGICAL_FONT_PX;
		s->font_px = s->font_raised ? MIN_LOGICAL_FONT_PX : px;
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
int
html_text_hidden(const struct istate *s)
{
	struct css_color c = s->fill_set ? s->fill : s->color;

	if (s->vis_hidden)
		return HM_VISIBILITY;
	if (s->font_px <= TINY_FONT_PX)
		return HM_FONT_SIZE;
	if (c.a <= MIN_TEXT_ALPHA)
		return HM_TRANSPARENT_TEXT;
	/* The oracle's contrast: the text colour, its alpha times the
	 * effective opacity, over the effective background. */
	if (css_text_contrast(c, s->opacity, s->bg) < CSS_MIN_CONTRAST)
		return HM_COLOR_MATCH;
	return -1;
}

bool
html_text_font_raised(const struct istate *s)
{
	return s->font_raised && s->font_spec_px <= TINY_FONT_PX;
}
