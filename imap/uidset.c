/* UID sets: RFC 3501 §9 (sequence-set, nz-number), RFC 4315 §3-4 (COPYUID,
 * uid-set, uid-range). Server-supplied sets are untrusted: every number is
 * overflow-checked and a set is counted before anything is expanded. */
#include "imap/uidset.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "imap/parse.h"

/* One nz-number: digits only, no leading zero, at most UINT32_MAX. */
static bool
nz_number(struct slice s, uint32_t *v_r)
{
	if (s.len == 0 || s.len > 10 || s.p[0] == '0')
		return false;
	return imap_parse_u32(s, v_r);
}

/* The member of s starting at *i ("a" or "a:b", either order): *a_r <= *b_r
 * and *i moved past it and its ',' (s.len after the last). False when the
 * member is malformed or a ',' ends the set. */
static bool
member_next(struct slice s, size_t *i, uint32_t *a_r, uint32_t *b_r)
{
	size_t start = *i;
	size_t colon = 0;
	size_t j = start;
	uint32_t a;
	uint32_t b;

	while (j < s.len && s.p[j] != ',') {
		if (s.p[j] == ':') {
			if (colon != 0)
				return false;
			colon = j;
		}
		j++;
	}
	/* s.p[start..j) is one member */
	if (colon == 0) {
		if (!nz_number((struct slice){s.p + start, j - start}, &a))
			return false;
		b = a;
	} else if (!nz_number((struct slice){s.p + start, colon - start}, &a) ||
		   !nz_number((struct slice){s.p + colon + 1, j - colon - 1}, &b)) {
		return false;
	}
	if (j < s.len) {
		j++; /* the ',' */
		if (j == s.len)
			return false; /* trailing ',' */
	}
	*a_r = a < b ? a : b;
	*b_r = a < b ? b : a;
	*i = j;
	return true;
}

enum ig_err
imap_uidset_parse(struct slice s, uint32_t *out, size_t cap, size_t *n_r)
{
	size_t i = 0;
	size_t n = 0;

	*n_r = 0;
	if (s.len == 0)
		return IG_EINVAL;
	while (i < s.len) {
		uint32_t a;
		uint32_t b;
		uint64_t count;
		uint64_t k;

		if (!member_next(s, &i, &a, &b))
			return IG_EINVAL;
		count = (uint64_t)b - a + 1;
		if (count > cap - n)
			return IG_ELIMIT;
		for (k = 0; k < count; k++)
			out[n++] = (uint32_t)(a + k);
	}
	*n_r = n;
	return IG_OK;
}

enum ig_err
imap_uidset_ranges(struct slice s, size_t max, void (*fn)(void *ctx, uint32_t first, uint32_t last),
		   void *ctx)
{
	size_t i = 0;
	size_t n = 0;
	uint32_t a;
	uint32_t b;

	if (s.len == 0)
		return IG_EINVAL;
	/* the whole set is checked before fn sees any of it */
	while (i < s.len) {
		if (!member_next(s, &i, &a, &b))
			return IG_EINVAL;
		if (++n > max)
			return IG_ELIMIT;
	}
	i = 0;
	while (i < s.len && member_next(s, &i, &a, &b))
		fn(ctx, a, b);
	return IG_OK;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a;
	uint32_t y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

enum ig_err
imap_uidset_format(const uint32_t *uids, size_t n, struct buf *out)
{
	uint32_t *s;
	size_t i = 0;
	bool first = true;

	if (n == 0)
		return IG_EINVAL;
	s = malloc(n * sizeof(*s));
	if (s == NULL)
		return IG_ENOMEM;
	memcpy(s, uids, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u32);
	if (s[0] == 0) {
		free(s);
		return IG_EINVAL;
	}
	while (i < n) {
		size_t j = i;

		/* extend over duplicates and consecutive values */
		while (j + 1 < n && (s[j + 1] == s[j] || s[j + 1] == s[j] + 1))
			j++;
		buf_appendf(out, first ? "%u" : ",%u", s[i]);
		if (s[j] != s[i])
			buf_appendf(out, ":%u", s[j]);
		first = false;
		i = j + 1;
	}
	free(s);
	return IG_OK;
}

enum ig_err
imap_copyuid_parse(struct slice arg, struct imap_copyuid *out)
{
	const char *sp1;
	const char *sp2;
	size_t n_dst = 0;
	enum ig_err err;

	out->uidvalidity = 0;
	out->n = 0;
	sp1 = arg.len > 0 ? memchr(arg.p, ' ', arg.len) : NULL;
	if (sp1 == NULL)
		return IG_EINVAL;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(arg.p + arg.len - (sp1 + 1)));
	if (sp2 == NULL)
		return IG_EINVAL;
	if (!nz_number((struct slice){arg.p, (size_t)(sp1 - arg.p)}, &out->uidvalidity))
		goto invalid;
	err = imap_uidset_parse((struct slice){sp1 + 1, (size_t)(sp2 - sp1 - 1)}, out->src,
				LIM_IMAP_COPYUID, &out->n);
	if (err == IG_OK)
		err = imap_uidset_parse((struct slice){sp2 + 1, (size_t)(arg.p + arg.len - sp2 - 1)},
					out->dst, LIM_IMAP_COPYUID, &n_dst);
	if (err == IG_OK && n_dst != out->n)
		err = IG_EINVAL;
	if (err != IG_OK) {
		out->uidvalidity = 0;
		out->n = 0;
		return err;
	}
	return IG_OK;
invalid:
	out->uidvalidity = 0;
	return IG_EINVAL;
}

uint32_t
imap_copyuid_lookup(const struct imap_copyuid *cu, uint32_t src)
{
	size_t i;

	for (i = 0; i < cu->n; i++) {
		if (cu->src[i] == src)
			return cu->dst[i];
	}
	return 0;
}
