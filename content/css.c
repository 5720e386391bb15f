/* CSS for hidden-content detection.
 *
 * Standards: CSS Syntax Level 3 (comments, escapes, CDO/CDC), CSS 2.1 §6.4
 * (cascade order), Selectors Level 3 (type/class/id, descendant and child
 * combinators, specificity), CSS Color Level 4 (hex, rgb(), hsl(), hwb(),
 * lab(), lch(), oklab(), oklch(), color() for the sRGB-like spaces, named and
 * system colours), CSS Values 3 (lengths, calc()), WHATWG HTML "rules for parsing a legacy
 * colour value" and the quirks-mode hashless-colour quirk (CSS Quirks).
 *
 * The goal is not to render but to never under-estimate what a browser hides:
 * where this parser must guess (unknown selectors, calc(), sibling
 * combinators) it guesses the way that makes content look more hidden.
 * Everything is linear in the input and bounded by the LIM_CSS_* caps; no
 * recursion (nested at-rule blocks are tracked with a counter). */
#include "content/css.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

/* ---- small helpers ---------------------------------------------------- */

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static bool
is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c >= 0x80;
}

static struct slice
trim(struct slice s)
{
	while (s.len > 0 && is_ws((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len > 0 && is_ws((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

static bool
starts_with(struct slice s, const char *pfx)
{
	size_t n = strlen(pfx);

	return s.len >= n && memcmp(s.p, pfx, n) == 0;
}

/* ASCII case-insensitive equality (class and id matching: quirks mode, which
 * most mail is in, matches them case-insensitively; doing so always can only
 * over-apply a rule). */
static bool
eq_nocase(struct slice a, struct slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++) {
		unsigned char x = (unsigned char)a.p[i], y = (unsigned char)b.p[i];

		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/* ---- normalization ---------------------------------------------------- */

static bool
is_delim(uint32_t c)
{
	return c == ';' || c == ':' || c == '{' || c == '}' || c == '(' || c == ')' || c == '"' ||
	       c == '\'' || c == ',' || c == '!' || c == '/' || c == '*' || c == '\\';
}

void
css_normalize(struct slice css, struct buf *out)
{
	size_t i = 0;

	while (i < css.len) {
		unsigned char c = (unsigned char)css.p[i];

		if (c == '/' && i + 1 < css.len && css.p[i + 1] == '*') {
			const char *end = NULL;

			if (i + 2 < css.len)
				end = memmem(css.p + i + 2, css.len - i - 2, "*/", 2);
			i = end != NULL ? (size_t)(end - css.p) + 2 : css.len;
			buf_putc(out, ' ');
			continue;
		}
		if (c == '\\') {
			uint32_t cp = 0;
			size_t n = 0;

			i++;
			if (i >= css.len)
				break;
			if (css.p[i] == '\n' || css.p[i] == '\r' || css.p[i] == '\f') {
				i++; /* escaped newline: a string continuation, nothing */
				continue;
			}
			if (!is_hex((unsigned char)css.p[i])) {
				c = (unsigned char)css.p[i++];
				if (c >= 0x80) {
					buf_putc(out, (char)c); /* rest of the sequence follows */
					continue;
				}
				cp = c;
			} else {
				while (i < css.len && n < 6 && is_hex((unsigned char)css.p[i])) {
					cp = cp * 16 + hex_val((unsigned char)css.p[i++]);
					n++;
				}
				if (i < css.len && is_ws((unsigned char)css.p[i]))
					i++;
				if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
					cp = 0xFFFD;
			}
			if (cp < 0x80) {
				if (is_delim(cp) || is_ws((unsigned char)cp) || cp < 0x20)
					cp = '_'; /* an escaped delimiter is identifier text */
				else if (cp >= 'A' && cp <= 'Z')
					cp += 32;
				buf_putc(out, (char)cp);
			} else {
				char u[4];
				size_t ul = u8_encode(cp, u);

				buf_append(out, u, ul);
			}
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (c == 0)
			c = ' ';
		buf_putc(out, (char)c);
		i++;
	}
}

/* ---- declarations ----------------------------------------------------- */

struct prop_name {
	const char *name;
	enum css_prop prop;
};

static const struct prop_name prop_names[] = {
    {"background", CP_BACKGROUND},
    {"background-color", CP_BACKGROUND_COLOR},
    {"bottom", CP_BOTTOM},
    {"clip", CP_CLIP},
    {"clip-path", CP_CLIP_PATH},
    {"color", CP_COLOR},
    {"content-visibility", CP_CONTENT_VISIBILITY},
    {"display", CP_DISPLAY},
    {"filter", CP_FILTER},
    {"font", CP_FONT},
    {"font-size", CP_FONT_SIZE},
    {"height", CP_HEIGHT},
    {"left", CP_LEFT},
    {"line-height", CP_LINE_HEIGHT},
    {"margin", CP_MARGIN},
    {"margin-left", CP_MARGIN_LEFT},
    {"margin-top", CP_MARGIN_TOP},
    {"max-height", CP_MAX_HEIGHT},
    {"max-width", CP_MAX_WIDTH},
    {"mso-hide", CP_MSO_HIDE},
    {"opacity", CP_OPACITY},
    {"overflow", CP_OVERFLOW},
    {"overflow-x", CP_OVERFLOW_X},
    {"overflow-y", CP_OVERFLOW_Y},
    {"position", CP_POSITION},
    {"right", CP_RIGHT},
    {"scale", CP_SCALE},
    {"text-fill-color", CP_TEXT_FILL_COLOR},
    {"text-indent", CP_TEXT_INDENT},
    {"top", CP_TOP},
    {"transform", CP_TRANSFORM},
    {"translate", CP_TRANSLATE},
    {"visibility", CP_VISIBILITY},
    {"width", CP_WIDTH},
};

static int
prop_lookup(struct slice name)
{
	static const char *const vendors[] = {"-webkit-", "-moz-", "-ms-", "-o-"};

	for (size_t v = 0; v < sizeof(vendors) / sizeof(vendors[0]); v++) {
		size_t n = strlen(vendors[v]);

		/* Vendor-prefixed forms are honoured by the engines that know them. */
		if (name.len > n && memcmp(name.p, vendors[v], n) == 0) {
			name.p += n;
			name.len -= n;
			break;
		}
	}
	for (size_t i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++)
		if (sl_eq_cstr(name, prop_names[i].name))
			return (int)prop_names[i].prop;
	return -1;
}

void
css_slot_set(struct css_decls *d, enum css_prop p, struct slice val, uint64_t prio)
{
	struct css_slot *s = &d->s[p];

	if (s->set && prio < s->prio)
		return;
	s->val = val;
	s->prio = prio;
	s->set = true;
}

/* Splits off one declaration: returns its end (the ';' or the end of s),
 * skipping ';' inside parentheses and quotes (url(data:...;base64,...)). */
static size_t
decl_end(struct slice s, size_t i)
{
	int paren = 0;
	char quote = 0;

	for (; i < s.len; i++) {
		char c = s.p[i];

		if (quote != 0) {
			if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '(') {
			paren++;
		} else if (c == ')' && paren > 0) {
			paren--;
		} else if (c == ';' && paren == 0) {
			break;
		}
	}
	return i;
}

/* Strips a trailing "!important" (with optional spaces around the '!'). */
static struct slice
strip_important(struct slice v, bool *imp)
{
	*imp = false;
	v = trim(v);
	if (v.len >= 9 && memcmp(v.p + v.len - 9, "important", 9) == 0) {
		struct slice r = {v.p, v.len - 9};

		r = trim(r);
		if (r.len > 0 && r.p[r.len - 1] == '!') {
			r.len--;
			*imp = true;
			return trim(r);
		}
	}
	return v;
}

/* Calls back for each relevant declaration; used for style="" and blocks. */
struct decl_out {
	int prop;
	bool important;
	struct slice val;
};

/* Parses relevant declarations from s starting at *pos into out (at most
 * max) and advances *pos; call again until *pos == s.len, so no declaration
 * is ever skipped (a dropped "display:none" would un-hide text). */
static size_t
decls_parse(struct slice s, size_t *pos, struct decl_out *out, size_t max)
{
	size_t n = 0, i = *pos;

	while (i < s.len && n < max) {
		size_t end = decl_end(s, i);
		struct slice d = {s.p + i, end - i};
		const char *colon = memchr(d.p, ':', d.len);

		i = end < s.len ? end + 1 : s.len;
		if (colon == NULL)
			continue;
		struct slice name = trim((struct slice){d.p, (size_t)(colon - d.p)});
		struct slice val = {colon + 1, d.len - (size_t)(colon - d.p) - 1};
		int p = prop_lookup(name);

		if (p < 0)
			continue;
		out[n].prop = p;
		out[n].val = strip_important(val, &out[n].important);
		n++;
	}
	*pos = i;
	return n;
}

void
css_decls_apply(struct css_decls *d, struct slice decls, uint64_t prio)
{
	struct decl_out o[LIM_CSS_DECLS];
	size_t pos = 0;

	while (pos < decls.len) {
		size_t n = decls_parse(decls, &pos, o, LIM_CSS_DECLS);

		for (size_t i = 0; i < n; i++)
			css_slot_set(d, (enum css_prop)o[i].prop, o[i].val,
			             prio | (o[i].important ? CSS_PRIO_IMPORTANT : 0));
	}
}

/* ---- numbers and lengths ---------------------------------------------- */

/* Parses a CSS number at s[*i]; advances *i. Bounded digit count so hostile
 * input cannot build huge values (anything past 1e9 is "far" anyway). */
static bool
num_parse(struct slice s, size_t *i, double *v)
{
	size_t k = *i;
	double x = 0, scale = 1;
	bool neg = false, any = false;
	int digits = 0;

	if (k < s.len && (s.p[k] == '+' || s.p[k] == '-'))
		neg = s.p[k++] == '-';
	while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
		if (digits++ < 12)
			x = x * 10 + (s.p[k] - '0');
		k++;
		any = true;
	}
	if (k + 1 < s.len && s.p[k] == '.' && s.p[k + 1] >= '0' && s.p[k + 1] <= '9') {
		k++;
		while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
			if (scale > 1e-12) {
				scale /= 10;
				x += (s.p[k] - '0') * scale;
			}
			k++;
		}
		any = true;
	}
	if (!any)
		return false;
	if (k + 1 < s.len && s.p[k] == 'e' &&
	    ((s.p[k + 1] >= '0' && s.p[k + 1] <= '9') ||
	     ((s.p[k + 1] == '-' || s.p[k + 1] == '+') && k + 2 < s.len && s.p[k + 2] >= '0' &&
	      s.p[k + 2] <= '9'))) {
		int e = 0;
		bool eneg = false;

		k++;
		if (s.p[k] == '-' || s.p[k] == '+')
			eneg = s.p[k++] == '-';
		while (k < s.len && s.p[k] >= '0' && s.p[k] <= '9') {
			if (e < 100)
				e = e * 10 + (s.p[k] - '0');
			k++;
		}
		for (int j = 0; j < e && x != 0 && x < 1e30 && x > 1e-30; j++)
			x = eneg ? x / 10 : x * 10;
	}
	*i = k;
	*v = neg ? -x : x;
	return true;
}

struct unit {
	const char *name;
	double px; /* factor; 0 means relative (handled below) */
};

static const struct unit units[] = {
    {"px", 1},         {"pt", 4.0 / 3},    {"pc", 16},        {"in", 96},
    {"cm", 96 / 2.54}, {"mm", 9.6 / 2.54}, {"q", 2.4 / 2.54}, {"vw", 10},
    {"vh", 10},        {"vmin", 10},       {"vmax", 10},      {"em", 0},
    {"rem", 0},        {"ex", 0},          {"ch", 0},         {"%", 0},
};

/* One length term "12px", "-1e4em", "0"; *i advanced past it. */
static bool
term_px(struct slice s, size_t *i, double font_px, double pct_base, double *px)
{
	double v;
	size_t k = *i, ue;

	if (!num_parse(s, &k, &v))
		return false;
	ue = k;
	while (ue < s.len && ((s.p[ue] >= 'a' && s.p[ue] <= 'z') || s.p[ue] == '%'))
		ue++;
	struct slice u = {s.p + k, ue - k};

	*i = ue;
	if (u.len == 0) {
		*px = v; /* quirks mode accepts unitless lengths as px */
		return true;
	}
	for (size_t j = 0; j < sizeof(units) / sizeof(units[0]); j++) {
		if (!sl_eq_cstr(u, units[j].name))
			continue;
		if (units[j].px != 0)
			*px = v * units[j].px;
		else if (sl_eq_cstr(u, "em"))
			*px = v * font_px;
		else if (sl_eq_cstr(u, "rem"))
			*px = v * 16;
		else if (sl_eq_cstr(u, "ex") || sl_eq_cstr(u, "ch"))
			*px = v * font_px / 2;
		else if (pct_base >= 0)
			*px = v * pct_base / 100;
		else if (v == 0)
			*px = 0;
		else
			return false;
		return true;
	}
	return false;
}

bool
css_length_px(struct slice v, double font_px, double pct_base, double *px)
{
	size_t i = 0;

	v = trim(v);
	if (starts_with(v, "calc(") || starts_with(v, "min(") || starts_with(v, "max(") ||
	    starts_with(v, "clamp(")) {
		/* Smallest term, with a preceding " - " negating it. */
		bool found = false, neg = false;
		double best = 0;

		i = (size_t)((const char *)memchr(v.p, '(', v.len) - v.p) + 1;
		while (i < v.len) {
			double t;
			size_t k = i;

			if (v.p[i] == '-' && i + 1 < v.len && is_ws((unsigned char)v.p[i + 1])) {
				neg = true;
				i++;
				continue;
			}
			if (term_px(v, &k, font_px, pct_base, &t)) {
				if (neg)
					t = -t;
				if (!found || t < best)
					best = t;
				found = true;
				neg = false;
				i = k;
				continue;
			}
			if (!is_ws((unsigned char)v.p[i]) && v.p[i] != '+')
				neg = false;
			i = k > i ? k : i + 1;
		}
		if (found)
			*px = best;
		return found;
	}
	if (!term_px(v, &i, font_px, pct_base, px))
		return false;
	return i == v.len;
}

bool
css_calc_px(struct slice v, double font_px, double pct_base, double *px)
{
	/* sum of products: each product carries whether it has a length (a
	 * number alone added to a length is invalid CSS: refuse). */
	double sum = 0, prod = 0;
	bool sum_len = false, prod_len = false, have = false, any = false;
	char op = '+', mul = 0;
	size_t i;

	v = trim(v);
	if (!starts_with(v, "calc(") || v.p[v.len - 1] != ')')
		return false;
	v = (struct slice){v.p + 5, v.len - 6};
	if (memchr(v.p, '(', v.len) != NULL)
		return false;
	for (i = 0; i <= v.len;) {
		if (i < v.len && is_ws((unsigned char)v.p[i])) {
			i++;
			continue;
		}
		if (i == v.len || ((v.p[i] == '+' || v.p[i] == '-') && have && mul == 0)) {
			if (!have || mul != 0)
				return false;
			if (any && sum_len != prod_len)
				return false;
			sum = op == '+' ? sum + prod : sum - prod;
			sum_len = prod_len;
			any = true;
			have = false;
			if (i == v.len)
				break;
			op = v.p[i++];
			continue;
		}
		if ((v.p[i] == '*' || v.p[i] == '/') && have && mul == 0) {
			mul = v.p[i++];
			continue;
		}
		double t;
		size_t k = i;
		bool is_len;

		if (!num_parse(v, &k, &t))
			return false;
		is_len = k < v.len && ((v.p[k] >= 'a' && v.p[k] <= 'z') || v.p[k] == '%');
		k = i;
		if (is_len && !term_px(v, &k, font_px, pct_base, &t))
			return false;
		if (!is_len && !num_parse(v, &k, &t))
			return false;
		i = k;
		if (mul == 0) {
			if (have)
				return false;
			prod = t;
			prod_len = is_len;
		} else if (mul == '*') {
			if (is_len && prod_len)
				return false;
			prod *= t;
			prod_len = prod_len || is_len;
		} else {
			if (is_len || t == 0)
				return false;
			prod /= t;
		}
		mul = 0;
		have = true;
	}
	if (!any || !sum_len)
		return false;
	*px = sum;
	return true;
}

/* ---- colours ---------------------------------------------------------- */

struct named_color {
	const char *name;
	uint32_t rgb;
};

/* CSS Color 4 §6.1, sorted for bsearch. */
static const struct named_color named_colors[] = {
    {"aliceblue", 0xf0f8ff},
    {"antiquewhite", 0xfaebd7},
    {"aqua", 0x00ffff},
    {"aquamarine", 0x7fffd4},
    {"azure", 0xf0ffff},
    {"beige", 0xf5f5dc},
    {"bisque", 0xffe4c4},
    {"black", 0x000000},
    {"blanchedalmond", 0xffebcd},
    {"blue", 0x0000ff},
    {"blueviolet", 0x8a2be2},
    {"brown", 0xa52a2a},
    {"burlywood", 0xdeb887},
    {"cadetblue", 0x5f9ea0},
    {"chartreuse", 0x7fff00},
    {"chocolate", 0xd2691e},
    {"coral", 0xff7f50},
    {"cornflowerblue", 0x6495ed},
    {"cornsilk", 0xfff8dc},
    {"crimson", 0xdc143c},
    {"cyan", 0x00ffff},
    {"darkblue", 0x00008b},
    {"darkcyan", 0x008b8b},
    {"darkgoldenrod", 0xb8860b},
    {"darkgray", 0xa9a9a9},
    {"darkgreen", 0x006400},
    {"darkgrey", 0xa9a9a9},
    {"darkkhaki", 0xbdb76b},
    {"darkmagenta", 0x8b008b},
    {"darkolivegreen", 0x556b2f},
    {"darkorange", 0xff8c00},
    {"darkorchid", 0x9932cc},
    {"darkred", 0x8b0000},
    {"darksalmon", 0xe9967a},
    {"darkseagreen", 0x8fbc8f},
    {"darkslateblue", 0x483d8b},
    {"darkslategray", 0x2f4f4f},
    {"darkslategrey", 0x2f4f4f},
    {"darkturquoise", 0x00ced1},
    {"darkviolet", 0x9400d3},
    {"deeppink", 0xff1493},
    {"deepskyblue", 0x00bfff},
    {"dimgray", 0x696969},
    {"dimgrey", 0x696969},
    {"dodgerblue", 0x1e90ff},
    {"firebrick", 0xb22222},
    {"floralwhite", 0xfffaf0},
    {"forestgreen", 0x228b22},
    {"fuchsia", 0xff00ff},
    {"gainsboro", 0xdcdcdc},
    {"ghostwhite", 0xf8f8ff},
    {"gold", 0xffd700},
    {"goldenrod", 0xdaa520},
    {"gray", 0x808080},
    {"green", 0x008000},
    {"greenyellow", 0xadff2f},
    {"grey", 0x808080},
    {"honeydew", 0xf0fff0},
    {"hotpink", 0xff69b4},
    {"indianred", 0xcd5c5c},
    {"indigo", 0x4b0082},
    {"ivory", 0xfffff0},
    {"khaki", 0xf0e68c},
    {"lavender", 0xe6e6fa},
    {"lavenderblush", 0xfff0f5},
    {"lawngreen", 0x7cfc00},
    {"lemonchiffon", 0xfffacd},
    {"lightblue", 0xadd8e6},
    {"lightcoral", 0xf08080},
    {"lightcyan", 0xe0ffff},
    {"lightgoldenrodyellow", 0xfafad2},
    {"lightgray", 0xd3d3d3},
    {"lightgreen", 0x90ee90},
    {"lightgrey", 0xd3d3d3},
    {"lightpink", 0xffb6c1},
    {"lightsalmon", 0xffa07a},
    {"lightseagreen", 0x20b2aa},
    {"lightskyblue", 0x87cefa},
    {"lightslategray", 0x778899},
    {"lightslategrey", 0x778899},
    {"lightsteelblue", 0xb0c4de},
    {"lightyellow", 0xffffe0},
    {"lime", 0x00ff00},
    {"limegreen", 0x32cd32},
    {"linen", 0xfaf0e6},
    {"magenta", 0xff00ff},
    {"maroon", 0x800000},
    {"mediumaquamarine", 0x66cdaa},
    {"mediumblue", 0x0000cd},
    {"mediumorchid", 0xba55d3},
    {"mediumpurple", 0x9370db},
    {"mediumseagreen", 0x3cb371},
    {"mediumslateblue", 0x7b68ee},
    {"mediumspringgreen", 0x00fa9a},
    {"mediumturquoise", 0x48d1cc},
    {"mediumvioletred", 0xc71585},
    {"midnightblue", 0x191970},
    {"mintcream", 0xf5fffa},
    {"mistyrose", 0xffe4e1},
    {"moccasin", 0xffe4b5},
    {"navajowhite", 0xffdead},
    {"navy", 0x000080},
    {"oldlace", 0xfdf5e6},
    {"olive", 0x808000},
    {"olivedrab", 0x6b8e23},
    {"orange", 0xffa500},
    {"orangered", 0xff4500},
    {"orchid", 0xda70d6},
    {"palegoldenrod", 0xeee8aa},
    {"palegreen", 0x98fb98},
    {"paleturquoise", 0xafeeee},
    {"palevioletred", 0xdb7093},
    {"papayawhip", 0xffefd5},
    {"peachpuff", 0xffdab9},
    {"peru", 0xcd853f},
    {"pink", 0xffc0cb},
    {"plum", 0xdda0dd},
    {"powderblue", 0xb0e0e6},
    {"purple", 0x800080},
    {"rebeccapurple", 0x663399},
    {"red", 0xff0000},
    {"rosybrown", 0xbc8f8f},
    {"royalblue", 0x4169e1},
    {"saddlebrown", 0x8b4513},
    {"salmon", 0xfa8072},
    {"sandybrown", 0xf4a460},
    {"seagreen", 0x2e8b57},
    {"seashell", 0xfff5ee},
    {"sienna", 0xa0522d},
    {"silver", 0xc0c0c0},
    {"skyblue", 0x87ceeb},
    {"slateblue", 0x6a5acd},
    {"slategray", 0x708090},
    {"slategrey", 0x708090},
    {"snow", 0xfffafa},
    {"springgreen", 0x00ff7f},
    {"steelblue", 0x4682b4},
    {"tan", 0xd2b48c},
    {"teal", 0x008080},
    {"thistle", 0xd8bfd8},
    {"tomato", 0xff6347},
    {"turquoise", 0x40e0d0},
    {"violet", 0xee82ee},
    {"wheat", 0xf5deb3},
    {"white", 0xffffff},
    {"whitesmoke", 0xf5f5f5},
    {"yellow", 0xffff00},
    {"yellowgreen", 0x9acd32},
};

static bool
named_lookup(struct slice v, struct css_color *c)
{
	size_t lo = 0, hi = sizeof(named_colors) / sizeof(named_colors[0]);
	char name[24];

	if (v.len == 0 || v.len >= sizeof(name))
		return false;
	for (size_t i = 0; i < v.len; i++) {
		char ch = v.p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch + 32);
		name[i] = ch;
	}
	name[v.len] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(name, named_colors[mid].name);

		if (r == 0) {
			uint32_t x = named_colors[mid].rgb;

			*c = (struct css_color){(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x,
			                        255};
			return true;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

/* CSS Color 4 §6.2 system colours (and the deprecated ones Word still
 * writes, "windowtext"), as a light-theme browser paints them; "canvas" on
 * white is as invisible as "white". */
static const struct named_color system_colors[] = {
    {"accentcolor", 0x0075ff},     {"accentcolortext", 0xffffff}, {"activetext", 0xff0000},
    {"buttonborder", 0x767676},    {"buttonface", 0xefefef},      {"buttontext", 0x000000},
    {"canvas", 0xffffff},          {"canvastext", 0x000000},      {"field", 0xffffff},
    {"fieldtext", 0x000000},       {"graytext", 0x6d6d6d},        {"highlight", 0x3399ff},
    {"highlighttext", 0xffffff},   {"linktext", 0x0000ee},        {"mark", 0xffff00},
    {"marktext", 0x000000},        {"selecteditem", 0x3399ff},    {"selecteditemtext", 0xffffff},
    {"visitedtext", 0x551a8b},     {"window", 0xffffff},          {"windowtext", 0x000000},
    {"buttonhighlight", 0xffffff}, {"buttonshadow", 0xa0a0a0},    {"threedface", 0xf0f0f0},
    {"infobackground", 0xffffe1},  {"infotext", 0x000000},        {"menu", 0xf0f0f0},
    {"menutext", 0x000000},        {"captiontext", 0x000000},     {"windowframe", 0x646464},
};

static bool
system_lookup(struct slice v, struct css_color *c)
{
	for (size_t i = 0; i < sizeof(system_colors) / sizeof(system_colors[0]); i++)
		if (eq_nocase(v, sl_from_cstr(system_colors[i].name))) {
			uint32_t x = system_colors[i].rgb;

			*c = (struct css_color){(uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x,
			                        255};
			return true;
		}
	return false;
}

static bool
hex_color(struct slice h, struct css_color *c)
{
	unsigned d[8];

	if (h.len != 3 && h.len != 4 && h.len != 6 && h.len != 8)
		return false;
	for (size_t i = 0; i < h.len; i++) {
		if (!is_hex((unsigned char)h.p[i]))
			return false;
		d[i] = hex_val((unsigned char)h.p[i]);
	}
	if (h.len <= 4) {
		*c = (struct css_color){(uint8_t)(d[0] * 17), (uint8_t)(d[1] * 17),
		                        (uint8_t)(d[2] * 17),
		                        (uint8_t)(h.len == 4 ? d[3] * 17 : 255)};
	} else {
		*c = (struct css_color){(uint8_t)(d[0] * 16 + d[1]), (uint8_t)(d[2] * 16 + d[3]),
		                        (uint8_t)(d[4] * 16 + d[5]),
		                        (uint8_t)(h.len == 8 ? d[6] * 16 + d[7] : 255)};
	}
	return true;
}

static uint8_t
clamp255(double v)
{
	if (!(v > 0))
		return 0;
	if (v > 255)
		return 255;
	return (uint8_t)(v + 0.5);
}

/* Reads up to 4 numeric arguments of rgb()/hsl(), comma or space/slash
 * separated; pct[] says which had a '%'. "none" counts as 0. */
static size_t
func_args(struct slice s, double *a, bool *pct, size_t max)
{
	size_t i = 0, n = 0;

	while (i < s.len && n < max) {
		unsigned char ch = (unsigned char)s.p[i];

		if (is_ws(ch) || ch == ',' || ch == '/') {
			i++;
			continue;
		}
		if (s.len - i >= 4 && memcmp(s.p + i, "none", 4) == 0) {
			a[n] = 0;
			pct[n++] = false;
			i += 4;
			continue;
		}
		if (!num_parse(s, &i, &a[n]))
			return 0;
		pct[n] = false;
		if (i < s.len && s.p[i] == '%') {
			pct[n] = true;
			i++;
		} else {
			while (i < s.len && s.p[i] >= 'a' && s.p[i] <= 'z')
				i++; /* deg and friends: treated as degrees */
		}
		n++;
	}
	return n;
}

static double
hue_part(double p, double q, double t)
{
	if (t < 0)
		t += 1;
	if (t > 1)
		t -= 1;
	if (t < 1.0 / 6)
		return p + (q - p) * 6 * t;
	if (t < 0.5)
		return q;
	if (t < 2.0 / 3)
		return p + (q - p) * (2.0 / 3 - t) * 6;
	return p;
}

/* Linear-light sRGB component (0..1 nominal) to an 8-bit gamma-encoded one
 * (sRGB transfer function, CSS Color 4 §10.2). Out-of-gamut values clamp. */
static uint8_t
lin_to_srgb8(double x)
{
	double ax = fabs(x), y = ax <= 0.0031308 ? 12.92 * ax : 1.055 * pow(ax, 1 / 2.4) - 0.055;

	return clamp255((x < 0 ? -y : y) * 255);
}

/* Linear sRGB from CIE XYZ relative to D65 (CSS Color 4 §18 sample code). */
static void
xyz65_to_color(double x, double y, double z, double alpha, struct css_color *c)
{
	double r = 3.2409699419045226 * x - 1.5373831775700939 * y - 0.4986107602930034 * z;
	double g = -0.9692436362808796 * x + 1.8759675015077202 * y + 0.0415550574071756 * z;
	double b = 0.0556300796969936 * x - 0.2039769588889765 * y + 1.0569715142428786 * z;

	*c = (struct css_color){lin_to_srgb8(r), lin_to_srgb8(g), lin_to_srgb8(b),
	                        clamp255(alpha * 255)};
}

/* CIE Lab (D50) → sRGB via XYZ D50 and the Bradford adaptation to D65. */
static void
lab_to_color(double l, double a, double bb, double alpha, struct css_color *c)
{
	const double k = 24389.0 / 27, e = 216.0 / 24389;
	double fy = (l + 16) / 116, fx = fy + a / 500, fz = fy - bb / 200;
	double x = fx * fx * fx > e ? fx * fx * fx : (116 * fx - 16) / k;
	double y = l > k * e ? fy * fy * fy : l / k;
	double z = fz * fz * fz > e ? fz * fz * fz : (116 * fz - 16) / k;

	x *= 0.3457 / 0.3585;
	z *= (1.0 - 0.3457 - 0.3585) / 0.3585;
	double x65 = 0.9554734527042182 * x - 0.0230985368742614 * y + 0.0632593086610217 * z;
	double y65 = -0.0283697069632081 * x + 1.0099954580058226 * y + 0.0210413989669430 * z;
	double z65 = 0.0123140016883199 * x - 0.0205076964334779 * y + 1.3303659366080753 * z;

	xyz65_to_color(x65, y65, z65, alpha, c);
}

/* OKLab → linear sRGB (Björn Ottosson's matrices, as in CSS Color 4). */
static void
oklab_to_color(double l, double a, double b, double alpha, struct css_color *c)
{
	double l_ = l + 0.3963377774 * a + 0.2158037573 * b;
	double m_ = l - 0.1055613458 * a - 0.0638541728 * b;
	double s_ = l - 0.0894841775 * a - 1.2914855480 * b;
	double lc = l_ * l_ * l_, mc = m_ * m_ * m_, sc = s_ * s_ * s_;

	*c = (struct css_color){
	    lin_to_srgb8(4.0767416621 * lc - 3.3077115913 * mc + 0.2309699292 * sc),
	    lin_to_srgb8(-1.2684380046 * lc + 2.6097574011 * mc - 0.3413193965 * sc),
	    lin_to_srgb8(-0.0041960863 * lc - 0.7034186147 * mc + 1.7076147010 * sc),
	    clamp255(alpha * 255)};
}

/* color(space r g b [/ a]) for the RGB spaces whose values we can map:
 * srgb and display-p3 (treated as srgb: close enough to judge contrast) and
 * srgb-linear. Other spaces are left unevaluated. */
static bool
color_fn(struct slice args, struct css_color *c)
{
	static const char *const spaces[] = {"srgb-linear", "srgb", "display-p3"};
	double a[4];
	bool pct[4];
	size_t sp, n;

	args = trim(args);
	for (sp = 0; sp < sizeof(spaces) / sizeof(spaces[0]); sp++) {
		size_t l = strlen(spaces[sp]);

		if (args.len > l && memcmp(args.p, spaces[sp], l) == 0 &&
		    is_ws((unsigned char)args.p[l]))
			break;
	}
	if (sp == sizeof(spaces) / sizeof(spaces[0]))
		return false;
	args.p += strlen(spaces[sp]);
	args.len -= strlen(spaces[sp]);
	n = func_args(args, a, pct, 4);
	if (n < 3)
		return false;
	for (size_t k = 0; k < n; k++)
		if (pct[k])
			a[k] /= 100;
	double alpha = n == 4 ? a[3] : 1;

	if (sp == 0)
		*c = (struct css_color){lin_to_srgb8(a[0]), lin_to_srgb8(a[1]), lin_to_srgb8(a[2]),
		                        clamp255(alpha * 255)};
	else
		*c = (struct css_color){clamp255(a[0] * 255), clamp255(a[1] * 255),
		                        clamp255(a[2] * 255), clamp255(alpha * 255)};
	return true;
}

/* Hue in degrees to radians, reduced so that huge hues cannot lose all
 * precision (fmod is bounded). */
static double
hue_rad(double h)
{
	return fmod(h, 360) * (3.14159265358979323846 / 180);
}

static bool
func_color(struct slice v, struct css_color *c)
{
	const char *open = memchr(v.p, '(', v.len);
	double a[4];
	bool pct[4];
	size_t n;

	if (open == NULL || v.p[v.len - 1] != ')')
		return false;
	struct slice name = {v.p, (size_t)(open - v.p)};
	struct slice args = {open + 1, v.len - name.len - 2};

	if (sl_eq_cstr(name, "color"))
		return color_fn(args, c);
	n = func_args(args, a, pct, 4);
	if (n < 3)
		return false;
	double alpha = n == 4 ? (pct[3] ? a[3] / 100 : a[3]) : 1;

	if (sl_eq_cstr(name, "rgb") || sl_eq_cstr(name, "rgba")) {
		for (int k = 0; k < 3; k++)
			if (pct[k])
				a[k] = a[k] * 255 / 100;
		*c = (struct css_color){clamp255(a[0]), clamp255(a[1]), clamp255(a[2]),
		                        clamp255(alpha * 255)};
		return true;
	}
	if (sl_eq_cstr(name, "hsl") || sl_eq_cstr(name, "hsla")) {
		double h = a[0], s = a[1] / 100, l = a[2] / 100;

		for (int k = 0; k < 8 && (h < 0 || h >= 360); k++)
			h += h < 0 ? 360 : -360; /* bounded: huge hues stay off-range */
		h /= 360;
		s = s < 0 ? 0 : (s > 1 ? 1 : s);
		l = l < 0 ? 0 : (l > 1 ? 1 : l);
		double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;

		*c = (struct css_color){
		    clamp255(hue_part(p, q, h + 1.0 / 3) * 255), clamp255(hue_part(p, q, h) * 255),
		    clamp255(hue_part(p, q, h - 1.0 / 3) * 255), clamp255(alpha * 255)};
		return true;
	}
	if (sl_eq_cstr(name, "hwb")) {
		/* hwb(h w b) = hsl(h 100% 50%) scaled into [w, 1 - b] (Color 4 §8). */
		double h = fmod(a[0], 360), w = a[1] / 100, bl = a[2] / 100, q = 1, p = 0;

		h = (h < 0 ? h + 360 : h) / 360;
		w = w < 0 ? 0 : w;
		bl = bl < 0 ? 0 : bl;
		if (w + bl >= 1) {
			uint8_t g = clamp255(w / (w + bl) * 255);

			*c = (struct css_color){g, g, g, clamp255(alpha * 255)};
			return true;
		}
		*c = (struct css_color){
		    clamp255((hue_part(p, q, h + 1.0 / 3) * (1 - w - bl) + w) * 255),
		    clamp255((hue_part(p, q, h) * (1 - w - bl) + w) * 255),
		    clamp255((hue_part(p, q, h - 1.0 / 3) * (1 - w - bl) + w) * 255),
		    clamp255(alpha * 255)};
		return true;
	}
	/* Percentages: lab L 100%=100, a/b 100%=125; lch C 100%=150; oklab L
	 * 100%=1, a/b 100%=0.4; oklch C 100%=0.4 (CSS Color 4 §9). */
	if (sl_eq_cstr(name, "lab") || sl_eq_cstr(name, "lch")) {
		bool lch = name.p[1] == 'c';
		double l = a[0], x = pct[1] ? a[1] * (lch ? 1.5 : 1.25) : a[1];
		double y = pct[2] && !lch ? a[2] * 1.25 : a[2];

		if (lch) {
			double hr = hue_rad(y);

			y = x * sin(hr);
			x = x * cos(hr);
		}
		lab_to_color(l, x, y, alpha, c);
		return true;
	}
	if (sl_eq_cstr(name, "oklab") || sl_eq_cstr(name, "oklch")) {
		bool lch = name.p[3] == 'c';
		double l = pct[0] ? a[0] / 100 : a[0], x = pct[1] ? a[1] * 0.004 : a[1];
		double y = pct[2] && !lch ? a[2] * 0.004 : a[2];

		if (lch) {
			double hr = hue_rad(y);

			y = x * sin(hr);
			x = x * cos(hr);
		}
		oklab_to_color(l, x, y, alpha, c);
		return true;
	}
	return false;
}

bool
css_color_parse(struct slice v, struct css_color *c)
{
	v = trim(v);
	if (v.len == 0)
		return false;
	if (v.p[0] == '#')
		return hex_color((struct slice){v.p + 1, v.len - 1}, c);
	if (sl_eq_cstr(v, "transparent")) {
		*c = (struct css_color){0, 0, 0, 0};
		return true;
	}
	if (memchr(v.p, '(', v.len) != NULL)
		return func_color(v, c);
	if (named_lookup(v, c) || system_lookup(v, c))
		return true;
	/* Quirks mode hashless colour ("color: ffffff"). */
	if ((v.len == 3 || v.len == 6) && hex_color(v, c))
		return true;
	return false;
}

bool
css_legacy_color_parse(struct slice v, struct css_color *c)
{
	char s[128];
	size_t n = 0, len;

	v = trim(v);
	if (v.len == 0 || eq_nocase(v, SL_LIT("transparent")))
		return false;
	if (named_lookup(v, c))
		return true;
	if (v.len == 4 && v.p[0] == '#' && is_hex((unsigned char)v.p[1]) &&
	    is_hex((unsigned char)v.p[2]) && is_hex((unsigned char)v.p[3]))
		return hex_color((struct slice){v.p + 1, 3}, c);
	/* Non-ASCII code points become "00"; keep at most 128 characters. */
	for (size_t i = 0; i < v.len && n < sizeof(s); i++) {
		unsigned char ch = (unsigned char)v.p[i];

		if (ch >= 0x80) {
			if ((ch & 0xC0) == 0x80)
				continue;
			/* Supplementary characters become "00"; other non-ASCII
			 * is a non-hex digit and becomes "0" below. */
			s[n++] = '0';
			if (ch >= 0xF0 && n < sizeof(s))
				s[n++] = '0';
			continue;
		}
		s[n++] = (char)ch;
	}
	len = n;
	if (len > 0 && s[0] == '#') {
		memmove(s, s + 1, len - 1);
		len--;
	}
	for (size_t i = 0; i < len; i++)
		if (!is_hex((unsigned char)s[i]))
			s[i] = '0';
	while (len == 0 || len % 3 != 0) {
		if (len >= sizeof(s))
			return false;
		s[len++] = '0';
	}
	size_t comp = len / 3;
	const char *r = s, *g = s + comp, *b = s + 2 * comp;

	if (comp > 8) {
		r += comp - 8;
		g += comp - 8;
		b += comp - 8;
		comp = 8;
	}
	while (comp > 2 && r[0] == '0' && g[0] == '0' && b[0] == '0') {
		r++;
		g++;
		b++;
		comp--;
	}
	if (comp > 2)
		comp = 2;
	unsigned rv = 0, gv = 0, bv = 0;

	for (size_t i = 0; i < comp; i++) {
		rv = rv * 16 + hex_val((unsigned char)r[i]);
		gv = gv * 16 + hex_val((unsigned char)g[i]);
		bv = bv * 16 + hex_val((unsigned char)b[i]);
	}
	*c = (struct css_color){(uint8_t)rv, (uint8_t)gv, (uint8_t)bv, 255};
	return true;
}

bool
css_color_in_shorthand(struct slice v, struct css_color *c)
{
	size_t i = 0;

	v = trim(v);
	while (i < v.len) {
		size_t start, depth = 0;

		while (i < v.len && (is_ws((unsigned char)v.p[i]) || v.p[i] == ','))
			i++;
		start = i;
		while (i < v.len &&
		       (depth > 0 || (!is_ws((unsigned char)v.p[i]) && v.p[i] != ','))) {
			if (v.p[i] == '(')
				depth++;
			else if (v.p[i] == ')' && depth > 0)
				depth--;
			i++;
		}
		struct slice tok = {v.p + start, i - start};

		if (tok.len == 0)
			break;
		/* Skip url(...) and gradients: the fallback colour is what shows
		 * when images are blocked, which is how most mail is first read. */
		if (starts_with(tok, "url(") || memmem(tok.p, tok.len, "gradient(", 9) != NULL)
			continue;
		if (tok.p[0] == '#' || sl_eq_cstr(tok, "transparent") || starts_with(tok, "rgb") ||
		    starts_with(tok, "hsl") || starts_with(tok, "hwb(") ||
		    starts_with(tok, "lab(") || starts_with(tok, "lch(") ||
		    starts_with(tok, "oklab(") || starts_with(tok, "oklch(") ||
		    starts_with(tok, "color(") || named_lookup(tok, c)) {
			if (css_color_parse(tok, c))
				return true;
		}
	}
	return false;
}

uint32_t
css_color_dist2(struct css_color a, struct css_color b)
{
	int32_t rm = ((int32_t)a.r + b.r) / 2;
	int32_t dr = (int32_t)a.r - b.r, dg = (int32_t)a.g - b.g, db = (int32_t)a.b - b.b;

	return (uint32_t)((((512 + rm) * dr * dr) >> 8) + 4 * dg * dg +
	                  (((767 - rm) * db * db) >> 8)) /
	       3;
}

struct css_color
css_blend(struct css_color fg, struct css_color bg)
{
	uint32_t a = fg.a;

	return (struct css_color){(uint8_t)((fg.r * a + bg.r * (255 - a) + 127) / 255),
	                          (uint8_t)((fg.g * a + bg.g * (255 - a) + 127) / 255),
	                          (uint8_t)((fg.b * a + bg.b * (255 - a) + 127) / 255), 255};
}

/* ---- stylesheets -------------------------------------------------------- */

enum comb {
	COMB_NONE, /* leftmost, or right of a sibling combinator: stop there */
	COMB_DESC,
	COMB_CHILD,
};

#define CSS_SEL_CLASSES 4

struct compound {
	uint32_t tag_off, tag_len; /* tag_len 0: any */
	uint32_t id_off, id_len;
	uint32_t cls_off[CSS_SEL_CLASSES], cls_len[CSS_SEL_CLASSES];
	uint8_t ncls;
	uint8_t comb; /* combinator linking this compound to the one on its left */
};

struct rule {
	struct compound c[LIM_CSS_COMPOUNDS];
	uint8_t n;
	uint32_t spec;
	uint32_t order;
	uint32_t decl_first, decl_n;
	int32_t next; /* bucket chain */
};

struct sdecl {
	uint8_t prop;
	bool important;
	uint32_t off, len;
};

#define CSS_BUCKETS 512
#define LIM_CSS_SDECLS ((size_t)8 * LIM_CSS_RULES)

struct css_sheet {
	struct buf text;
	struct rule *rules; /* grown on demand up to LIM_CSS_RULES */
	size_t nrules, rules_cap;
	struct sdecl *decls; /* grown on demand up to LIM_CSS_SDECLS */
	size_t ndecls, decls_cap;
	int32_t bucket[CSS_BUCKETS];
	int32_t any; /* rules whose subject has no tag, id or class */
	uint64_t work;
};

struct css_sheet *
css_sheet_new(void)
{
	struct css_sheet *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	buf_init(&s->text, LIM_CSS_TEXT);
	for (size_t i = 0; i < CSS_BUCKETS; i++)
		s->bucket[i] = -1;
	s->any = -1;
	return s;
}

void
css_sheet_free(struct css_sheet *s)
{
	if (s == NULL)
		return;
	buf_free(&s->text);
	free(s->rules);
	free(s->decls);
	free(s);
}

size_t
css_sheet_rules(const struct css_sheet *s)
{
	return s->nrules;
}

static uint32_t
key_hash(struct slice k)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < k.len; i++) {
		unsigned char ch = (unsigned char)k.p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		h = (h ^ ch) * 16777619u;
	}
	return h % CSS_BUCKETS;
}

static struct slice
tx(const struct css_sheet *s, uint32_t off, uint32_t len)
{
	return (struct slice){s->text.p + off, len};
}

static const char *const dynamic_pseudo[] = {
    "hover",  "active",  "focus",         "focus-within",      "focus-visible", "visited",
    "target", "checked", "indeterminate", "placeholder-shown", "autofill",      "-webkit-autofill",
};

/* Parses one complex selector text[a..b) into r. Returns false when the
 * selector cannot apply to visible text (pseudo-elements, user-action
 * states) or is not understood at all. */
static bool
selector_parse(const struct css_sheet *s, size_t a, size_t b, struct rule *r)
{
	const char *t = s->text.p;
	size_t i = a;
	uint32_t ids = 0, cls = 0, types = 0;
	enum comb pending = COMB_NONE;
	bool have = false;

	memset(r, 0, sizeof(*r));
	while (i < b) {
		unsigned char ch = (unsigned char)t[i];

		if (is_ws(ch)) {
			if (have && pending == COMB_NONE)
				pending = COMB_DESC;
			i++;
			continue;
		}
		if (ch == '>' || ch == '+' || ch == '~') {
			if (!have)
				return false;
			pending = ch == '>' ? COMB_CHILD : COMB_NONE;
			if (ch != '>') {
				/* Sibling: keep only what is right of it. */
				r->n = 0;
				have = false;
			}
			i++;
			continue;
		}
		/* Start of a compound. */
		if (have) {
			if (r->n >= LIM_CSS_COMPOUNDS) {
				/* Forget the leftmost compound: matching fewer
				 * ancestors can only over-apply the rule. */
				memmove(&r->c[0], &r->c[1], (r->n - 1) * sizeof(r->c[0]));
				r->c[0].comb = COMB_NONE;
				r->n--;
			}
			r->c[r->n].comb = (uint8_t)pending;
		} else {
			r->c[r->n].comb = COMB_NONE;
		}
		struct compound *c = &r->c[r->n];
		uint8_t comb = c->comb;

		memset(c, 0, sizeof(*c)); /* the slot may hold a shifted-out compound */
		c->comb = comb;
		pending = COMB_NONE;
		while (i < b && !is_ws((unsigned char)t[i]) && t[i] != '>' && t[i] != '+' &&
		       t[i] != '~') {
			size_t st;

			ch = (unsigned char)t[i];
			if (ch == '*') {
				i++;
			} else if (is_ident(ch)) {
				st = i;
				while (i < b && is_ident((unsigned char)t[i]))
					i++;
				c->tag_off = (uint32_t)st;
				c->tag_len = (uint32_t)(i - st);
				types++;
			} else if (ch == '#' || ch == '.') {
				st = ++i;
				while (i < b && is_ident((unsigned char)t[i]))
					i++;
				if (i == st)
					return false;
				if (ch == '#') {
					c->id_off = (uint32_t)st;
					c->id_len = (uint32_t)(i - st);
					ids++;
				} else {
					if (c->ncls < CSS_SEL_CLASSES) {
						c->cls_off[c->ncls] = (uint32_t)st;
						c->cls_len[c->ncls] = (uint32_t)(i - st);
						c->ncls++;
					}
					cls++;
				}
			} else if (ch == '[') {
				/* Attribute selectors: assumed to match (over-applies). */
				const char *e = memchr(t + i, ']', b - i);

				if (e == NULL)
					return false;
				i = (size_t)(e - t) + 1;
				cls++;
			} else if (ch == ':') {
				bool elem = i + 1 < b && t[i + 1] == ':';

				i += elem ? 2 : 1;
				st = i;
				while (i < b && is_ident((unsigned char)t[i]))
					i++;
				struct slice name = {t + st, i - st};

				if (elem || sl_eq_cstr(name, "before") ||
				    sl_eq_cstr(name, "after") || sl_eq_cstr(name, "first-line") ||
				    sl_eq_cstr(name, "first-letter"))
					return false;
				for (size_t k = 0;
				     k < sizeof(dynamic_pseudo) / sizeof(dynamic_pseudo[0]); k++)
					if (sl_eq_cstr(name, dynamic_pseudo[k]))
						return false;
				if (i < b && t[i] == '(') {
					/* :not() :nth-child() ...: assumed to match. */
					int depth = 0;

					for (; i < b; i++) {
						if (t[i] == '(')
							depth++;
						else if (t[i] == ')' && --depth == 0)
							break;
					}
					if (i >= b)
						return false;
					i++;
				}
				cls++;
			} else {
				return false;
			}
		}
		r->n++;
		have = true;
	}
	if (r->n == 0)
		return false;
	r->spec = (ids > 255 ? 255 : ids) << 16 | (cls > 255 ? 255 : cls) << 8 |
	          (types > 255 ? 255 : types);
	return true;
}

static void
rule_index(struct css_sheet *s, size_t ri)
{
	struct rule *r = &s->rules[ri];
	const struct compound *c = &r->c[r->n - 1];
	int32_t *head;

	if (c->id_len > 0)
		head = &s->bucket[key_hash(tx(s, c->id_off, c->id_len))];
	else if (c->ncls > 0)
		head = &s->bucket[key_hash(tx(s, c->cls_off[0], c->cls_len[0]))];
	else if (c->tag_len > 0)
		head = &s->bucket[key_hash(tx(s, c->tag_off, c->tag_len))];
	else
		head = &s->any;
	r->next = *head;
	*head = (int32_t)ri;
}

/* Makes *arr hold at least need elements (need <= max), doubling. */
static bool
grow(void **arr, size_t *cap, size_t need, size_t elem, size_t max)
{
	size_t ncap = *cap > 0 ? *cap : 16;
	void *p;

	if (need <= *cap)
		return true;
	while (ncap < need)
		ncap *= 2;
	if (ncap > max)
		ncap = max;
	p = realloc(*arr, ncap * elem); /* ncap * elem: both small, bounded by max */
	if (p == NULL)
		return false;
	*arr = p;
	*cap = ncap;
	return true;
}

/* Adds "selectors { decls }" where both ranges index s->text. */
static enum ig_err
rule_add(struct css_sheet *s, size_t sa, size_t sb, size_t da, size_t db)
{
	struct decl_out o[LIM_CSS_DECLS];
	struct slice block = {s->text.p + da, db - da};
	size_t first = s->ndecls, i = sa, pos = 0, n = 0;

	while (pos < block.len) {
		size_t got = decls_parse(block, &pos, o, LIM_CSS_DECLS);

		if (s->ndecls + got > LIM_CSS_SDECLS)
			return IG_ELIMIT;
		if (!grow((void **)&s->decls, &s->decls_cap, s->ndecls + got, sizeof(*s->decls),
		          LIM_CSS_SDECLS))
			return IG_ENOMEM;
		for (size_t k = 0; k < got; k++)
			s->decls[s->ndecls++] = (struct sdecl){(uint8_t)o[k].prop, o[k].important,
			                                       (uint32_t)(o[k].val.p - s->text.p),
			                                       (uint32_t)o[k].val.len};
		n += got;
	}
	if (n == 0)
		return IG_OK;
	while (i < sb) {
		size_t e = i;
		int depth = 0;

		for (; e < sb; e++) {
			if (s->text.p[e] == '(')
				depth++;
			else if (s->text.p[e] == ')' && depth > 0)
				depth--;
			else if (s->text.p[e] == ',' && depth == 0)
				break;
		}
		if (s->nrules >= LIM_CSS_RULES)
			return IG_ELIMIT;
		if (!grow((void **)&s->rules, &s->rules_cap, s->nrules + 1, sizeof(*s->rules),
		          LIM_CSS_RULES))
			return IG_ENOMEM;
		struct rule *r = &s->rules[s->nrules];

		if (selector_parse(s, i, e, r)) {
			r->order = (uint32_t)s->nrules + 1;
			r->decl_first = (uint32_t)first;
			r->decl_n = (uint32_t)n;
			rule_index(s, s->nrules);
			s->nrules++;
		}
		i = e + 1;
	}
	return IG_OK;
}

/* Does an @media prelude apply to a screen of unknown size? Only plain
 * media-type lists are taken (screen, all): feature queries describe some
 * device, and taking them all would apply mobile and desktop layouts at once. */
static bool
media_applies(struct slice q)
{
	q = trim(q);
	if (q.len == 0)
		return true;
	if (memchr(q.p, '(', q.len) != NULL)
		return false;
	return memmem(q.p, q.len, "screen", 6) != NULL || memmem(q.p, q.len, "all", 3) != NULL;
}

/* Skips a balanced {...} block starting at or after i; returns the index
 * after its closing brace (or len). */
static size_t
skip_block(const char *t, size_t i, size_t len)
{
	int depth = 0;

	for (; i < len; i++) {
		if (t[i] == '{') {
			depth++;
		} else if (t[i] == '}') {
			if (--depth <= 0)
				return i + 1;
		}
	}
	return len;
}

enum ig_err
css_sheet_add(struct css_sheet *s, struct slice css)
{
	size_t base = s->text.len, i, len;
	int nest = 0; /* open @media/@supports blocks we descended into */
	const char *t;

	css_normalize(css, &s->text);
	if (buf_err(&s->text) != IG_OK)
		return IG_ELIMIT;
	/* Terminate the block so that text appended later cannot join it. */
	buf_putc(&s->text, '\n');
	if (buf_err(&s->text) != IG_OK)
		return IG_ELIMIT;
	t = s->text.p;
	len = s->text.len;
	i = base;
	while (i < len) {
		unsigned char ch = (unsigned char)t[i];

		if (is_ws(ch) || ch == ';') {
			i++;
			continue;
		}
		if (len - i >= 4 && memcmp(t + i, "<!--", 4) == 0) {
			i += 4;
			continue;
		}
		if (len - i >= 3 && memcmp(t + i, "-->", 3) == 0) {
			i += 3;
			continue;
		}
		if (ch == '}') {
			if (nest > 0)
				nest--;
			i++;
			continue;
		}
		if (ch == '@') {
			size_t st = ++i, pe;

			while (i < len && is_ident((unsigned char)t[i]))
				i++;
			struct slice kw = {t + st, i - st};

			pe = i;
			while (pe < len && t[pe] != '{' && t[pe] != ';')
				pe++;
			if (pe >= len)
				break;
			if (t[pe] == ';') {
				i = pe + 1;
				continue;
			}
			if ((sl_eq_cstr(kw, "media") &&
			     media_applies((struct slice){t + i, pe - i})) ||
			    sl_eq_cstr(kw, "supports")) {
				nest++;
				i = pe + 1;
				continue;
			}
			i = skip_block(t, pe, len);
			continue;
		}
		/* A qualified rule: prelude up to '{', block up to its '}'. */
		size_t pa = i, pe = i, be;

		while (pe < len && t[pe] != '{' && t[pe] != '}')
			pe++;
		if (pe >= len)
			break;
		if (t[pe] == '}') {
			i = pe; /* stray prelude before a closing brace: drop it */
			continue;
		}
		be = skip_block(t, pe, len);
		size_t de = be > pe + 1 && t[be - 1] == '}' ? be - 1 : be;
		enum ig_err err = rule_add(s, pa, pe, pe + 1, de);

		if (err != IG_OK)
			return err;
		i = be;
	}
	return IG_OK;
}

/* ---- matching ----------------------------------------------------------- */

static bool
class_has(struct slice list, struct slice want)
{
	size_t i = 0;

	while (i < list.len) {
		size_t st;

		while (i < list.len && is_ws((unsigned char)list.p[i]))
			i++;
		st = i;
		while (i < list.len && !is_ws((unsigned char)list.p[i]))
			i++;
		if (i > st && eq_nocase((struct slice){list.p + st, i - st}, want))
			return true;
	}
	return false;
}

static bool
compound_match(const struct css_sheet *s, const struct compound *c, const struct css_elem *e)
{
	if (c->tag_len > 0 && !eq_nocase(tx(s, c->tag_off, c->tag_len), e->tag))
		return false;
	if (c->id_len > 0 && !eq_nocase(tx(s, c->id_off, c->id_len), e->id))
		return false;
	for (size_t k = 0; k < c->ncls; k++)
		if (!class_has(e->cls, tx(s, c->cls_off[k], c->cls_len[k])))
			return false;
	return true;
}

/* Right-to-left match with backtracking over descendant combinators, as a
 * loop over an array of matched positions. Each step costs one unit of the
 * per-message work budget. */
static bool
rule_match(struct css_sheet *s, const struct rule *r, const struct css_elem *e, bool *budget)
{
	const struct css_elem *pos[LIM_CSS_COMPOUNDS];
	const struct css_elem *from[LIM_CSS_COMPOUNDS];
	int i;

	if (!compound_match(s, &r->c[r->n - 1], e))
		return false;
	pos[r->n - 1] = e;
	i = (int)r->n - 2;
	if (i >= 0)
		from[i] = e->parent;
	while (i >= 0) {
		uint8_t comb = r->c[i + 1].comb;
		const struct css_elem *cand;
		bool found = false;

		if (comb == COMB_NONE)
			return true;
		for (cand = from[i]; cand != NULL; cand = cand->parent) {
			if (++s->work > LIM_CSS_MATCH_WORK) {
				*budget = false;
				return false;
			}
			if (compound_match(s, &r->c[i], cand)) {
				found = true;
				break;
			}
			if (comb == COMB_CHILD)
				break;
		}
		if (found) {
			pos[i] = cand;
			if (i > 0)
				from[i - 1] = cand->parent;
			i--;
			continue;
		}
		/* Backtrack: retry the nearest descendant step further up. */
		for (;;) {
			i++;
			if (i >= (int)r->n - 1)
				return false;
			if (r->c[i + 1].comb == COMB_DESC && pos[i]->parent != NULL) {
				from[i] = pos[i]->parent;
				break;
			}
		}
	}
	return true;
}

static void
rule_apply(const struct css_sheet *s, const struct rule *r, struct css_decls *d)
{
	for (uint32_t k = 0; k < r->decl_n; k++) {
		const struct sdecl *x = &s->decls[r->decl_first + k];
		uint64_t prio = (uint64_t)r->spec << CSS_PRIO_SPEC_SHIFT | r->order;

		if (x->important)
			prio |= CSS_PRIO_IMPORTANT;
		css_slot_set(d, (enum css_prop)x->prop, tx(s, x->off, x->len), prio);
	}
}

static bool
chain_match(struct css_sheet *s, int32_t ri, const struct css_elem *e, struct css_decls *d)
{
	bool budget = true;

	for (; ri >= 0; ri = s->rules[ri].next) {
		if (++s->work > LIM_CSS_MATCH_WORK)
			return false;
		if (rule_match(s, &s->rules[ri], e, &budget))
			rule_apply(s, &s->rules[ri], d);
		if (!budget)
			return false;
	}
	return true;
}

bool
css_sheet_match(struct css_sheet *s, const struct css_elem *e, struct css_decls *d)
{
	uint32_t seen[2 + LIM_CSS_CLASSES];
	size_t nseen = 0, i = 0, ncls = 0;

	if (s->nrules == 0)
		return true;
	if (!chain_match(s, s->any, e, d))
		return false;
	/* Each bucket once, even when tag, id and classes hash alike. */
	seen[nseen++] = key_hash(e->tag);
	if (e->id.len > 0)
		seen[nseen++] = key_hash(e->id);
	while (i < e->cls.len) {
		size_t st;

		while (i < e->cls.len && is_ws((unsigned char)e->cls.p[i]))
			i++;
		st = i;
		while (i < e->cls.len && !is_ws((unsigned char)e->cls.p[i]))
			i++;
		if (i > st) {
			if (ncls == LIM_CSS_CLASSES) {
				/* More classes than the key array holds: try every
				 * rule rather than miss one (the budget bounds it). */
				for (size_t b = 0; b < CSS_BUCKETS; b++)
					if (!chain_match(s, s->bucket[b], e, d))
						return false;
				return true;
			}
			seen[nseen++] = key_hash((struct slice){e->cls.p + st, i - st});
			ncls++;
		}
	}
	for (size_t k = 0; k < nseen; k++) {
		bool dup = false;

		for (size_t j = 0; j < k; j++)
			dup = dup || seen[j] == seen[k];
		if (!dup && !chain_match(s, s->bucket[seen[k]], e, d))
			return false;
	}
	return true;
}
