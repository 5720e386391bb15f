/* SEARCH and ESEARCH response bodies, streamed.
 * RFC 3501 §7.2.5 and §9 (mailbox-data "SEARCH" *(SP nz-number)), RFC 7162
 * §3.1.5 (search-sort-mod-seq "(MODSEQ n)"), RFC 4731 (esearch-response:
 * search-correlator, "UID", MIN / MAX / COUNT / ALL sequence-set) and
 * RFC 4466 §2.6.2 (other search-return-data: a name and a tagged-ext-val,
 * skipped here).
 *
 * A broad search on a big folder answers one very long line, so this reader
 * never holds the line: a byte loop cuts it into tokens of at most
 * LIM_IMAP_SEARCH_TOKEN bytes and a small state machine takes each token as
 * it completes. Everything kept is bounded by count (LIM_IMAP_SEARCH_NUMS);
 * every state lives in the struct, so the line may be cut anywhere. */
#include "imap/parse_search.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tok_kind { T_ATOM, T_STRING, T_OPEN, T_CLOSE, T_END };

enum srch_state {
	S_NUMS,      /* SEARCH: numbers, or "(" of (MODSEQ n) */
	S_MS_NAME,   /* "MODSEQ" */
	S_MS_VAL,    /* its value */
	S_MS_CLOSE,  /* ")" */
	S_TAIL,      /* only the end of the line */
	E_FIRST,     /* ESEARCH: "(" of the correlator, "UID", an item name, end */
	E_TAG_NAME,  /* "TAG" */
	E_TAG_VAL,   /* its string */
	E_TAG_CLOSE, /* ")" */
	E_UID,       /* "UID", an item name, end */
	E_NAME,      /* an item name, end */
	E_VAL,       /* the number after MIN, MAX, COUNT, MODSEQ */
	E_SET,       /* the sequence set after ALL, element by element */
	E_SKIP,      /* the value of an item we did not ask for */
	E_SKIP_LIST, /* ... inside its parentheses */
	X_DONE,
};

enum item { I_MIN, I_MAX, I_COUNT, I_MODSEQ };

static const size_t keep_small = (size_t)64 * 1024; /* bytes kept between responses */

void
imap_srch_begin(struct imap_srch *s, bool esearch)
{
	uint32_t *nums = s->nums;
	size_t cap = s->cap;
	struct buf all = s->all;
	struct buf tag = s->tag;

	if (all.max == 0)
		buf_init(&all, LIM_IMAP_RESPONSE);
	if (tag.max == 0)
		buf_init(&tag, LIM_IMAP_SEARCH_TOKEN + 1);
	memset(s, 0, sizeof(*s));
	s->nums = nums;
	s->cap = cap;
	s->all = all;
	s->tag = tag;
	buf_reset(&s->all);
	buf_reset(&s->tag);
	s->esearch = esearch;
	s->st = esearch ? E_FIRST : S_NUMS;
}

void
imap_srch_trim(struct imap_srch *s)
{
	if (s->cap * sizeof(*s->nums) > keep_small) {
		free(s->nums);
		s->nums = NULL;
		s->cap = 0;
	}
	if (s->all.cap > keep_small)
		buf_free(&s->all);
	s->n = 0;
}

void
imap_srch_free(struct imap_srch *s)
{
	free(s->nums);
	s->nums = NULL;
	s->cap = 0;
	s->n = 0;
	buf_free(&s->all);
	buf_free(&s->tag);
}

static bool
tok_ieq(const struct imap_srch *s, const char *lit)
{
	size_t n = strlen(lit);

	return !s->quoted && s->tlen == n && strncasecmp(s->tok, lit, n) == 0;
}

static bool
tok_u64(const struct imap_srch *s, uint64_t *v_r)
{
	return !s->quoted && imap_parse_u64((struct slice){s->tok, s->tlen}, v_r);
}

static enum ig_err
bad(const char **error_r, const struct imap_srch *s)
{
	*error_r = s->esearch ? "malformed ESEARCH response" : "malformed SEARCH response";
	return IG_EINVAL;
}

static enum ig_err
count_elem(struct imap_srch *s, const char **error_r)
{
	if (++s->elems > LIM_IMAP_SEARCH_NUMS) {
		*error_r = "too many numbers in a SEARCH response";
		return IG_ELIMIT;
	}
	return IG_OK;
}

static enum ig_err
num_add(struct imap_srch *s, uint32_t v, const char **error_r)
{
	if (count_elem(s, error_r) != IG_OK)
		return IG_ELIMIT;
	if (s->n == s->cap) {
		size_t ncap = s->cap != 0 ? s->cap * 2 : 1024;
		uint32_t *nv;

		if (ncap > LIM_IMAP_SEARCH_NUMS)
			ncap = LIM_IMAP_SEARCH_NUMS;
		nv = realloc(s->nums, ncap * sizeof(*nv));
		if (nv == NULL) {
			*error_r = "out of memory";
			return IG_ENOMEM;
		}
		s->nums = nv;
		s->cap = ncap;
	}
	s->nums[s->n++] = v;
	return IG_OK;
}

/* One element of the ALL set: nz-number or nz-number ":" nz-number (a
 * response never holds '*'); kept canonical (no leading zeros). */
static enum ig_err
set_elem(struct imap_srch *s, const char **error_r)
{
	const char *colon = s->quoted ? NULL : memchr(s->tok, ':', s->tlen);
	uint32_t a;
	uint32_t b;

	if (colon == NULL) {
		if (s->quoted || !imap_parse_u32((struct slice){s->tok, s->tlen}, &a) || a == 0)
			return bad(error_r, s);
		b = a;
	} else {
		size_t k = (size_t)(colon - s->tok);

		if (!imap_parse_u32((struct slice){s->tok, k}, &a) ||
		    !imap_parse_u32((struct slice){colon + 1, s->tlen - k - 1}, &b) || a == 0 ||
		    b == 0)
			return bad(error_r, s);
	}
	if (count_elem(s, error_r) != IG_OK)
		return IG_ELIMIT;
	if (s->all.len > 0)
		buf_putc(&s->all, ',');
	if (a == b)
		buf_appendf(&s->all, "%u", a);
	else
		buf_appendf(&s->all, "%u:%u", a, b);
	if (buf_err(&s->all) != IG_OK) {
		*error_r = "response too large";
		return buf_err(&s->all);
	}
	return IG_OK;
}

/* Takes one complete token (the text, if any, is in s->tok). */
static enum ig_err
take(struct imap_srch *s, enum tok_kind k, const char **error_r)
{
	uint64_t v;
	uint32_t v32;
	enum ig_err err;

	switch ((enum srch_state)s->st) {
	case S_NUMS:
		if (k == T_END) {
			s->st = X_DONE;
			return IG_OK;
		}
		if (k == T_OPEN) {
			s->st = S_MS_NAME;
			return IG_OK;
		}
		if (k != T_ATOM || s->quoted ||
		    !imap_parse_u32((struct slice){s->tok, s->tlen}, &v32) || v32 == 0)
			return bad(error_r, s);
		return num_add(s, v32, error_r);
	case S_MS_NAME:
		if (k != T_ATOM || !tok_ieq(s, "MODSEQ"))
			return bad(error_r, s);
		s->st = S_MS_VAL;
		return IG_OK;
	case S_MS_VAL:
		if (k != T_ATOM || !tok_u64(s, &s->search.modseq))
			return bad(error_r, s);
		s->st = S_MS_CLOSE;
		return IG_OK;
	case S_MS_CLOSE:
		if (k != T_CLOSE)
			return bad(error_r, s);
		s->st = S_TAIL;
		return IG_OK;
	case S_TAIL:
		if (k != T_END)
			return bad(error_r, s);
		s->st = X_DONE;
		return IG_OK;
	case E_FIRST:
		if (k == T_OPEN) {
			s->st = E_TAG_NAME;
			return IG_OK;
		}
		IG_FALLTHROUGH;
	case E_UID:
		if (k == T_ATOM && tok_ieq(s, "UID")) {
			s->es.uid = true;
			s->st = E_NAME;
			return IG_OK;
		}
		IG_FALLTHROUGH;
	case E_NAME:
		if (k == T_END) {
			s->st = X_DONE;
			return IG_OK;
		}
		if (k != T_ATOM || s->quoted)
			return bad(error_r, s);
		if (tok_ieq(s, "ALL")) {
			if (s->all.len > 0)
				return bad(error_r, s); /* one ALL per response */
			s->st = E_SET;
			return IG_OK;
		}
		s->st = E_VAL;
		if (tok_ieq(s, "MIN"))
			s->item = I_MIN;
		else if (tok_ieq(s, "MAX"))
			s->item = I_MAX;
		else if (tok_ieq(s, "COUNT"))
			s->item = I_COUNT;
		else if (tok_ieq(s, "MODSEQ"))
			s->item = I_MODSEQ;
		else
			s->st = E_SKIP;
		return IG_OK;
	case E_TAG_NAME:
		if (k != T_ATOM || !tok_ieq(s, "TAG"))
			return bad(error_r, s);
		s->st = E_TAG_VAL;
		return IG_OK;
	case E_TAG_VAL:
		if (k != T_ATOM && k != T_STRING)
			return bad(error_r, s);
		buf_append(&s->tag, s->tok, s->tlen);
		s->st = E_TAG_CLOSE;
		return IG_OK;
	case E_TAG_CLOSE:
		if (k != T_CLOSE)
			return bad(error_r, s);
		s->st = E_UID;
		return IG_OK;
	case E_VAL:
		if (k != T_ATOM || !tok_u64(s, &v))
			return bad(error_r, s);
		if (s->item == I_MODSEQ) {
			s->es.modseq = v;
		} else {
			if (v > UINT32_MAX)
				return bad(error_r, s);
			if (s->item == I_MIN) {
				s->es.has_min = true;
				s->es.min = (uint32_t)v;
			} else if (s->item == I_MAX) {
				s->es.has_max = true;
				s->es.max = (uint32_t)v;
			} else {
				s->es.has_count = true;
				s->es.count = (uint32_t)v;
			}
		}
		s->st = E_NAME;
		return IG_OK;
	case E_SET:
		/* the last element: ',' ends the others (feed) */
		if (k != T_ATOM)
			return bad(error_r, s);
		err = set_elem(s, error_r);
		if (err == IG_OK)
			s->st = E_NAME;
		return err;
	case E_SKIP:
		if (k == T_ATOM || k == T_STRING) {
			s->st = E_NAME;
			return IG_OK;
		}
		if (k != T_OPEN)
			return bad(error_r, s);
		s->depth = 1;
		s->st = E_SKIP_LIST;
		return IG_OK;
	case E_SKIP_LIST:
		if (k == T_END)
			return bad(error_r, s);
		if (k == T_OPEN && ++s->depth > LIM_IMAP_NEST) {
			*error_r = "response nested too deeply";
			return IG_ELIMIT;
		}
		if (k == T_CLOSE && --s->depth == 0)
			s->st = E_NAME;
		return IG_OK;
	case X_DONE:
		break;
	}
	return bad(error_r, s);
}

/* Ends the token being collected, if any. */
static enum ig_err
flush(struct imap_srch *s, const char **error_r)
{
	enum ig_err err = IG_OK;

	if (s->tlen > 0 || s->quoted)
		err = take(s, s->quoted ? T_STRING : T_ATOM, error_r);
	s->tlen = 0;
	s->quoted = false;
	return err;
}

static bool
atom_byte(char c)
{
	return (unsigned char)c > 0x20 && (unsigned char)c < 0x7f && c != '(' && c != ')' &&
	       c != '{' && c != '"' && c != '\\' && c != '%' && c != '*' && c != ']';
}

enum ig_err
imap_srch_feed(struct imap_srch *s, const char *in, size_t len, size_t *used_r,
	       const char **error_r)
{
	size_t i = 0;
	enum ig_err err = IG_OK;

	*error_r = NULL;
	while (i < len && err == IG_OK) {
		char c = in[i++];

		if (c == '\0') {
			*error_r = "NUL in response line";
			err = IG_EINVAL;
		} else if (s->cr) {
			if (c != '\n') {
				*error_r = "bare CR in response line";
				err = IG_EINVAL;
				break;
			}
			err = flush(s, error_r);
			if (err == IG_OK)
				err = take(s, T_END, error_r);
			if (err == IG_OK && s->st != X_DONE)
				err = bad(error_r, s);
			if (err == IG_OK) {
				*used_r = i;
				s->search.nums = s->nums;
				s->search.n = s->n;
				s->es.tag = buf_slice(&s->tag);
				s->es.all = buf_slice(&s->all);
				return IG_OK;
			}
		} else if (c == '\n') {
			*error_r = "bare LF in response line";
			err = IG_EINVAL;
		} else if (s->in_quote) {
			if (c == '\r') {
				*error_r = "unterminated quoted string";
				err = IG_EINVAL;
			} else if (!s->esc && c == '\\') {
				s->esc = true;
			} else if (!s->esc && c == '"') {
				s->in_quote = false;
				s->need_sep = true;
			} else if (s->esc && c != '\\' && c != '"') {
				*error_r = "bad escape in quoted string";
				err = IG_EINVAL;
			} else if (s->tlen == sizeof(s->tok)) {
				*error_r = "SEARCH response token too long";
				err = IG_ELIMIT;
			} else {
				s->esc = false;
				s->tok[s->tlen++] = c;
			}
		} else if (s->need_sep && c != ' ' && c != ')' && c != '\r') {
			/* a quoted string runs into the next token */
			s->st = X_DONE; /* anything is malformed now */
			err = take(s, T_END, error_r);
		} else if (c == ' ' || c == '\r') {
			s->need_sep = false;
			s->cr = c == '\r';
			err = flush(s, error_r);
		} else if (c == '(' || c == ')') {
			s->need_sep = false;
			err = flush(s, error_r);
			if (err == IG_OK)
				err = take(s, c == '(' ? T_OPEN : T_CLOSE, error_r);
		} else if (c == '"') {
			if (s->tlen > 0) {
				err = bad(error_r, s);
			} else {
				s->in_quote = true;
				s->quoted = true;
			}
		} else if (c == ',' && s->st == E_SET) {
			if (s->tlen == 0)
				err = bad(error_r, s);
			else
				err = set_elem(s, error_r);
			s->tlen = 0;
		} else if (!atom_byte(c)) {
			err = bad(error_r, s);
		} else if (s->tlen == sizeof(s->tok)) {
			*error_r = "SEARCH response token too long";
			err = IG_ELIMIT;
		} else {
			s->tok[s->tlen++] = c;
		}
	}
	*used_r = i;
	if (err != IG_OK && *error_r == NULL)
		*error_r = "malformed SEARCH response";
	return err == IG_OK ? IG_AGAIN : err;
}

void
imap_srch_search(const struct imap_srch *s, struct imap_search *out)
{
	*out = s->search;
}

void
imap_srch_esearch(const struct imap_srch *s, struct imap_esearch *out)
{
	*out = s->es;
}

void
imap_srch_render(const struct imap_resp *r, struct buf *out)
{
	size_t i;

	if (r->kind != IMAP_RESP_UNTAGGED)
		return;
	if (r->type == IMAP_U_SEARCH) {
		buf_appendf(out, " search=%zu,%llu:", r->u.search.n,
			    (unsigned long long)r->u.search.modseq);
		for (i = 0; i < r->u.search.n; i++)
			buf_appendf(out, "%s%u", i > 0 ? "," : "", r->u.search.nums[i]);
	} else if (r->type == IMAP_U_ESEARCH) {
		const struct imap_esearch *e = &r->u.esearch;

		buf_appendf(out, " esearch=%d,%d%u,%d%u,%d%u,%llu", e->uid, e->has_min, e->min,
			    e->has_max, e->max, e->has_count, e->count,
			    (unsigned long long)e->modseq);
		imap_render_bytes(out, e->tag);
		imap_render_bytes(out, e->all);
	}
}
