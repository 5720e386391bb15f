#ifndef IG_HANDLERS_ENVELOPE_H
#define IG_HANDLERS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

/* Envelopes as tool output: get_thread, and both paths of search. The
 * strings are sanitized once, by the sync engine's conversion (imap/sync.h
 * sync_conv_fetch: RFC 2047 decoding, the Unicode policy, look-alike checks
 * on addresses); this module only shapes its cache row as JSON, so an
 * envelope reads the same from cache.db and from the server. Shape
 * (docs/tools.md):
 *   {uid, folder, message_id, in_reply_to, subject, from:{name,address}|null,
 *    to:[{name,address}], cc:[...], date, internaldate, size, flags:[...],
 *    references:[...], list_id, has_attachment,
 *    security_warnings:[{code,detail,location}]}
 * references and list_id come from a BODY.PEEK[HEADER.FIELDS (REFERENCES
 * LIST-ID)] item of the same FETCH ([] and null without it). */

struct buf;
struct json_object;
struct imap_fetch;
struct cache_msg;

/* Builds the envelope of one FETCH response (borrowed): sync_conv_fetch,
 * then envelope_json_cached on the row. Items it lacks come out null, 0, []
 * or false. folder is the decoded UTF-8 folder name (trusted: the caller's
 * own argument or a filtered LIST name). known are the account's known
 * domains for look-alike checks (may be NULL when n_known is 0). Returns a
 * new object (json_object_put), or NULL when out of memory or when f has no
 * ENVELOPE. Strings and lists are cut as the cache keeps them. */
struct json_object *envelope_json(const struct imap_fetch *f, const char *folder,
                                  const char *const *known, size_t n_known);

/* The same shape from a cache.db row (store/cache.h; search's cache path
 * and, through the sync engine's conversion, its server path and
 * envelope_json). The row's strings were sanitized by the sync engine when
 * it converted them; this only reshapes them: from = the first stored address or null, names as ""
 * when absent, message ids without angle brackets, references split into
 * ids (at most LIM_MIME_REFERENCES), list_id = the id between < > of the
 * stored List-Id or null, the row's own warnings as security_warnings.
 * Sets *bad_r (and still returns an object) when a stored JSON text does
 * not parse as the sync engine writes it: the caller treats the row as
 * damage. Returns a new object or NULL when out of memory. */
struct json_object *envelope_json_cached(const struct cache_msg *m, const char *folder,
                                         bool *bad_r);

/* INTERNALDATE ("17-Jul-1996 02:44:25 -0700") as UTC ISO 8601
 * ("1996-07-17T09:44:25Z") into out (at least 21 bytes). False when it does
 * not parse (out is then ""). */
bool envelope_internaldate_iso(struct slice s, char *out, size_t outsz);

/* Appends the unfolded value of the first header field called name
 * (case-insensitive) in a header block (a HEADER.FIELDS answer) to out. */
void envelope_header_field(struct slice headers, const char *name, struct buf *out);

/* True when a flag or keyword as the server sent it is a plain IMAP atom
 * (optionally after one '\'): printable ASCII without atom-specials. */
bool envelope_flag_ok(struct slice flag);

#endif
