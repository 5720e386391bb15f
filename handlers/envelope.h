#ifndef IG_HANDLERS_ENVELOPE_H
#define IG_HANDLERS_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/slice.h"

/* The one place a message envelope (IMAP FETCH ENVELOPE FLAGS INTERNALDATE
 * RFC822.SIZE BODYSTRUCTURE) becomes tool output: get_thread, and the
 * server path of search. Every server string passes content/ (RFC 2047
 * decoding, the Unicode policy, look-alike checks on addresses), so an
 * envelope reads exactly like the headers of fetch_message. Shape
 * (docs/tools.md):
 *   {uid, folder, message_id, in_reply_to, subject, from:{name,address}|null,
 *    to:[{name,address}], cc:[...], date, internaldate, size, flags:[...],
 *    has_attachment, security_warnings:[{code,detail,location}]} */

struct json_object;
struct imap_fetch;
struct imap_body;

/* Builds the envelope of one FETCH response (borrowed; items it lacks come
 * out null, 0, [] or false). folder is the decoded UTF-8 folder name
 * (trusted: the caller's own argument or a filtered LIST name). known are
 * the account's known domains for look-alike checks (may be NULL when
 * n_known is 0). Returns a new object (json_object_put) or NULL when out of
 * memory. Each string is cut at LIM_MIME_HEADER_VALUE bytes, each address
 * list at LIM_MIME_ADDRESSES entries. */
struct json_object *envelope_json(const struct imap_fetch *f, const char *folder,
				  const char *const *known, size_t n_known);

/* True when a BODYSTRUCTURE has an attachment: a part with disposition
 * "attachment", a filename or name parameter, an attached message, or a
 * leaf that is neither text nor multipart. Walks at most
 * LIM_IMAP_BODY_PARTS parts without recursion. NULL: false. */
bool envelope_has_attachment(const struct imap_body *root);

/* INTERNALDATE ("17-Jul-1996 02:44:25 -0700") as UTC ISO 8601
 * ("1996-07-17T09:44:25Z") into out (at least 21 bytes). False when it does
 * not parse (out is then ""). */
bool envelope_internaldate_iso(struct slice s, char *out, size_t outsz);

/* True when a flag or keyword as the server sent it is a plain IMAP atom
 * (optionally after one '\'): printable ASCII without atom-specials. */
bool envelope_flag_ok(struct slice flag);

#endif
