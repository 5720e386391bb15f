#ifndef IG_CONTENT_FILENAME_H
#define IG_CONTENT_FILENAME_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

#define LIM_FILENAME 255 /* bytes: the common file-system limit (ext4, NTFS in UTF-16 aside) */

/* Makes an attachment name safe to show and to save (DESIGN §5 step 8):
 * Unicode-sanitized (u8_sanitize: controls, bidi, invisibles gone; NFKC, so
 * a fullwidth solidus is a solidus), only the part after the last '/' or '\',
 * Windows-invalid characters (:*?"<>| TAB LF) replaced by '_', leading dots
 * and spaces and trailing dots and spaces removed, Windows reserved device
 * names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension)
 * prefixed with '_', at most LIM_FILENAME bytes cut on a grapheme boundary
 * keeping a short extension; empty → "attachment". raw may be any bytes.
 * Appends to out; *rewritten_r (may be NULL) is 1 when the result differs
 * from raw (the caller then emits parse_attachment_filename_rewritten).
 * Idempotent. Returns IG_OK, IG_ENOMEM, IG_ELIMIT (out's maximum) or
 * IG_EINTERNAL. */
enum ig_err fname_sanitize(const char *raw, size_t len, struct buf *out,
                           int *rewritten_r) IG_MUST_CHECK;

#endif
