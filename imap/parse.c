/* IMAP response parser.
 * RFC 3501 §7 and §9 (IMAP4rev1 responses and formal syntax), RFC 9051 §7 and
 * §9 (IMAP4rev2), RFC 3516 (literal8 ~{n}), RFC 7888 (LITERAL+ is client side
 * only; {n+} is tolerated), RFC 4731 (ESEARCH), RFC 5161 (ENABLED), RFC 5530
 * (response codes), RFC 6154 (SPECIAL-USE attributes), RFC 7162 (MODSEQ,
 * HIGHESTMODSEQ, VANISHED), RFC 4315 (APPENDUID, COPYUID), RFC 2971 (ID).
 *
 * Two stages. Framing works byte by byte on a state kept in the parser, so it
 * can stop anywhere: it finds where a response ends by tracking quoted strings
 * and literals, which is what keeps a forged "tag OK" inside a string or
 * literal from ending a command early. Once a response is complete it is
 * tokenized into a value tree (shift-reduce with an explicit stack: no
 * recursion) and then read into typed results. Every size is checked against
 * base/limits.h before it is used, and a literal's announced size is never
 * allocated: the buffer grows as its bytes arrive. SEARCH and ESEARCH lines
 * are the exception to the line limit: their bodies stream through
 * imap/parse_search.c, bounded by the count of what they carry. */
#include "imap/parse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/limits.h"
#include "imap/parse_search.h"
#include "imap/parse_skip.h"

enum frame_state { FR_LINE, FR_LITERAL, FR_SEARCH };

/* "* ESEARCH " is the longest keyword prefix the framer looks for. */
#define SEARCH_PROBE 10

struct imap_parser {
	struct buf raw;   /* the response: lines (with CRLF) and literal payloads */
	size_t max;       /* response cap */
	enum frame_state st;
	size_t seg_start; /* where the current line segment starts in raw */
	size_t lit_left;  /* literal bytes still to come */
	size_t n_literals;
	bool cr;          /* previous line byte was CR */
	bool in_quote;
	bool esc;
	bool textual;     /* resp-text response: no literals, text to end of line */
	bool first_seg;
	bool done;        /* a response was returned; the next feed starts afresh */
	bool probed;      /* the first SEARCH_PROBE bytes were looked at */
	bool streamed;    /* a SEARCH/ESEARCH body went through srch */
	size_t stream_bytes;
	struct imap_srch srch;
	enum ig_err err;  /* sticky */
	const char *errmsg;
	struct arena *arena;
	struct imap_resp resp;
	/* shift-reduce stacks for the value tree, reused between responses */
	struct imap_val *vstack;
	size_t vlen, vcap;
	size_t open[LIM_IMAP_NEST];
	/* an over-limit FETCH response being read to its end (parse_skip.h) */
	bool skipping;
	struct imap_skip skip;
	bool addrs_cut; /* an address list of this response was cut */
};

/* --- helpers --- */

static bool
sl_ieq(struct slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && (n == 0 || strncasecmp(s.p, lit, n) == 0);
}

static bool
sl_iprefix(struct slice s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len >= n && strncasecmp(s.p, lit, n) == 0;
}

bool
imap_parse_u64(struct slice s, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (s.len == 0 || s.len > 20)
		return false;
	for (i = 0; i < s.len; i++) {
		unsigned d;

		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		d = (unsigned)(s.p[i] - '0');
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, d, &v))
			return false;
	}
	*v_r = v;
	return true;
}

bool
imap_parse_u32(struct slice s, uint32_t *v_r)
{
	uint64_t v;

	if (!imap_parse_u64(s, &v) || v > UINT32_MAX)
		return false;
	*v_r = (uint32_t)v;
	return true;
}

static enum ig_err
fail(struct imap_parser *p, enum ig_err err, const char *msg)
{
	p->err = err;
	p->errmsg = msg;
	return err;
}

/* --- lifecycle --- */

struct imap_parser *
imap_parser_new(size_t max_response)
{
	struct imap_parser *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	imap_parser_set_max(p, max_response);
	buf_init(&p->raw, p->max);
	p->first_seg = true;
	return p;
}

void
imap_parser_set_max(struct imap_parser *p, size_t max_response)
{
	p->max = max_response == 0 || max_response > LIM_IMAP_RESPONSE ? LIM_IMAP_RESPONSE
								       : max_response;
}

static void
parser_clear(struct imap_parser *p)
{
	/* One large response must not pin its memory for the life of the
	 * connection: give big buffers back. */
	if (p->raw.cap > 2 * LIM_IMAP_LINE)
		buf_free(&p->raw);
	if (p->vcap > 4096) {
		free(p->vstack);
		p->vstack = NULL;
		p->vcap = 0;
	}
	buf_reset(&p->raw);
	p->raw.max = p->max;
	p->st = FR_LINE;
	p->seg_start = 0;
	p->lit_left = 0;
	p->n_literals = 0;
	p->cr = false;
	p->in_quote = false;
	p->esc = false;
	p->textual = false;
	p->first_seg = true;
	p->done = false;
	p->skipping = false;
	p->addrs_cut = false;
	p->probed = false;
	if (p->streamed)
		imap_srch_trim(&p->srch);
	p->streamed = false;
	p->stream_bytes = 0;
	arena_free(p->arena);
	p->arena = NULL;
	memset(&p->resp, 0, sizeof(p->resp));
	p->vlen = 0;
}

void
imap_parser_reset(struct imap_parser *p)
{
	parser_clear(p);
	p->err = IG_OK;
	p->errmsg = NULL;
}

void
imap_parser_free(struct imap_parser *p)
{
	if (p == NULL)
		return;
	buf_free(&p->raw);
	arena_free(p->arena);
	free(p->vstack);
	imap_srch_free(&p->srch);
	free(p);
}

/* --- framing --- */

/* A framing limit was hit: when the response is an untagged FETCH, the rest
 * of it is dropped unread (parse_skip.h) instead of failing the connection,
 * so one oversized message degrades only itself. lit_left: literal bytes
 * still to come. False when the response is anything else. */
static bool
skip_enter(struct imap_parser *p, size_t lit_left)
{
	struct imap_skip *k = &p->skip;

	/* before login (a small cap) nothing is worth reading on for */
	if (p->max <= LIM_IMAP_PREAUTH_RESPONSE || p->raw.p == NULL ||
	    !imap_skip_fetch_head((struct slice){p->raw.p, p->raw.len}, &k->seq, &k->has_uid,
				  &k->uid))
		return false;
	imap_skip_start(k, lit_left, p->in_quote, p->esc, p->cr,
			(struct slice){p->raw.p + p->seg_start, p->raw.len - p->seg_start});
	buf_free(&p->raw); /* nothing of it is kept; the memory goes back */
	buf_init(&p->raw, p->max);
	p->seg_start = 0;
	p->skipping = true;
	return true;
}

/* The FETCH reported for a response skipped or refused over a limit. */
static void
over_limit_fetch(struct imap_parser *p, uint32_t seq, bool has_uid, uint32_t uid)
{
	memset(&p->resp, 0, sizeof(p->resp));
	p->resp.kind = IMAP_RESP_UNTAGGED;
	p->resp.type = IMAP_U_FETCH;
	p->resp.u.fetch.seq = seq;
	p->resp.u.fetch.has_uid = has_uid;
	p->resp.u.fetch.uid = has_uid ? uid : 0;
	p->resp.u.fetch.over_limit = true;
}

/* Is the first line segment a response whose tail is free text (RFC 3501
 * resp-cond-state, resp-cond-bye, continue-req)? Such text never announces a
 * literal even when it ends in "{5}". */
static bool
segment_is_textual(struct slice seg)
{
	size_t i = 0;
	size_t start;
	struct slice tok;

	if (seg.len > 0 && seg.p[0] == '+')
		return true;
	if (seg.len < 2 || seg.p[0] != '*' || seg.p[1] != ' ')
		return true; /* tagged: always tag SP resp-cond-state */
	i = 2;
	start = i;
	while (i < seg.len && seg.p[i] != ' ' && seg.p[i] != '\r')
		i++;
	tok = (struct slice){seg.p + start, i - start};
	return sl_ieq(tok, "OK") || sl_ieq(tok, "NO") || sl_ieq(tok, "BAD") ||
	       sl_ieq(tok, "BYE") || sl_ieq(tok, "PREAUTH");
}

/* Looks for "{n}", "{n+}" or "~{n}" right before the CRLF of seg (which ends
 * in CRLF). Returns IG_OK with *n_r, IG_AGAIN when there is no literal, or an
 * error for a malformed or oversized announcement. */
static enum ig_err
segment_literal(struct imap_parser *p, struct slice seg, size_t *n_r)
{
	size_t end = seg.len - 2;
	size_t i;
	uint64_t n;
	struct slice digits;

	if (end == 0 || seg.p[end - 1] != '}')
		return IG_AGAIN;
	i = end - 1;
	if (i > 0 && seg.p[i - 1] == '+')
		i--;
	digits.p = seg.p + i;
	while (i > 0 && seg.p[i - 1] >= '0' && seg.p[i - 1] <= '9')
		i--;
	if (i == 0 || seg.p[i - 1] != '{')
		return IG_AGAIN; /* e.g. an atom ending in '}' */
	digits = (struct slice){seg.p + i, (size_t)(digits.p - (seg.p + i))};
	/* A literal may only start a value: after SP, '(' or at the start. */
	if (i >= 2 && seg.p[i - 2] == '~')
		i--;
	if (i >= 2 && seg.p[i - 2] != ' ' && seg.p[i - 2] != '(')
		return fail(p, IG_EINVAL, "literal announced inside a token");
	if (!imap_parse_u64(digits, &n))
		return fail(p, IG_EINVAL, "bad literal size");
	if (n > LIM_IMAP_LITERAL || n > p->max - p->raw.len || ++p->n_literals > LIM_IMAP_LITERALS) {
		if (n <= LIM_IMAP_SKIP && skip_enter(p, (size_t)n))
			return IG_AGAIN;
		return fail(p, IG_ELIMIT,
			    n > LIM_IMAP_LITERAL         ? "literal too large"
			    : n > p->max - p->raw.len   ? "response too large"
							: "too many literals");
	}
	*n_r = (size_t)n;
	return IG_OK;
}

/* Ends a line segment. IG_OK: the response is complete; IG_AGAIN: a literal
 * (or the line after a {0}) follows. */
static enum ig_err
segment_end(struct imap_parser *p)
{
	struct slice seg = {p->raw.p + p->seg_start, p->raw.len - p->seg_start};
	enum ig_err err;
	size_t n = 0;

	if (p->first_seg) {
		p->textual = segment_is_textual(seg);
		p->first_seg = false;
	}
	if (p->textual)
		return IG_OK;
	if (p->in_quote)
		return fail(p, IG_EINVAL, "unterminated quoted string");
	err = segment_literal(p, seg, &n);
	if (p->skipping)
		return IG_AGAIN; /* the framer drops the rest of this response */
	if (err == IG_AGAIN)
		return IG_OK;
	if (err != IG_OK)
		return err;
	p->seg_start = p->raw.len;
	if (n > 0) {
		p->st = FR_LITERAL;
		p->lit_left = n;
	}
	return IG_AGAIN;
}

/* Called while the first bytes of a response come in one at a time: at
 * "* SEARCH " or "* ESEARCH " the rest of the line goes to the streaming
 * reader (raw keeps the keyword; the CRLF is added when the line ends). */
static void
search_probe(struct imap_parser *p)
{
	struct slice seg = {p->raw.p, p->raw.len};
	bool es;

	if (seg.len >= SEARCH_PROBE)
		p->probed = true;
	if (sl_ieq(seg, "* SEARCH "))
		es = false;
	else if (sl_ieq(seg, "* ESEARCH "))
		es = true;
	else
		return;
	p->raw.len--; /* the SP */
	p->probed = true;
	p->streamed = true;
	p->st = FR_SEARCH;
	imap_srch_begin(&p->srch, es);
}

/* Feeds the streaming reader; IG_OK when its line ended. */
static enum ig_err
frame_search(struct imap_parser *p, const char *in, size_t len, size_t *used_r)
{
	const char *msg = NULL;
	enum ig_err err = imap_srch_feed(&p->srch, in, len, used_r, &msg);

	p->stream_bytes += *used_r; /* at most p->max + len: no overflow */
	if (p->stream_bytes > p->max - p->raw.len - 2)
		return fail(p, IG_ELIMIT, "response too large");
	if (err == IG_AGAIN)
		return IG_AGAIN;
	if (err != IG_OK)
		return fail(p, err, msg);
	buf_append(&p->raw, "\r\n", 2);
	if (buf_err(&p->raw) != IG_OK)
		return fail(p, buf_err(&p->raw), "response too large");
	p->st = FR_LINE;
	return IG_OK;
}

static bool
plain_byte(char c)
{
	return c != '\0' && c != '\r' && c != '\n' && c != '"' && c != '\\';
}

/* Takes bytes until a response completes. */
static enum ig_err
frame(struct imap_parser *p, const char *in, size_t len, size_t *used_r)
{
	size_t i = 0;
	enum ig_err err;

	while (i < len) {
		if (p->skipping) {
			size_t used = 0;

			err = imap_skip_feed(&p->skip, in + i, len - i, &used);
			i += used;
			if (err == IG_AGAIN)
				continue;
			if (err != IG_OK)
				return fail(p, err, "over-limit FETCH response malformed or too long");
			*used_r = i;
			return IG_OK;
		}
		if (p->st == FR_SEARCH) {
			size_t k = 0;

			err = frame_search(p, in + i, len - i, &k);
			i += k;
			if (err == IG_AGAIN)
				continue;
			*used_r = i;
			return err;
		}
		if (p->st == FR_LITERAL) {
			size_t k = len - i < p->lit_left ? len - i : p->lit_left;

			buf_append(&p->raw, in + i, k);
			if (buf_err(&p->raw) == IG_ELIMIT && skip_enter(p, p->lit_left))
				continue;
			if (buf_err(&p->raw) != IG_OK)
				return fail(p, buf_err(&p->raw), "response too large");
			i += k;
			p->lit_left -= k;
			if (p->lit_left == 0) {
				p->st = FR_LINE;
				p->seg_start = p->raw.len;
			}
			continue;
		}
		if (!p->cr && !p->esc && p->probed) {
			/* a run of bytes that change no state (no NUL, CR, LF,
			 * quote or backslash) is copied at once; the byte loop
			 * below handles the rest, the line limit included */
			size_t room = LIM_IMAP_LINE - (p->raw.len - p->seg_start);
			size_t j = i;

			while (j < len && j - i < room && plain_byte(in[j]))
				j++;
			if (j > i) {
				buf_append(&p->raw, in + i, j - i);
				if (buf_err(&p->raw) == IG_ELIMIT && skip_enter(p, 0))
					continue;
				if (buf_err(&p->raw) != IG_OK)
					return fail(p, buf_err(&p->raw), "response too large");
				i = j;
				continue;
			}
		}
		char c = in[i++];

		if (c == '\0')
			return fail(p, IG_EINVAL, "NUL in response line");
		if (p->cr && c != '\n')
			return fail(p, IG_EINVAL, "bare CR in response line");
		if (p->raw.len - p->seg_start >= LIM_IMAP_LINE) {
			if (skip_enter(p, 0)) {
				i--; /* c is the skipper's first byte */
				continue;
			}
			return fail(p, IG_ELIMIT, "response line too long");
		}
		buf_putc(&p->raw, c);
		if (buf_err(&p->raw) == IG_ELIMIT && skip_enter(p, 0)) {
			i--;
			continue;
		}
		if (buf_err(&p->raw) != IG_OK)
			return fail(p, buf_err(&p->raw), "response too large");
		if (!p->probed) {
			if (c == ' ' && p->first_seg && !p->in_quote)
				search_probe(p);
			else if (!p->first_seg || p->in_quote || c == '\r' ||
				 p->raw.len >= SEARCH_PROBE)
				p->probed = true;
			if (p->st == FR_SEARCH)
				continue;
		}
		if (c == '\r') {
			p->cr = true;
			continue;
		}
		if (c == '\n') {
			if (!p->cr)
				return fail(p, IG_EINVAL, "bare LF in response line");
			p->cr = false;
			err = segment_end(p);
			if (err == IG_AGAIN)
				continue;
			*used_r = i;
			return err;
		}
		if (p->in_quote) {
			if (p->esc)
				p->esc = false;
			else if (c == '\\')
				p->esc = true;
			else if (c == '"')
				p->in_quote = false;
		} else if (c == '"') {
			p->in_quote = true;
		}
	}
	*used_r = i;
	return IG_AGAIN;
}

/* --- tokenizer: the value tree --- */

struct cursor {
	const char *p;
	size_t i, len;
};

static bool
is_atom_char(char c)
{
	return c != ' ' && c != '(' && c != ')' && c != '"' && c != '{' && c != '\r' &&
	       c != '\n' && (unsigned char)c > 0x1f && c != 0x7f;
}

static enum ig_err
vpush(struct imap_parser *p, struct imap_val v)
{
	if (p->vlen == p->vcap) {
		size_t ncap = p->vcap != 0 ? p->vcap * 2 : 64;
		struct imap_val *nv;

		if (ncap > LIM_IMAP_VALUES)
			ncap = LIM_IMAP_VALUES;
		if (p->vlen >= ncap)
			return fail(p, IG_ELIMIT, "too many values in a response");
		nv = realloc(p->vstack, ncap * sizeof(*nv));
		if (nv == NULL)
			return fail(p, IG_ENOMEM, "out of memory");
		p->vstack = nv;
		p->vcap = ncap;
	}
	p->vstack[p->vlen++] = v;
	return IG_OK;
}

/* Moves the values above 'from' into an arena array. */
static struct imap_val *
vtake(struct imap_parser *p, size_t from, size_t *n_r)
{
	size_t n = p->vlen - from;
	struct imap_val *a;

	*n_r = n;
	if (n == 0)
		return NULL;
	a = arena_alloc(p->arena, n * sizeof(*a));
	if (a == NULL)
		return NULL;
	memcpy(a, p->vstack + from, n * sizeof(*a));
	p->vlen = from;
	return a;
}

static enum ig_err
tok_quoted(struct imap_parser *p, struct cursor *c, struct imap_val *v)
{
	size_t start = ++c->i; /* after the opening quote */
	size_t n_esc = 0;
	char *out;
	size_t j;
	size_t k;

	for (;;) {
		char ch;

		if (c->i >= c->len)
			return fail(p, IG_EINVAL, "unterminated quoted string");
		ch = c->p[c->i];
		if (ch == '\r' || ch == '\n')
			return fail(p, IG_EINVAL, "unterminated quoted string");
		if (ch == '"')
			break;
		if (ch == '\\') {
			if (c->i + 1 >= c->len ||
			    (c->p[c->i + 1] != '\\' && c->p[c->i + 1] != '"'))
				return fail(p, IG_EINVAL, "bad escape in quoted string");
			n_esc++;
			c->i++;
		}
		c->i++;
	}
	v->type = IMAP_VAL_STRING;
	if (n_esc == 0) {
		v->s = (struct slice){c->p + start, c->i - start};
	} else {
		out = arena_alloc(p->arena, c->i - start);
		if (out == NULL)
			return fail(p, IG_ENOMEM, "out of memory");
		for (j = start, k = 0; j < c->i; j++) {
			if (c->p[j] == '\\')
				j++;
			out[k++] = c->p[j];
		}
		v->s = (struct slice){out, k};
	}
	c->i++; /* closing quote */
	return IG_OK;
}

static enum ig_err
tok_literal(struct imap_parser *p, struct cursor *c, struct imap_val *v)
{
	size_t start;
	uint64_t n;

	v->type = IMAP_VAL_STRING;
	v->literal = true;
	if (c->p[c->i] == '~') {
		v->binary = true;
		c->i++;
		if (c->i >= c->len || c->p[c->i] != '{')
			return fail(p, IG_EINVAL, "bad literal");
	}
	start = ++c->i;
	while (c->i < c->len && c->p[c->i] >= '0' && c->p[c->i] <= '9')
		c->i++;
	if (!imap_parse_u64((struct slice){c->p + start, c->i - start}, &n))
		return fail(p, IG_EINVAL, "bad literal size");
	if (c->i < c->len && c->p[c->i] == '+')
		c->i++;
	/* The framer already bounded n against what is in the buffer. */
	if (c->len - c->i < 3 || c->p[c->i] != '}' || c->p[c->i + 1] != '\r' ||
	    c->p[c->i + 2] != '\n' || n > c->len - c->i - 3)
		return fail(p, IG_EINVAL, "literal not at the end of a line");
	c->i += 3;
	v->s = (struct slice){c->p + c->i, (size_t)n};
	c->i += (size_t)n;
	return IG_OK;
}

/* An atom; '[' ... ']' inside it is taken whole (BODY[HEADER.FIELDS (A B)]). */
static enum ig_err
tok_atom(struct imap_parser *p, struct cursor *c, struct imap_val *v)
{
	size_t start = c->i;

	while (c->i < c->len && is_atom_char(c->p[c->i])) {
		if (c->p[c->i] == '[') {
			while (c->i < c->len && c->p[c->i] != ']' && c->p[c->i] != '\r')
				c->i++;
			if (c->i >= c->len || c->p[c->i] != ']')
				return fail(p, IG_EINVAL, "unterminated '['");
		}
		c->i++;
	}
	if (c->i == start)
		return fail(p, IG_EINVAL, "unexpected character");
	v->s = (struct slice){c->p + start, c->i - start};
	v->type = sl_ieq(v->s, "NIL") ? IMAP_VAL_NIL : IMAP_VAL_ATOM;
	return IG_OK;
}

/* Tokenizes c up to the final CRLF into p->resp.vals. */
static enum ig_err
tokenize(struct imap_parser *p, struct cursor *c)
{
	size_t depth = 0;
	bool need_sep = false;
	enum ig_err err;

	p->vlen = 0;
	for (;;) {
		struct imap_val v;
		char ch;

		if (c->i >= c->len)
			return fail(p, IG_EINVAL, "response not terminated");
		ch = c->p[c->i];
		if (ch == '\r') {
			if (depth != 0)
				return fail(p, IG_EINVAL, "unbalanced parentheses");
			break;
		}
		if (ch == ')') {
			struct imap_val *kids;
			size_t n;

			if (depth == 0)
				return fail(p, IG_EINVAL, "unbalanced parentheses");
			depth--;
			kids = vtake(p, p->open[depth], &n);
			if (n > 0 && kids == NULL)
				return fail(p, IG_ENOMEM, "out of memory");
			memset(&v, 0, sizeof(v));
			v.type = IMAP_VAL_LIST;
			v.kids = kids;
			v.n = n;
			err = vpush(p, v);
			if (err != IG_OK)
				return err;
			c->i++;
			need_sep = true;
			continue;
		}
		/* Adjacent lists need no space: address lists and multipart
		 * bodies are written "(...)(...)" (RFC 3501 §9). */
		if (need_sep && ch == '(' && c->i > 0 && c->p[c->i - 1] == ')')
			need_sep = false;
		if (need_sep) {
			if (ch != ' ')
				return fail(p, IG_EINVAL, "missing space between values");
			c->i++;
			need_sep = false;
			continue;
		}
		if (depth > 0 && p->vlen - p->open[depth - 1] >= LIM_IMAP_LIST_ITEMS)
			return fail(p, IG_ELIMIT, "list too long");
		if (ch == '(') {
			if (depth >= LIM_IMAP_NEST)
				return fail(p, IG_ELIMIT, "nesting too deep");
			p->open[depth++] = p->vlen;
			c->i++;
			continue;
		}
		memset(&v, 0, sizeof(v));
		if (ch == '"')
			err = tok_quoted(p, c, &v);
		else if (ch == '{' || ch == '~')
			err = tok_literal(p, c, &v);
		else
			err = tok_atom(p, c, &v);
		if (err != IG_OK)
			return err;
		err = vpush(p, v);
		if (err != IG_OK)
			return err;
		need_sep = true;
	}
	p->resp.vals = vtake(p, 0, &p->resp.n_vals);
	if (p->resp.n_vals > 0 && p->resp.vals == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	return IG_OK;
}

/* --- typed readers --- */

static bool
val_num32(const struct imap_val *v, uint32_t *n_r)
{
	return v->type == IMAP_VAL_ATOM && imap_parse_u32(v->s, n_r);
}

static bool
val_num64(const struct imap_val *v, uint64_t *n_r)
{
	return v->type == IMAP_VAL_ATOM && imap_parse_u64(v->s, n_r);
}

/* nstring: a string or NIL (empty slice). */
static bool
val_nstring(const struct imap_val *v, struct slice *s_r, bool *nil_r)
{
	if (v->type == IMAP_VAL_NIL) {
		*s_r = (struct slice){"", 0};
		if (nil_r != NULL)
			*nil_r = true;
		return true;
	}
	if (nil_r != NULL)
		*nil_r = false;
	if (v->type != IMAP_VAL_STRING)
		return false;
	*s_r = v->s;
	return true;
}

/* astring: an atom or a string. */
static bool
val_astring(const struct imap_val *v, struct slice *s_r)
{
	if (v->type != IMAP_VAL_ATOM && v->type != IMAP_VAL_STRING)
		return false;
	*s_r = v->s;
	return true;
}

static enum ig_err
read_atoms(struct imap_parser *p, const struct imap_val *v, size_t n, struct imap_caps *out)
{
	size_t i;

	out->n = 0;
	out->names = NULL;
	if (n == 0)
		return IG_OK;
	out->names = arena_alloc(p->arena, n * sizeof(*out->names));
	if (out->names == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (v[i].type != IMAP_VAL_ATOM)
			return fail(p, IG_EINVAL, "expected an atom");
		out->names[out->n++] = v[i].s;
	}
	return IG_OK;
}

static enum ig_err
read_list(struct imap_parser *p, const struct imap_val *v, size_t n, struct imap_list *l)
{
	struct imap_caps attrs;
	enum ig_err err;

	if (n != 3 || v[0].type != IMAP_VAL_LIST)
		return fail(p, IG_EINVAL, "malformed LIST response");
	err = read_atoms(p, v[0].kids, v[0].n, &attrs);
	if (err != IG_OK)
		return err;
	l->attrs = attrs.names;
	l->n_attrs = attrs.n;
	if (v[1].type == IMAP_VAL_NIL)
		l->delim = 0;
	else if (v[1].type == IMAP_VAL_STRING && v[1].s.len == 1 && v[1].s.p[0] != '\0')
		l->delim = v[1].s.p[0];
	else
		return fail(p, IG_EINVAL, "malformed LIST delimiter");
	if (!val_astring(&v[2], &l->name))
		return fail(p, IG_EINVAL, "malformed LIST mailbox");
	return IG_OK;
}

static enum ig_err
read_status(struct imap_parser *p, const struct imap_val *v, size_t n, struct imap_status *st)
{
	size_t i;

	if (n != 2 || !val_astring(&v[0], &st->mailbox) || v[1].type != IMAP_VAL_LIST ||
	    v[1].n % 2 != 0)
		return fail(p, IG_EINVAL, "malformed STATUS response");
	for (i = 0; i < v[1].n; i += 2) {
		const struct imap_val *k = &v[1].kids[i];
		const struct imap_val *x = &v[1].kids[i + 1];
		bool ok = true;

		if (k->type != IMAP_VAL_ATOM)
			ok = false;
		else if (sl_ieq(k->s, "MESSAGES"))
			ok = st->has_messages = val_num32(x, &st->messages);
		else if (sl_ieq(k->s, "RECENT"))
			ok = st->has_recent = val_num32(x, &st->recent);
		else if (sl_ieq(k->s, "UIDNEXT"))
			ok = st->has_uidnext = val_num32(x, &st->uidnext);
		else if (sl_ieq(k->s, "UIDVALIDITY"))
			ok = st->has_uidvalidity = val_num32(x, &st->uidvalidity);
		else if (sl_ieq(k->s, "UNSEEN"))
			ok = st->has_unseen = val_num32(x, &st->unseen);
		else if (sl_ieq(k->s, "HIGHESTMODSEQ"))
			ok = st->has_highestmodseq = val_num64(x, &st->highestmodseq);
		else if (sl_ieq(k->s, "SIZE"))
			ok = st->has_size = val_num64(x, &st->size);
		if (!ok)
			return fail(p, IG_EINVAL, "malformed STATUS item");
	}
	return IG_OK;
}

static enum ig_err
read_addrs(struct imap_parser *p, const struct imap_val *v, struct imap_addr_list *out)
{
	size_t i;

	out->a = NULL;
	out->n = 0;
	if (v->type == IMAP_VAL_NIL)
		return IG_OK;
	if (v->type != IMAP_VAL_LIST || v->n == 0)
		return fail(p, IG_EINVAL, "malformed address list");
	/* more than LIM_IMAP_ADDRESSES: the first ones are kept and the FETCH
	 * is marked over_limit (one message's envelope is cut, nothing else) */
	if (v->n > LIM_IMAP_ADDRESSES)
		p->addrs_cut = true;
	out->a = arena_alloc(p->arena,
			     (v->n < LIM_IMAP_ADDRESSES ? v->n : LIM_IMAP_ADDRESSES) * sizeof(*out->a));
	if (out->a == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	for (i = 0; i < v->n && i < LIM_IMAP_ADDRESSES; i++) {
		const struct imap_val *x = &v->kids[i];
		struct imap_address *a = &out->a[i];
		bool adl_nil;

		if (x->type != IMAP_VAL_LIST || x->n != 4 ||
		    !val_nstring(&x->kids[0], &a->name, &a->name_nil) ||
		    !val_nstring(&x->kids[1], &a->adl, &adl_nil) ||
		    !val_nstring(&x->kids[2], &a->mailbox, &a->mailbox_nil) ||
		    !val_nstring(&x->kids[3], &a->host, &a->host_nil))
			return fail(p, IG_EINVAL, "malformed address");
		out->n++;
	}
	return IG_OK;
}

static enum ig_err
read_envelope(struct imap_parser *p, const struct imap_val *v, struct imap_envelope **env_r)
{
	struct imap_envelope *e;
	const struct imap_val *k;
	enum ig_err err = IG_OK;

	if (v->type != IMAP_VAL_LIST || v->n != 10)
		return fail(p, IG_EINVAL, "malformed ENVELOPE");
	k = v->kids;
	e = arena_alloc(p->arena, sizeof(*e));
	if (e == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	memset(e, 0, sizeof(*e));
	if (!val_nstring(&k[0], &e->date, NULL) || !val_nstring(&k[1], &e->subject, NULL) ||
	    !val_nstring(&k[8], &e->in_reply_to, NULL) ||
	    !val_nstring(&k[9], &e->message_id, NULL))
		return fail(p, IG_EINVAL, "malformed ENVELOPE");
	err = read_addrs(p, &k[2], &e->from);
	if (err == IG_OK)
		err = read_addrs(p, &k[3], &e->sender);
	if (err == IG_OK)
		err = read_addrs(p, &k[4], &e->reply_to);
	if (err == IG_OK)
		err = read_addrs(p, &k[5], &e->to);
	if (err == IG_OK)
		err = read_addrs(p, &k[6], &e->cc);
	if (err == IG_OK)
		err = read_addrs(p, &k[7], &e->bcc);
	*env_r = e;
	return err;
}

static enum ig_err
read_params(struct imap_parser *p, const struct imap_val *v, struct imap_param **pp_r,
	    size_t *n_r)
{
	size_t i;

	*pp_r = NULL;
	*n_r = 0;
	if (v->type == IMAP_VAL_NIL)
		return IG_OK;
	if (v->type != IMAP_VAL_LIST || v->n % 2 != 0)
		return fail(p, IG_EINVAL, "malformed body parameters");
	if (v->n == 0)
		return IG_OK;
	*pp_r = arena_alloc(p->arena, v->n / 2 * sizeof(**pp_r));
	if (*pp_r == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	for (i = 0; i < v->n; i += 2) {
		if (v->kids[i].type != IMAP_VAL_STRING || v->kids[i + 1].type != IMAP_VAL_STRING)
			return fail(p, IG_EINVAL, "malformed body parameter");
		(*pp_r)[i / 2].name = v->kids[i].s;
		(*pp_r)[i / 2].value = v->kids[i + 1].s;
	}
	*n_r = v->n / 2;
	return IG_OK;
}

/* Extension data shared by single and multipart bodies: disposition at
 * index di (the language and location after it are not kept). */
static enum ig_err
read_disposition(struct imap_parser *p, const struct imap_val *k, size_t n, size_t di,
		 struct imap_body *b)
{
	const struct imap_val *d;

	if (di >= n || k[di].type == IMAP_VAL_NIL)
		return IG_OK;
	d = &k[di];
	if (d->type != IMAP_VAL_LIST || d->n != 2 || d->kids[0].type != IMAP_VAL_STRING)
		return fail(p, IG_EINVAL, "malformed body disposition");
	b->disposition = d->kids[0].s;
	return read_params(p, &d->kids[1], &b->disp_params, &b->n_disp_params);
}

struct body_job {
	const struct imap_val *v;
	struct imap_body *b;
};

/* Reads one single-part body; *child_r is set for message/rfc822. */
static enum ig_err
read_body_single(struct imap_parser *p, const struct imap_val *v, struct imap_body *b,
		 const struct imap_val **child_r)
{
	const struct imap_val *k = v->kids;
	size_t n = v->n;
	size_t ext;
	enum ig_err err;

	*child_r = NULL;
	if (n < 7 || k[0].type != IMAP_VAL_STRING || k[1].type != IMAP_VAL_STRING ||
	    !val_nstring(&k[3], &b->id, NULL) || !val_nstring(&k[4], &b->description, NULL) ||
	    !val_nstring(&k[5], &b->encoding, NULL) || !val_num32(&k[6], &b->size))
		return fail(p, IG_EINVAL, "malformed BODYSTRUCTURE part");
	b->type = k[0].s;
	b->subtype = k[1].s;
	err = read_params(p, &k[2], &b->params, &b->n_params);
	if (err != IG_OK)
		return err;
	ext = 7;
	if (sl_ieq(b->type, "MESSAGE") &&
	    (sl_ieq(b->subtype, "RFC822") || sl_ieq(b->subtype, "GLOBAL"))) {
		if (n < 10 || k[8].type != IMAP_VAL_LIST || !val_num32(&k[9], &b->lines))
			return fail(p, IG_EINVAL, "malformed message/rfc822 part");
		err = read_envelope(p, &k[7], &b->envelope);
		if (err != IG_OK)
			return err;
		*child_r = &k[8];
		ext = 10;
	} else if (sl_ieq(b->type, "TEXT")) {
		if (n < 8 || !val_num32(&k[7], &b->lines))
			return fail(p, IG_EINVAL, "malformed text part");
		ext = 8;
	}
	if (ext < n && !val_nstring(&k[ext], &b->md5, NULL))
		return fail(p, IG_EINVAL, "malformed body MD5");
	return read_disposition(p, k, n, ext + 1, b);
}

/* BODYSTRUCTURE to a tree, with an explicit stack (no recursion) bounded by
 * LIM_IMAP_BODY_PARTS, depth by LIM_IMAP_BODY_DEPTH. */
static enum ig_err
read_body(struct imap_parser *p, const struct imap_val *v, struct imap_body **root_r)
{
	struct body_job *stack;
	size_t top = 0;
	size_t parts = 1;
	enum ig_err err = IG_OK;
	struct imap_body *root;

	root = arena_alloc(p->arena, sizeof(*root));
	stack = malloc(LIM_IMAP_BODY_PARTS * sizeof(*stack));
	if (root == NULL || stack == NULL) {
		free(stack);
		return fail(p, IG_ENOMEM, "out of memory");
	}
	memset(root, 0, sizeof(*root));
	stack[top++] = (struct body_job){v, root};
	while (top > 0 && err == IG_OK) {
		struct body_job j = stack[--top];
		const struct imap_val *k = j.v->kids;
		const struct imap_val *child = NULL;
		size_t nk = 0;
		size_t i;

		if (j.v->type != IMAP_VAL_LIST || j.v->n == 0) {
			err = fail(p, IG_EINVAL, "malformed BODYSTRUCTURE");
			break;
		}
		if (j.b->depth >= LIM_IMAP_BODY_DEPTH) {
			err = fail(p, IG_ELIMIT, "BODYSTRUCTURE too deep");
			break;
		}
		if (k[0].type == IMAP_VAL_LIST) {
			while (nk < j.v->n && k[nk].type == IMAP_VAL_LIST)
				nk++;
			if (nk >= j.v->n || k[nk].type != IMAP_VAL_STRING) {
				err = fail(p, IG_EINVAL, "malformed multipart");
				break;
			}
			j.b->type = (struct slice){"MULTIPART", 9};
			j.b->subtype = k[nk].s;
			if (nk + 1 < j.v->n)
				err = read_params(p, &k[nk + 1], &j.b->params, &j.b->n_params);
			if (err == IG_OK)
				err = read_disposition(p, k, j.v->n, nk + 2, j.b);
		} else {
			err = read_body_single(p, j.v, j.b, &child);
			nk = child != NULL ? 1 : 0;
		}
		if (err != IG_OK || nk == 0)
			continue;
		if (nk > LIM_IMAP_BODY_PARTS - parts) {
			err = fail(p, IG_ELIMIT, "too many BODYSTRUCTURE parts");
			break;
		}
		parts += nk;
		j.b->kids = arena_alloc(p->arena, nk * sizeof(*j.b->kids));
		if (j.b->kids == NULL) {
			err = fail(p, IG_ENOMEM, "out of memory");
			break;
		}
		memset(j.b->kids, 0, nk * sizeof(*j.b->kids));
		j.b->n_kids = nk;
		/* top + nk <= parts - 1 < LIM_IMAP_BODY_PARTS: jobs pending are
		 * parts not yet read, so the stack cannot overflow. */
		for (i = nk; i > 0; i--) {
			struct imap_body *kb = &j.b->kids[i - 1];

			kb->depth = j.b->depth + 1;
			stack[top++] = (struct body_job){child != NULL ? child : &k[i - 1], kb};
		}
	}
	free(stack);
	*root_r = root;
	return err;
}

/* "BODY[section]<origin>" or "BINARY[...]": splits the atom. */
static bool
split_section(struct slice a, struct slice *section_r, uint32_t *origin_r)
{
	const char *lb = memchr(a.p, '[', a.len);
	const char *rb;
	size_t rest;

	if (lb == NULL)
		return false;
	rb = memchr(lb, ']', a.len - (size_t)(lb - a.p));
	if (rb == NULL)
		return false;
	*section_r = (struct slice){lb + 1, (size_t)(rb - lb - 1)};
	*origin_r = 0;
	rest = a.len - (size_t)(rb + 1 - a.p);
	if (rest == 0)
		return true;
	if (rest < 3 || rb[1] != '<' || rb[rest] != '>')
		return false;
	return imap_parse_u32((struct slice){rb + 2, rest - 2}, origin_r);
}

/* An ENVELOPE or BODYSTRUCTURE over its limit: the item is dropped and the
 * FETCH marked over_limit; the other items are still read. */
static enum ig_err
over_limit_item(struct imap_parser *p, struct imap_fetch *f)
{
	f->over_limit = true;
	p->err = IG_OK;
	p->errmsg = NULL;
	return IG_OK;
}

static enum ig_err
read_fetch(struct imap_parser *p, const struct imap_val *items, struct imap_fetch *f)
{
	size_t i;
	enum ig_err err = IG_OK;

	if (items->type != IMAP_VAL_LIST || items->n % 2 != 0)
		return fail(p, IG_EINVAL, "malformed FETCH response");
	for (i = 0; i < items->n && err == IG_OK; i += 2) {
		const struct imap_val *k = &items->kids[i];
		const struct imap_val *x = &items->kids[i + 1];
		struct imap_caps fl;
		bool ok = true;

		if (k->type != IMAP_VAL_ATOM)
			return fail(p, IG_EINVAL, "malformed FETCH item");
		if (sl_ieq(k->s, "UID")) {
			ok = f->has_uid = val_num32(x, &f->uid) && f->uid != 0;
		} else if (sl_ieq(k->s, "FLAGS")) {
			if (x->type != IMAP_VAL_LIST)
				return fail(p, IG_EINVAL, "malformed FLAGS");
			err = read_atoms(p, x->kids, x->n, &fl);
			f->flags = fl.names;
			f->n_flags = fl.n;
			f->has_flags = true;
		} else if (sl_ieq(k->s, "INTERNALDATE")) {
			ok = f->has_internaldate = x->type == IMAP_VAL_STRING;
			f->internaldate = x->s;
		} else if (sl_ieq(k->s, "RFC822.SIZE")) {
			ok = f->has_size = val_num32(x, &f->size);
		} else if (sl_ieq(k->s, "MODSEQ")) {
			ok = f->has_modseq = x->type == IMAP_VAL_LIST && x->n == 1 &&
					     val_num64(&x->kids[0], &f->modseq);
		} else if (sl_ieq(k->s, "ENVELOPE")) {
			err = read_envelope(p, x, &f->envelope);
		} else if (sl_ieq(k->s, "BODYSTRUCTURE") || sl_ieq(k->s, "BODY")) {
			err = read_body(p, x, &f->body);
			if (err == IG_ELIMIT) { /* too deep, too many parts */
				f->body = NULL;
				err = over_limit_item(p, f);
			}
		} else if (sl_iprefix(k->s, "BODY[") || sl_iprefix(k->s, "BINARY[")) {
			if (f->has_section)
				continue; /* first one wins; callers ask for one */
			if (!split_section(k->s, &f->section, &f->origin))
				return fail(p, IG_EINVAL, "malformed BODY[] item");
			if (!val_nstring(x, &f->section_data, &f->section_nil))
				return fail(p, IG_EINVAL, "malformed BODY[] data");
			f->has_section = true;
		}
		if (!ok)
			return fail(p, IG_EINVAL, "malformed FETCH item");
	}
	if (p->addrs_cut)
		f->over_limit = true;
	return err;
}

static const struct {
	const char *name;
	enum imap_code code;
} codes[] = {
	{"ALERT", IMAP_CODE_ALERT},
	{"TRYCREATE", IMAP_CODE_TRYCREATE},
	{"NONEXISTENT", IMAP_CODE_NONEXISTENT},
	{"ALREADYEXISTS", IMAP_CODE_ALREADYEXISTS},
	{"AUTHENTICATIONFAILED", IMAP_CODE_AUTHENTICATIONFAILED},
	{"AUTHORIZATIONFAILED", IMAP_CODE_AUTHORIZATIONFAILED},
	{"UNAVAILABLE", IMAP_CODE_UNAVAILABLE},
	{"PRIVACYREQUIRED", IMAP_CODE_PRIVACYREQUIRED},
	{"UIDVALIDITY", IMAP_CODE_UIDVALIDITY},
	{"UIDNEXT", IMAP_CODE_UIDNEXT},
	{"UNSEEN", IMAP_CODE_UNSEEN},
	{"HIGHESTMODSEQ", IMAP_CODE_HIGHESTMODSEQ},
	{"NOMODSEQ", IMAP_CODE_NOMODSEQ},
	{"PERMANENTFLAGS", IMAP_CODE_PERMANENTFLAGS},
	{"READ-ONLY", IMAP_CODE_READ_ONLY},
	{"READ-WRITE", IMAP_CODE_READ_WRITE},
	{"CAPABILITY", IMAP_CODE_CAPABILITY},
	{"APPENDUID", IMAP_CODE_APPENDUID},
	{"COPYUID", IMAP_CODE_COPYUID},
	{"MODIFIED", IMAP_CODE_MODIFIED},
	{"CLOSED", IMAP_CODE_CLOSED},
	{"LIMIT", IMAP_CODE_LIMIT},
	{"OVERQUOTA", IMAP_CODE_OVERQUOTA},
	{"CANNOT", IMAP_CODE_CANNOT},
	{"EXPIRED", IMAP_CODE_EXPIRED},
	{"CONTACTADMIN", IMAP_CODE_CONTACTADMIN},
	{"NOPERM", IMAP_CODE_NOPERM},
	{"INUSE", IMAP_CODE_INUSE},
	{"EXPUNGEISSUED", IMAP_CODE_EXPUNGEISSUED},
	{"CORRUPTION", IMAP_CODE_CORRUPTION},
	{"SERVERBUG", IMAP_CODE_SERVERBUG},
	{"CLIENTBUG", IMAP_CODE_CLIENTBUG},
	{"HASCHILDREN", IMAP_CODE_HASCHILDREN},
};

/* Splits a space-separated argument into atoms (CAPABILITY, PERMANENTFLAGS). */
static enum ig_err
split_words(struct imap_parser *p, struct slice s, struct imap_caps *out)
{
	size_t i;
	size_t n = 0;
	size_t start;

	out->n = 0;
	out->names = NULL;
	if (s.len > 0 && s.p[0] == '(') {
		if (s.p[s.len - 1] != ')')
			return fail(p, IG_EINVAL, "malformed response code");
		s.p++;
		s.len -= 2;
	}
	for (i = 0; i < s.len; i++)
		n += s.p[i] == ' ';
	out->names = arena_alloc(p->arena, (n + 1) * sizeof(*out->names));
	if (out->names == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	for (i = 0, start = 0; i <= s.len; i++) {
		if (i < s.len && s.p[i] != ' ')
			continue;
		if (i > start)
			out->names[out->n++] = (struct slice){s.p + start, i - start};
		start = i + 1;
	}
	return IG_OK;
}

/* Reads the numbers at the start of a code argument ("3857529045 4000:4002"). */
static void
code_numbers(struct imap_resp *r)
{
	struct slice a = r->code_arg;
	size_t i;
	size_t k = 0;
	size_t start = 0;

	for (i = 0; i <= a.len && k < 2; i++) {
		if (i < a.len && a.p[i] != ' ')
			continue;
		if (!imap_parse_u32((struct slice){a.p + start, i - start}, &r->code_num[k]))
			return;
		k++;
		start = i + 1;
	}
}

/* resp-text: ["[" resp-text-code "]" SP] text, up to the CRLF. */
static enum ig_err
read_text(struct imap_parser *p, struct cursor *c)
{
	struct imap_resp *r = &p->resp;
	size_t end = c->len - 2; /* the final CRLF */
	size_t i;
	size_t j;
	enum ig_err err = IG_OK;

	if (c->i < end && c->p[c->i] == '[') {
		i = c->i + 1;
		while (i < end && c->p[i] != ']' && c->p[i] != ' ')
			i++;
		r->code_name = (struct slice){c->p + c->i + 1, i - c->i - 1};
		j = i;
		while (j < end && c->p[j] != ']')
			j++;
		if (j >= end || r->code_name.len == 0)
			return fail(p, IG_EINVAL, "malformed response code");
		if (i < j)
			r->code_arg = (struct slice){c->p + i + 1, j - i - 1};
		r->code = IMAP_CODE_OTHER;
		for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
			if (sl_ieq(r->code_name, codes[i].name))
				r->code = codes[i].code;
		}
		if (r->code == IMAP_CODE_CAPABILITY)
			err = split_words(p, r->code_arg, &r->u.caps);
		else if (r->code == IMAP_CODE_PERMANENTFLAGS)
			err = split_words(p, r->code_arg, &r->flags);
		else if (r->code == IMAP_CODE_HIGHESTMODSEQ)
			(void)imap_parse_u64(r->code_arg, &r->code_modseq);
		else
			code_numbers(r);
		if (err != IG_OK)
			return err;
		c->i = j + 1;
		if (c->i < end && c->p[c->i] == ' ')
			c->i++;
	}
	r->text = (struct slice){c->p + c->i, end - c->i};
	return IG_OK;
}

/* Reads the next space-terminated word at c (tag, '*', condition). */
static struct slice
next_word(struct cursor *c)
{
	size_t start = c->i;
	size_t end = c->len - 2;

	while (c->i < end && c->p[c->i] != ' ')
		c->i++;
	return (struct slice){c->p + start, c->i - start};
}

static bool
cond_parse(struct slice w, enum imap_cond *c_r)
{
	static const char *const names[] = {"OK", "NO", "BAD", "BYE", "PREAUTH"};
	static const enum imap_cond conds[] = {IMAP_OK, IMAP_NO, IMAP_BAD, IMAP_BYE,
					       IMAP_PREAUTH};
	size_t i;

	for (i = 0; i < 5; i++) {
		if (sl_ieq(w, names[i])) {
			*c_r = conds[i];
			return true;
		}
	}
	return false;
}

static enum ig_err
read_untagged_data(struct imap_parser *p)
{
	struct imap_resp *r = &p->resp;
	const struct imap_val *v = r->vals;
	size_t n = r->n_vals;
	struct slice name;
	uint32_t num;

	r->type = IMAP_U_OTHER;
	if (n == 0 || v[0].type != IMAP_VAL_ATOM)
		return fail(p, IG_EINVAL, "malformed untagged response");
	if (v[0].s.p[0] >= '0' && v[0].s.p[0] <= '9') {
		if (!imap_parse_u32(v[0].s, &num))
			return fail(p, IG_EINVAL, "bad message number");
		if (n < 2 || v[1].type != IMAP_VAL_ATOM)
			return fail(p, IG_EINVAL, "malformed untagged response");
		name = v[1].s;
		if (sl_ieq(name, "EXISTS") || sl_ieq(name, "RECENT") || sl_ieq(name, "EXPUNGE")) {
			if (n != 2)
				return fail(p, IG_EINVAL, "malformed message status");
			r->type = sl_ieq(name, "EXISTS")   ? IMAP_U_EXISTS
				  : sl_ieq(name, "RECENT") ? IMAP_U_RECENT
							   : IMAP_U_EXPUNGE;
			r->u.num = num;
			return IG_OK;
		}
		if (sl_ieq(name, "FETCH")) {
			if (n != 3 || num == 0)
				return fail(p, IG_EINVAL, "malformed FETCH response");
			r->type = IMAP_U_FETCH;
			r->u.fetch.seq = num;
			return read_fetch(p, &v[2], &r->u.fetch);
		}
		return IG_OK;
	}
	name = v[0].s;
	if (sl_ieq(name, "CAPABILITY") || sl_ieq(name, "ENABLED")) {
		r->type = sl_ieq(name, "ENABLED") ? IMAP_U_ENABLED : IMAP_U_CAPABILITY;
		return read_atoms(p, v + 1, n - 1, &r->u.caps);
	}
	if (sl_ieq(name, "LIST") || sl_ieq(name, "LSUB")) {
		r->type = sl_ieq(name, "LIST") ? IMAP_U_LIST : IMAP_U_LSUB;
		/* RFC 5258 mbox-list-extended items after the name are ignored */
		return read_list(p, v + 1, n - 1 > 3 ? 3 : n - 1, &r->u.list);
	}
	if (sl_ieq(name, "STATUS")) {
		r->type = IMAP_U_STATUS;
		return read_status(p, v + 1, n - 1, &r->u.status);
	}
	if (sl_ieq(name, "FLAGS")) {
		r->type = IMAP_U_FLAGS;
		if (n != 2 || v[1].type != IMAP_VAL_LIST)
			return fail(p, IG_EINVAL, "malformed FLAGS response");
		return read_atoms(p, v[1].kids, v[1].n, &r->flags);
	}
	if (sl_ieq(name, "SEARCH") || sl_ieq(name, "ESEARCH")) {
		/* the body, if any, was streamed (framing); "* SEARCH" CRLF
		 * alone is an empty result */
		r->type = sl_ieq(name, "SEARCH") ? IMAP_U_SEARCH : IMAP_U_ESEARCH;
		if (n != 1)
			return fail(p, IG_EINVAL, "malformed SEARCH response");
		if (p->streamed && r->type == IMAP_U_SEARCH)
			imap_srch_search(&p->srch, &r->u.search);
		else if (p->streamed)
			imap_srch_esearch(&p->srch, &r->u.esearch);
		return IG_OK;
	}
	if (sl_ieq(name, "VANISHED")) {
		size_t i = 1;

		r->type = IMAP_U_VANISHED;
		if (n > 1 && v[1].type == IMAP_VAL_LIST) {
			if (v[1].n != 1 || v[1].kids[0].type != IMAP_VAL_ATOM ||
			    !sl_ieq(v[1].kids[0].s, "EARLIER"))
				return fail(p, IG_EINVAL, "malformed VANISHED response");
			r->u.vanished.earlier = true;
			i++;
		}
		if (n != i + 1 || v[i].type != IMAP_VAL_ATOM)
			return fail(p, IG_EINVAL, "malformed VANISHED response");
		r->u.vanished.uids = v[i].s;
		return IG_OK;
	}
	if (sl_ieq(name, "ID"))
		r->type = IMAP_U_ID;
	return IG_OK;
}

/* Reads the complete response in p->raw. */
static enum ig_err
read_response(struct imap_parser *p)
{
	struct imap_resp *r = &p->resp;
	struct cursor c = {p->raw.p, 0, p->raw.len};
	struct slice w;

	p->arena = arena_new(2 * (size_t)LIM_IMAP_RESPONSE);
	if (p->arena == NULL)
		return fail(p, IG_ENOMEM, "out of memory");
	if (c.p[0] == '+') {
		r->kind = IMAP_RESP_CONTINUE;
		c.i = 1;
		if (c.i < c.len - 2 && c.p[c.i] == ' ')
			c.i++;
		r->text = (struct slice){c.p + c.i, c.len - 2 - c.i};
		return IG_OK;
	}
	w = next_word(&c);
	if (w.len == 0 || c.i >= c.len - 2)
		return fail(p, IG_EINVAL, "malformed response");
	c.i++; /* SP */
	if (sl_eq(w, SL_LIT("*"))) {
		struct cursor save = c;

		r->kind = IMAP_RESP_UNTAGGED;
		if (p->textual) {
			w = next_word(&c);
			if (!cond_parse(w, &r->cond))
				return fail(p, IG_EINVAL, "malformed response");
			r->type = IMAP_U_COND;
			if (c.i < c.len - 2)
				c.i++;
			return read_text(p, &c);
		}
		c = save;
		if (tokenize(p, &c) != IG_OK)
			return p->err;
		return read_untagged_data(p);
	}
	r->kind = IMAP_RESP_TAGGED;
	r->tag = w;
	for (size_t i = 0; i < w.len; i++) {
		if (!is_atom_char(w.p[i]) || w.p[i] == '+' || w.p[i] == '%' || w.p[i] == ']')
			return fail(p, IG_EINVAL, "malformed tag");
	}
	w = next_word(&c);
	if (!cond_parse(w, &r->cond) || r->cond == IMAP_BYE || r->cond == IMAP_PREAUTH)
		return fail(p, IG_EINVAL, "malformed tagged response");
	if (c.i < c.len - 2)
		c.i++;
	return read_text(p, &c);
}

/* A complete untagged FETCH response over a tokenizer limit (values, list
 * length, nesting): reported as an over-limit FETCH of its message instead
 * of failing the connection. */
static bool
refuse_fetch(struct imap_parser *p)
{
	uint32_t seq = 0;
	uint32_t uid = 0;
	bool has_uid = false;

	if (p->raw.p == NULL ||
	    !imap_skip_fetch_head((struct slice){p->raw.p, p->raw.len}, &seq, &has_uid, &uid))
		return false;
	p->err = IG_OK;
	p->errmsg = NULL;
	over_limit_fetch(p, seq, has_uid, uid);
	return true;
}

enum ig_err
imap_parser_feed(struct imap_parser *p, const char *in, size_t len, size_t *used_r,
		 const struct imap_resp **resp_r, const char **error_r)
{
	enum ig_err err;

	*used_r = 0;
	*resp_r = NULL;
	if (p->err != IG_OK) {
		*error_r = p->errmsg;
		return p->err;
	}
	if (p->done)
		parser_clear(p);
	err = frame(p, in, len, used_r);
	if (err == IG_OK && p->skipping) {
		over_limit_fetch(p, p->skip.seq, p->skip.has_uid, p->skip.uid);
		p->skipping = false;
	} else if (err == IG_OK) {
		err = read_response(p);
		if (err == IG_ELIMIT && refuse_fetch(p))
			err = IG_OK;
	}
	if (err == IG_AGAIN)
		return IG_AGAIN;
	if (err != IG_OK) {
		if (p->err == IG_OK)
			(void)fail(p, err, "malformed response");
		*error_r = p->errmsg;
		return p->err;
	}
	p->done = true;
	*resp_r = &p->resp;
	return IG_OK;
}

/* --- canonical rendering (tests and fuzzing) --- */

void
imap_render_bytes(struct buf *out, struct slice s)
{
	size_t i;

	buf_putc(out, '<');
	for (i = 0; i < s.len; i++) {
		unsigned char ch = (unsigned char)s.p[i];

		if (ch < 0x20 || ch >= 0x7f || ch == '<' || ch == '>' || ch == '%')
			buf_appendf(out, "%%%02x", ch);
		else
			buf_putc(out, (char)ch);
	}
	buf_putc(out, '>');
}

struct render_frame {
	const struct imap_val *v;
	size_t n, i;
};

static void
render_vals(struct buf *out, const struct imap_val *vals, size_t n)
{
	struct render_frame st[LIM_IMAP_NEST + 1];
	size_t top = 0;

	st[top++] = (struct render_frame){vals, n, 0};
	while (top > 0) {
		struct render_frame *f = &st[top - 1];
		const struct imap_val *v;

		if (f->i == f->n) {
			top--;
			buf_putc(out, ')');
			continue;
		}
		v = &f->v[f->i++];
		switch (v->type) {
		case IMAP_VAL_ATOM:
			buf_puts(out, " A");
			imap_render_bytes(out, v->s);
			break;
		case IMAP_VAL_STRING:
			buf_puts(out, v->binary ? " B" : v->literal ? " L" : " S");
			imap_render_bytes(out, v->s);
			break;
		case IMAP_VAL_NIL:
			buf_puts(out, " NIL");
			break;
		case IMAP_VAL_LIST:
			buf_puts(out, " (");
			if (top < LIM_IMAP_NEST + 1)
				st[top++] = (struct render_frame){v->kids, v->n, 0};
			break;
		}
	}
}

void
imap_resp_render(const struct imap_resp *r, struct buf *out)
{
	size_t i;

	buf_appendf(out, "kind=%d cond=%d code=%d type=%d", (int)r->kind, (int)r->cond,
		    (int)r->code, (int)r->type);
	buf_puts(out, " tag=");
	imap_render_bytes(out, r->tag);
	buf_puts(out, " code=");
	imap_render_bytes(out, r->code_name);
	imap_render_bytes(out, r->code_arg);
	buf_appendf(out, " nums=%u,%u,%llu text=", r->code_num[0], r->code_num[1],
		    (unsigned long long)r->code_modseq);
	imap_render_bytes(out, r->text);
	buf_appendf(out, " flags=%zu", r->flags.n);
	for (i = 0; i < r->flags.n; i++)
		imap_render_bytes(out, r->flags.names[i]);
	if (r->type == IMAP_U_FETCH && r->kind == IMAP_RESP_UNTAGGED)
		buf_appendf(out, " fetch=%u,%u,%d,%u", r->u.fetch.seq, r->u.fetch.uid,
			    r->u.fetch.has_section, r->u.fetch.origin);
	imap_srch_render(r, out);
	buf_puts(out, " vals=(");
	render_vals(out, r->vals, r->n_vals);
	buf_putc(out, '\n');
}
