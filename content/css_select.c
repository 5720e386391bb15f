/* Selectors (Selectors Level 3: type/class/id, descendant and child
 * combinators, specificity): parsing one complex selector into a rule, and
 * matching an element against a sheet's rules with the cascade order of
 * CSS 2.1 §6.4 applied to the declarations that match. */
#include "content/css.h"

#include <string.h>

#include "content/css_int.h"

static const char *const dynamic_pseudo[] = {
    "hover",  "active",  "focus",         "focus-within",      "focus-visible", "visited",
    "target", "checked", "indeterminate", "placeholder-shown", "autofill",      "-webkit-autofill",
};

/* Parses one complex selector text[a..b) into r. Returns false when the
 * selector cannot apply to visible text (pseudo-elements, user-action
 * states) or is not understood at all. */
bool
css_selector_parse(const struct css_sheet *s, size_t a, size_t b, struct rule *r)
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
	seen[nseen++] = css_key_hash(e->tag);
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
					if (!chain_match(s, s->bucket[b], e, d))
						return false;
				return true;
			}
			seen[nseen++] = css_key_hash((struct slice){e->cls.p + st, i - st});
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
