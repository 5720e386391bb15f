/* Selectors: parsing selector lists into a sheet's selector arrays, and
 * matching elements of a gumbo tree against a sheet's rules with the
 * cascade order of CSS 2.1 §6.4 applied to the declarations that match.
 *
 * Standards: Selectors Level 4 (type and universal selectors with the "*|"
 * and "|" namespace forms, #id, .class, attribute selectors with every
 * operator and the i flag (s is invalid, as in Chromium and WebKit), :is() :where() :not() :has(),
 * the structural pseudo-classes incl. :nth-child(An+B of S), :root :empty :link :any-link :lang()
 * :dir() :defined :read-only :read-write :enabled :disabled :open, the four combinators,
 * specificity); CSS Syntax 3 (identifiers, strings and escapes; §8.2 An+B); WHATWG HTML §4.16
 * (pseudo-classes of a document that is not interacted with; which
 * attribute values match case-insensitively; quirks-mode class and id
 * matching).
 *
 * A static rendering has no pointer, focus, history or form state, so the
 * user-action and form-state pseudo-classes match nothing. A selector we
 * cannot parse makes the whole rule invalid: it matches nothing, as in a
 * browser, and is counted (css_sheet_unsupported). Pseudo-elements: a
 * selector whose subject is ::before, ::after, ::marker and the like styles
 * generated content only and is ignored; ::first-line and ::first-letter
 * style part of the element's own text, which we do not model: ignored and
 * counted. Matching is recursive, bounded by LIM_CSS_COMPOUNDS per level
 * and LIM_CSS_SEL_NEST levels, and every step costs one unit of the
 * per-message budget LIM_CSS_MATCH_WORK. */
#include "content/css.h"

#include <gumbo.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"
#include "content/css_int.h"

enum pseudo {
	PS_NEVER,
	PS_FIRST_CHILD,
	PS_LAST_CHILD,
	PS_ONLY_CHILD,
	PS_FIRST_OF_TYPE,
	PS_LAST_OF_TYPE,
	PS_ONLY_OF_TYPE,
	PS_ROOT,
	PS_EMPTY,
	PS_LINK,
	PS_DEFINED,
	PS_READ_ONLY,
	PS_READ_WRITE,
	PS_ENABLED,
	PS_DISABLED,
	PS_OPEN,
	PS_VALID,
	PS_LANG,
	PS_DIR,
};

enum nth_kind { NTH_CHILD, NTH_LAST_CHILD, NTH_OF_TYPE, NTH_LAST_OF_TYPE };

enum attr_op { AO_EXISTS, AO_EQ, AO_WORD, AO_DASH, AO_PREFIX, AO_SUFFIX, AO_SUBSTR };

struct pseudo_name {
	const char *name;
	enum pseudo ps;
};

/* Pseudo-classes without arguments. The PS_NEVER ones describe user action,
 * history, focus or form state, which a static rendering does not have. */
static const struct pseudo_name pseudo_names[] = {
    {"first-child", PS_FIRST_CHILD},
    {"last-child", PS_LAST_CHILD},
    {"only-child", PS_ONLY_CHILD},
    {"first-of-type", PS_FIRST_OF_TYPE},
    {"last-of-type", PS_LAST_OF_TYPE},
    {"only-of-type", PS_ONLY_OF_TYPE},
    {"root", PS_ROOT},
    {"scope", PS_ROOT}, /* outside a scoping rule, :scope is :root */
    {"empty", PS_EMPTY},
    {"link", PS_LINK},
    {"any-link", PS_LINK},
    {"-webkit-any-link", PS_LINK},
    {"defined", PS_DEFINED},
    {"read-only", PS_READ_ONLY},
    {"read-write", PS_READ_WRITE},
    {"enabled", PS_ENABLED},
    {"disabled", PS_DISABLED},
    {"open", PS_OPEN},
    {"valid", PS_VALID},
    {"hover", PS_NEVER},
    {"active", PS_NEVER},
    {"focus", PS_NEVER},
    {"focus-within", PS_NEVER},
    {"focus-visible", PS_NEVER},
    {"visited", PS_NEVER},
    {"target", PS_NEVER},
    {"target-within", PS_NEVER},
    {"checked", PS_NEVER},
    {"indeterminate", PS_NEVER},
    {"default", PS_NEVER},
    {"invalid", PS_NEVER},
    {"user-valid", PS_NEVER},
    {"user-invalid", PS_NEVER},
    {"in-range", PS_NEVER},
    {"out-of-range", PS_NEVER},
    {"required", PS_NEVER},
    {"optional", PS_NEVER},
    {"placeholder-shown", PS_NEVER},
    {"autofill", PS_NEVER},
    {"-webkit-autofill", PS_NEVER},
    {"fullscreen", PS_NEVER},
    {"modal", PS_NEVER},
    {"popover-open", PS_NEVER},
    {"picture-in-picture", PS_NEVER},
    {"playing", PS_NEVER},
    {"paused", PS_NEVER},
    {"current", PS_NEVER},
    {"past", PS_NEVER},
    {"future", PS_NEVER},
    {"host", PS_NEVER},
};

/* Pseudo-elements that only style generated or UA content: a selector whose
 * subject is one of them does not change how the element's text shows. */
static const char *const pe_ignored[] = {
    "before",
    "after",
    "marker",
    "placeholder",
    "selection",
    "backdrop",
    "cue",
    "target-text",
    "file-selector-button",
    "spelling-error",
    "grammar-error",
    "highlight",
    "part",
    "slotted",
    "view-transition",
};

/* HTML attributes whose values selectors match ASCII case-insensitively on
 * HTML elements (WHATWG HTML §4.16.2, "case-sensitivity of selectors"). */
static const char *const attr_nocase[] = {
    "accept",     "accept-charset", "align",     "alink",    "axis",     "bgcolor", "charset",
    "checked",    "clear",          "codetype",  "color",    "compact",  "declare", "defer",
    "dir",        "direction",      "disabled",  "enctype",  "face",     "frame",   "hreflang",
    "http-equiv", "lang",           "language",  "link",     "media",    "method",  "multiple",
    "nohref",     "noresize",       "noshade",   "nowrap",   "readonly", "rel",     "rev",
    "rules",      "scope",          "scrolling", "selected", "shape",    "target",  "text",
    "type",       "valign",         "valuetype", "vlink",
};

/* ---- specificity --------------------------------------------------------- */

#define SPEC_A (1u << 16)
#define SPEC_B (1u << 8)
#define SPEC_C 1u

static uint32_t
spec_add(uint32_t x, uint32_t y)
{
	uint32_t r = 0;

	for (int sh = 0; sh <= 16; sh += 8) {
		uint32_t v = ((x >> sh) & 255u) + ((y >> sh) & 255u);

		r |= (v > 255 ? 255u : v) << sh;
	}
	return r;
}

/* ---- the parser -------------------------------------------------------- */

struct sp {
	struct css_sheet *s;
	struct slice t;
	size_t i;
	enum ig_err err;
	bool pe_seen;      /* the compound being parsed has a pseudo-element */
	enum sel_parse pe; /* SEL_IGNORE or SEL_UNMODELLED for that pseudo-element */
	bool over;         /* a LIM_CSS_* cap was hit: not forgiven by :is() */
	bool in_has;       /* inside the argument of :has(), which cannot nest */
};

static bool
at(const struct sp *p, char c)
{
	return p->i < p->t.len && p->t.p[p->i] == c;
}

static bool
at_comment(const struct sp *p)
{
	return p->i + 1 < p->t.len && p->t.p[p->i] == '/' && p->t.p[p->i + 1] == '*';
}

static void
skip_comment(struct sp *p)
{
	const char *e = NULL;

	if (p->i + 2 < p->t.len)
		e = memmem(p->t.p + p->i + 2, p->t.len - p->i - 2, "*/", 2);
	p->i = e != NULL ? (size_t)(e - p->t.p) + 2 : p->t.len;
}

/* Skips white space and comments; true when there was white space. */
static bool
skip_ws(struct sp *p)
{
	bool ws = false;

	while (p->i < p->t.len) {
		if (is_ws((unsigned char)p->t.p[p->i])) {
			ws = true;
			p->i++;
		} else if (at_comment(p)) {
			skip_comment(p);
		} else {
			break;
		}
	}
	return ws;
}

static bool
valid_escape(const struct sp *p, size_t i)
{
	return i + 1 < p->t.len && p->t.p[i] == '\\' && p->t.p[i + 1] != '\n' &&
	       p->t.p[i + 1] != '\r' && p->t.p[i + 1] != '\f';
}

static bool
name_start(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80 || c == 0;
}

static bool
name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* CSS Syntax 3 §4.3.9: would an identifier start at i? */
static bool
ident_starts(const struct sp *p, size_t i)
{
	if (i >= p->t.len)
		return false;
	if (p->t.p[i] == '-') {
		if (i + 1 >= p->t.len)
			return false;
		if (i + 2 < p->t.len && p->t.p[i + 1] == '-' && p->t.p[i + 2] == '>')
			return false; /* "-->" is a CDC token, never an identifier */
		return name_start((unsigned char)p->t.p[i + 1]) || p->t.p[i + 1] == '-' ||
		       valid_escape(p, i + 1);
	}
	return name_start((unsigned char)p->t.p[i]) || valid_escape(p, i);
}

static void
put_cp(struct buf *b, uint32_t cp)
{
	char u[4];

	if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = 0xFFFD;
	buf_append(b, u, u8_encode(cp, u));
}

/* Consumes an escape at p->i ('\\' already checked valid) into the text. */
static void
take_escape(struct sp *p)
{
	struct buf *b = &p->s->text;
	uint32_t cp = 0;
	size_t n = 0;

	p->i++;
	if (p->i >= p->t.len) {
		put_cp(b, 0xFFFD);
		return;
	}
	if (!is_hex((unsigned char)p->t.p[p->i])) {
		unsigned char c = (unsigned char)p->t.p[p->i++];

		if (c == 0)
			put_cp(b, 0xFFFD);
		else
			buf_putc(b, (char)c); /* a UTF-8 sequence's lead byte: the rest follows */
		return;
	}
	while (p->i < p->t.len && n < 6 && is_hex((unsigned char)p->t.p[p->i])) {
		cp = cp * 16 + hex_val((unsigned char)p->t.p[p->i++]);
		n++;
	}
	if (p->i < p->t.len && is_ws((unsigned char)p->t.p[p->i])) {
		if (p->t.p[p->i] == '\r' && p->i + 1 < p->t.len && p->t.p[p->i + 1] == '\n')
			p->i++;
		p->i++;
	}
	put_cp(b, cp);
}

/* Reads an identifier (or, name_only, the rest of a hash token) decoded
 * into the sheet text. False when none starts at p->i. */
static bool
read_name(struct sp *p, bool name_only, uint32_t *off, uint32_t *len)
{
	struct buf *b = &p->s->text;
	size_t st = b->len;

	if (!name_only && !ident_starts(p, p->i))
		return false;
	while (p->i < p->t.len) {
		unsigned char c = (unsigned char)p->t.p[p->i];

		if (c == '\\' && valid_escape(p, p->i)) {
			take_escape(p);
		} else if (c == 0) {
			put_cp(b, 0xFFFD);
			p->i++;
		} else if (name_char(c)) {
			buf_putc(b, (char)c);
			p->i++;
		} else {
			break;
		}
	}
	if (b->len == st)
		return false;
	*off = (uint32_t)st;
	*len = (uint32_t)(b->len - st);
	return true;
}

/* A quoted string at p->i into the sheet text; false on a newline inside. */
static bool
read_string(struct sp *p, uint32_t *off, uint32_t *len)
{
	struct buf *b = &p->s->text;
	char q = p->t.p[p->i++];
	size_t st = b->len;

	while (p->i < p->t.len && p->t.p[p->i] != q) {
		unsigned char c = (unsigned char)p->t.p[p->i];

		if (c == '\n' || c == '\r' || c == '\f')
			return false;
		if (c == '\\') {
			if (p->i + 1 < p->t.len &&
			    (p->t.p[p->i + 1] == '\n' || p->t.p[p->i + 1] == '\r' ||
			     p->t.p[p->i + 1] == '\f')) {
				p->i += 2; /* a continuation: nothing */
				if (p->t.p[p->i - 1] == '\r' && at(p, '\n'))
					p->i++;
				continue;
			}
			take_escape(p);
			continue;
		}
		if (c == 0)
			put_cp(b, 0xFFFD);
		else
			buf_putc(b, (char)c);
		p->i++;
	}
	if (p->i < p->t.len)
		p->i++; /* closing quote; at the end the string ends there too */
	*off = (uint32_t)st;
	*len = (uint32_t)(b->len - st);
	return true;
}

/* Steps over a quoted string at p->i without keeping its text (the sheet
 * text read_string appended is dropped again); false as read_string. */
static bool
skip_string(struct sp *p)
{
	uint32_t o, l;

	if (!read_string(p, &o, &l))
		return false;
	p->s->text.len = o;
	return true;
}

static bool
name_is(const struct css_sheet *s, uint32_t off, uint32_t len, const char *want)
{
	return eq_nocase(tx(s, off, len), sl_from_cstr(want));
}

/* Appends n items of size elem to *arr (growing up to max); the index of
 * the first through *at_r. */
static bool
arr_push(struct sp *p, void **arr, size_t *nitems, size_t *cap, size_t max, const void *items,
         size_t n, size_t elem, uint32_t *at_r)
{
	if (*nitems + n > max) {
		p->err = IG_ELIMIT;
		return false;
	}
	if (*nitems + n > *cap) {
		size_t ncap = *cap > 0 ? *cap : 64;
		void *q;

		while (ncap < *nitems + n)
			ncap *= 2;
		if (ncap > max)
			ncap = max;
		q = realloc(*arr, ncap * elem); /* bounded by max: no overflow */
		if (q == NULL) {
			p->err = IG_ENOMEM;
			return false;
		}
		*arr = q;
		*cap = ncap;
	}
	if (n > 0)
		memcpy((char *)*arr + *nitems * elem, items, n * elem);
	*at_r = (uint32_t)*nitems;
	*nitems += n;
	return true;
}

static bool parse_list(struct sp *p, int depth, bool relative, bool forgiving, uint32_t *list,
                       uint32_t *nlist, uint32_t *spec);

/* An+B (CSS Syntax 3 §8.2), white space allowed only where the grammar
 * allows it. */
static bool
parse_anb(struct sp *p, int32_t *a, int32_t *b)
{
	int64_t na = 0, nb = 0;
	int sign = 1;
	bool digits = false, n = false;
	uint32_t off, len;
	size_t save = p->i;

	if (read_name(p, false, &off, &len)) {
		if (name_is(p->s, off, len, "odd")) {
			*a = 2;
			*b = 1;
			p->s->text.len = off;
			return true;
		}
		if (name_is(p->s, off, len, "even")) {
			*a = 2;
			*b = 0;
			p->s->text.len = off;
			return true;
		}
		p->s->text.len = off;
		p->i = save; /* n, -n, n-1 ...: read below */
	}
	if (at(p, '+') || at(p, '-')) {
		sign = at(p, '-') ? -1 : 1;
		p->i++;
	}
	while (p->i < p->t.len && p->t.p[p->i] >= '0' && p->t.p[p->i] <= '9') {
		if (na < 1000000000)
			na = na * 10 + (p->t.p[p->i] - '0');
		digits = true;
		p->i++;
	}
	if (at(p, 'n') || at(p, 'N')) {
		n = true;
		p->i++;
		if (!digits)
			na = 1;
		na *= sign;
	} else if (!digits) {
		return false;
	} else {
		*a = 0;
		*b = (int32_t)(sign * na);
		return true;
	}
	/* After "An": "-B" may be glued to the n ("n-1"), "+B"/"-B" with or
	 * without white space around the sign, but never digits right after
	 * white space without a sign. */
	skip_ws(p);
	if (at(p, '+') || at(p, '-')) {
		int s2 = at(p, '-') ? -1 : 1;
		bool d2 = false;

		p->i++;
		skip_ws(p);
		while (p->i < p->t.len && p->t.p[p->i] >= '0' && p->t.p[p->i] <= '9') {
			if (nb < 1000000000)
				nb = nb * 10 + (p->t.p[p->i] - '0');
			d2 = true;
			p->i++;
		}
		if (!d2)
			return false;
		nb *= s2;
	} else if (p->i < p->t.len && p->t.p[p->i] >= '0' && p->t.p[p->i] <= '9') {
		return false;
	}
	(void)n;
	*a = (int32_t)na;
	*b = (int32_t)nb;
	return true;
}

static bool
pe_known(const struct css_sheet *s, uint32_t off, uint32_t len, bool *unmodelled)
{
	struct slice nm = tx(s, off, len);

	*unmodelled = false;
	if (name_is(s, off, len, "first-line") || name_is(s, off, len, "first-letter")) {
		*unmodelled = true;
		return true;
	}
	if (nm.len > 8 && eq_nocase((struct slice){nm.p, 8}, sl_from_cstr("-webkit-")))
		return true; /* Chrome keeps unknown -webkit- pseudo-elements valid */
	for (size_t k = 0; k < sizeof(pe_ignored) / sizeof(pe_ignored[0]); k++)
		if (eq_nocase(nm, sl_from_cstr(pe_ignored[k])))
			return true;
	return false;
}

/* Skips the balanced argument of a functional pseudo-element. */
static bool
skip_args(struct sp *p)
{
	int depth = 1;

	while (p->i < p->t.len && depth > 0) {
		char c = p->t.p[p->i];

		if (c == '"' || c == '\'') {
			if (!skip_string(p))
				return false;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		p->i++;
	}
	return depth == 0;
}

/* One pseudo-class or pseudo-element after ':' (p->i past the colon). */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked in parse_list */
parse_pseudo(struct sp *p, int depth, struct ssel *x, uint32_t *spec)
{
	bool elem = at(p, ':'), unm;
	uint32_t off, len;

	if (elem)
		p->i++;
	if (!read_name(p, false, &off, &len))
		return false;
	p->s->text.len = off + len;
	if (!elem &&
	    (name_is(p->s, off, len, "before") || name_is(p->s, off, len, "after") ||
	     name_is(p->s, off, len, "first-line") || name_is(p->s, off, len, "first-letter")))
		elem = true; /* CSS 2 single-colon pseudo-elements */
	if (elem) {
		if (p->pe_seen || depth > 0 || !pe_known(p->s, off, len, &unm))
			return false;
		if (at(p, '(')) {
			p->i++;
			if (!skip_args(p))
				return false;
		}
		p->pe_seen = true;
		p->pe = unm ? SEL_UNMODELLED : SEL_IGNORE;
		x->kind = SS_PSEUDO;
		x->op = PS_NEVER;
		*spec = SPEC_C;
		return true;
	}
	if (p->pe_seen) {
		/* After a pseudo-element only user-action states may follow. */
		if (at(p, '('))
			return false;
		for (size_t k = 0; k < sizeof(pseudo_names) / sizeof(pseudo_names[0]); k++)
			if (name_is(p->s, off, len, pseudo_names[k].name))
				return pseudo_names[k].ps == PS_NEVER &&
				       (x->kind = SS_PSEUDO, x->op = PS_NEVER, *spec = SPEC_B,
				        true);
		return false;
	}
	if (!at(p, '(')) {
		for (size_t k = 0; k < sizeof(pseudo_names) / sizeof(pseudo_names[0]); k++) {
			if (name_is(p->s, off, len, pseudo_names[k].name)) {
				x->kind = SS_PSEUDO;
				x->op = (uint8_t)pseudo_names[k].ps;
				*spec = SPEC_B;
				return true;
			}
		}
		return false;
	}
	p->i++; /* '(' */
	skip_ws(p);
	*spec = SPEC_B;
	if (name_is(p->s, off, len, "is") || name_is(p->s, off, len, "where") ||
	    name_is(p->s, off, len, "-webkit-any") || name_is(p->s, off, len, "not") ||
	    name_is(p->s, off, len, "has")) {
		bool where = name_is(p->s, off, len, "where");
		bool has = name_is(p->s, off, len, "has");
		bool not = name_is(p->s, off, len, "not");

		bool ok;

		if (has && p->in_has)
			return false; /* Selectors 4 §14.1: :has() cannot be nested */
		x->kind = has ? SS_HAS : not ? SS_NOT : SS_IS;
		p->in_has = p->in_has || has;
		ok = parse_list(p, depth + 1, has, !has && !not, &x->list, &x->nlist, spec);
		if (has)
			p->in_has = false;
		if (!ok)
			return false;
		if (where)
			*spec = 0;
		if (x->nlist == 0 && !has && !not ) {
			/* :is() of nothing valid (forgiving): matches nothing */
			x->kind = SS_PSEUDO;
			x->op = PS_NEVER;
		}
	} else if (name_is(p->s, off, len, "nth-child") ||
	           name_is(p->s, off, len, "nth-last-child") ||
	           name_is(p->s, off, len, "nth-of-type") ||
	           name_is(p->s, off, len, "nth-last-of-type")) {
		bool of_ok = name_is(p->s, off, len, "nth-child") ||
		             name_is(p->s, off, len, "nth-last-child");
		uint32_t o2, l2;

		x->kind = SS_NTH;
		x->op = name_is(p->s, off, len, "nth-child")        ? NTH_CHILD
		        : name_is(p->s, off, len, "nth-last-child") ? NTH_LAST_CHILD
		        : name_is(p->s, off, len, "nth-of-type")    ? NTH_OF_TYPE
		                                                    : NTH_LAST_OF_TYPE;
		if (!parse_anb(p, &x->a, &x->b))
			return false;
		if (skip_ws(p) && of_ok && read_name(p, false, &o2, &l2)) {
			bool of = name_is(p->s, o2, l2, "of");
			uint32_t s2 = 0;

			p->s->text.len = o2;
			if (!of || !skip_ws(p))
				return false;
			if (!parse_list(p, depth + 1, false, false, &x->list, &x->nlist, &s2))
				return false;
			*spec = spec_add(SPEC_B, s2);
		}
	} else if (name_is(p->s, off, len, "lang") || name_is(p->s, off, len, "dir")) {
		size_t st = p->s->text.len;
		bool lang = name_is(p->s, off, len, "lang");

		/* Ranges kept as "a,b,c" (decoded, commas cannot be in a tag). */
		for (;;) {
			uint32_t o2, l2;

			if (at(p, '"') || at(p, '\'')) {
				if (!read_string(p, &o2, &l2))
					return false;
			} else if (!read_name(p, false, &o2, &l2)) {
				return false;
			}
			skip_ws(p);
			if (!lang || !at(p, ','))
				break;
			buf_putc(&p->s->text, ',');
			p->i++;
			skip_ws(p);
		}
		x->kind = SS_PSEUDO;
		x->op = lang ? PS_LANG : PS_DIR;
		x->val_off = (uint32_t)st;
		x->val_len = (uint32_t)(p->s->text.len - st);
	} else {
		return false;
	}
	skip_ws(p);
	if (!at(p, ')'))
		return false;
	p->i++;
	return true;
}

/* [ns|name op value flag] with p->i past '['. */
static bool
parse_attr(struct sp *p, struct ssel *x)
{
	uint32_t off, len;

	x->kind = SS_ATTR;
	skip_ws(p);
	if (at(p, '*') && p->i + 1 < p->t.len && p->t.p[p->i + 1] == '|') {
		p->i += 2;
	} else if (at(p, '|')) {
		p->i++;
		x->flags |= SSF_NS_NONE; /* no namespace: the ordinary attributes */
	}
	if (!read_name(p, false, &x->name_off, &x->name_len))
		return false;
	if (at(p, '|') && !(p->i + 1 < p->t.len && p->t.p[p->i + 1] == '='))
		return false; /* a namespace prefix: none is declared */
	skip_ws(p);
	if (at(p, ']')) {
		p->i++;
		x->op = AO_EXISTS;
		return true;
	}
	if (at(p, '=')) {
		x->op = AO_EQ;
		p->i++;
	} else {
		char c = '\0';

		if (p->i + 1 < p->t.len && p->t.p[p->i + 1] == '=')
			c = p->t.p[p->i];

		switch (c) {
		case '~':
			x->op = AO_WORD;
			break;
		case '|':
			x->op = AO_DASH;
			break;
		case '^':
			x->op = AO_PREFIX;
			break;
		case '$':
			x->op = AO_SUFFIX;
			break;
		case '*':
			x->op = AO_SUBSTR;
			break;
		default:
			return false;
		}
		p->i += 2;
	}
	skip_ws(p);
	if (at(p, '"') || at(p, '\'')) {
		if (!read_string(p, &x->val_off, &x->val_len))
			return false;
	} else if (!read_name(p, false, &x->val_off, &x->val_len)) {
		return false;
	}
	skip_ws(p);
	if (read_name(p, false, &off, &len)) {
		/* Only i: the s flag is invalid in Chromium and WebKit. */
		if (!name_is(p->s, off, len, "i"))
			return false;
		x->flags |= SSF_I;
		p->s->text.len = off;
		skip_ws(p);
	}
	if (!at(p, ']'))
		return false;
	p->i++;
	return true;
}

/* One compound selector; false when invalid or empty. */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked in parse_list */
parse_compound(struct sp *p, int depth, struct ccomp *out, uint32_t *spec)
{
	struct ssel loc[LIM_CSS_SIMPLE];
	size_t n = 0;

	*spec = 0;
	p->pe_seen = false;
	while (p->i < p->t.len) {
		struct ssel x;
		uint32_t sp = 0;
		unsigned char c = (unsigned char)p->t.p[p->i];

		memset(&x, 0, sizeof(x));
		if (at_comment(p)) {
			skip_comment(p);
			continue;
		}
		if (n == 0 && (c == '*' || c == '|' || ident_starts(p, p->i))) {
			/* [ns|] type or universal */
			if (c == '*' && p->i + 1 < p->t.len && p->t.p[p->i + 1] == '|') {
				p->i += 2;
			} else if (c == '|') {
				p->i++;
				x.flags |= SSF_NS_NONE;
			} else if (c != '*') {
				size_t save = p->i, tl = p->s->text.len;
				uint32_t o, l;

				if (read_name(p, false, &o, &l) && at(p, '|') &&
				    !(p->i + 1 < p->t.len && p->t.p[p->i + 1] == '='))
					return false; /* a prefix; no @namespace is declared */
				p->i = save;
				p->s->text.len = tl;
			}
			if (at(p, '*')) {
				p->i++;
				x.kind = SS_ANY;
			} else if (read_name(p, false, &x.name_off, &x.name_len)) {
				x.kind = SS_TYPE;
				sp = SPEC_C;
			} else {
				return false;
			}
		} else if (c == '#') {
			p->i++;
			/* An id selector needs an identifier (a hash token of type id). */
			if (!ident_starts(p, p->i) || !read_name(p, true, &x.name_off, &x.name_len))
				return false;
			x.kind = SS_ID;
			sp = SPEC_A;
		} else if (c == '.') {
			p->i++;
			if (!read_name(p, false, &x.name_off, &x.name_len))
				return false;
			x.kind = SS_CLASS;
			sp = SPEC_B;
		} else if (c == '[') {
			p->i++;
			if (!parse_attr(p, &x))
				return false;
			sp = SPEC_B;
		} else if (c == ':') {
			p->i++;
			if (!parse_pseudo(p, depth, &x, &sp))
				return false;
		} else {
			break;
		}
		if (p->pe_seen && x.kind != SS_PSEUDO)
			return false; /* nothing but pseudo-classes after ::x */
		if (n == LIM_CSS_SIMPLE) {
			p->over = true;
			return false;
		}
		loc[n++] = x;
		*spec = spec_add(*spec, sp);
	}
	if (n == 0)
		return false;
	out->n = (uint32_t)n;
	return arr_push(p, (void **)&p->s->ss, &p->s->nss, &p->s->ss_cap, LIM_CSS_SSELS, loc, n,
	                sizeof(loc[0]), &out->first);
}

static int
comb_at(const struct sp *p)
{
	if (at(p, '>'))
		return COMB_CHILD;
	if (at(p, '+'))
		return COMB_NEXT;
	if (at(p, '~'))
		return COMB_SUB;
	return COMB_NONE;
}

/* One complex (relative: may start with a combinator) selector up to ','
 * or ')' or the end. Appends it to cx. */
static enum sel_parse /* NOLINTNEXTLINE(misc-no-recursion): depth checked in parse_list */
parse_complex(struct sp *p, int depth, bool relative, uint32_t *cx_r)
{
	struct ccomp loc[LIM_CSS_COMPOUNDS];
	struct cplx c = {0, 0, 0};
	size_t n = 0;
	int comb = COMB_NONE;
	enum sel_parse res = SEL_OK;

	skip_ws(p);
	if (relative) {
		comb = comb_at(p);
		if (comb != COMB_NONE)
			p->i++;
		else
			comb = COMB_DESC;
		skip_ws(p);
	}
	for (;;) {
		uint32_t sp;
		bool ws;

		if (n == LIM_CSS_COMPOUNDS) {
			p->over = true;
			return SEL_INVALID;
		}
		if (!parse_compound(p, depth, &loc[n], &sp))
			return SEL_INVALID;
		loc[n].comb = (uint8_t)comb;
		n++;
		c.spec = spec_add(c.spec, sp);
		if (p->pe_seen)
			res = p->pe;
		ws = skip_ws(p);
		if (p->i >= p->t.len || at(p, ',') || at(p, ')'))
			break;
		comb = comb_at(p);
		if (comb != COMB_NONE) {
			p->i++;
			skip_ws(p);
		} else if (ws) {
			comb = COMB_DESC;
		} else {
			return SEL_INVALID;
		}
		if (p->pe_seen)
			return SEL_INVALID; /* a pseudo-element ends the selector */
	}
	c.n = (uint32_t)n;
	if (!arr_push(p, (void **)&p->s->cc, &p->s->ncc, &p->s->cc_cap, LIM_CSS_CCOMPS, loc, n,
	              sizeof(loc[0]), &c.first) ||
	    !arr_push(p, (void **)&p->s->cx, &p->s->ncx, &p->s->cx_cap, LIM_CSS_CPLX, &c, 1,
	              sizeof(c), cx_r))
		return SEL_INVALID;
	return res;
}

/* The argument list of :is() :where() :not() :has() :nth-*(of S), up to
 * (not past) ')'. forgiving (:is, :where): invalid members are left out.
 * *spec: the largest specificity of a member. */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth checked on entry */
parse_list(struct sp *p, int depth, bool relative, bool forgiving, uint32_t *list, uint32_t *nlist,
           uint32_t *spec)
{
	uint32_t loc[LIM_CSS_SEL_LIST];
	size_t n = 0;

	*spec = 0;
	if (depth > LIM_CSS_SEL_NEST) {
		p->over = true;
		return false;
	}
	for (;;) {
		uint32_t cx = 0;
		size_t st = p->i;
		enum sel_parse r = parse_complex(p, depth, relative, &cx);

		if (p->err != IG_OK || p->over)
			return false;
		if (r == SEL_OK) {
			if (n == LIM_CSS_SEL_LIST) {
				p->over = true;
				return false;
			}
			loc[n++] = cx;
			if (p->s->cx[cx].spec > *spec)
				*spec = p->s->cx[cx].spec;
		} else if (!forgiving) {
			return false;
		} else {
			/* Forgiving: skip to the next ',' or the closing ')'. */
			int d = 0;

			p->i = st;
			while (p->i < p->t.len) {
				char ch = p->t.p[p->i];

				if (ch == '"' || ch == '\'') {
					if (!skip_string(p))
						return false;
					continue;
				}
				if (ch == '\\' && p->i + 1 < p->t.len) {
					p->i += 2;
					continue;
				}
				if (ch == '(' || ch == '[')
					d++;
				else if ((ch == ')' || ch == ']') && d > 0)
					d--;
				else if ((ch == ')' || ch == ',') && d == 0)
					break;
				p->i++;
			}
		}
		skip_ws(p);
		if (!at(p, ','))
			break;
		p->i++;
	}
	if (!at(p, ')'))
		return false;
	*nlist = (uint32_t)n;
	{
		struct cplx cp[LIM_CSS_SEL_LIST];

		for (size_t k = 0; k < n; k++)
			cp[k] = p->s->cx[loc[k]];
		/* Members are copied so that they lie side by side. */
		*list = 0;
		return n == 0 || arr_push(p, (void **)&p->s->cx, &p->s->ncx, &p->s->cx_cap,
		                          LIM_CSS_CPLX, cp, n, sizeof(cp[0]), list);
	}
}

enum sel_parse
css_selector_parse(struct css_sheet *s, struct slice sel, size_t *pos, uint32_t *cx_r,
                   enum ig_err *err)
{
	struct sp p = {s, sel, *pos, IG_OK, false, SEL_OK, false, false};
	enum sel_parse r = parse_complex(&p, 0, false, cx_r);

	*err = p.err;
	if (p.err != IG_OK)
		return SEL_INVALID;
	if (r != SEL_INVALID) {
		skip_ws(&p);
		if (at(&p, ',')) {
			p.i++;
			skip_ws(&p);
			if (p.i >= p.t.len)
				r = SEL_INVALID; /* "a," */
		} else if (p.i < p.t.len) {
			r = SEL_INVALID; /* a stray ')' */
		}
	}
	*pos = p.i;
	if (r == SEL_OK) {
		/* A compound that can never match (":hover") makes a rule that
		 * can never apply: valid, not kept. */
		const struct cplx *c = &s->cx[*cx_r];

		for (uint32_t k = 0; k < c->n; k++) {
			const struct ccomp *cc = &s->cc[c->first + k];

			for (uint32_t j = 0; j < cc->n; j++)
				if (s->ss[cc->first + j].kind == SS_PSEUDO &&
				    s->ss[cc->first + j].op == PS_NEVER)
					r = SEL_IGNORE;
		}
	}
	return r;
}

void
css_selectors_free(struct css_sheet *s)
{
	free(s->ss);
	free(s->cc);
	free(s->cx);
}

/* ---- the element side (gumbo) ------------------------------------------- */

typedef const GumboNode *node_t;

static bool
is_elem(node_t n)
{
	return n != NULL && (n->type == GUMBO_NODE_ELEMENT || n->type == GUMBO_NODE_TEMPLATE);
}

static bool
is_html(node_t n)
{
	return n->v.element.tag_namespace == GUMBO_NAMESPACE_HTML;
}

static node_t
el_parent(node_t n)
{
	return is_elem(n->parent) ? n->parent : NULL;
}

/* Children in the selector sense: a <template>'s contents are a separate
 * document fragment, not children. */
static const GumboVector *
el_children(node_t n)
{
	return n->type == GUMBO_NODE_ELEMENT ? &n->v.element.children : NULL;
}

static const GumboVector *
siblings(node_t n)
{
	if (n->parent == NULL)
		return NULL;
	if (n->parent->type == GUMBO_NODE_DOCUMENT)
		return &n->parent->v.document.children;
	return el_children(n->parent);
}

static node_t
el_prev(node_t n)
{
	const GumboVector *v = siblings(n);

	if (v == NULL)
		return NULL;
	for (size_t i = n->index_within_parent; i > 0; i--)
		if (is_elem(v->data[i - 1]))
			return v->data[i - 1];
	return NULL;
}

static node_t
el_next(node_t n)
{
	const GumboVector *v = siblings(n);

	if (v == NULL)
		return NULL;
	for (size_t i = n->index_within_parent + 1; i < v->length; i++)
		if (is_elem(v->data[i]))
			return v->data[i];
	return NULL;
}

/* The tag name as written for unknown (custom) elements: a view of the
 * source text, compared ASCII case-insensitively. */
static struct slice
el_tag(node_t n)
{
	GumboStringPiece p;

	if (n->v.element.tag != GUMBO_TAG_UNKNOWN)
		return sl_from_cstr(gumbo_normalized_tagname(n->v.element.tag));
	p = n->v.element.original_tag;
	gumbo_tag_from_original_text(&p);
	return (struct slice){p.data, p.length};
}

static bool
same_type(node_t a, node_t b)
{
	if (a->v.element.tag != b->v.element.tag ||
	    a->v.element.tag_namespace != b->v.element.tag_namespace)
		return false;
	if (a->v.element.tag != GUMBO_TAG_UNKNOWN)
		return true;
	return eq_nocase(el_tag(a), el_tag(b));
}

/* The attribute name (ASCII case-insensitive on HTML elements, whose
 * attribute names the parser lowercased), or NULL. */
static const GumboAttribute *
el_attr(node_t n, struct slice name)
{
	const GumboVector *v = &n->v.element.attributes;

	bool html = is_html(n);

	for (size_t i = 0; i < v->length; i++) {
		const GumboAttribute *a = v->data[i];
		size_t k = 0;

		if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE)
			continue;
		/* a->name is NUL-terminated: compare without measuring it */
		for (; k < name.len && a->name[k] != '\0'; k++) {
			unsigned char x = (unsigned char)a->name[k], y = (unsigned char)name.p[k];

			if (html && x >= 'A' && x <= 'Z')
				x = (unsigned char)(x + 32);
			if (html && y >= 'A' && y <= 'Z')
				y = (unsigned char)(y + 32);
			if (x != y)
				break;
		}
		if (k == name.len && a->name[k] == '\0')
			return a;
	}
	return NULL;
}

static struct slice
el_attr_val(node_t n, const char *name)
{
	const GumboAttribute *a = el_attr(n, sl_from_cstr(name));

	return a != NULL ? sl_from_cstr(a->value) : (struct slice){NULL, 0};
}

static bool
quirks(struct css_sheet *s, node_t n)
{
	if (s->quirks < 0) {
		while (n->parent != NULL)
			n = n->parent;
		s->quirks = n->type == GUMBO_NODE_DOCUMENT &&
		            n->v.document.doc_type_quirks_mode == GUMBO_DOCTYPE_QUIRKS;
	}
	return s->quirks == 1;
}

static bool
eq_case(struct slice a, struct slice b, bool nocase)
{
	return nocase ? eq_nocase(a, b) : sl_eq(a, b);
}

/* Is want one of the white-space separated words of list? */
static bool
word_in(struct slice list, struct slice want, bool nocase)
{
	size_t i = 0;

	if (want.len == 0)
		return false;
	while (i < list.len) {
		size_t st;

		while (i < list.len && is_ws((unsigned char)list.p[i]))
			i++;
		st = i;
		while (i < list.len && !is_ws((unsigned char)list.p[i]))
			i++;
		if (i > st && eq_case((struct slice){list.p + st, i - st}, want, nocase))
			return true;
	}
	return false;
}

static bool
attr_match(const struct css_sheet *s, const struct ssel *x, node_t n)
{
	const GumboAttribute *a = el_attr(n, tx(s, x->name_off, x->name_len));
	struct slice v, w = tx(s, x->val_off, x->val_len);
	bool nocase = (x->flags & SSF_I) != 0;

	if (a == NULL)
		return false;
	if (x->op == AO_EXISTS)
		return true;
	v = sl_from_cstr(a->value);
	if (!nocase && is_html(n)) {
		for (size_t k = 0; k < sizeof(attr_nocase) / sizeof(attr_nocase[0]); k++)
			if (eq_nocase(tx(s, x->name_off, x->name_len),
			              sl_from_cstr(attr_nocase[k])))
				nocase = true;
	}
	switch (x->op) {
	case AO_EQ:
		return eq_case(v, w, nocase);
	case AO_WORD:
		/* "~=": a value with white space can never be a word */
		for (size_t k = 0; k < w.len; k++)
			if (is_ws((unsigned char)w.p[k]))
				return false;
		return word_in(v, w, nocase);
	case AO_DASH:
		return eq_case(v, w, nocase) || (v.len > w.len && v.p[w.len] == '-' &&
		                                 eq_case((struct slice){v.p, w.len}, w, nocase));
	case AO_PREFIX:
		return w.len > 0 && v.len >= w.len &&
		       eq_case((struct slice){v.p, w.len}, w, nocase);
	case AO_SUFFIX:
		return w.len > 0 && v.len >= w.len &&
		       eq_case((struct slice){v.p + v.len - w.len, w.len}, w, nocase);
	case AO_SUBSTR:
		if (w.len == 0 || v.len < w.len)
			return false;
		for (size_t k = 0; k + w.len <= v.len; k++)
			if (eq_case((struct slice){v.p + k, w.len}, w, nocase))
				return true;
		return false;
	default:
		return false;
	}
}

/* The element's language (lang or xml:lang on it or the nearest ancestor)
 * against comma-separated ranges ("en" matches "en" and "en-US"). */
static bool
lang_match(struct css_sheet *s, node_t n, struct slice ranges)
{
	struct slice lang = {NULL, 0};
	size_t i = 0;

	for (node_t a = n; a != NULL; a = el_parent(a)) {
		const GumboVector *v = &a->v.element.attributes;
		bool found = false;

		s->work++;
		for (size_t k = 0; k < v->length && !found; k++) {
			const GumboAttribute *at = v->data[k];

			if (strcmp(at->name, "lang") == 0 ||
			    (at->attr_namespace == GUMBO_ATTR_NAMESPACE_XML &&
			     strcmp(at->name, "lang") == 0)) {
				lang = sl_from_cstr(at->value);
				found = true;
			}
		}
		if (found)
			break;
	}
	if (lang.p == NULL)
		return false;
	while (i <= ranges.len) {
		size_t st = i;
		struct slice r;

		while (i < ranges.len && ranges.p[i] != ',')
			i++;
		r = (struct slice){ranges.p + st, i - st};
		i++;
		if (r.len == 1 && r.p[0] == '*')
			return lang.len > 0;
		if (r.len > 0 && lang.len >= r.len && eq_nocase((struct slice){lang.p, r.len}, r) &&
		    (lang.len == r.len || lang.p[r.len] == '-'))
			return true;
	}
	return false;
}

static bool
dir_match(node_t n, struct slice want)
{
	for (node_t a = n; a != NULL; a = el_parent(a)) {
		struct slice d = el_attr_val(a, "dir");

		if (eq_nocase(d, sl_from_cstr("rtl")) || eq_nocase(d, sl_from_cstr("ltr")))
			return eq_nocase(d, want);
		/* dir=auto depends on the text: taken as ltr */
		if (eq_nocase(d, sl_from_cstr("auto")))
			break;
	}
	return eq_nocase(want, sl_from_cstr("ltr"));
}

static bool
is_form_control(node_t n)
{
	switch (n->v.element.tag) {
	case GUMBO_TAG_BUTTON:
	case GUMBO_TAG_INPUT:
	case GUMBO_TAG_SELECT:
	case GUMBO_TAG_TEXTAREA:
	case GUMBO_TAG_OPTGROUP:
	case GUMBO_TAG_OPTION:
	case GUMBO_TAG_FIELDSET:
		return is_html(n);
	default:
		return false;
	}
}

static bool
read_write(node_t n)
{
	struct slice ce;

	if (!is_html(n))
		return false;
	if (n->v.element.tag == GUMBO_TAG_INPUT || n->v.element.tag == GUMBO_TAG_TEXTAREA)
		return el_attr(n, sl_from_cstr("readonly")) == NULL &&
		       el_attr(n, sl_from_cstr("disabled")) == NULL;
	for (node_t a = n; a != NULL; a = el_parent(a)) {
		const GumboAttribute *at = el_attr(a, sl_from_cstr("contenteditable"));

		if (at == NULL)
			continue;
		ce = sl_from_cstr(at->value);
		return ce.len == 0 || eq_nocase(ce, sl_from_cstr("true")) ||
		       eq_nocase(ce, sl_from_cstr("plaintext-only"));
	}
	return false;
}

static bool
is_empty(node_t n)
{
	const GumboVector *v = el_children(n);

	for (size_t i = 0; v != NULL && i < v->length; i++) {
		const GumboNode *c = v->data[i];

		if (c->type != GUMBO_NODE_COMMENT)
			return false;
	}
	return true;
}

static bool match_cx(struct css_sheet *s, const struct cplx *c, uint32_t k, node_t n, node_t anchor,
                     int depth);

/* Does any member of the list match n? */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
match_list(struct css_sheet *s, uint32_t list, uint32_t nlist, node_t n, node_t anchor, int depth)
{
	for (uint32_t k = 0; k < nlist; k++) {
		const struct cplx *c = &s->cx[list + k];

		if (match_cx(s, c, c->n - 1, n, anchor, depth))
			return true;
		if (s->budget_out)
			return false;
	}
	return false;
}

/* The 1-based position of n among its siblings (from the end when last),
 * counting those of its type, or those matching the list. */
static uint32_t /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
nth_index(struct css_sheet *s, const struct ssel *x, node_t n, int depth)
{
	bool last = x->op == NTH_LAST_CHILD || x->op == NTH_LAST_OF_TYPE;
	bool type = x->op == NTH_OF_TYPE || x->op == NTH_LAST_OF_TYPE;
	uint32_t idx = 1;

	if (!last && !type && x->nlist == 0) {
		/* Siblings are usually asked in order: continue from the last. */
		node_t pv = el_prev(n);

		if (pv != NULL && s->nth_node == pv && s->nth_par == n->parent)
			idx = s->nth_idx + 1;
		else
			for (; pv != NULL && !s->budget_out; pv = el_prev(pv), s->work++)
				idx++;
		s->nth_par = n->parent;
		s->nth_node = n;
		s->nth_idx = idx;
		return idx;
	}
	for (node_t m = last ? el_next(n) : el_prev(n); m != NULL && !s->budget_out;
	     m = last ? el_next(m) : el_prev(m)) {
		if (++s->work > LIM_CSS_MATCH_WORK)
			s->budget_out = true;
		if (type ? same_type(m, n)
		         : x->nlist == 0 || match_list(s, x->list, x->nlist, m, NULL, depth))
			idx++;
	}
	return idx;
}

static bool
anb_match(int32_t a, int32_t b, uint32_t idx)
{
	int64_t d = (int64_t)idx - b;

	if (a == 0)
		return d == 0;
	return d % a == 0 && d / a >= 0;
}

/* :has(): some element related to n as the relative selector says matches
 * it. Descendant/child selectors look in n's subtree, sibling ones at the
 * following siblings (and their subtrees when the selector goes on down). */
static bool /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
has_match(struct css_sheet *s, const struct ssel *x, node_t n, int depth)
{
	for (uint32_t k = 0; k < x->nlist; k++) {
		const struct cplx *c = &s->cx[x->list + k];
		bool down = false, side = false;
		node_t root;

		for (uint32_t j = 0; j < c->n; j++) {
			uint8_t cb = s->cc[c->first + j].comb;

			down = down || cb == COMB_DESC || cb == COMB_CHILD;
			side = side || cb == COMB_NEXT || cb == COMB_SUB;
		}
		/* Candidates: n's descendants, or its following siblings and
		 * (when the selector descends after them) their descendants. */
		if (n == NULL)
			return false;
		root = side ? n->parent : n;
		if (root == NULL)
			continue;
		const GumboNode *m = root;

		for (;;) {
			const GumboVector *ch = m->type == GUMBO_NODE_DOCUMENT
			                            ? &m->v.document.children
			                            : (is_elem(m) ? el_children(m) : NULL);

			if (m != root && is_elem(m)) {
				if (++s->work > LIM_CSS_MATCH_WORK) {
					s->budget_out = true;
					return false;
				}
				if (match_cx(s, c, c->n - 1, m, n, depth))
					return true;
				if (s->budget_out)
					return false;
			}
			/* Next in document order within root; when only siblings
			 * count, do not descend. */
			if (ch != NULL && ch->length > 0 && (m == root || down)) {
				m = ch->data[0];
				continue;
			}
			while (m != root) {
				const GumboVector *sib = m->parent->type == GUMBO_NODE_DOCUMENT
				                             ? &m->parent->v.document.children
				                             : el_children(m->parent);

				if (sib != NULL && m->index_within_parent + 1 < sib->length) {
					m = sib->data[m->index_within_parent + 1];
					break;
				}
				m = m->parent;
			}
			if (m == root)
				break;
		}
	}
	return false;
}

static bool /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
simple_match(struct css_sheet *s, const struct ssel *x, node_t n, int depth)
{
	switch (x->kind) {
	case SS_ANY:
		return !(x->flags & SSF_NS_NONE);
	case SS_TYPE:
		if (x->flags & SSF_NS_NONE)
			return false;
		return eq_nocase(el_tag(n), tx(s, x->name_off, x->name_len));
	case SS_ID: {
		struct slice id = el_attr_val(n, "id");

		return id.len > 0 && eq_case(id, tx(s, x->name_off, x->name_len), quirks(s, n));
	}
	case SS_CLASS:
		return word_in(el_attr_val(n, "class"), tx(s, x->name_off, x->name_len),
		               quirks(s, n));
	case SS_ATTR:
		return attr_match(s, x, n);
	case SS_IS:
		return depth < LIM_CSS_SEL_NEST &&
		       match_list(s, x->list, x->nlist, n, NULL, depth + 1);
	case SS_NOT:
		return depth < LIM_CSS_SEL_NEST &&
		       !match_list(s, x->list, x->nlist, n, NULL, depth + 1) && !s->budget_out;
	case SS_HAS:
		return depth < LIM_CSS_SEL_NEST && has_match(s, x, n, depth + 1);
	case SS_NTH:
		if (x->nlist > 0 && !match_list(s, x->list, x->nlist, n, NULL, depth + 1))
			return false;
		return anb_match(x->a, x->b, nth_index(s, x, n, depth + 1));
	default:
		break;
	}
	switch ((enum pseudo)x->op) {
	case PS_FIRST_CHILD:
		return el_prev(n) == NULL;
	case PS_LAST_CHILD:
		return el_next(n) == NULL;
	case PS_ONLY_CHILD:
		return el_prev(n) == NULL && el_next(n) == NULL;
	case PS_FIRST_OF_TYPE:
	case PS_LAST_OF_TYPE:
	case PS_ONLY_OF_TYPE:
		for (int dir = 0; dir < 2; dir++) {
			if ((dir == 0 && x->op == PS_LAST_OF_TYPE) ||
			    (dir == 1 && x->op == PS_FIRST_OF_TYPE))
				continue;
			for (node_t m = dir == 0 ? el_prev(n) : el_next(n); m != NULL;
			     m = dir == 0 ? el_prev(m) : el_next(m)) {
				s->work++;
				if (same_type(m, n))
					return false;
			}
		}
		return true;
	case PS_ROOT:
		return n->parent != NULL && n->parent->type == GUMBO_NODE_DOCUMENT;
	case PS_EMPTY:
		return is_empty(n);
	case PS_LINK:
		return is_html(n) &&
		       (n->v.element.tag == GUMBO_TAG_A || n->v.element.tag == GUMBO_TAG_AREA) &&
		       el_attr(n, sl_from_cstr("href")) != NULL;
	case PS_DEFINED: {
		struct slice t = el_tag(n);

		/* No script runs: autonomous custom elements stay undefined. */
		return !(is_html(n) && n->v.element.tag == GUMBO_TAG_UNKNOWN &&
		         memchr(t.p, '-', t.len) != NULL);
	}
	case PS_READ_WRITE:
		return read_write(n);
	case PS_READ_ONLY:
		return !read_write(n);
	case PS_ENABLED:
		return is_form_control(n) && el_attr(n, sl_from_cstr("disabled")) == NULL;
	case PS_DISABLED:
		return is_form_control(n) && el_attr(n, sl_from_cstr("disabled")) != NULL;
	case PS_OPEN:
		return is_html(n) &&
		       (n->v.element.tag == GUMBO_TAG_DETAILS ||
		        eq_nocase(el_tag(n), sl_from_cstr("dialog"))) &&
		       el_attr(n, sl_from_cstr("open")) != NULL;
	case PS_VALID:
		/* No constraint is checked: forms and their controls count valid. */
		return is_form_control(n) || (is_html(n) && n->v.element.tag == GUMBO_TAG_FORM);
	case PS_LANG:
		return lang_match(s, n, tx(s, x->val_off, x->val_len));
	case PS_DIR:
		return dir_match(n, tx(s, x->val_off, x->val_len));
	case PS_NEVER:
	default:
		return false;
	}
}

static bool /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
compound_match(struct css_sheet *s, const struct ccomp *c, node_t n, int depth)
{
	if (++s->work > LIM_CSS_MATCH_WORK) {
		s->budget_out = true;
		return false;
	}
	for (uint32_t k = 0; k < c->n; k++)
		if (!simple_match(s, &s->ss[c->first + k], n, depth))
			return false;
	return true;
}

/* Is a related to n as comb says (a on the left)? For the anchor of :has(). */
static bool
related(int comb, node_t a, node_t n)
{
	switch (comb) {
	case COMB_CHILD:
		return n->parent == a;
	case COMB_DESC:
		for (node_t p = n->parent; p != NULL; p = p->parent)
			if (p == a)
				return true;
		return false;
	case COMB_NEXT:
		return el_prev(n) == a;
	case COMB_SUB:
		for (node_t p = el_prev(n); p != NULL; p = el_prev(p))
			if (p == a)
				return true;
		return false;
	default:
		return false;
	}
}

/* Compounds 0..k of c against n (for compound k) and the elements related
 * to it, right to left with backtracking. anchor: the :has() subject the
 * leftmost compound's combinator relates to, or NULL. Recursion depth is
 * at most LIM_CSS_COMPOUNDS per selector level.
 *
 * M_ALL (after WebKit's SelectorFailsCompletely) says more than "no": the
 * part 0..k fails for every ancestor of n too, so a descendant search
 * further up can stop. That keeps ".a .b .c p" linear in the depth where
 * plain backtracking would try every choice of ancestors. */
enum mres { M_YES, M_LOCAL, M_ALL };

static enum mres /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
match_at(struct css_sheet *s, const struct cplx *c, uint32_t k, node_t n, node_t anchor, int depth)
{
	const struct ccomp *cc = &s->cc[c->first + k];
	enum mres r;

	if (s->budget_out)
		return M_ALL;
	if (!compound_match(s, cc, n, depth))
		return s->budget_out ? M_ALL : M_LOCAL;
	if (k == 0)
		return anchor == NULL || related(cc->comb, anchor, n) ? M_YES : M_LOCAL;
	switch (cc->comb) {
	case COMB_CHILD: {
		node_t p = el_parent(n);

		return p == NULL ? M_ALL : match_at(s, c, k - 1, p, anchor, depth);
	}
	case COMB_DESC:
		for (node_t p = el_parent(n); p != NULL; p = el_parent(p))
			if ((r = match_at(s, c, k - 1, p, anchor, depth)) != M_LOCAL)
				return r;
		return M_ALL;
	case COMB_NEXT: {
		node_t p = el_prev(n);

		if (p == NULL)
			return M_LOCAL;
		r = match_at(s, c, k - 1, p, anchor, depth);
		return r == M_YES ? M_YES : s->budget_out ? M_ALL : M_LOCAL;
	}
	case COMB_SUB:
		for (node_t p = el_prev(n); p != NULL; p = el_prev(p)) {
			r = match_at(s, c, k - 1, p, anchor, depth);
			if (r == M_YES || s->budget_out)
				return r;
		}
		return M_LOCAL;
	default:
		return M_LOCAL;
	}
}

static bool /* NOLINTNEXTLINE(misc-no-recursion): depth bounded by LIM_CSS_SEL_NEST */
match_cx(struct css_sheet *s, const struct cplx *c, uint32_t k, node_t n, node_t anchor, int depth)
{
	return match_at(s, c, k, n, anchor, depth) == M_YES;
}

/* ---- the ancestor filter -------------------------------------------------- */

static void
bloom_add(uint64_t *b, uint32_t h)
{
	b[(h >> 6) & 3] |= 1ull << (h & 63);
	b[(h >> 14) & 3] |= 1ull << ((h >> 8) & 63);
}

static bool
bloom_has(const uint64_t *b, uint32_t h)
{
	return (b[(h >> 6) & 3] >> (h & 63) & 1) && (b[(h >> 14) & 3] >> ((h >> 8) & 63) & 1);
}

/* The best key (id, class, type) of a compound, or NULL. */
static const struct ssel *
compound_key(const struct css_sheet *s, const struct ccomp *cc)
{
	const struct ssel *key = NULL;

	for (uint32_t j = 0; j < cc->n; j++) {
		const struct ssel *x = &s->ss[cc->first + j];

		if (x->kind == SS_ID ||
		    (x->kind == SS_CLASS && (key == NULL || key->kind != SS_ID)) ||
		    (x->kind == SS_TYPE && !(x->flags & SSF_NS_NONE) && key == NULL))
			key = x;
	}
	return key;
}

/* A subject without a key of its own but with ":is(.a, .b)": the element
 * must have one of the members' keys (a prefilter for rules in "any"). */
static void
subject_keys(const struct css_sheet *s, struct rule *r, const struct ccomp *subj)
{
	r->nskey = 0;
	if (compound_key(s, subj) != NULL)
		return; /* indexed by it already */
	for (uint32_t j = 0; j < subj->n; j++) {
		const struct ssel *x = &s->ss[subj->first + j];
		bool ok = x->kind == SS_IS && x->nlist > 0 && x->nlist <= CSS_RULE_ANC;

		for (uint32_t m = 0; ok && m < x->nlist; m++) {
			const struct cplx *mc = &s->cx[x->list + m];
			const struct ssel *key = compound_key(s, &s->cc[mc->first + mc->n - 1]);

			ok = key != NULL;
			if (ok)
				r->skey[m] = css_key_hash32(tx(s, key->name_off, key->name_len));
		}
		if (ok) {
			r->nskey = (uint8_t)x->nlist;
			return;
		}
	}
}

void
css_rule_prepare(const struct css_sheet *s, struct rule *r)
{
	const struct cplx *c = &s->cx[r->sel];

	r->nanc = 0;
	subject_keys(s, r, &s->cc[c->first + c->n - 1]);
	/* Walk left from the subject while the combinators go up: those
	 * compounds must match ancestors. A sibling combinator ends it (what
	 * is left of it relates to a sibling). */
	for (uint32_t k = c->n - 1; k > 0; k--) {
		const struct ccomp *cc = &s->cc[c->first + k];
		const struct ssel *key;

		if (cc->comb != COMB_DESC && cc->comb != COMB_CHILD)
			break;
		key = compound_key(s, &s->cc[c->first + k - 1]);
		if (key != NULL && r->nanc < CSS_RULE_ANC)
			r->anc[r->nanc++] = css_key_hash32(tx(s, key->name_off, key->name_len));
	}
}

/* The filter of the keys of n's ancestors (tags, ids, classes), cached for
 * the siblings that follow: html.c asks in document order. */
static const uint64_t *
ancestors_filter(struct css_sheet *s, node_t n)
{
	node_t par = el_parent(n);

	if (s->bloom_par == par && par != NULL)
		return s->bloom;
	memset(s->bloom, 0, sizeof(s->bloom));
	s->bloom_par = par;
	for (node_t a = par; a != NULL; a = el_parent(a)) {
		struct slice cls = el_attr_val(a, "class"), id = el_attr_val(a, "id");
		size_t i = 0;

		s->work++;
		bloom_add(s->bloom, css_key_hash32(el_tag(a)));
		if (id.len > 0)
			bloom_add(s->bloom, css_key_hash32(id));
		while (i < cls.len) {
			size_t st;

			while (i < cls.len && is_ws((unsigned char)cls.p[i]))
				i++;
			st = i;
			while (i < cls.len && !is_ws((unsigned char)cls.p[i]))
				i++;
			if (i > st)
				bloom_add(s->bloom,
				          css_key_hash32((struct slice){cls.p + st, i - st}));
		}
	}
	return s->bloom;
}

/* ---- the cascade ---------------------------------------------------------- */

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

/* The filter of n's own keys (tag, id, classes). */
static void
own_filter(node_t n, uint64_t *b)
{
	struct slice cls = el_attr_val(n, "class"), id = el_attr_val(n, "id");
	size_t i = 0;

	memset(b, 0, 4 * sizeof(*b));
	bloom_add(b, css_key_hash32(el_tag(n)));
	if (id.len > 0)
		bloom_add(b, css_key_hash32(id));
	while (i < cls.len) {
		size_t st;

		while (i < cls.len && is_ws((unsigned char)cls.p[i]))
			i++;
		st = i;
		while (i < cls.len && !is_ws((unsigned char)cls.p[i]))
			i++;
		if (i > st)
			bloom_add(b, css_key_hash32((struct slice){cls.p + st, i - st}));
	}
}

static bool
chain_match(struct css_sheet *s, int32_t ri, node_t n, struct css_decls *d)
{
	const uint64_t *anc = NULL;
	uint64_t own[4];
	bool own_set = false;

	for (; ri >= 0; ri = s->rules[ri].next) {
		const struct rule *r = &s->rules[ri];
		const struct cplx *c = &s->cx[r->sel];
		bool skip = false;

		if (++s->work > LIM_CSS_MATCH_WORK)
			s->budget_out = true;
		if (s->budget_out)
			return false;
		if (r->nanc > 0 && anc == NULL)
			anc = ancestors_filter(s, n);
		for (uint8_t k = 0; k < r->nanc && !skip; k++)
			skip = !bloom_has(anc, r->anc[k]);
		if (r->nskey > 0 && !skip) {
			if (!own_set)
				own_filter(n, own);
			own_set = true;
			skip = true;
			for (uint8_t k = 0; k < r->nskey && skip; k++)
				skip = !bloom_has(own, r->skey[k]);
		}
		if (skip)
			continue;
		if (match_cx(s, c, c->n - 1, n, NULL, 0))
			rule_apply(s, r, d);
		if (s->budget_out)
			return false;
	}
	return true;
}

bool
css_sheet_match(struct css_sheet *s, const struct css_elem *e, struct css_decls *d)
{
	uint32_t seen[2 + LIM_CSS_CLASSES + LIM_CSS_ATTRS];
	size_t nseen = 0, i = 0, ncls = 0;
	node_t n = e->node;

	if (s->nrules == 0 || !is_elem(n))
		return !s->budget_out;
	if (!chain_match(s, s->any, n, d))
		return false;
	/* Each bucket once, even when tag, id and classes hash alike. The tag
	 * comes from the tree: a caller's copy may be cut short. */
	seen[nseen++] = css_key_hash(el_tag(n));
	if (e->id.len > 0)
		seen[nseen++] = css_key_hash(e->id);
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
					if (!chain_match(s, s->bucket[b], n, d))
						return false;
				return true;
			}
			seen[nseen++] = css_key_hash((struct slice){e->cls.p + st, i - st});
			ncls++;
		}
	}
	{
		const GumboVector *av = &n->v.element.attributes;

		if (av->length > LIM_CSS_ATTRS) {
			for (size_t b = 0; b < CSS_BUCKETS; b++)
				if (!chain_match(s, s->bucket[b], n, d))
					return false;
			return true;
		}
		for (size_t k = 0; k < av->length; k++)
			seen[nseen++] = css_attr_key_hash(
			    sl_from_cstr(((const GumboAttribute *)av->data[k])->name));
	}
	for (size_t k = 0; k < nseen; k++) {
		bool dup = false;

		for (size_t j = 0; j < k; j++)
			dup = dup || seen[j] == seen[k];
		if (!dup && !chain_match(s, s->bucket[seen[k]], n, d))
			return false;
	}
	return true;
}
