#ifndef IG_CONTENT_MSG_H
#define IG_CONTENT_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

struct json_object;

/* What the caller (fetch_message, the cache, `imapgate sanitize`) asks of the
 * pipeline. Zero-initialized means: no HTML in the output, no known domains. */
struct content_opts {
	bool include_html;                /* add untrusted.body_html (full posture only) */
	const char *const *known_domains; /* the account's known_domains, lower-case ASCII */
	size_t n_known_domains;
};

/* The whole content pipeline (DESIGN §5): raw RFC 5322 bytes in, the
 * {meta, untrusted, security_warnings} object of DESIGN §4.4 out
 * (docs/content.md describes every field). *out_r is a new json-c object the
 * caller releases with json_object_put. Text hidden in Unicode tag characters
 * is appended to audit_r (may be NULL) as "location: payload" lines, for the
 * audit log only; it never appears in *out_r.
 * Returns IG_OK; IG_ELIMIT when the message is over a structural limit
 * (LIM_MIME_MESSAGE, LIM_MIME_DEPTH, LIM_MIME_PARTS, LIM_MIME_HEADERS: the
 * message is refused, ERR_TOO_LARGE); IG_EINVAL when it is not a message;
 * IG_ENOMEM. On failure *out_r is NULL and *error_r a static message that
 * names no mail content. Pure: no I/O, no global state but GMime's
 * (content_init must have run). */
enum ig_err msg_sanitize(struct slice raw, const struct content_opts *opts,
                         struct json_object **out_r, struct buf *audit_r,
                         const char **error_r) IG_MUST_CHECK;

#endif
