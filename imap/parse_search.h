#ifndef IG_IMAP_PARSE_SEARCH_H
#define IG_IMAP_PARSE_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "imap/parse.h"

/* Streaming reader of a SEARCH (RFC 3501 §7.2.5, RFC 7162 MODSEQ) or
 * ESEARCH (RFC 4731, RFC 4466 items) response: the bytes after "* SEARCH " or
 * "* ESEARCH " up to and including the CRLF. Such a line has no useful
 * length bound (50,000 hits are ~300 KB of numbers), so imap/parse.c hands
 * it here instead of holding it against LIM_IMAP_LINE: bytes are consumed
 * as they arrive and the bounds are on what they carry, LIM_IMAP_SEARCH_NUMS
 * numbers or sequence-set elements and LIM_IMAP_SEARCH_TOKEN bytes per
 * token; the parser also counts the bytes against its response cap. The
 * struct is embedded in the parser; its fields are internal. */
struct imap_srch {
	bool esearch;
	unsigned st;       /* grammar state */
	unsigned depth;    /* '(' depth while an unknown ESEARCH item is skipped */
	unsigned item;     /* the ESEARCH item whose value comes next */
	char tok[LIM_IMAP_SEARCH_TOKEN];
	size_t tlen;
	bool quoted;       /* tok came as a quoted string */
	bool in_quote, esc, cr;
	bool need_sep;     /* after a quoted string: SP, ')' or CRLF must follow */
	size_t elems;      /* numbers or set elements so far */
	uint32_t *nums;    /* SEARCH numbers (heap, grows as they come) */
	size_t n, cap;
	struct buf all;    /* ESEARCH ALL in canonical form */
	struct buf tag;    /* ESEARCH (TAG "x") */
	struct imap_search search;
	struct imap_esearch es;
};

/* Starts reading a new response body; keeps the memory of earlier ones. */
void imap_srch_begin(struct imap_srch *s, bool esearch);
/* Gives back memory held beyond a small size (after a big response). */
void imap_srch_trim(struct imap_srch *s);
void imap_srch_free(struct imap_srch *s); /* the struct itself is the caller's */

/* Consumes bytes from in[0..len), *used_r says how many. IG_AGAIN: all
 * taken, the line goes on; IG_OK: the CRLF was read (bytes after it were not
 * taken) and the result is ready; IG_EINVAL (malformed) or IG_ELIMIT (a
 * bound hit) with a static message in *error_r. */
enum ig_err imap_srch_feed(struct imap_srch *s, const char *in, size_t len, size_t *used_r,
			   const char **error_r) IG_MUST_CHECK;

/* The result after IG_OK; slices and arrays live until the next begin, trim
 * or free. */
void imap_srch_search(const struct imap_srch *s, struct imap_search *out);
void imap_srch_esearch(const struct imap_srch *s, struct imap_esearch *out);

/* Appends a canonical rendering of a SEARCH or ESEARCH result (tests, fuzz
 * target: a split feed must render like a whole one). */
void imap_srch_render(const struct imap_resp *r, struct buf *out);
/* Appends s as <bytes> with controls, non-ASCII, '<', '>' and '%' as %xx
 * (imap/parse.c, the byte form of both canonical renderings). */
void imap_render_bytes(struct buf *out, struct slice s);

#endif
