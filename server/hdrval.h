#ifndef IG_SERVER_HDRVAL_H
#define IG_SERVER_HDRVAL_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/slice.h"

/* Values of the MCP 2026-07-28 request headers that mirror the body
 * (Mcp-Method, Mcp-Name, Mcp-Param-*; SEP-2243 "Value Encoding"). */

/* Decodes one header value into out, replacing its content (out is reset
 * first; its max bounds the result). OWS (SP, HTAB) around raw is trimmed.
 * A trimmed value that starts with "=?base64?" and ends with "?=" (at least
 * 11 bytes, case-sensitive) is the sentinel form: the part between must be
 * canonical RFC 4648 §4 base64 (padding required, no whitespace, zero
 * trailing bits; empty is allowed) of well-formed UTF-8 without NUL; CR, LF
 * and TAB are fine there. Anything else is literal and must be visible ASCII
 * with inner SP/HTAB; it is returned as is, so "=?base64?SGk=" without the
 * "?=" decodes to itself.
 * Returns IG_OK; IG_EINVAL for a bad value; IG_ELIMIT when raw is over
 * LIM_HEADER_VALUE bytes or the result is over out->max; IG_ENOMEM. On
 * failure out is empty and *error_r (when error_r is not NULL) gets a static
 * message. */
enum ig_err hdrval_decode(struct slice raw, struct buf *out, const char **error_r) IG_MUST_CHECK;

/* Returns true when raw_header decodes (as hdrval_decode) to exactly the bytes
 * of body_value; false when it does not, when it is invalid, or when
 * body_value is NULL. The comparison is case-sensitive. */
bool hdrval_matches(struct slice raw_header, const char *body_value);

#endif
