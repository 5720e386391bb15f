/* Media queries (Media Queries Level 4, on normalized CSS text): a media
 * query list is evaluated against a fixed set of viewports that mail is
 * read in (CSS_MQ_VIEWPORTS below, documented in docs/content.md), giving
 * the set of viewports in which it matches. Evaluation uses the three-valued
 * logic of MQ4 §3 over bitmasks (one bit per viewport): a feature the
 * evaluator does not know, or a value it cannot parse, is "unknown", and an
 * unknown result at the top level counts as false. A malformed query in a
 * list matches nothing (it becomes "not all"); the others are unaffected.
 *
 * html.c evaluates every @media prelude of a message once, groups the
 * viewports that no query tells apart, and builds one stylesheet per group
 * with each prelude replaced by "all" or "not all" (css_media_resolve), so
 * css_sheet.c only ever sees those two. No recursion: nested parentheses
 * use an explicit stack bounded by CSS_MQ_DEPTH (deeper is an error, which
 * the caller turns into a refusal). */
#include "content/css.h"

#include <string.h>

#include "content/css_int.h"

/* Viewport geometry in CSS px, device pixel ratio, and whether the device
 * is a touch screen (hover:none, pointer:coarse). device-width/height are
 * the viewport's: a mail pane fills the screen on phones, and the oracle
 * emulates the screen at the viewport size. */
struct mq_vp {
	double w, h, dppx;
	bool touch;
};

static const struct mq_vp vps[CSS_MQ_VIEWPORTS] = {
    {320, 568, 2, true},  {375, 667, 2, true},   {600, 800, 1, false},
    {800, 600, 1, false}, {1280, 800, 1, false},
};

unsigned
css_mq_viewport_width(unsigned v)
{
	return v < CSS_MQ_VIEWPORTS ? (unsigned)vps[v].w : 0;
}

/* ---- tokens ------------------------------------------------------------- */

enum mtok {
	MT_END,
	MT_IDENT,
	MT_FUNC, /* ident( */
	MT_NUM,  /* number with optional unit */
	MT_LP,
	MT_RP,
	MT_COMMA,
	MT_COLON,
	MT_DELIM, /* < > = / and anything else */
};

struct mtoken {
	enum mtok t;
	struct slice s; /* ident / unit / delim text */
	double v;       /* MT_NUM */
	bool ws_before; /* white space precedes the token */
	bool le_ge;     /* MT_DELIM '<' or '>' immediately followed by '=' */
};

struct mlex {
	struct slice q;
	size_t i;
	struct mtoken cur;
};

static bool
ident_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || c == '-' || c == '_' || c >= 0x80;
}

static void
mnext(struct mlex *l)
{
	struct mtoken *t = &l->cur;
	size_t st;

	t->ws_before = false;
	t->le_ge = false;
	while (l->i < l->q.len && is_ws((unsigned char)l->q.p[l->i])) {
		l->i++;
		t->ws_before = true;
	}
	if (l->i >= l->q.len) {
		t->t = MT_END;
		return;
	}
	st = l->i;
	unsigned char c = (unsigned char)l->q.p[l->i];
	unsigned char c1 = l->i + 1 < l->q.len ? (unsigned char)l->q.p[l->i + 1] : 0;

	if ((c >= '0' && c <= '9') || (c == '.' && c1 >= '0' && c1 <= '9') ||
	    ((c == '+' || c == '-') && ((c1 >= '0' && c1 <= '9') || c1 == '.'))) {
		size_t k = l->i;

		if (css_num_parse(l->q, &k, &t->v)) {
			size_t us = k;

			while (k < l->q.len &&
			       (is_ident((unsigned char)l->q.p[k]) || l->q.p[k] == '%'))
				k++;
			t->t = MT_NUM;
			t->s = (struct slice){l->q.p + us, k - us};
			l->i = k;
			return;
		}
	}
	if (ident_start(c) && !(c == '-' && c1 >= '0' && c1 <= '9')) {
		while (l->i < l->q.len && is_ident((unsigned char)l->q.p[l->i]))
			l->i++;
		t->s = (struct slice){l->q.p + st, l->i - st};
		if (l->i < l->q.len && l->q.p[l->i] == '(') {
			l->i++;
			t->t = MT_FUNC;
		} else {
			t->t = MT_IDENT;
		}
		return;
	}
	l->i++;
	t->s = (struct slice){l->q.p + st, 1};
	switch (c) {
	case '(':
		t->t = MT_LP;
		break;
	case ')':
		t->t = MT_RP;
		break;
	case ',':
		t->t = MT_COMMA;
		break;
	case ':':
		t->t = MT_COLON;
		break;
	default:
		t->t = MT_DELIM;
		if ((c == '<' || c == '>') && l->i < l->q.len && l->q.p[l->i] == '=') {
			l->i++;
			t->le_ge = true;
		}
		break;
	}
}

static bool
tok_is(const struct mtoken *t, enum mtok k, const char *s)
{
	return t->t == k && sl_eq_cstr(t->s, s);
}

/* ---- values and features ------------------------------------------------ */

/* A result over the viewports: t = true, u = unknown, the rest false. */
struct mres {
	unsigned t, u;
};

static const struct mres R_UNKNOWN = {0, CSS_MQ_ALL};

enum fkind {
	FK_LEN,   /* range, <length> */
	FK_RATIO, /* range, <ratio> */
	FK_RES,   /* range, <resolution> */
	FK_NUM,   /* range, <number> (-webkit-device-pixel-ratio) */
	FK_INT,   /* range, <integer> */
	FK_DISC,  /* discrete, keyword */
};

enum fid {
	F_WIDTH,
	F_HEIGHT,
	F_DEV_WIDTH,
	F_DEV_HEIGHT,
	F_ASPECT,
	F_DEV_ASPECT,
	F_RESOLUTION,
	F_WEBKIT_DPR,
	F_COLOR,
	F_COLOR_INDEX,
	F_MONOCHROME,
	F_GRID,
	F_ORIENTATION,
	F_COLOR_SCHEME,
	F_REDUCED_MOTION,
	F_REDUCED_TRANSPARENCY,
	F_CONTRAST,
	F_FORCED_COLORS,
	F_INVERTED_COLORS,
	F_HOVER,
	F_ANY_HOVER,
	F_POINTER,
	F_ANY_POINTER,
	F_UPDATE,
	F_COLOR_GAMUT,
	F_DYNAMIC_RANGE,
	F_VIDEO_DYNAMIC_RANGE,
	F_DISPLAY_MODE,
};

struct feature {
	const char *name;
	enum fid id;
	enum fkind kind;
};

static const struct feature features[] = {
    {"width", F_WIDTH, FK_LEN},
    {"height", F_HEIGHT, FK_LEN},
    {"device-width", F_DEV_WIDTH, FK_LEN},
    {"device-height", F_DEV_HEIGHT, FK_LEN},
    {"aspect-ratio", F_ASPECT, FK_RATIO},
    {"device-aspect-ratio", F_DEV_ASPECT, FK_RATIO},
    {"resolution", F_RESOLUTION, FK_RES},
    {"-webkit-device-pixel-ratio", F_WEBKIT_DPR, FK_NUM},
    {"color", F_COLOR, FK_INT},
    {"color-index", F_COLOR_INDEX, FK_INT},
    {"monochrome", F_MONOCHROME, FK_INT},
    {"grid", F_GRID, FK_INT},
    {"orientation", F_ORIENTATION, FK_DISC},
    {"prefers-color-scheme", F_COLOR_SCHEME, FK_DISC},
    {"prefers-reduced-motion", F_REDUCED_MOTION, FK_DISC},
    {"prefers-reduced-transparency", F_REDUCED_TRANSPARENCY, FK_DISC},
    {"prefers-contrast", F_CONTRAST, FK_DISC},
    {"forced-colors", F_FORCED_COLORS, FK_DISC},
    {"inverted-colors", F_INVERTED_COLORS, FK_DISC},
    {"hover", F_HOVER, FK_DISC},
    {"any-hover", F_ANY_HOVER, FK_DISC},
    {"pointer", F_POINTER, FK_DISC},
    {"any-pointer", F_ANY_POINTER, FK_DISC},
    {"update", F_UPDATE, FK_DISC},
    {"color-gamut", F_COLOR_GAMUT, FK_DISC},
    {"dynamic-range", F_DYNAMIC_RANGE, FK_DISC},
    {"video-dynamic-range", F_VIDEO_DYNAMIC_RANGE, FK_DISC},
    {"display-mode", F_DISPLAY_MODE, FK_DISC},
};

/* The keyword a discrete feature has in viewport v; "none"-like values are
 * false in a boolean context. */
static const char *
disc_value(enum fid f, const struct mq_vp *v)
{
	switch (f) {
	case F_ORIENTATION:
		return v->h >= v->w ? "portrait" : "landscape";
	case F_COLOR_SCHEME:
		return "light";
	case F_REDUCED_MOTION:
	case F_REDUCED_TRANSPARENCY:
	case F_CONTRAST:
		return "no-preference";
	case F_FORCED_COLORS:
	case F_INVERTED_COLORS:
		return "none";
	case F_HOVER:
	case F_ANY_HOVER:
		return v->touch ? "none" : "hover";
	case F_POINTER:
	case F_ANY_POINTER:
		return v->touch ? "coarse" : "fine";
	case F_UPDATE:
		return "fast";
	case F_COLOR_GAMUT:
		return "srgb";
	case F_DYNAMIC_RANGE:
	case F_VIDEO_DYNAMIC_RANGE:
		return "standard";
	case F_DISPLAY_MODE:
		return "browser";
	default:
		return "";
	}
}

/* The numeric value of a range feature in viewport v (ratios as w/h). */
static double
range_value(enum fid f, const struct mq_vp *v)
{
	switch (f) {
	case F_WIDTH:
	case F_DEV_WIDTH:
		return v->w;
	case F_HEIGHT:
	case F_DEV_HEIGHT:
		return v->h;
	case F_ASPECT:
	case F_DEV_ASPECT:
		return v->w / v->h;
	case F_RESOLUTION:
	case F_WEBKIT_DPR:
		return v->dppx;
	case F_COLOR:
		return 8;
	default:
		return 0; /* color-index, monochrome, grid */
	}
}

/* A length in a media query, to px (em/rem: the initial 16px; vw/vh:
 * the viewport). Unitless only 0. */
static bool
mq_length(const struct mtoken *t, const struct mq_vp *vp, double *px)
{
	static const struct {
		const char *u;
		double f;
	} abs_units[] = {{"px", 1},         {"em", 16},      {"rem", 16},       {"ex", 8},
	                 {"ch", 8},         {"in", 96},      {"cm", 96 / 2.54}, {"mm", 9.6 / 2.54},
	                 {"q", 2.4 / 2.54}, {"pt", 4.0 / 3}, {"pc", 16}};

	if (t->t != MT_NUM)
		return false;
	if (t->s.len == 0) {
		*px = 0;
		return t->v == 0;
	}
	for (size_t i = 0; i < sizeof(abs_units) / sizeof(abs_units[0]); i++)
		if (sl_eq_cstr(t->s, abs_units[i].u)) {
			*px = t->v * abs_units[i].f;
			return true;
		}
	if (sl_eq_cstr(t->s, "vw") || sl_eq_cstr(t->s, "vh") || sl_eq_cstr(t->s, "vmin") ||
	    sl_eq_cstr(t->s, "vmax")) {
		double base = sl_eq_cstr(t->s, "vw")     ? vp->w
		              : sl_eq_cstr(t->s, "vh")   ? vp->h
		              : sl_eq_cstr(t->s, "vmin") ? (vp->w < vp->h ? vp->w : vp->h)
		                                         : (vp->w > vp->h ? vp->w : vp->h);

		*px = t->v * base / 100;
		return true;
	}
	return false;
}

static bool
mq_resolution(const struct mtoken *t, double *dppx)
{
	if (t->t != MT_NUM)
		return false;
	if (sl_eq_cstr(t->s, "dppx") || sl_eq_cstr(t->s, "x"))
		*dppx = t->v;
	else if (sl_eq_cstr(t->s, "dpi"))
		*dppx = t->v / 96;
	else if (sl_eq_cstr(t->s, "dpcm"))
		*dppx = t->v * 2.54 / 96;
	else
		return false;
	return true;
}

/* A value of a feature: up to three tokens (a ratio "16 / 9"). */
struct mval {
	struct mtoken tk[3];
	size_t n;
};

/* Numeric value of v for feature kind k in viewport vp. */
static bool
mval_num(const struct mval *v, enum fkind k, const struct mq_vp *vp, double *x)
{
	if (v->n == 0)
		return false;
	switch (k) {
	case FK_LEN:
		return v->n == 1 && mq_length(&v->tk[0], vp, x);
	case FK_RES:
		return v->n == 1 && mq_resolution(&v->tk[0], x);
	case FK_NUM:
	case FK_INT:
		return v->n == 1 && v->tk[0].t == MT_NUM && v->tk[0].s.len == 0 &&
		       (*x = v->tk[0].v, true);
	case FK_RATIO:
		if (v->tk[0].t != MT_NUM || v->tk[0].s.len != 0 || v->tk[0].v < 0)
			return false;
		if (v->n == 1) {
			*x = v->tk[0].v;
			return true;
		}
		if (v->n == 3 && tok_is(&v->tk[1], MT_DELIM, "/") && v->tk[2].t == MT_NUM &&
		    v->tk[2].s.len == 0 && v->tk[2].v > 0) {
			*x = v->tk[0].v / v->tk[2].v;
			return true;
		}
		return false;
	default:
		return false;
	}
}

static const struct feature *
feature_find(struct slice name, int *minmax)
{
	*minmax = 0;
	if (starts_with(name, "min-") || starts_with(name, "max-")) {
		*minmax = name.p[1] == 'i' ? -1 : 1;
		name.p += 4;
		name.len -= 4;
	} else if (starts_with(name, "-webkit-min-") || starts_with(name, "-webkit-max-")) {
		*minmax = name.p[9] == 'i' ? -1 : 1;
		if (!sl_eq_cstr((struct slice){name.p + 12, name.len - 12}, "device-pixel-ratio"))
			return NULL;
		name = sl_from_cstr("-webkit-device-pixel-ratio");
	}
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (sl_eq_cstr(name, features[i].name))
			return &features[i];
	return NULL;
}

/* op: '<' '>' '=' with le_ge for <= >=; compares a op b. */
static bool
cmp(double a, char op, bool eq, double b)
{
	const double eps = 1e-9;

	if (op == '=')
		return a > b - eps && a < b + eps;
	if (op == '<')
		return eq ? a <= b + eps : a < b - eps;
	return eq ? a >= b - eps : a > b + eps;
}

/* Reads a value (until ')' or a comparison) from the lexer. */
static bool
read_val(struct mlex *l, struct mval *v)
{
	v->n = 0;
	while (l->cur.t != MT_RP && l->cur.t != MT_END &&
	       !(l->cur.t == MT_DELIM &&
	         (l->cur.s.p[0] == '<' || l->cur.s.p[0] == '>' || l->cur.s.p[0] == '='))) {
		if (v->n == 3 ||
		    (l->cur.t != MT_NUM && l->cur.t != MT_IDENT && !tok_is(&l->cur, MT_DELIM, "/")))
			return false;
		v->tk[v->n++] = l->cur;
		mnext(l);
	}
	return v->n > 0;
}

/* Skips to the ')' closing the parenthesis opened just before; true when
 * found (l->cur is then that ')'). */
static bool
skip_balanced(struct mlex *l)
{
	size_t depth = 0;

	for (;;) {
		if (l->cur.t == MT_END)
			return false;
		if (l->cur.t == MT_LP || l->cur.t == MT_FUNC)
			depth++;
		else if (l->cur.t == MT_RP) {
			if (depth == 0)
				return true;
			depth--;
		}
		mnext(l);
	}
}

/* Evaluates a media feature after its '(' (l->cur is the first token
 * inside); leaves l->cur on the closing ')'. Anything that is not a valid
 * feature is <general-enclosed>: unknown. Returns false on a syntax error
 * (unbalanced). */
static bool
eval_feature(struct mlex *l, struct mres *r)
{
	struct mval a, b, c;
	char op1 = 0, op2 = 0;
	bool eq1 = false, eq2 = false;
	const struct feature *f = NULL;
	int minmax = 0;
	struct slice name = {NULL, 0};
	bool name_first = false;

	*r = R_UNKNOWN;
	if (l->cur.t == MT_IDENT) {
		name = l->cur.s;
		name_first = true;
		mnext(l);
		if (l->cur.t == MT_RP) {
			/* boolean context */
			f = feature_find(name, &minmax);
			if (f == NULL || minmax != 0)
				return true;
			r->u = 0;
			for (unsigned v = 0; v < CSS_MQ_VIEWPORTS; v++) {
				bool on;

				if (f->kind == FK_DISC) {
					const char *dv = disc_value(f->id, &vps[v]);

					on = strcmp(dv, "none") != 0 &&
					     strcmp(dv, "no-preference") != 0;
				} else {
					on = range_value(f->id, &vps[v]) != 0;
				}
				if (on)
					r->t |= 1u << v;
			}
			return true;
		}
		if (l->cur.t == MT_COLON) {
			mnext(l);
			if (!read_val(l, &a) || l->cur.t != MT_RP)
				return skip_balanced(l);
			f = feature_find(name, &minmax);
			if (f == NULL || (minmax != 0 && f->kind == FK_DISC))
				return true;
			r->u = 0;
			for (unsigned v = 0; v < CSS_MQ_VIEWPORTS; v++) {
				bool on;
				double x;

				if (f->kind == FK_DISC) {
					if (a.n != 1 || a.tk[0].t != MT_IDENT) {
						*r = R_UNKNOWN;
						return true;
					}
					on = sl_eq_cstr(a.tk[0].s, disc_value(f->id, &vps[v]));
				} else {
					if (!mval_num(&a, f->kind, &vps[v], &x) ||
					    (f->kind == FK_INT && x < 0)) {
						*r = R_UNKNOWN;
						return true;
					}
					double fv = range_value(f->id, &vps[v]);

					on = minmax < 0   ? cmp(fv, '>', true, x)
					     : minmax > 0 ? cmp(fv, '<', true, x)
					                  : cmp(fv, '=', false, x);
				}
				if (on)
					r->t |= 1u << v;
			}
			return true;
		}
		/* "name op value" */
		a.n = 1;
		a.tk[0] = (struct mtoken){MT_IDENT, name, 0, false, false};
	} else if (!read_val(l, &a)) {
		return skip_balanced(l);
	}
	/* range form: a op1 b [op2 c] */
	if (l->cur.t != MT_DELIM ||
	    !(l->cur.s.p[0] == '<' || l->cur.s.p[0] == '>' || l->cur.s.p[0] == '='))
		return skip_balanced(l);
	op1 = l->cur.s.p[0];
	eq1 = l->cur.le_ge;
	mnext(l);
	if (!read_val(l, &b))
		return skip_balanced(l);
	if (l->cur.t == MT_DELIM &&
	    (l->cur.s.p[0] == '<' || l->cur.s.p[0] == '>' || l->cur.s.p[0] == '=')) {
		op2 = l->cur.s.p[0];
		eq2 = l->cur.le_ge;
		mnext(l);
		if (!read_val(l, &c))
			return skip_balanced(l);
	}
	if (l->cur.t != MT_RP)
		return skip_balanced(l);
	/* Which side is the name? */
	const struct mval *val1 = NULL, *val2 = NULL;

	if (name_first) {
		if (op2 != 0)
			return true; /* name < v < v: invalid */
		val1 = &b;
	} else if (b.n == 1 && b.tk[0].t == MT_IDENT) {
		name = b.tk[0].s;
		val1 = &a;
		if (op2 != 0) {
			val2 = &c;
			/* both '<' or both '>'; '=' only alone */
			if (op1 != op2 || op1 == '=')
				return true;
		}
	} else {
		return true;
	}
	f = feature_find(name, &minmax);
	if (f == NULL || minmax != 0 || f->kind == FK_DISC)
		return true;
	r->u = 0;
	for (unsigned v = 0; v < CSS_MQ_VIEWPORTS; v++) {
		double x1, x2 = 0, fv = range_value(f->id, &vps[v]);
		bool on;

		if (!mval_num(val1, f->kind, &vps[v], &x1) ||
		    (val2 != NULL && !mval_num(val2, f->kind, &vps[v], &x2))) {
			*r = R_UNKNOWN;
			return true;
		}
		if (name_first)
			on = cmp(fv, op1, eq1, x1);
		else
			on = cmp(x1, op1, eq1, fv) && (val2 == NULL || cmp(fv, op2, eq2, x2));
		if (on)
			r->t |= 1u << v;
	}
	return true;
}

/* ---- conditions --------------------------------------------------------- */

static struct mres
r_not(struct mres a)
{
	return (struct mres){CSS_MQ_ALL & ~(a.t | a.u), a.u};
}

static struct mres
r_and(struct mres a, struct mres b)
{
	unsigned f = (CSS_MQ_ALL & ~(a.t | a.u)) | (CSS_MQ_ALL & ~(b.t | b.u));
	unsigned t = a.t & b.t;

	return (struct mres){t, CSS_MQ_ALL & ~(t | f)};
}

static struct mres
r_or(struct mres a, struct mres b)
{
	unsigned t = a.t | b.t;
	unsigned f = (CSS_MQ_ALL & ~(a.t | a.u)) & (CSS_MQ_ALL & ~(b.t | b.u));

	return (struct mres){t, CSS_MQ_ALL & ~(t | f)};
}

struct level {
	struct mres acc;
	char op; /* 0, 'a', 'o' */
	bool neg, have;
};

/* Parses a <media-condition> starting at l->cur up to the end of the query
 * (',' or end) at depth 0. no_or: the top level is a
 * <media-condition-without-or>. Returns 0 on success, -1 on a syntax error,
 * -2 when nesting exceeds CSS_MQ_DEPTH. */
static int
eval_condition(struct mlex *l, bool no_or, struct mres *out)
{
	struct level st[CSS_MQ_DEPTH];
	size_t d = 0;
	bool expect_item = true;

	memset(&st[0], 0, sizeof(st[0]));
	for (;;) {
		struct level *lv = &st[d];

		if (expect_item) {
			if (tok_is(&l->cur, MT_IDENT, "not") && !lv->have && !lv->neg) {
				lv->neg = true;
				mnext(l);
				continue;
			}
			struct mres item;

			if (l->cur.t == MT_FUNC) {
				/* <general-enclosed> function: unknown */
				mnext(l);
				if (!skip_balanced(l))
					return -1;
				item = R_UNKNOWN;
			} else if (l->cur.t == MT_LP) {
				mnext(l);
				if (l->cur.t == MT_LP || tok_is(&l->cur, MT_IDENT, "not")) {
					/* nested condition */
					if (d + 1 >= CSS_MQ_DEPTH)
						return -2;
					d++;
					memset(&st[d], 0, sizeof(st[d]));
					continue;
				}
				if (!eval_feature(l, &item) || l->cur.t != MT_RP)
					return -1;
			} else {
				return -1;
			}
			mnext(l); /* past ')' */
			if (!lv->have)
				lv->acc = item;
			else
				lv->acc =
				    lv->op == 'a' ? r_and(lv->acc, item) : r_or(lv->acc, item);
			lv->have = true;
			expect_item = false;
			continue;
		}
		/* after an item */
		if (l->cur.t == MT_IDENT &&
		    (sl_eq_cstr(l->cur.s, "and") || sl_eq_cstr(l->cur.s, "or"))) {
			char op = l->cur.s.p[0];

			if (lv->neg || (lv->op != 0 && lv->op != op) ||
			    (op == 'o' && d == 0 && no_or))
				return -1;
			lv->op = op;
			mnext(l);
			if (!l->cur.ws_before && l->cur.t != MT_END)
				return -1; /* "and(" would have been a function */
			expect_item = true;
			continue;
		}
		struct mres res = lv->neg ? r_not(lv->acc) : lv->acc;

		if (l->cur.t == MT_RP && d > 0) {
			struct level *up = &st[d - 1];

			mnext(l);
			d--;
			if (!up->have)
				up->acc = res;
			else
				up->acc = up->op == 'a' ? r_and(up->acc, res) : r_or(up->acc, res);
			up->have = true;
			continue;
		}
		if (d == 0 && (l->cur.t == MT_COMMA || l->cur.t == MT_END)) {
			*out = res;
			return 0;
		}
		return -1;
	}
}

static bool
reserved_type(struct slice s)
{
	return sl_eq_cstr(s, "not") || sl_eq_cstr(s, "and") || sl_eq_cstr(s, "or") ||
	       sl_eq_cstr(s, "only") || sl_eq_cstr(s, "layer");
}

/* Skips to the next top-level ',' (or the end). */
static void
skip_query(struct mlex *l)
{
	size_t depth = 0;

	while (l->cur.t != MT_END && !(depth == 0 && l->cur.t == MT_COMMA)) {
		if (l->cur.t == MT_LP || l->cur.t == MT_FUNC)
			depth++;
		else if (l->cur.t == MT_RP && depth > 0)
			depth--;
		mnext(l);
	}
}

int
css_media_eval(struct slice q, unsigned *mask)
{
	struct mlex l = {trim(q), 0, {0}};

	*mask = 0;
	mnext(&l);
	if (l.cur.t == MT_END) {
		*mask = CSS_MQ_ALL; /* empty list: all */
		return 0;
	}
	for (;;) {
		unsigned m = 0;
		int rc = 0;

		if (l.cur.t == MT_LP || tok_is(&l.cur, MT_IDENT, "not")) {
			/* "not (" starts a condition, "not screen" a typed query */
			struct mlex peek = l;

			if (l.cur.t == MT_IDENT)
				mnext(&peek);
			if (l.cur.t == MT_LP || peek.cur.t == MT_LP) {
				struct mres r;

				rc = eval_condition(&l, false, &r);
				if (rc == 0)
					m = r.t;
				goto done;
			}
		}
		{
			bool neg = false;

			if (tok_is(&l.cur, MT_IDENT, "not") || tok_is(&l.cur, MT_IDENT, "only")) {
				neg = l.cur.s.p[0] == 'n';
				mnext(&l);
			}
			if (l.cur.t != MT_IDENT || reserved_type(l.cur.s)) {
				rc = -1;
				goto done;
			}
			struct mres r = {0, 0};

			if (sl_eq_cstr(l.cur.s, "all") || sl_eq_cstr(l.cur.s, "screen"))
				r.t = CSS_MQ_ALL;
			mnext(&l);
			if (tok_is(&l.cur, MT_IDENT, "and")) {
				struct mres c;

				mnext(&l);
				if (!l.cur.ws_before) {
					rc = -1;
					goto done;
				}
				rc = eval_condition(&l, true, &c);
				if (rc != 0)
					goto done;
				r = r_and(r, c);
			} else if (l.cur.t != MT_COMMA && l.cur.t != MT_END) {
				rc = -1;
				goto done;
			}
			if (neg)
				r = r_not(r);
			m = r.t;
		}
	done:
		if (rc == -2)
			return -1;
		if (rc == 0)
			*mask |= m;
		else
			skip_query(&l);
		if (l.cur.t == MT_END)
			return 0;
		mnext(&l); /* past ',' */
	}
}

bool
css_media_applies(struct slice q)
{
	unsigned m;

	/* Outside html.c's per-viewport resolution (which leaves only "all"
	 * and "not all"): a query that matches in some viewport is applied,
	 * which can only make content look more hidden. */
	return css_media_eval(q, &m) != 0 || m != 0;
}

/* ---- per-viewport resolution of a sheet ------------------------------- */

/* Past the comment or string starting at t.p[k] (k itself when neither). */
static size_t
skip_opaque(struct slice t, size_t k)
{
	if (t.p[k] == '/' && k + 1 < t.len && t.p[k + 1] == '*') {
		const char *e = k + 2 < t.len ? memmem(t.p + k + 2, t.len - k - 2, "*/", 2) : NULL;

		return e != NULL ? (size_t)(e - t.p) + 2 : t.len;
	}
	if (t.p[k] == '"' || t.p[k] == '\'') {
		char q = t.p[k++];

		/* a string ends at its quote or, unterminated, at a newline */
		while (k < t.len && t.p[k] != q && t.p[k] != '\n') {
			if (t.p[k] == '\\' && k + 1 < t.len)
				k++;
			k++;
		}
		return k < t.len && t.p[k] == q ? k + 1 : k;
	}
	return k;
}

/* Finds the next "@media" (ASCII case-insensitive, outside comments and
 * strings) at or after *i in sheet text t, raw or normalized; returns the
 * prelude's bounds (after the keyword up to '{' or ';' exclusive). */
static bool
next_media(struct slice t, size_t *i, size_t *pa, size_t *pb)
{
	static const char kw[] = "media";

	while (*i < t.len) {
		size_t k = *i, j;

		if ((j = skip_opaque(t, k)) != k) {
			*i = j;
			continue;
		}
		*i = ++k;
		if (t.p[k - 1] != '@' || t.len - k < 5)
			continue;
		for (j = 0; j < 5; j++)
			if ((t.p[k + j] | 0x20) != kw[j])
				break;
		if (j < 5 || (k + 5 < t.len && is_ident((unsigned char)t.p[k + 5])))
			continue;
		k += 5;
		*pa = k;
		while (k < t.len && t.p[k] != '{' && t.p[k] != ';') {
			j = skip_opaque(t, k);
			k = j != k ? j : k + 1;
		}
		*pb = k;
		*i = k;
		return true;
	}
	return false;
}

/* css_media_eval of a prelude as written (comments, escapes, capitals):
 * normalized first into scratch. */
static int
eval_prelude(struct slice q, struct buf *scratch, unsigned *m)
{
	buf_reset(scratch);
	css_normalize(q, scratch);
	if (buf_err(scratch) != IG_OK)
		return -1;
	return css_media_eval(buf_slice(scratch), m);
}

int
css_media_scan(struct slice css, unsigned *differ, size_t *count)
{
	size_t i = 0, pa, pb;
	struct buf q;
	int rc = 0;

	buf_init(&q, LIM_CSS_TEXT);
	while (rc == 0 && next_media(css, &i, &pa, &pb)) {
		unsigned m;

		rc = eval_prelude((struct slice){css.p + pa, pb - pa}, &q, &m);
		if (rc == 0) {
			(*count)++;
			css_media_differ_add(differ, m);
		}
	}
	buf_free(&q);
	return rc;
}

void
css_media_differ_add(unsigned *differ, unsigned m)
{
	for (unsigned a = 0; a < CSS_MQ_VIEWPORTS; a++)
		for (unsigned b = 0; b < CSS_MQ_VIEWPORTS; b++)
			if (((m >> a) ^ (m >> b)) & 1u)
				differ[a] |= 1u << b;
}

void
css_media_resolve(struct slice css, unsigned vp, struct buf *out)
{
	size_t i = 0, pa, pb, last = 0;
	struct buf q;

	buf_init(&q, LIM_CSS_TEXT);
	while (next_media(css, &i, &pa, &pb)) {
		unsigned m = 0;

		buf_append(out, css.p + last, pa - last);
		if (eval_prelude((struct slice){css.p + pa, pb - pa}, &q, &m) == 0 &&
		    (m >> vp) & 1u)
			buf_puts(out, " all ");
		else
			buf_puts(out, " not all ");
		last = pb;
	}
	buf_append(out, css.p + last, css.len - last);
	buf_free(&q);
}
