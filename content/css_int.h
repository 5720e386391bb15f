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

/* Bucket of a tag, id or class name (ASCII case-insensitive). */
uint32_t css_key_hash(struct slice k);

static inline struct slice
tx(const struct css_sheet *s, uint32_t off, uint32_t len)
{
	return (struct slice){s->text.p + off, len};
}

/* ---- selectors (css_select.c) ------------------------------------------ */

/* Parses one complex selector text[a..b) into r; false when it cannot apply
 * to visible text or is not understood. */
bool css_selector_parse(const struct css_sheet *s, size_t a, size_t b, struct rule *r);

/* ---- media queries (css_media.c) --------------------------------------- */

/* Does an @media prelude apply? css_sheet.c calls it for every @media
 * prelude (nested ones included). html.c hands the sheet text resolved for
 * one viewport (css_media_resolve), whose preludes are "all" or "not all";
 * any other query applies when it matches in some viewport of the set. */
bool css_media_applies(struct slice q);

#endif
