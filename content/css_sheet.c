/* Stylesheets: the text of every <style> kept once, rules (selector +
 * declarations) indexed by the key of their rightmost compound, and the
 * parsing of a sheet's blocks and at-rules (nested blocks tracked with a
 * counter, no recursion). Selectors: css_select.c; @media: css_media.c. */
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

uint32_t
css_key_hash(struct slice k)
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

static void
rule_index(struct css_sheet *s, size_t ri)
{
	struct rule *r = &s->rules[ri];
	const struct compound *c = &r->c[r->n - 1];
	int32_t *head;

	if (c->id_len > 0)
		head = &s->bucket[css_key_hash(tx(s, c->id_off, c->id_len))];
	else if (c->ncls > 0)
		head = &s->bucket[css_key_hash(tx(s, c->cls_off[0], c->cls_len[0]))];
	else if (c->tag_len > 0)
		head = &s->bucket[css_key_hash(tx(s, c->tag_off, c->tag_len))];
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

		if (css_selector_parse(s, i, e, r)) {
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
			     css_media_applies((struct slice){t + i, pe - i})) ||
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
