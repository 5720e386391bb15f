/* Stylesheets: rules (selector + declarations) indexed by the key of their
 * subject compound, and the parsing of a sheet's blocks and at-rules (CSS
 * Syntax 3 §5: nested blocks tracked with a counter, no recursion; strings,
 * comments and escapes are skipped as tokens so that a '{' or '}' inside
 * them does not end a block). The sheet keeps normalized declaration blocks
 * and decoded selector names and values, not the raw text: selectors need
 * their case and escapes, declarations the normalized form. Selectors:
 * css_select.c; @media: css_media.c. */
#include "content/css.h"

#include <stdlib.h>
#include <string.h>

#include "content/css_int.h"

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
	s->quirks = -1;
	return s;
}

void
css_sheet_free(struct css_sheet *s)
{
	if (s == NULL)
		return;
	buf_free(&s->text);
	css_selectors_free(s);
	free(s->rules);
	free(s->decls);
	free(s);
}

size_t
css_sheet_rules(const struct css_sheet *s)
{
	return s->nrules;
}

size_t
css_sheet_unsupported(const struct css_sheet *s)
{
	return s->unsupported;
}

static uint32_t
fnv_nocase(uint32_t h, struct slice k)
{
	for (size_t i = 0; i < k.len; i++) {
		unsigned char ch = (unsigned char)k.p[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch + 32);
		h = (h ^ ch) * 16777619u;
	}
	return h;
}

uint32_t
css_key_hash32(struct slice k)
{
	return fnv_nocase(2166136261u, k);
}

uint32_t
css_key_hash(struct slice k)
{
	return css_key_hash32(k) % CSS_BUCKETS;
}

uint32_t
css_attr_key_hash(struct slice k)
{
	/* "[" first: an attribute and a class of the same name differ */
	return fnv_nocase((2166136261u ^ '[') * 16777619u, k) % CSS_BUCKETS;
}

/* Rules are chained under one key of their subject compound: its id, else
 * a class, else its type; the rest (universal, attribute-only, :is() ...)
 * under "any", which every element tries. */
static void
rule_index(struct css_sheet *s, size_t ri)
{
	struct rule *r = &s->rules[ri];
	const struct cplx *c = &s->cx[r->sel];
	const struct ccomp *cc = &s->cc[c->first + c->n - 1];
	const struct ssel *key = NULL;
	int32_t *head = &s->any;
	int best = 0;

	for (uint32_t k = 0; k < cc->n; k++) {
		const struct ssel *x = &s->ss[cc->first + k];
		int rank = x->kind == SS_ID                                   ? 4
		           : x->kind == SS_CLASS                              ? 3
		           : x->kind == SS_TYPE && !(x->flags & SSF_NS_NONE) ? 2
		           : x->kind == SS_ATTR                               ? 1
		                                                              : 0;

		if (rank > best) {
			best = rank;
			key = x;
		}
	}
	if (key != NULL && key->kind == SS_ATTR)
		head = &s->bucket[css_attr_key_hash(tx(s, key->name_off, key->name_len))];
	else if (key != NULL)
		head = &s->bucket[css_key_hash(tx(s, key->name_off, key->name_len))];
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

/* Adds "selectors { decls }": sel is the raw prelude, block the raw
 * declarations. Every complex selector of the list becomes one rule; an
 * invalid one drops the whole rule (Selectors 4 §3.1), which is counted. */
static enum ig_err
rule_add(struct css_sheet *s, struct slice sel, struct slice raw_block)
{
	struct decl_out o[LIM_CSS_DECLS];
	size_t first = s->ndecls, pos = 0, n = 0, bs = s->text.len;
	size_t nrules = s->nrules, nss = s->nss, ncc = s->ncc, ncx = s->ncx;
	struct slice block;
	bool unmodelled = false;

	css_normalize(raw_block, &s->text);
	if (buf_err(&s->text) != IG_OK)
		return IG_ELIMIT;
	block = (struct slice){s->text.p + bs, s->text.len - bs};
	while (pos < block.len) {
		size_t got = css_decls_parse(block, &pos, o, LIM_CSS_DECLS);

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
	if (n == 0) {
		s->text.len = bs; /* nothing here can hide text */
		return IG_OK;
	}
	pos = 0;
	do {
		uint32_t cx = 0;
		enum ig_err err = IG_OK;
		enum sel_parse r = css_selector_parse(s, sel, &pos, &cx, &err);

		if (err != IG_OK)
			return err;
		if (r == SEL_INVALID) {
			/* Drop the whole rule, as a browser does. */
			s->nrules = nrules;
			s->nss = nss;
			s->ncc = ncc;
			s->ncx = ncx;
			s->ndecls = first;
			s->text.len = bs;
			s->unsupported++;
			return IG_OK;
		}
		unmodelled = unmodelled || r == SEL_UNMODELLED;
		if (r != SEL_OK)
			continue;
		if (s->nrules >= LIM_CSS_RULES)
			return IG_ELIMIT;
		if (!grow((void **)&s->rules, &s->rules_cap, s->nrules + 1, sizeof(*s->rules),
		          LIM_CSS_RULES))
			return IG_ENOMEM;
		s->rules[s->nrules] = (struct rule){.sel = cx,
		                                    .spec = s->cx[cx].spec,
		                                    .order = (uint32_t)s->nrules + 1,
		                                    .decl_first = (uint32_t)first,
		                                    .decl_n = (uint32_t)n,
		                                    .next = -1};
		css_rule_prepare(s, &s->rules[s->nrules]);
		s->nrules++;
	} while (pos < sel.len);
	/* Indexed only once the whole list is known to be valid. */
	for (size_t k = nrules; k < s->nrules; k++)
		rule_index(s, k);
	if (unmodelled)
		s->unsupported++; /* ::first-line, ::first-letter: not applied */
	return IG_OK;
}

/* Index after the token-level thing at t[i]: a comment, a string (to its
 * closing quote, or a newline: a bad string), an escape, or one byte. */
static size_t
skip_token(const char *t, size_t i, size_t len)
{
	char q = t[i];

	if (q == '/' && i + 1 < len && t[i + 1] == '*') {
		const char *e = i + 2 < len ? memmem(t + i + 2, len - i - 2, "*/", 2) : NULL;

		return e != NULL ? (size_t)(e - t) + 2 : len;
	}
	if (q == '\\')
		return i + 2 < len ? i + 2 : len;
	if (q != '"' && q != '\'')
		return i + 1;
	for (i++; i < len; i++) {
		if (t[i] == '\\') {
			i++;
		} else if (t[i] == q) {
			return i + 1;
		} else if (t[i] == '\n') {
			return i; /* bad string: the newline is not part of it */
		}
	}
	return len;
}

/* Index of the first of stops at depth 0 of () and [] from i, skipping
 * comments, strings and escapes; len when none. A '{' block is skipped
 * whole when '{' is not a stop. */
static size_t
scan_to(const char *t, size_t i, size_t len, const char *stops)
{
	int depth = 0;

	while (i < len) {
		char c = t[i];

		if (depth == 0 && strchr(stops, c) != NULL)
			return i;
		if (c == '(' || c == '[')
			depth++;
		else if ((c == ')' || c == ']') && depth > 0)
			depth--;
		i = skip_token(t, i, len);
	}
	return len;
}

/* Skips the {...} block opening at t[i]; returns the index after its
 * closing brace (or len). */
static size_t
skip_block(const char *t, size_t i, size_t len)
{
	int depth = 0;

	while (i < len) {
		if (t[i] == '{') {
			depth++;
		} else if (t[i] == '}') {
			if (--depth <= 0)
				return i + 1;
		}
		i = skip_token(t, i, len);
	}
	return len;
}

/* Walks the rule list of one style sheet (CSS Syntax 3 §5.4.1): at-rules,
 * qualified rules, CDO/CDC at the top. @media (when it applies) and
 * @supports (assumed true) blocks are descended into; a stray '}' closes
 * one of those, and at the top level becomes part of the next prelude,
 * which then is no valid selector (as in a browser). */
enum ig_err
css_sheet_add(struct css_sheet *s, struct slice css)
{
	const char *t = css.p;
	size_t i = 0, len = css.len;
	int nest = 0; /* open @media/@supports blocks we descended into */

	if (len > LIM_CSS_TEXT)
		return IG_ELIMIT;
	while (i < len) {
		unsigned char ch = (unsigned char)t[i];

		if (is_ws(ch)) {
			i++;
			continue;
		}
		if (ch == '/' && i + 1 < len && t[i + 1] == '*') {
			i = skip_token(t, i, len);
			continue;
		}
		if (nest == 0 && len - i >= 4 && memcmp(t + i, "<!--", 4) == 0) {
			i += 4;
			continue;
		}
		if (nest == 0 && len - i >= 3 && memcmp(t + i, "-->", 3) == 0) {
			i += 3;
			continue;
		}
		if (ch == '}' && nest > 0) {
			nest--;
			i++;
			continue;
		}
		if (ch == '@') {
			size_t st = ++i, pe;
			size_t mark = s->text.len;

			while (i < len && (is_ident((unsigned char)t[i]) ||
			                   (t[i] >= 'A' && t[i] <= 'Z')))
				i++;
			struct slice kw = {t + st, i - st};

			pe = scan_to(t, i, len, nest > 0 ? "{;}" : "{;");
			if (pe >= len)
				break;
			if (t[pe] != '{') {
				i = t[pe] == ';' ? pe + 1 : pe;
				continue;
			}
			if (eq_nocase(kw, sl_from_cstr("media"))) {
				struct slice q;

				css_normalize((struct slice){t + i, pe - i}, &s->text);
				if (buf_err(&s->text) != IG_OK)
					return IG_ELIMIT;
				q = (struct slice){s->text.p + mark, s->text.len - mark};
				if (css_media_applies(q)) {
					s->text.len = mark;
					nest++;
					i = pe + 1;
					continue;
				}
				s->text.len = mark;
			} else if (eq_nocase(kw, sl_from_cstr("supports"))) {
				nest++;
				i = pe + 1;
				continue;
			}
			i = skip_block(t, pe, len);
			continue;
		}
		/* A qualified rule: prelude up to '{', block up to its '}'. Inside
		 * an at-rule block a '}' ends the block (and drops the prelude). */
		size_t pe = scan_to(t, i, len, nest > 0 ? "{}" : "{"), be;

		if (pe >= len)
			break;
		if (t[pe] == '}') {
			i = pe;
			continue;
		}
		be = skip_block(t, pe, len);
		size_t de = be > pe + 1 && t[be - 1] == '}' ? be - 1 : be;
		enum ig_err err = rule_add(s, (struct slice){t + i, pe - i},
		                           (struct slice){t + pe + 1, de - pe - 1});

		if (err != IG_OK)
			return err;
		i = be;
	}
	return IG_OK;
}
