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
 * recursion (nested at-rule blocks are tracked with a counter).
 *
 * This file holds the normalization of style text and the declarations
 * (style="" and blocks). Beside it: css_value.c (numbers, lengths, calc()),
 * css_color.c (colours), css_sheet.c (stylesheets and their rule index),
 * css_select.c (selector parsing and matching, the cascade), css_media.c
 * (@media preludes). */
#include "content/css.h"

#include <string.h>

#include "base/utf8.h"
#include "content/css_int.h"

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
    {"float", CP_FLOAT},
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
    {"text-align", CP_TEXT_ALIGN},
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

/* Parses relevant declarations from s starting at *pos into out (at most
 * max) and advances *pos; call again until *pos == s.len, so no declaration
 * is ever skipped (a dropped "display:none" would un-hide text). */
size_t
css_decls_parse(struct slice s, size_t *pos, struct decl_out *out, size_t max)
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
		size_t n = css_decls_parse(decls, &pos, o, LIM_CSS_DECLS);

		for (size_t i = 0; i < n; i++)
			css_slot_set(d, (enum css_prop)o[i].prop, o[i].val,
			             prio | (o[i].important ? CSS_PRIO_IMPORTANT : 0));
	}
}
