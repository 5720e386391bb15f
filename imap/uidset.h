#ifndef IG_IMAP_UIDSET_H
#define IG_IMAP_UIDSET_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/slice.h"

/* UID sets: the compact text form the client sends (RFC 3501 §9
 * sequence-set without '*') and the uid-set a server returns in COPYUID
 * (RFC 4315 §4). Parsing is strict: nz-numbers only (no 0, no sign, no
 * leading '+', overflow-checked), ranges in either order, ',' between
 * members, nothing else (no spaces, no '*'). */

struct buf;

/* Expands the uid-set s into out[0..*n_r), members in the order written and
 * each range ascending ("5:3" is 3,4,5, as RFC 4315 says a range covers "all
 * values between these two regardless of order"). IG_EINVAL when malformed,
 * IG_ELIMIT when it holds more than cap values (a range is counted before it
 * is expanded: "1:4294967295" costs nothing to refuse). */
enum ig_err imap_uidset_parse(struct slice s, uint32_t *out, size_t cap,
			      size_t *n_r) IG_MUST_CHECK;

/* Calls fn for each member of the uid-set s, in the order written, as a
 * range first <= last ("7" is 7..7, "9:8" is 8..9); nothing is expanded, so
 * a server's "1:4294967295" costs one call. The whole set is checked first:
 * fn is called only when it is well-formed (same grammar as
 * imap_uidset_parse). IG_EINVAL when malformed, IG_ELIMIT when it has more
 * than max members. */
enum ig_err imap_uidset_ranges(struct slice s, size_t max,
			       void (*fn)(void *ctx, uint32_t first, uint32_t last),
			       void *ctx) IG_MUST_CHECK;

/* Appends n UIDs (any order, duplicates allowed, none 0) to out as a compact
 * ascending set ("1:3,7"). IG_EINVAL for n == 0 or a 0 UID; check
 * buf_err(out) for the buffer's own failure. uids is not modified. */
enum ig_err imap_uidset_format(const uint32_t *uids, size_t n, struct buf *out) IG_MUST_CHECK;

/* A COPYUID response code (RFC 4315 §3): the destination's UIDVALIDITY and,
 * pairwise, each source UID with the UID its copy got. */
struct imap_copyuid {
	uint32_t uidvalidity;
	size_t n;
	uint32_t src[LIM_IMAP_COPYUID];
	uint32_t dst[LIM_IMAP_COPYUID];
};

/* Parses a COPYUID argument "uidvalidity SP src-set SP dst-set". The two
 * sets must expand to the same count (at most LIM_IMAP_COPYUID: IG_ELIMIT).
 * IG_EINVAL when malformed; out is zeroed (n = 0) on any failure. */
enum ig_err imap_copyuid_parse(struct slice arg, struct imap_copyuid *out) IG_MUST_CHECK;

/* The UID that src got, or 0 when cu does not say. */
uint32_t imap_copyuid_lookup(const struct imap_copyuid *cu, uint32_t src);

#endif
