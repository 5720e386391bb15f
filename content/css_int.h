/* Internals shared by the content/css*.c files; included only inside
 * content/. The public API is content/css.h. */
#ifndef IG_CONTENT_CSS_INT_H
#define IG_CONTENT_CSS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"
#include "content/css.h"

/* ---- small helpers ---------------------------------------------------- */

static inline bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static inline bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static inline unsigned
hex_val(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

static inline bool
is_ident(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
	       c >= 0x80;
}

static inline struct slice
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

static inline bool
starts_with(struct slice s, const char *pfx)
{
	size_t n = strlen(pfx);

	return s.len >= n && memcmp(s.p, pfx, n) == 0;
}

/* ASCII case-insensitive equality (class and id matching: quirks mode, which
 * most mail is in, matches them case-insensitively; doing so always can only
 * over-apply a rule). */
static inline bool
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

/* ---- declarations (css.c) ---------------------------------------------- */

/* Calls back for each relevant declaration; used for style="" and blocks. */
struct decl_out {
	int prop;
	bool important;
	struct slice val;
};

/* Parses relevant declarations from s starting at *pos into out (at most
 * max) and advances *pos; call again until *pos == s.len. */
size_t css_decls_parse(struct slice s, size_t *pos, struct decl_out *out, size_t max);

/* ---- numbers (css_value.c) --------------------------------------------- */

/* Parses a CSS number at s[*i]; advances *i. */
bool css_num_parse(struct slice s, size_t *i, double *v);

/* ---- stylesheets (css_sheet.c) ----------------------------------------- */

/* Selectors (css_select.c). A complex selector is a run of compounds, each
 * a run of simple selectors; the functional pseudo-classes (:is, :where,
 * :not, :has, :nth-*(... of S)) point at a run of complex selectors. All
 * live in per-sheet arrays; names and values are decoded (escapes, strings)
 * and kept with their case in the sheet's text. */
enum comb {
	COMB_NONE, /* leftmost compound (or the anchor of a relative selector) */
	COMB_DESC,
	COMB_CHILD,
	COMB_NEXT, /* + */
	COMB_SUB,  /* ~ */
};

enum ssel_kind {
	SS_TYPE,   /* name; flags SSF_NS_NONE: "|e" (no namespace: never in HTML) */
	SS_ANY,    /* "*" / "*|*" (SSF_NS_NONE: "|*") */
	SS_ID,     /* name */
	SS_CLASS,  /* name */
	SS_ATTR,   /* name, op, value, flags */
	SS_PSEUDO, /* op = enum pseudo, value for :lang() / :dir() */
	SS_IS,     /* :is() :where() :-webkit-any(): list */
	SS_NOT,    /* list */
	SS_HAS,    /* list of relative selectors */
	SS_NTH,    /* op = enum nth_kind, a, b; list (of S) may be empty */
};

#define SSF_NS_NONE 1u /* "|name": only elements/attributes without a namespace */
#define SSF_I 2u       /* [a=v i] */

struct ssel {
	uint8_t kind; /* enum ssel_kind */
	uint8_t op;
	uint8_t flags;
	uint32_t name_off, name_len;
	uint32_t val_off, val_len;
	int32_t a, b;          /* SS_NTH: An+B */
	uint32_t list, nlist;  /* complex selectors cx[list .. list+nlist) */
};

struct ccomp {
	uint32_t first, n; /* simple selectors ss[first .. first+n) */
	uint8_t comb;      /* combinator linking it to the compound on its left */
};

struct cplx {
	uint32_t first, n; /* compounds cc[first .. first+n), left to right */
	uint32_t spec;     /* specificity a<<16 | b<<8 | c, each saturated at 255 */
};

#define LIM_CSS_SSELS ((size_t)16 * LIM_CSS_RULES) /* simple selectors per sheet */
#define LIM_CSS_CCOMPS ((size_t)8 * LIM_CSS_RULES) /* compounds per sheet */
#define LIM_CSS_CPLX ((size_t)4 * LIM_CSS_RULES)   /* complex selectors per sheet */
#define LIM_CSS_SIMPLE 16   /* simple selectors in one compound */
#define LIM_CSS_SEL_LIST 32 /* complex selectors in the argument of :is() etc. */
#define LIM_CSS_SEL_NEST 6  /* nesting of :is()/:not()/:has()/:nth-*(of S) */
#define LIM_CSS_ATTRS 32    /* attributes of one element used as rule keys (more: every rule) */

#define CSS_RULE_ANC 4 /* ancestor keys kept per rule for the ancestor filter */

struct rule {
	uint32_t sel; /* index into cx */
	uint32_t spec;
	uint32_t order;
	uint32_t decl_first, decl_n;
	int32_t next;                /* bucket chain */
	uint32_t anc[CSS_RULE_ANC]; /* keys (css_key_hash32) some ancestor must have */
	uint8_t nanc;
	uint8_t nskey;               /* the subject must have one of skey (0: no test) */
	uint32_t skey[CSS_RULE_ANC];
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
	struct ssel *ss; /* selectors, grown on demand up to the LIM_CSS_* above */
	size_t nss, ss_cap;
	struct ccomp *cc;
	size_t ncc, cc_cap;
	struct cplx *cx;
	size_t ncx, cx_cap;
	size_t unsupported;  /* rules dropped for a selector we do not take */
	int quirks;          /* document mode: -1 unknown, 0 no/limited quirks, 1 quirks */
	bool budget_out;     /* LIM_CSS_MATCH_WORK exhausted */
	const void *bloom_par; /* the element whose ancestors bloom holds */
	uint64_t bloom[4];     /* key hashes of bloom_par and its ancestors */
	const void *nth_par;   /* cache of the last :nth-child() index computed */
	const void *nth_node;
	uint32_t nth_idx;
};

/* Bucket of a tag, id or class name (ASCII case-insensitive). */
uint32_t css_key_hash(struct slice k);
/* The same hash before the bucket modulus (the ancestor filter's key). */
uint32_t css_key_hash32(struct slice k);
/* Bucket of rules whose subject is keyed by an attribute name. */
uint32_t css_attr_key_hash(struct slice k);

static inline struct slice
tx(const struct css_sheet *s, uint32_t off, uint32_t len)
{
	return (struct slice){s->text.p + off, len};
}

/* ---- selectors (css_select.c) ------------------------------------------ */

enum sel_parse {
	SEL_OK,
	SEL_IGNORE,      /* valid, but styles a pseudo-element only (::before, ::marker) */
	SEL_UNMODELLED,  /* valid, styles part of the element's text (::first-line) */
	SEL_INVALID,     /* invalid or not understood: the whole rule is dropped */
};

/* Parses one complex selector of a top-level list from sel[*pos..), up to a
 * top-level ',' or the end; appends to s->ss/cc/cx and, on SEL_OK, sets
 * *cx_r. Advances *pos past the ','. IG_ELIMIT through *err when the
 * selector arrays are full. */
enum sel_parse css_selector_parse(struct css_sheet *s, struct slice sel, size_t *pos,
                                  uint32_t *cx_r, enum ig_err *err);

/* Gives back the growable selector arrays (css_sheet_free). */
void css_selectors_free(struct css_sheet *s);

/* Fills r->anc: keys (tag, id, classes) of compounds that must match
 * ancestors of the subject, so that css_sheet_match can skip the rule when
 * no ancestor has one of them (the ancestor filter browsers use). */
void css_rule_prepare(const struct css_sheet *s, struct rule *r);

/* ---- media queries (css_media.c) --------------------------------------- */

/* Does an @media prelude apply? css_sheet.c calls it for every @media
 * prelude (nested ones included). html.c hands the sheet text resolved for
 * one viewport (css_media_resolve), whose preludes are "all" or "not all";
 * any other query applies when it matches in some viewport of the set. */
bool css_media_applies(struct slice q);

#endif
